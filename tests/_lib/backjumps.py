"""Run by a test environment's Python: pip's vendored resolvelib on a graph that makes it
backjump over the same project again and again, printing the longest incompatibility
list resolvelib handed to the provider and how many distinct candidates it held.

    python backjumps.py RELEASES [--wheelnext]

``a`` has RELEASES releases, each needing its own ``d``; ``c`` needs a ``d`` no release
of ``a`` allows and ``b`` needs any ``a``, so every release of ``a`` is pinned, found
wrong later and backjumped over. With ``--wheelnext`` the default-extras patch set is
applied first (its criterion guard is the point under test).
"""

from __future__ import annotations

import sys
from collections import defaultdict
from typing import Any

from pip._vendor import resolvelib


class Release:
    def __init__(self, name: str, version: int, needs: list[tuple[str, frozenset[int]]]):
        self.name, self.version, self.needs = name, version, needs

    def __repr__(self) -> str:
        return f"{self.name}=={self.version}"


def build(count: int) -> dict[str, list[Release]]:
    index: dict[str, list[Release]] = defaultdict(list)
    every = frozenset(range(count))
    for version in range(count):
        index["a"].append(Release("a", version, [("d", frozenset({version}))]))
        index["b"].append(Release("b", version, [("a", every)]))
        index["d"].append(Release("d", version, []))
    index["c"].append(Release("c", 0, [("d", frozenset({-1}))]))
    index["d"].append(Release("d", -1, []))
    return index


class Provider(resolvelib.AbstractProvider):  # type: ignore[misc]
    def __init__(self, index: dict[str, list[Release]]) -> None:
        self.index = index
        self.longest = 0
        self.distinct = 0

    def identify(self, requirement_or_candidate: Any) -> str:
        item = requirement_or_candidate
        return item[0] if isinstance(item, tuple) else item.name

    def get_preference(self, identifier: str, *args: Any, **kwargs: Any) -> Any:
        return identifier

    def find_matches(self, identifier: str, requirements: Any, incompatibilities: Any) -> Any:
        known = list(incompatibilities[identifier])
        self.longest = max(self.longest, len(known))
        self.distinct = max(self.distinct, len({id(c) for c in known}))
        excluded = {id(c) for c in known}
        wanted = list(requirements[identifier])
        found = [
            release
            for release in self.index[identifier]
            if id(release) not in excluded and all(release.version in r[1] for r in wanted)
        ]
        return sorted(found, key=lambda release: -release.version)

    def is_satisfied_by(self, requirement: Any, candidate: Any) -> bool:
        return bool(candidate.version in requirement[1])

    def get_dependencies(self, candidate: Any) -> Any:
        return candidate.needs


def main() -> int:
    count = int(sys.argv[1])
    if "--wheelnext" in sys.argv:
        from wheelnext_pip._pip.default_extras import DEFAULT_EXTRAS
        from wheelnext_pip._pip.registry import apply_set

        status = apply_set(DEFAULT_EXTRAS)
        if not status.active:
            print(f"not applied: {status.reason}")
            return 1
    provider = Provider(build(count))
    every = frozenset(range(count))
    roots = [("a", every), ("c", frozenset({0})), ("b", every)]
    try:
        resolvelib.Resolver(provider, resolvelib.BaseReporter()).resolve(roots, max_rounds=10**5)
        outcome = "resolved"
    except resolvelib.ResolutionImpossible:
        outcome = "impossible"
    print(outcome, provider.longest, provider.distinct)
    return 0


if __name__ == "__main__":
    sys.exit(main())

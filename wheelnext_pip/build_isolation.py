"""Per-package build isolation: ``no-build-isolation-package`` and passthrough.

Pure policy: imports neither pip nor wrapt. The patch layer
(:mod:`wheelnext_pip._pip.build_isolation`) converts pip's objects to strings and plain
values, asks this module what to do, and converts back.

* :func:`check_target_environment` decides what a project listed in
  ``no-build-isolation-package`` lacks in the environment it will build in.
* :func:`plan_passthrough` decides which build requirements of an isolated build are taken
  from the target environment (with their installed runtime dependencies) instead of being
  installed, and why the others are not.
* :func:`link_paths` decides which installed files of a passed-through distribution are
  made visible in the isolated environment, so unrelated host packages stay invisible.
"""

from __future__ import annotations

import hashlib
import shlex
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from wheelnext_pip._names import canonicalize_name
from wheelnext_pip.errors import WheelnextPipError

if TYPE_CHECKING:
    from packaging.requirements import Requirement

# packaging is imported where requirements are read: every pip command imports this module,
# and only builds need it.

__all__ = [
    "NO_ISOLATION_SETTING",
    "PASSTHROUGH_SETTING",
    "BuildIsolationError",
    "Fallback",
    "InstalledDist",
    "Passed",
    "PassthroughPlan",
    "TargetCheck",
    "cache_key",
    "check_target_environment",
    "declared_passthrough",
    "link_paths",
    "message_conflicts",
    "message_declared",
    "message_fallback",
    "message_missing",
    "message_no_isolation",
    "message_passed",
    "plan_passthrough",
    "top_level_from_record",
]

NO_ISOLATION_SETTING = "no-build-isolation-package"
PASSTHROUGH_SETTING = "build-isolation-passthrough"
_NO_ISOLATION_VARIABLE = "WHEELNEXT_PIP_NO_BUILD_ISOLATION_PACKAGE"
_PASSTHROUGH_VARIABLE = "WHEELNEXT_PIP_BUILD_ISOLATION_PASSTHROUGH"


class BuildIsolationError(WheelnextPipError):
    """A build cannot go ahead as configured; ``str()`` is one line."""


@dataclass(frozen=True)
class InstalledDist:
    """One distribution installed in the target environment, as plain values."""

    name: str
    version: str
    #: ``Requires-Dist`` values, as written in its metadata.
    requires: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return canonicalize_name(self.name)


Lookup = Callable[[str], "InstalledDist | None"]


# -- requirements ----------------------------------------------------------------------


def _parse(text: str) -> Requirement | None:
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        return Requirement(text)
    except InvalidRequirement:
        return None


def _applies(requirement: Requirement, extras: Iterable[str] = ("",)) -> bool:
    """Whether a requirement's marker holds for a build (pip evaluates with ``extra=""``)."""
    if requirement.marker is None:
        return True
    from packaging.markers import InvalidMarker, UndefinedComparison, UndefinedEnvironmentName

    for extra in extras:
        try:
            if requirement.marker.evaluate({"extra": extra}):
                return True
        except (InvalidMarker, UndefinedComparison, UndefinedEnvironmentName):
            return True  # let pip itself decide about a marker we cannot evaluate
    return False


def _satisfies(requirement: Requirement, version: str) -> bool:
    from packaging.version import InvalidVersion, Version

    try:
        parsed = Version(version)
    except InvalidVersion:
        return requirement.specifier.contains(version, prereleases=True)
    return requirement.specifier.contains(parsed, prereleases=True)


def _shown(requirement: Requirement) -> str:
    return str(requirement.specifier) or "any version"


# -- no-build-isolation-package --------------------------------------------------------


@dataclass(frozen=True)
class TargetCheck:
    """What the target environment lacks for a build without isolation."""

    #: Build requirements with nothing installed under their name.
    missing: tuple[str, ...]
    #: ``(installed, wanted)`` pairs, as pip's ``check_requirements`` reports them.
    conflicting: tuple[tuple[str, str], ...]


def check_target_environment(
    missing: Iterable[str], conflicting: Iterable[tuple[str, str]]
) -> TargetCheck:
    """Normalise pip's ``check_requirements`` answer (sets) into a stable order."""
    return TargetCheck(tuple(sorted(set(missing))), tuple(sorted(set(conflicting))))


def message_no_isolation(project: str) -> str:
    return f"{project}: building without build isolation ({NO_ISOLATION_SETTING})"


def message_missing(project: str, missing: Sequence[str]) -> str:
    listed = ", ".join(missing)
    command = "python -m pip install " + " ".join(shlex.quote(item) for item in missing)
    return (
        f"{project} is listed in {NO_ISOLATION_SETTING}, so it builds in the target "
        f"environment, which lacks its build requirements: {listed}; install them first "
        f"({command}) or remove {project} from {NO_ISOLATION_SETTING}"
    )


def message_conflicts(project: str, conflicting: Sequence[tuple[str, str]]) -> str:
    listed = ", ".join(
        f"{installed} is installed but {wanted} is wanted" for installed, wanted in conflicting
    )
    return (
        f"wheelnext-pip: {project} builds without isolation ({NO_ISOLATION_SETTING}) "
        f"against a target environment that does not satisfy its build requirements: "
        f"{listed}; building anyway (--check-build-dependencies makes this an error)"
    )


# -- passthrough -----------------------------------------------------------------------


@dataclass(frozen=True)
class Passed:
    """A build requirement taken from the target environment, with what comes with it."""

    name: str
    #: The named distribution first, then its installed runtime dependencies.
    dists: tuple[InstalledDist, ...]


@dataclass(frozen=True)
class Fallback:
    """A consented build requirement that is installed isolated after all, and why."""

    name: str
    reason: str


@dataclass(frozen=True)
class PassthroughPlan:
    passed: tuple[Passed, ...]
    fallbacks: tuple[Fallback, ...]
    #: The build requirements still to install into the isolated environment (pip's order).
    remaining: tuple[str, ...]
    #: Consented names that this build does not ask for.
    unused: tuple[str, ...]

    @property
    def exposed(self) -> tuple[InstalledDist, ...]:
        """Every distribution made visible, each once."""
        seen: dict[str, InstalledDist] = {}
        for passed in self.passed:
            for dist in passed.dists:
                seen.setdefault(dist.key, dist)
        return tuple(seen.values())


def _closure(
    top: InstalledDist, extras: frozenset[str], lookup: Lookup
) -> tuple[tuple[InstalledDist, ...], str | None]:
    """The installed runtime dependencies of ``top``, recursively; or why they are incomplete."""
    found: dict[str, InstalledDist] = {top.key: top}
    queue: list[tuple[InstalledDist, frozenset[str]]] = [(top, extras)]
    while queue:
        dist, dist_extras = queue.pop(0)
        for text in dist.requires:
            requirement = _parse(text)
            if requirement is None:
                return (), f"{dist.name} {dist.version} has an unreadable dependency {text!r}"
            if not _applies(requirement, ("", *sorted(dist_extras))):
                continue
            key = canonicalize_name(requirement.name)
            wanted_extras = frozenset(canonicalize_name(extra) for extra in requirement.extras)
            dependency = found.get(key) or lookup(key)
            if dependency is None:
                return (), (
                    f"its dependency {requirement.name} (needed by {dist.name} "
                    f"{dist.version}) is not installed in the target environment"
                )
            if not _satisfies(requirement, dependency.version):
                return (), (
                    f"its dependency {dependency.name} {dependency.version} does not satisfy "
                    f"{dist.name}'s requirement {requirement.name}{requirement.specifier}"
                )
            if requirement.url:
                return (), f"{dist.name} needs {requirement.name} from a URL"
            if key not in found:
                found[key] = dependency
                queue.append((dependency, wanted_extras))
            elif wanted_extras:
                queue.append((dependency, wanted_extras))
    return tuple(found.values()), None


def plan_passthrough(
    requirements: Sequence[str], consented: Iterable[str], lookup: Lookup
) -> PassthroughPlan:
    """Decide which build requirements come from the target environment.

    ``consented`` are canonical names (the user's ``build-isolation-passthrough``);
    ``lookup(canonical_name)`` answers what the target environment has installed.
    A name is passed through only when the installed version satisfies every specifier
    for it among ``requirements`` and its whole installed dependency closure is present and
    satisfying; a closure member that the build also asks for must satisfy that request too.
    """
    allowed = {canonicalize_name(name) for name in consented}
    wanted: dict[str, list[Requirement]] = {}
    for text in requirements:
        requirement = _parse(text)
        if requirement is None or not _applies(requirement):
            continue
        wanted.setdefault(canonicalize_name(requirement.name), []).append(requirement)

    passed: list[Passed] = []
    fallbacks: list[Fallback] = []
    for name in sorted(allowed & set(wanted)):
        requests = wanted[name]
        reason = None
        installed = lookup(name)
        closure: tuple[InstalledDist, ...] = ()
        if installed is None:
            reason = "it is not installed in the target environment"
        elif any(request.url for request in requests):
            reason = "the build asks for it by URL"
        else:
            for request in requests:
                if not _satisfies(request, installed.version):
                    reason = (
                        f"the installed {installed.name} {installed.version} does not "
                        f"satisfy {request.name}{_shown(request)}"
                    )
                    break
        if reason is None and installed is not None:
            extras = frozenset(
                canonicalize_name(extra) for request in requests for extra in request.extras
            )
            closure, reason = _closure(installed, extras, lookup)
        if reason is None:
            for dist in closure[1:]:
                for request in wanted.get(dist.key, ()):
                    if not _satisfies(request, dist.version):
                        reason = (
                            f"its dependency {dist.name} {dist.version} does not satisfy the "
                            f"build's own requirement {request.name}{_shown(request)}"
                        )
        if reason is None:
            passed.append(Passed(name, closure))
        else:
            fallbacks.append(Fallback(name, reason))

    exposed = {dist.key for item in passed for dist in item.dists}
    remaining = []
    for text in requirements:
        requirement = _parse(text)
        if (
            requirement is not None
            and _applies(requirement)
            and canonicalize_name(requirement.name) in exposed
        ):
            continue
        remaining.append(text)
    unused = tuple(sorted(allowed - set(wanted)))
    return PassthroughPlan(tuple(passed), tuple(fallbacks), tuple(remaining), unused)


def message_passed(project: str, passed: Passed) -> str:
    top, *rest = passed.dists
    text = (
        f"{project}: build requirement {top.name} {top.version} taken from the target "
        f"environment ({PASSTHROUGH_SETTING})"
    )
    if rest:
        text += ", with " + ", ".join(f"{dist.name} {dist.version}" for dist in rest)
    return text


def message_fallback(project: str, fallback: Fallback) -> str:
    return (
        f"{project}: build requirement {fallback.name} is installed into the isolated "
        f"build environment, not taken from the target environment ({PASSTHROUGH_SETTING}): "
        f"{fallback.reason}"
    )


def message_declared(project: str, declared: Sequence[str]) -> str:
    names = ", ".join(declared)
    return (
        f"{project} declares build_isolation_passthrough = [{names}]; not applied without "
        f"your consent: list them in {PASSTHROUGH_SETTING} ({_PASSTHROUGH_VARIABLE}) to "
        "build against the installed copies"
    )


def declared_passthrough(pyproject: Mapping[str, object]) -> tuple[str, ...]:
    """The passthrough names a package declares for itself (reported, never obeyed alone).

    ``[build-system] build_isolation_passthrough`` (the WheelNext proposal) and
    ``[tool.wheelnext-pip] build-isolation-passthrough``; malformed values are ignored.
    """
    found: list[str] = []
    build_system = pyproject.get("build-system")
    if isinstance(build_system, Mapping):
        found += _names(build_system.get("build_isolation_passthrough"))
    tool = pyproject.get("tool")
    if isinstance(tool, Mapping):
        ours = tool.get("wheelnext-pip")
        if isinstance(ours, Mapping):
            found += _names(ours.get("build-isolation-passthrough"))
    return tuple(dict.fromkeys(canonicalize_name(name) for name in found))


def _names(value: object) -> list[str]:
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, str) and item.strip()]


def project_name(pyproject: Mapping[str, object]) -> str | None:
    """``[project].name`` of a ``pyproject.toml``, if it is a static string."""
    project = pyproject.get("project")
    if isinstance(project, Mapping):
        name = project.get("name")
        if isinstance(name, str) and name.strip():
            return name.strip()
    return None


# -- exposure --------------------------------------------------------------------------


def top_level_from_record(record_paths: Iterable[str]) -> tuple[str, ...]:
    """Installed RECORD paths inside the distribution's site-packages directory.

    Drops paths outside it (scripts, headers: ``../../bin/x``), absolute paths and byte
    code caches.
    """
    kept: list[str] = []
    for raw in record_paths:
        path = raw.replace("\\", "/")
        parts = path.split("/")
        if not path or path.startswith("/") or ".." in parts or ":" in parts[0]:
            continue
        if "__pycache__" in parts:
            continue
        kept.append(path)
    return tuple(dict.fromkeys(kept))


def link_paths(record_paths: Iterable[str]) -> tuple[str, ...]:
    """The paths (relative to site-packages, ``/``-separated) to link for one distribution.

    Files and regular packages (a directory whose ``__init__.py`` the distribution owns)
    are linked whole at the highest level; ``.dist-info`` and ``.data`` directories too.
    A directory without its own ``__init__.py`` (a namespace package such as ``nvidia/``,
    possibly shared with unrelated distributions) is not linked whole: its members are
    examined one level down, so only this distribution's files become visible.
    """
    paths = top_level_from_record(record_paths)
    return tuple(sorted(_link_level(paths, "")))


def _link_level(paths: Sequence[str], base: str) -> set[str]:
    children: dict[str, list[str]] = {}
    links: set[str] = set()
    for path in paths:
        head, sep, rest = path.partition("/")
        if not sep:
            links.add(base + head)
        else:
            children.setdefault(head, []).append(rest)
    for head, members in children.items():
        whole = (
            not base and head.endswith((".dist-info", ".data", ".libs"))
        ) or "__init__.py" in members
        if whole:
            links.add(base + head)
        else:
            links |= _link_level(members, base + head + "/")
    return links


def cache_key(no_isolation: Iterable[str], passthrough: Iterable[str]) -> str | None:
    """A short key that separates pip's wheel cache per build isolation settings.

    ``None`` when neither setting names anything (the cache is stock pip's).
    """
    first = sorted({canonicalize_name(name) for name in no_isolation})
    second = sorted({canonicalize_name(name) for name in passthrough})
    if not first and not second:
        return None
    text = f"no-build-isolation-package={','.join(first)};passthrough={','.join(second)}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]

"""Ranked index groups (PEP 766 ideas): which group serves a project, and what to say.

Pure: the patch layer hands in plain values (URLs, status codes, counts) and gets back
decisions and message lines. Nothing here imports pip.

Vocabulary: a *location* is ``<index base URL>/<project>/``; a *page outcome* says what one
location answered; a *group outcome* merges the outcomes of a group's locations (a group
with several URLs is trustworthy only when all of them answered).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from wheelnext_pip._settings import (
    DEFAULT_GROUP,
    IndexGroup,
    Settings,
    canonicalize_name,
    normalize_index_url,
)
from wheelnext_pip.errors import WheelnextPipError

__all__ = [
    "DISTRIBUTION_SUFFIXES",
    "GroupLayout",
    "GroupOutcome",
    "IndexGroupError",
    "OutcomeKind",
    "PageOutcome",
    "Step",
    "chosen_line",
    "classify_page",
    "combine_outcomes",
    "fallthrough_line",
    "first_match_step",
    "is_distribution_file",
    "layout_of",
    "listed_nothing_line",
    "redact_url",
    "redirect_line",
    "simple_json_problem",
    "unsatisfied_line",
]

OutcomeKind = Literal["files", "absent", "error"]

#: File name endings of distribution files (wheels and every sdist format pip unpacks).
DISTRIBUTION_SUFFIXES: tuple[str, ...] = (
    ".whl",
    ".tar.gz",
    ".tgz",
    ".tar",
    ".zip",
    ".tar.bz2",
    ".tbz",
    ".tar.xz",
    ".txz",
    ".tlz",
    ".tar.lz",
    ".tar.lzma",
)


class IndexGroupError(WheelnextPipError):
    """pip must stop rather than take a project from a group the user did not rank first.

    ``str()`` is one line naming the group, its URL and the project.
    """


def redact_url(url: str) -> str:
    """The URL without credentials (for messages and ``--report``)."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


def is_distribution_file(filename: str, project: str) -> bool:
    """A wheel or sdist of ``project`` (``-variants.json`` and ``.metadata`` do not count)."""
    name = filename.lower()
    suffix = next((s for s in DISTRIBUTION_SUFFIXES if name.endswith(s)), None)
    if suffix is None:
        return False
    stem = canonicalize_name(name[: -len(suffix)])
    prefix = canonicalize_name(project) + "-"
    # The version follows the name and starts with a digit ("foo-bar-1.0" is not foo's).
    return stem.startswith(prefix) and stem[len(prefix) : len(prefix) + 1].isdigit()


@dataclass(frozen=True)
class PageOutcome:
    """What one location answered."""

    kind: OutcomeKind
    #: ``HTTP 503``, ``ConnectTimeout``, ``3 files``: for messages and ``-v``.
    detail: str
    #: A 2xx page that listed no file of the project: "absent", yet a login page, a captive
    #: portal or a broken index answers the same, so pip says so when it moves past it.
    listed_nothing: bool = False


def classify_page(
    *,
    status: int | None,
    failure: str | None,
    file_count: int,
) -> PageOutcome:
    """Classify one location's answer: files, absent, or an index error (PEP 766 "absent").

    ``status`` is the HTTP status pip saw (None when no response came), ``failure`` the
    name of the problem when pip gave up on the page (an exception type, or
    ``unsupported Content-Type``), ``file_count`` the distribution files the page listed.
    Only a 404 (or a missing ``file://`` directory, which pip also reports as 404) means
    "not here"; every other failure is an error.
    """
    if status == 404:
        return PageOutcome("absent", "HTTP 404")
    if status is not None and not 200 <= status < 300:
        return PageOutcome("error", f"HTTP {status}")
    if failure is not None:
        return PageOutcome("error", failure)
    if file_count:
        return PageOutcome("files", f"{file_count} file{'s' if file_count != 1 else ''}")
    if status is not None:
        return PageOutcome("absent", f"no files listed, HTTP {status}", listed_nothing=True)
    return PageOutcome("absent", "no files")


def simple_json_problem(content: bytes) -> str | None:
    """Why a body served as PEP 691 JSON is not a PEP 691 project page, or None if it is.

    PEP 691: every response has ``meta`` with ``api-version``; a project page has a
    ``files`` list of objects. A login service or a proxy error that answers 200 with
    this Content-Type gives something else, which must not read as "no files here".
    """
    try:
        data = json.loads(content)
    except (ValueError, UnicodeDecodeError):
        return "not a PEP 691 page: the body is not JSON"
    if not isinstance(data, dict):
        return f"not a PEP 691 page: JSON {type(data).__name__}, not an object"
    meta = data.get("meta")
    if not isinstance(meta, dict) or not isinstance(meta.get("api-version"), str):
        return "not a PEP 691 page: no meta.api-version"
    files = data.get("files")
    if not isinstance(files, list) or not all(isinstance(entry, dict) for entry in files):
        return "not a PEP 691 project page: no list of files"
    return None


@dataclass(frozen=True)
class GroupOutcome:
    group: str
    kind: OutcomeKind
    detail: str
    #: The location whose answer decided the outcome (the failing one for errors).
    url: str | None = None


def combine_outcomes(group: str, pages: Sequence[tuple[str, PageOutcome]]) -> GroupOutcome:
    """One outcome for a group from its locations' outcomes: any error makes the group an
    error (a partial answer could hide the project's real files); else any files."""
    for url, page in pages:
        if page.kind == "error":
            return GroupOutcome(group, "error", page.detail, url)
    for url, page in pages:
        if page.kind == "files":
            return GroupOutcome(group, "files", page.detail, url)
    details = ", ".join(page.detail for _, page in pages) or "no locations"
    return GroupOutcome(group, "absent", details, pages[0][0] if pages else None)


@dataclass(frozen=True)
class Step:
    """What the walk over groups does after one group answered."""

    action: Literal["choose", "next", "stop"]
    #: For ``stop``: the error line. For ``next`` past an error: the warning line.
    message: str | None = None


def first_match_step(
    project: str,
    outcome: GroupOutcome,
    *,
    pinned: bool,
    last: bool,
    on_error: str,
) -> Step:
    """The first-match decision after one group answered (PEP 766 "first match")."""
    if outcome.kind == "files":
        return Step("choose")
    if outcome.kind == "error":
        where = redact_url(outcome.url or "")
        if pinned:
            return Step(
                "stop",
                f"index group {outcome.group!r} ({where}) is unreachable for {project!r} "
                f"({outcome.detail}), and index-pins takes {project!r} only from it",
            )
        if last:
            # Nothing to fall back to: pip's own handling says what went wrong.
            return Step("next")
        if on_error == "next":
            return Step(
                "next",
                f"index group {outcome.group!r} ({where}) is unreachable for {project!r} "
                f"({outcome.detail}); skipping it (index-on-error=next)",
            )
        return Step(
            "stop",
            f"index group {outcome.group!r} ({where}) is unreachable for {project!r} "
            f"({outcome.detail}); not falling back to lower groups "
            "(set index-on-error=next to skip it)",
        )
    if pinned:
        return Step(
            "stop",
            f"{project!r} is pinned to index group {outcome.group!r} (index-pins), "
            f"which has no files for it",
        )
    return Step("next")


@dataclass(frozen=True)
class GroupLayout:
    """The ranked groups of one pip run, with pip's own locations placed in ``default``."""

    groups: tuple[IndexGroup, ...]
    #: normalized index base URL -> group name, for every named group's URL.
    named_urls: Mapping[str, str]
    pins: Mapping[str, str]
    strategy: str = "first-match"
    on_error: str = "stop"

    @classmethod
    def create(
        cls,
        groups: Iterable[IndexGroup],
        pins: Mapping[str, str] | None = None,
        *,
        strategy: str = "first-match",
        on_error: str = "stop",
    ) -> GroupLayout:
        ordered = tuple(groups)
        if not any(group.is_default for group in ordered):
            ordered += (IndexGroup(DEFAULT_GROUP, ()),)
        named = {
            normalize_index_url(url): group.name
            for group in ordered
            if not group.is_default
            for url in group.urls
        }
        return cls(ordered, named, dict(pins or {}), strategy, on_error)

    @property
    def active(self) -> bool:
        """Inert unless two groups exist or a pin is set: then pip stays stock."""
        return len(self.groups) > 1 or bool(self.pins)

    def group_of(self, base_url: str) -> str:
        """The group of an index base URL; pip's own locations belong to ``default``."""
        return self.named_urls.get(normalize_index_url(base_url), DEFAULT_GROUP)

    def urls_to_add(self, pip_index_urls: Sequence[str]) -> list[str]:
        """Named-group URLs pip does not list yet, in group order."""
        present = {normalize_index_url(url) for url in pip_index_urls}
        missing = []
        for group in self.groups:
            for url in group.urls:
                key = normalize_index_url(url)
                if key not in present:
                    present.add(key)
                    missing.append(url)
        return missing

    def order_for(self, project: str) -> tuple[str, ...]:
        """The group names consulted for a project, highest first (a pin leaves one)."""
        pinned = self.pins.get(canonicalize_name(project))
        if pinned is not None:
            return (pinned,)
        return tuple(group.name for group in self.groups)

    def is_pinned(self, project: str) -> bool:
        return canonicalize_name(project) in self.pins

    def describe(self) -> str:
        """The one-line summary of the ranking (info line and ``doctor``)."""
        parts = []
        for rank, group in enumerate(self.groups, 1):
            where = (
                " ".join(redact_url(url) for url in group.urls)
                if group.urls
                else "pip's own --index-url/--extra-index-url/--find-links"
            )
            parts.append(f"{rank}. {group.name} ({where})")
        text = f"index groups, {self.strategy}: " + "; ".join(parts)
        if self.pins:
            text += "; pins: " + ", ".join(f"{p}={g}" for p, g in sorted(self.pins.items()))
        return text


_LAYOUTS: dict[int, GroupLayout] = {}


def layout_of(settings: Settings) -> GroupLayout:
    """The layout of these settings (built once: pip asks for it on every page)."""
    layout = _LAYOUTS.get(id(settings))
    if layout is None:
        layout = GroupLayout.create(
            settings.index_groups,
            settings.index_pins,
            strategy=settings.index_strategy,
            on_error=settings.index_on_error,
        )
        _LAYOUTS.clear()
        _LAYOUTS[id(settings)] = layout
    return layout


def listed_nothing_line(
    project: str, group: str, urls: Sequence[str], status: int, used: str | None
) -> str:
    """The warning for a higher group whose 2xx pages listed no files (``used``: the group
    the project was then taken from; None when no lower group served it either)."""
    then = (
        f"taking {project!r} from group {used!r}"
        if used is not None
        else f"no lower group served {project!r} either"
    )
    pages = "the page" if len(urls) == 1 else "the pages"
    return (
        f"index group {group!r} answered HTTP {status} for {project!r} at "
        f"{', '.join(redact_url(url) for url in urls)}, but {pages} listed no files; {then} "
        "(a login page or an outage looks the same)"
    )


def redirect_line(project: str, group: str, url: str, target: str, target_group: str | None) -> str:
    """The ``-v`` line for a location that redirected (the group stays the configured one)."""
    where = f", a page of group {target_group!r}" if target_group is not None else ""
    return (
        f"{project}: index group {group!r}: {redact_url(url)} redirected to "
        f"{redact_url(target)}{where}; its answer counts for group {group!r}"
    )


def chosen_line(project: str, group: str, url: str | None) -> str:
    where = f" ({redact_url(url)})" if url else ""
    return f"{project}: index group {group!r}{where}"


def fallthrough_line(project: str, requirement: str, skipped: Sequence[str], used: str) -> str:
    groups = ", ".join(repr(name) for name in skipped)
    noun = "group" if len(skipped) == 1 else "groups"
    return (
        f"{project}: no candidate in {noun} {groups} satisfies {requirement}; using group {used!r}"
    )


def unsatisfied_line(project: str, requirement: str, group: str, lower: Sequence[str]) -> str:
    return (
        f"{project}: index group {group!r} has files for {project} but none satisfies "
        f"{requirement} here; index-strategy=first-match does not look in lower groups "
        f"({', '.join(repr(name) for name in lower)}); index-strategy=fallthrough would"
    )

"""Symlinks in wheels (PEP 778): which links a wheel may create, decided before extraction.

Pure policy: it reads member names, RECORD rows and LINKS bytes handed in by the caller,
never the file system, and imports neither pip nor anything outside the standard library.
Decisions and rule numbers refer to ``shared/spec/symlinks.md`` (§5 decisions, §6 steps).

A LINKS row is ``source,target``: *source* is the link to create, *target* the existing
path it points at. Both are relative to the wheel's lib directory (RECORD's path space)
with ``/`` separators. A zip member whose mode is ``S_IFLNK`` is a link too; its text is
relative to the member's folder (§8).

Every refusal is a :class:`LinkError` whose ``str()`` is one line naming the wheel, the
link (or the LINKS line) and a short, stable rule string (the ``RULE_*`` constants).
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import re
import stat
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from wheelnext_pip.errors import WheelnextPipError

__all__ = [
    "MAX_CHAIN",
    "RULES",
    "LinkError",
    "LinkPlan",
    "PlannedLink",
    "check_links_recorded",
    "is_zip_symlink",
    "parse_links_file",
    "plan_links",
    "zip_link_target",
]

#: Mirrors the common operating-system limit on symlinks followed in one lookup
#: (Linux ``MAXSYMLINKS``): a longer chain would fail with ELOOP once installed.
MAX_CHAIN = 40

ORIGIN_LINKS = "LINKS"
ORIGIN_ZIP = "zip"

# Rule strings: tests and callers match on them, so they only ever gain entries.
RULE_EMPTY = "empty path"
RULE_NUL = "NUL in path"
RULE_BACKSLASH = "backslash in path"
RULE_ABSOLUTE = "absolute path"
RULE_ESCAPES = "path escapes with '..'"
RULE_DOTDOT = "'..' segment in path"
RULE_DOT = "'.' segment in path"
RULE_EMPTY_SEGMENT = "empty segment in path"
RULE_METADATA = "inside .dist-info or .data"
RULE_OUTSIDE = "outside the wheel's packages"
RULE_DUPLICATE = "duplicate source"
RULE_FILE = "collides with a file of the wheel"
RULE_FOLDER = "collides with a folder of the wheel"
RULE_THROUGH = "passes through another link"
RULE_CYCLE = "cycle"
RULE_CHAIN = f"chain longer than {MAX_CHAIN} links"
RULE_DANGLING = "dangling target (not in the wheel)"
RULE_NOT_RECORDED = "not listed in RECORD"
RULE_HASH = "hash does not match RECORD"
RULE_MALFORMED = "malformed row"

RULES: tuple[str, ...] = (
    RULE_EMPTY,
    RULE_NUL,
    RULE_BACKSLASH,
    RULE_ABSOLUTE,
    RULE_ESCAPES,
    RULE_DOTDOT,
    RULE_DOT,
    RULE_EMPTY_SEGMENT,
    RULE_METADATA,
    RULE_OUTSIDE,
    RULE_DUPLICATE,
    RULE_FILE,
    RULE_FOLDER,
    RULE_THROUGH,
    RULE_CYCLE,
    RULE_CHAIN,
    RULE_DANGLING,
    RULE_NOT_RECORDED,
    RULE_HASH,
    RULE_MALFORMED,
)

_DRIVE = re.compile(r"^[A-Za-z]:")


def _show(text: str) -> str:
    # Paths come from the wheel: a newline would forge a second log line, and a lone
    # surrogate (undecodable link text) would make printing the message itself fail.
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else ascii(char)[1:-1] for char in text)


class LinkError(WheelnextPipError, ValueError):
    """A wheel's links break a rule.

    ``str()`` is one line: ``<wheel>: link <source> -> <target>: <rule>``, followed by
    `` (<detail>)`` when there is more to say. When the problem is the LINKS file itself
    rather than one link, ``target`` is ``None`` and ``source`` names the file or line:
    ``<wheel>: <source>: <rule>``.
    """

    def __init__(
        self, wheel: str, source: str, target: str | None, rule: str, detail: str = ""
    ) -> None:
        self.wheel = wheel
        self.source = source
        self.target = target
        self.rule = rule
        self.detail = detail
        subject = _show(source) if target is None else f"link {_show(source)} -> {_show(target)}"
        suffix = f" ({_show(detail)})" if detail else ""
        super().__init__(f"{_show(wheel)}: {subject}: {rule}{suffix}")


@dataclass(frozen=True)
class PlannedLink:
    """One link to create, validated."""

    #: Path of the link to create, relative to the lib directory, ``/`` separators.
    source: str
    #: The path it points at (same path space); may itself be another link's source.
    target: str
    #: What ``os.symlink`` gets: *target* relative to the folder of *source*.
    relative: str
    #: The end of the chain is a directory (``target_is_directory``, copy fallback).
    is_dir: bool
    #: The member file or member directory the chain ends at.
    final_target: str
    #: ``"LINKS"`` (a row of ``.dist-info/LINKS``) or ``"zip"`` (an ``S_IFLNK`` member).
    origin: str


@dataclass(frozen=True)
class LinkPlan:
    """Every link of one wheel: LINKS rows in file order, then zip links by member path."""

    links: tuple[PlannedLink, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.links)

    def by_source(self) -> dict[str, PlannedLink]:
        return {link.source: link for link in self.links}


def is_zip_symlink(external_attr: int) -> bool:
    """Whether a zip member's Unix mode (high 16 bits of ``external_attr``) is a symlink."""
    return stat.S_ISLNK(external_attr >> 16)


# -- LINKS file: RECORD entry and CSV ---------------------------------------------------


def _record_digest(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode("ascii")


def check_links_recorded(
    record_rows: Iterable[Sequence[str]], links_path: str, data: bytes, *, wheel: str
) -> None:
    """LINKS must be listed in RECORD with a sha256 hash that matches its bytes (§6.1).

    Every RECORD row naming ``links_path`` must carry the matching hash: a second row
    with another hash would leave it open which one a tool trusts.
    """
    expected = _record_digest(data)
    listed = False
    for row in record_rows:
        if not row or row[0] != links_path:
            continue
        listed = True
        recorded = row[1] if len(row) > 1 else ""
        algorithm, _, digest = recorded.partition("=")
        if algorithm != "sha256":
            shown = f"{algorithm} hash" if algorithm else "no hash"
            raise LinkError(wheel, links_path, None, RULE_HASH, f"RECORD has {shown}, not sha256")
        # RECORD digests are unpadded; tolerate padding written by other tools.
        if digest.rstrip("=") != expected:
            raise LinkError(wheel, links_path, None, RULE_HASH)
    if not listed:
        raise LinkError(wheel, links_path, None, RULE_NOT_RECORDED)


def parse_links_file(data: bytes, *, wheel: str, path: str = "LINKS") -> list[tuple[str, str]]:
    """The ``(source, target)`` rows of a LINKS file (§6.2).

    UTF-8 CSV as in RECORD; blank lines are ignored; every other row has exactly two
    fields, kept verbatim (no stripping: a path is exactly what the row says). A source
    named twice is refused. ``path`` only names the file in messages.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise LinkError(wheel, f"{path} line {line}", None, RULE_MALFORMED, "not UTF-8") from None
    rows: list[tuple[str, str]] = []
    seen: dict[str, int] = {}
    # newline="" hands line endings to csv, so quoted fields and CRLF files parse as RECORD.
    reader = csv.reader(io.StringIO(text, newline=""))
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            # e.g. NUL bytes on Python < 3.11, an unterminated quote, an oversized field.
            where = f"{path} line {reader.line_num}"
            raise LinkError(wheel, where, None, RULE_MALFORMED, str(exc)) from None
        line = reader.line_num
        if not row or (len(row) == 1 and not row[0].strip()):
            continue  # a blank line (a line like "," is a row with two empty paths)
        if len(row) != 2:
            count = f"{len(row)} field" + ("" if len(row) == 1 else "s")
            raise LinkError(
                wheel,
                f"{path} line {line} {','.join(row)!r}",
                None,
                RULE_MALFORMED,
                f"{count}, expected source,target",
            )
        source, target = row
        if source in seen:
            raise LinkError(
                wheel, source, target, RULE_DUPLICATE, f"{path} lines {seen[source]} and {line}"
            )
        seen[source] = line
        rows.append((source, target))
    return rows


# -- path rules -------------------------------------------------------------------------


def _syntax_problem(path: str) -> str | None:
    """The §5 "path syntax" rule a path breaks, or None."""
    if not path:
        return RULE_EMPTY
    if "\x00" in path:
        return RULE_NUL
    if "\\" in path:
        return RULE_BACKSLASH
    if path.startswith("/") or _DRIVE.match(path):
        return RULE_ABSOLUTE
    segments = path.split("/")
    if ".." in segments:
        depth = 0
        for segment in segments:
            depth += -1 if segment == ".." else 1
            if depth < 0:
                return RULE_ESCAPES
        return RULE_DOTDOT
    if "." in segments:
        return RULE_DOT
    if "" in segments:
        return RULE_EMPTY_SEGMENT
    return None


def _normalize(path: str) -> str | None:
    """Collapse ``.``, ``..`` and empty segments; None if the path climbs above the root."""
    parts: list[str] = []
    for segment in path.split("/"):
        if segment in ("", "."):
            continue
        if segment == "..":
            if not parts:
                return None
            parts.pop()
        else:
            parts.append(segment)
    return "/".join(parts)


def zip_link_target(member: str, link_text: str, *, wheel: str = "<wheel>") -> str:
    """The member path a zip ``S_IFLNK`` member points at (§8).

    The text is relative to the member's folder: it is joined to that folder and
    normalised. Absolute text (``/x``, ``C:x``, backslashes) or text that climbs above the
    wheel's root, even on the way, raises :class:`LinkError`. ``wheel`` names the wheel
    in that message.
    """
    problem: str | None = None
    if not link_text:
        problem = RULE_EMPTY
    elif "\x00" in link_text:
        problem = RULE_NUL
    elif "\\" in link_text:
        problem = RULE_BACKSLASH
    elif link_text.startswith("/") or _DRIVE.match(link_text):
        problem = RULE_ABSOLUTE
    if problem is not None:
        raise LinkError(wheel, member, link_text, problem)
    folder = member.rpartition("/")[0]
    # The OS resolves each '..' as it comes, so climbing out and back in still leaves
    # the lib directory: normalising the joined path stops at the first escape. The link
    # is then created from the normalised path (PlannedLink.relative), not from the text,
    # so a '..' in the text never meets a directory link on disk.
    joined = _normalize(f"{folder}/{link_text}" if folder else link_text)
    if joined is None:
        raise LinkError(wheel, member, link_text, RULE_ESCAPES)
    if not joined:
        raise LinkError(wheel, member, link_text, RULE_EMPTY, "points at the wheel's root")
    return joined


def _top(path: str) -> str:
    return path.partition("/")[0]


def _is_metadata_dir(top: str) -> bool:
    return top.endswith((".dist-info", ".data"))


def _fold(path: str) -> str:
    # macOS and Windows file systems ignore case (APFS also Unicode normalisation), so
    # names that differ only there are one path once installed: compare them folded.
    return unicodedata.normalize("NFC", path).casefold()


def _parents(path: str) -> list[str]:
    """Proper ancestor folders, outermost first: ``a/b/c`` -> ``a``, ``a/b``."""
    parts = path.split("/")
    return ["/".join(parts[:i]) for i in range(1, len(parts))]


def _relative(target: str, source: str) -> str:
    # posixpath.relpath would consult os.getcwd(); both paths share one root here.
    base = source.split("/")[:-1]
    goal = target.split("/")
    common = 0
    while common < min(len(base), len(goal)) and base[common] == goal[common]:
        common += 1
    return "/".join([".."] * (len(base) - common) + goal[common:]) or "."


@dataclass(frozen=True)
class _Link:
    source: str
    target: str
    origin: str


class _Members:
    """What the wheel installs, as plain files and the folders they imply."""

    def __init__(self, members: Iterable[str], zip_links: Mapping[str, str]) -> None:
        self.files: set[str] = set()
        self.directories: set[str] = set()  # folders holding at least one member file
        occupied: dict[str, str] = {}  # folded path -> the member path it comes from
        entries: list[str] = []
        for member in members:
            entries.append(member)
            if member in zip_links:
                continue  # a link, not a file: it exists once the plan has made it
            if member.endswith("/"):
                # An explicit folder entry holds no file, but a link cannot replace it.
                folder = member.rstrip("/")
                for path in [*_parents(folder), folder]:
                    occupied.setdefault(_fold(path), member)
                continue
            self.files.add(member)
            self.directories.update(_parents(member))
        # Files last: when names clash, the message names the file.
        for path in [*sorted(self.directories), *sorted(self.files)]:
            occupied[_fold(path)] = path
        self.occupied = occupied
        self.entries = sorted(set(entries))
        # §5 scope: the names the wheel itself installs at the top of its lib directory.
        self.tops = {_top(path) for path in self.files if not _is_metadata_dir(_top(path))}


def plan_links(
    *,
    wheel: str,
    members: Iterable[str],
    link_rows: Sequence[tuple[str, str]] = (),
    zip_links: Mapping[str, str] | None = None,
) -> LinkPlan:
    """Validate every link of a wheel before a single file is written (§6 steps 3-7).

    ``members`` are every zip member path (folders may appear with a trailing ``/``);
    ``link_rows`` the LINKS rows ``(source, target)``; ``zip_links`` maps the members
    whose zip mode is ``S_IFLNK`` to their link text (those members are links, not
    files). Returns the plan, or raises :class:`LinkError` for the first broken rule.
    """
    texts = dict(zip_links or {})
    wheel_members = _Members(members, texts)
    links = [_Link(source, target, ORIGIN_LINKS) for source, target in link_rows]
    links += [
        _Link(member, zip_link_target(member, texts[member], wheel=wheel), ORIGIN_ZIP)
        for member in sorted(texts)
    ]

    for link in links:
        _check_paths(wheel, link, wheel_members.tops)
    targets = _check_sources(wheel, links, wheel_members)
    _check_through_links(wheel, links, targets, wheel_members)
    finals = {link.source: _resolve(wheel, link, targets, wheel_members) for link in links}
    _check_directory_loops(wheel, links, finals, wheel_members)

    return LinkPlan(
        tuple(
            PlannedLink(
                source=link.source,
                target=link.target,
                relative=_relative(link.target, link.source),
                is_dir=finals[link.source] in wheel_members.directories,
                final_target=finals[link.source],
                origin=link.origin,
            )
            for link in links
        )
    )


def _check_paths(wheel: str, link: _Link, tops: set[str]) -> None:
    """§6.3: syntax and scope of both ends."""
    for path in (link.source, link.target):
        problem = _syntax_problem(path)
        if problem is not None:
            raise LinkError(wheel, link.source, link.target, problem)
    for path in (link.source, link.target):
        top = _top(path)
        if _is_metadata_dir(top):
            raise LinkError(wheel, link.source, link.target, RULE_METADATA)
        if top not in tops:
            raise LinkError(wheel, link.source, link.target, RULE_OUTSIDE)


def _check_sources(wheel: str, links: Sequence[_Link], members: _Members) -> dict[str, str]:
    """§6.2/§6.4: one link per source, and no source where the wheel has a file or folder.

    Returns source -> target.
    """
    seen: dict[str, str] = {}  # folded source -> source
    targets: dict[str, str] = {}
    for link in links:
        folded = _fold(link.source)
        if folded in seen:
            other = seen[folded]
            detail = "" if other == link.source else f"same path as {other} ignoring case"
            raise LinkError(wheel, link.source, link.target, RULE_DUPLICATE, detail)
        seen[folded] = link.source
        targets[link.source] = link.target
        clash = members.occupied.get(folded)
        if clash is not None:
            rule = RULE_FILE if clash in members.files else RULE_FOLDER
            if clash in members.files or clash.endswith("/"):
                detail = "" if clash == link.source else clash
            else:
                detail = _first_under(members.entries, clash)
            raise LinkError(wheel, link.source, link.target, rule, detail)
        for parent in _parents(link.source):
            clash = members.occupied.get(_fold(parent))
            if clash is not None and clash in members.files:
                raise LinkError(wheel, link.source, link.target, RULE_FILE, f"{clash} is a file")
    return targets


def _first_under(entries: Sequence[str], folder: str) -> str:
    # Names a member that makes `folder` a folder of the wheel, for the message.
    key = _fold(folder) + "/"
    return next((e for e in entries if not e.endswith("/") and _fold(e).startswith(key)), folder)


def _check_through_links(
    wheel: str, links: Sequence[_Link], targets: Mapping[str, str], members: _Members
) -> None:
    """§6.5: nothing is written or resolved through a link.

    A link source must not be a proper prefix (``source + '/'``) of any member path, link
    source or link target: a directory link ``pkg/d`` would otherwise carry a member
    ``pkg/d/evil`` or a row ``pkg/d/f`` to wherever ``pkg/d`` points (S5).
    """
    sources = {_fold(source): source for source in targets}

    def through(path: str) -> str | None:
        return next((sources[f] for f in map(_fold, _parents(path)) if f in sources), None)

    for link in links:
        for path in (link.source, link.target):
            via = through(path)
            if via is not None:
                raise LinkError(
                    wheel, link.source, link.target, RULE_THROUGH, f"{path} is under link {via}"
                )
    for entry in members.entries:
        via = through(entry.rstrip("/"))
        if via is not None:
            raise LinkError(wheel, via, targets[via], RULE_THROUGH, f"member {entry} is under it")


def _resolve(wheel: str, link: _Link, targets: Mapping[str, str], members: _Members) -> str:
    """§6.6: follow a chain to the member file or folder it ends at."""
    visited = [link.source]
    current = link.target
    while current in targets:
        if current in visited:
            loop = " -> ".join([*visited[visited.index(current) :], current])
            raise LinkError(wheel, link.source, link.target, RULE_CYCLE, loop)
        if len(visited) >= MAX_CHAIN:
            raise LinkError(wheel, link.source, link.target, RULE_CHAIN)
        visited.append(current)
        current = targets[current]
    # Only what this wheel installs counts: a path that happens to exist on disk (from
    # another distribution, or planted) would make the link meaningful later (S2).
    if current not in members.files and current not in members.directories:
        detail = "" if current == link.target else f"the chain ends at {current}"
        raise LinkError(wheel, link.source, link.target, RULE_DANGLING, detail)
    return current


def _check_directory_loops(
    wheel: str, links: Sequence[_Link], finals: Mapping[str, str], members: _Members
) -> None:
    """No directory link may lead back to itself through the folders it exposes.

    ``pkg/sub/up -> pkg`` makes ``pkg/sub/up/sub/up/...`` endless, and so do two links
    each inside the other's target: a cycle on disk, though not in the LINKS rows.
    Graph: directory link -> its final folder -> every directory link inside that folder.
    """
    by_source = {link.source: link for link in links}
    dir_links = [link.source for link in links if finals[link.source] in members.directories]
    inside: dict[str, list[str]] = {}  # folder -> directory links somewhere under it
    for source in dir_links:
        for parent in _parents(source):
            inside.setdefault(parent, []).append(source)

    done: set[str] = set()
    for start in dir_links:
        if start in done:
            continue
        # Iterative depth-first search over links; `path` is the current chain of links.
        path: list[str] = []
        on_path: set[str] = set()
        stack: list[tuple[str, bool]] = [(start, True)]
        while stack:
            source, entering = stack.pop()
            if not entering:
                path.pop()
                on_path.discard(source)
                done.add(source)
                continue
            if source in on_path:
                loop = path[path.index(source) :]
                first = min(loop, key=lambda s: links.index(by_source[s]))
                link = by_source[first]
                detail = "directory loop: " + ", ".join(
                    f"{s} -> {by_source[s].target}" for s in loop
                )
                raise LinkError(wheel, link.source, link.target, RULE_CYCLE, detail)
            if source in done:
                continue
            path.append(source)
            on_path.add(source)
            stack.append((source, False))
            for nested in reversed(inside.get(finals[source], [])):
                stack.append((nested, True))

"""Symlinks in wheels (PEP 778): which links a wheel may create, decided before extraction.

Pure policy: it reads member names, RECORD rows and LINKS bytes handed in by the caller,
never the file system, and imports neither pip nor anything outside the standard library.
The rules follow PEP 778 and are named by the ``RULE_*`` constants below.

A LINKS row is ``source,target``: *source* is the link to create, *target* the existing
path it points at. Both are relative to the wheel's lib directory (RECORD's path space)
with ``/`` separators. A zip member whose mode is ``S_IFLNK`` is a link too; its text is
relative to the member's folder, as a POSIX symlink's text is.

Every refusal is a :class:`LinkError` whose ``str()`` is one line naming the wheel, the
link (or the LINKS line) and a short, stable rule string (the ``RULE_*`` constants).

:func:`read_links` is the one reader of a wheel's links (the installer and ``relink`` both
use it), and :func:`wheel_version_problem` the one rule on ``Wheel-Version``.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import re
import stat
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from wheelnext_pip.errors import WheelnextPipError

__all__ = [
    "LINKS_WHEEL_VERSION",
    "MAX_CHAIN",
    "RULES",
    "LinkError",
    "LinkPlan",
    "PlannedLink",
    "check_links_recorded",
    "is_zip_symlink",
    "link_inputs",
    "parse_links_file",
    "parse_record",
    "parse_wheel_version",
    "plan_links",
    "read_links",
    "wheel_version_problem",
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
RULE_CONTROL = "control character in path"

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
    RULE_CONTROL,
)

_DRIVE = re.compile(r"^[A-Za-z]:")
# C0 controls, DEL and C1 controls, plus the two Unicode line separators: pip reads an
# installed RECORD with str.splitlines(), which also breaks at \x1c-\x1e, \x85, U+2028 and
# U+2029, so a link named with any of them would be recorded but never uninstalled.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


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
    """LINKS must be listed in RECORD with a sha256 hash that matches its bytes: a file
    that RECORD does not vouch for is not trusted.

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
    """The ``(source, target)`` rows of a LINKS file (CSV, like RECORD).

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


def parse_record(data: bytes, *, wheel: str, path: str = "RECORD") -> list[list[str]]:
    """The rows of a wheel's RECORD, for :func:`check_links_recorded`.

    RECORD is UTF-8 CSV (PEP 376, PEP 627): bytes that are not, or a row csv cannot read,
    refuse the wheel with one line naming the file and line. ``path`` names the file.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise LinkError(wheel, f"{path} line {line}", None, RULE_MALFORMED, "not UTF-8") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        return [row for row in reader if row]
    except csv.Error as exc:
        where = f"{path} line {reader.line_num}"
        raise LinkError(wheel, where, None, RULE_MALFORMED, str(exc)) from None


# -- a wheel's links, read once ---------------------------------------------------------


def _links_files(members: Iterable[str]) -> list[tuple[str, str]]:
    """``(LINKS, RECORD)`` member paths of every ``.dist-info`` folder that has a LINKS file."""
    names = set(members)
    folders = sorted({name.partition("/")[0] for name in names if "/" in name})
    return [
        (f"{folder}/LINKS", f"{folder}/RECORD")
        for folder in folders
        if folder.endswith(".dist-info") and f"{folder}/LINKS" in names
    ]


def link_inputs(members: Iterable[str]) -> list[str]:
    """The members whose bytes :func:`read_links` needs: each ``.dist-info/LINKS`` and the
    RECORD beside it, where the wheel has one."""
    names = set(members)
    found: list[str] = []
    for links_path, record_path in _links_files(names):
        found.append(links_path)
        if record_path in names:
            found.append(record_path)
    return found


def read_links(
    *,
    wheel: str,
    members: Sequence[str],
    contents: Mapping[str, bytes],
    zip_links: Mapping[str, bytes],
) -> LinkPlan:
    """Every link of a wheel, validated; raises :class:`LinkError` for the first bad one.

    ``members`` are the wheel's member paths, ``contents`` the bytes of the members
    :func:`link_inputs` names, ``zip_links`` the bytes of each member whose zip mode is
    ``S_IFLNK`` (:func:`is_zip_symlink`). Each LINKS file must be vouched for by its RECORD
    (:func:`check_links_recorded`); its rows and the zip links then go to :func:`plan_links`.
    """
    names = list(members)
    link_rows: list[tuple[str, str]] = []
    for links_path, record_path in _links_files(names):
        data = contents[links_path]
        record = contents.get(record_path)
        rows = [] if record is None else parse_record(record, wheel=wheel, path=record_path)
        check_links_recorded(rows, links_path, data, wheel=wheel)
        link_rows.extend(parse_links_file(data, wheel=wheel))
    if not link_rows and not zip_links:
        return LinkPlan(())
    # A zip link's text names a path; bytes that are not UTF-8 keep their value (and are
    # refused by the path rules rather than by a decoding error).
    texts = {member: data.decode("utf-8", "surrogateescape") for member, data in zip_links.items()}
    return plan_links(wheel=wheel, members=names, link_rows=link_rows, zip_links=texts)


# -- Wheel-Version -----------------------------------------------------------------------

#: The Wheel-Version a wheel with a LINKS file declares (PEP 778): installers that do not
#: know links then refuse it instead of installing it without them.
LINKS_WHEEL_VERSION: tuple[int, int] = (2, 0)


def parse_wheel_version(text: str) -> tuple[int, ...] | None:
    """WHEEL's ``Wheel-Version`` value as numbers (``"2.0"`` -> ``(2, 0)``), read as pip
    reads it: blanks around it ignored, any number of numeric components. None if it is not
    such a value."""
    try:
        return tuple(int(part) for part in text.strip().split("."))
    except ValueError:
        return None


def wheel_version_problem(version: Sequence[int], *, has_links: bool) -> str | None:
    """Why a wheel of this Wheel-Version, with or without a ``.dist-info/LINKS`` file,
    cannot be installed with links; None when it can.

    - a wheel with LINKS declares Wheel-Version 2 (PEP 778), so that installers that do
      not know links refuse it;
    - Wheel-Version 2 without LINKS uses Wheel-Version 2 features (PEP 777) that are not
      known here: LINKS is the only one implemented;
    - Wheel-Version 3 and later are refused, as pip refuses them.

    A later 2.x minor version is accepted (minor versions are compatible by definition);
    the caller warns that it is newer than :data:`LINKS_WHEEL_VERSION`.
    """
    shown = ".".join(map(str, version))
    major = version[0] if version else 0
    if major > LINKS_WHEEL_VERSION[0]:
        return f"Wheel-Version {shown} is not supported"
    if has_links and major < LINKS_WHEEL_VERSION[0]:
        return f"LINKS needs Wheel-Version 2.0 but WHEEL says {shown}"
    if major == LINKS_WHEEL_VERSION[0] and not has_links:
        return (
            "it uses Wheel-Version 2 features that wheelnext-pip does not know; "
            "wheelnext-pip supports .dist-info/LINKS only"
        )
    return None


# -- path rules -------------------------------------------------------------------------


def _syntax_problem(path: str) -> str | None:
    """The path-syntax rule a path breaks (relative, ``/``-separated, no ``..``), or None."""
    if not path:
        return RULE_EMPTY
    if "\x00" in path:
        return RULE_NUL
    if _CONTROL.search(path):
        return RULE_CONTROL
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


def _control_detail(path: str, rule: str | None) -> str:
    """Names the first control character of a path refused for one."""
    match = _CONTROL.search(path) if rule == RULE_CONTROL else None
    return f"U+{ord(match.group()):04X}" if match else ""


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
    """The member path a zip ``S_IFLNK`` member points at.

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
    elif _CONTROL.search(link_text):
        problem = RULE_CONTROL
    elif "\\" in link_text:
        problem = RULE_BACKSLASH
    elif link_text.startswith("/") or _DRIVE.match(link_text):
        problem = RULE_ABSOLUTE
    if problem is not None:
        raise LinkError(wheel, member, link_text, problem, _control_detail(link_text, problem))
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


def _prefix(path: str, depth: int) -> str:
    """The first ``depth`` segments of a path (``a/b/c``, 2 -> ``a/b``)."""
    return "/".join(path.split("/")[:depth])


def _relative(target: str, source: str) -> str:
    # posixpath.relpath would consult os.getcwd(); both paths share one root here.
    base = source.split("/")[:-1]
    goal = target.split("/")
    common = 0
    while common < min(len(base), len(goal)) and base[common] == goal[common]:
        common += 1
    return "/".join([".."] * (len(base) - common) + goal[common:]) or "."


class _Tree:
    """Paths as nodes of a tree of segments, each node a number.

    Every folder of a path is found or added in one pass over its segments, so a path of
    n segments costs O(n), never the O(n^2) of building each prefix as a string. With
    ``folded`` the segments are compared as :func:`_fold` leaves them (folding segment by
    segment folds the path: neither NFC nor casefold ever combines across a ``/``).
    """

    def __init__(self, *, folded: bool) -> None:
        self._nodes: dict[tuple[int, str], int] = {}
        self._folded = folded

    def add(self, path: str) -> list[int]:
        """The node of each prefix of ``path``, outermost first, the path itself last."""
        nodes = self._nodes
        node = -1
        found: list[int] = []
        for segment in path.split("/"):
            key = (node, _fold(segment) if self._folded else segment)
            node = nodes.get(key, -1)
            if node < 0:
                node = nodes[key] = len(nodes)
            found.append(node)
        return found

    def find(self, path: str) -> int | None:
        """The node of ``path`` if it was added (as a path or a folder of one)."""
        node = -1
        for segment in path.split("/"):
            found = self._nodes.get((node, _fold(segment) if self._folded else segment))
            if found is None:
                return None
            node = found
        return node


# What occupies a folded path, strongest first: a member file, a folder holding one, an
# explicit folder entry of the zip ("pkg/empty/").
_FILE, _FOLDER, _ENTRY = 0, 1, 2


@dataclass(frozen=True)
class _Link:
    source: str
    target: str
    origin: str


class _Members:
    """What the wheel installs, as plain files and the folders they imply."""

    def __init__(self, members: Iterable[str], zip_links: Mapping[str, str]) -> None:
        self.exact = _Tree(folded=False)
        self.folded = _Tree(folded=True)
        self.files: set[int] = set()  # exact nodes of member files
        self.directories: set[int] = set()  # exact nodes of folders holding a member file
        # folded node -> (kind, member path, segments): what is there, for the messages.
        self.occupied: dict[int, tuple[int, str, int]] = {}
        self.tops: set[str] = set()
        entries: set[str] = set()
        files: list[str] = []
        for member in members:
            entries.add(member)
            if member in zip_links:
                continue  # a link, not a file: it exists once the plan has made it
            if member.endswith("/"):
                # An explicit folder entry holds no file, but a link cannot replace it.
                for node in self.folded.add(member.rstrip("/")):
                    self.occupied.setdefault(node, (_ENTRY, member, 0))
                continue
            files.append(member)
        for member in files:
            nodes = self.exact.add(member)
            self.files.add(nodes[-1])
            self.directories.update(nodes[:-1])
            folded = self.folded.add(member)
            for depth, node in enumerate(folded[:-1], 1):
                if self.occupied.get(node, (_ENTRY,))[0] > _FOLDER:
                    self.occupied[node] = (_FOLDER, member, depth)
            # Files win, and of files that fold alike the last in sorted order, so the
            # message names the same one whatever the archive order.
            kind, other, _ = self.occupied.get(folded[-1], (_ENTRY, "", 0))
            if kind != _FILE or member > other:
                self.occupied[folded[-1]] = (_FILE, member, len(folded))
            top = _top(member)
            if not _is_metadata_dir(top):
                # Scope: the names the wheel itself installs at the top of its lib directory.
                self.tops.add(top)
        self.entries = sorted(entries)

    def node(self, path: str) -> int | None:
        return self.exact.find(path)

    def exists(self, path: str) -> bool:
        node = self.exact.find(path)
        return node is not None and (node in self.files or node in self.directories)

    def is_directory(self, path: str) -> bool:
        node = self.exact.find(path)
        return node is not None and node in self.directories


def plan_links(
    *,
    wheel: str,
    members: Iterable[str],
    link_rows: Sequence[tuple[str, str]] = (),
    zip_links: Mapping[str, str] | None = None,
) -> LinkPlan:
    """Validate every link of a wheel before a single file is written.

    ``members`` are every zip member path (folders may appear with a trailing ``/``);
    ``link_rows`` the LINKS rows ``(source, target)``; ``zip_links`` maps the members
    whose zip mode is ``S_IFLNK`` to their link text (those members are links, not
    files). Returns the plan, or raises :class:`LinkError` for the first broken rule.

    Time is linear in the size of the input (paths, rows, members): every step is a
    dictionary lookup per path segment, chains are resolved once with memoisation, and
    loops through directory links are found on a graph whose size is that of the input.
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
    finals = _resolve_all(wheel, links, targets, wheel_members)
    _check_directory_loops(wheel, links, finals, wheel_members)

    return LinkPlan(
        tuple(
            PlannedLink(
                source=link.source,
                target=link.target,
                relative=_relative(link.target, link.source),
                is_dir=wheel_members.is_directory(finals[link.source]),
                final_target=finals[link.source],
                origin=link.origin,
            )
            for link in links
        )
    )


def _check_paths(wheel: str, link: _Link, tops: set[str]) -> None:
    """Syntax and scope of both ends of every link."""
    for path in (link.source, link.target):
        problem = _syntax_problem(path)
        if problem is not None:
            detail = _control_detail(path, problem)
            raise LinkError(wheel, link.source, link.target, problem, detail)
    for path in (link.source, link.target):
        top = _top(path)
        if _is_metadata_dir(top):
            raise LinkError(wheel, link.source, link.target, RULE_METADATA)
        if top not in tops:
            raise LinkError(wheel, link.source, link.target, RULE_OUTSIDE)


def _check_sources(wheel: str, links: Sequence[_Link], members: _Members) -> dict[str, str]:
    """One link per source, and no source where the wheel has a file or folder.

    Returns source -> target.
    """
    seen: dict[int, str] = {}  # folded node of a source -> source
    targets: dict[str, str] = {}
    occupied = members.occupied
    for link in links:
        nodes = members.folded.add(link.source)
        other = seen.get(nodes[-1])
        if other is not None:
            detail = "" if other == link.source else f"same path as {other} ignoring case"
            raise LinkError(wheel, link.source, link.target, RULE_DUPLICATE, detail)
        seen[nodes[-1]] = link.source
        targets[link.source] = link.target
        clash = occupied.get(nodes[-1])
        if clash is not None:
            kind, member, depth = clash
            if kind == _FILE:
                rule, detail = RULE_FILE, "" if member == link.source else member
            elif kind == _ENTRY:
                rule, detail = RULE_FOLDER, "" if member == link.source else member
            else:
                rule, detail = RULE_FOLDER, _first_under(members.entries, _prefix(member, depth))
            raise LinkError(wheel, link.source, link.target, rule, detail)
        for node in nodes[:-1]:
            clash = occupied.get(node)
            if clash is not None and clash[0] == _FILE:
                detail = f"{clash[1]} is a file"
                raise LinkError(wheel, link.source, link.target, RULE_FILE, detail)
    return targets


def _first_under(entries: Sequence[str], folder: str) -> str:
    # Names a member that makes `folder` a folder of the wheel, for the message (only
    # computed for the error, so a pass over every entry is fine).
    key = _fold(folder) + "/"
    return next((e for e in entries if not e.endswith("/") and _fold(e).startswith(key)), folder)


def _check_through_links(
    wheel: str, links: Sequence[_Link], targets: Mapping[str, str], members: _Members
) -> None:
    """Nothing is written or resolved through a link.

    A link source must not be a proper prefix (``source + '/'``) of any member path, link
    source or link target: a directory link ``pkg/d`` would otherwise carry a member
    ``pkg/d/evil`` or a row ``pkg/d/f`` to wherever ``pkg/d`` points (S5).
    """
    tree = members.folded
    sources = {tree.add(source)[-1]: source for source in targets}

    def through(path: str) -> str | None:
        return next((sources[n] for n in tree.add(path)[:-1] if n in sources), None)

    for link in links:
        for path in (link.source, link.target):
            via = through(path)
            if via is not None:
                detail = f"{path} is under link {via}"
                raise LinkError(wheel, link.source, link.target, RULE_THROUGH, detail)
    for entry in members.entries:
        via = through(entry.rstrip("/"))
        if via is not None:
            raise LinkError(wheel, via, targets[via], RULE_THROUGH, f"member {entry} is under it")


@dataclass
class _Chain:
    """Where the chain of links starting at one source goes."""

    #: Distinct links on the chain, this one included.
    length: int
    #: The path the chain ends at (not a link source); "" when it ends in a cycle.
    final: str
    #: The first link of the cycle the chain runs into (itself if on the cycle), or "".
    cycle: str = ""


def _resolve_all(
    wheel: str, links: Sequence[_Link], targets: Mapping[str, str], members: _Members
) -> dict[str, str]:
    """Follow each chain to the member file or folder it ends at.

    Every link is walked once: a walk stops at the first link already resolved and
    reuses its result, so the whole pass is linear in the number of links. Then each link,
    in file order, is checked as if followed alone: a cycle reached within
    ``MAX_CHAIN`` links, a longer chain, or an end that is not in the wheel is refused.
    """
    chains: dict[str, _Chain] = {}
    for link in links:
        if link.source in chains:
            continue
        walk: list[str] = []
        position: dict[str, int] = {}
        current = link.source
        while current in targets and current not in chains and current not in position:
            position[current] = len(walk)
            walk.append(current)
            current = targets[current]
        if current in position:  # the walk closed a cycle: walk[start:] is the cycle
            start = position[current]
            for node in walk[start:]:
                chains[node] = _Chain(len(walk) - start, "", node)
            walk = walk[:start]
        after = chains.get(current, _Chain(0, current))
        for node in reversed(walk):
            cycle = after.cycle
            if cycle and after.cycle == targets[node]:
                cycle = targets[node]  # the next link is on the cycle: enter there
            after = chains[node] = _Chain(after.length + 1, after.final, cycle)

    finals: dict[str, str] = {}
    for link in links:
        chain = chains[link.source]
        if chain.length > MAX_CHAIN:
            raise LinkError(wheel, link.source, link.target, RULE_CHAIN)
        if chain.cycle:
            loop = [chain.cycle]
            while len(loop) == 1 or loop[-1] != chain.cycle:
                loop.append(targets[loop[-1]])
            raise LinkError(wheel, link.source, link.target, RULE_CYCLE, " -> ".join(loop))
        # Only what this wheel installs counts: a path that happens to exist on disk (from
        # another distribution, or planted) would make the link meaningful later (S2).
        if not members.exists(chain.final):
            detail = "" if chain.final == link.target else f"the chain ends at {chain.final}"
            raise LinkError(wheel, link.source, link.target, RULE_DANGLING, detail)
        finals[link.source] = chain.final
    return finals


def _check_directory_loops(
    wheel: str, links: Sequence[_Link], finals: Mapping[str, str], members: _Members
) -> None:
    """No directory link may lead back to itself through the folders it exposes.

    ``pkg/sub/up -> pkg`` makes ``pkg/sub/up/sub/up/...`` endless, and so do two links
    each inside the other's target: a cycle on disk, though not in the LINKS rows.
    A directory link exposes every directory link anywhere below its final folder. Rather
    than an edge to each of those (quadratic when links fan out into folders full of
    links), the graph holds the folders too: link -> its final folder, folder -> each
    child folder on the way to a directory link, and folder -> the links directly in it.
    Its size is that of the input, and a cycle in it is exactly a loop on disk.
    """
    order = {link.source: index for index, link in enumerate(links)}
    dir_links = [link for link in links if members.is_directory(finals[link.source])]
    if not dir_links:
        return
    # Nodes: folders are exact-tree nodes (>= 0); link i is -(i + 1).
    children: dict[int, dict[int, None]] = {}
    for link in dir_links:
        nodes = members.exact.add(link.source)
        for parent, child in zip(nodes[:-2], nodes[1:-1]):
            children.setdefault(parent, {})[child] = None
        if len(nodes) > 1:
            children.setdefault(nodes[-2], {})[-(order[link.source] + 1)] = None

    def successors(node: int) -> Iterable[int]:
        if node >= 0:
            return children.get(node, {})
        final = members.node(finals[links[-node - 1].source])
        return () if final is None else (final,)

    done: set[int] = set()
    for start_link in dir_links:
        start = -(order[start_link.source] + 1)
        if start in done:
            continue
        # Iterative depth-first search; `path` holds the nodes being explored.
        path: list[int] = [start]
        on_path: dict[int, int] = {start: 0}
        pending: list[Iterator[int]] = [iter(successors(start))]
        while pending:
            node = next(pending[-1], None)
            if node is None:
                pending.pop()
                finished = path.pop()
                del on_path[finished]
                done.add(finished)
                continue
            if node in on_path:
                _raise_directory_loop(wheel, links, path[on_path[node] :])
            if node in done:
                continue
            on_path[node] = len(path)
            path.append(node)
            pending.append(iter(successors(node)))


def _raise_directory_loop(wheel: str, links: Sequence[_Link], cycle: Sequence[int]) -> None:
    # The links on the cycle, named from the one that comes first in the wheel.
    indexes = [-node - 1 for node in cycle if node < 0]
    first = indexes.index(min(indexes))
    loop = [links[index] for index in indexes[first:] + indexes[:first]]
    detail = "directory loop: " + ", ".join(f"{link.source} -> {link.target}" for link in loop)
    raise LinkError(wheel, loop[0].source, loop[0].target, RULE_CYCLE, detail)

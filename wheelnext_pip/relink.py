"""Turn byte-identical shared-library aliases in a wheel into PEP 778 links.

    wheelnext-pip relink IN.whl -o OUTDIR
    wheelnext-pip relink --check WHEEL [WHEEL ...]

Build tools often ship ``libfoo.so``, ``libfoo.so.1`` and ``libfoo.so.1.2.3`` as three full
copies because wheels could not carry links. :func:`relink_wheel` keeps the most specific
name as the real file and replaces every identical alias by a row of
``{dist-info}/LINKS`` (Wheel-Version 2.0, PEP 778).
:func:`check_wheel` validates a wheel's links the way the installer does, without
installing anything.

Pure: stdlib and wheelnext-pip modules only, never pip.
"""

from __future__ import annotations

import argparse
import base64
import csv
import hashlib
import io
import os
import re
import shutil
import struct
import sys
import tempfile
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from wheelnext_pip._wheel_links import plan_of_archive
from wheelnext_pip.errors import WheelnextPipError
from wheelnext_pip.symlinks import (
    LINKS_WHEEL_VERSION,
    LinkError,
    LinkPlan,
    is_zip_symlink,
    parse_wheel_version,
    wheel_version_problem,
)

__all__ = [
    "RelinkError",
    "RelinkResult",
    "check_wheel",
    "find_aliases",
    "format_size",
    "main",
    "relink_wheel",
]

PROG = "wheelnext-pip relink"

# ELF: libfoo.so, libfoo.so.1, libfoo.so.1.2.3 (the ".so" delimits the stem, so it may hold dots).
_ELF_NAME = re.compile(r"^(?P<stem>lib.+?)\.so(?P<version>(?:\.[0-9]+)*)$")
# macOS: libfoo.dylib, libfoo.1.dylib, libfoo.1.2.3.dylib (numeric segments before ".dylib").
_MACHO_NAME = re.compile(r"^(?P<stem>lib.+?)(?P<version>(?:\.[0-9]+)*)\.dylib$")
_WHEEL_VERSION_LINE = re.compile(
    rb"^Wheel-Version:[ \t]*(?P<value>[^\r\n]*?)[ \t]*(?P<eol>\r?\n|$)"
)
_HASH_CHUNK = 1 << 20
_ZIP64_EXTRA_ID = 0x0001


class RelinkError(WheelnextPipError, ValueError):
    """A wheel cannot be relinked or checked; ``str()`` is one line naming the wheel."""

    def __init__(self, wheel: str, problem: str) -> None:
        self.wheel = wheel
        self.problem = problem
        super().__init__(f"{wheel}: {problem}")


@dataclass(frozen=True)
class RelinkResult:
    """What :func:`relink_wheel` wrote."""

    output: Path
    #: ``(source, target)`` rows of the new LINKS file: the alias made a link, the real file.
    links: tuple[tuple[str, str], ...]
    #: Size of the input wheel file.
    bytes_before: int
    #: Size of the output wheel file.
    bytes_after: int
    #: Uncompressed bytes of the alias members no longer in the wheel.
    payload_saved: int


@dataclass(frozen=True)
class _LibraryName:
    """A member whose file name follows the shared-library naming convention."""

    path: str
    folder: str
    kind: str
    stem: str
    version: tuple[int, ...]

    @property
    def rank(self) -> tuple[int, tuple[int, ...], str]:
        # The most specific name is the real file: most version components, then the
        # highest version, then the name, so the choice never depends on archive order.
        return (len(self.version), self.version, self.path)


def _library_name(path: str) -> _LibraryName | None:
    folder, _, name = path.rpartition("/")
    for kind, pattern in (("elf", _ELF_NAME), ("macho", _MACHO_NAME)):
        match = pattern.match(name)
        if match:
            digits = match.group("version").split(".")[1:]
            version = tuple(int(part) for part in digits)
            return _LibraryName(path, folder, kind, match.group("stem"), version)
    return None


def _in_metadata_or_data(path: str) -> bool:
    top = path.split("/", 1)[0]
    return top.endswith((".dist-info", ".data"))


def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return "sha256=" + digest.decode("ascii")


def _member_digest(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    # Streamed: the members worth relinking are the large ones.
    digest = hashlib.sha256()
    with archive.open(info) as stream:
        for chunk in iter(lambda: stream.read(_HASH_CHUNK), b""):
            digest.update(chunk)
    return digest.digest()


def find_aliases(archive: zipfile.ZipFile) -> list[tuple[str, str]]:
    """``(alias, real)`` pairs of byte-identical shared-library names, sorted by alias.

    Only regular-file members inside a package, outside ``*.dist-info/`` and ``*.data/``,
    are considered. Aliases are grouped by folder, naming convention and stem, compared by
    size and then by SHA-256; every alias points straight at its group's real file.
    """
    groups: dict[tuple[str, str, str], list[tuple[_LibraryName, zipfile.ZipInfo]]] = {}
    for info in archive.infolist():
        if info.is_dir() or is_zip_symlink(info.external_attr):
            continue
        if _in_metadata_or_data(info.filename):
            continue
        name = _library_name(info.filename)
        # A link must lie under a package the wheel installs (the scope rule): a library at
        # the root of the wheel has none once its file is gone.
        if name is not None and name.folder:
            groups.setdefault((name.folder, name.kind, name.stem), []).append((name, info))

    pairs: list[tuple[str, str]] = []
    for candidates in groups.values():
        by_size: dict[int, list[tuple[_LibraryName, zipfile.ZipInfo]]] = {}
        for name, info in candidates:
            by_size.setdefault(info.file_size, []).append((name, info))
        for same_size in by_size.values():
            if len(same_size) < 2:
                continue
            by_digest: dict[bytes, list[_LibraryName]] = {}
            for name, info in same_size:
                by_digest.setdefault(_member_digest(archive, info), []).append(name)
            for identical in by_digest.values():
                if len(identical) < 2:
                    continue
                real = max(identical, key=lambda name: name.rank)
                pairs += [(name.path, real.path) for name in identical if name is not real]
    return sorted(pairs)


# -- reading a wheel


@dataclass(frozen=True)
class _WheelLayout:
    dist_info: str
    wheel_path: str
    record_path: str
    links_path: str


def _layout(archive: zipfile.ZipFile, wheel: str) -> _WheelLayout:
    names = archive.namelist()
    if len(names) != len(set(names)):
        duplicate = next(name for name in names if names.count(name) > 1)
        raise RelinkError(wheel, f"archive member {duplicate!r} appears more than once")
    tops = {name.split("/", 1)[0] for name in names if "/" in name}
    dist_infos = sorted(top for top in tops if top.endswith(".dist-info"))
    if len(dist_infos) != 1:
        found = ", ".join(dist_infos) or "none"
        raise RelinkError(wheel, f"expected exactly one .dist-info directory, found {found}")
    dist_info = dist_infos[0]
    return _WheelLayout(
        dist_info=dist_info,
        wheel_path=f"{dist_info}/WHEEL",
        record_path=f"{dist_info}/RECORD",
        links_path=f"{dist_info}/LINKS",
    )


def _wheel_version(wheel_text: bytes, wheel: str) -> tuple[int, ...]:
    """WHEEL's Wheel-Version as numbers (``1.0`` -> ``(1, 0)``)."""
    for line in wheel_text.splitlines(keepends=True):
        match = _WHEEL_VERSION_LINE.match(line)
        if match:
            text = match.group("value").decode("utf-8", "replace")
            version = parse_wheel_version(text)
            if version is None:
                raise RelinkError(wheel, f"WHEEL has a malformed Wheel-Version {text!r}")
            return version
    raise RelinkError(wheel, "WHEEL has no Wheel-Version")


def _with_wheel_version(wheel_text: bytes, version: str) -> bytes:
    # Only the Wheel-Version line changes; every other line stays byte for byte.
    lines = wheel_text.splitlines(keepends=True)
    for index, line in enumerate(lines):
        match = _WHEEL_VERSION_LINE.match(line)
        if match:
            lines[index] = b"Wheel-Version: " + version.encode("ascii") + match.group("eol")
            break
    return b"".join(lines)


def _read_record(archive: zipfile.ZipFile, record_path: str, wheel: str) -> list[list[str]]:
    try:
        text = archive.read(record_path).decode("utf-8")
    except KeyError:
        raise RelinkError(wheel, f"{record_path} is missing") from None
    except UnicodeDecodeError:
        raise RelinkError(wheel, f"{record_path} is not UTF-8") from None
    return [row for row in csv.reader(io.StringIO(text)) if row]


def check_wheel(wheel: Path) -> LinkPlan:
    """Validate a wheel's LINKS and zip link entries without installing it.

    LINKS must be recorded in RECORD with a matching hash, every row must pass
    :func:`~wheelnext_pip.symlinks.plan_links`, and Wheel-Version must pass
    :func:`~wheelnext_pip.symlinks.wheel_version_problem` (the installer's rule). Raises
    :class:`RelinkError` or :class:`~wheelnext_pip.symlinks.LinkError` with one line.
    """
    name = wheel.name
    with _open_wheel(wheel) as archive:
        layout = _layout(archive, name)
        _read_record(archive, layout.record_path, name)
        version = _read_wheel_version(archive, layout, name)
        has_links = layout.links_path in archive.namelist()
        problem = wheel_version_problem(version, has_links=has_links)
        if problem is not None:
            raise RelinkError(name, problem)
        return plan_of_archive(archive, name)


def _open_wheel(wheel: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(wheel)
    except FileNotFoundError:
        raise RelinkError(wheel.name, f"no such file: {wheel}") from None
    except IsADirectoryError:
        raise RelinkError(wheel.name, f"is a directory: {wheel}") from None
    except zipfile.BadZipFile:
        raise RelinkError(wheel.name, "not a zip file") from None


def _read_wheel_version(
    archive: zipfile.ZipFile, layout: _WheelLayout, wheel: str
) -> tuple[int, ...]:
    try:
        return _wheel_version(archive.read(layout.wheel_path), wheel)
    except KeyError:
        raise RelinkError(wheel, f"{layout.wheel_path} is missing") from None


# -- writing a wheel


def _without_zip64_extra(extra: bytes) -> bytes:
    # zipfile appends its own ZIP64 field when needed; a copied one would appear twice.
    kept = b""
    offset = 0
    while offset + 4 <= len(extra):
        header_id, size = struct.unpack("<HH", extra[offset : offset + 4])
        end = offset + 4 + size
        if header_id != _ZIP64_EXTRA_ID:
            kept += extra[offset:end]
        offset = end
    return kept


def _copy_info(info: zipfile.ZipInfo, filename: str | None = None) -> zipfile.ZipInfo:
    """A fresh ZipInfo with the same name, date, mode and compression as ``info``."""
    copied = zipfile.ZipInfo(filename or info.filename, date_time=info.date_time)
    copied.compress_type = info.compress_type
    copied.create_system = info.create_system
    copied.external_attr = info.external_attr
    copied.internal_attr = info.internal_attr
    copied.comment = info.comment
    copied.extra = _without_zip64_extra(info.extra)
    copied.file_size = info.file_size
    return copied


def _new_info(like: zipfile.ZipInfo, filename: str, size: int) -> zipfile.ZipInfo:
    info = _copy_info(like, filename)
    info.extra = b""
    info.comment = b""
    info.file_size = size
    return info


def _links_text(pairs: Iterable[tuple[str, str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for source, target in pairs:
        writer.writerow([source, target])
    return buffer.getvalue().encode("utf-8")


def _new_record(
    record: Sequence[Sequence[str]],
    layout: _WheelLayout,
    removed: Iterable[str],
    wheel_text: bytes,
    links_text: bytes,
) -> bytes:
    dropped = set(removed) | {layout.record_path, layout.links_path}
    rows: list[list[str]] = []
    has_wheel_row = False
    for row in record:
        path = row[0]
        if path in dropped:
            continue
        if path == layout.wheel_path:
            row = [path, _record_hash(wheel_text), str(len(wheel_text))]
            has_wheel_row = True
        rows.append(list(row))
    if not has_wheel_row:
        rows.append([layout.wheel_path, _record_hash(wheel_text), str(len(wheel_text))])
    rows.append([layout.links_path, _record_hash(links_text), str(len(links_text))])
    rows.append([layout.record_path, "", ""])
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue().encode("utf-8")


def _write_relinked(
    archive: zipfile.ZipFile,
    layout: _WheelLayout,
    destination: Path,
    removed: set[str],
    replacements: Mapping[str, bytes],
    links_text: bytes,
) -> None:
    """Copy every member in order, replacing WHEEL and RECORD and adding LINKS before RECORD."""
    with zipfile.ZipFile(destination, "w") as output:
        for info in archive.infolist():
            if info.filename in removed:
                continue
            if info.filename == layout.record_path:
                output.writestr(_new_info(info, layout.links_path, len(links_text)), links_text)
            if info.filename in replacements:
                data = replacements[info.filename]
                output.writestr(_new_info(info, info.filename, len(data)), data)
                continue
            with archive.open(info) as source, output.open(_copy_info(info), "w") as target:
                shutil.copyfileobj(source, target, _HASH_CHUNK)


def relink_wheel(wheel: Path, out_dir: Path) -> RelinkResult:
    """Write ``out_dir/<wheel name>`` with identical shared-library aliases made links.

    Raises :class:`RelinkError` when the wheel already has LINKS or Wheel-Version 2, has no
    RECORD, or has no byte-identical aliases. The result is validated with the installer's
    own checks before it is returned.
    """
    name = wheel.name
    output_path = out_dir / name
    if output_path.exists() and output_path.resolve() == wheel.resolve():
        raise RelinkError(name, f"the output {output_path} would overwrite the input wheel")
    with _open_wheel(wheel) as archive:
        layout = _layout(archive, name)
        if layout.links_path in archive.namelist():
            raise RelinkError(name, f"already has {layout.links_path}")
        version = _read_wheel_version(archive, layout, name)
        if version[0] >= LINKS_WHEEL_VERSION[0]:
            shown = ".".join(map(str, version))
            raise RelinkError(name, f"already has Wheel-Version {shown}")
        record = _read_record(archive, layout.record_path, name)
        pairs = find_aliases(archive)
        if not pairs:
            raise RelinkError(name, "no byte-identical shared-library aliases")

        removed = {alias for alias, _ in pairs}
        wheel_text = _with_wheel_version(
            archive.read(layout.wheel_path), ".".join(map(str, LINKS_WHEEL_VERSION))
        )
        links_text = _links_text(pairs)
        record_text = _new_record(record, layout, removed, wheel_text, links_text)
        payload_saved = sum(archive.getinfo(alias).file_size for alias in removed)

        out_dir.mkdir(parents=True, exist_ok=True)
        # A temporary name in the same folder: a failure never leaves a half-written wheel
        # under the real name, and the final rename is atomic.
        handle, temporary = tempfile.mkstemp(prefix=".relink-", suffix=".whl", dir=out_dir)
        os.close(handle)
        try:
            _write_relinked(
                archive,
                layout,
                Path(temporary),
                removed,
                {layout.wheel_path: wheel_text, layout.record_path: record_text},
                links_text,
            )
            _self_check(Path(temporary), name, pairs)
            os.replace(temporary, output_path)
        except BaseException:
            os.unlink(temporary)
            raise

    return RelinkResult(
        output=output_path,
        links=tuple(pairs),
        bytes_before=wheel.stat().st_size,
        bytes_after=output_path.stat().st_size,
        payload_saved=payload_saved,
    )


def _self_check(written: Path, name: str, pairs: Sequence[tuple[str, str]]) -> None:
    # The temporary file has another name; validate under the wheel's own name so any
    # message names the wheel the user asked for.
    try:
        with _open_wheel(written) as archive:
            layout = _layout(archive, name)
            _read_record(archive, layout.record_path, name)
            plan = plan_of_archive(archive, name)
    except (LinkError, RelinkError) as exc:
        problem = str(exc).removeprefix(f"{name}: ")
        raise RelinkError(name, f"the relinked wheel fails validation: {problem}") from None
    # Zip link members the input already had are planned too; only LINKS rows are ours.
    planned = sorted((link.source, link.target) for link in plan.links if link.origin == "LINKS")
    if planned != sorted(pairs):
        raise RelinkError(name, "the relinked wheel's links differ from the aliases found")


# -- command line


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One line instead of argparse's usage dump and SystemExit.
        raise _UsageError(message)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description=(
            "Replace byte-identical shared-library aliases (libfoo.so, libfoo.so.1, ...) in a "
            "wheel by PEP 778 links, or check the links of wheels."
        ),
    )
    parser.add_argument("wheels", nargs="+", type=Path, metavar="WHEEL", help="wheel file(s)")
    parser.add_argument(
        "-o",
        "--out-dir",
        type=Path,
        metavar="OUTDIR",
        help="folder for the relinked wheel (same file name)",
    )
    parser.add_argument(
        "--check", action="store_true", help="only validate the links of each wheel"
    )
    return parser


def format_size(size: int) -> str:
    """``150200000`` -> ``150.2 MB`` (decimal units)."""
    if size < 1000:
        return f"{size} B"
    value = float(size)
    for unit in ("kB", "MB", "GB"):
        value /= 1000
        if value < 1000 or unit == "GB":
            break
    return f"{value:.1f} {unit}"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _report(result: RelinkResult, wheel: Path) -> Iterator[str]:
    saved = result.bytes_before - result.bytes_after
    # Tiny, compressible aliases cost less than the LINKS file and rewritten RECORD.
    change = f"saved {format_size(saved)}" if saved >= 0 else f"grew {format_size(-saved)}"
    yield (
        f"relinked {wheel.name}: {_plural(len(result.links), 'link')}, "
        f"wheel {format_size(result.bytes_before)} -> {format_size(result.bytes_after)} "
        f"({change}), payload saved {format_size(result.payload_saved)} "
        f"-> {result.output}"
    )
    for source, target in result.links:
        yield f"  {source} -> {target}"


def _fail(message: str) -> None:
    sys.stderr.write(f"{PROG}: {message}\n")


def main(argv: list[str]) -> int:
    """``wheelnext-pip relink``: 0 on success, 1 when a wheel fails, 2 on a usage error."""
    parser = _parser()
    try:
        options = parser.parse_args(argv)
        if not options.check and options.out_dir is None:
            parser.error("-o/--out-dir is required (or use --check)")
        if options.check and options.out_dir is not None:
            parser.error("--check writes nothing; drop -o/--out-dir")
    except _UsageError as exc:
        _fail(str(exc))
        return 2
    except SystemExit as exc:  # --help
        return int(exc.code or 0)

    status = 0
    for wheel in options.wheels:
        try:
            if options.check:
                plan = check_wheel(wheel)
                print(f"ok: {_plural(len(plan.links), 'link')} in {wheel.name}")
            else:
                for line in _report(relink_wheel(wheel, options.out_dir), wheel):
                    print(line)
        except WheelnextPipError as exc:
            _fail(str(exc))
            status = 1
        except OSError as exc:
            where = f": {exc.filename}" if exc.filename else ""
            _fail(f"{wheel.name}: {exc.strerror or exc}{where}")
            status = 1
    return status

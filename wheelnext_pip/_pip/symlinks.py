"""pip's wheel installer and uninstaller: symlinks in wheels (PEP 778).

The policy (which links are valid) is :mod:`wheelnext_pip.symlinks`; this module only
reads the wheel for it, refuses a bad wheel before pip writes a single file, creates the
links once pip has extracted every file, and records them in RECORD.

A wheel with links installs completely or not at all. What the file system can refuse
(a name longer than it allows, a directory where a link or file goes, links not allowed
at all) is checked before extraction. If anything still fails afterwards, every file the
wheel wrote is removed, every file it replaced is put back and every folder it created
is removed again, before pip sees the error: pip then restores the version it
uninstalled first (its stash ``rollback()``, as for any failed install).

Every such step is first written to a journal file in the installation folder, locked
while pip runs. If pip is killed mid-install, the next pip run that installs into that
folder with the feature on finds the journal of the ended process and finishes the job:
it undoes the install, or, if the install had finished, only drops the kept copies.

The hooks follow the registry's contract (pip's arguments by name, pip's function called
once). The set stops pip on an internal error of a hook: going on could install a wheel
whose links were not checked or not made. If it cannot be applied at all, pip stays stock
and refuses Wheel-Version 2 wheels itself.
"""

from __future__ import annotations

import configparser
import contextlib
import contextvars
import email.parser
import importlib.util
import itertools
import json
import logging
import os
import shutil
import site
import sys
import sysconfig
import zipfile
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, Callable

from wheelnext_pip import _state
from wheelnext_pip._pip.registry import Call, PatchPoint, PatchSet, Proceed, pip_error
from wheelnext_pip._record import field, record
from wheelnext_pip.errors import WheelnextPipError

if TYPE_CHECKING:
    from wheelnext_pip.symlinks import LinkPlan, PlannedLink

logger = logging.getLogger("wheelnext_pip")

#: The policy is imported when a wheel has links or a Wheel-Version of 2 or later, or when
#: pip installs: a run of ordinary wheels that installs nothing never loads it. pip 26.3
#: imports it before its install-time import guard.
LATE_IMPORTS = ("wheelnext_pip.symlinks", "wheelnext_pip._wheel_links")
#: The Wheel-Version that may carry LINKS (PEP 778: 2.0); below it, a wheel without links
#: is pip's business alone.
_LINKS_MAJOR = 2

FEATURE = "symlinks"
INSTALL_SET = "symlinks-install"
WHEEL_UTILS = "pip._internal.utils.wheel"
WHEEL_INSTALL = "pip._internal.operations.install.wheel"
UNINSTALL = "pip._internal.req.req_uninstall"
INSTALL_COMMAND = "pip._internal.commands.install"
REQ_INSTALL = "pip._internal.req.req_install"
_FALLBACK_HINT = (
    "set symlink-fallback=copy (WHEELNEXT_PIP_SYMLINK_FALLBACK=copy) to install copies instead"
)


#: The scheme keys a ``{name}.data/<key>/`` folder may name (pip's ``SCHEME_KEYS``).
_SCHEME_KEYS = ("platlib", "purelib", "headers", "scripts", "data")
_BACKUP_SUFFIX = f".wheelnext-pip-backup-{os.getpid()}"
#: What pip writes into the .dist-info itself, besides the wheel's own files.
_GENERATED_METADATA = ("INSTALLER", "REQUESTED", "direct_url.json", "RECORD")
_JOURNAL_PREFIX = ".wheelnext-pip-install-"
_JOURNAL_SUFFIX = ".journal"
_JOURNAL_COUNT = itertools.count(1)
#: Installation folders whose journals this process has looked at.
_RECOVERED: set[str] = set()

try:
    import fcntl as _fcntl
except ImportError:  # Windows: no flock, so no recovery of another process's journal
    _fcntl = None  # type: ignore[assignment]


@record
class _Install:
    """The wheel being installed: its validated plan and a journal of what it wrote."""

    wheel: str
    plan: LinkPlan
    #: Folders that did not exist before the install, found before extraction.
    new_folders: list[str] = field(default_factory=list)
    #: Links made so far.
    created: list[str] = field(default_factory=list)
    #: Files pip wrote (or was writing) for this wheel, and their byte code.
    written: list[str] = field(default_factory=list)
    #: (path, backup) of files that were there before and that pip replaces.
    backups: list[tuple[str, str]] = field(default_factory=list)
    #: pip's list of generated files (scripts, INSTALLER, copies), once links are made.
    generated: list[str] = field(default_factory=list)
    #: Folders copied by symlink-fallback=copy.
    copied_folders: list[str] = field(default_factory=list)
    #: The paths in ``backups``.
    backed_up: set[str] = field(default_factory=set)
    #: The write-ahead journal on disk (None until opened, and for a recovered install).
    journal: _Journal | None = None
    by_source: dict[str, PlannedLink] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.by_source = self.plan.by_source()


class _Journal:
    """One install's write-ahead journal: a JSON line per step, written before the step.

    ``<lib_dir>/.wheelnext-pip-install-<pid>-<n>.journal``, held under an exclusive
    ``flock`` for as long as the process lives: a journal nobody holds belongs to a pip
    that ended mid-install.
    """

    def __init__(self, path: str, fd: int) -> None:
        self.path = path
        self._fd = fd

    @classmethod
    def open(cls, lib_dir: str, install: _Install, info_dir: str | None) -> _Journal:
        os.makedirs(lib_dir, exist_ok=True)
        path = os.path.join(
            lib_dir, f"{_JOURNAL_PREFIX}{os.getpid()}-{next(_JOURNAL_COUNT)}{_JOURNAL_SUFFIX}"
        )
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o644)
        journal = cls(path, fd)
        if _fcntl is not None:
            _fcntl.flock(fd, _fcntl.LOCK_EX | _fcntl.LOCK_NB)
        journal.note(wheel=install.wheel, info_dir=info_dir, folders=install.new_folders)
        return journal

    def note(self, **entry: object) -> None:
        os.write(self._fd, (json.dumps(entry) + "\n").encode("ascii"))

    def release(self) -> None:
        """Leave the journal on disk for the next run, unlocked."""
        with contextlib.suppress(OSError):
            os.close(self._fd)

    def close(self) -> None:
        """The install is settled: the journal goes (first, then the lock with the file)."""
        with contextlib.suppress(OSError):
            os.unlink(self.path)
        with contextlib.suppress(OSError):
            os.close(self._fd)


def _note(install: _Install, **entry: object) -> None:
    if install.journal is not None:
        install.journal.note(**entry)


def _close_journal(install: _Install) -> None:
    if install.journal is not None:
        install.journal.close()
        install.journal = None


_CURRENT: contextvars.ContextVar[_Install | None] = contextvars.ContextVar(
    "wheelnext_pip_install", default=None
)
#: Set by ``wheel_metadata`` for the ``check_compatibility`` call that follows it.
_HAS_LINKS: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "wheelnext_pip_has_links", default=False
)


class _Refused(WheelnextPipError):
    """The install cannot go on (one line); the registry makes it pip's InstallationError."""


# -- Wheel-Version 2.0 admission -------------------------------------------------------


def _wheel_metadata(call: Call, result: Any) -> Any:
    _HAS_LINKS.set(f"{call['dist_info_dir']}/LINKS" in call["source"].namelist())
    return result


def _check_compatibility(call: Call, proceed: Proceed) -> Any:
    version, name = call["version"], call["name"]
    has_links = _HAS_LINKS.get()
    _HAS_LINKS.set(False)
    if not (isinstance(version, tuple) and version):
        return proceed()
    if not has_links and version[0] < _LINKS_MAJOR:
        return proceed()  # an ordinary wheel: pip's own rule, and no policy to load
    installer = _state.STATE.patch_sets.get(INSTALL_SET)
    if has_links and installer is not None and not installer.active:
        raise pip_error(
            "UnsupportedWheel",
            f"{name} has links, and pip's wheel installer could not be patched to make them "
            f"({installer.reason})",
        )
    from wheelnext_pip.symlinks import LINKS_WHEEL_VERSION, wheel_version_problem

    problem = wheel_version_problem(version, has_links=has_links)
    major = version[0]
    if major > LINKS_WHEEL_VERSION[0] or (problem is None and major < LINKS_WHEEL_VERSION[0]):
        return proceed()  # pip's own rule: warns on 1.x newer than 1.0, refuses 3 and later
    shown = ".".join(map(str, version))
    if problem is None:
        if version > LINKS_WHEEL_VERSION:
            logger.warning("Installing from a newer Wheel-Version (%s)", shown)
        return None
    if major < LINKS_WHEEL_VERSION[0]:
        raise pip_error("UnsupportedWheel", f"{name}: {problem} (PEP 778)")
    raise pip_error(
        "UnsupportedWheel",
        # pip's own sentence first: tools and tests that match it keep working.
        f"{name}'s Wheel-Version ({shown}) is not compatible with this version of pip ({problem})",
    )


def _links_unsupported_in(folder: str) -> OSError | None:
    """Try one link where the wheel goes: a failure there is known before extraction."""
    probe = os.path.join(folder, f".wheelnext-pip-link-probe-{os.getpid()}")
    try:
        os.makedirs(folder, exist_ok=True)
        os.symlink("target", probe)
    except OSError as exc:
        return exc
    os.unlink(probe)
    return None


def _info_dir(wheel_zip: zipfile.ZipFile) -> str | None:
    """The wheel's ``.dist-info`` folder (the one holding WHEEL), or None."""
    names = wheel_zip.namelist()
    info_dirs = sorted(
        {n.split("/", 1)[0] for n in names if n.split("/", 1)[0].endswith(".dist-info")}
    )
    return next((d for d in info_dirs if f"{d}/WHEEL" in names), None)


def _lib_dir(wheel_zip: zipfile.ZipFile, scheme: Any) -> str:
    """Where the wheel's root goes, as pip decides it (``Root-Is-Purelib`` in WHEEL)."""
    info_dir = _info_dir(wheel_zip)
    if info_dir is None:
        return str(scheme.purelib)
    text = wheel_zip.read(f"{info_dir}/WHEEL").decode("utf-8", "replace")
    metadata = email.parser.Parser().parsestr(text)
    if metadata.get("Root-Is-Purelib", "").lower() == "true":
        return str(scheme.purelib)
    return str(scheme.platlib)


def _destinations(
    names: Iterable[str], lib_dir: str, scheme: Any
) -> Iterator[tuple[str, str, str, str]]:
    """For each file of the wheel, as pip maps it: (member, path written, the scheme folder
    it goes into, the member's part below that folder)."""
    for name in names:
        if name.endswith("/"):
            continue
        top, _, rest = name.partition("/")
        if top.endswith(".data") and rest:
            key, _, sub = rest.partition("/")
            if key in _SCHEME_KEYS and sub:
                root = str(getattr(scheme, key))
                yield name, os.path.join(root, *sub.split("/")), root, sub
            continue  # pip itself refuses an unknown scheme key
        yield name, os.path.join(lib_dir, *name.split("/")), lib_dir, name


def _limits(folder: str, cache: dict[str, tuple[int, int]]) -> tuple[int, int]:
    """(longest name, longest path) in bytes on the file system of ``folder``; 0 if unknown."""
    if folder in cache:
        return cache[folder]
    existing = folder
    while not os.path.isdir(existing):
        parent = os.path.dirname(existing)
        if parent == existing:
            break
        existing = parent
    if existing not in cache:
        limits = []
        for name in ("PC_NAME_MAX", "PC_PATH_MAX"):
            try:
                limits.append(int(os.pathconf(existing, name)))
            except (AttributeError, ValueError, OSError):  # no pathconf (Windows), no limit
                limits.append(0)
        cache[existing] = (limits[0], limits[1])
    cache[folder] = cache[existing]
    return cache[folder]


def _too_long(path: str, relative: str, limits: tuple[int, int]) -> str | None:
    """Why ``path`` (ending in the wheel's ``relative`` part) cannot be created, or None."""
    name_max, path_max = limits
    if name_max > 0:
        for part in relative.split("/"):
            size = len(os.fsencode(part))
            if size > name_max:
                shown = part if len(part) <= 40 else f"{part[:40]}..."
                return (
                    f"name {shown!r} is {size} bytes, longer than the file system allows "
                    f"({name_max})"
                )
    if path_max > 0 and len(os.fsencode(path)) >= path_max:
        return (
            f"path is {len(os.fsencode(path))} bytes, longer than the file system allows "
            f"({path_max - 1})"
        )
    return None


def _missing_folders(path: str, known: dict[str, bool]) -> Iterator[str]:
    """The folders above ``path`` that do not exist yet (each folder looked at once)."""
    folder = os.path.dirname(path)
    while folder not in known:
        exists = os.path.isdir(folder)
        known[folder] = exists
        if exists:
            return
        yield folder
        parent = os.path.dirname(folder)
        if parent == folder:
            return
        folder = parent


def _preflight(wheel_zip: zipfile.ZipFile, install: _Install, lib_dir: str, scheme: Any) -> None:
    """What the file system would refuse, found before pip writes a file of the wheel.

    Names longer than the file system allows (``os.pathconf`` ``PC_NAME_MAX`` and
    ``PC_PATH_MAX`` where it has them), a folder where a file or link goes, a file where a
    folder goes. Also notes the folders the install will create, for the rollback.
    """
    wheel = install.wheel
    limits: dict[str, tuple[int, int]] = {}
    known: dict[str, bool] = {}
    folders: list[str] = []
    lib_limits = _limits(lib_dir, limits)
    for member, path, root, relative in _destinations(wheel_zip.namelist(), lib_dir, scheme):
        problem = _too_long(path, relative, _limits(root, limits))
        if problem is None and os.path.isdir(path) and not os.path.islink(path):
            problem = f"a directory is in the way ({path})"
        if problem is not None:
            raise _Refused(f"{wheel}: {member}: {problem}")
        folders.extend(_missing_folders(path, known))
        if member.endswith(".py"):
            folders.extend(_missing_folders(importlib.util.cache_from_source(path), known))
    for link in install.plan.links:
        path = os.path.join(lib_dir, *link.source.split("/"))
        problem = _too_long(path, link.source, lib_limits)
        if (
            problem is None
            and lib_limits[1] > 0
            and len(os.fsencode(link.relative)) >= lib_limits[1]
        ):
            problem = f"link text is longer than the file system allows ({lib_limits[1] - 1})"
        if problem is None and os.path.isdir(path) and not os.path.islink(path):
            problem = f"a directory is in the way ({path})"
        if problem is None:
            problem = _file_above(path, lib_dir)
        if problem is not None:
            raise _Refused(f"{wheel}: link {link.source} -> {link.target}: {problem}")
        folders.extend(_missing_folders(path, known))
    folders.extend(_missing_folders(os.path.join(str(scheme.scripts), "x"), known))
    install.new_folders = folders


def _file_above(path: str, lib_dir: str) -> str | None:
    folder = os.path.dirname(path)
    while len(folder) > len(lib_dir):
        if os.path.lexists(folder) and not os.path.isdir(folder):
            return f"a file is in the way ({folder})"
        folder = os.path.dirname(folder)
    return None


def _install_wheel(call: Call, proceed: Proceed) -> Any:
    wheel_zip, scheme = call["wheel_zip"], call["scheme"]
    wheel = os.path.basename(str(call["wheel_path"]))
    _settle_interrupted(lambda: [str(scheme.purelib), str(scheme.platlib)])
    from wheelnext_pip._wheel_links import plan_of_archive

    # A bad link (LinkError) refuses the wheel before pip writes anything of it.
    plan = plan_of_archive(wheel_zip, wheel)
    if not plan:
        return proceed()
    install = _Install(wheel, plan)
    lib_dir = _lib_dir(wheel_zip, scheme)
    # Refuses with one line; nothing is written yet.
    _preflight(wheel_zip, install, lib_dir, scheme)
    if _fallback() == "error":
        problem = _links_unsupported_in(lib_dir)
        if problem is not None:
            _roll_back(install)  # the probe may have created the folder
            first = plan.links[0]
            raise _Refused(
                f"{wheel}: cannot create link {first.source} -> {first.target} here "
                f"({problem.strerror or problem}); {_FALLBACK_HINT}",
            )
    info_dir = _info_dir(wheel_zip)
    try:
        install.journal = _Journal.open(lib_dir, install, info_dir)
        # pip overwrites the scripts of the wheel's entry points (`--ignore-installed`, or a
        # script of another distribution): keep what is there to put it back on failure. Any
        # file at one of those paths after a failure is then this install's: it goes.
        for script in _entry_point_scripts(wheel_zip, scheme):
            if os.path.islink(script) or os.path.isfile(script):
                _move_aside(install, script)
            _will_write(install, script)
        # A reinstall of the same version without an uninstall first (`--ignore-installed`)
        # writes into the installed version's own .dist-info: pip regenerates these files
        # there, and writes REQUESTED and direct_url.json only in some cases.
        if info_dir is not None:
            for name in _GENERATED_METADATA:
                path = os.path.join(lib_dir, info_dir, name)
                _keep_copy(install, path)
                _will_write(install, path)
    except OSError as exc:
        _roll_back(install)
        raise _Refused(f"{wheel}: cannot keep what the install replaces: {exc}") from None
    token = _CURRENT.set(install)
    try:
        result = proceed()
    except BaseException as exc:
        if type(exc).__name__ == "BlockedImportError":
            # pip 26.3 recovers from blocked imports itself (it removes or records what
            # it wrote); only the links, which it does not know of, are ours to remove.
            _remove_links(install)
            _drop_backups(install)
            _close_journal(install)
        else:
            _roll_back(install)
        raise
    finally:
        _CURRENT.reset(token)
    _note(install, committed=True)
    _drop_backups(install)
    _close_journal(install)
    return result


def _roll_back(install: _Install) -> None:
    """Remove what the wheel wrote, put back what it replaced, remove the folders it made.

    Never follows a link: links and files are unlinked, folders only removed when empty.
    Best effort: one path that cannot be removed does not stop the others.
    """
    _remove_links(install)
    for folder in reversed(install.copied_folders):
        shutil.rmtree(folder, ignore_errors=True)
    for path in [*reversed(install.generated), *reversed(install.written)]:
        with contextlib.suppress(OSError):
            if os.path.islink(path) or os.path.isfile(path):
                os.unlink(path)
    kept = False
    for path, backup in reversed(install.backups):
        try:
            os.replace(backup, path)
        except OSError:
            kept = True
            logger.warning("wheelnext-pip: could not restore %s from %s", path, backup)
    install.backups.clear()
    install.backed_up.clear()
    if kept and install.journal is not None:
        install.journal.release()  # the next run tries again
        install.journal = None
    _close_journal(install)
    for folder in sorted(install.new_folders, key=len, reverse=True):
        with contextlib.suppress(OSError):
            os.rmdir(folder)


def _rescan_pkg_resources() -> None:
    """pip's pkg_resources backend (Python < 3.11 on older pips) lists what is installed
    once, when first imported: after an undo it must look again."""
    module: Any = sys.modules.get("pip._vendor.pkg_resources")
    build = getattr(getattr(module, "WorkingSet", None), "_build_master", None)
    if module is not None and callable(build):
        with contextlib.suppress(Exception):
            module.working_set = build()


def _remove_partial_info_dir(lib_dir: str, info_dir: object) -> None:
    """A ``.dist-info`` folder without METADATA is what an ended pip left half-written (a
    complete one, restored or not, has METADATA): pip's pkg_resources backend would read it
    as an installed project. The name comes from the journal: one folder name, nothing else."""
    if not isinstance(info_dir, str) or not info_dir.endswith(".dist-info"):
        return
    if os.path.basename(info_dir) != info_dir or info_dir.startswith("."):
        return
    folder = os.path.join(lib_dir, info_dir)
    complete = os.path.exists(os.path.join(folder, "METADATA"))
    if os.path.isdir(folder) and not os.path.islink(folder) and not complete:
        shutil.rmtree(folder, ignore_errors=True)


def _command_run(call: Call) -> None:
    """``pip install`` (at its start) and ``pip uninstall`` (before each project) settle
    interrupted installs first, before pip reads what is installed: a half-written
    .dist-info can look installed. Each folder is looked at once per process."""
    _settle_interrupted(_environment_folders)


def _environment_folders() -> list[str]:
    folders = [sysconfig.get_paths()[key] for key in ("purelib", "platlib")]
    if site.ENABLE_USER_SITE:
        folders.append(site.getusersitepackages())
    return folders


def _settle_interrupted(folders: Callable[[], Iterable[str]]) -> None:
    """Settle the installs that a pip killed mid-install left in these folders."""
    # Its own error handling, not the set's: a failure here neither stops pip (fail
    # closed) nor turns the feature off (fail open); the journal stays for the next run.
    try:
        _recover_folders(folders())
    except Exception as exc:
        logger.warning("wheelnext-pip: could not check for interrupted installs: %s", exc)


def _recover_folders(folders: Iterable[str]) -> None:
    if _fcntl is None:
        return
    for lib_dir in sorted(set(folders)):
        if lib_dir in _RECOVERED:
            continue
        _RECOVERED.add(lib_dir)
        try:
            names = sorted(os.listdir(lib_dir))
        except OSError:
            continue
        for name in names:
            if name.startswith(_JOURNAL_PREFIX) and name.endswith(_JOURNAL_SUFFIX):
                _recover(lib_dir, os.path.join(lib_dir, name))


def _read_journal(fd: int) -> list[dict[str, Any]]:
    with os.fdopen(os.dup(fd), "rb") as stream:
        data = stream.read()
    entries = []
    for line in data.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue  # the last line of a killed process may be cut
        if isinstance(entry, dict):
            entries.append(entry)
    return entries


def _journal_roots(lib_dir: str) -> list[str]:
    """Where a journal found in ``lib_dir`` may act: that folder, the environment's and
    the user scheme's base, and the base of a ``<base>/lib/pythonX.Y/site-packages``."""
    roots = [lib_dir, sys.prefix]
    if site.USER_BASE:
        roots.append(site.USER_BASE)
    parts = os.path.normpath(lib_dir).split(os.sep)
    if len(parts) > 3 and parts[-3] in ("lib", "lib64") and parts[-2].startswith("python"):
        roots.append(os.sep.join(parts[:-3]) or os.sep)
    return [os.path.realpath(root) for root in roots]


def _strings(values: object, roots: list[str]) -> list[str]:
    """The absolute paths in ``values`` whose folder lies inside one of ``roots``.

    A journal is only read from an installation folder, but a file in that folder could
    come from anywhere (a wheel's root): it never makes pip touch a path elsewhere.
    """
    items = values if isinstance(values, list) else [values]
    found = []
    for value in items:
        if not (isinstance(value, str) and os.path.isabs(value)) or "\x00" in value:
            continue
        if os.path.basename(value) in ("", ".", ".."):
            continue
        folder = os.path.realpath(os.path.dirname(value))
        if any(folder == root or folder.startswith(root.rstrip(os.sep) + os.sep) for root in roots):
            found.append(os.path.join(folder, os.path.basename(value)))
    return found


def _recover(lib_dir: str, path: str) -> None:
    assert _fcntl is not None
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError:
        return
    try:
        try:
            _fcntl.flock(fd, _fcntl.LOCK_EX | _fcntl.LOCK_NB)
        except OSError:
            return  # held: a pip installing now
        status = os.fstat(fd)
        if status.st_nlink == 0:
            return  # its pip settled it between our listing and our lock
        entries = _read_journal(fd)
        header = entries[0] if entries else {}
        wheel = str(header.get("wheel", "a wheel"))
        from wheelnext_pip.symlinks import LinkPlan

        install = _Install(wheel, LinkPlan(()))
        roots = _journal_roots(lib_dir)
        install.new_folders = _strings(header.get("folders", []), roots)
        committed = any(entry.get("committed") is True for entry in entries)
        for entry in entries:
            backup = _strings([entry.get("backup"), entry.get("to")], roots)
            if len(backup) == 2 and os.path.lexists(backup[1]):
                install.backups.append((backup[0], backup[1]))
            install.written.extend(_strings(entry.get("written"), roots))
            # Removed whole: only ever a folder below the installation folder.
            install.copied_folders.extend(_strings(entry.get("copied"), roots[:1]))
        info_dir = header.get("info_dir")
        if not committed and isinstance(info_dir, str):
            record = os.path.join(lib_dir, info_dir, "RECORD")
            with contextlib.suppress(OSError):
                # pip writes RECORD last: one newer than the journal's last step means
                # the install was complete but for dropping the copies it had kept.
                committed = os.stat(record).st_mtime_ns > status.st_mtime_ns
        if committed:
            _drop_backups(install)
            os.unlink(path)
            logger.info("wheelnext-pip: %s: dropped the copies an ended pip kept", wheel)
            return
        removed = sum(1 for written in set(install.written) if os.path.lexists(written))
        restored = len(install.backups)
        _roll_back(install)
        os.unlink(path)
        for folder in sorted(install.new_folders, key=len, reverse=True):
            with contextlib.suppress(OSError):
                os.rmdir(folder)
        _remove_partial_info_dir(lib_dir, info_dir)
        _rescan_pkg_resources()
        project = wheel.split("-", 1)[0].lower()
        installed = any(
            name.lower().startswith(f"{project}-") and name.endswith(".dist-info")
            for name in os.listdir(lib_dir)
        )
        logger.warning(
            "wheelnext-pip: the install of %s into %s was interrupted (its pip ended "
            "before finishing); undone now: %d path(s) it wrote removed, %d it replaced "
            "put back%s",
            wheel,
            lib_dir,
            removed,
            restored,
            ""
            if installed
            else f"; {project} is not installed now (for an upgrade pip had already "
            "removed the previous version: install it again)",
        )
    finally:
        os.close(fd)


def _drop_backups(install: _Install) -> None:
    # The install went through (or pip handles the failure): the replaced files go, as
    # stock pip removes a file before writing its replacement.
    for _, backup in install.backups:
        with contextlib.suppress(OSError):
            os.unlink(backup)
    install.backups.clear()
    install.backed_up.clear()


# -- extraction and link creation -------------------------------------------------------


def _zip_link(install: _Install, record_path: str) -> PlannedLink | None:
    link = install.by_source.get(record_path)
    return link if link is not None and link.origin == "zip" else None


def _move_aside(install: _Install, path: str) -> None:
    """Rename a file or link that the install replaces, to put it back on failure."""
    if path in install.backed_up:
        return  # already kept (a copy): pip replaces the file either way
    backup = path + _BACKUP_SUFFIX
    _note(install, backup=path, to=backup)
    os.replace(path, backup)  # renames a link itself, never what it points at
    install.backups.append((path, backup))
    install.backed_up.add(path)


def _keep_copy(install: _Install, path: str) -> None:
    """Keep a copy of a file pip may replace or leave, to put it back on failure."""
    if path in install.backed_up or os.path.islink(path) or not os.path.isfile(path):
        return
    backup = path + _BACKUP_SUFFIX
    _note(install, backup=path, to=backup)
    partial = backup + ".partial"
    shutil.copy2(path, partial)
    os.replace(partial, backup)  # a backup on disk is always whole
    install.backups.append((path, backup))
    install.backed_up.add(path)


def _journal(install: _Install, path: str) -> None:
    """Note a file pip is about to write; move away what is there now, to put it back on
    failure (pip itself unlinks it before writing, so it is replaced either way)."""
    paths = [path]
    if path.endswith(".py"):
        paths.append(importlib.util.cache_from_source(path))  # pip compiles it next
    for target in paths:
        if os.path.islink(target) or os.path.isfile(target):
            _move_aside(install, target)
        _will_write(install, target)


def _will_write(install: _Install, path: str) -> None:
    """Note a path the install writes (whatever is there then is its own, on failure)."""
    _note(install, written=path)
    install.written.append(path)


def _entry_point_scripts(wheel_zip: zipfile.ZipFile, scheme: Any) -> list[str]:
    """The script files pip generates for the wheel's console and GUI entry points.

    pip's special names for its own scripts (pip, pipX.Y) are left out: a wheel with
    links is never pip itself.
    """
    names = wheel_zip.namelist()
    parser = configparser.ConfigParser(delimiters=("=",), interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    for name in names:
        top, _, rest = name.partition("/")
        if top.endswith(".dist-info") and rest == "entry_points.txt":
            try:
                parser.read_string(wheel_zip.read(name).decode("utf-8"))
            except (UnicodeDecodeError, configparser.Error):
                return []  # pip reports a broken entry_points.txt itself
    suffixes = ("", ".exe", "-script.py", "-script.pyw") if os.name == "nt" else ("",)
    scripts = str(scheme.scripts)
    return [
        os.path.join(scripts, script + suffix)
        for section in ("console_scripts", "gui_scripts")
        if parser.has_section(section)
        for script in parser.options(section)
        for suffix in suffixes
    ]


def _save(call: Call, proceed: Proceed) -> Any:
    file = call["self"]
    install = _CURRENT.get()
    if install is None:
        return proceed()
    link = _zip_link(install, file.src_record_path)
    if link is None:
        _journal(install, str(file.dest_path))
        return proceed()
    # A zip link member: nothing is written now; the link is made with the others once
    # every file of the wheel is in place (its target may come later in the archive).
    if hasattr(file, "written"):
        file.written = True
    return None


def _fallback() -> str:
    settings = _state.STATE.settings
    return settings.symlink_fallback if settings is not None else "error"


def _clear(path: str, install: _Install, link: PlannedLink) -> None:
    """Move away what stands at a link's path (put back on failure), never following a link."""
    if os.path.islink(path) or os.path.isfile(path):
        _move_aside(install, path)
    elif os.path.isdir(path):
        raise _Refused(
            f"{install.wheel}: link {link.source} -> {link.target}: a directory is in the way",
        )


def _copy_instead(
    install: _Install,
    source_path: str,
    target_path: str,
    lib_dir: str,
    generated: list[str],
    changed: set[str],
) -> None:
    if os.path.isdir(target_path):
        _note(install, copied=source_path)
        install.copied_folders.append(source_path)
        shutil.copytree(target_path, source_path, symlinks=False)
        for folder, _, files in os.walk(source_path):
            generated.extend(os.path.join(folder, name) for name in files)
    else:
        _note(install, written=source_path)
        shutil.copy2(target_path, source_path)
        record_path = os.path.relpath(source_path, lib_dir).replace(os.sep, "/")
        changed.add(record_path)  # a zip link member's row gets the copy's hash and size
        generated.append(source_path)


def create_links(
    install: _Install, lib_dir: str, generated: list[str], changed: set[str]
) -> list[str]:
    """Create every planned link; return the RECORD paths of links made (not copies)."""
    made: list[str] = []
    copied = False
    real_lib = os.path.realpath(lib_dir)
    for link in install.plan.links:
        source_path = os.path.join(lib_dir, *link.source.split("/"))
        _clear(source_path, install, link)
        os.makedirs(os.path.dirname(source_path), exist_ok=True)
        _note(install, written=source_path)
        try:
            os.symlink(link.relative, source_path, target_is_directory=link.is_dir)
        except OSError as exc:
            if _fallback() != "copy":
                raise _Refused(
                    f"{install.wheel}: cannot create link {link.source} -> {link.target} "
                    f"({exc.strerror or exc}); {_FALLBACK_HINT}",
                ) from None
            final = os.path.join(lib_dir, *link.final_target.split("/"))
            _copy_instead(install, source_path, final, lib_dir, generated, changed)
            copied = True
            continue
        install.created.append(source_path)
        if link.origin == "LINKS":
            made.append(link.source)
    for source_path in install.created:
        resolved = os.path.realpath(source_path)
        if not (resolved.startswith(real_lib + os.sep) and os.path.exists(resolved)):
            raise _Refused(
                f"{install.wheel}: link {os.path.relpath(source_path, lib_dir)} resolves "
                "outside the installation or to nothing",
            )
    if install.created:
        logger.info(
            "%s: %d link(s) created (PEP 778)",
            install.wheel,
            len(install.created),
        )
    if copied:
        logger.warning(
            "wheelnext-pip: %s: links could not be created here; installed copies "
            "(symlink-fallback=copy)",
            install.wheel,
        )
    return made


def _get_csv_rows_for_installed(call: Call, proceed: Proceed) -> Any:
    install = _CURRENT.get()
    if install is None:
        return proceed()
    installed, lib_dir = call["installed"], call["lib_dir"]
    install.generated = call["generated"]
    # Byte code pip compiled, named in `installed` (paths relative to lib_dir).
    install.written.extend(
        os.path.join(lib_dir, *path.split("/"))
        for path in installed.values()
        if str(path).endswith(".pyc")
    )
    made = create_links(install, lib_dir, install.generated, call["changed"])
    # Links get "path,," rows: pip emits those for paths still left in `installed`, and
    # never rehashes them (rehashing would follow the link).
    for record_path in made:
        installed[record_path] = record_path
    return proceed()


def _remove_links(install: _Install) -> None:
    for path in reversed(install.created):
        if os.path.islink(path):
            os.unlink(path)
    install.created.clear()


# -- uninstall -------------------------------------------------------------------------


def _uninstall_add(call: Call, result: Any) -> Any:
    path_set, path = call["self"], call["path"]
    # pip skips paths that do not exist, and exists() follows links: a dangling link
    # would be left behind. Add it as pip would, without resolving the link itself.
    if os.path.islink(path) and not os.path.exists(path):
        head, tail = os.path.split(path)
        head = os.path.normcase(os.path.realpath(os.path.expanduser(head)))
        normalized = os.path.join(head, os.path.normcase(tail))
        if path_set._permitted(normalized):
            path_set._paths.add(normalized)
        else:
            path_set._refuse.add(normalized)
    return result


def _has_uninstall_internals(owner: Any, function: Callable[..., Any]) -> str | None:
    if not callable(getattr(owner, "_permitted", None)):
        return "UninstallPathSet has no _permitted()"
    return None


SYMLINKS = PatchSet(
    FEATURE,
    (
        PatchPoint(
            FEATURE,
            WHEEL_UTILS,
            "wheel_metadata",
            _wheel_metadata,
            params=("source", "dist_info_dir"),
            kind="after",
        ),
        PatchPoint(
            FEATURE,
            WHEEL_UTILS,
            "check_compatibility",
            _check_compatibility,
            params=("version", "name"),
            kind="around",
        ),
        PatchPoint(
            FEATURE,
            INSTALL_COMMAND,
            "InstallCommand.run",
            _command_run,
            params=("self", "options", "args"),
            required=False,
            kind="before",
        ),
        PatchPoint(
            FEATURE,
            REQ_INSTALL,
            "InstallRequirement.uninstall",
            _command_run,
            params=("self",),
            required=False,
            kind="before",
        ),
        PatchPoint(
            FEATURE,
            UNINSTALL,
            "UninstallPathSet.add",
            _uninstall_add,
            params=("self", "path"),
            check=_has_uninstall_internals,
            kind="after",
        ),
    ),
    commands=frozenset({"install", "download", "wheel", "uninstall", "lock"}),
    # Not applied: stock pip refuses Wheel-Version 2 (a warning, pip goes on). Applied, an
    # internal error stops pip: going on could create a link the checks did not see, or
    # leave a wheel half-installed.
    hooks_fail_closed=True,
    risk="install a wheel with links that were not checked or not made",
)

#: pip's wheel installer, patched when pip imports it. If that fails, the Wheel-Version
#: check above refuses every wheel with links (nothing is installed without its links).
SYMLINKS_INSTALL = PatchSet(
    INSTALL_SET,
    (
        PatchPoint(
            INSTALL_SET,
            WHEEL_INSTALL,
            "_install_wheel",
            _install_wheel,
            params=("name", "wheel_zip", "wheel_path", "scheme"),
            kind="around",
        ),
        PatchPoint(
            INSTALL_SET,
            WHEEL_INSTALL,
            "ZipBackedFile.save",
            _save,
            params=("self",),
            kind="around",
        ),
        PatchPoint(
            INSTALL_SET,
            WHEEL_INSTALL,
            "get_csv_rows_for_installed",
            _get_csv_rows_for_installed,
            params=("old_csv_rows", "installed", "changed", "generated", "lib_dir"),
            kind="around",
        ),
    ),
    commands=SYMLINKS.commands,
    hooks_fail_closed=True,
    risk=SYMLINKS.risk,
    applied_on_import=WHEEL_INSTALL,
)

__all__ = ["SYMLINKS", "SYMLINKS_INSTALL", "create_links"]

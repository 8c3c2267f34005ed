"""pip's wheel installer and uninstaller: symlinks in wheels (PEP 778).

The policy (which links are valid) is :mod:`wheelnext_pip.symlinks`; this module only
reads the wheel for it, refuses a bad wheel before pip writes a single file, creates the
links once pip has extracted every file, and records them in RECORD.
"""

from __future__ import annotations

import contextvars
import csv
import logging
import os
import shutil
import sys
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Callable

from wheelnext_pip import _state
from wheelnext_pip._pip.registry import PatchPoint, PatchSet, hook_failed
from wheelnext_pip.symlinks import (
    LinkError,
    LinkPlan,
    PlannedLink,
    check_links_recorded,
    is_zip_symlink,
    parse_links_file,
    plan_links,
)

logger = logging.getLogger("wheelnext_pip")

FEATURE = "symlinks"
WHEEL_UTILS = "pip._internal.utils.wheel"
WHEEL_INSTALL = "pip._internal.operations.install.wheel"
UNINSTALL = "pip._internal.req.req_uninstall"
EXCEPTIONS = "pip._internal.exceptions"
_FALLBACK_HINT = (
    "set symlink-fallback=copy (WHEELNEXT_PIP_SYMLINK_FALLBACK=copy) to install copies instead"
)


@dataclass
class _Install:
    """The wheel being installed: its validated plan and what was created so far."""

    wheel: str
    plan: LinkPlan
    created: list[str] = field(default_factory=list)


_CURRENT: contextvars.ContextVar[_Install | None] = contextvars.ContextVar(
    "wheelnext_pip_install", default=None
)
#: Set by ``wheel_metadata`` for the ``check_compatibility`` call that follows it.
_HAS_LINKS: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "wheelnext_pip_has_links", default=False
)


def _pip_error(kind: str, message: str) -> Exception:
    error_class: type[Exception] = getattr(sys.modules[EXCEPTIONS], kind)
    return error_class(message)


# -- Wheel-Version 2.0 admission -------------------------------------------------------


def _wheel_metadata(
    original: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    result = original(*args, **kwargs)
    try:
        source = args[0] if args else kwargs["source"]
        info_dir = args[1] if len(args) > 1 else kwargs["dist_info_dir"]
        _HAS_LINKS.set(f"{info_dir}/LINKS" in source.namelist())
    except Exception as exc:
        hook_failed(FEATURE, exc)
    return result


def _check_compatibility(
    original: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    version = args[0] if args else kwargs.get("version")
    name = args[1] if len(args) > 1 else kwargs.get("name")
    if not (isinstance(version, tuple) and version and version[0] == 2):
        return original(*args, **kwargs)
    has_links = _HAS_LINKS.get()
    _HAS_LINKS.set(False)
    shown = ".".join(map(str, version))
    if not has_links:
        raise _pip_error(
            "UnsupportedWheel",
            f"{name}'s Wheel-Version ({shown}) uses Wheel-Version 2 features that "
            "wheelnext-pip does not know (it supports .dist-info/LINKS only)",
        )
    if version > (2, 0):
        logger.warning("Installing from a newer Wheel-Version (%s)", shown)
    return None


# -- planning before extraction ---------------------------------------------------------


def read_plan(wheel_zip: zipfile.ZipFile, wheel: str) -> LinkPlan:
    """Validate a wheel's LINKS and zip link members; raise LinkError if any is bad."""
    names = wheel_zip.namelist()
    zip_links = {
        info.filename: wheel_zip.read(info).decode("utf-8", "surrogateescape")
        for info in wheel_zip.infolist()
        if is_zip_symlink(info.external_attr)
    }
    link_rows: list[tuple[str, str]] = []
    info_dirs = sorted({name.split("/", 1)[0] for name in names if "/" in name})
    for info_dir in (d for d in info_dirs if d.endswith(".dist-info")):
        links_path = f"{info_dir}/LINKS"
        if links_path not in names:
            continue
        data = wheel_zip.read(links_path)
        record_path = f"{info_dir}/RECORD"
        record_rows: Iterable[list[str]] = []
        if record_path in names:
            record_rows = csv.reader(wheel_zip.read(record_path).decode("utf-8").splitlines())
        check_links_recorded(record_rows, links_path, data, wheel=wheel)
        link_rows.extend(parse_links_file(data, wheel=wheel))
    if not link_rows and not zip_links:
        return LinkPlan(())
    return plan_links(wheel=wheel, members=names, link_rows=link_rows, zip_links=zip_links)


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


def _install_wheel(
    original: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    wheel_zip = args[1] if len(args) > 1 else kwargs["wheel_zip"]
    wheel_path = args[2] if len(args) > 2 else kwargs["wheel_path"]
    scheme = args[3] if len(args) > 3 else kwargs["scheme"]
    wheel = os.path.basename(str(wheel_path))
    try:
        plan = read_plan(wheel_zip, wheel)
    except LinkError as exc:
        # Refused before pip writes anything: nothing of the wheel is left behind.
        raise _pip_error("InstallationError", str(exc)) from None
    except Exception as exc:
        hook_failed(FEATURE, exc)
        return original(*args, **kwargs)
    if plan and _fallback() == "error":
        problem = _links_unsupported_in(str(scheme.purelib))
        if problem is not None:
            first = plan.links[0]
            raise _pip_error(
                "InstallationError",
                f"{wheel}: cannot create link {first.source} -> {first.target} here "
                f"({problem.strerror or problem}); {_FALLBACK_HINT}",
            )
    token = _CURRENT.set(_Install(wheel, plan) if plan else None)
    try:
        return original(*args, **kwargs)
    except BaseException:
        _remove_created()
        raise
    finally:
        _CURRENT.reset(token)


# -- extraction and link creation -------------------------------------------------------


def _zip_link(record_path: str) -> PlannedLink | None:
    install = _CURRENT.get()
    if install is None:
        return None
    link = install.plan.by_source().get(record_path)
    return link if link is not None and link.origin == "zip" else None


def _save(original: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    file = args[0]
    try:
        link = _zip_link(file.src_record_path)
    except Exception as exc:
        hook_failed(FEATURE, exc)
        link = None
    if link is None:
        return original(*args, **kwargs)
    # A zip link member: nothing is written now; the link is made with the others once
    # every file of the wheel is in place (its target may come later in the archive).
    if hasattr(file, "written"):
        file.written = True
    return None


def _fallback() -> str:
    settings = _state.STATE.settings
    return settings.symlink_fallback if settings is not None else "error"


def _clear(path: str, install: _Install, link: PlannedLink) -> None:
    """Remove what stands at a link's path, never following a link."""
    if os.path.islink(path) or os.path.isfile(path):
        os.unlink(path)
    elif os.path.isdir(path):
        raise _pip_error(
            "InstallationError",
            f"{install.wheel}: link {link.source} -> {link.target}: a directory is in the way",
        )


def _copy_instead(
    source_path: str, target_path: str, lib_dir: str, generated: list[str], changed: set[str]
) -> None:
    if os.path.isdir(target_path):
        shutil.copytree(target_path, source_path, symlinks=False)
        for folder, _, files in os.walk(source_path):
            generated.extend(os.path.join(folder, name) for name in files)
    else:
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
        try:
            os.symlink(link.relative, source_path, target_is_directory=link.is_dir)
        except OSError as exc:
            if _fallback() != "copy":
                raise _pip_error(
                    "InstallationError",
                    f"{install.wheel}: cannot create link {link.source} -> {link.target} "
                    f"({exc.strerror or exc}); {_FALLBACK_HINT}",
                ) from None
            final = os.path.join(lib_dir, *link.final_target.split("/"))
            _copy_instead(source_path, final, lib_dir, generated, changed)
            copied = True
            continue
        install.created.append(source_path)
        if link.origin == "LINKS":
            made.append(link.source)
    for source_path in install.created:
        resolved = os.path.realpath(source_path)
        if not (resolved.startswith(real_lib + os.sep) and os.path.exists(resolved)):
            raise _pip_error(
                "InstallationError",
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


def _get_csv_rows_for_installed(
    original: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    install = _CURRENT.get()
    if install is None:
        return original(*args, **kwargs)
    names = ("old_csv_rows", "installed", "changed", "generated", "lib_dir")
    bound = dict(zip(names, args))
    bound.update(kwargs)
    made = create_links(install, bound["lib_dir"], bound["generated"], bound["changed"])
    # Links get "path,," rows: pip emits those for paths still left in `installed`, and
    # never rehashes them (rehashing would follow the link).
    for record_path in made:
        bound["installed"][record_path] = record_path
    return original(**bound)


def _remove_created() -> None:
    install = _CURRENT.get()
    if install is None:
        return
    for path in reversed(install.created):
        if os.path.islink(path):
            os.unlink(path)
    install.created.clear()


# -- uninstall -------------------------------------------------------------------------


def _uninstall_add(
    original: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    result = original(*args, **kwargs)
    try:
        path_set = args[0]
        path = args[1] if len(args) > 1 else kwargs["path"]
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
    except Exception as exc:
        hook_failed(FEATURE, exc)
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
        ),
        PatchPoint(
            FEATURE,
            WHEEL_UTILS,
            "check_compatibility",
            _check_compatibility,
            params=("version", "name"),
        ),
        PatchPoint(
            FEATURE,
            WHEEL_INSTALL,
            "_install_wheel",
            _install_wheel,
            params=("name", "wheel_zip", "wheel_path", "scheme"),
        ),
        PatchPoint(FEATURE, WHEEL_INSTALL, "ZipBackedFile.save", _save, params=("self",)),
        PatchPoint(
            FEATURE,
            WHEEL_INSTALL,
            "get_csv_rows_for_installed",
            _get_csv_rows_for_installed,
            params=("old_csv_rows", "installed", "changed", "generated", "lib_dir"),
        ),
        PatchPoint(
            FEATURE,
            UNINSTALL,
            "UninstallPathSet.add",
            _uninstall_add,
            params=("self", "path"),
            check=_has_uninstall_internals,
        ),
    ),
    commands=frozenset({"install", "download", "wheel", "uninstall", "lock"}),
)

__all__ = ["SYMLINKS", "create_links", "read_plan"]

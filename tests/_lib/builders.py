"""Distribution artefacts (wheels, sdists) built at test time, so no binary fixtures are stored."""

from __future__ import annotations

import base64
import csv
import gzip
import hashlib
import io
import itertools
import json
import re
import stat
import tarfile
import zipfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

__all__ = [
    "BACKEND_LOG_ENV",
    "BACKEND_MODULE",
    "canonical_name",
    "expand_tag",
    "make_sdist",
    "make_wheel",
    "normalize_dist_name",
    "record_hash",
]

# A fixed timestamp keeps the artefacts byte-for-byte reproducible.
_ZIP_DATE_TIME = (2020, 1, 1, 0, 0, 0)
_TAR_MTIME = 1577836800  # 2020-01-01T00:00:00Z
_FILE_MODE = stat.S_IFREG | 0o644
_SYMLINK_MODE = stat.S_IFLNK | 0o777
_UNIX_CREATE_SYSTEM = 3

_SEPARATOR_RUN = re.compile(r"[-_.]+")

BACKEND_MODULE = "wnp_test_backend"
BACKEND_LOG_ENV = "WNP_TEST_BACKEND_LOG"


def canonical_name(name: str) -> str:
    """Return the PEP 503 normalized project name (``Foo_Bar`` -> ``foo-bar``)."""
    return _SEPARATOR_RUN.sub("-", name).lower()


def normalize_dist_name(name: str) -> str:
    """Return the name as it appears in distribution filenames (``Foo-Bar`` -> ``foo_bar``)."""
    return _SEPARATOR_RUN.sub("_", name).lower()


def record_hash(data: bytes) -> str:
    """Return the RECORD hash field for ``data``: ``sha256=<urlsafe base64, unpadded>``."""
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return "sha256=" + digest.decode("ascii")


def expand_tag(tag: str) -> list[str]:
    """Expand a compressed tag set (``py2.py3-none-any``) into its single tags."""
    parts = tag.split("-")
    if len(parts) != 3 or not all(parts):
        raise ValueError(f"not a wheel tag: {tag!r}")
    interpreters, abis, platforms = (part.split(".") for part in parts)
    return ["-".join(combo) for combo in itertools.product(interpreters, abis, platforms)]


def _is_purelib(tags: Sequence[str]) -> bool:
    for single in tags:
        interpreter, abi, platform = single.split("-")
        if not interpreter.startswith("py") or abi != "none" or platform != "any":
            return False
    return True


def _as_bytes(content: bytes | str) -> bytes:
    return content.encode("utf-8") if isinstance(content, str) else content


def _zip_info(arcname: str, mode: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(arcname, date_time=_ZIP_DATE_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    # The Unix mode in the high half of external_attr is only honoured for "made by Unix".
    info.create_system = _UNIX_CREATE_SYSTEM
    info.external_attr = mode << 16
    return info


def _record_text(entries: Sequence[tuple[str, bytes]], record_path: str) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for arcname, data in entries:
        writer.writerow([arcname, record_hash(data), len(data)])
    writer.writerow([record_path, "", ""])
    return buffer.getvalue()


def _metadata_text(
    name: str,
    version: str,
    *,
    requires_dist: Sequence[str],
    provides_extra: Sequence[str],
    requires_python: str | None,
    extra_metadata: Sequence[tuple[str, str]],
) -> str:
    headers: list[tuple[str, str]] = [
        ("Metadata-Version", "2.1"),
        ("Name", name),
        ("Version", version),
    ]
    headers += [("Requires-Dist", requirement) for requirement in requires_dist]
    headers += [("Provides-Extra", extra) for extra in provides_extra]
    if requires_python is not None:
        headers.append(("Requires-Python", requires_python))
    headers += list(extra_metadata)
    return "".join(f"{key}: {value}\n" for key, value in headers)


def _wheel_text(wheel_version: str, tag: str, build_tag: str | None) -> str:
    tags = expand_tag(tag)
    lines = [
        f"Wheel-Version: {wheel_version}",
        "Generator: wnp-test-harness",
        f"Root-Is-Purelib: {'true' if _is_purelib(tags) else 'false'}",
    ]
    lines += [f"Tag: {single}" for single in tags]
    if build_tag is not None:
        lines.append(f"Build: {build_tag}")
    return "\n".join(lines) + "\n"


def make_wheel(
    directory: Path,
    name: str,
    version: str,
    *,
    requires_dist: Sequence[str] = (),
    provides_extra: Sequence[str] = (),
    requires_python: str | None = None,
    extra_metadata: Sequence[tuple[str, str]] = (),
    files: Mapping[str, bytes | str] | None = None,
    tag: str = "py3-none-any",
    build_tag: str | None = None,
    wheel_version: str = "1.0",
    extra_dist_info: Mapping[str, bytes | str] | None = None,
    symlink_entries: Mapping[str, str] | None = None,
    filename: str | None = None,
    record: bool = True,
) -> Path:
    """Write a wheel into ``directory`` and return its path.

    ``extra_dist_info`` files land in the ``.dist-info`` folder; one named ``METADATA``,
    ``WHEEL`` or ``RECORD`` replaces the generated file (RECORD is then written verbatim,
    even with ``record=False``). ``symlink_entries`` maps archive paths to link targets and is
    listed in RECORD like any other entry (its content being the target text).
    """
    dist = normalize_dist_name(name)
    if files is None:
        files = {f"{dist}/__init__.py": f'__version__ = "{version}"\n'}
    if filename is None:
        build = f"-{build_tag}" if build_tag is not None else ""
        filename = f"{dist}-{version}{build}-{tag}.whl"

    entries: list[tuple[str, bytes, int]] = [
        (arcname, _as_bytes(content), _FILE_MODE) for arcname, content in files.items()
    ]
    entries += [
        (arcname, target.encode("utf-8"), _SYMLINK_MODE)
        for arcname, target in (symlink_entries or {}).items()
    ]

    dist_info = f"{dist}-{version}.dist-info"
    dist_info_files: dict[str, bytes | str] = {
        "METADATA": _metadata_text(
            name,
            version,
            requires_dist=requires_dist,
            provides_extra=provides_extra,
            requires_python=requires_python,
            extra_metadata=extra_metadata,
        ),
        "WHEEL": _wheel_text(wheel_version, tag, build_tag),
    }
    # dict.update keeps the position of replaced keys, so overrides stay in place.
    dist_info_files.update(extra_dist_info or {})
    record_override = dist_info_files.pop("RECORD", None)
    entries += [
        (f"{dist_info}/{relative}", _as_bytes(content), _FILE_MODE)
        for relative, content in dist_info_files.items()
    ]

    record_path = f"{dist_info}/RECORD"
    if record_override is not None:
        entries.append((record_path, _as_bytes(record_override), _FILE_MODE))
    elif record:
        record_text = _record_text([(arcname, data) for arcname, data, _ in entries], record_path)
        entries.append((record_path, record_text.encode("utf-8"), _FILE_MODE))

    directory.mkdir(parents=True, exist_ok=True)
    path = directory / filename
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for arcname, data, mode in entries:
            archive.writestr(_zip_info(arcname, mode), data)
    return path


# The generated backend is stdlib-only and self-contained: it runs in pip's build
# environment, where the test helpers are not importable.
_BACKEND_TEMPLATE = '''\
"""PEP 517 build backend generated by the wheelnext-pip test harness (stdlib only)."""

from __future__ import annotations

import base64
import csv
import hashlib
import importlib
import io
import json
import os
import sys
import tarfile
import zipfile

CONFIG = json.loads(@CONFIG@)
LOG_ENV = @LOG_ENV@
SDIST_FILES = ("pyproject.toml", "PKG-INFO", "@BACKEND_MODULE@.py")
ZIP_DATE_TIME = (2020, 1, 1, 0, 0, 0)


def _record_hash(data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return "sha256=" + digest.decode("ascii")


def _metadata():
    lines = ["Metadata-Version: 2.1", "Name: " + CONFIG["name"], "Version: " + CONFIG["version"]]
    lines += ["Requires-Dist: " + requirement for requirement in CONFIG["dependencies"]]
    return "\\n".join(lines) + "\\n"


def _import_build_requires():
    files = {}
    errors = {}
    for module_name in CONFIG["import_build_requires"]:
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            errors[module_name] = "%s: %s" % (type(exc).__name__, exc)
        else:
            files[module_name] = getattr(module, "__file__", None)
    return files, errors


def _write_log(hook, imported_files, import_errors):
    log_dir = os.environ.get(LOG_ENV)
    if not log_dir:
        return
    entry = {
        "hook": hook,
        "name": CONFIG["name"],
        "pid": os.getpid(),
        "executable": sys.executable,
        "prefix": sys.prefix,
        "sys_path": list(sys.path),
        "modules": sorted(sys.modules),
        "imported_files": imported_files,
        "import_errors": import_errors,
        "pip_build_tracker": "PIP_BUILD_TRACKER" in os.environ,
    }
    path = os.path.join(log_dir, "%s-%d.json" % (CONFIG["dist"], os.getpid()))
    with open(path, "w", encoding="utf-8") as stream:
        json.dump(entry, stream, indent=2, sort_keys=True)


def _write_wheel(wheel_directory):
    dist = CONFIG["dist"]
    version = CONFIG["version"]
    dist_info = "%s-%s.dist-info" % (dist, version)
    wheel_text = (
        "Wheel-Version: 1.0\\n"
        "Generator: wnp-test-backend\\n"
        "Root-Is-Purelib: true\\n"
        "Tag: py3-none-any\\n"
    )
    entries = [
        (dist + "/__init__.py", ('__version__ = "%s"\\n' % version).encode("utf-8")),
        (dist_info + "/METADATA", _metadata().encode("utf-8")),
        (dist_info + "/WHEEL", wheel_text.encode("utf-8")),
    ]
    record = io.StringIO()
    writer = csv.writer(record, lineterminator="\\n")
    for arcname, data in entries:
        writer.writerow([arcname, _record_hash(data), len(data)])
    writer.writerow([dist_info + "/RECORD", "", ""])
    entries.append((dist_info + "/RECORD", record.getvalue().encode("utf-8")))

    filename = "%s-%s-py3-none-any.whl" % (dist, version)
    path = os.path.join(wheel_directory, filename)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for arcname, data in entries:
            info = zipfile.ZipInfo(arcname, date_time=ZIP_DATE_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o100644 << 16
            archive.writestr(info, data)
    return filename


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    imported_files, import_errors = _import_build_requires()
    _write_log("build_wheel", imported_files, import_errors)
    if import_errors:
        raise ImportError("build requirements not importable: " + "; ".join(
            "%s (%s)" % item for item in sorted(import_errors.items())
        ))
    return _write_wheel(wheel_directory)


def build_sdist(sdist_directory, config_settings=None):
    base = "%s-%s" % (CONFIG["dist"], CONFIG["version"])
    filename = base + ".tar.gz"
    with tarfile.open(os.path.join(sdist_directory, filename), "w:gz") as archive:
        for name in SDIST_FILES:
            if os.path.exists(name):
                archive.add(name, arcname=base + "/" + name)
    return filename
'''


# Appended to the generated backend by make_sdist(probe_imports=...): the log gains
# "probe_imports" (module -> real path of its file, None when not importable).
_PROBE_SNIPPET = """

PROBES = @PROBES@
_plain_write_log = _write_log


def _write_log(hook, imported_files, import_errors):
    _plain_write_log(hook, imported_files, import_errors)
    log_dir = os.environ.get(LOG_ENV)
    if not log_dir:
        return
    probes = {}
    for module_name in PROBES:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            probes[module_name] = None
        else:
            probes[module_name] = os.path.realpath(getattr(module, "__file__", "") or "")
    path = os.path.join(log_dir, "%s-%d.json" % (CONFIG["dist"], os.getpid()))
    with open(path, encoding="utf-8") as stream:
        entry = json.load(stream)
    entry["probe_imports"] = probes
    with open(path, "w", encoding="utf-8") as stream:
        json.dump(entry, stream, indent=2, sort_keys=True)
"""

# Appended by make_sdist(editable=True): PEP 660 hooks.
_EDITABLE_SNIPPET = """

def get_requires_for_build_editable(config_settings=None):
    return []


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    imported_files, import_errors = _import_build_requires()
    _write_log("build_editable", imported_files, import_errors)
    if import_errors:
        raise ImportError("build requirements not importable: " + "; ".join(
            "%s (%s)" % item for item in sorted(import_errors.items())
        ))
    return _write_wheel(wheel_directory)
"""


def _backend_source(config: Mapping[str, object]) -> str:
    return (
        _BACKEND_TEMPLATE.replace("@CONFIG@", repr(json.dumps(config, sort_keys=True)))
        .replace("@LOG_ENV@", repr(BACKEND_LOG_ENV))
        .replace("@BACKEND_MODULE@", BACKEND_MODULE)
    )


def _toml_array(values: Sequence[str]) -> str:
    # JSON string literals are valid TOML basic strings.
    return "[" + ", ".join(json.dumps(value) for value in values) + "]"


def _pyproject_text(
    name: str,
    version: str,
    *,
    build_requires: Sequence[str],
    requires_dist: Sequence[str],
    extra_pyproject: str,
    extra_build_system: str = "",
) -> str:
    if extra_build_system and not extra_build_system.endswith("\n"):
        extra_build_system += "\n"
    text = (
        "[build-system]\n"
        f"requires = {_toml_array(build_requires)}\n"
        f"build-backend = {json.dumps(BACKEND_MODULE)}\n"
        'backend-path = ["."]\n'
        f"{extra_build_system}"
        "\n"
        "[project]\n"
        f"name = {json.dumps(name)}\n"
        f"version = {json.dumps(version)}\n"
        f"dependencies = {_toml_array(requires_dist)}\n"
    )
    # [project] is the last table, so appended bare keys extend it.
    if extra_pyproject:
        text += extra_pyproject if extra_pyproject.endswith("\n") else extra_pyproject + "\n"
    return text


def _add_tar_member(archive: tarfile.TarFile, arcname: str, data: bytes | None) -> None:
    info = tarfile.TarInfo(arcname)
    info.mtime = _TAR_MTIME
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    if data is None:
        info.type = tarfile.DIRTYPE
        info.mode = 0o755
        archive.addfile(info)
    else:
        info.mode = 0o644
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))


def make_variant_release(
    directory: Path,
    name: str,
    version: str,
    labels: Mapping[str, object],
    document: Callable[[dict[str, object]], str],
    *,
    requires_dist: Sequence[str] = (),
) -> tuple[list[Path], Path]:
    """One release's variant wheels (PEP 825: each carries its own ``variant.json``, made
    by ``document`` from its label's properties) and its ``-variants.json``."""
    wheels = [
        make_wheel(
            directory,
            name,
            version,
            filename=f"{normalize_dist_name(name)}-{version}-py3-none-any-{label}.whl",
            requires_dist=requires_dist,
            extra_dist_info={"variant.json": document({label: properties})},
        )
        for label, properties in labels.items()
    ]
    metadata = directory / f"{normalize_dist_name(name)}-{version}-variants.json"
    metadata.write_text(document(dict(labels)))
    return wheels, metadata


def make_sdist(
    directory: Path,
    name: str,
    version: str,
    *,
    build_requires: Sequence[str] = (),
    requires_dist: Sequence[str] = (),
    import_build_requires: Sequence[str] = (),
    extra_pyproject: str = "",
    extra_build_system: str = "",
    probe_imports: Sequence[str] = (),
    editable: bool = False,
) -> Path:
    """Write ``{dist}-{version}.tar.gz`` built by the generated ``wnp_test_backend``.

    The backend imports every module of ``import_build_requires`` in ``build_wheel`` and, when
    ``$WNP_TEST_BACKEND_LOG`` names a directory, logs its environment to
    ``{dir}/{dist}-{pid}.json`` (keys: hook, name, pid, executable, prefix, sys_path, modules,
    imported_files, import_errors, pip_build_tracker). A failed import fails the build.

    ``extra_build_system`` lines extend the ``[build-system]`` table. ``probe_imports`` are
    modules the backend tries to import without failing: the log gains ``probe_imports``
    (module -> real path of its file, or ``None`` when not importable). ``editable`` adds
    PEP 660 hooks (``build_editable`` logs like ``build_wheel`` and writes the same wheel).
    """
    dist = normalize_dist_name(name)
    base = f"{dist}-{version}"
    pyproject = _pyproject_text(
        name,
        version,
        build_requires=build_requires,
        requires_dist=requires_dist,
        extra_pyproject=extra_pyproject,
        extra_build_system=extra_build_system,
    )
    pkg_info = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n" + "".join(
        f"Requires-Dist: {requirement}\n" for requirement in requires_dist
    )
    backend = _backend_source(
        {
            "name": name,
            "dist": dist,
            "version": version,
            "dependencies": list(requires_dist),
            "import_build_requires": list(import_build_requires),
        }
    )
    if probe_imports:
        backend += _PROBE_SNIPPET.replace("@PROBES@", repr(list(probe_imports)))
    if editable:
        backend += _EDITABLE_SNIPPET

    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{base}.tar.gz"
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        _add_tar_member(tar, base, None)
        _add_tar_member(tar, f"{base}/pyproject.toml", pyproject.encode("utf-8"))
        _add_tar_member(tar, f"{base}/PKG-INFO", pkg_info.encode("utf-8"))
        _add_tar_member(tar, f"{base}/{BACKEND_MODULE}.py", backend.encode("utf-8"))
    # gzip with mtime=0 (rather than tarfile's "w:gz") keeps the archive reproducible.
    path.write_bytes(gzip.compress(buffer.getvalue(), mtime=0))
    return path

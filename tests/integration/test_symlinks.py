"""Symlinks in wheels (PEP 778) through real pip, on every pip of the matrix.

Checklist items of ../shared/spec/symlinks.md §11 are named in each test.
"""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

import pytest

from tests._lib.builders import make_wheel
from tests._lib.index import IndexServer, write_simple_index
from tests._lib.pipenv import PipEnv

pytestmark = pytest.mark.pipmatrix

LIB = b"\x7fELF fake shared library " * 64


def linked_wheel(directory: Path, version: str = "1.0", links: str | None = None, **kwargs):
    """``pkg`` with a real ``libfoo.so.3.1.4`` and a LINKS row making ``libfoo.so.3``."""
    files = kwargs.pop("files", None) or {
        "pkg/__init__.py": f"__version__ = {version!r}\n",
        "pkg/libfoo.so.3.1.4": LIB,
        "pkg/real/__init__.py": "",
        "pkg/real/mod.py": "VALUE = 42\n",
    }
    if links is None:
        links = "pkg/libfoo.so.3,pkg/libfoo.so.3.1.4\n"
    extra = {"LINKS": links} if links else {}
    return make_wheel(
        directory,
        "pkg",
        version,
        files=files,
        wheel_version=kwargs.pop("wheel_version", "2.0"),
        extra_dist_info={**extra, **kwargs.pop("extra_dist_info", {})},
        **kwargs,
    )


def record_rows(env: PipEnv, version: str = "1.0") -> dict[str, list[str]]:
    record = env.site_packages / f"pkg-{version}.dist-info" / "RECORD"
    return {row.split(",")[0]: row.split(",") for row in record.read_text().splitlines()}


def install(pip_env: PipEnv, *args: str | os.PathLike[str], **kwargs: object):
    return pip_env.pip("install", "--no-index", "--no-deps", *args, **kwargs)


def test_links_installed_relative_and_recorded(fresh_plugin_env: PipEnv, tmp_path: Path) -> None:
    """§11.1, 17: a relative link inside site-packages; RECORD, pip show -f, pip check."""
    env = fresh_plugin_env
    wheel = linked_wheel(tmp_path)
    result = install(env, wheel, wheelnext="1")
    assert result.returncode == 0, result.stderr
    assert "Unexpected import" not in result.stderr  # §11.16
    link = env.site_packages / "pkg" / "libfoo.so.3"
    assert link.is_symlink()
    assert os.readlink(link) == "libfoo.so.3.1.4"
    assert link.resolve() == (env.site_packages / "pkg" / "libfoo.so.3.1.4").resolve()
    assert link.read_bytes() == LIB
    assert record_rows(env)["pkg/libfoo.so.3"] == ["pkg/libfoo.so.3", "", ""]
    shown = env.pip("show", "-f", "pkg", wheelnext="1")
    assert "pkg/libfoo.so.3\n" in shown.stdout
    check = env.pip("check", wheelnext="1")
    assert check.returncode == 0, check.stdout


def test_feature_off_is_stock_refusal(fresh_plugin_env: PipEnv, tmp_path: Path) -> None:
    """§11.2: without the feature pip refuses Wheel-Version 2.0 as it always did."""
    result = install(fresh_plugin_env, linked_wheel(tmp_path))
    assert result.returncode != 0
    assert "Wheel-Version (2.0) is not compatible" in result.stderr
    only_others = install(fresh_plugin_env, linked_wheel(tmp_path / "b"), wheelnext="variants")
    assert "Wheel-Version (2.0) is not compatible" in only_others.stderr


def test_resolves_from_an_index_without_metadata_files(
    fresh_plugin_env: PipEnv, tmp_path: Path
) -> None:
    """§11.3: pip reads the 2.0 wheel's metadata while resolving, and accepts it."""
    root = write_simple_index(tmp_path / "www", [linked_wheel(tmp_path)], metadata_files=False)
    with IndexServer(root.parent) as index:
        result = fresh_plugin_env.pip(
            "install", "--index-url", index.index_url, "pkg", wheelnext="symlinks"
        )
    assert result.returncode == 0, result.stderr
    assert (fresh_plugin_env.site_packages / "pkg" / "libfoo.so.3").is_symlink()


HOSTILE = {
    "dotdot": ("pkg/evil,../../../etc/passwd\n", "path escapes"),
    "absolute": ("pkg/evil,/etc/passwd\n", "absolute path"),
    "drive": ("pkg/evil,C:/x\n", "absolute path"),
    "backslash": ("pkg/evil,pkg\\x\n", "backslash"),
    "dot": ("pkg/evil,pkg/./libfoo.so.3.1.4\n", "'.'"),
    "through-member": ("pkg/real/mod.py/x,pkg/libfoo.so.3.1.4\n", ""),
    "through-row": (
        "pkg/d,pkg/real\npkg/d/f,pkg/libfoo.so.3.1.4\n",
        "passes through another link",
    ),
    "dangling": ("pkg/evil,pkg/not-in-wheel\n", "dangling"),
    "cycle": ("pkg/a,pkg/b\npkg/b,pkg/a\n", "cycle"),
    "long-chain": (
        "".join(f"pkg/c{i},pkg/c{i + 1}\n" for i in range(41)) + "pkg/c41,pkg/libfoo.so.3.1.4\n",
        "chain longer than 40",
    ),
    "over-member": ("pkg/real/mod.py,pkg/libfoo.so.3.1.4\n", "collides"),
    "in-dist-info": ("pkg-1.0.dist-info/evil,pkg/libfoo.so.3.1.4\n", "dist-info"),
}


def test_hostile_links_are_refused_before_anything_is_written(
    fresh_plugin_env: PipEnv, tmp_path: Path
) -> None:
    """§11.4-9: each refused with one line naming the link and the rule; nothing left."""
    env = fresh_plugin_env
    cases = {name: linked_wheel(tmp_path / name, links=rows) for name, (rows, _) in HOSTILE.items()}
    data = b"pkg/libfoo.so.3,pkg/libfoo.so.3.1.4\n"
    good_hash = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    not_recorded = linked_wheel(tmp_path / "unrecorded", links=data.decode())
    cases["not-in-record"] = _rewrite_record(not_recorded, drop="LINKS")
    cases["wrong-hash"] = _rewrite_record(
        linked_wheel(tmp_path / "wronghash", links=data.decode()),
        replace=(good_hash, "A" * len(good_hash)),
    )
    expected = {
        **{name: rule for name, (_, rule) in HOSTILE.items()},
        "not-in-record": "not listed in RECORD",
        "wrong-hash": "hash",
    }
    for name, wheel in cases.items():
        result = install(env, wheel, wheelnext="1")
        assert result.returncode == 1, (name, result.stdout, result.stderr)
        errors = [line for line in result.stderr.splitlines() if line.startswith("ERROR")]
        assert len(errors) == 1, (name, result.stderr)
        assert wheel.name in errors[0] and expected[name] in errors[0], (name, errors[0])
        assert "Traceback" not in result.stderr
        assert not (env.site_packages / "pkg").exists(), name
        assert not list(env.site_packages.glob("pkg-*.dist-info")), name


def _rewrite_record(wheel: Path, *, drop: str | None = None, replace=None) -> Path:
    import zipfile

    out = wheel.with_name(wheel.name + ".tmp")
    with zipfile.ZipFile(wheel) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename.endswith(".dist-info/RECORD"):
                text = data.decode()
                if drop:
                    text = "".join(
                        line + "\n"
                        for line in text.splitlines()
                        if not line.split(",")[0].endswith("/" + drop)
                    )
                if replace:
                    text = text.replace(*replace)
                data = text.encode()
            target.writestr(info, data)
    out.replace(wheel)
    return wheel


def test_wheel_version_2_without_links_is_refused(fresh_plugin_env: PipEnv, tmp_path: Path) -> None:
    """§11.10."""
    result = install(fresh_plugin_env, linked_wheel(tmp_path, links=""), wheelnext="1")
    assert result.returncode == 1
    assert "uses Wheel-Version 2 features that wheelnext-pip does not know" in result.stderr


def test_chains_and_directory_links(fresh_plugin_env: PipEnv, tmp_path: Path) -> None:
    """§11.7 (3-link chain), §11.11 (a directory link is importable)."""
    rows = (
        "pkg/libfoo.so,pkg/libfoo.so.3\n"
        "pkg/libfoo.so.3,pkg/libfoo.so.3.1\n"
        "pkg/libfoo.so.3.1,pkg/libfoo.so.3.1.4\n"
        "pkg/alias,pkg/real\n"
    )
    env = fresh_plugin_env
    result = install(env, linked_wheel(tmp_path, links=rows), wheelnext="1")
    assert result.returncode == 0, result.stderr
    assert os.readlink(env.site_packages / "pkg" / "libfoo.so") == "libfoo.so.3"
    assert (env.site_packages / "pkg" / "libfoo.so").read_bytes() == LIB
    assert os.readlink(env.site_packages / "pkg" / "alias") == "real"
    imported = env.run(["-c", "import pkg.alias.mod as m; print(m.VALUE)"])
    assert imported.stdout.strip() == "42", imported.stderr


def test_uninstall_removes_links_and_never_follows_them(
    fresh_plugin_env: PipEnv, tmp_path: Path
) -> None:
    """§11.12: links go (a dangling one too); files under a linked folder that are not
    the distribution's survive."""
    env = fresh_plugin_env
    rows = "pkg/libfoo.so.3,pkg/libfoo.so.3.1.4\npkg/alias,pkg/real\npkg/dangle,pkg/real/mod.py\n"
    assert install(env, linked_wheel(tmp_path, links=rows), wheelnext="1").returncode == 0
    sentinel = env.site_packages / "pkg" / "real" / "sentinel.txt"
    sentinel.write_text("not pip's")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("keep")
    (env.site_packages / "pkg" / "real" / "mod.py").unlink()  # pkg/dangle now dangles
    result = env.pip("uninstall", "-y", "pkg", wheelnext="1")
    assert result.returncode == 0, result.stderr
    for name in ("libfoo.so.3", "alias", "dangle", "libfoo.so.3.1.4"):
        assert not os.path.lexists(env.site_packages / "pkg" / name), name
    assert sentinel.read_text() == "not pip's"
    assert (outside / "keep.txt").exists()


def test_upgrade_drops_stale_links(fresh_plugin_env: PipEnv, tmp_path: Path) -> None:
    """§11.13: 1.0 has two links, 2.0 only one: no stale link after the upgrade."""
    env = fresh_plugin_env
    old = linked_wheel(tmp_path / "old", "1.0", links="pkg/a,pkg/libfoo.so.3.1.4\npkg/b,pkg/real\n")
    new = linked_wheel(tmp_path / "new", "2.0", links="pkg/a,pkg/libfoo.so.3.1.4\n")
    assert install(env, old, wheelnext="1").returncode == 0
    result = install(env, new, wheelnext="1")
    assert result.returncode == 0, result.stderr
    assert (env.site_packages / "pkg" / "a").is_symlink()
    assert not os.path.lexists(env.site_packages / "pkg" / "b")


def test_link_creation_failure_and_copy_fallback(fresh_plugin_env: PipEnv, tmp_path: Path) -> None:
    """§11.14: where links cannot be made, the default stops before anything is written;
    symlink-fallback=copy installs a copy, warns once and records its hash."""
    no_links = tmp_path / "no-links"
    no_links.mkdir()
    (no_links / "sitecustomize.py").write_text(
        "import errno, os\n"
        "def _refuse(*args, **kwargs):\n"
        "    raise OSError(errno.EPERM, 'Operation not permitted')\n"
        "os.symlink = _refuse\n"
    )
    env = fresh_plugin_env
    wheel = linked_wheel(tmp_path)
    refused = install(env, wheel, wheelnext="1", env={"PYTHONPATH": str(no_links)})
    assert refused.returncode == 1
    assert "Operation not permitted" in refused.stderr
    assert "symlink-fallback=copy" in refused.stderr
    assert not (env.site_packages / "pkg").exists()

    copied = install(
        env,
        wheel,
        wheelnext="1",
        env={"PYTHONPATH": str(no_links), "WHEELNEXT_PIP_SYMLINK_FALLBACK": "copy"},
    )
    assert copied.returncode == 0, copied.stderr
    assert copied.stderr.count("symlink-fallback=copy") == 1
    alias = env.site_packages / "pkg" / "libfoo.so.3"
    assert not alias.is_symlink() and alias.read_bytes() == LIB
    digest = base64.urlsafe_b64encode(hashlib.sha256(LIB).digest()).rstrip(b"=").decode()
    assert record_rows(env)["pkg/libfoo.so.3"] == [
        "pkg/libfoo.so.3",
        f"sha256={digest}",
        str(len(LIB)),
    ]


def test_zip_symlink_members(fresh_plugin_env: PipEnv, tmp_path: Path) -> None:
    """§11.15: a 1.0 wheel whose zip holds an S_IFLNK member."""
    wheel = make_wheel(
        tmp_path,
        "zlinks",
        "1.0",
        files={"zlinks/__init__.py": "", "zlinks/libz.so.1": LIB},
        symlink_entries={"zlinks/libz.so": "libz.so.1"},
    )
    env = fresh_plugin_env
    assert install(env, wheel).returncode == 0  # stock: a text file holding the target
    member = env.site_packages / "zlinks" / "libz.so"
    assert not member.is_symlink() and member.read_text() == "libz.so.1"
    result = install(env, "--force-reinstall", wheel, wheelnext="1")
    assert result.returncode == 0, result.stderr
    assert member.is_symlink() and os.readlink(member) == "libz.so.1"
    assert member.read_bytes() == LIB
    escaping = make_wheel(
        tmp_path / "evil",
        "zevil",
        "1.0",
        files={"zevil/__init__.py": ""},
        symlink_entries={"zevil/passwd": "../../../../etc/passwd"},
    )
    refused = install(env, escaping, wheelnext="1")
    assert refused.returncode == 1
    assert "zevil/passwd" in refused.stderr
    assert not (env.site_packages / "zevil").exists()


def test_relink_round_trip(plugin_env: PipEnv, tmp_path: Path) -> None:
    """§6/§7: ``wheelnext-pip relink`` output installs to the same importable tree as the
    original wheel, with fewer bytes on disk."""
    library = os.urandom(256 * 1024)
    files = {"rl/__init__.py": "from pathlib import Path\nHERE = Path(__file__).parent\n"}
    files.update({f"rl/lib/libr.so{suffix}": library for suffix in ("", ".1", ".1.2.3")})
    original = make_wheel(tmp_path / "in", "rl", "1.0", files=files)
    relinked_dir = tmp_path / "out"
    result = plugin_env.run(["-m", "wheelnext_pip", "relink", original, "-o", relinked_dir])
    assert result.returncode == 0, result.stderr
    assert "2 links" in result.stdout
    relinked = relinked_dir / original.name
    check = plugin_env.run(["-m", "wheelnext_pip", "relink", "--check", relinked])
    assert check.returncode == 0 and "ok: 2 links" in check.stdout, check.stdout + check.stderr

    trees = {}
    for label, wheel in (("original", original), ("relinked", relinked)):
        target = tmp_path / label
        done = install(plugin_env, "--target", target, wheel, wheelnext="1")
        assert done.returncode == 0, done.stderr
        probe = plugin_env.run(
            [
                "-c",
                "import rl; print(sorted((p.name, p.read_bytes().__len__()) "
                "for p in (rl.HERE / 'lib').iterdir()))",
            ],
            env={"PYTHONPATH": str(target)},
        )
        assert probe.returncode == 0, probe.stderr
        on_disk = sum(p.lstat().st_size for p in target.rglob("*") if "dist-info" not in str(p))
        trees[label] = (probe.stdout, on_disk)
    assert trees["relinked"][0] == trees["original"][0]
    assert trees["relinked"][1] < trees["original"][1] / 2
    assert (tmp_path / "relinked" / "rl" / "lib" / "libr.so").is_symlink()

"""Symlinks in wheels (PEP 778) through real pip, on every pip of the matrix."""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests._lib.builders import make_wheel
from tests._lib.index import IndexServer, write_simple_index
from tests._lib.pipenv import PipEnv

pytestmark = [pytest.mark.pipmatrix, pytest.mark.python_sensitive]

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
    """A relative link inside site-packages; RECORD, pip show -f, pip check."""
    env = fresh_plugin_env
    wheel = linked_wheel(tmp_path)
    result = install(env, wheel, wheelnext="1")
    assert result.returncode == 0, result.stderr
    assert "Unexpected import" not in result.stderr
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
    """Without the feature pip refuses Wheel-Version 2.0 as it always did."""
    result = install(fresh_plugin_env, linked_wheel(tmp_path))
    assert result.returncode != 0
    assert "Wheel-Version (2.0) is not compatible" in result.stderr
    only_others = install(fresh_plugin_env, linked_wheel(tmp_path / "b"), wheelnext="variants")
    assert "Wheel-Version (2.0) is not compatible" in only_others.stderr


def test_resolves_from_an_index_without_metadata_files(
    fresh_plugin_env: PipEnv, tmp_path: Path
) -> None:
    """pip reads the 2.0 wheel's metadata while resolving, and accepts it."""
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
    fresh_plugin_env: PipEnv, tmp_path: Path, shared_cases: Callable[[Any], Any]
) -> None:
    """Each refused with one line naming the link and the rule; nothing left."""
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
    for name, wheel in shared_cases(cases).items():
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
    result = install(fresh_plugin_env, linked_wheel(tmp_path, links=""), wheelnext="1")
    assert result.returncode == 1
    assert "is not compatible with this version of pip" in result.stderr  # pip's words
    assert "uses Wheel-Version 2 features that wheelnext-pip does not know" in result.stderr


def test_links_in_a_wheel_version_1_wheel_are_refused(
    fresh_plugin_env: PipEnv, tmp_path: Path
) -> None:
    """PEP 778: a wheel with LINKS declares Wheel-Version 2.0; the installer applies the rule
    of ``relink --check`` and installs nothing of a 1.x wheel that has a LINKS file."""
    result = install(fresh_plugin_env, linked_wheel(tmp_path, wheel_version="1.0"), wheelnext="1")
    assert result.returncode == 1
    assert "LINKS needs Wheel-Version 2.0 but WHEEL says 1.0" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (fresh_plugin_env.site_packages / "pkg").exists()


def test_chains_and_directory_links(fresh_plugin_env: PipEnv, tmp_path: Path) -> None:
    """A 3-link chain, and a directory link whose package is importable."""
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
    """Links go (a dangling one too); files under a linked folder that are not
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
    """1.0 has two links, 2.0 only one: no stale link after the upgrade."""
    env = fresh_plugin_env
    old = linked_wheel(tmp_path / "old", "1.0", links="pkg/a,pkg/libfoo.so.3.1.4\npkg/b,pkg/real\n")
    new = linked_wheel(tmp_path / "new", "2.0", links="pkg/a,pkg/libfoo.so.3.1.4\n")
    assert install(env, old, wheelnext="1").returncode == 0
    result = install(env, new, wheelnext="1")
    assert result.returncode == 0, result.stderr
    assert (env.site_packages / "pkg" / "a").is_symlink()
    assert not os.path.lexists(env.site_packages / "pkg" / "b")


def test_link_creation_failure_and_copy_fallback(fresh_plugin_env: PipEnv, tmp_path: Path) -> None:
    """Where links cannot be made, the default stops before anything is written;
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
    """A 1.0 wheel whose zip holds an S_IFLNK member."""
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
    """``wheelnext-pip relink`` output installs to the same importable tree as the
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


# -- reliability: a failed install leaves the environment as it was ----------------------

FAULTY_SYMLINK = (
    "import errno, os\n"
    "_symlink = os.symlink\n"
    "def _fail_for_the_wheel(src, dst, *args, **kwargs):\n"
    "    # The wheel's links fail once pip has extracted it; any probe elsewhere works.\n"
    "    if 'libfoo' in os.fspath(dst):\n"
    "        raise OSError(errno.ENOSPC, 'No space left on device')\n"
    "    return _symlink(src, dst, *args, **kwargs)\n"
    "os.symlink = _fail_for_the_wheel\n"
)
ENTRY_POINTS = "[console_scripts]\npkg-tool = pkg:main\n"


def tree(root: Path) -> dict[str, object]:
    """Every path below ``root``: its kind and its content (link text or bytes)."""
    found: dict[str, object] = {}
    for folder, folders, files in os.walk(root):
        for name in folders + files:
            path = Path(folder) / name
            key = str(path.relative_to(root))
            if path.is_symlink():
                found[key] = ("link", os.readlink(path))
            elif path.is_dir():
                found[key] = ("dir",)
            else:
                found[key] = ("file", hashlib.sha256(path.read_bytes()).hexdigest())
    return found


def environment(env: PipEnv) -> dict[str, object]:
    return {"site-packages": tree(env.site_packages), "bin": tree(env.root / "bin")}


def _differences(before: dict[str, object], after: dict[str, object]) -> list[str]:
    found = []
    for area in before:
        old, new = before[area], after[area]
        assert isinstance(old, dict) and isinstance(new, dict)
        found += [
            f"{area}/{key}" for key in sorted(set(old) | set(new)) if old.get(key) != new.get(key)
        ]
    return found


def one_error(result, *needles: str) -> str:
    """pip failed with exactly one ERROR line holding every needle, and no traceback."""
    assert result.returncode == 1, (result.stdout, result.stderr)
    errors = [line for line in result.stderr.splitlines() if line.startswith("ERROR")]
    assert len(errors) == 1, result.stderr
    for needle in needles:
        assert needle in errors[0], (needle, errors[0])
    assert "Traceback" not in result.stderr, result.stderr
    return errors[0]


def faulty_symlink_env(tmp_path: Path) -> dict[str, str]:
    folder = tmp_path / "faulty-symlink"
    folder.mkdir(exist_ok=True)
    (folder / "sitecustomize.py").write_text(FAULTY_SYMLINK)
    return {"PYTHONPATH": str(folder)}


def listed(env: PipEnv) -> dict[str, str]:
    result = env.pip("list", "--format=freeze", wheelnext="1")
    assert result.returncode == 0, result.stderr
    return dict(line.split("==", 1) for line in result.stdout.splitlines() if "==" in line)


def test_a_failed_install_leaves_nothing_installed(
    fresh_plugin_env: PipEnv, tmp_path: Path
) -> None:
    """A link that cannot be made (a directory in its way, a name too long for the file
    system, or an error once pip extracted the wheel) fails the install, and every file
    the wheel wrote (package, .dist-info, console script) is gone again."""
    env = fresh_plugin_env
    extra = {"entry_points.txt": ENTRY_POINTS}
    long_name = "pkg/" + "n" * 300
    cases = {
        "directory-in-the-way": (
            linked_wheel(tmp_path / "dir", extra_dist_info=extra),
            {},
            ("pkg/libfoo.so.3", "a directory is in the way"),
        ),
        "name-too-long": (
            linked_wheel(
                tmp_path / "long",
                links=f"{long_name},pkg/libfoo.so.3.1.4\n",
                extra_dist_info=extra,
            ),
            {},
            ("longer than the file system allows",),
        ),
        "fails-after-extraction": (
            linked_wheel(tmp_path / "late", extra_dist_info=extra),
            faulty_symlink_env(tmp_path),
            ("pkg/libfoo.so.3", "No space left on device"),
        ),
    }
    blocker = env.site_packages / "pkg" / "libfoo.so.3"
    for name, (wheel, child_env, needles) in cases.items():
        if name == "directory-in-the-way":
            blocker.mkdir(parents=True)
            (blocker / "keep.txt").write_text("not the wheel's")
        before = environment(env)
        result = install(env, wheel, wheelnext="1", env=child_env)
        one_error(result, wheel.name, *needles)
        assert environment(env) == before, name
        assert "pkg" not in listed(env), name
        if name == "directory-in-the-way":
            assert (blocker / "keep.txt").read_text() == "not the wheel's"
            shutil.rmtree(env.site_packages / "pkg")


def test_a_failed_upgrade_keeps_the_old_version(fresh_plugin_env: PipEnv, tmp_path: Path) -> None:
    """pkg 1.0 is installed; installing pkg 2.0 fails at its links. pip's uninstall of 1.0
    is rolled back and nothing of 2.0 stays: 1.0's files, links, script and metadata are
    exactly as before, and pip reports 1.0."""
    env = fresh_plugin_env
    extra = {"entry_points.txt": ENTRY_POINTS}
    old_files = {
        "pkg/__init__.py": "__version__ = '1.0'\ndef main():\n    print('1.0')\n",
        "pkg/libfoo.so.3.1.4": LIB,
        "pkg/real/__init__.py": "",
        "pkg/real/mod.py": "VALUE = 1\n",
        "pkg/libs/libx.so": LIB,
    }
    new_files = {**old_files, "pkg/__init__.py": "__version__ = '2.0'\n"}
    del new_files["pkg/libs/libx.so"]
    old = linked_wheel(tmp_path / "old", "1.0", files=old_files, extra_dist_info=extra)
    assert install(env, old, wheelnext="1").returncode == 0
    # Left by the user in a folder of 1.0: uninstalling 1.0 keeps it, so the folder stays.
    (env.site_packages / "pkg" / "libs" / "cache.dat").write_text("user data")
    upgrades = {
        "directory-in-the-way": (
            linked_wheel(
                tmp_path / "dir",
                "2.0",
                files=new_files,
                links="pkg/libfoo.so.3,pkg/libfoo.so.3.1.4\npkg/libs,pkg/real\n",
                extra_dist_info=extra,
            ),
            (),
            {},
            "a directory is in the way",
        ),
        "name-too-long": (
            linked_wheel(
                tmp_path / "long",
                "2.0",
                files=new_files,
                links="pkg/" + "n" * 300 + ",pkg/libfoo.so.3.1.4\n",
                extra_dist_info=extra,
            ),
            (),
            {},
            "longer than the file system allows",
        ),
        "fails-after-extraction": (
            linked_wheel(tmp_path / "late", "2.0", files=new_files, extra_dist_info=extra),
            (),
            faulty_symlink_env(tmp_path),
            "No space left on device",
        ),
        # No uninstall first: pip overwrites 1.0's files in place, and they come back.
        "ignore-installed": (
            linked_wheel(tmp_path / "late", "2.0", files=new_files, extra_dist_info=extra),
            ("--ignore-installed",),
            faulty_symlink_env(tmp_path),
            "No space left on device",
        ),
    }
    before = environment(env)
    for name, (wheel, options, child_env, needle) in upgrades.items():
        result = install(env, *options, wheel, wheelnext="1", env=child_env)
        one_error(result, wheel.name, needle)
        after = environment(env)
        assert after == before, (name, _differences(before, after))
        shown = env.pip("show", "pkg", wheelnext="1")
        assert "Version: 1.0" in shown.stdout.splitlines(), (name, shown.stdout)
        assert listed(env)["pkg"] == "1.0", name
        assert not list(env.site_packages.glob("pkg-2.0.dist-info")), name
        tool = env.run([env.root / "bin" / "pkg-tool"], executable=env.python)
        assert tool.stdout.strip() == "1.0", (name, tool.stdout, tool.stderr)
        assert os.readlink(env.site_packages / "pkg" / "libfoo.so.3") == "libfoo.so.3.1.4"
        check = env.pip("check", wheelnext="1")
        assert check.returncode == 0, (name, check.stdout)


def _with_record(wheel: Path, data: bytes) -> Path:
    import zipfile

    out = wheel.with_name(wheel.name + ".tmp")
    with zipfile.ZipFile(wheel) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename.endswith(".dist-info/RECORD"):
                content = content + data
            target.writestr(info, content)
    out.replace(wheel)
    return wheel


def test_a_record_that_is_not_utf8_is_refused(fresh_plugin_env: PipEnv, tmp_path: Path) -> None:
    """RECORD of a LINKS wheel holds a Latin-1 byte: one error line, nothing installed."""
    env = fresh_plugin_env
    wheel = _with_record(linked_wheel(tmp_path), b"pkg/caf\xe9.py,,\n")
    before = environment(env)
    result = install(env, wheel, wheelnext="1")
    one_error(result, wheel.name, "RECORD", "not UTF-8")
    assert environment(env) == before
    assert "wheelnext-pip: internal error" not in result.stderr


def test_control_characters_in_links_are_refused(
    fresh_plugin_env: PipEnv, tmp_path: Path, shared_cases: Callable[[Any], Any]
) -> None:
    """A link name or target with a newline, tab, escape or DEL never reaches the disk
    (pip's uninstall reads RECORD line by line and would leave such a link behind)."""
    env = fresh_plugin_env
    cases = {
        "newline": '"pkg/evil\nname",pkg/libfoo.so.3.1.4\n',
        "carriage-return": '"pkg/evil\rname",pkg/libfoo.so.3.1.4\n',
        "escape-in-target": "pkg/evil,pkg/libfoo\x1b.so\n",
        "delete": "pkg/evil\x7f,pkg/libfoo.so.3.1.4\n",
    }
    before = environment(env)
    for name, rows in shared_cases(cases).items():
        wheel = linked_wheel(tmp_path / name, links=rows)
        result = install(env, wheel, wheelnext="1")
        one_error(result, wheel.name, "control character in path")
        assert environment(env) == before, name


def test_a_failed_install_removes_the_scripts_it_wrote(
    fresh_plugin_env: PipEnv, tmp_path: Path
) -> None:
    """pip writes the wheel's first console script, then refuses its second entry point
    (no callable): the install fails after extraction, and the launcher pip already wrote
    goes with the rest, while another distribution's script of the same name is back."""
    env = fresh_plugin_env
    entry_points = "[console_scripts]\npkg-tool = pkg:main\npkg-zbad = pkg\n"
    wheel = linked_wheel(tmp_path / "bad", extra_dist_info={"entry_points.txt": entry_points})
    owned = env.root / "bin" / "pkg-tool"
    for preexisting in (False, True):
        if preexisting:
            owned.write_text("#!/bin/sh\necho another distribution's\n")
        before = environment(env)
        result = install(env, wheel, wheelnext="1")
        assert result.returncode == 1, result.stderr
        assert "Traceback" not in result.stderr, result.stderr
        after = environment(env)
        assert after == before, (preexisting, _differences(before, after))
        assert "pkg" not in listed(env)


def test_a_failed_reinstall_of_the_same_version_keeps_it(
    fresh_plugin_env: PipEnv, tmp_path: Path
) -> None:
    """pkg 1.0 is installed; reinstalling the same 1.0 fails at its links. With
    ``--ignore-installed`` pip writes over 1.0's own files and its ``.dist-info``
    (INSTALLER, REQUESTED, direct_url.json, RECORD); with ``--force-reinstall`` it
    uninstalls 1.0 first. Either way 1.0 is exactly as before, and pip check is happy."""
    env = fresh_plugin_env
    extra = {"entry_points.txt": ENTRY_POINTS}
    files = {
        "pkg/__init__.py": "__version__ = '1.0'\ndef main():\n    print('1.0')\n",
        "pkg/libfoo.so.3.1.4": LIB,
        "pkg/real/__init__.py": "",
        "pkg/real/mod.py": "VALUE = 1\n",
    }
    good = linked_wheel(tmp_path / "good", "1.0", files=files, extra_dist_info=extra)
    assert install(env, good, wheelnext="1").returncode == 0
    before = environment(env)
    assert "site-packages" in before
    for options in (("--ignore-installed",), ("--force-reinstall",)):
        result = install(env, *options, good, wheelnext="1", env=faulty_symlink_env(tmp_path))
        one_error(result, good.name, "No space left on device")
        after = environment(env)
        assert after == before, (options, _differences(before, after))
        assert listed(env)["pkg"] == "1.0", options
        check = env.pip("check", wheelnext="1")
        assert check.returncode == 0, (options, check.stdout)
        tool = env.run([env.root / "bin" / "pkg-tool"], executable=env.python)
        assert tool.stdout.strip() == "1.0", (options, tool.stdout, tool.stderr)


KILLED_AT = (
    "import os, signal\n"
    "_wrapped = os.{function}\n"
    "def _killed_at(*args, **kwargs):\n"
    "    # pip is killed (SIGKILL: no clean-up runs) at this step of the wheel's install.\n"
    "    if {needle!r} in os.fspath(args[{argument}]):\n"
    "        os.kill(os.getpid(), signal.SIGKILL)\n"
    "    return _wrapped(*args, **kwargs)\n"
    "os.{function} = _killed_at\n"
)


def killed_env(tmp_path: Path, function: str, needle: str, argument: int) -> dict[str, str]:
    folder = tmp_path / f"killed-at-{function}"
    folder.mkdir(exist_ok=True)
    code = KILLED_AT.format(function=function, needle=needle, argument=argument)
    (folder / "sitecustomize.py").write_text(code)
    return {"PYTHONPATH": str(folder)}


def without(state: dict[str, object], prefix: str) -> dict[str, object]:
    """The environment snapshot without the paths of the project ``prefix``."""
    found: dict[str, object] = {}
    for area, paths in state.items():
        assert isinstance(paths, dict)
        found[area] = {key: value for key, value in paths.items() if prefix not in key}
    return found


def test_an_install_killed_midway_is_undone_by_the_next_run(
    fresh_plugin_env: PipEnv, tmp_path: Path
) -> None:
    """pip is killed (SIGKILL) while it creates a wheel's links: a fresh install, an
    upgrade with --ignore-installed, a same-version reinstall. The next ``pip install``
    or ``pip uninstall`` says so in one warning before it reads what is installed, and the
    environment is exactly as before the killed install; no journal or copy stays."""
    env = fresh_plugin_env
    extra = {"entry_points.txt": ENTRY_POINTS}
    files = {
        "pkg/__init__.py": "__version__ = '1.0'\ndef main():\n    print('1.0')\n",
        "pkg/libfoo.so.3.1.4": LIB,
        "pkg/real/__init__.py": "",
        "pkg/real/mod.py": "VALUE = 1\n",
    }
    old = linked_wheel(tmp_path / "old", "1.0", files=files, extra_dist_info=extra)
    new = linked_wheel(
        tmp_path / "new",
        "2.0",
        files={**files, "pkg/__init__.py": "__version__ = '2.0'\n"},
        extra_dist_info=extra,
    )
    other = make_wheel(tmp_path / "other", "otherproj", "1.0")
    kill = killed_env(tmp_path, "symlink", "libfoo", 1)
    cases = (
        # (case, options of the killed install, its wheel, the next command, hint)
        ("fresh install", (), old, ("uninstall", "-y", "pkg"), "pkg is not installed now"),
        ("upgrade", ("--ignore-installed",), new, ("install", "--no-index", other), None),
        ("same version", ("--ignore-installed",), old, ("install", "--no-index", other), None),
    )
    for name, options, wheel, command, hint in cases:
        before = environment(env)
        killed = install(env, *options, wheel, wheelnext="1", env=kill)
        assert killed.returncode == -9, (name, killed.returncode, killed.stderr)
        assert list(env.site_packages.glob(".wheelnext-pip-install-*.journal")), name
        recovery = env.pip(*command, wheelnext="1")
        assert recovery.returncode == 0, (name, recovery.stderr)
        warnings = [line for line in recovery.stderr.splitlines() if "interrupted" in line]
        assert len(warnings) == 1, (name, recovery.stderr)
        assert wheel.name in warnings[0], (name, warnings[0])
        if hint:
            assert hint in warnings[0], (name, warnings[0])
        if "otherproj" in listed(env):
            assert env.pip("uninstall", "-y", "otherproj").returncode == 0
        after = environment(env)
        assert without(after, "otherproj") == without(before, "otherproj"), (
            name,
            _differences(before, after),
        )
        if name == "fresh install":
            assert install(env, old, wheelnext="1").returncode == 0
            continue
        assert listed(env)["pkg"] == "1.0", name
        tool = env.run([env.root / "bin" / "pkg-tool"], executable=env.python)
        assert tool.stdout.strip() == "1.0", (name, tool.stdout, tool.stderr)
    # Killed again; then the same upgrade, without --ignore-installed: the half-written
    # 2.0 does not pass for installed, pip upgrades 1.0 to 2.0, and nothing else stays.
    killed = install(env, "--ignore-installed", new, wheelnext="1", env=kill)
    assert killed.returncode == -9, (killed.returncode, killed.stderr)
    upgrade = install(env, new, wheelnext="1")
    assert upgrade.returncode == 0, upgrade.stderr
    assert "interrupted" in upgrade.stderr and "Successfully installed pkg-2.0" in upgrade.stdout
    assert listed(env)["pkg"] == "2.0"
    assert env.pip("check", wheelnext="1").returncode == 0
    assert not [
        path
        for path in env.root.rglob("*")
        if "wheelnext-pip-backup" in path.name or path.name.endswith(".journal")
    ]


def test_an_install_killed_after_finishing_keeps_the_new_version(
    fresh_plugin_env: PipEnv, tmp_path: Path
) -> None:
    """pip is killed after the install of 2.0 finished, while it drops the copies of
    1.0's files it kept: the next run keeps 2.0 and removes the copies, silently."""
    env = fresh_plugin_env
    extra = {"entry_points.txt": ENTRY_POINTS}
    old = linked_wheel(tmp_path / "old", "1.0", extra_dist_info=extra)
    new = linked_wheel(tmp_path / "new", "2.0", extra_dist_info=extra)
    assert install(env, old, wheelnext="1").returncode == 0
    kill = killed_env(tmp_path, "unlink", ".wheelnext-pip-backup-", 0)
    killed = install(env, "--ignore-installed", new, wheelnext="1", env=kill)
    assert killed.returncode == -9, (killed.returncode, killed.stderr)
    recovery = install(env, make_wheel(tmp_path / "other", "otherproj", "1.0"), wheelnext="1")
    assert recovery.returncode == 0, recovery.stderr
    assert "interrupted" not in recovery.stderr, recovery.stderr
    left = [
        str(path.relative_to(env.root))
        for path in env.root.rglob("*")
        if "wheelnext-pip-backup" in path.name or path.name.endswith(".journal")
    ]
    assert left == []
    assert (env.site_packages / "pkg-2.0.dist-info" / "RECORD").is_file()
    assert "__version__ = '2.0'" in (env.site_packages / "pkg" / "__init__.py").read_text()


def test_a_planted_journal_never_touches_paths_elsewhere(
    fresh_plugin_env: PipEnv, tmp_path: Path
) -> None:
    """A file named like an install journal in site-packages (a wheel's root can put one
    there) naming paths outside the environment, through a link, or site-packages itself:
    the next install acts on none of them and does not fail."""
    import json

    env = fresh_plugin_env
    outside = tmp_path / "outside"
    outside.mkdir()
    victim = outside / "victim.txt"
    victim.write_text("keep me")
    (env.site_packages / "via-link").symlink_to(outside, target_is_directory=True)
    entries = [
        {"wheel": "evil-1.0-py3-none-any.whl", "info_dir": "evil-1.0.dist-info"},
        {"written": str(victim)},
        {"written": str(env.site_packages / "via-link" / "victim.txt")},
        {"copied": str(env.site_packages)},
        {"copied": str(env.site_packages / "via-link")},
        {"backup": str(victim), "to": str(env.site_packages / "pip" / "__init__.py")},
        {"written": 7, "copied": ["x"]},
    ]
    journal = env.site_packages / ".wheelnext-pip-install-999999-1.journal"
    journal.write_text("\n".join(json.dumps(entry) for entry in entries) + "\n{cut")
    result = install(env, make_wheel(tmp_path / "other", "otherproj", "1.0"), wheelnext="1")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert victim.read_text() == "keep me"
    assert (env.site_packages / "pip" / "__init__.py").is_file()
    assert (env.site_packages / "via-link").is_symlink()
    assert listed(env)["otherproj"] == "1.0"
    assert not journal.exists()

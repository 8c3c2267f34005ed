"""The distribution itself: start-up files in the right places, no dependency on pip."""

from __future__ import annotations

import email
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests._lib.pipenv import REPO, build_project_wheel, create_env


def wheel_contents(wheel: Path) -> tuple[set[str], email.message.Message, bytes]:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        (metadata_name,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        metadata = email.message_from_bytes(archive.read(metadata_name))
        return names, metadata, archive.read("wheelnext_pip.pth")


def check_wheel(wheel: Path) -> None:
    names, metadata, pth = wheel_contents(wheel)
    assert {"wheelnext_pip.pth", "wheelnext_pip.start"} <= names
    assert "wheelnext_pip/_sitecustomize/sitecustomize.py" in names
    assert "sitecustomize.py" not in names  # would shadow the distribution's own
    requirements = metadata.get_all("Requires-Dist") or []
    names_required = {r.split(";")[0].split(">")[0].split("=")[0].strip() for r in requirements}
    assert "pip" not in names_required
    assert names_required == {"packaging", "nvidia-ml-py", "tomli"}
    assert metadata["Requires-Python"] == ">=3.9"
    lines = pth.decode().splitlines()
    assert len(lines) == 1 and lines[0].startswith("import os;")


def test_wheel_from_the_source_tree(project_wheel: Path) -> None:
    check_wheel(project_wheel)


def test_wheel_from_the_sdist(tmp_path: Path) -> None:
    pytest.importorskip("hatchling")
    subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-t", "sdist", "-d", str(tmp_path)],
        cwd=REPO,
        check=True,
        capture_output=True,
    )
    (sdist,) = tmp_path.glob("*.tar.gz")
    unpacked = tmp_path / "unpacked"
    subprocess.run(["tar", "xzf", str(sdist), "-C", str(tmp_path)], check=True)
    (source,) = [p for p in tmp_path.iterdir() if p.is_dir()]
    source.rename(unpacked)
    check_wheel(build_project_wheel(tmp_path / "built", source=unpacked))


def test_start_up_line_matches_the_source(project_wheel: Path) -> None:
    _, _, pth = wheel_contents(project_wheel)
    assert pth == (REPO / "sitecustomize" / "wheelnext_pip.pth").read_bytes()


def test_the_wheel_carries_the_license(project_wheel: Path) -> None:
    names, metadata, _ = wheel_contents(project_wheel)
    assert metadata["License-Expression"] == "MIT" or metadata["License"] == "MIT"
    assert any(name.endswith("LICENSE") and ".dist-info/" in name for name in names)


@pytest.mark.parametrize("source", ["clone", "git-url"])
def test_the_readme_install_commands_work_today(tmp_path: Path, source: str) -> None:
    """Issue 16 item 1: from a clone and from a Git URL (here git+file: the same path pip
    takes for a remote), into a venv whose pip is pinned; pip itself stays as it was."""
    if source == "git-url" and not (REPO / ".git").exists():
        pytest.skip("not a Git checkout")
    env = create_env(
        tmp_path / "venv", sys.executable, "26.3", plugin_wheel=None, wheelhouse=tmp_path
    )
    target = str(REPO) if source == "clone" else f"wheelnext-pip @ git+{REPO.as_uri()}"
    installed = env.pip("install", "-q", target, timeout=600)
    assert installed.returncode == 0, installed.stderr
    shown = env.pip("show", "wheelnext-pip", "pip")
    assert f"Version: {env.pip_version}" in shown.stdout  # pip was not upgraded
    helped = env.run(["-m", "wheelnext_pip", "--help"])
    assert helped.returncode == 0 and "not on PyPI yet" in helped.stdout
    doctor = env.run(["-m", "wheelnext_pip", "doctor"], wheelnext="1")
    assert "wheelnext-pip" in doctor.stdout

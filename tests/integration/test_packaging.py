"""The distribution itself: start-up files in the right places, no dependency on pip."""

from __future__ import annotations

import email
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests._lib.pipenv import REPO, build_project_wheel


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

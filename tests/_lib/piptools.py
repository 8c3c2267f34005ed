"""pip-tools beside a pinned pip: which release goes with which pip, and its wheels."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests._lib import pipenv


def piptools_version(pip_version: str) -> str:
    """The pip-tools release each pip of the matrix is used with: four 7.x releases, each
    on pips it supports (7.7 needs pip 26.2.2+; 7.5 fails on pip 26.2, 7.6 does not)."""
    release = tuple(int(part) for part in pip_version.split(".")[:3])
    if release >= (26, 2, 2):
        return "7.7.0"
    if release >= (26, 0):
        return "7.6.2"
    if release >= (24, 0):
        return "7.5.3"
    return "7.4.1"


def piptools_wheels(version: str, python_release: tuple[int, int]) -> Path:
    """pip-tools and its dependencies for one Python, downloaded once from PyPI."""
    release = f"{python_release[0]}.{python_release[1]}"
    folder = pipenv.cache_dir() / f"pip-tools-{version}-py{release}"
    marker = folder / ".complete-v2"
    # ``--python-version`` sets python_version but not python_full_version for markers:
    # name the backports that pip-tools' dependencies need on older Pythons.
    backports = (
        ["importlib-metadata>=4.6", "zipp", "tomli", "typing-extensions"]
        if python_release < (3, 11)
        else []
    )
    if not marker.exists():
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--only-binary",
                ":all:",
                "-q",
                "--python-version",
                release,
                "-d",
                str(folder),
                f"pip-tools=={version}",
                *backports,
            ],
            check=True,
        )
        marker.touch()
    return folder


def install_piptools(env: pipenv.PipEnv, python_release: tuple[int, int]) -> str:
    """Install the pip-tools release for the env's pip (never changing that pip)."""
    version = piptools_version(env.pip_version)
    wheels = piptools_wheels(version, python_release)
    env.pip("install", "--no-index", "--find-links", wheels, f"pip-tools=={version}", check=True)
    listed = env.pip("list", "--format=freeze", check=True).stdout.splitlines()
    if f"pip=={env.pip_version}" not in listed:
        raise AssertionError(f"installing pip-tools changed pip: {listed}")
    return version

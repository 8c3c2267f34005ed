"""pytest plugin for pip's own test suite: wheelnext-pip in every environment it makes.

Loaded by ``scripts/pip_testsuite.py`` with ``-p _pip_testsuite_plugin`` (the script copies
this file into the runner's site-packages). pip's functional tests copy one session-scoped
template virtual environment (the ``virtualenv_template`` fixture of pip's
``tests/conftest.py``) for every test; this plugin installs wheelnext-pip's built wheel and
its runtime dependencies into that template, with the template's own pip, the normal way
(so the start-up ``wheelnext_pip.pth`` is there). Every copy, and so every test's pip, has it.

With ``WHEELNEXT_PIP`` on, wheelnext-pip is also activated inside the pytest process (which
the start-up gate rightly leaves alone: it is not a pip process), so that pip commands the
unit tests run in-process get the patches as a real pip process would.

Options (given by the script): ``--wnp-wheel`` (the wheel), ``--wnp-wheelhouse`` (a folder
with the runtime dependencies), ``--wnp-event-dir`` (where each pip process with
wheelnext-pip on logs its activation; one file per xdist worker).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

TEMPLATE_FIXTURE = "virtualenv_template"
OFF_VALUES = ("", "0", "off", "false")
WRAPPED = "__wnp_installs_wheelnext_pip__"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("wheelnext-pip")
    group.addoption("--wnp-wheel", help="wheelnext-pip wheel to install in the template venv")
    group.addoption("--wnp-wheelhouse", help="folder holding its runtime dependencies")
    group.addoption("--wnp-event-dir", help="folder for the activation event logs")


def _switched_on() -> bool:
    return os.environ.get("WHEELNEXT_PIP", "").strip().lower() not in OFF_VALUES


def pytest_configure(config: pytest.Config) -> None:
    event_dir = config.getoption("--wnp-event-dir")
    if event_dir:
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        # Every pip child inherits this (pip's harness copies os.environ).
        os.environ["WHEELNEXT_PIP_EVENT_LOG"] = str(Path(event_dir) / f"events-{worker}.jsonl")
    if _switched_on():
        from wheelnext_pip import _activate

        _activate.activate()


def _child_environ() -> dict[str, str]:
    """The install into the template is set-up, not a test: stock pip, no machine config."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PIP_", "WHEELNEXT_PIP")) and key != "PYTHONPATH"
    }
    env.update(PIP_CONFIG_FILE=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1")
    return env


def install_into_template(venv: Any, wheel: str, wheelhouse: str) -> None:
    location = Path(venv.location)
    python = Path(venv.bin) / "python"
    result = subprocess.run(
        [str(python), "-m", "pip", "install", "--no-index", "--find-links", wheelhouse, wheel],
        env=_child_environ(),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        tail = (result.stderr or result.stdout).strip().splitlines()[-1:]
        raise RuntimeError(
            f"installing wheelnext-pip into {location} failed: {' '.join(tail) or 'no output'}"
        )
    if not (Path(venv.site) / "wheelnext_pip.pth").is_file():
        raise RuntimeError(f"wheelnext_pip.pth is missing from {venv.site} after the install")
    # pip's fixture drops the template's (non-relocatable) launchers: drop ours too.
    for name in os.listdir(venv.bin):
        if not name.startswith(("python", "libpy")):
            path = Path(venv.bin) / name
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()


@pytest.hookimpl(tryfirst=True)
def pytest_fixture_setup(
    fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest
) -> None:
    """Wrap pip's template fixture so a failed install is that fixture's error (and every
    functional test shows it), never a template silently without wheelnext-pip."""
    if fixturedef.argname != TEMPLATE_FIXTURE or getattr(fixturedef.func, WRAPPED, False):
        return
    wheel = request.config.getoption("--wnp-wheel")
    wheelhouse = request.config.getoption("--wnp-wheelhouse")
    if not (wheel and wheelhouse):
        return
    original = fixturedef.func

    def template(*args: Any, **kwargs: Any) -> Any:
        venv = original(*args, **kwargs)
        install_into_template(venv, wheel, wheelhouse)
        return venv

    setattr(template, WRAPPED, True)
    # pytest types ``func`` as final; it is a plain attribute that pytest reads at setup.
    fixturedef.func = template  # type: ignore[misc]

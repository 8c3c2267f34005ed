"""The start-up gate: which processes are pip, and that it stays cheap and silent."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from wheelnext_pip._bootstrap import classify_process, is_enabled

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("orig_argv", "argv", "expected"),
    [
        (["python", "-m", "pip", "install", "x"], ["-m"], "pip"),
        (["python3", "-Im", "pip"], ["-m"], "pip"),
        (["python3", "-mpip", "list"], ["-m"], "pip"),
        (["python3", "-X", "importtime", "-m", "pip"], ["-m"], "pip"),
        (["python3", "-Wignore", "-m", "pip"], ["-m"], "pip"),
        (["python3", "-m", "pipx"], ["-m"], "other"),
        (["python3", "-m", "pip.foo"], ["-m"], "other"),
        (["python3", "-c", "import pip"], ["-c"], "other"),
        (["python3", "-I", "-c", "-m pip"], ["-c"], "other"),
        (["python3", "script.py", "-m", "pip"], ["script.py"], "other"),
        (["/venv/bin/python", "/venv/bin/pip", "install"], ["/venv/bin/pip", "install"], "pip"),
        (["/v/bin/python", "/v/bin/pip3"], ["/v/bin/pip3"], "pip"),
        (["/v/bin/python", "/v/bin/pip3.12"], ["/v/bin/pip3.12"], "pip"),
        (["py", "C:\\v\\Scripts\\pip.exe"], ["C:\\v\\Scripts\\pip.exe"], "pip"),
        (["python", "/tmp/pip.pyz", "list"], ["/tmp/pip.pyz", "list"], "pip"),
        (["python", "/s/pip/__pip-runner__.py", "install"], ["/s/pip/__pip-runner__.py"], "pip"),
        (["python", "/v/bin/pipenv"], ["/v/bin/pipenv"], "other"),
        (["python", "/v/bin/pip3.x"], ["/v/bin/pip3.x"], "other"),
        (["python", "/p/_in_process.py", "build_wheel"], ["/p/_in_process.py"], "other"),
        # pip-tools drives pip's resolver in its own process.
        (["/v/bin/python", "/v/bin/pip-compile"], ["/v/bin/pip-compile"], "pip-tools"),
        (["/v/bin/python", "/v/bin/pip-sync", "r.txt"], ["/v/bin/pip-sync"], "pip-tools"),
        (
            ["py", "C:\\v\\Scripts\\pip-compile.exe"],
            ["C:\\v\\Scripts\\pip-compile.exe"],
            "pip-tools",
        ),
        (["python3", "-m", "piptools", "compile"], ["-m"], "pip-tools"),
        (["python3", "-m", "piptools.scripts.compile"], ["-m"], "other"),
        (["python", "/v/bin/pip-compile-multi"], ["/v/bin/pip-compile-multi"], "other"),
    ],
)
def test_classify_with_orig_argv(orig_argv: list[str], argv: list[str], expected: str) -> None:
    assert classify_process(orig_argv, argv, build_tracker=False) == expected


def test_python39_dash_m_is_undecided_except_in_builds() -> None:
    assert classify_process(None, ["-m"], build_tracker=False) == "undecided"
    assert classify_process(None, ["-m"], build_tracker=True) == "other"
    assert classify_process(None, ["/v/bin/pip"], build_tracker=True) == "pip"
    assert classify_process(None, [], build_tracker=False) == "other"


@pytest.mark.parametrize(
    ("value", "on"),
    [
        (None, False),
        ("", False),
        (" Off", False),
        ("0", False),
        ("false", False),
        ("1", True),
        ("bogus", True),
    ],
)
def test_is_enabled(value: str | None, on: bool) -> None:
    assert is_enabled(value) is on


def _run(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("WHEELNEXT_PIP")}
    environ.update(env, PYTHONPATH=str(REPO))
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=environ, check=True
    )


def test_bootstrap_in_non_pip_process_leaves_no_trace() -> None:
    code = (
        "import sys; before = set(sys.modules)\n"
        "import wheelnext_pip._bootstrap as b\n"
        "b.bootstrap(); b.bootstrap()\n"
        "armed = [f for f in sys.meta_path if type(f).__name__ == '_PipImportTrigger']\n"
        "print(sorted(set(sys.modules) - before), b._state, armed)\n"
    )
    for switch in ("1", "0"):
        result = _run(code, WHEELNEXT_PIP=switch)
        assert result.stdout.strip() == "[] {'ran': True, 'error': ''} []"
        assert result.stderr == ""


def test_bootstrap_arms_once_in_a_pip_process() -> None:
    code = (
        "import sys\n"
        "sys.argv[0] = '/venv/bin/pip'\n"
        "import wheelnext_pip._bootstrap as b\n"
        "b.bootstrap(); b.bootstrap()\n"
        "triggers = [f for f in sys.meta_path if type(f).__name__ == '_PipImportTrigger']\n"
        "print(len(triggers), 'wheelnext_pip._activate' in sys.modules)\n"
    )
    result = _run(code, WHEELNEXT_PIP="1")
    assert result.stdout.strip() == "1 False"

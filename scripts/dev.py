#!/usr/bin/env python3
"""Developer tasks with nothing installed beforehand but Python 3.9+.

    python3 scripts/dev.py test     # lint, type-check, unit and real-pip tests (what CI runs)
    python3 scripts/dev.py lint     # ruff and mypy only

A private virtual environment ``.venv-dev`` holds the tools; it is re-made when the tool
list below changes. pip wheels for the test matrix are cached in
``~/.cache/wheelnext-pip-tests`` (``WHEELNEXT_TEST_CACHE``). Extra arguments after
``test`` go to pytest; ``WHEELNEXT_TEST_PIPS=26.3,23.0.1`` narrows the pip matrix.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
VENV = REPO / ".venv-dev"
TOOLS = [
    "pytest>=8",
    "pytest-xdist>=3.5",
    "pytest-cov>=5",
    "hatchling>=1.21",
    "ruff>=0.6",
    "mypy>=1.10",
    "packaging>=22",
    "tomli>=1.1; python_version < '3.11'",
]


def _python() -> Path:
    return VENV / "bin" / "python"


def ensure_tools() -> Path:
    digest = hashlib.sha256("\n".join(TOOLS).encode()).hexdigest()[:12]
    stamp = VENV / f".tools-{digest}"
    if not stamp.exists():
        print(f"setting up {VENV.name} ...", flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
        subprocess.run(
            [str(_python()), "-m", "pip", "install", "-q", "--disable-pip-version-check", *TOOLS],
            check=True,
        )
        stamp.touch()
    return _python()


def run(step: str, command: list[str]) -> int:
    print(f"== {step}: {' '.join(command)}", flush=True)
    return subprocess.run(command, cwd=REPO).returncode


def lint(python: Path) -> int:
    failures = 0
    failures += run("ruff", [str(python), "-m", "ruff", "check", "."]) != 0
    failures += run("ruff format", [str(python), "-m", "ruff", "format", "--check", "."]) != 0
    failures += run("mypy", [str(python), "-m", "mypy"]) != 0
    return failures


def main(argv: list[str]) -> int:
    task = argv[0] if argv else "test"
    if task not in ("test", "lint"):
        print(__doc__)
        return 2
    python = ensure_tools()
    failures = lint(python)
    if task == "test":
        env_note = os.environ.get("WHEELNEXT_TEST_PIPS", "default matrix")
        print(f"== pytest (pips: {env_note})", flush=True)
        # Two workers (CI machines have two cores); each owns whole pip versions.
        parallel = ["-n", "2", "--dist", "loadgroup"] if "-n" not in argv else []
        pytest = [str(python), "-m", "pytest", *parallel]
        if len(argv) == 1:
            # The whole suite. Branch coverage of the policy modules (the floor is in
            # pyproject.toml) is measured by their specification, the unit tests: the
            # real-pip tests run pip in child processes, which coverage does not see, and
            # tracing the harness would only double their time.
            coverage = ["--cov", "--cov-report=term:skip-covered"]
            failures += run("pytest, unit tests", [*pytest, *coverage, "tests/unit"]) != 0
            real_pip = [*pytest, "--durations=15", "tests/integration"]
            failures += run("pytest, real pip", real_pip) != 0
        else:
            failures += run("pytest", [*pytest, *argv[1:]]) != 0
    print("== all checks passed" if not failures else f"== {failures} check(s) failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

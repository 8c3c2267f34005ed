"""What the benchmark scripts share: a pip environment with this checkout's wheel, ratios,
and the ``main`` wrapper that turns setup failures into one error line."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests._lib.pipenv import (  # noqa: E402
    PipEnv,
    build_project_wheel,
    create_env,
    fill_wheelhouse,
)


def prepare_plugin_env(work: Path, pip_version: str) -> PipEnv:
    """A venv with ``pip_version`` and wheelnext-pip's wheel built from this checkout."""
    print("building the wheelnext-pip wheel ...", flush=True)
    plugin_wheel = build_project_wheel(work / "dist")
    wheelhouse = fill_wheelhouse(work / "wheelhouse")
    shutil.copy2(plugin_wheel, wheelhouse / plugin_wheel.name)
    print(f"creating an environment with pip {pip_version} and wheelnext-pip ...", flush=True)
    env = create_env(
        work / "env",
        sys.executable,
        pip_version,
        plugin_wheel=wheelhouse / plugin_wheel.name,
        wheelhouse=wheelhouse,
    )
    # pip unzipped from its wheel has no bytecode, and the hermetic children may not write any.
    env.run(["-m", "compileall", "-q", "-j", "0", env.site_packages], check=True)
    return env


def ratio_text(value: float | None, base: float | None) -> str:
    return "n/a" if value is None or not base else f"{value / base:.2f}x"


def run_in_workdir(prefix: str, benchmark: Callable[[Path], None]) -> int:
    """Run ``benchmark(workdir)`` in a temporary folder; a failure is one line, exit 1."""
    try:
        with tempfile.TemporaryDirectory(prefix=prefix) as work:
            benchmark(Path(work))
    except (RuntimeError, AssertionError, subprocess.CalledProcessError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0

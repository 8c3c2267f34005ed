"""What the benchmark scripts share: a pip environment with this checkout's wheel, ratios,
and the ``main`` wrapper that turns setup failures into one error line."""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests._lib.pipenv import (  # noqa: E402
    PipEnv,
    build_project_wheel,
    create_env,
    fill_wheelhouse,
    pip_needs_python,
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


def print_markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """The results as a Markdown table (the README shows it as printed)."""
    print()
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(row) + " |")


def run_in_workdir(prefix: str, benchmark: Callable[[Path], None]) -> int:
    """Run ``benchmark(workdir)`` in a temporary folder; a failure is one line, exit 1."""
    try:
        with tempfile.TemporaryDirectory(prefix=prefix) as work:
            benchmark(Path(work))
    except (RuntimeError, AssertionError, subprocess.CalledProcessError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


def benchmark_parser(description: str, rounds: int) -> argparse.ArgumentParser:
    """The options every benchmark takes: ``--rounds`` and ``--pip``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--rounds", type=int, default=rounds, help=f"measured rounds (default {rounds})"
    )
    parser.add_argument("--pip", default="26.3", help="pip release of the environment")
    return parser


def parse_checked(
    parser: argparse.ArgumentParser, argv: Sequence[str] | None, *positive: str
) -> argparse.Namespace:
    """Parse; ``--rounds`` and the named options must be >= 1, the pip must run here."""
    args = parser.parse_args(argv)
    for name in ("rounds", *positive):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    needed = pip_needs_python(args.pip)
    if sys.version_info[:2] < needed:
        parser.error(f"pip {args.pip} needs Python >= {needed[0]}.{needed[1]}")
    return args

#!/usr/bin/env python3
"""What wheelnext-pip costs at start-up: whole processes timed side by side.

    python3 scripts/bench_startup.py [--rounds N] [--pip VERSION] [--python PYTHON] [--keep DIR]
                                     [--instructions]

Builds the project wheel, then makes two virtual environments with the same pip release:
one with wheelnext-pip installed from that wheel, one without. Each pair of commands below
is timed (wall time of the whole process, ``time.perf_counter`` around ``subprocess.run``)
interleaved A B A B ... within every round, with the order swapped on alternate rounds,
after three warm-up runs of each side. Every child runs with the tests' hermetic
environment. Both environments are byte-compiled first, as an installer would leave them,
since the hermetic environment forbids writing bytecode.

``--instructions`` also runs each command once under ``valgrind --tool=callgrind`` and
prints the instructions it executed: a count that does not move with the machine's load,
for differences (a start-up file's fraction of a millisecond) that wall time on a shared
machine cannot resolve.

Targets are informational: the script exits 0 unless a command fails to run.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests._lib.builders import make_wheel  # noqa: E402
from tests._lib.index import IndexServer, write_simple_index  # noqa: E402
from tests._lib.pipenv import (  # noqa: E402
    PipEnv,
    build_project_wheel,
    create_env,
    fill_wheelhouse,
    hermetic_environ,
    modules_imported_by_pip,
    pip_needs_python,
    python_release,
)

WARMUP_RUNS = 3
#: A processes this cheap (tens of ms) get several A/B pairs per round to steady their medians.
CHEAP_PAIRS_PER_ROUND = 5


@dataclass(frozen=True)
class Side:
    """One command of a pair: a Python, its arguments and the ``WHEELNEXT_PIP`` value."""

    python: Path
    args: tuple[str, ...]
    wheelnext: str | None

    def environ(self) -> dict[str, str]:
        return hermetic_environ({"WHEELNEXT_PIP": self.wheelnext} if self.wheelnext else None)

    def run(self) -> float:
        """Run once; the wall time in seconds. Raises if the command fails."""
        command = [os.fspath(self.python), *self.args]
        env = self.environ()
        start = time.perf_counter()
        result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
        elapsed = time.perf_counter() - start
        if result.returncode != 0:
            raise RuntimeError(
                f"{' '.join(command)} (WHEELNEXT_PIP={self.wheelnext or 'unset'}) exited "
                f"{result.returncode}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
            )
        return elapsed

    def loaded_modules(self) -> set[str]:
        """Every module the command has imported when it exits (``-X importtime`` misses
        the feature modules pip's run loads through ``importlib``)."""
        if self.args[:2] != ("-m", "pip"):
            return {name for name, _, _ in self.imports()}
        return modules_imported_by_pip(self.python, self.args[2:], self.environ())

    def instructions(self) -> int:
        """Instructions one run executes, counted by ``valgrind --tool=callgrind``: the
        same count run after run whatever else the machine does (hash seed fixed), where
        wall time on a shared machine varies by a few percent."""
        environ = {**self.environ(), "PYTHONHASHSEED": "0"}
        command = [
            "valgrind",
            "--tool=callgrind",
            f"--callgrind-out-file={os.devnull}",
            os.fspath(self.python),
            *self.args,
        ]
        result = subprocess.run(command, env=environ, capture_output=True, text=True, timeout=900)
        found = re.search(r"Collected : (\d+)", result.stderr)
        if result.returncode != 0 or found is None:
            raise RuntimeError(f"{' '.join(command)} exited {result.returncode}\n{result.stderr}")
        return int(found.group(1))

    def imports(self) -> list[tuple[str, int, float]]:
        """``(module, nesting depth, cumulative ms)`` as ``-X importtime`` prints them."""
        command = [os.fspath(self.python), "-X", "importtime", *self.args]
        result = subprocess.run(
            command, env=self.environ(), capture_output=True, text=True, timeout=300
        )
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} exited {result.returncode}\n{result.stderr}")
        found: list[tuple[str, int, float]] = []
        for line in result.stderr.splitlines():
            parts = line.split("|")
            if not line.startswith("import time:") or len(parts) != 3:
                continue
            cumulative, raw = parts[1].strip(), parts[2]
            if cumulative.isdigit():
                name = raw.strip()
                depth = (len(raw) - len(raw.lstrip()) - 1) // 2
                found.append((name, depth, int(cumulative) / 1000))
        return found


@dataclass
class Pair:
    """A baseline (A) and a candidate (B) timed against each other."""

    label: str
    a: Side
    b: Side
    target: float | None
    per_round: int = 1
    a_times: list[float] = field(default_factory=list)
    b_times: list[float] = field(default_factory=list)
    round_ratios: list[float] = field(default_factory=list)

    def warm_up(self) -> None:
        for _ in range(WARMUP_RUNS):
            self.a.run()
            self.b.run()

    def run_round(self, b_first: bool) -> None:
        a_round: list[float] = []
        b_round: list[float] = []
        for _ in range(self.per_round):
            if b_first:
                b_round.append(self.b.run())
                a_round.append(self.a.run())
            else:
                a_round.append(self.a.run())
                b_round.append(self.b.run())
        self.a_times.extend(a_round)
        self.b_times.extend(b_round)
        self.round_ratios.append(statistics.median(b_round) / statistics.median(a_round))

    def row(self) -> str:
        a_ms = statistics.median(self.a_times) * 1000
        b_ms = statistics.median(self.b_times) * 1000
        ratio = b_ms / a_ms
        spread = f"{min(self.round_ratios):.3f}-{max(self.round_ratios):.3f}"
        if self.target is None:
            verdict = "(no target)"
        else:
            verdict = f"<= {self.target:.2f} {'PASS' if ratio <= self.target else 'ABOVE'}"
        return (
            f"{self.label:<34} {a_ms:>9.1f} {b_ms:>9.1f} {ratio:>7.3f} "
            f"{statistics.median(self.round_ratios):>8.3f} {spread:>13}  {verdict}"
        )


HEADER = (
    f"{'pair (A -> B)':<34} {'A ms':>9} {'B ms':>9} {'B/A':>7} "
    f"{'rnd med':>8} {'rnd min-max':>13}  target"
)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Time interpreter and pip start-up with and without wheelnext-pip."
    )
    parser.add_argument("--rounds", type=int, default=30, help="measured rounds (default 30)")
    parser.add_argument("--pip", default="26.3", help="pip release in both environments")
    parser.add_argument("--python", default=sys.executable, help="interpreter for the environments")
    parser.add_argument(
        "--keep",
        type=Path,
        metavar="DIR",
        help="build the environments in DIR (new or empty) and leave them there",
    )
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="also count each command's instructions once under valgrind's callgrind",
    )
    args = parser.parse_args(argv)
    if args.instructions and shutil.which("valgrind") is None:
        parser.error("--instructions needs valgrind on PATH")
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    python = shutil.which(args.python)
    if python is None:
        parser.error(f"no interpreter {args.python!r}")
    release = python_release(python)
    if release is None:
        parser.error(f"cannot run {python}")
    needed = pip_needs_python(args.pip)
    if release < needed:
        parser.error(
            f"pip {args.pip} needs Python >= {needed[0]}.{needed[1]}; "
            f"{python} is {release[0]}.{release[1]}"
        )
    args.python = python
    if args.keep is not None and args.keep.exists() and any(args.keep.iterdir()):
        parser.error(f"--keep {args.keep}: directory is not empty")
    return args


def prepare(work: Path, python: str, pip_version: str) -> tuple[PipEnv, PipEnv, Path]:
    """The stock and plugin environments and the wheelhouse (holding the plugin wheel too)."""
    print("building the wheelnext-pip wheel ...", flush=True)
    wheel = build_project_wheel(work / "dist")
    wheelhouse = fill_wheelhouse(work / "wheelhouse")
    shutil.copy2(wheel, wheelhouse / wheel.name)
    print(f"creating environments with pip {pip_version} ...", flush=True)
    stock = create_env(
        work / "stock", python, pip_version, plugin_wheel=None, wheelhouse=wheelhouse
    )
    plugin = create_env(
        work / "plugin",
        python,
        pip_version,
        plugin_wheel=wheelhouse / wheel.name,
        wheelhouse=wheelhouse,
    )
    for env in (stock, plugin):
        # pip unzipped from its wheel has no bytecode, and children may not write any.
        env.run(["-m", "compileall", "-q", "-j", "0", env.site_packages], check=True)
    return stock, plugin, wheelhouse


def new_imports(pair: Pair) -> str:
    """How many modules B imports and A does not, and the costliest of them by one
    ``-X importtime`` run each (which names only modules imported by statements)."""
    imports = pair.b.imports()
    extra = pair.b.loaded_modules() - pair.a.loaded_modules()
    if not extra:
        return "no new modules"
    # importtime prints children before their parent, one level deeper: walk it backwards
    # to find the outermost new modules (those not imported by another new module).
    roots: list[tuple[float, str]] = []
    stack: list[tuple[int, str]] = []
    for name, depth, cumulative in reversed(imports):
        while stack and stack[-1][0] >= depth:
            stack.pop()
        if name in extra and not (stack and stack[-1][1] in extra):
            roots.append((cumulative, name))
        stack.append((depth, name))
    roots.sort(reverse=True)
    costliest = ", ".join(f"{name} {ms:.1f} ms" for ms, name in roots[:3])
    return f"+{len(extra)} modules; costliest: {costliest}"


#: The resolution of issue 14 item 8: thirty projects, none with WheelNext metadata.
GRAPH_SIZE = 30


def write_plain_graph(root: Path) -> Path:
    """An index of ``graph-root`` and the 29 projects it needs, two releases each, built
    here and carrying no WheelNext metadata: what nearly every real resolution looks like."""
    dists = root / "dists"
    wheels = []
    leaves = [f"graph-dep{number:02d}" for number in range(1, GRAPH_SIZE)]
    for version in ("1.0", "1.1"):
        wheels.append(make_wheel(dists, "graph-root", version, requires_dist=leaves))
        wheels.extend(make_wheel(dists, leaf, version) for leaf in leaves)
    write_simple_index(root / "www", wheels)
    return root / "www"


def version_of(env: PipEnv, args: Sequence[str]) -> str:
    return env.run(args, check=True).stdout.strip()


def benchmark(
    work: Path, python: str, pip_version: str, rounds: int, instructions: bool = False
) -> None:
    stock, plugin, wheelhouse = prepare(work, python, pip_version)
    with IndexServer(write_plain_graph(work / "graph")) as index:
        measure(stock, plugin, wheelhouse, index.index_url, python, rounds, instructions)


def measure(
    stock: PipEnv,
    plugin: PipEnv,
    wheelhouse: Path,
    index_url: str,
    python: str,
    rounds: int,
    instructions: bool = False,
) -> None:
    pass_args = ("-c", "pass")
    version_args = ("-m", "pip", "--version")
    install_args = (
        "-m",
        "pip",
        "install",
        "--dry-run",
        "--no-index",
        "--find-links",
        os.fspath(wheelhouse),
        "--quiet",
        "packaging",
    )
    graph_args = (
        "-m",
        "pip",
        "install",
        "--dry-run",
        "--index-url",
        index_url,
        "--quiet",
        "graph-root",
    )
    pairs = [
        Pair(
            "start-up, WHEELNEXT_PIP unset",
            Side(stock.python, pass_args, None),
            Side(plugin.python, pass_args, None),
            target=1.02,
            per_round=CHEAP_PAIRS_PER_ROUND,
        ),
        Pair(
            "start-up, WHEELNEXT_PIP=1, not pip",
            Side(stock.python, pass_args, None),
            Side(plugin.python, pass_args, "1"),
            target=None,
            per_round=CHEAP_PAIRS_PER_ROUND,
        ),
        Pair(
            "pip --version, off -> on",
            Side(plugin.python, version_args, None),
            Side(plugin.python, version_args, "1"),
            target=1.05,
        ),
        Pair(
            "pip install --dry-run, off -> on",
            Side(plugin.python, install_args, None),
            Side(plugin.python, install_args, "1"),
            target=None,
        ),
        Pair(
            f"dry run, {GRAPH_SIZE} packages, off -> on",
            Side(plugin.python, graph_args, None),
            Side(plugin.python, graph_args, "1"),
            target=1.05,
        ),
    ]

    python_version = version_of(stock, ["-c", "import sys; print(sys.version.split()[0])"])
    print()
    print(f"Python {python_version} ({python})")
    print(version_of(stock, version_args))
    print(
        f"wheelnext-pip {version_of(plugin, ['-m', 'wheelnext_pip', '--version']).split()[-1]}"
        f"; {rounds} rounds, {WARMUP_RUNS} warm-up runs per side; "
        f"start-up pairs run {CHEAP_PAIRS_PER_ROUND} A/B pairs per round"
    )
    added = sorted(
        path.name
        for path in plugin.site_packages.glob("*.pth")
        if not (stock.site_packages / path.name).exists()
    )
    print(f"start-up files added by installing wheelnext-pip: {', '.join(added) or 'none'}")
    print("modules imported by B and not by A (as listed at exit; costliest by -X importtime):")
    for pair in pairs:
        print(f"  {pair.label:<34} {new_imports(pair)}")
    print(flush=True)

    for pair in pairs:
        pair.warm_up()
    started = time.perf_counter()
    for number in range(rounds):
        for pair in pairs:
            pair.run_round(b_first=number % 2 == 1)
    elapsed = time.perf_counter() - started

    print(HEADER)
    print("-" * len(HEADER))
    for pair in pairs:
        print(pair.row())
    print()
    print(
        "Ratios are B/A of whole-process wall times (interpreter start to exit), measured side\n"
        "by side, interleaved in this one run; 'rnd' columns are per-round ratios of medians.\n"
        f"Measured rounds took {elapsed:.0f} s. Targets are informational."
    )
    if instructions:
        print()
        print("instructions (valgrind --tool=callgrind, one run each, PYTHONHASHSEED=0):")
        for pair in pairs:
            a, b = pair.a.instructions(), pair.b.instructions()
            print(f"  {pair.label:<34} {a / 1e6:9.2f} M -> {b / 1e6:9.2f} M   {b / a:.3f}")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        if args.keep is not None:
            args.keep.mkdir(parents=True, exist_ok=True)
            benchmark(args.keep.resolve(), args.python, args.pip, args.rounds, args.instructions)
        else:
            with tempfile.TemporaryDirectory(prefix="wheelnext-bench-") as work:
                benchmark(Path(work), args.python, args.pip, args.rounds, args.instructions)
    except (RuntimeError, AssertionError, subprocess.CalledProcessError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

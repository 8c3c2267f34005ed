#!/usr/bin/env python3
"""What build-isolation passthrough saves: time and bytes downloaded, side by side.

    python3 scripts/bench_build_isolation.py [--size-mb 200] [--rounds 3] [--pip VERSION]

Builds ``bigfw-1.0-py3-none-any.whl`` (a stand-in for a framework such as torch: N MB of
random, incompressible payload) and an sdist ``ext-pkg`` whose ``[build-system] requires``
is ``bigfw==1.0`` and whose backend imports ``bigfw``, serves both from a local index on
127.0.0.1 that counts every byte it sends, and installs ``bigfw`` into one virtual
environment that has the pip release and wheelnext-pip's wheel built from this checkout.

Every round builds ``ext-pkg`` with ``pip wheel --no-deps --no-cache-dir`` in both ways
(the order reversed on alternate rounds, after one warm-up of each), timing the whole pip
process with ``time.perf_counter``:

- stock isolation (``WHEELNEXT_PIP`` unset): pip downloads ``bigfw`` and installs it into
  the isolated build environment;
- passthrough (``WHEELNEXT_PIP=1``, ``WHEELNEXT_PIP_BUILD_ISOLATION_PASSTHROUGH=bigfw``):
  the build uses the installed ``bigfw``.

Bytes are what the index sent (files and pages). Exits 0 unless the benchmark itself
cannot run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from scripts._benchlib import (  # noqa: E402
    benchmark_parser,
    parse_checked,
    prepare_plugin_env,
    run_in_workdir,
)
from tests._lib.builders import make_sdist, make_wheel  # noqa: E402
from tests._lib.index import IndexServer, write_simple_index  # noqa: E402
from tests._lib.pipenv import (  # noqa: E402
    PipEnv,
)

FRAMEWORK = "bigfw"
EXTENSION = "ext-pkg"
PASSTHROUGH_LINE = "taken from the target environment (build-isolation-passthrough)"


@dataclass
class Case:
    label: str
    wheelnext: str | None
    settings: dict[str, str]
    times: list[float] = field(default_factory=list)
    sent: list[int] = field(default_factory=list)
    failure: str | None = None
    output: str = ""

    def build(self, env: PipEnv, index: IndexServer, out: Path) -> None:
        index.clear_requests()
        start = time.perf_counter()
        result = env.pip(
            "wheel",
            "--no-deps",
            "--no-cache-dir",
            "--index-url",
            index.index_url,
            "-w",
            out,
            EXTENSION,
            wheelnext=self.wheelnext,
            env=self.settings,
            timeout=1800,
        )
        elapsed = time.perf_counter() - start
        if result.returncode != 0:
            lines = [line for line in (result.stderr + result.stdout).splitlines() if line]
            self.failure = f"pip exited {result.returncode}: " + (lines[-1] if lines else "")
            return
        self.output = result.stdout
        self.times.append(elapsed)
        self.sent.append(bytes_sent(index))

    @property
    def median_time(self) -> float | None:
        return statistics.median(self.times) if self.times else None

    @property
    def median_bytes(self) -> float | None:
        return statistics.median(self.sent) if self.sent else None


def bytes_sent(index: IndexServer) -> int:
    """What the index answered with 200, measured on disk (HTML form of pages)."""
    total = 0
    for request in index.requests:
        if request.status != 200 or request.method != "GET":
            continue
        path = index.root.joinpath(*[part for part in request.path.split("/") if part])
        if path.is_dir():
            path = path / "index.html"
        if path.is_file():
            total += path.stat().st_size
    return total


def format_bytes(value: float | None) -> str:
    if value is None:
        return "-"
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:,.0f} {unit}" if unit == "B" else f"{value:,.1f} {unit}"
        value /= 1000
    return "-"


def ratio(value: float | None, base: float | None) -> str:
    if value is None or not base:
        return "-"
    quotient = value / base
    return f"{quotient:.4f}" if quotient >= 0.001 else f"{quotient:.1e}"


def prepare(work: Path, size_mb: int, pip_version: str) -> tuple[PipEnv, IndexServer]:
    print(f"building {FRAMEWORK} with {size_mb} MB of payload and the sdist {EXTENSION} ...")
    dists = work / "dists"
    chunk = 1_000_000
    files: dict[str, bytes | str] = {f"{FRAMEWORK}/__init__.py": '__version__ = "1.0"\n'}
    for number in range(0, size_mb, 50):
        size = min(50, size_mb - number) * chunk
        files[f"{FRAMEWORK}/lib/part{number // 50}.bin"] = os.urandom(size)
    framework = make_wheel(dists, FRAMEWORK, "1.0", files=files)
    del files
    sdist = make_sdist(
        dists,
        EXTENSION,
        "1.0",
        build_requires=[f"{FRAMEWORK}==1.0"],
        import_build_requires=[FRAMEWORK],
    )
    write_simple_index(work / "www", [framework, sdist])
    print(f"  {framework.name}: {format_bytes(framework.stat().st_size)}", flush=True)

    env = prepare_plugin_env(work, pip_version)
    index = IndexServer(work / "www").start()
    print(f"installing {FRAMEWORK} into the environment (the host copy) ...", flush=True)
    env.pip("install", "--index-url", index.index_url, FRAMEWORK, check=True, timeout=1800)
    return env, index


def benchmark(work: Path, size_mb: int, rounds: int, pip_version: str) -> None:
    env, index = prepare(work, size_mb, pip_version)
    try:
        cases = [
            Case("stock isolation", None, {}),
            Case(
                "passthrough",
                "1",
                {"WHEELNEXT_PIP_BUILD_ISOLATION_PASSTHROUGH": FRAMEWORK},
            ),
        ]
        stock, passthrough = cases
        print(f"building {EXTENSION}: 1 warm-up + {rounds} round(s) of each ...", flush=True)
        for number in range(-1, rounds):
            for case in cases if number % 2 == 0 else reversed(cases):
                if case.failure is not None:
                    continue
                out = work / "out" / f"{cases.index(case)}-{number + 1}"
                case.build(env, index, out)
                shutil.rmtree(out, ignore_errors=True)
                if number == -1 and case.times:
                    case.times.clear()
                    case.sent.clear()
    finally:
        index.stop()

    print()
    version = env.pip("--version", check=True).stdout.split(" from ")[0]
    print(
        f"{version}, Python {sys.version.split()[0]}; {rounds} round(s), {FRAMEWORK} {size_mb} MB"
    )
    header = (
        f"{'case':<18} {'median s':>9} {'downloaded':>12} {'time/stock':>10} {'bytes/stock':>11}"
    )
    print(header)
    print("-" * len(header))
    for case in cases:
        median = f"{case.median_time:.2f}" if case.median_time is not None else "-"
        print(
            f"{case.label:<18} {median:>9} {format_bytes(case.median_bytes):>12} "
            f"{ratio(case.median_time, stock.median_time):>10} "
            f"{ratio(case.median_bytes, stock.median_bytes):>11}"
        )
    print()
    if passthrough.times and PASSTHROUGH_LINE not in passthrough.output:
        print("WARNING: the passthrough case did not report a passthrough; see pip's output:")
        print(passthrough.output)
    if stock.median_time and passthrough.median_time:
        print(
            f"passthrough is {stock.median_time / passthrough.median_time:.1f}x faster and "
            f"downloads {ratio(passthrough.median_bytes, stock.median_bytes)} of the bytes"
        )
    for case in cases:
        if case.failure is not None:
            print(f"{case.label}: not measured, {case.failure}")
    print("Times are whole pip processes; cases interleaved in this one run.")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = benchmark_parser(
        "Compare an isolated build of a framework extension with passthrough.", rounds=3
    )
    parser.add_argument("--size-mb", type=int, default=200, help="framework payload (200)")
    return parse_checked(parser, argv, "size_mb")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    return run_in_workdir(
        "wheelnext-bench-build-isolation-",
        lambda work: benchmark(work, args.size_mb, args.rounds, args.pip),
    )


if __name__ == "__main__":
    sys.exit(main())

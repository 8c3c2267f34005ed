#!/usr/bin/env python3
"""What links in wheels save: wheel size, installed bytes and install time, side by side.

    python3 scripts/bench_symlinks.py [--size-mb 50] [--rounds 5] [--pip VERSION]
    python3 scripts/bench_symlinks.py --validate [N ...]

Builds ``benchlib-1.0-py3-none-any.whl`` holding ``benchlib/libbench.so.1.2.3`` (N MB of
random, incompressible bytes) plus three identical copies named ``libbench.so``,
``libbench.so.1`` and ``libbench.so.1.2``, as build tools ship versioned libraries today,
then relinks it with ``wheelnext_pip.relink.relink_wheel`` (one real file, three LINKS rows).

One virtual environment gets the pip release and wheelnext-pip's wheel built from this
checkout. Every round installs each case into a fresh ``--target`` folder with
``pip install --no-index --no-deps --target DIR WHEEL`` (the order of the cases reversed on
alternate rounds, after one warm-up install of each), timing the whole pip process with
``time.perf_counter``:

- original wheel, ``WHEELNEXT_PIP`` unset (stock pip behaviour, the baseline);
- relinked wheel, ``WHEELNEXT_PIP=1``;
- original wheel, ``WHEELNEXT_PIP=1`` (the plugin must not slow plain wheels down).

Installed bytes are the ``os.lstat`` sizes of every file and link in the target (a link
counts as its own few bytes; nothing is followed; directories are not counted). Targets are
informational: the script exits 0 unless the benchmark itself cannot run.

``--validate`` times link validation alone (no pip, no files written): RECORD check, LINKS
parsing and ``plan_links`` of synthetic wheels, with N rows per shape (default 15000 and
50000). The shapes are the large inputs validation must handle in time proportional to
their size: two levels of directory links, each link of the first level pointing at the
folder that holds every link of the second (``2 x N`` rows); N member files beside N file
links; N links in chains of 40 (the longest allowed).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import os
import shutil
import stat
import statistics
import subprocess
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
    print_markdown_table,
    run_in_workdir,
)
from tests._lib.builders import make_wheel  # noqa: E402
from tests._lib.pipenv import PipEnv  # noqa: E402
from wheelnext_pip.relink import RelinkResult, format_size, relink_wheel  # noqa: E402
from wheelnext_pip.symlinks import check_links_recorded, parse_links_file, plan_links  # noqa: E402

PACKAGE = "benchlib"
REAL_LIBRARY = f"{PACKAGE}/libbench.so.1.2.3"
ALIASES = (f"{PACKAGE}/libbench.so", f"{PACKAGE}/libbench.so.1", f"{PACKAGE}/libbench.so.1.2")
INSTALLED_BYTES_TARGET = 0.4
INSTALL_TIME_TARGET = 1.0
#: What stock pip (or a wheelnext-pip without the symlinks feature) says about Wheel-Version 2.
UNSUPPORTED_MARKER = "Wheel-Version (2.0) is not compatible"


@dataclass
class Case:
    """One wheel installed with one ``WHEELNEXT_PIP`` value, round after round."""

    label: str
    wheel: Path
    wheelnext: str | None
    times: list[float] = field(default_factory=list)
    installed_bytes: int | None = None
    failure: str | None = None

    def install(self, env: PipEnv, target: Path) -> float | None:
        """Install into ``target``; the wall time, or None (and ``failure`` set) on error."""
        start = time.perf_counter()
        result = env.pip(
            "install",
            "--no-index",
            "--no-deps",
            "--quiet",
            "--target",
            target,
            self.wheel,
            wheelnext=self.wheelnext,
        )
        elapsed = time.perf_counter() - start
        if result.returncode != 0:
            self.failure = describe_failure(result)
            return None
        return elapsed

    @property
    def median(self) -> float | None:
        return statistics.median(self.times) if self.times else None


def describe_failure(result: subprocess.CompletedProcess[str]) -> str:
    output = result.stderr + result.stdout
    if UNSUPPORTED_MARKER in output:
        return (
            f"pip refused the wheel: '{UNSUPPORTED_MARKER}' - the symlinks feature is not "
            "active in this wheelnext-pip yet"
        )
    lines = [line for line in output.splitlines() if line.strip()]
    return f"pip exited {result.returncode}: " + (lines[-1] if lines else "no output")


def installed_bytes(folder: Path) -> int:
    """Sum of ``os.lstat`` sizes of every file and link below ``folder``, links not followed."""
    total = 0
    for directory, subdirectories, files in os.walk(folder):
        # os.walk lists a link to a directory among the subdirectories (and does not enter it).
        for name in (*subdirectories, *files):
            info = os.lstat(os.path.join(directory, name))
            if not stat.S_ISDIR(info.st_mode):
                total += info.st_size
    return total


def check_links(target: Path) -> tuple[bool, str]:
    """Whether the aliases in ``target`` are relative links to the real file, and a line."""
    real = (target / REAL_LIBRARY).resolve()
    problems = []
    for alias in ALIASES:
        path = target / alias
        if not path.is_symlink():
            problems.append(f"{alias} is {'a regular file' if path.exists() else 'missing'}")
        elif os.path.isabs(os.readlink(path)):
            problems.append(f"{alias} -> {os.readlink(path)} is absolute")
        elif path.resolve() != real:
            problems.append(f"{alias} resolves to {path.resolve()}, not {real}")
    if problems:
        listed = "; ".join(problems)
        return False, f"WARNING: links in the --target folder are not as expected: {listed}"
    return True, (
        f"links survived pip's --target move: {', '.join(Path(a).name for a in ALIASES)} are "
        f"relative symlinks resolving to {Path(REAL_LIBRARY).name}"
    )


def build_wheels(work: Path, size_mb: int) -> tuple[Path, RelinkResult]:
    payload = os.urandom(size_mb * 1_000_000)
    files: dict[str, bytes | str] = {f"{PACKAGE}/__init__.py": '__version__ = "1.0"\n'}
    files[REAL_LIBRARY] = payload
    files.update(dict.fromkeys(ALIASES, payload))
    original = make_wheel(work / "original", PACKAGE, "1.0", files=files, tag="py3-none-any")
    return original, relink_wheel(original, work / "relinked")


def ratio_text(value: float | None, base: float | None) -> str:
    return f"{value / base:.3f}" if value is not None and base else "-"


def verdict(value: float | None, base: float | None, target: float) -> str:
    if value is None or not base:
        return "n/a"
    return "PASS" if value / base <= target else "ABOVE"


def benchmark(work: Path, size_mb: int, rounds: int, pip_version: str) -> None:
    print(f"building {PACKAGE} with a {size_mb} MB library and 3 identical aliases ...", flush=True)
    original, relinked = build_wheels(work, size_mb)
    print(
        f"wheel: original {format_size(relinked.bytes_before)}, relinked "
        f"{format_size(relinked.bytes_after)} "
        f"({relinked.bytes_after / relinked.bytes_before:.3f}x; "
        f"{len(relinked.links)} links, payload saved {format_size(relinked.payload_saved)})"
    )
    for alias, real in relinked.links:
        print(f"  {alias} -> {real}")
    print(flush=True)

    env = prepare_plugin_env(work, pip_version)
    cases = [
        Case("original, WHEELNEXT_PIP unset", original, None),
        Case("relinked, WHEELNEXT_PIP=1", relinked.output, "1"),
        Case("original, WHEELNEXT_PIP=1", original, "1"),
    ]
    baseline, linked, plugin_plain = cases
    targets = work / "targets"
    targets.mkdir()
    link_report = "WARNING: the relinked wheel was never installed, links not checked"
    links_ok = False

    print(f"installing: 1 warm-up + {rounds} round(s) of {len(cases)} cases ...", flush=True)
    for number in range(-1, rounds):
        order = cases if number % 2 == 0 else list(reversed(cases))
        for case in order:
            if case.failure is not None:
                continue
            target = targets / f"{cases.index(case)}-{number + 1}"
            elapsed = case.install(env, target)
            if elapsed is not None:
                if number >= 0:
                    case.times.append(elapsed)
                if case.installed_bytes is None:
                    case.installed_bytes = installed_bytes(target)
                if case is linked and number == -1:
                    links_ok, link_report = check_links(target)
            # Each target holds up to 4 copies of the library: never keep them around.
            shutil.rmtree(target, ignore_errors=True)

    print()
    version = env.pip("--version", check=True).stdout.split(" from ")[0]
    print(f"{version}, Python {sys.version.split()[0]}; {rounds} round(s), library {size_mb} MB")
    header = (
        f"{'case':<32} {'wheel':>10} {'installed bytes':>15} {'median s':>9} "
        f"{'inst/orig':>9} {'time/orig':>9}"
    )
    print(header)
    print("-" * len(header))
    for case in cases:
        wheel_size = case.wheel.stat().st_size
        installed = f"{case.installed_bytes:,}" if case.installed_bytes is not None else "-"
        median = f"{case.median:.3f}" if case.median is not None else "-"
        print(
            f"{case.label:<32} {format_size(wheel_size):>10} {installed:>15} {median:>9} "
            f"{ratio_text(case.installed_bytes, baseline.installed_bytes):>9} "
            f"{ratio_text(case.median, baseline.median):>9}"
        )
    print()
    print(f"relinked/original wheel size:      {relinked.bytes_after / relinked.bytes_before:.3f}")
    print(
        f"relinked/original installed bytes: "
        f"{ratio_text(linked.installed_bytes, baseline.installed_bytes)}  "
        f"target <= {INSTALLED_BYTES_TARGET} "
        f"{verdict(linked.installed_bytes, baseline.installed_bytes, INSTALLED_BYTES_TARGET)}"
        + ("" if links_ok or linked.installed_bytes is None else " (but links missing, see below)")
    )
    print(
        f"relinked/original install time:    {ratio_text(linked.median, baseline.median)}  "
        f"target <= {INSTALL_TIME_TARGET} "
        f"{verdict(linked.median, baseline.median, INSTALL_TIME_TARGET)}"
    )
    print(
        f"plugin on/off, original wheel:     {ratio_text(plugin_plain.median, baseline.median)}"
        "  (the plugin on a plain wheel; informational)"
    )
    for case in cases:
        if case.failure is not None:
            print(f"{case.label}: not measured, {case.failure}")
    print(link_report)
    print(
        "Times are whole pip processes; cases interleaved in this one run. Targets are "
        "informational."
    )


# -- validation only ---------------------------------------------------------------------

VALIDATION_WHEEL = "shapes-1.0-py3-none-any.whl"
VALIDATION_DIST_INFO = "shapes-1.0.dist-info"


def fan_out_shape(count: int) -> tuple[list[str], list[tuple[str, str]]]:
    """``pkg/a/l{i} -> pkg/b`` and ``pkg/b/m{i} -> pkg/c``: every first-level link exposes
    every second-level one (``2 x count`` rows)."""
    members = [f"pkg/{folder}/__init__.py" for folder in ("a", "b", "c")]
    rows = [(f"pkg/a/l{i}", "pkg/b") for i in range(count)]
    rows += [(f"pkg/b/m{i}", "pkg/c") for i in range(count)]
    return members, rows


def files_beside_links_shape(count: int) -> tuple[list[str], list[tuple[str, str]]]:
    """``count`` member files and one file link to each (``count`` rows)."""
    members = [f"pkg/f{i}.so" for i in range(count)]
    return members, [(f"pkg/l{i}.so", f"pkg/f{i}.so") for i in range(count)]


def chains_shape(count: int) -> tuple[list[str], list[tuple[str, str]]]:
    """``count`` links in chains of 40 links, each chain ending at its own file."""
    chains = max(1, count // 40)
    members = [f"pkg/c{chain}/lib.so" for chain in range(chains)]
    rows = [
        (
            f"pkg/c{chain}/l{step}",
            f"pkg/c{chain}/l{step + 1}" if step < 39 else f"pkg/c{chain}/lib.so",
        )
        for chain in range(chains)
        for step in range(40)
    ]
    return members, rows


SHAPES = (
    ("2 x N directory links, fanning out", fan_out_shape),
    ("N files beside N file links", files_beside_links_shape),
    ("N links in chains of 40", chains_shape),
)


def validate_once(members: list[str], rows: list[tuple[str, str]]) -> tuple[int, float]:
    """Validate a synthetic wheel as the installer does; (links planned, seconds)."""
    links_path = f"{VALIDATION_DIST_INFO}/LINKS"
    data = "".join(f"{source},{target}\n" for source, target in rows).encode()
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    record = [[links_path, f"sha256={digest}", str(len(data))]]
    all_members = [*members, f"{VALIDATION_DIST_INFO}/METADATA", links_path]
    start = time.perf_counter()
    check_links_recorded(record, links_path, data, wheel=VALIDATION_WHEEL)
    parsed = parse_links_file(data, wheel=VALIDATION_WHEEL, path=links_path)
    plan = plan_links(wheel=VALIDATION_WHEEL, members=all_members, link_rows=parsed)
    return len(plan.links), time.perf_counter() - start


def validation_benchmark(counts: Sequence[int]) -> None:
    print(f"link validation only (no pip), Python {sys.version.split()[0]}; one run per row")
    rows = []
    for label, shape in SHAPES:
        for count in counts:
            members, link_rows = shape(count)
            planned, seconds = validate_once(members, link_rows)
            rows.append(
                [
                    label.replace("N", f"{count:,}"),
                    f"{len(link_rows):,}",
                    str(planned),
                    f"{seconds:.2f}",
                ]
            )
            print(f"  {rows[-1][0]}: {seconds:.2f} s", flush=True)
    print_markdown_table(["shape", "LINKS rows", "links planned", "seconds"], rows)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = benchmark_parser(
        "Compare a wheel with copied library aliases against its relinked form.", rounds=5
    )
    parser.add_argument("--size-mb", type=int, default=50, help="library size (default 50)")
    parser.add_argument(
        "--validate",
        type=int,
        nargs="*",
        metavar="N",
        help="only time link validation (no pip), N rows per shape (default 15000 50000)",
    )
    args = parse_checked(parser, argv, "size_mb")
    if args.validate is not None and any(count < 1 for count in args.validate):
        parser.error("--validate counts must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.validate is not None:
        validation_benchmark(args.validate or [15_000, 50_000])
        return 0
    return run_in_workdir(
        "wheelnext-bench-symlinks-",
        lambda work: benchmark(work, args.size_mb, args.rounds, args.pip),
    )


if __name__ == "__main__":
    sys.exit(main())

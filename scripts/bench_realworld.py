#!/usr/bin/env python3
"""Real requirement sets resolved from the public index, with wheelnext-pip off and on.

    python3 scripts/bench_realworld.py [--pip 26.3,24.0] [--set NAME ...] [--rounds N]
                                       [--mode MODE ...] [--memory-cap MB]

For each pip release, one environment gets this checkout's wheel. Each requirement set is
dry-run resolved (``pip install --dry-run --ignore-installed --report``) once to fill a
pip cache folder shared by every run of that pip, then ``--rounds`` times per mode, the
modes interleaved within a round: ``off`` (``WHEELNEXT_PIP`` unset: stock pip), each
feature alone, and ``all`` (``WHEELNEXT_PIP=1``). ``index-groups`` pins the set's first
project to the ``default`` group, so the feature is loaded and walks its groups (with no
group named it is not even imported). The table gives, per set and mode, whether the
resolution is identical to ``off`` (same packages, same versions) and the median ratios
of the child's CPU time (user + system) and peak memory (max RSS) to ``off``.

Exits 1 when a mode resolves differently from ``off``, 0 otherwise: timing figures are
informational. Sets: see ``tests/_lib/realworld.py``.
"""

from __future__ import annotations

import statistics
import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _benchlib import benchmark_parser, prepare_plugin_env, print_markdown_table, ratio_text

from tests._lib.pipenv import pip_needs_python
from tests._lib.realworld import (
    DEFAULT_MEMORY_CAP_MB,
    REQUIREMENT_SETS,
    Resolution,
    difference,
    resolve,
)

MODES = ("off", "default-extras", "variants", "index-groups", "all")


def mode_environment(mode: str, requirements: Sequence[str]) -> tuple[str | None, dict[str, str]]:
    """``WHEELNEXT_PIP`` and the settings of one mode."""
    if mode == "off":
        return None, {}
    if mode == "all":
        return "1", {}
    if mode == "index-groups":
        project = requirements[0].split("[")[0].split("=")[0].split("<")[0].split(">")[0]
        return mode, {"WHEELNEXT_PIP_INDEX_PINS": f"{project.strip()}=default"}
    return mode, {}


def run(work: Path, pips: list[str], sets: list[str], modes: list[str], args: object) -> int:
    rounds: int = args.rounds  # type: ignore[attr-defined]
    cap: int = args.memory_cap  # type: ignore[attr-defined]
    rows: list[tuple[str, ...]] = []
    differing = 0
    for pip_version in pips:
        env = prepare_plugin_env(work / f"pip-{pip_version}", pip_version)
        cache = work / f"cache-{pip_version}"
        for name in sets:
            requirements = REQUIREMENT_SETS[name]
            print(f"pip {pip_version} {name}: warm-up ...", flush=True)
            resolve(env, requirements, wheelnext=None, cache_dir=cache, memory_cap_mb=cap)
            results: dict[str, list[Resolution]] = {mode: [] for mode in modes}
            for round_index in range(rounds):
                order = modes if round_index % 2 == 0 else list(reversed(modes))
                for mode in order:
                    wheelnext, settings = mode_environment(mode, requirements)
                    result = resolve(
                        env,
                        requirements,
                        wheelnext=wheelnext,
                        cache_dir=cache,
                        extra_env=settings,
                        memory_cap_mb=cap,
                    )
                    results[mode].append(result)
                    print(
                        f"  {mode:15} rc={result.returncode} {len(result.packages):4} packages "
                        f"cpu {result.cpu_seconds:6.2f}s rss {result.peak_rss_mb:7.1f} MB",
                        flush=True,
                    )
            stock = results["off"]
            stock_cpu = statistics.median(r.cpu_seconds for r in stock)
            stock_rss = statistics.median(r.peak_rss_mb for r in stock)
            for mode in modes:
                measured = results[mode]
                changes = [difference(stock[0], r) for r in measured]
                change = next((c for c in changes if c), "")
                differing += bool(change) and mode != "off"
                rows.append(
                    (
                        pip_version,
                        name,
                        str(len(measured[0].packages)) if measured[0].ok else "failed",
                        mode,
                        "identical" if not change else f"DIFFERS ({change})",
                        f"{statistics.median(r.cpu_seconds for r in measured):.2f} s",
                        ratio_text(statistics.median(r.cpu_seconds for r in measured), stock_cpu),
                        f"{statistics.median(r.peak_rss_mb for r in measured):.0f} MB",
                        ratio_text(statistics.median(r.peak_rss_mb for r in measured), stock_rss),
                    )
                )
    header = (
        "pip",
        "set",
        "packages",
        "mode",
        "vs off",
        "CPU",
        "CPU ratio",
        "peak RSS",
        "RSS ratio",
    )
    print_markdown_table(header, rows)
    print(f"\n{rounds} measured round(s) after one warm-up per set; medians.")
    return 1 if differing else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = benchmark_parser(__doc__.splitlines()[0], rounds=1)
    parser.set_defaults(pip="26.3,24.0")
    parser.add_argument(
        "--set", dest="sets", action="append", choices=sorted(REQUIREMENT_SETS),
        help="a requirement set (repeatable; default: all)",
    )  # fmt: skip
    parser.add_argument(
        "--mode", dest="modes", action="append", choices=MODES,
        help="a mode besides 'off' (repeatable; default: all modes)",
    )  # fmt: skip
    parser.add_argument(
        "--memory-cap", type=int, default=DEFAULT_MEMORY_CAP_MB,
        help=f"address-space limit of each pip, in MB (default {DEFAULT_MEMORY_CAP_MB})",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    pips = [version.strip() for version in args.pip.split(",") if version.strip()]
    for version in pips:
        needed = pip_needs_python(version)
        if sys.version_info[:2] < needed:
            parser.error(f"pip {version} needs Python >= {needed[0]}.{needed[1]}")
    sets = args.sets or list(REQUIREMENT_SETS)
    modes = ["off", *[mode for mode in (args.modes or MODES) if mode != "off"]]

    import tempfile

    with tempfile.TemporaryDirectory(prefix="wnp-bench-realworld-") as work:
        return run(Path(work), pips, sets, modes, args)


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Ranked index groups against stock pip: resolution time and HTTP requests, side by side.

    python3 scripts/bench_index_groups.py [--rounds 5] [--pip VERSION] [--versions 5]

Three local indexes (stdlib HTTP servers on 127.0.0.1) hold 30 projects: ``internal-01..10``
on the first ("private"), ``mirror-01..10`` on the second, ``public-01..10`` on the third,
each with ``--versions`` releases; ``app`` (on the private index) depends on all 30.

- stock: ``WHEELNEXT_PIP`` unset, the three indexes as ``--index-url`` (third) and
  ``--extra-index-url`` (first, second), as people configure private indexes today;
- plugin: ``WHEELNEXT_PIP=1`` with the same options and no groups (what every feature costs
  before index groups do anything);
- groups: ``WHEELNEXT_PIP=1`` with ``index-groups = private = ...; mirror = ...`` and the third
  as pip's ``--index-url`` (``default``), strategy first-match.

Each round runs ``pip install --dry-run --no-cache-dir app`` once per case (order alternating,
after one warm-up each) and times the whole process. Requests are counted per case from the
servers' logs: project pages (``/simple/<name>/``) and files (metadata and wheels).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from scripts._benchlib import (  # noqa: E402
    benchmark_parser,
    parse_checked,
    prepare_plugin_env,
    ratio_text,
    run_in_workdir,
)
from tests._lib.builders import make_wheel  # noqa: E402
from tests._lib.index import IndexServer, write_simple_index  # noqa: E402
from tests._lib.pipenv import PipEnv  # noqa: E402

GROUPS = ("private", "mirror", "public")
PER_GROUP = 10
CASES = ("stock", "plugin", "groups")


def project_names(group: str) -> list[str]:
    stem = {"private": "internal", "mirror": "mirror", "public": "public"}[group]
    return [f"{stem}-{number:02d}" for number in range(1, PER_GROUP + 1)]


def build_indexes(work: Path, versions: int) -> dict[str, Path]:
    roots = {}
    everything = [name for group in GROUPS for name in project_names(group)]
    for group in GROUPS:
        dists = work / "dists" / group
        wheels = [
            make_wheel(dists, name, f"1.{minor}")
            for name in project_names(group)
            for minor in range(versions)
        ]
        if group == "private":
            wheels.append(make_wheel(dists, "app", "1.0", requires_dist=everything))
        roots[group] = write_simple_index(work / "www" / group, wheels).parent
    return roots


def run_case(env: PipEnv, case: str, servers: dict[str, IndexServer]) -> float:
    private, mirror, public = (servers[group].index_url for group in GROUPS)
    args = ["install", "--dry-run", "--no-cache-dir", "-q", "app"]
    settings: dict[str, str] = {}
    if case in ("stock", "plugin"):
        args += ["--index-url", public, "--extra-index-url", private, "--extra-index-url", mirror]
        wheelnext = None if case == "stock" else "1"
    else:
        args += ["--index-url", public]
        settings["WHEELNEXT_PIP_INDEX_GROUPS"] = f"private = {private}; mirror = {mirror}"
        wheelnext = "1"
    started = time.perf_counter()
    result = env.pip(*args, wheelnext=wheelnext, env=settings)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(f"{case}: pip failed:\n{result.stderr[-2000:]}")
    return elapsed


def count_requests(servers: dict[str, IndexServer]) -> tuple[int, int, int]:
    """(project pages, files, private names asked of the other indexes)."""
    private_names = set(project_names("private")) | {"app"}
    pages = files = leaks = 0
    for group, server in servers.items():
        for path in server.requested_paths():
            if path.startswith("/simple/"):
                pages += 1
                leaks += group != "private" and path.split("/")[2] in private_names
            else:
                files += 1
    return pages, files, leaks


def benchmark(work: Path, rounds: int, pip_version: str, versions: int) -> None:
    env = prepare_plugin_env(work, pip_version)
    roots = build_indexes(work, versions)
    servers = {group: IndexServer(root).start() for group, root in roots.items()}
    try:
        counts = {}
        for case in CASES:
            for server in servers.values():
                server.clear_requests()
            run_case(env, case, servers)  # warm-up, and the request count
            counts[case] = count_requests(servers)
        times: dict[str, list[float]] = {case: [] for case in CASES}
        for round_number in range(rounds):
            order = CASES if round_number % 2 == 0 else tuple(reversed(CASES))
            for case in order:
                times[case].append(run_case(env, case, servers))
    finally:
        for server in servers.values():
            server.stop()

    medians = {case: statistics.median(values) for case, values in times.items()}
    print()
    print(
        f"30 projects + app over 3 indexes, {versions} versions each, pip {pip_version}, "
        f"{rounds} rounds (pip install --dry-run --no-cache-dir app)"
    )
    print(f"{'case':<8} {'median s':>9} {'min s':>7} {'max s':>7} {'pages':>6} {'files':>6}")
    for case in CASES:
        values = times[case]
        pages, files, _ = counts[case]
        print(
            f"{case:<8} {medians[case]:>9.3f} {min(values):>7.3f} {max(values):>7.3f} "
            f"{pages:>6} {files:>6}"
        )
    print(
        f"time groups/stock: {ratio_text(medians['groups'], medians['stock'])}; "
        f"groups/plugin without groups: {ratio_text(medians['groups'], medians['plugin'])}; "
        f"plugin/stock: {ratio_text(medians['plugin'], medians['stock'])}"
    )
    print(
        f"page requests groups/stock: {ratio_text(counts['groups'][0], counts['stock'][0])}; "
        f"private names asked of the other indexes: stock {counts['stock'][2]}, "
        f"groups {counts['groups'][2]}"
    )


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = benchmark_parser(__doc__.splitlines()[0], rounds=5)
    parser.add_argument("--versions", type=int, default=5, help="releases per project")
    return parse_checked(parser, argv, "versions")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    return run_in_workdir(
        "wheelnext-bench-index-groups-",
        lambda work: benchmark(work, args.rounds, args.pip, args.versions),
    )


if __name__ == "__main__":
    sys.exit(main())

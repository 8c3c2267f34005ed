#!/usr/bin/env python3
"""What default extras cost as packages start declaring them: a large real graph, served
from a local index, with 0 to N of its packages given a ``Default-Extra``.

    python3 scripts/bench_default_extras.py [--pip 26.3] [--set airflow] [--set web]
                                            [--declaring 0,1,4,16] [--rounds 5]

Each requirement set is resolved once from the public index; every package of the result
is then rebuilt as a small wheel carrying that release's real metadata (name, version,
``Requires-Dist``, ``Provides-Extra``, ``Requires-Python``) and served from a local index
(stdlib HTTP server on 127.0.0.1), so only pip's own work is measured. For each count K,
the first K packages (by name) also get ``Provides-Extra: wnp-defaults``,
``Default-Extra: wnp-defaults`` and a dependency ``wnp-default-dep-N`` in that extra. The
same requirement set is then resolved with ``WHEELNEXT_PIP`` unset and with
``WHEELNEXT_PIP=default-extras``, interleaved, and the table gives the median CPU time of
each, the extra CPU time, how many defaults pip added and how often it resolved again. With
the feature on, the extra cost should follow K, not the size of the graph.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _benchlib import benchmark_parser, prepare_plugin_env, print_markdown_table

from tests._lib.builders import make_wheel
from tests._lib.index import IndexServer, write_simple_index
from tests._lib.pipenv import PipEnv
from tests._lib.realworld import REQUIREMENT_SETS, Resolution, resolve

EXTRA = "wnp-defaults"


def graph_metadata(env: PipEnv, requirements: Sequence[str], cache: Path) -> list[dict[str, Any]]:
    found = resolve(env, requirements, wheelnext=None, cache_dir=cache, keep_report=True)
    if not found.ok:
        raise RuntimeError(f"resolving {' '.join(requirements)} failed: {found.error}")
    return [item["metadata"] for item in found.items]


def build_index(root: Path, graph: list[dict[str, Any]], declaring: int) -> Path:
    """Small wheels with the graph's real metadata; the first ``declaring`` names (sorted)
    declare a default extra with one new dependency each."""
    dists = root / "dists"
    wheels = []
    chosen = sorted(meta["name"] for meta in graph)[:declaring]
    for meta in graph:
        requires = list(meta.get("requires_dist", []))
        extras = list(meta.get("provides_extra", []))
        extra_metadata: list[tuple[str, str]] = []
        if meta["name"] in chosen:
            number = chosen.index(meta["name"])
            dependency = f"wnp-default-dep-{number}"
            requires.append(f'{dependency}; extra == "{EXTRA}"')
            extras.append(EXTRA)
            extra_metadata.append(("Default-Extra", EXTRA))
            wheels.append(make_wheel(dists, dependency, "1.0"))
        wheels.append(
            make_wheel(
                dists,
                meta["name"],
                meta["version"],
                requires_dist=requires,
                provides_extra=extras,
                requires_python=meta.get("requires_python"),
                extra_metadata=extra_metadata,
            )
        )
    write_simple_index(root / "www", wheels)
    return root / "www"


def measure(
    env: PipEnv, requirements: Sequence[str], index_url: str, cache: Path, rounds: int
) -> dict[str, list[Resolution]]:
    results: dict[str, list[Resolution]] = {"off": [], "on": []}
    pip_args = ("-v", "--index-url", index_url)
    for round_index in range(rounds + 1):  # the first round warms the cache
        order = ("off", "on") if round_index % 2 == 0 else ("on", "off")
        for side in order:
            result = resolve(
                env,
                requirements,
                wheelnext=None if side == "off" else "default-extras",
                cache_dir=cache,
                pip_args=pip_args,
                keep_output=True,
            )
            if not result.ok:
                raise RuntimeError(f"{side}: {result.error}")
            if round_index:
                results[side].append(result)
    return results


def run(work: Path, pip_version: str, sets: list[str], counts: list[int], rounds: int) -> None:
    env = prepare_plugin_env(work / "env", pip_version)
    rows = []
    for name in sets:
        requirements = REQUIREMENT_SETS[name]
        print(f"{name}: resolving from the public index ...", flush=True)
        graph = graph_metadata(env, requirements, work / "public-cache")
        for count in counts:
            www = build_index(work / f"{name}-{count}", graph, count)
            with IndexServer(www) as server:
                results = measure(env, requirements, server.index_url, work / "cache", rounds)
            off = statistics.median(r.cpu_seconds for r in results["off"])
            on = statistics.median(r.cpu_seconds for r in results["on"])
            added = len(results["on"][0].packages) - len(results["off"][0].packages)
            restarts = results["on"][0].output.count("resolving again with the default extras")
            rows.append(
                (
                    name,
                    str(len(graph)),
                    str(count),
                    str(added),
                    str(restarts),
                    f"{off:.2f} s",
                    f"{on:.2f} s",
                    f"{(on - off) * 1000:+.0f} ms",
                    f"{on / off:.2f}x",
                )
            )
            print("  " + " | ".join(rows[-1]), flush=True)
    header = (
        "set", "packages", "declaring", "defaults added", "re-resolutions",
        "CPU off", "CPU on", "extra", "ratio",
    )  # fmt: skip
    print_markdown_table(header, rows)
    print(f"\npip {pip_version}; medians of {rounds} interleaved rounds after one warm-up.")


def main(argv: Sequence[str] | None = None) -> int:
    parser = benchmark_parser(__doc__.splitlines()[0], rounds=5)
    parser.add_argument(
        "--set", dest="sets", action="append", choices=sorted(REQUIREMENT_SETS),
        help="a requirement set (repeatable; default: airflow and web)",
    )  # fmt: skip
    parser.add_argument(
        "--declaring", default="0,1,4,16",
        help="how many packages declare a default extra (comma list; default 0,1,4,16)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    try:
        counts = [int(part) for part in args.declaring.split(",") if part.strip()]
    except ValueError:
        parser.error("--declaring takes whole numbers separated by commas")
    with tempfile.TemporaryDirectory(prefix="wnp-bench-default-extras-") as work:
        run(Path(work), args.pip, args.sets or ["web", "airflow"], counts, args.rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main())

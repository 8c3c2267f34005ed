#!/usr/bin/env python3
"""Wheel variants: resolution time against stock pip and uv, and provider detection cost.

    python3 scripts/bench_variants.py [--rounds 5] [--pip VERSION] [--versions 50] [--labels 100]

A local index (stdlib HTTP server on 127.0.0.1) serves one project, ``varbench``, with
``--versions`` releases; each release has ``--labels`` variant wheels (CUDA lower bound x
x86_64 level, PEP 850 metadata whose providers match the built-in nvidia and x86_64
providers), a ``null`` variant, one ordinary wheel and its ``-variants.json``. Cases, each
``install --dry-run varbench`` timed as a whole process, order alternating per round:

- stock: pip with ``WHEELNEXT_PIP`` unset (it skips every variant wheel as an invalid name);
- plugin: the same pip with ``WHEELNEXT_PIP=1`` (CUDA forced to 12.8 by the NVIDIA override,
  x86_64 detected);
- both with ``--no-cache-dir`` (every run from scratch: the plugin detects the hardware each
  time), and both again with a pip cache folder of their own, filled by the warm-up run, as
  pip normally runs (the plugin then reads its detection answers from there);
- uv: ``uv pip install --dry-run --preview-features wheel-variants`` (uv 0.13.9 from PyPI,
  installed into a private folder), same index, same override.

Detection cost is measured in-process with the built-in providers: a detection from
scratch, and reading the answer back from the on-disk cache that later pip runs use.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
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
from tests._lib.pipenv import PipEnv, hermetic_environ  # noqa: E402
from wheelnext_pip.variants._detection_cache import (  # noqa: E402
    detection_cache_key,
    load_detection_cache,
    machine_fingerprint,
    store_detection_cache,
)
from wheelnext_pip.variants.detect import detect_builtin  # noqa: E402

PROJECT = "varbench"
UV_VERSION = "0.13.9"
SCHEMA = "https://variants-schema.wheelnext.dev/peps/850/v0.2.0.json"
PROVIDERS = {
    "nvidia": {
        "requires": ["nvidia-variant-provider==0.0.1"],
        "plugin-api": "nvidia_variant_provider.plugin:NvidiaVariantPlugin",
    },
    "x86_64": {"requires": ["x86-64-variant-provider==0.2.1"]},
}
FORCED_CUDA = {"NV_VARIANT_PROVIDER_FORCE_CUDA_DRIVER_VERSION": "12.8"}


def label_table(count: int) -> dict[str, dict]:
    """``count`` labels: CUDA lower bounds 11.0 ... crossed with x86_64 levels v1-v4."""
    levels = ["v1", "v2", "v3", "v4"]
    cudas = [f"{major}.{minor}" for major in (11, 12, 13) for minor in range(10)]
    table = {}
    for cuda in cudas:
        for level in levels:
            if len(table) == count:
                return table
            label = f"cu{cuda.replace('.', '')}x{level}"
            table[label] = {
                "nvidia": {"cuda_version_lower_bound": [cuda]},
                "x86_64": {"level": [level]},
            }
    return table


def build_index(work: Path, versions: int, labels: int) -> Path:
    dists = work / "dists"
    table = {**label_table(labels), "null": {}}
    wheels = []
    metadata = []
    for number in range(versions):
        version = f"1.{number}"
        document = {
            "$schema": SCHEMA,
            "default-priorities": {"namespace": ["nvidia", "x86_64"]},
            "providers": PROVIDERS,
            "variants": table,
        }
        for label, properties in table.items():
            own = {**document, "variants": {label: properties}}
            wheels.append(
                make_wheel(
                    dists,
                    PROJECT,
                    version,
                    filename=f"{PROJECT}-{version}-py3-none-any-{label}.whl",
                    extra_dist_info={"variant.json": json.dumps(own)},
                )
            )
        wheels.append(make_wheel(dists, PROJECT, version))
        path = dists / f"{PROJECT}-{version}-variants.json"
        path.write_text(json.dumps(document))
        metadata.append(path)
    return write_simple_index(work / "www", wheels, extra_files={PROJECT: metadata}).parent


def install_uv(work: Path) -> Path | None:
    target = work / "uv"
    install = [sys.executable, "-m", "pip", "install", "-q", "--target", str(target)]
    result = subprocess.run(
        [*install, f"uv=={UV_VERSION}"],
        capture_output=True,
        text=True,
    )
    binary = target / "bin" / "uv"
    if result.returncode != 0 or not binary.exists():
        print(f"uv {UV_VERSION} could not be installed; skipping it ({result.stderr[-300:]})")
        return None
    return binary


def run_case(
    case: str, env: PipEnv, index: IndexServer, uv: Path | None, work: Path
) -> tuple[float, str]:
    if case == "uv":
        assert uv is not None
        command = [
            str(uv), "pip", "install", "--dry-run", "--preview-features", "wheel-variants",
            "--python", str(env.python), "--index-url", index.index_url, "--no-cache", PROJECT,
        ]  # fmt: skip
        environ = hermetic_environ(FORCED_CUDA)
        started = time.perf_counter()
        result = subprocess.run(command, env=environ, capture_output=True, text=True)
        elapsed = time.perf_counter() - started
    else:
        cache = ["--no-cache-dir"]
        if case.endswith("+cache"):
            cache = ["--cache-dir", str(work / f"cache-{case.split('+')[0]}")]
        started = time.perf_counter()
        result = env.pip(
            "install", "--dry-run", *cache, "--index-url", index.index_url, PROJECT,
            wheelnext=None if case.startswith("stock") else "1", env=FORCED_CUDA,
        )  # fmt: skip
        elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(f"{case} failed:\n{result.stdout[-1000:]}{result.stderr[-2000:]}")
    chosen = next(
        (line for line in (result.stdout + result.stderr).splitlines() if PROJECT in line
         and ("Would install" in line or "+ " in line)),
        "?",
    )  # fmt: skip
    return elapsed, chosen.strip()


def detection_cost(work: Path) -> list[tuple[str, float, float]]:
    """Per built-in provider: a detection from scratch, and what a later pip run pays to read
    the answer back from the on-disk cache (fingerprint of the machine included)."""
    rows = []
    folder = work / "detection-cache"
    forced = {**os.environ, **FORCED_CUDA}
    unforced = {k: v for k, v in os.environ.items() if not k.startswith("NV_VARIANT_PROVIDER")}
    cases = (("nvidia (CUDA forced)", forced), ("nvidia (NVML)", unforced), ("x86_64", forced))
    for label, environ in cases:
        namespace = label.split()[0]
        started = time.perf_counter()
        detection = detect_builtin(namespace, environ=environ)
        first_ms = (time.perf_counter() - started) * 1000
        key = detection_cache_key(_fingerprint(environ))
        store_detection_cache(folder / label, key, {namespace: detection.properties})
        started = time.perf_counter()
        cached = load_detection_cache(folder / label, detection_cache_key(_fingerprint(environ)))
        cached_ms = (time.perf_counter() - started) * 1000
        assert cached is not None and namespace in cached
        rows.append((label, first_ms, cached_ms))
    return rows


def _fingerprint(environ: dict[str, str]) -> dict[str, str]:
    return machine_fingerprint(environ)


def benchmark(work: Path, rounds: int, pip_version: str, versions: int, labels: int) -> None:
    env = prepare_plugin_env(work, pip_version)
    print(f"building {versions} x {labels + 2} wheels ...", flush=True)
    root = build_index(work / "index", versions, labels)
    uv = install_uv(work)
    cases = ["stock", "plugin", "stock+cache", "plugin+cache"] + (["uv"] if uv is not None else [])
    times: dict[str, list[float]] = {case: [] for case in cases}
    chosen: dict[str, str] = {}
    with IndexServer(root) as index:
        for case in cases:
            _, chosen[case] = run_case(case, env, index, uv, work)  # warm-up (fills caches)
        for round_number in range(rounds):
            order = cases if round_number % 2 == 0 else list(reversed(cases))
            for case in order:
                times[case].append(run_case(case, env, index, uv, work)[0])
    medians = {case: statistics.median(values) for case, values in times.items()}
    print()
    print(
        f"{PROJECT}: {versions} versions x {labels} variant wheels (+ null + ordinary), "
        f"pip {pip_version}, {rounds} rounds, CUDA forced to 12.8"
    )
    print(f"{'case':<13} {'median s':>9} {'min s':>7} {'max s':>7}  chosen")
    for case in cases:
        values = times[case]
        print(
            f"{case:<13} {medians[case]:>9.3f} {min(values):>7.3f} {max(values):>7.3f}  "
            f"{chosen[case]}"
        )
    print(
        f"plugin/stock: {ratio_text(medians['plugin'], medians['stock'])} with --no-cache-dir, "
        f"{ratio_text(medians['plugin+cache'], medians['stock+cache'])} with pip's cache "
        "(target <= 1.2x)"
    )
    if "uv" in medians:
        print(f"plugin/uv: {ratio_text(medians['plugin'], medians['uv'])}")
    print()
    print("provider detection           from scratch ms  from the disk cache ms")
    for namespace, first_ms, cached_ms in detection_cost(work):
        print(f"{namespace:<28} {first_ms:>15.2f}  {cached_ms:>22.2f}")
    if uv is not None:
        shutil.rmtree(uv.parent.parent, ignore_errors=True)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = benchmark_parser(__doc__.splitlines()[0], rounds=5)
    parser.add_argument("--versions", type=int, default=50, help="releases (default 50)")
    parser.add_argument("--labels", type=int, default=100, help="variant labels per release")
    args = parse_checked(parser, argv, "versions", "labels")
    if args.labels > 120:
        parser.error("--labels must be at most 120")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    return run_in_workdir(
        "wheelnext-bench-variants-",
        lambda work: benchmark(work, args.rounds, args.pip, args.versions, args.labels),
    )


if __name__ == "__main__":
    sys.exit(main())

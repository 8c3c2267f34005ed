"""Issue 15 item 9: the CPU variants that are really published get chosen.

Published numpy and scikit-learn metadata declare their CPU namespaces with the plugins
``provider-variant-x86-64`` / ``provider-variant-aarch64``; the built-in stand-ins answer for
them without installing or running anything. The CPU is faked only at the lowest layer: the
``VARIANT_PROVIDER_FORCE_CPUINFO`` file replaces ``/proc/cpuinfo``, everything above it
(micro-architecture matching, levels, flags, ranking, pip) runs as on a real machine. One test
installs the real plugins from the public index and compares their answers on this machine.
"""

from __future__ import annotations

import json
import os
import platform
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests._lib import pipenv
from tests._lib.builders import make_wheel
from tests._lib.index import IndexServer, write_simple_index
from tests._lib.pipenv import PipEnv

PUBLISHED = Path(__file__).resolve().parents[1] / "unit" / "data" / "variants"
CPU_VECTORS = Path(__file__).resolve().parents[1] / "unit" / "data" / "vectors" / "cpu"
#: Stand-in projects: (project, version, published metadata file).
PROJECTS = (
    ("numpyish", "2.3.4", "numpy-2.3.4-variants.json"),
    ("sklearnish", "1.7.2", "scikit_learn-1.7.2-variants.json"),
)


def cpu_case(microarchitecture: str) -> dict[str, Any]:
    cases = json.loads((CPU_VECTORS / "plugin-answers.json").read_text())["cases"]
    return next(case for case in cases if case["microarchitecture"] == microarchitecture)


@pytest.fixture(scope="session")
def published_index(tmp_path_factory: pytest.TempPathFactory) -> Any:
    dists = tmp_path_factory.mktemp("published-dists")
    wheels: list[Path] = []
    extra: dict[str, list[Path]] = {}
    for project, version, source in PROJECTS:
        text = (PUBLISHED / source).read_text()
        metadata = json.loads(text)
        for label in metadata["variants"]:
            wheels.append(
                make_wheel(
                    dists,
                    project,
                    version,
                    filename=f"{project}-{version}-py3-none-any-{label}.whl",
                    extra_dist_info={"variant.json": text},
                )
            )
        wheels.append(make_wheel(dists, project, version))
        local = dists / f"{project}-{version}-variants.json"  # the published file, renamed
        local.write_text(text)
        extra[project] = [local]
    root = tmp_path_factory.mktemp("published-index")
    write_simple_index(root / "www", wheels, extra_files=extra)
    with IndexServer(root / "www") as server:
        yield server


def chosen_labels(
    env: PipEnv, index: IndexServer, cpuinfo: Path, *requirements: str
) -> tuple[dict[str, str | None], str]:
    report_file = env.root / "report.json"
    report_file.unlink(missing_ok=True)
    result = env.pip(
        "install", "--dry-run", "--report", report_file, "--index-url", index.index_url,
        *requirements, wheelnext="1", env={"VARIANT_PROVIDER_FORCE_CPUINFO": str(cpuinfo)},
    )  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    report = json.loads(report_file.read_text())
    return {
        item["metadata"]["name"]: (item.get("wheelnext") or {}).get("variant_label")
        for item in report["install"]
    }, output


@pytest.mark.pipmatrix
@pytest.mark.pip_bounds  # the published metadata and the CPU rules are ours to check
@pytest.mark.parametrize(
    ("microarchitecture", "expected"),
    [
        # v4: the AVX-512 builds. The legacy static lists then prefer accelerate (numpy) and
        # GNU OpenMP (scikit-learn) among the CPU-independent builds.
        ("skylake_avx512", {"numpyish": "x8664v4_mkl", "sklearnish": "x8664vv4_iomp5"}),
        ("zen4", {"numpyish": "x8664v4_mkl", "sklearnish": "x8664vv4_iomp5"}),
        ("haswell", {"numpyish": "accelerate", "sklearnish": "gomp"}),
    ],
)
def test_published_cpu_variants_are_chosen(
    plugin_env: PipEnv,
    published_index: IndexServer,
    tmp_path: Path,
    microarchitecture: str,
    expected: dict[str, str],
) -> None:
    if platform.machine().lower() not in ("x86_64", "amd64"):
        pytest.skip("numpy's x86_64 provider is enabled on x86_64 machines only (enable-if)")
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(cpu_case(microarchitecture)["cpuinfo"])
    chosen, output = chosen_labels(plugin_env, published_index, cpuinfo, "numpyish", "sklearnish")
    assert chosen == expected, output
    assert "provider-variant-x86-64 not run" not in output
    assert "trust-providers" not in output
    assert published_index.project_requests("provider-variant-x86-64") == []


def _index_reachable() -> bool:
    try:
        socket.create_connection(("pypi.org", 443), timeout=10).close()
    except OSError:
        return False
    return True


PLUGIN_QUERY = """
import json, sys
from importlib import import_module
module, _, name = sys.argv[1].partition(":")
plugin = getattr(import_module(module), name)()
print(json.dumps([[c.name, list(c.values)] for c in plugin.get_supported_configs(None)]))
"""


@pytest.fixture(scope="module")
def real_plugins(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtual environment with the real plugins, installed from the public index."""
    if not _index_reachable():
        if os.environ.get("CI"):
            pytest.fail("the public index is unreachable: CI must compare with the real plugins")
        pytest.skip("the public index is unreachable")
    venv = tmp_path_factory.mktemp("real-plugins") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    env = pipenv.hermetic_environ()
    subprocess.run(
        [
            sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
            "--only-binary", ":all:", "provider-variant-x86-64==0.0.1.post2",
            "provider-variant-aarch64==0.0.1.post2",
        ],
        check=True, env=env, capture_output=True,
    )  # fmt: skip
    return python


@pytest.mark.parametrize(
    ("namespace", "plugin_api"),
    [
        ("x86_64", "provider_variant_x86_64.plugin:X8664Plugin"),
        ("aarch64", "provider_variant_aarch64.plugin:AArch64Plugin"),
    ],
)
def test_builtin_answers_as_the_real_plugin_on_this_machine(
    real_plugins: Path, namespace: str, plugin_api: str
) -> None:
    """Feature by feature, the stand-in's answer is the real plugin's, on this machine."""
    from wheelnext_pip.variants.detect import detect_builtin

    completed = subprocess.run(
        [str(real_plugins), "-I", "-c", PLUGIN_QUERY, plugin_api],
        check=True, capture_output=True, text=True, env=pipenv.hermetic_environ(),
    )  # fmt: skip
    real = json.loads(completed.stdout.strip().splitlines()[-1])
    package = f"provider-variant-{namespace.replace('_', '-')}"
    properties = detect_builtin(namespace, environ={}, package=package).properties
    assert properties is not None
    ours = [[feature.name, list(feature.values)] for feature in properties]
    assert [name for name, _ in ours] == [name for name, _ in real]
    for (name, values), (_, real_values) in zip(ours, real):
        assert values == real_values, name

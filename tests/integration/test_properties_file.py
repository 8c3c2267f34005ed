"""Issue 16 item 6, through real pip: a ``variant-properties-file`` replaces detection for
the namespaces it names without a warning, ``doctor`` shows what it changes, and a CUDA
driver version without a GPU architecture is pointed out in one line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests._lib.builders import make_variant_release, make_wheel
from tests._lib.index import IndexServer, write_simple_index
from tests._lib.pipenv import PipEnv

# What this checks is ours, not pip's: the oldest and the newest pip suffice.
pytestmark = [
    pytest.mark.pipmatrix,
    pytest.mark.pip_bounds,
    pytest.mark.python_sensitive(oldest_only=True),  # tomli before Python 3.11
]

SCHEMA = "https://variants-schema.wheelnext.dev/peps/850/v0.2.0.json"
PROVIDERS = {
    "nvidia": {"requires": ["nvidia-variant-provider>=0.0.1,<1"]},
    "x86_64": {"requires": ["x86-64-variant-provider>=0.2.1,<1"]},
}
#: An sm_90 build (needs a GPU architecture), and an x86-64-v2 build.
LABELS = {
    "sm90": {"nvidia": {"sm_arch": ["90_real"]}},
    "x8664v2": {"x86_64": {"level": ["v2"]}},
}
FULL = """\
[nvidia]
cuda_version_lower_bound = ["12.8", "12.0", "12"]
sm_arch = ["90_real", "90_virtual"]

[x86_64]
level = ["v2", "v1"]
"""
DRIVER_ONLY = """\
[nvidia]
cuda_version_lower_bound = ["12.8", "12.0", "12"]

[x86_64]
level = ["v2", "v1"]
"""


def _document(variants: dict[str, object]) -> str:
    return json.dumps(
        {
            "$schema": SCHEMA,
            "default-priorities": {"namespace": ["nvidia", "x86_64"]},
            "providers": PROVIDERS,
            "variants": variants,
        }
    )


@pytest.fixture(scope="module")
def arch_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IndexServer]:
    root = tmp_path_factory.mktemp("arch-index")
    dists = root / "dists"
    wheels, metadata = make_variant_release(dists, "archkit", "1.0", LABELS, _document)
    wheels.append(make_wheel(dists, "archkit", "1.0"))
    simple = write_simple_index(root / "www", wheels, extra_files={"archkit": [metadata]})
    with IndexServer(simple.parent) as server:
        yield server


def _install(env: PipEnv, index: IndexServer, properties: Path):
    return env.pip(
        "install", "--dry-run", "--index-url", index.index_url, "archkit",
        wheelnext="1", env={"WHEELNEXT_PIP_VARIANT_PROPERTIES_FILE": str(properties)},
    )  # fmt: skip


def test_a_file_naming_namespaces_replaces_detection_without_a_warning(
    plugin_env: PipEnv, arch_index: IndexServer, tmp_path: Path
) -> None:
    properties = tmp_path / "machine.toml"
    properties.write_text(FULL)
    result = _install(plugin_env, arch_index, properties)
    assert result.returncode == 0, result.stderr
    assert "archkit: variant sm90 chosen (nvidia :: sm_arch :: 90_real)" in result.stdout
    assert "WARNING" not in result.stdout + result.stderr


def test_a_driver_version_without_an_architecture_is_one_line(
    plugin_env: PipEnv, arch_index: IndexServer, tmp_path: Path
) -> None:
    properties = tmp_path / "driver-only.toml"
    properties.write_text(DRIVER_ONLY)
    result = _install(plugin_env, arch_index, properties)
    assert result.returncode == 0, result.stderr
    assert "archkit: variant x8664v2 chosen" in result.stdout  # sm90 does not match
    warnings = [line for line in (result.stdout + result.stderr).splitlines() if "WARNING" in line]
    assert warnings == [
        "WARNING: wheelnext-pip: variant-properties-file: [nvidia] gives a CUDA driver version "
        "but no sm_arch, so NVIDIA variants that need a GPU architecture will not match"
    ]


def test_doctor_shows_what_the_file_replaces(plugin_env: PipEnv, tmp_path: Path) -> None:
    properties = tmp_path / "driver-only.toml"
    properties.write_text(DRIVER_ONLY)
    settings = {"WHEELNEXT_PIP_VARIANT_PROPERTIES_FILE": str(properties)}
    human = plugin_env.run(["-m", "wheelnext_pip", "doctor"], wheelnext="1", env=settings)
    assert human.returncode == 0, human.stdout  # a note, not a problem
    assert f"variant-properties-file {properties}: replaces detection of nvidia, x86_64" in (
        human.stdout
    )
    assert "  x86_64: level = v2, v1 [file (variant-properties-file)]\n" in human.stdout
    assert "    (instead of detected: " in human.stdout
    assert "no sm_arch, so NVIDIA variants that need a GPU architecture" in human.stdout
    report = json.loads(
        plugin_env.run(
            ["-m", "wheelnext_pip", "doctor", "--json"], wheelnext="1", env=settings
        ).stdout
    )
    providers = report["variants"]["providers"]
    assert providers["nvidia"]["source"] == "file (variant-properties-file)"
    assert providers["nvidia"]["properties"] == "cuda_version_lower_bound = 12.8, 12.0, 12"
    assert providers["x86_64"]["replaces_detected"] is not None
    assert providers["aarch64"]["replaces_detected"] is None  # not named: detected
    assert len(report["variants"]["properties_file_notes"]) == 1

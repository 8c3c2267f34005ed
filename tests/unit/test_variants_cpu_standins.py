"""The built-in stand-ins for ``provider-variant-x86-64`` and ``provider-variant-aarch64``, the
plugins that published numpy and scikit-learn metadata declare (PEP 850: an installer may
reimplement a provider instead of running it)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from wheelnext_pip.variants import detect, microarch
from wheelnext_pip.variants._provider_cpu_plugins import detect_cpu_plugin
from wheelnext_pip.variants.metadata import parse_variant_metadata
from wheelnext_pip.variants.ordering import rank_variants
from wheelnext_pip.variants.properties import NamespaceProperties
from wheelnext_pip.variants.providers import (
    BUILTIN_PROVIDERS,
    ProviderDecision,
    ProviderSettings,
    builtin_view,
    resolve_supported_properties,
    select_provider,
)

DATA = Path(__file__).parent / "data"
PUBLISHED = DATA / "variants"
CPU_VECTORS = json.loads((DATA / "vectors" / "cpu" / "plugin-answers.json").read_text())
LINUX_X86 = {"platform_system": "Linux", "platform_machine": "x86_64", "sys_platform": "linux"}
LINUX_ARM = {"platform_system": "Linux", "platform_machine": "aarch64", "sys_platform": "linux"}


def answer_of(properties: NamespaceProperties | None) -> list[list[Any]]:
    assert properties is not None
    return [[feature.name, list(feature.values)] for feature in properties]


@pytest.mark.parametrize("case", CPU_VECTORS["cases"], ids=lambda case: case["id"])
def test_answer_matches_the_plugin(case: dict[str, Any], tmp_path: Path) -> None:
    """Each recorded CPU gives the micro-architecture and the answer the real plugin gave."""
    family = case["family"]
    cpu = microarch.parse_cpuinfo(case["cpuinfo"], family)
    host = microarch.host_microarchitecture(family, cpu)
    assert host.name == case["microarchitecture"]
    to_properties = (
        microarch.x86_64_plugin_properties
        if family == "x86_64"
        else microarch.aarch64_plugin_properties
    )
    assert answer_of(to_properties(host)) == case["answer"]
    # The same through detection, the file named by the override variable standing in for
    # /proc/cpuinfo (the lowest layer; everything above it runs as on a real machine).
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(case["cpuinfo"])
    environ = {detect.FORCE_CPUINFO: str(cpuinfo)}
    detection = detect_cpu_plugin(family, machine=family, system="Linux", environ=environ)
    assert answer_of(detection.properties) == case["answer"]


def test_vectors_cover_every_level() -> None:
    levels = {
        case["answer"][0][1][0] if case["answer"] else "none" for case in CPU_VECTORS["cases"]
    }
    assert {"v2", "v3", "v4", "none", "8a", "8.1a", "8.2a", "8.4a", "8.5a", "9.0a"} <= levels


def test_other_architecture_answers_nothing() -> None:
    for namespace, machine in (("x86_64", "aarch64"), ("aarch64", "x86_64"), ("x86_64", "ppc64le")):
        detection = detect_cpu_plugin(namespace, machine=machine, system="Linux")
        assert detection.properties == NamespaceProperties(namespace)


def test_darwin_models() -> None:
    cpu = microarch.CpuDescription("Apple", model=microarch.darwin_arm_model("Apple M2 Pro"))
    host = microarch.host_microarchitecture("aarch64", cpu, darwin=True)
    assert host.name == "m2"
    assert answer_of(microarch.aarch64_plugin_properties(host))[0] == [
        "version",
        ["8.5a", "8.4a", "8.3a", "8.2a", "8.1a", "8a"],
    ]
    unknown = microarch.CpuDescription("Apple", model=microarch.darwin_arm_model("Qualcomm"))
    with pytest.raises(LookupError):
        microarch.host_microarchitecture("aarch64", unknown, darwin=True)
    flags = microarch.darwin_x86_64_flags("SSE4.1 SSE4.2 AVX1.0", "XSAVE")
    assert {"sse4_1", "sse4_2", "avx", "xsavec", "xsaveopt"} <= flags


@pytest.mark.parametrize(
    ("name", "namespace", "environment"),
    [
        ("numpy-2.3.4-variants.json", "x86_64", LINUX_X86),
        ("scikit_learn-1.7.2-variants.json", "x86_64", LINUX_X86),
        ("numpy-2.3.4-variants.json", "aarch64", LINUX_ARM),
        ("scikit_learn-1.7.2-variants.json", "aarch64", LINUX_ARM),
    ],
)
def test_published_cpu_namespaces_use_the_standins(
    name: str, namespace: str, environment: dict[str, str]
) -> None:
    metadata = parse_variant_metadata((PUBLISHED / name).read_bytes(), name)
    decision = select_provider(
        namespace, metadata.providers[namespace], ProviderSettings(), environment
    )
    assert decision.source == "builtin"
    assert decision.builtin is not None
    assert decision.builtin.package == f"provider-variant-{namespace.replace('_', '-')}"
    assert decision.note == ""


def combined_answer() -> NamespaceProperties:
    return NamespaceProperties.of(
        "x86_64",
        [
            ("level", ["v3", "v2", "v1"]),
            ("plugin__level", ["v4", "v3", "v2", "v1"]),
            ("plugin__avx512f", ["on"]),
        ],
    )


def test_builtin_view_splits_a_combined_answer() -> None:
    uv_style, standin = (
        next(p for p in BUILTIN_PROVIDERS if p.package == package)
        for package in ("x86-64-variant-provider", "provider-variant-x86-64")
    )
    assert answer_of(builtin_view(uv_style, combined_answer())) == [["level", ["v3", "v2", "v1"]]]
    assert answer_of(builtin_view(standin, combined_answer())) == [
        ["level", ["v4", "v3", "v2", "v1"]],
        ["avx512f", ["on"]],
    ]
    plain = NamespaceProperties.of("x86_64", [("level", ["v2", "v1"])])
    assert builtin_view(standin, plain) is plain
    assert builtin_view(standin, None) is None


def test_combined_detection_holds_both_answers(tmp_path: Path) -> None:
    case = next(c for c in CPU_VECTORS["cases"] if c["microarchitecture"] == "skylake_avx512")
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(case["cpuinfo"])
    environ = {detect.FORCE_CPUINFO: str(cpuinfo)}
    assert "x86_64" in detect.forced_namespaces(environ)
    standin = detect.detect_builtin("x86_64", environ=environ, package="provider-variant-x86-64")
    if standin.properties is None or not standin.properties.features:
        pytest.skip("not an x86-64 machine")
    assert answer_of(standin.properties) == case["answer"]


@pytest.mark.parametrize(
    ("level", "expected"),
    # The static blas_lapack list prefers accelerate, then openblas, then mkl.
    [("v4", ["x8664v4_mkl", "accelerate", "openblas"]), ("v3", ["accelerate", "openblas"])],
)
def test_numpy_ranking_on_a_faked_cpu(level: str, expected: list[str]) -> None:
    """numpy's published metadata picks its AVX-512 build exactly on a v4 machine."""
    name = "numpy-2.3.4-variants.json"
    metadata = parse_variant_metadata((PUBLISHED / name).read_bytes(), name)
    top = int(level[1:])
    levels = [f"v{n}" for n in range(top, 0, -1)]
    asked: list[str] = []

    def answer(decision: ProviderDecision) -> NamespaceProperties | None:
        assert decision.builtin is not None
        asked.append(decision.builtin.package)
        return NamespaceProperties.of(
            "x86_64", [("level", ["v2", "v1"]), ("plugin__level", levels), ("plugin__avx2", ["on"])]
        )

    supported, decisions = resolve_supported_properties(
        metadata, ProviderSettings(), answer, LINUX_X86
    )
    assert asked == ["provider-variant-x86-64"]
    assert decisions["aarch64"].source == "enable-if-false"
    ranking = rank_variants(metadata.variants, metadata.namespace_priorities, supported)
    assert list(ranking.labels) == expected

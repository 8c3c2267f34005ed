"""The cross-tool ordering vectors A and B of variants.md §10, end to end through the
metadata parser, provider selection, built-in detection and ranking."""

from __future__ import annotations

import json
from typing import Any

import pytest

from wheelnext_pip.variants.detect import (
    FORCE_CUDA_DRIVER_VERSION,
    FORCE_SM_ARCH,
    NvmlReading,
    detect_nvidia,
)
from wheelnext_pip.variants.metadata import VariantMetadata, parse_variant_metadata
from wheelnext_pip.variants.ordering import VariantRanking, rank_variants
from wheelnext_pip.variants.properties import NamespaceProperties
from wheelnext_pip.variants.providers import (
    ProviderDecision,
    ProviderSettings,
    resolve_supported_properties,
)

SCHEMA_850 = "https://variants-schema.wheelnext.dev/peps/850/v0.2.0.json"

VECTOR_A: dict[str, Any] = {
    "$schema": SCHEMA_850,
    "default-priorities": {"namespace": ["nvidia", "x86_64", "debug", "plugin", "builtin"]},
    "providers": {
        "nvidia": {
            "static-properties": {"cuda": ["13.0", "12.0"], "arch": ["sm120"]},
            "feature-order": ["cuda", "arch"],
        },
        "x86_64": {"static-properties": {"level": ["v4", "v3", "v2"]}},
        "debug": {"optional": True, "static-properties": {"debug": ["on"]}},
        "plugin": {"requires": ["some-plugin"]},
        "builtin": {"builtin": "abi_dependency"},
    },
    "variants": {
        "gpu_cpuv4": {"nvidia": {"cuda": ["13.0"]}, "x86_64": {"level": ["v4"]}},
        "gpu_cpuv2": {"nvidia": {"cuda": ["13.0"]}, "x86_64": {"level": ["v2"]}},
        "gpu": {"nvidia": {"cuda": ["13.0"]}},
        "multiple_values": {"nvidia": {"cuda": ["12.0", "13.0", "14.0"]}},
        "older_cuda": {"nvidia": {"cuda": ["12.0"]}},
        "lower_feature": {"nvidia": {"arch": ["sm120"]}},
        "cpuv4": {"x86_64": {"level": ["v4"]}},
        "null": {},
        "unsupported_value": {"nvidia": {"arch": ["sm80", "sm90"], "cuda": ["14.0"]}},
        "unsupported_feature": {"nvidia": {"other": ["on"]}},
        "optional_provider": {"debug": {"debug": ["on"]}},
        "unsupported_plugin": {"plugin": {"feature": ["value"]}},
        "unsupported_builtin": {"builtin": {"torch": ["2.8"]}},
    },
}
VECTOR_A_WHEEL_LABELS = [*VECTOR_A["variants"], "missing"]


def no_answer(decision: ProviderDecision) -> NamespaceProperties | None:
    raise AssertionError(f"nothing should need running here: {decision}")


def rank(
    metadata: VariantMetadata, settings: ProviderSettings, labels: list[str]
) -> VariantRanking:
    supported, _ = resolve_supported_properties(metadata, settings, no_answer)
    return rank_variants(metadata.variants, metadata.namespace_priorities, supported, labels)


def test_vector_a() -> None:
    metadata = parse_variant_metadata(json.dumps(VECTOR_A), "vector-a")
    ranking = rank(metadata, ProviderSettings(), VECTOR_A_WHEEL_LABELS)
    assert ranking.labels == (
        "gpu_cpuv4",
        "gpu_cpuv2",
        "gpu",
        "multiple_values",
        "older_cuda",
        "lower_feature",
        "cpuv4",
        "null",
    )
    assert set(ranking.incompatible) == {
        "unsupported_value",
        "unsupported_feature",
        "optional_provider",
        "unsupported_plugin",
        "unsupported_builtin",
        "missing",
    }
    assert ranking.incompatible["unsupported_value"] == (
        "(`nvidia :: arch :: sm80` or `nvidia :: arch :: sm90`) and `nvidia :: cuda :: 14.0`"
    )


def test_vector_a_with_settings() -> None:
    metadata = parse_variant_metadata(json.dumps(VECTOR_A), "vector-a")
    enabled = rank(
        metadata, ProviderSettings(enable_providers=frozenset({"debug"})), VECTOR_A_WHEEL_LABELS
    )
    assert enabled.labels.index("optional_provider") == enabled.labels.index("cpuv4") + 1
    disabled = rank(
        metadata, ProviderSettings(disable_providers=frozenset({"nvidia"})), VECTOR_A_WHEEL_LABELS
    )
    assert disabled.labels == ("cpuv4", "null")


VECTOR_B: dict[str, Any] = {
    "$schema": SCHEMA_850,
    "default-priorities": {"namespace": ["nvidia", "blas_lapack"]},
    "providers": {
        "nvidia": {
            "requires": ["nvidia-variant-provider>=0.0.1,<1"],
            "plugin-api": "nvidia_variant_provider.plugin:NvidiaVariantPlugin",
        },
        "blas_lapack": {"static-properties": {"provider": ["openblas", "mkl"]}},
    },
    "variants": {
        "cu126": {
            "nvidia": {"cuda_version_lower_bound": ["12.6"], "sm_arch": ["80_real", "90_real"]}
        },
        "cu130": {
            "nvidia": {"cuda_version_lower_bound": ["13.0"], "sm_arch": ["90_real", "120_real"]}
        },
        "cu129_mkl": {
            "nvidia": {"cuda_version_lower_bound": ["12.9"], "sm_arch": ["89_real", "90_real"]},
            "blas_lapack": {"provider": ["mkl"]},
        },
        "openblas": {"blas_lapack": {"provider": ["openblas"]}},
        "null": {},
    },
}


class NoGpu:
    def read(self) -> NvmlReading | None:
        return None


@pytest.mark.parametrize(
    ("cuda", "sm", "order"),
    [
        ("12.8", "9.0", ("cu126", "openblas", "null")),
        ("13.1", "12.0", ("cu130", "openblas", "null")),
        ("13.1", "8.9", ("cu129_mkl", "cu126", "openblas", "null")),
        (None, None, ("openblas", "null")),
    ],
)
def test_vector_b(cuda: str | None, sm: str | None, order: tuple[str, ...]) -> None:
    environ = {}
    if cuda is not None and sm is not None:
        environ = {FORCE_CUDA_DRIVER_VERSION: cuda, FORCE_SM_ARCH: sm}
    metadata = parse_variant_metadata(json.dumps(VECTOR_B), "vector-b")

    def answer(decision: ProviderDecision) -> NamespaceProperties | None:
        assert decision.source == "builtin" and decision.builtin is not None
        assert decision.builtin.namespace == "nvidia"
        return detect_nvidia(environ, NoGpu()).properties

    supported, decisions = resolve_supported_properties(metadata, ProviderSettings(), answer)
    assert decisions["nvidia"].source == "builtin"
    ranking = rank_variants(metadata.variants, metadata.namespace_priorities, supported)
    assert ranking.labels == order

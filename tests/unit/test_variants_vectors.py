"""Cross-tool vectors, end to end through the metadata parser, provider selection, built-in
detection and ranking: the ordering vectors A and B, and the reference tools' own test cases
restated as data under ``data/vectors/`` (uv 0.13.9's tests, variantlib's tests). A case whose
``ours`` differs from the tool's expectation is a documented disagreement (see the README's
"Agreement with reference tools' tests"); every other case must give the tool's answer."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from wheelnext_pip.variants._provider_aarch64 import aarch64_version_from_cpuinfo
from wheelnext_pip.variants._provider_nvidia import (
    FORCE_CUDA_DRIVER_VERSION,
    FORCE_SM_ARCH,
    NvmlReading,
    detect_nvidia,
)
from wheelnext_pip.variants._provider_x86_64 import x86_64_level
from wheelnext_pip.variants.errors import VariantError
from wheelnext_pip.variants.filenames import (
    InvalidVariantFilename,
    OrdinaryWheel,
    VariantWheelFilename,
    parse_variants_json_filename,
    parse_wheel_filename,
)
from wheelnext_pip.variants.metadata import (
    VariantMetadata,
    combine_metadata,
    metadata_to_json,
    parse_variant_metadata,
)
from wheelnext_pip.variants.ordering import VariantRanking, rank_variants
from wheelnext_pip.variants.properties import NamespaceProperties
from wheelnext_pip.variants.providers import (
    ProviderDecision,
    ProviderSettings,
    resolve_supported_properties,
)

SCHEMA_850 = "https://variants-schema.wheelnext.dev/peps/850/v0.2.0.json"

VECTORS = Path(__file__).parent / "data" / "vectors"


def vector_cases(name: str) -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = json.loads((VECTORS / name).read_text())["cases"]
    return cases


#: uv's ``rank_variants`` test (crates/uv-distribution-types/tests/variants_json.rs).
VECTOR_A: dict[str, Any] = next(
    case for case in vector_cases("uv/variants_json.json") if case["id"] == "rank_variants"
)["document"]
VECTOR_A_WHEEL_LABELS = [*VECTOR_A["variants"], "missing"]


def no_answer(decision: ProviderDecision) -> NamespaceProperties | None:
    if decision.source == "abi-dependency":
        return None  # uv does not select on it; here: none of its distributions is known
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


# -- the reference tools' own tests, as data ----------------------------------------------------


def expected(case: dict[str, Any], tool: str) -> dict[str, Any]:
    """Our expected result: the tool's, unless the case documents a disagreement."""
    result: dict[str, Any] = case.get("ours", case[tool])
    assert ("ours" in case) == ("why" in case), "a disagreement must say why"
    return result


def try_parse(document: object, source: str) -> VariantMetadata | None:
    try:
        return parse_variant_metadata(json.dumps(document), source)
    except VariantError:
        return None


def properties_of(metadata: VariantMetadata) -> dict[str, list[str]]:
    return {label: sorted(str(p) for p in props) for label, props in metadata.variants.items()}


@pytest.mark.parametrize(
    "case",
    [c for c in vector_cases("uv/variants_json.json") if c["kind"] == "parse"],
    ids=lambda case: case["id"],
)
def test_uv_variants_json(case: dict[str, Any]) -> None:
    want = expected(case, "uv")
    metadata = try_parse(case["document"], case["id"])
    assert (metadata is not None) == want["accept"]
    if metadata is None:
        return
    if want.get("roundtrip"):
        assert metadata_to_json(metadata) == case["document"]
    if "variants" in want:
        assert properties_of(metadata) == want["variants"]


def test_uv_rank_variants() -> None:
    (case,) = [c for c in vector_cases("uv/variants_json.json") if c["kind"] == "rank"]
    want = expected(case, "uv")
    metadata = parse_variant_metadata(json.dumps(case["document"]), case["id"])
    labels = [*case["document"]["variants"], "missing"]
    ranking = rank(metadata, ProviderSettings(), labels)
    assert list(ranking.labels) == want["order"]
    assert set(ranking.incompatible) == set(want["incompatible"])
    unsupported = want["unsupported"]
    assert ranking.incompatible[unsupported["label"]] == unsupported["text"]


@pytest.mark.parametrize("case", vector_cases("uv/providers.json"), ids=lambda case: case["id"])
def test_uv_vendored_provider(case: dict[str, Any]) -> None:
    if case["kind"] == "not-portable":
        assert case["why"]
        return
    want = expected(case, "uv")
    if case["kind"] == "x86_64-flags":
        assert f"v{x86_64_level(case['flags'].split())}" == want["level"]
    else:
        assert aarch64_version_from_cpuinfo(case["cpuinfo"]) == want["version"]


@pytest.mark.parametrize(
    "case", vector_cases("variantlib/variants_json.json"), ids=lambda case: case["id"]
)
def test_variantlib_variants_json(case: dict[str, Any]) -> None:
    want = expected(case, "variantlib")
    if case["kind"] == "merge":
        first, second = (parse_variant_metadata(json.dumps(d), "v") for d in case["documents"])
        merged = combine_metadata(first, second)
        assert sorted(merged.variants) == want["labels"]
        assert properties_of(combine_metadata(second, first)) == properties_of(merged)
        assert properties_of(combine_metadata(merged, second)) == properties_of(merged)
        return
    metadata = try_parse(case["document"], case["id"])
    assert (metadata is not None) == want["accept"]
    if metadata is None:
        return
    assert list(metadata.namespace_priorities) == want["namespace_priorities"]
    assert sorted(metadata.variants) == want["labels"]
    if "feature_priorities" in want:
        assert {k: list(v) for k, v in metadata.feature_priorities.items()} == want[
            "feature_priorities"
        ]
        assert {
            ns: {f: list(v) for f, v in table.items()}
            for ns, table in metadata.property_priorities.items()
        } == want["property_priorities"]
    for namespace, provider in want.get("providers", {}).items():
        declaration = metadata.providers[namespace]
        assert list(declaration.requires) == provider["requires"]
        assert declaration.plugin_api == provider["plugin-api"]
        assert declaration.enable_if == provider.get("enable-if")


def test_vector_files_name_their_sources() -> None:
    for path in VECTORS.rglob("*.json"):
        document = json.loads(path.read_text())
        assert document["source"], path
        for case in document["cases"]:
            assert case.get("id"), path


@pytest.mark.parametrize("case", vector_cases("uv/filenames.json"), ids=lambda case: case["id"])
def test_uv_wheel_filename(case: dict[str, Any]) -> None:
    want = expected(case, "uv")
    if case.get("kind") == "variants-json":
        found = parse_variants_json_filename(case["filename"])
        assert (found is not None) == want["accept"]
        if found is not None:
            assert (found.canonical_name, found.version) == (want["name"], want["version"])
        return
    parsed = parse_wheel_filename(case["filename"])
    assert parsed.filename == case["filename"]  # kept as written: uv's round trip
    if want["kind"] == "ordinary":
        assert isinstance(parsed, OrdinaryWheel)
    elif want["kind"] == "invalid":
        assert isinstance(parsed, InvalidVariantFilename)
    else:
        assert isinstance(parsed, VariantWheelFilename)
        assert (parsed.label, parsed.build) == (want["label"], want["build"])


def resolver_document(case: dict[str, Any]) -> dict[str, Any]:
    """variantlib's inputs as a PEP 825 document: what is supported, as static properties
    (PEP 850: several static features need their order spelled out)."""
    providers: dict[str, Any] = {}
    for namespace in case["namespaces"]:
        features = case["supported"][namespace]
        providers[namespace] = {"static-properties": features}
        if len(features) > 1:
            providers[namespace]["feature-order"] = list(features)
    return {
        "$schema": SCHEMA_850,
        "default-priorities": {"namespace": case["namespaces"]},
        "providers": providers,
        "variants": case["variants"],
    }


@pytest.mark.parametrize(
    "case", vector_cases("variantlib/resolver.json"), ids=lambda case: case["id"]
)
def test_variantlib_resolver(case: dict[str, Any]) -> None:
    if case["kind"] == "not-portable":
        assert case["why"]
        return
    want = expected(case, "variantlib")
    metadata = parse_variant_metadata(json.dumps(resolver_document(case)), case["id"])
    settings = ProviderSettings(disable_providers=frozenset(case.get("disable", [])))
    for labels in case["inputs"]:
        ranking = rank(metadata, settings, labels)
        if case["kind"] == "rank":
            assert list(ranking.labels) == want["order"], labels
        else:
            assert sorted(ranking.labels) == want["compatible"], labels
        assert set(ranking.incompatible) == set(labels) - set(ranking.labels)


def test_readme_agreement_table_matches_the_vectors() -> None:
    """The README's totals are those of the vector files."""
    files = ("uv/variants_json.json", "uv/providers.json", "uv/install.json", "uv/filenames.json")
    cases = [case for name in files for case in vector_cases(name)]
    cases += vector_cases("variantlib/variants_json.json")
    cases += vector_cases("variantlib/resolver.json")
    differ = sum("ours" in case for case in cases)
    not_portable = sum(case.get("kind") == "not-portable" for case in cases)
    bugs = sum("known_bug" in case for case in cases)
    agree = len(cases) - differ - not_portable - bugs
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    figures = (len(cases), agree, differ, not_portable, bugs)
    total = "| **reference tools' tests, total** |" + "".join(f" **{n}** |" for n in figures)
    assert total in readme
    cpu = vector_cases("cpu/plugin-answers.json")
    assert f"on archspec's {len(cpu)} Linux CPU samples | {len(cpu)} | {len(cpu)} | 0 |" in readme

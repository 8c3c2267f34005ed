"""Variant metadata documents (PEP 825): three generations, validation, consistency."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from wheelnext_pip.variants.errors import VariantError
from wheelnext_pip.variants.metadata import (
    MAX_METADATA_BYTES,
    ProviderDeclaration,
    VariantMetadata,
    check_wheel_against_index,
    check_wheel_variant_json,
    combine_metadata,
    default_plugin_api,
    metadata_to_json,
    parse_variant_metadata,
)
from wheelnext_pip.variants.properties import VariantProperty

DATA = Path(__file__).parent / "data" / "variants"
SCHEMA_825 = "https://variants-schema.wheelnext.dev/peps/825/v0.1.1.json"
SCHEMA_825_V010 = "https://variants-schema.wheelnext.dev/peps/825/v0.1.0.json"
SCHEMA_850 = "https://variants-schema.wheelnext.dev/peps/850/v0.2.0.json"
SCHEMA_VARIANTLIB = "https://variants-schema.wheelnext.dev/v0.2.0.json"

MINIMAL_850: dict[str, Any] = {
    "$schema": SCHEMA_850,
    "default-priorities": {"namespace": ["cpu"]},
    "providers": {
        "cpu": {
            "optional": False,
            "static-properties": {"level": ["v3"], "flags": ["avx"]},
            "feature-order": ["level", "flags"],
        }
    },
    "variants": {"null": {}},
}


def doc_850(**changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "$schema": SCHEMA_850,
        "default-priorities": {"namespace": ["x86_64", "blas"]},
        "providers": {
            "x86_64": {"requires": ["x86-64-variant-provider==0.2.1"]},
            "blas": {"static-properties": {"provider": ["openblas", "mkl"]}},
        },
        "variants": {
            "v3_mkl": {"x86_64": {"level": ["v3"]}, "blas": {"provider": ["mkl"]}},
            "openblas": {"blas": {"provider": ["openblas"]}},
            "null": {},
        },
    }
    document.update(changes)
    return document


def parse(document: Any, source: str = "pkg-1.0-variants.json") -> VariantMetadata:
    return parse_variant_metadata(json.dumps(document), source)


def load_published(name: str) -> VariantMetadata:
    return parse_variant_metadata((DATA / name).read_bytes(), name)


# -- the three generations ------------------------------------------------------------------


def test_minimal_850_round_trips() -> None:
    metadata = parse(MINIMAL_850)
    assert metadata.generation == "pep850"
    assert metadata.schema_version == (0, 2, 0)
    assert metadata.providers["cpu"] == ProviderDeclaration(
        "cpu", "static", static_properties=(("level", ("v3",)), ("flags", ("avx",)))
    )
    assert metadata.variants == {"null": frozenset()}
    assert metadata_to_json(metadata) == MINIMAL_850


def test_850_document() -> None:
    metadata = parse(doc_850())
    assert metadata.namespace_priorities == ("x86_64", "blas")
    assert metadata.labels == ("v3_mkl", "openblas", "null")
    assert metadata.properties_of("v3_mkl") == {
        VariantProperty("x86_64", "level", "v3"),
        VariantProperty("blas", "provider", "mkl"),
    }
    assert metadata.properties_of("missing") is None
    x86 = metadata.providers["x86_64"]
    assert (x86.kind, x86.requires, x86.plugin_api) == (
        "plugin",
        ("x86-64-variant-provider==0.2.1",),
        None,
    )
    assert metadata.providers["blas"].static_namespace_properties().features[0].values == (
        "openblas",
        "mkl",
    )
    assert metadata_to_json(metadata)["providers"] == {
        "x86_64": {"optional": False, "requires": ["x86-64-variant-provider==0.2.1"]},
        "blas": {"optional": False, "static-properties": {"provider": ["openblas", "mkl"]}},
    }


def test_builtin_kind_and_plugin_api() -> None:
    document = doc_850(
        providers={
            "x86_64": {
                "requires": ["some-plugin"],
                "plugin-api": "some_plugin.api:Plugin.make",
                "optional": True,
            },
            "blas": {"builtin": "abi_dependency"},
        }
    )
    metadata = parse(document)
    assert metadata.providers["x86_64"].plugin_api == "some_plugin.api:Plugin.make"
    assert metadata.providers["x86_64"].optional
    assert metadata.providers["blas"] == ProviderDeclaration(
        "blas", "builtin", builtin="abi_dependency"
    )
    assert metadata_to_json(metadata)["providers"] == document["providers"] | {
        "x86_64": {**document["providers"]["x86_64"], "optional": True},
        "blas": {"builtin": "abi_dependency", "optional": False},
    }


def test_variantlib_schema_url_reads_as_850() -> None:
    assert parse(doc_850(**{"$schema": SCHEMA_VARIANTLIB})).generation == "pep850"


def test_pure_825() -> None:
    document = doc_850(**{"$schema": SCHEMA_825})
    del document["providers"]
    metadata = parse(document)
    assert metadata.generation == "pep825"
    assert metadata.providers == {}
    assert metadata_to_json(metadata) == document


def test_825_rejects_providers() -> None:
    with pytest.raises(VariantError, match="unknown key 'providers'"):
        parse(doc_850(**{"$schema": SCHEMA_825}))


def test_825_v010_keeps_feature_and_property_priorities() -> None:
    document = doc_850(**{"$schema": SCHEMA_825_V010})
    del document["providers"]
    document["default-priorities"] = {
        "namespace": ["x86_64", "blas"],
        "feature": {"blas": ["provider"]},
        "property": {"blas": {"provider": ["mkl"]}},
    }
    metadata = parse(document)
    assert metadata.feature_priorities == {"blas": ("provider",)}
    assert metadata.property_priorities == {"blas": {"provider": ("mkl",)}}
    v011 = copy.deepcopy(document)
    v011["$schema"] = SCHEMA_825
    with pytest.raises(VariantError, match="unknown key 'feature' in default-priorities"):
        parse(v011)


@pytest.mark.parametrize(
    "schema",
    [
        "https://variants-schema.wheelnext.dev/peps/850/v1.0.0.json",
        "https://variants-schema.wheelnext.dev/v2.1.0.json",
        "https://example.org/schemas/v1.0.0.json",
    ],
)
def test_unknown_major_is_rejected(schema: str) -> None:
    with pytest.raises(VariantError, match="unsupported schema major version"):
        parse(doc_850(**{"$schema": schema}))


@pytest.mark.parametrize(
    "schema",
    [
        "https://variants-schema.wheelnext.dev/peps/850/v0.3.0.json",
        "https://example.org/my-variant-schema.json",
        "https://variants-schema.wheelnext.dev/peps/825/v0.2.0.json",
    ],
)
def test_other_draft_urls_parse_strictly_as_850(schema: str) -> None:
    assert parse(doc_850(**{"$schema": schema})).generation == "pep850"
    without_providers = doc_850(**{"$schema": schema})
    del without_providers["providers"]
    assert parse(without_providers).providers == {}
    legacy_shaped = doc_850(**{"$schema": schema}, **{"static-properties": {}})
    with pytest.raises(VariantError, match="unknown key 'static-properties'"):
        parse(legacy_shaped)


def test_850_requires_providers() -> None:
    document = doc_850()
    del document["providers"]
    with pytest.raises(VariantError, match="missing providers"):
        parse(document)


# -- the published legacy v0.0.3 files ------------------------------------------------------


def test_published_torch() -> None:
    metadata = load_published("torch-2.9.0-variants.json")
    assert metadata.generation == "legacy"
    assert metadata.schema_version == (0, 0, 3)
    assert metadata.namespace_priorities == ("nvidia", "intel", "amd", "priority")
    assert set(metadata.labels) == {
        "cuda12.6",
        "cuda12.8",
        "cuda13.0",
        "null",
        "rocm6.3",
        "rocm6.4",
        "xpu",
    }
    nvidia = metadata.providers["nvidia"]
    assert nvidia.kind == "plugin"
    assert nvidia.requires == ("nvidia-variant-provider>=0.0.2,<1.0.0",)
    assert nvidia.plugin_api == "nvidia_variant_provider.plugin:NvidiaVariantPlugin"
    assert nvidia.enable_if == "platform_system == 'Linux' or platform_system == 'Windows'"
    priority = metadata.providers["priority"]
    assert priority.kind == "static"
    assert priority.static_properties == (("order", ("1", "2", "3")),)
    assert metadata.property_priorities == {"priority": {"order": ("1", "2", "3")}}
    assert VariantProperty("nvidia", "sm_arch", "120_virtual") in metadata.variants["cuda13.0"]
    assert metadata.variants["null"] == frozenset()
    with pytest.raises(VariantError, match="read-only"):
        metadata_to_json(metadata)


def test_published_numpy_and_scikit_learn() -> None:
    numpy = load_published("numpy-2.3.4-variants.json")
    assert numpy.providers["blas_lapack"].static_properties == (
        ("provider", ("accelerate", "openblas", "mkl")),
    )
    assert numpy.providers["x86_64"].requires == ("provider-variant-x86-64",)
    assert numpy.providers["x86_64"].enable_if is not None
    assert numpy.feature_priorities == {}
    sklearn = load_published("scikit_learn-1.7.2-variants.json")
    assert sklearn.feature_priorities == {"openmp": ("provider",)}
    assert sklearn.property_priorities == {"openmp": {"provider": ("gnu", "intel", "llvm")}}
    assert sklearn.providers["openmp"].kind == "static"
    assert "x8664vv4_iomp5" in sklearn.labels


def test_published_nvidia_only_files() -> None:
    cublas = load_published("nvidia_cublas-13.0.2.14-variants.json")
    assert cublas.labels == ("cu13",)
    xgboost = load_published("xgboost-3.1.0rc1-variants.json")
    assert xgboost.providers["nvidia"].requires == ("nvidia-variant-provider>=0.0.1,<1.0.0",)
    assert xgboost.providers["nvidia"].enable_if is None
    assert len(xgboost.variants["cu12"]) == 9


def test_every_published_file_in_shared_data() -> None:
    folder = (
        Path(__file__).resolve().parents[2]
        / ".."
        / "shared"
        / "data"
        / "published-variant-metadata"
    )
    if not folder.is_dir():
        pytest.skip("shared published data not present")
    files = sorted(folder.glob("*-variants.json"))
    assert files
    for path in files:
        assert parse_variant_metadata(path.read_bytes(), path.name).generation == "legacy"


LEGACY_SCHEMA = "https://variants-schema.wheelnext.dev/v0.0.3.json"


def legacy_doc(**providers: Any) -> dict[str, Any]:
    return {
        "$schema": LEGACY_SCHEMA,
        "default-priorities": {"namespace": list(providers)},
        "providers": providers,
        "static-properties": {"blas": {"provider": ["openblas"]}},
        "variants": {"null": {}},
        "future-key": {"ignored": True},
    }


def test_legacy_unknown_keys_ignored_and_defaults() -> None:
    metadata = parse(
        legacy_doc(blas={"install-time": False, "future": 1}, gpu={"requires": ["gpu-provider"]})
    )
    assert metadata.providers["blas"].kind == "static"
    assert metadata.providers["gpu"] == ProviderDeclaration(
        "gpu", "plugin", requires=("gpu-provider",)
    )


@pytest.mark.parametrize(
    ("plugin_use", "kind"), [("all", "plugin"), ("build", "static"), ("none", "static")]
)
def test_legacy_v002_plugin_use(plugin_use: str, kind: str) -> None:
    document = legacy_doc(blas={"plugin-use": plugin_use, "requires": ["blas-provider"]})
    document["$schema"] = "https://variants-schema.wheelnext.dev/v0.0.2.json"
    assert parse(document).providers["blas"].kind == kind


@pytest.mark.parametrize(
    ("provider", "problem"),
    [
        ({"install-time": "no"}, "install-time must be true or false"),
        ({"plugin-use": "sometimes"}, "plugin-use"),
        ({"enable-if": "platform_system = 'Linux'"}, "not a PEP 508 marker"),
        ({"requires": ["not a requirement!"]}, "not a PEP 508 requirement"),
        ({"requires": ["p"], "plugin-api": "a b"}, "plugin-api"),
    ],
)
def test_legacy_provider_errors(provider: dict[str, Any], problem: str) -> None:
    with pytest.raises(VariantError, match=problem):
        parse(legacy_doc(gpu=provider))


# -- validation rules of the document ------------------------------------------------------


def _mutate(path: list[str], value: Any) -> dict[str, Any]:
    document = doc_850()
    target = document
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return document


REJECTED: list[tuple[str, Any, str]] = [
    # 1. invalid JSON or unknown keys at any level
    ("rule1-json", "{not json", "invalid JSON"),
    ("rule1-array", [], "must be a JSON object"),
    ("rule1-top", doc_850(extra=1), "unknown key 'extra' in the document"),
    ("rule1-priorities", _mutate(["default-priorities", "feature"], {}), "unknown key 'feature'"),
    (
        "rule1-provider",
        _mutate(["providers", "blas", "enable-if"], "True"),
        "unknown key 'enable-if'",
    ),
    (
        "rule1-schema-missing",
        {k: v for k, v in doc_850().items() if k != "$schema"},
        "missing $schema",
    ),
    ("rule1-schema-type", doc_850(**{"$schema": 1}), "$schema must be a string"),
    (
        "rule1-variants-missing",
        {k: v for k, v in doc_850().items() if k != "variants"},
        "missing variants",
    ),
    # 2. namespace priorities empty or duplicated
    ("rule2-empty", _mutate(["default-priorities", "namespace"], []), "must not be empty"),
    (
        "rule2-dup",
        _mutate(["default-priorities", "namespace"], ["x86_64", "blas", "blas"]),
        "twice",
    ),
    # 3. a used namespace missing from the priorities
    (
        "rule3",
        _mutate(["variants", "gpu"], {"gpu": {"cuda": ["12"]}}),
        "namespace 'gpu' of variant 'gpu' is missing from default-priorities",
    ),
    # 4. provider keys differ from the priority namespaces
    (
        "rule4-missing",
        _mutate(["providers"], {"x86_64": {"requires": ["p"]}}),
        "providers and default-priorities",
    ),
    (
        "rule4-extra",
        _mutate(["providers", "gpu"], {"requires": ["p"]}),
        "providers and default-priorities.namespace differ (namespace 'gpu')",
    ),
    # 5. static feature order
    (
        "rule5-missing-order",
        _mutate(
            ["providers", "blas", "static-properties"], {"provider": ["mkl"], "threads": ["omp"]}
        ),
        "no feature-order",
    ),
    ("rule5-empty-order", _mutate(["providers", "blas", "feature-order"], []), "must not be empty"),
    (
        "rule5-not-permutation",
        _mutate(["providers", "blas", "feature-order"], ["provider", "threads"]),
        "not a permutation",
    ),
    # 6. duplicate or missing values
    (
        "rule6-static-dup",
        _mutate(["providers", "blas", "static-properties", "provider"], ["mkl", "mkl"]),
        "twice",
    ),
    (
        "rule6-static-empty",
        _mutate(["providers", "blas", "static-properties", "provider"], []),
        "must not be empty",
    ),
    (
        "rule6-variant-dup",
        _mutate(["variants", "openblas", "blas", "provider"], ["openblas"] * 2),
        "twice",
    ),
    (
        "rule6-variant-empty",
        _mutate(["variants", "openblas", "blas", "provider"], []),
        "must not be empty",
    ),
    # 7. null with properties
    (
        "rule7",
        _mutate(["variants", "null"], {"blas": {"provider": ["mkl"]}}),
        "null variant must not have properties",
    ),
    # 8. names violating the grammar
    ("rule8-label", _mutate(["variants", "Open"], {}), "variant label 'Open'"),
    (
        "rule8-namespace",
        _mutate(["default-priorities", "namespace"], ["x86-64"]),
        "namespace 'x86-64'",
    ),
    (
        "rule8-feature",
        _mutate(["variants", "openblas", "blas"], {"Provider": ["x"]}),
        "feature 'Provider'",
    ),
    (
        "rule8-value",
        _mutate(["variants", "openblas", "blas"], {"provider": ["open blas"]}),
        "value 'open blas'",
    ),
    (
        "rule8-static-value",
        _mutate(["providers", "blas", "static-properties", "provider"], ["a/b"]),
        "value 'a/b'",
    ),
    # provider shape
    ("kind-none", _mutate(["providers", "blas"], {"optional": True}), "exactly one of"),
    (
        "kind-two",
        _mutate(["providers", "blas"], {"builtin": "abi_dependency", "requires": ["p"]}),
        "exactly one of",
    ),
    (
        "optional-type",
        _mutate(["providers", "blas", "optional"], "yes"),
        "optional must be true or false",
    ),
    ("requires-empty", _mutate(["providers", "x86_64", "requires"], []), "must not be empty"),
    (
        "requires-invalid",
        _mutate(["providers", "x86_64", "requires"], ["=="]),
        "not a PEP 508 requirement",
    ),
    ("plugin-api-invalid", _mutate(["providers", "x86_64", "plugin-api"], "mod:"), "plugin-api"),
    (
        "plugin-api-static",
        _mutate(["providers", "blas", "plugin-api"], "mod"),
        "only allowed with requires",
    ),
    (
        "feature-order-plugin",
        _mutate(["providers", "x86_64", "feature-order"], ["a"]),
        "only allowed with static",
    ),
    ("builtin-empty", _mutate(["providers", "blas"], {"builtin": ""}), "must not be empty"),
    ("variants-type", _mutate(["variants"], []), "variants must be an object"),
]


@pytest.mark.parametrize(
    ("document", "problem"), [r[1:] for r in REJECTED], ids=[r[0] for r in REJECTED]
)
def test_rejected_documents(document: Any, problem: str) -> None:
    data = document if isinstance(document, str) else json.dumps(document)
    with pytest.raises(VariantError) as caught:
        parse_variant_metadata(data, "pkg-1.0-variants.json")
    message = str(caught.value)
    assert message.startswith("pkg-1.0-variants.json: ")
    assert problem in message
    assert "\n" not in message


def test_namespace_with_no_features_needs_no_priority() -> None:
    metadata = parse(_mutate(["variants", "openblas", "gpu"], {}))
    assert metadata.variants["openblas"] == {VariantProperty("blas", "provider", "openblas")}


def test_duplicate_json_keys_are_rejected() -> None:
    text = json.dumps(doc_850())[:-1] + ', "variants": {}}'
    with pytest.raises(VariantError, match="key 'variants' appears twice"):
        parse_variant_metadata(text, "x")


def test_size_cap() -> None:
    with pytest.raises(VariantError, match="larger than"):
        parse_variant_metadata(b" " * (MAX_METADATA_BYTES + 1), "x")


def test_bad_utf8() -> None:
    with pytest.raises(VariantError, match="invalid JSON"):
        parse_variant_metadata(b'{"\xff": 1}', "x")


def test_message_stays_on_one_line() -> None:
    with pytest.raises(VariantError) as caught:
        parse(_mutate(["variants", "a\nb"], {}))
    assert "\n" not in str(caught.value)


# -- wheels and combination of pages ---------------------------------------------------------


def wheel_doc(label: str) -> VariantMetadata:
    document = doc_850()
    document["variants"] = {label: document["variants"][label]}
    return parse(document, f"pkg-1.0-py3-none-any-{label}.whl/variant.json")


def test_rule9_wheel_lists_exactly_its_label() -> None:
    check_wheel_variant_json(wheel_doc("openblas"), "openblas")
    with pytest.raises(VariantError, match="exactly the filename label 'v3_mkl'"):
        check_wheel_variant_json(wheel_doc("openblas"), "v3_mkl")
    with pytest.raises(VariantError, match="lists: null, openblas, v3_mkl"):
        check_wheel_variant_json(parse(doc_850()), "openblas")


def test_wheel_against_index() -> None:
    index = parse(doc_850())
    check_wheel_against_index(index, wheel_doc("openblas"), "openblas")
    changed = doc_850()
    changed["variants"] = {"openblas": {"blas": {"provider": ["mkl"]}}}
    with pytest.raises(VariantError, match="variant 'openblas' has different properties"):
        check_wheel_against_index(index, parse(changed), "openblas")
    extra = doc_850()
    extra["variants"] = {"other": {}}
    with pytest.raises(VariantError, match="'other' is missing from"):
        check_wheel_against_index(index, parse(extra), "other")


def test_combine_is_order_independent() -> None:
    first = doc_850()
    first["variants"] = {"openblas": first["variants"]["openblas"]}
    first["default-priorities"] = {"namespace": ["x86_64", "blas"]}
    second = doc_850()
    del second["variants"]["openblas"]
    a, b = parse(first, "a"), parse(second, "b")
    combined = combine_metadata(a, b)
    assert combined == combine_metadata(b, a)
    assert set(combined.labels) == {"openblas", "v3_mkl", "null"}
    assert combined.source == "a + b"


def test_combine_takes_the_longer_priority_prefix() -> None:
    short = doc_850(**{"$schema": SCHEMA_825})
    del short["providers"]
    short["default-priorities"] = {"namespace": ["blas"]}
    short["variants"] = {"openblas": {"blas": {"provider": ["openblas"]}}}
    long = doc_850(**{"$schema": SCHEMA_825})
    del long["providers"]
    long["default-priorities"] = {"namespace": ["blas", "x86_64"]}
    combined = combine_metadata(parse(short), parse(long))
    assert combined.namespace_priorities == ("blas", "x86_64")
    other = copy.deepcopy(long)
    other["default-priorities"] = {"namespace": ["x86_64", "blas"]}
    with pytest.raises(VariantError, match="neither is a prefix"):
        combine_metadata(parse(short), parse(other))


def test_combine_rejects_different_providers_and_generations() -> None:
    optional = doc_850()
    optional["providers"]["blas"]["optional"] = False
    assert (
        combine_metadata(parse(doc_850()), parse(optional)).providers == parse(doc_850()).providers
    )
    optional["providers"]["blas"]["optional"] = True
    with pytest.raises(VariantError, match="providers differ"):
        combine_metadata(parse(doc_850()), parse(optional))
    with pytest.raises(VariantError, match="different generations"):
        combine_metadata(parse(doc_850()), load_published("numpy-2.3.4-variants.json"))


def test_default_plugin_api() -> None:
    assert default_plugin_api("x86-64-variant-provider") == "x86_64_variant_provider"
    assert default_plugin_api("Some.Plugin_Name") == "some_plugin_name"

"""The ``abi_dependency`` built-in provider (PEP 850): the values a version supports, the
``VARIANT_ABI_DEPENDENCY`` variable, label values as uv validates them, and ranking a
document's labels against known versions."""

from __future__ import annotations

import json

import pytest

from wheelnext_pip.variants.abi_dependency import (
    OVERRIDE_VARIABLE,
    KnownVersion,
    answer,
    describe,
    feature_name,
    malformed_labels,
    parse_override,
    supported_values,
    value_problem,
)
from wheelnext_pip.variants.errors import VariantError
from wheelnext_pip.variants.metadata import parse_variant_metadata
from wheelnext_pip.variants.ordering import rank_variants
from wheelnext_pip.variants.providers import ProviderSettings, resolve_supported_properties


@pytest.mark.parametrize(
    ("version", "values"),
    [
        ("2.8.0", ("2.8.0", "2.8", "2")),
        ("2.8", ("2.8.0", "2.8", "2")),
        ("4", ("4.0.0", "4.0", "4")),
        ("4.3b1", ("4.3.0", "4.3", "4")),  # ==4.3.* admits 4.3b1
        ("7.2.3.post4", ("7.2.3", "7.2", "7")),
        ("1.2.3.4", ("1.2.3", "1.2", "1")),  # ==1.2.3.* admits 1.2.3.4
        ("2.9.0+cu128", ("2.9.0", "2.9", "2")),
        ("2.10.1", ("2.10.1", "2.10", "2")),
        ("1!2.8.0", ()),  # ==2.8.* never admits another epoch
        ("not-a-version", ()),
    ],
)
def test_values_a_version_supports(version: str, values: tuple[str, ...]) -> None:
    assert supported_values(version) == values


def test_a_value_matches_as_a_prefix_pin() -> None:
    from packaging.specifiers import SpecifierSet

    for version in ("2.8.0", "2.8.3", "2.10.0", "3.0", "2.8.0rc1", "2.8.1+local", "2.80.0"):
        for value in ("2", "2.8", "2.8.0", "2.10", "3"):
            expected = SpecifierSet(f"=={value}.*").contains(version, prereleases=True)
            assert (value in supported_values(version)) == expected, (version, value)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("2.8", None),
        ("2", None),
        ("0.10.0", None),
        ("2.10", None),
        ("invalid", "'invalid' is not a release number"),
        ("02.8", "'02.8' is not in canonical form (no leading zeros)"),
        ("02.8.0", "'02.8.0' is not in canonical form (no leading zeros)"),
        ("2.8.0.1", "'2.8.0.1' has more than three release components"),
        ("2.8a1", "'2.8a1' is not a release number"),
    ],
)
def test_label_values_are_validated_like_uv(value: str, problem: str | None) -> None:
    assert value_problem(value) == problem


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", {}),
        ("torch==2.8.0", {"torch": ("torch", "2.8.0")}),
        (
            " torch==2.8.0 , Nvidia.CuBLAS==13.0 ,",
            {"torch": ("torch", "2.8.0"), "nvidia_cublas": ("nvidia-cublas", "13.0")},
        ),
        ("c==7.8.9b1", {"c": ("c", "7.8.9b1")}),
        ("a==1.2.79,a==1.2.79", {"a": ("a", "1.2.79")}),
    ],
)
def test_the_override_variable(text: str, expected: dict[str, tuple[str, str]]) -> None:
    parsed = parse_override(text)
    assert {k: (v.project, v.version) for k, v in parsed.items()} == expected
    assert all(v.source == OVERRIDE_VARIABLE for v in parsed.values())


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("no-version", "'no-version' is not name==version"),
        ("z>=1.2.3", "'z>=1.2.3' is not name==version"),
        ("torch==", "'torch==' is not name==version"),
        ("==2.8", "'==2.8' is not name==version"),
        ("torch==two", "'two' (for torch) is not a version"),
        ("-bad-==1", "'-bad-' is not a distribution name"),
        ("torch===2.8", "'=2.8' (for torch) is not a version"),
        ("a==1,a==2", "a is given twice (1 and 2)"),
    ],
)
def test_a_malformed_override_is_one_error_naming_the_variable(text: str, problem: str) -> None:
    with pytest.raises(VariantError) as error:
        parse_override(text)
    assert str(error.value) == (
        f"VARIANT_ABI_DEPENDENCY: {problem} (expected name==version,name==version)"
        if "twice" not in problem
        else f"VARIANT_ABI_DEPENDENCY: {problem}"
    )


def test_feature_names_are_normalized_with_underscores() -> None:
    assert feature_name("Nvidia.CuBLAS-cu12") == "nvidia_cublas_cu12"
    assert feature_name("torch") == "torch"


KNOWN = {
    "torch": KnownVersion("torch", "2.8.1", "installed in /venv"),
    "numpy": KnownVersion("numpy", "2.3.4", OVERRIDE_VARIABLE),
}


def test_the_answer_covers_the_named_distributions_that_are_known() -> None:
    properties = answer("abi_dependency", ["numpy", "torch", "jax", "torch"], KNOWN)
    assert [(f.name, f.values) for f in properties] == [
        ("numpy", ("2.3.4", "2.3", "2")),
        ("torch", ("2.8.1", "2.8", "2")),
    ]
    assert describe(["torch", "jax"], KNOWN) == (
        "torch 2.8.1 (installed in /venv); jax: not installed and not to be installed"
    )


SCHEMA = "https://variants-schema.wheelnext.dev/peps/850/v0.2.0.json"


def _document(variants: dict[str, object], *, builtin: bool = True, namespace: str = "abi") -> str:
    document: dict[str, object] = {
        "$schema": SCHEMA,
        "default-priorities": {"namespace": [namespace]},
        "variants": variants,
    }
    if builtin:
        document["providers"] = {namespace: {"builtin": "abi_dependency"}}
    else:
        document["$schema"] = "https://variants-schema.wheelnext.dev/peps/825/v0.1.1.json"
    return json.dumps(document)


def _rank(text: str, known: dict[str, KnownVersion]) -> tuple[tuple[str, ...], dict[str, str]]:
    metadata = parse_variant_metadata(text, "doc")

    def provide(decision):  # type: ignore[no-untyped-def]
        assert decision.source == "abi-dependency"
        return answer(decision.namespace, decision.features, known)

    supported, decisions = resolve_supported_properties(metadata, ProviderSettings(), provide)
    ranking = rank_variants(metadata.variants, metadata.namespace_priorities, supported)
    abi = [ns for ns, d in decisions.items() if d.source == "abi-dependency"]
    refused = malformed_labels(metadata.variants, abi)
    labels = tuple(label for label in ranking.labels if label not in refused)
    return labels, {**ranking.incompatible, **refused}


#: uv's ``parse_abi_dependency_provider`` document (crates/uv-distribution-types/tests).
UV_VARIANTS = {
    "valid": {"abi": {"my_runtime": ["2.8", "2.10"]}},
    "invalid": {"abi": {"my_runtime": ["2.8", "invalid"]}},
    "noncanonical": {"abi": {"my_runtime": ["02.8"]}},
    "noncanonical_three_components": {"abi": {"my_runtime": ["02.8.0"]}},
    "too_many_components": {"abi": {"my_runtime": ["2.8.0.1"]}},
    "null": {},
}


@pytest.mark.parametrize(
    ("version", "compatible"),
    [("2.8.0", ("valid", "null")), ("2.10.4", ("valid", "null")), ("2.9.0", ("null",))],
)
def test_uv_vector_labels(version: str, compatible: tuple[str, ...]) -> None:
    known = {"my_runtime": KnownVersion("my-runtime", version, "installed in /venv")}
    labels, incompatible = _rank(_document(UV_VARIANTS), known)
    assert labels == compatible
    assert (
        incompatible["invalid"]
        == "`abi :: my_runtime :: invalid`: 'invalid' is not a release number"
    )
    assert "leading zeros" in incompatible["noncanonical"]
    assert "leading zeros" in incompatible["noncanonical_three_components"]
    assert "more than three" in incompatible["too_many_components"]


TORCH_VARIANTS = {
    "torch28": {"abi_dependency": {"torch": ["2.8"]}},
    "torch2": {"abi_dependency": {"torch": ["2"]}},
    "torch280": {"abi_dependency": {"torch": ["2.8.0"]}},
    "torch29_or_210": {"abi_dependency": {"torch": ["2.9", "2.10"]}},
    "null": {},
}


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("2.8.0", ("torch280", "torch28", "torch2", "null")),  # most specific first
        ("2.8.5", ("torch28", "torch2", "null")),
        ("2.10.0", ("torch29_or_210", "torch2", "null")),
        ("3.0.0", ("null",)),
        (None, ("null",)),
    ],
)
@pytest.mark.parametrize("builtin", [True, False], ids=["pep850-builtin", "reserved-namespace"])
def test_torch_like_release(version: str | None, expected: tuple[str, ...], builtin: bool) -> None:
    known = {} if version is None else {"torch": KnownVersion("torch", version, "x")}
    labels, _ = _rank(_document(TORCH_VARIANTS, builtin=builtin, namespace="abi_dependency"), known)
    assert labels == expected


def test_a_properties_file_table_replaces_the_provider() -> None:
    from wheelnext_pip.variants.properties import parse_properties_toml

    metadata = parse_variant_metadata(_document(TORCH_VARIANTS, namespace="abi_dependency"), "doc")
    user = parse_properties_toml('[abi_dependency]\ntorch = ["2.9"]\n', "file.toml")
    asked = []
    supported, decisions = resolve_supported_properties(
        metadata, ProviderSettings(user_properties=user), lambda d: asked.append(d)
    )
    assert asked == []
    assert decisions["abi_dependency"].source == "file"
    ranking = rank_variants(metadata.variants, metadata.namespace_priorities, supported)
    assert ranking.labels == ("torch29_or_210", "null")

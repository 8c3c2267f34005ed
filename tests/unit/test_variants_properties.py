"""Variant properties (PEP 825) and the ``variant-properties-file`` setting."""

from __future__ import annotations

from pathlib import Path

import pytest

from wheelnext_pip.errors import WheelnextPipError
from wheelnext_pip.variants._properties_file import load_properties_file
from wheelnext_pip.variants.errors import VariantError
from wheelnext_pip.variants.properties import (
    NamespaceProperties,
    SupportedFeature,
    VariantProperty,
    legacy_hash_label,
    parse_properties_toml,
    properties_by_feature,
)


def test_parse_and_format() -> None:
    prop = VariantProperty.parse("  nvidia::sm_arch ::  90_real ")
    assert prop == VariantProperty("nvidia", "sm_arch", "90_real")
    assert str(prop) == "nvidia :: sm_arch :: 90_real"
    assert VariantProperty.parse("x86_64 :: level :: v3") < VariantProperty.parse(
        "x86_64 :: level :: v4"
    )


@pytest.mark.parametrize(
    "text",
    [
        "nvidia :: sm_arch",
        "nvidia :: sm_arch :: 90 :: x",
        "NVIDIA :: sm_arch :: 90_real",
        "nvidia :: sm.arch :: 90_real",
        "nvidia :: sm_arch :: 90-real",
        "nvidia :: sm_arch :: ",
        "nvi dia :: sm_arch :: 90_real",
    ],
)
def test_invalid_properties(text: str) -> None:
    with pytest.raises(VariantError) as caught:
        VariantProperty.parse(text)
    assert "\n" not in str(caught.value)
    assert isinstance(caught.value, WheelnextPipError)


def test_values_may_have_dots() -> None:
    assert VariantProperty("nvidia", "cuda_version_lower_bound", "12.8").value == "12.8"


def test_legacy_hash_labels() -> None:
    first = VariantProperty.parse("installable_plugin :: feat1 :: val1c")
    second = VariantProperty.parse("installable_plugin :: feat2 :: val2b")
    assert legacy_hash_label([first]) == "60567bd9"
    assert legacy_hash_label([second]) == "fbe82642"
    assert legacy_hash_label([second, first]) == "5d8be4b9"


def test_group_by_feature() -> None:
    grouped = properties_by_feature(
        VariantProperty.parse(text)
        for text in ("a :: x :: 1", "a :: x :: 2", "b :: y :: 3", "a :: z :: 4")
    )
    assert list(grouped.items()) == [
        (("a", "x"), frozenset({"1", "2"})),
        (("a", "z"), frozenset({"4"})),
        (("b", "y"), frozenset({"3"})),
    ]


def test_supported_feature_placeholders() -> None:
    feature = SupportedFeature("level", ("v5", "v3", "v2"), frozenset({"v5"}))
    assert not feature.supports("v5")
    assert feature.supports("v3")
    assert feature.supported_values == ("v3", "v2")
    namespace = NamespaceProperties("x86_64", (feature,))
    assert [str(p) for p in namespace.supported()] == [
        "x86_64 :: level :: v3",
        "x86_64 :: level :: v2",
    ]
    assert namespace.feature("level") is feature
    assert namespace.feature("other") is None


INTERFACE_EXAMPLE = """\
[nvidia]
cuda_version_lower_bound = ["12.8", "12.6", "12.0"]
sm_arch = ["90_real", "90_virtual"]

[x86_64]
level = ["v3", "v2", "v1"]
"""


def test_properties_file_example(tmp_path: Path) -> None:
    path = tmp_path / "props.toml"
    path.write_text(INTERFACE_EXAMPLE)
    loaded = load_properties_file(path)
    assert list(loaded) == ["nvidia", "x86_64"]
    assert loaded["nvidia"] == NamespaceProperties.of(
        "nvidia",
        [
            ("cuda_version_lower_bound", ["12.8", "12.6", "12.0"]),
            ("sm_arch", ["90_real", "90_virtual"]),
        ],
    )
    assert loaded["x86_64"].features[0].values == ("v3", "v2", "v1")


def test_feature_order_is_document_order() -> None:
    loaded = parse_properties_toml('[ns]\nz = ["1"]\na = ["2"]\nm = []\n', "test")
    assert [feature.name for feature in loaded["ns"]] == ["z", "a", "m"]
    assert loaded["ns"].features[2].values == ()


def test_empty_table_means_known_but_nothing() -> None:
    assert parse_properties_toml("[blas]\n", "test") == {"blas": NamespaceProperties("blas")}


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("level = ['v3']", "not a [namespace] table"),
        ("[Bad]\nx = ['1']", "namespace 'Bad'"),
        ("[ns]\nbad-feature = ['1']", "feature 'ns.bad-feature'"),
        ("[ns]\nx = 'v3'", "array of strings"),
        ("[ns]\nx = [1, 2]", "array of strings"),
        ("[ns.sub]\nx = ['1']", "array of strings"),
        ("[ns]\nx = ['V3']", "value 'V3'"),
        ("[ns]\nx = ['1', '1']", "twice"),
        ("[ns\nx = 1", "invalid TOML"),
    ],
)
def test_properties_file_errors(text: str, problem: str) -> None:
    with pytest.raises(VariantError) as caught:
        parse_properties_toml(text, "variant-properties-file (/x.toml)")
    message = str(caught.value)
    assert message.startswith("variant-properties-file (/x.toml): ")
    assert problem in message
    assert "\n" not in message


def test_unreadable_properties_file(tmp_path: Path) -> None:
    missing = tmp_path / "missing.toml"
    with pytest.raises(
        VariantError, match=r"^variant-properties-file \(.*missing\.toml\): cannot read"
    ):
        load_properties_file(missing)
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\xff\xfe")
    with pytest.raises(VariantError, match="cannot read"):
        load_properties_file(binary)

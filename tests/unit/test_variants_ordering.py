"""Compatibility and ranking of variant labels (PEP 825 ordering; the properties file)."""

from __future__ import annotations

import pytest

from wheelnext_pip.variants.errors import VariantError
from wheelnext_pip.variants.ordering import (
    VariantRanking,
    describe_unsupported,
    is_compatible,
    label_preference_error,
    prefer_label,
    rank_variants,
    reorder_by_priorities,
    variant_sort_key,
)
from wheelnext_pip.variants.properties import NamespaceProperties, SupportedFeature, VariantProperty


def props(*texts: str) -> frozenset[VariantProperty]:
    return frozenset(VariantProperty.parse(text) for text in texts)


SUPPORTED = {
    "x86_64": NamespaceProperties.of("x86_64", [("level", ["v3", "v2", "v1"])]),
    "blas": NamespaceProperties.of(
        "blas", [("provider", ["openblas", "mkl"]), ("threads", ["omp"])]
    ),
    "gpu": None,
}
ORDER = ("x86_64", "blas", "gpu")


def test_and_across_features_or_across_values() -> None:
    assert is_compatible(props("x86_64 :: level :: v4", "x86_64 :: level :: v2"), SUPPORTED)
    assert not is_compatible(props("x86_64 :: level :: v2", "blas :: provider :: acml"), SUPPORTED)
    assert not is_compatible(props("gpu :: cuda :: 12"), SUPPORTED)
    assert not is_compatible(props("blas :: other :: x"), SUPPORTED)
    assert not is_compatible(props("unknown :: a :: b"), SUPPORTED)
    assert is_compatible(frozenset(), SUPPORTED)


def test_describe_unsupported() -> None:
    text = describe_unsupported(
        props(
            "blas :: provider :: acml",
            "blas :: provider :: essl",
            "gpu :: cuda :: 12",
            "x86_64 :: level :: v1",
        ),
        SUPPORTED,
    )
    assert (
        text == "(`blas :: provider :: acml` or `blas :: provider :: essl`) and `gpu :: cuda :: 12`"
    )
    assert describe_unsupported(props("x86_64 :: level :: v1"), SUPPORTED) == ""


def test_sort_key() -> None:
    key = variant_sort_key(
        "l", props("blas :: provider :: mkl", "x86_64 :: level :: v2"), ORDER, SUPPORTED
    )
    assert key is not None
    assert key[0][:2] == ((0, 0, 1), (1, 0, 1))
    assert key[1] == "l"
    assert variant_sort_key("l", props("gpu :: cuda :: 12"), ORDER, SUPPORTED) is None
    # A namespace the ordering does not know cannot be ranked.
    assert variant_sort_key("l", props("blas :: provider :: mkl"), ("x86_64",), SUPPORTED) is None


def test_ranking_rules() -> None:
    variants = {
        "null": props(),
        "v2": props("x86_64 :: level :: v2"),
        "v3": props("x86_64 :: level :: v3"),
        "v3_mkl": props("x86_64 :: level :: v3", "blas :: provider :: mkl"),
        "v3_openblas": props("x86_64 :: level :: v3", "blas :: provider :: openblas"),
        "b_v3": props("x86_64 :: level :: v3"),
        "openblas": props("blas :: provider :: openblas"),
        "omp": props("blas :: threads :: omp"),
        "cuda": props("gpu :: cuda :: 12"),
    }
    ranking = rank_variants(variants, ORDER, SUPPORTED)
    assert ranking.labels == (
        "v3_openblas",
        "v3_mkl",
        "b_v3",
        "v3",
        "v2",
        "openblas",
        "omp",
        "null",
    )
    assert ranking.incompatible == {"cuda": "`gpu :: cuda :: 12`"}


def test_labels_are_intersected_with_the_metadata() -> None:
    variants = {"null": props(), "v2": props("x86_64 :: level :: v2"), "nowheel": props()}
    ranking = rank_variants(variants, ORDER, SUPPORTED, labels=["v2", "null", "orphan"])
    assert ranking.labels == ("v2", "null")
    assert ranking.incompatible == {"orphan": "not listed in the variant metadata"}


def test_pip_key_component() -> None:
    ranking = VariantRanking(("v3", "v2", "null"), {"bad": "`x :: y :: z`"})
    components = [ranking.pip_key_component(label) for label in ("v3", "v2", "null", None)]
    assert components == [3, 2, 1, 0]
    # The null wheel beats an ordinary wheel whatever the tags: the rank comes before them.
    assert (1, "worse tag") > (0, "best tag")
    assert ranking.pip_key_component("bad") == -1
    assert not ranking.is_eligible("bad")
    assert ranking.is_eligible(None)


def test_prefer_label() -> None:
    ranking = VariantRanking(("v3", "v2", "null"), {"v4": "`x86_64 :: level :: v4`"})
    chosen = prefer_label(ranking, "v2")
    assert chosen.labels == ("v2",)
    assert not chosen.is_eligible("v3")
    assert not chosen.is_eligible("null")
    assert not chosen.is_eligible(None)
    assert chosen.pip_key_component("v2") == 1
    unsupported = prefer_label(ranking, "v4")
    assert unsupported.labels == ()
    error = label_preference_error("numpy", "v4", [unsupported])
    assert isinstance(error, VariantError)
    assert str(error) == (
        "variant-labels (numpy=v4): variant 'v4' is not supported here: `x86_64 :: level :: v4`"
    )
    assert "no wheel with variant label 'v9'" in str(
        label_preference_error("numpy", "v9", [ranking])
    )


def test_legacy_reordering_puts_listed_entries_first() -> None:
    provider = NamespaceProperties.of("x86_64", [("level", ["v4", "v3", "v2", "v1"])])
    reordered = reorder_by_priorities(provider, (), {"level": ["v3", "v2", "v1"]})
    assert reordered.features[0].values == ("v3", "v2", "v1", "v4")
    assert reordered.features[0].placeholders == frozenset()


def test_legacy_reordering_placeholders_hold_positions() -> None:
    provider = NamespaceProperties.of("ns", [("a", ["1", "2"]), ("b", ["x"])])
    reordered = reorder_by_priorities(provider, ["c", "b"], {"a": ["9", "2"], "c": ["5"]})
    assert [feature.name for feature in reordered] == ["c", "b", "a"]
    assert reordered.features[0] == SupportedFeature("c", ("5",), frozenset({"5"}))
    assert reordered.features[2] == SupportedFeature("a", ("9", "2", "1"), frozenset({"9"}))
    supported = {"ns": reordered}
    assert not is_compatible(props("ns :: c :: 5"), supported)
    assert not is_compatible(props("ns :: a :: 9"), supported)
    key = variant_sort_key("l", props("ns :: a :: 2", "ns :: a :: 9"), ["ns"], supported)
    assert key is not None and key[0][0] == (0, 2, 1)


@pytest.mark.parametrize("priorities", [(), ["level"]])
def test_reordering_without_property_priorities_keeps_provider_order(priorities: list[str]) -> None:
    provider = NamespaceProperties.of("x86_64", [("level", ["v3", "v2"])])
    assert reorder_by_priorities(provider, priorities) == provider

"""Variant environment markers (PEP 825): the rewrite of ``Requires-Dist`` strings."""

from __future__ import annotations

import pytest
from packaging.requirements import Requirement

from wheelnext_pip.variants.errors import VariantError
from wheelnext_pip.variants.markers import (
    FALSE_MARKER,
    NON_VARIANT,
    TRUE_MARKER,
    VariantEnvironment,
    mentions_variant_markers,
    rewrite_requirement,
)
from wheelnext_pip.variants.properties import VariantProperty

T, F = TRUE_MARKER, FALSE_MARKER

ENV = VariantEnvironment.of(
    "foobar",
    [VariantProperty("foo", "bar", "baz"), VariantProperty("nvidia", "sm_arch", "90_real")],
)
NULL = VariantEnvironment.of("null", [])


@pytest.mark.parametrize(
    ("requirement", "env", "expected"),
    [
        # The examples of PEP 825.
        ('dep1; variant_label == "foobar"', ENV, f"dep1; {T}"),
        ('dep1; variant_label == "foobar"', NON_VARIANT, f"dep1; {F}"),
        ('dep2; variant_label != "null"', ENV, f"dep2; {T}"),
        ('dep2; variant_label != "null"', NON_VARIANT, f"dep2; {T}"),
        ('dep2; variant_label != "null"', NULL, f"dep2; {F}"),
        ('dep3; variant_label == ""', NON_VARIANT, f"dep3; {T}"),
        ('dep3; variant_label == ""', ENV, f"dep3; {F}"),
        ('dep4; "foo" in variant_namespaces', ENV, f"dep4; {T}"),
        ('dep4; "foo" in variant_namespaces', NON_VARIANT, f"dep4; {F}"),
        ('dep5; "foo :: bar" in variant_features', ENV, f"dep5; {T}"),
        ('dep6; "foo :: bar :: baz" in variant_properties', ENV, f"dep6; {T}"),
        ('dep6; "foo :: bar :: qux" in variant_properties', ENV, f"dep6; {F}"),
        # Whitespace around ``::`` does not matter, nor does the quote character.
        ("dep; 'foo::bar::baz' in variant_properties", ENV, f"dep; {T}"),
        ('dep; "  foo ::bar" in variant_features', ENV, f"dep; {T}"),
        ('dep; "foo" not in variant_namespaces', ENV, f"dep; {F}"),
        ('dep; "gpu" not   in variant_namespaces', ENV, f"dep; {T}"),
        # Either side; String ``in`` is a substring test.
        ('dep; "foobar" == variant_label', ENV, f"dep; {T}"),
        ('dep; "oba" in variant_label', ENV, f"dep; {T}"),
        ('dep; variant_label in "xfoobarx"', ENV, f"dep; {T}"),
        ('dep; variant_label not in "abc"', ENV, f"dep; {T}"),
        # Combined with the standard markers: those are left as written.
        (
            'dep; (variant_label == "foobar" or os_name == "nt") and python_version >= "3"',
            ENV,
            f'dep; ({T} or os_name == "nt") and python_version >= "3"',
        ),
        (
            'dep[x]>=1.0; extra == "gpu" and "nvidia" in variant_namespaces',
            ENV,
            f'dep[x]>=1.0; extra == "gpu" and {T}',
        ),
        # A URL requirement: a ``;`` inside the URL is not the marker's.
        (
            'dep @ https://h/x;y/dep-1.0.tar.gz ; variant_label == ""',
            NON_VARIANT,
            f"dep @ https://h/x;y/dep-1.0.tar.gz ; {T}",
        ),
        # A quoted string that looks like a marker is a string.
        ('dep; os_name == "variant_label"', ENV, 'dep; os_name == "variant_label"'),
        # No variant marker: unchanged.
        ("variant-tools>=1", ENV, "variant-tools>=1"),
        ('dep; os_name == "posix"', ENV, 'dep; os_name == "posix"'),
        ("dep", ENV, "dep"),
    ],
)
def test_rewrite(requirement: str, env: VariantEnvironment, expected: str) -> None:
    rewritten = rewrite_requirement(requirement, env)
    assert rewritten == expected
    Requirement(rewritten)  # what pip then parses


@pytest.mark.parametrize(
    ("requirement", "fragment"),
    [
        ('dep; variant_label >= "a"', "variant_label takes"),
        ('dep; variant_properties == "a :: b :: c"', "is a set"),
        ('dep; variant_namespaces in "foo"', "is a set"),
        ('dep; "foo :: bar" in variant_properties', "namespace :: feature :: value"),
        ('dep; "foo" in variant_features', "namespace :: feature"),
        ("dep; variant_label == os_name", "quoted string"),
        ("dep; variant_label", "not part of a comparison"),
        ('dep; variant_label == "x', "unterminated"),
    ],
)
def test_malformed_use_is_one_clear_error(requirement: str, fragment: str) -> None:
    with pytest.raises(VariantError) as caught:
        rewrite_requirement(requirement, ENV)
    message = str(caught.value)
    assert fragment in message
    assert "\n" not in message


def test_truth_markers_hold_everywhere() -> None:
    from packaging.markers import Marker

    assert Marker(TRUE_MARKER).evaluate({"extra": ""}) is True
    assert Marker(FALSE_MARKER).evaluate({"extra": ""}) is False


def test_cheap_pretest() -> None:
    assert not mentions_variant_markers('dep; os_name == "posix"')
    assert mentions_variant_markers('dep; variant_label == ""')


def test_environment_of_derives_features_and_namespaces() -> None:
    assert ENV.properties == {"foo :: bar :: baz", "nvidia :: sm_arch :: 90_real"}
    assert ENV.features == {"foo :: bar", "nvidia :: sm_arch"}
    assert ENV.namespaces == {"foo", "nvidia"}
    assert NON_VARIANT.label == "" and not NON_VARIANT.properties


def test_the_patch_layers_pre_test_agrees_with_the_rules() -> None:
    """pip's metadata is only handed to the marker rules when a requirement contains the
    prefix of every variant marker name (so that a run meeting none never imports them)."""
    from wheelnext_pip._pip.variant_markers import _MARKER_PREFIX
    from wheelnext_pip.variants.markers import MARKER_NAMES, mentions_variant_markers

    assert all(name.startswith(_MARKER_PREFIX) for name in MARKER_NAMES)
    for text in ('dep; variant_label == "x"', "dep", 'dep; "a" in variant_namespaces'):
        assert mentions_variant_markers(text) == (_MARKER_PREFIX in text)

"""Default extras policy: the placeholder's expansion and ``pkg[]`` detection."""

from __future__ import annotations

import pytest

from wheelnext_pip.extras import PLACEHOLDER, declared_defaults, expand_extras, has_empty_brackets


@pytest.mark.parametrize(
    ("text", "empty"),
    [
        ("pkg[]", True),
        (" pkg [ ] >=1.0", True),
        ("pkg[] @ https://example.org/pkg-1.0-py3-none-any.whl", True),
        ("Pkg.Name_x[]; python_version > '3'", True),
        ("pkg", False),
        ("pkg[rec]", False),
        ("pkg>=1 ; extra == '[]'", False),
        ("pkg @ https://example.org/a[]", False),
    ],
)
def test_empty_brackets(text: str, empty: bool) -> None:
    assert has_empty_brackets(text) is empty


def test_placeholder_is_canonical_and_valid() -> None:
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    assert canonicalize_name(PLACEHOLDER) == PLACEHOLDER
    assert Requirement(f"pkg[{PLACEHOLDER}]").extras == {PLACEHOLDER}


def test_no_placeholder_leaves_extras_alone() -> None:
    expansion = expand_extras({"Alt"}, ["rec"], ["rec", "alt"])
    assert expansion.extras == {"alt"} and expansion.defaults == ()


def test_placeholder_becomes_the_valid_defaults() -> None:
    expansion = expand_extras({PLACEHOLDER}, ["Rec", "rec", "ghost"], ["rec", "alt"])
    assert expansion.extras == {"rec"}
    assert expansion.defaults == ("rec",)
    assert expansion.ignored == ("ghost",)


def test_union_with_named_extras_and_no_defaults() -> None:
    assert expand_extras({PLACEHOLDER, "alt"}, ["rec"], ["rec", "alt"]).extras == {"rec", "alt"}
    assert expand_extras({PLACEHOLDER}, [], ["rec"]).extras == frozenset()


def test_declared_defaults_split_valid_and_ignored() -> None:
    declared = declared_defaults(["Rec", "rec", "ghost", PLACEHOLDER, "Alt"], ["rec", "ALT"])
    assert declared.defaults == ("alt", "rec")
    assert declared.ignored == ("ghost",)
    assert declared_defaults([], ["rec"]).defaults == ()
    assert declared_defaults(["ghost"], []).ignored == ("ghost",)

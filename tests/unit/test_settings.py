"""Settings: parsing, sources, precedence and one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from wheelnext_pip._features import AVAILABLE, FEATURES, parse_switch
from wheelnext_pip._settings import (
    SETTING_KEYS,
    FileEntry,
    IndexGroup,
    env_variable,
    resolve_settings,
)
from wheelnext_pip.errors import SettingsError, WheelnextPipError


@pytest.mark.parametrize("value", [None, "", "0", "off", "OFF", " false "])
def test_switch_off(value: str | None) -> None:
    switch = parse_switch(value)
    assert not switch.on
    assert switch.features == frozenset()


@pytest.mark.parametrize("value", ["1", "on", "True", "ALL", " all "])
def test_switch_all_means_every_available_feature(value: str) -> None:
    switch = parse_switch(value)
    assert switch.on
    assert switch.features == AVAILABLE


def test_switch_feature_list_ignores_case_and_spaces() -> None:
    switch = parse_switch(" Variants , index-groups")
    assert switch.features == {"variants", "index-groups"}


@pytest.mark.parametrize("value", ["yes", "variantz", "variants,,bogus", ",", "2"])
def test_switch_unknown_value_names_valid_values(value: str) -> None:
    with pytest.raises(SettingsError) as caught:
        parse_switch(value)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("WHEELNEXT_PIP (from environment): ")
    assert "unknown value" in message or "is empty" in message
    for name in (*FEATURES, "1", "off"):
        assert name in message


def test_defaults() -> None:
    settings = resolve_settings({"WHEELNEXT_PIP": "1"})
    assert settings.index_groups == (IndexGroup("default", ()),)
    assert settings.index_strategy == "first-match"
    assert settings.index_on_error == "stop"
    assert settings.symlink_fallback == "error"
    assert not settings.no_default_extras
    assert set(settings.sources) == set(SETTING_KEYS)
    assert set(settings.sources.values()) == {"default"}


def test_env_variable_names() -> None:
    assert env_variable("index-groups") == "WHEELNEXT_PIP_INDEX_GROUPS"
    assert env_variable("no-build-isolation-package") == "WHEELNEXT_PIP_NO_BUILD_ISOLATION_PACKAGE"


def test_env_wins_over_files_and_later_files_win() -> None:
    entries = [
        FileEntry("index-strategy", "fallthrough", "/etc/pip.conf"),
        FileEntry("symlink-fallback", "copy", "/etc/pip.conf"),
        FileEntry("symlink-fallback", "error", "/home/u/.config/pip/pip.conf"),
    ]
    settings = resolve_settings(
        {"WHEELNEXT_PIP": "1", "WHEELNEXT_PIP_INDEX_STRATEGY": "First-Match"}, entries
    )
    assert settings.index_strategy == "first-match"
    assert settings.sources["index-strategy"] == "environment variable WHEELNEXT_PIP_INDEX_STRATEGY"
    assert settings.symlink_fallback == "error"
    assert settings.sources["symlink-fallback"] == (
        "config file /home/u/.config/pip/pip.conf [wheelnext] symlink-fallback"
    )


def test_index_groups_parse_with_newlines_and_default_position() -> None:
    text = "\ninternal = https://pypi.corp/simple/ https://mirror.corp/simple\n; torch=https://download.pytorch.org/whl/cu128"
    settings = resolve_settings({"WHEELNEXT_PIP_INDEX_GROUPS": text})
    assert [group.name for group in settings.index_groups] == ["internal", "torch", "default"]
    assert settings.index_groups[0].urls == (
        "https://pypi.corp/simple/",
        "https://mirror.corp/simple",
    )
    listed = resolve_settings(
        {"WHEELNEXT_PIP_INDEX_GROUPS": "default; late = http://127.0.0.1:8/simple"}
    )
    assert [group.name for group in listed.index_groups] == ["default", "late"]


@pytest.mark.parametrize(
    ("key", "value", "problem"),
    [
        ("index-groups", "internal =", "group 'internal' is empty"),
        ("index-groups", "a = http://x/simple; a = http://y/simple", "defined twice"),
        ("index-groups", "a = ftp://x/simple", "is not an http(s) or file URL"),
        ("index-groups", "a = http:///simple", "is not an http(s) or file URL"),
        ("index-groups", "a = http://x:port/simple", "malformed port"),
        ("index-groups", "default = http://x/simple", "takes no URLs"),
        ("index-groups", "bad name = http://x/", "expected NAME = URL"),
        ("index-groups", "a = http://x/s; b = HTTP://X:80/s/", "in both group 'a' and 'b'"),
        ("index-strategy", "newest", "expected one of: first-match, fallthrough"),
        ("index-on-error", "ignore", "expected one of: stop, next"),
        ("index-pins", "torch", "is not of the form project=group"),
        ("index-pins", "torch=default, Torch=default", "named twice"),
        ("variant-labels", "torch=CU 12", "is not a variant label"),
        ("no-default-extras", ":all:, foo", "cannot be combined"),
        ("symlink-fallback", "hardlink", "expected one of: error, copy"),
        ("no-build-isolation-package", "good, -bad-", "is not a valid project name"),
        ("enable-providers", "Nvidia!", "is not a provider namespace"),
        ("variant-properties-file", "/nonexistent/props.toml", "is not a file"),
    ],
)
def test_malformed_values_name_setting_and_source(key: str, value: str, problem: str) -> None:
    with pytest.raises(SettingsError) as caught:
        resolve_settings({env_variable(key): value})
    message = str(caught.value)
    assert message.startswith(f"{key} (from environment variable {env_variable(key)}): ")
    assert problem in message
    assert "\n" not in message
    assert isinstance(caught.value, WheelnextPipError)


def test_malformed_file_value_names_the_file() -> None:
    with pytest.raises(
        SettingsError, match=r"from config file /etc/pip.conf \[wheelnext\] index-on-error"
    ):
        resolve_settings({}, [FileEntry("index-on-error", "maybe", "/etc/pip.conf")])


def test_pin_to_unknown_group() -> None:
    with pytest.raises(
        SettingsError, match="pinned to group 'internal', which index-groups does not define"
    ):
        resolve_settings({"WHEELNEXT_PIP_INDEX_PINS": "torch=internal"})
    settings = resolve_settings(
        {
            "WHEELNEXT_PIP_INDEX_PINS": "Torch = internal",
            "WHEELNEXT_PIP_INDEX_GROUPS": "internal = http://127.0.0.1:1/simple",
        }
    )
    assert dict(settings.index_pins) == {"torch": "internal"}


def test_unknown_variable_suggests_the_right_one() -> None:
    with pytest.raises(SettingsError) as caught:
        resolve_settings({"WHEELNEXT_PIP_INDEX_GROUP": "x = http://h/simple"})
    assert "did you mean WHEELNEXT_PIP_INDEX_GROUPS?" in str(caught.value)


def test_unknown_file_key_suggests_the_right_one() -> None:
    with pytest.raises(
        SettingsError, match=r"wheelnext.symlink-fallbak .*did you mean symlink-fallback\?"
    ):
        resolve_settings({}, [FileEntry("symlink-fallbak", "copy", "/etc/pip.conf")])


def test_event_log_variable_is_not_a_setting() -> None:
    resolve_settings({"WHEELNEXT_PIP_EVENT_LOG": "/tmp/x"})


def test_name_lists_are_canonical(tmp_path: Path) -> None:
    properties = tmp_path / "props.toml"
    properties.write_text("[x86_64]\nlevel = ['v3']\n")
    settings = resolve_settings(
        {
            "WHEELNEXT_PIP_NO_DEFAULT_EXTRAS": "Foo_Bar  baz.qux",
            "WHEELNEXT_PIP_BUILD_ISOLATION_PASSTHROUGH": "Torch,numpy",
            "WHEELNEXT_PIP_VARIANT_LABELS": "torch=cu128",
            "WHEELNEXT_PIP_VARIANT_PROPERTIES_FILE": str(properties),
            "WHEELNEXT_PIP_DISABLE_PROVIDERS": "tpu",
        }
    )
    assert settings.no_default_extras.names == {"foo-bar", "baz-qux"}
    assert "FOO.bar" in settings.no_default_extras
    assert "other" not in settings.no_default_extras
    assert settings.build_isolation_passthrough == {"torch", "numpy"}
    assert dict(settings.variant_labels) == {"torch": "cu128"}
    assert settings.variant_properties_file == str(properties)
    assert settings.disable_providers == {"tpu"}
    everything = resolve_settings({"WHEELNEXT_PIP_NO_DEFAULT_EXTRAS": ":all:"})
    assert "anything" in everything.no_default_extras


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("'https://u:pw@h/simple' x", "'https://u:****@h/simple' x"),
        ("https://token@h/simple", "https://****@h/simple"),
        ("https://u:p@ss@h/s and http://v:q@g/", "https://u:****@h/s and http://v:****@g/"),
        ("https://h/simple/a@b", "https://h/simple/a@b"),
        ("mail me at a@b", "mail me at a@b"),
    ],
)
def test_redact_credentials(text: str, shown: str) -> None:
    from wheelnext_pip.errors import redact_credentials

    assert redact_credentials(text) == shown


@pytest.mark.parametrize(
    ("value", "suggestion"),
    [
        ("index_groups", "index-groups"),
        ("Index_Groups", "index-groups"),
        ("varaints", "variants"),
        ("variants,defaults-extras", "default-extras"),
        ("yes", "1"),
        ("no", "0"),
        ("ture", "true"),
    ],
)
def test_a_wrong_switch_value_suggests_the_valid_one(value: str, suggestion: str) -> None:
    with pytest.raises(SettingsError) as caught:
        parse_switch(value)
    assert f"(did you mean {suggestion}?)" in str(caught.value)


def test_a_switch_value_far_from_any_gets_no_suggestion() -> None:
    with pytest.raises(SettingsError) as caught:
        parse_switch("xyz")
    assert "did you mean" not in str(caught.value)
    assert "unknown value 'xyz'" in str(caught.value)


@pytest.mark.parametrize(
    ("value", "position"),
    [("variants,,symlinks", 2), ("variants,", 2), (",variants", 1), (" , ", 1)],
)
def test_an_empty_switch_item_is_named_as_such(value: str, position: int) -> None:
    with pytest.raises(SettingsError) as caught:
        parse_switch(value)
    assert f"item {position} of {value!r} is empty" in str(caught.value)


@pytest.mark.parametrize(
    ("key", "suggestion"),
    [("index_groups", "index-groups"), ("index-stratgy", "index-strategy")],
)
def test_a_wrong_file_key_suggests_the_valid_one(key: str, suggestion: str) -> None:
    with pytest.raises(SettingsError) as caught:
        resolve_settings({}, [FileEntry(key, "x", "/etc/pip.conf")])
    expected = f"wheelnext.{key} (from /etc/pip.conf): unknown setting"
    assert f"{expected} (did you mean {suggestion}?)" in str(caught.value)


def test_a_variable_far_from_any_setting_gets_no_suggestion() -> None:
    # The shared WHEELNEXT_PIP_ prefix alone never makes a name "close".
    with pytest.raises(SettingsError) as caught:
        resolve_settings({"WHEELNEXT_PIP_FOO": "1"})
    assert "did you mean" not in str(caught.value)


def test_a_wrong_choice_suggests_the_valid_one() -> None:
    with pytest.raises(SettingsError) as caught:
        resolve_settings({"WHEELNEXT_PIP_INDEX_STRATEGY": "first_match"})
    assert "invalid value 'first_match' (did you mean first-match?)" in str(caught.value)


def test_a_close_short_choice_is_suggested_too() -> None:
    with pytest.raises(SettingsError) as caught:
        resolve_settings({"WHEELNEXT_PIP_SYMLINK_FALLBACK": "copies"})
    assert "invalid value 'copies' (did you mean copy?)" in str(caught.value)

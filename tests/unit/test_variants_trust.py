"""The trust policy of provider plugins (PEP 825 providers), with no process started: which
plugin may run, and what its answer may hold."""

from __future__ import annotations

import pytest

from wheelnext_pip.variants.plugins import (
    answer_properties,
    hashes_refusal,
    refusal,
    requirement_names,
)
from wheelnext_pip.variants.properties import NamespaceProperties, SupportedFeature

TRUSTED = frozenset({"Fake_Prov"})


@pytest.mark.parametrize(
    ("requires", "plugin_api", "namespace", "expected"),
    [
        (["fake-prov>=1; python_version >= '3'"], "fake_prov.plugin:Plugin", "fake", None),
        (["fake.prov[extra]"], "fake_prov.plugin", "fake", None),
        (["other"], "other:Plugin", "fake", "other not run: it is not in trust-providers"),
        (["fake-prov", "other"], "p:P", "fake", "other not run: it is not in trust-providers"),
        (["fake-prov @ https://h/f.whl"], "p:P", "fake", "direct URL requirements are refused"),
        (["--index-url=http://evil/"], "p:P", "fake", "invalid requirement"),
        ([], "p:P", "fake", "it declares no package to install"),
        (["fake-prov"], "p:P; import os", "fake", "invalid plugin-api"),
        (["fake-prov"], "p:P", "Fake-NS", "bad name"),
    ],
)
def test_refusal(
    requires: list[str], plugin_api: str, namespace: str, expected: str | None
) -> None:
    why = refusal(requires, plugin_api, namespace, TRUSTED)
    if expected is None:
        assert why is None
    else:
        assert why is not None and expected in why and why.count("\n") == 0


def test_names_and_the_hashes_refusal() -> None:
    assert requirement_names(["Fake_Prov>=1", "b[x]"]) == "fake-prov, b"
    assert requirement_names([]) == "(none)"
    text = hashes_refusal(["Fake_Prov"], "fake")
    assert text.startswith("fake: provider fake-prov not run: --require-hashes")


def test_answer_properties_keeps_what_the_grammar_allows() -> None:
    answer = [
        {"name": "level", "values": ["v3", "v3", "Bad Value", "v2"]},
        {"name": "level", "values": ["v1"]},
        {"name": "Bad-Name", "values": ["x"]},
        {"name": "flags", "values": "avx"},
        "not a feature",
        {"name": "empty", "values": []},
    ]
    properties, warnings = answer_properties(answer, "fake", "fake-prov")
    assert properties == NamespaceProperties(
        "fake", (SupportedFeature("level", ("v3", "v2")), SupportedFeature("empty", ()))
    )
    assert len(warnings) == 5
    assert all(w.startswith("fake: variant provider fake-prov") for w in warnings)
    assert answer_properties({"level": []}, "fake", "p") == (
        None,
        ["fake: variant provider p answered something else than a list; ignored"],
    )

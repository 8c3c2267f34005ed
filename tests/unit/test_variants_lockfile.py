"""The variant tables of lock files (PEP 825 "Lock files"), pure: building the
``[packages.variants-json]`` table, reading it back, and choosing the wheel to install."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from wheelnext_pip.variants.errors import VariantError
from wheelnext_pip.variants.lock import (
    LockedWheel,
    combine_documents,
    merge_wheel_entries,
    metadata_from_table,
    pick_wheel,
    variants_table,
)
from wheelnext_pip.variants.properties import VariantProperty

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python < 3.11
    import tomli as tomllib

SCHEMA = "https://variants-schema.wheelnext.dev/peps/850/v0.2.0.json"
LEGACY = Path(__file__).parent / "data" / "variants" / "torch-2.9.0-variants.json"


def document(variants: dict[str, object], namespaces: list[str] | None = None) -> dict:
    return {
        "$schema": SCHEMA,
        "default-priorities": {"namespace": namespaces or ["nvidia", "x86_64"]},
        "providers": {
            "nvidia": {"requires": ["nvidia-variant-provider"]},
            "x86_64": {"requires": ["x86-64-variant-provider"]},
        },
        "variants": variants,
    }


LABELS = {
    "cu13": {"nvidia": {"cuda_version_lower_bound": ["13.0"]}},
    "cu12": {"nvidia": {"cuda_version_lower_bound": ["12.0"]}},
    "x8664v3": {"x86_64": {"level": ["v3"]}},
    "null": {},
}


def test_the_table_keeps_listed_labels_whole_and_everything_else() -> None:
    table = variants_table(document(LABELS), ["cu12", "null"])
    assert table == document({"cu12": LABELS["cu12"], "null": {}})
    assert next(iter(table)) == "$schema"


def test_the_table_is_a_copy() -> None:
    source = document(LABELS)
    table = variants_table(source, LABELS)
    table["variants"]["cu12"]["nvidia"]["cuda_version_lower_bound"].append("x")  # type: ignore[index]
    assert source == document(LABELS)


def test_a_listed_label_the_metadata_lacks_is_refused() -> None:
    with pytest.raises(VariantError, match="does not list ghost"):
        variants_table(document(LABELS), ["cu12", "ghost"])


def test_a_null_value_cannot_be_written_to_toml() -> None:
    broken = document(LABELS)
    broken["providers"]["nvidia"]["plugin-api"] = None
    with pytest.raises(VariantError, match=r"variants-json\.providers\.nvidia\.plugin-api is null"):
        variants_table(broken, ["cu12"])


def test_a_document_without_variants_is_refused() -> None:
    with pytest.raises(VariantError, match="no variants table"):
        variants_table({"$schema": SCHEMA}, [])


def test_the_table_reads_back_as_the_same_metadata() -> None:
    table = variants_table(document(LABELS), LABELS)
    metadata = metadata_from_table(table, "pylock.toml: gpukit 1.0")
    assert metadata.schema == SCHEMA
    assert metadata.namespace_priorities == ("nvidia", "x86_64")
    assert metadata.properties_of("cu12") == frozenset(
        {VariantProperty("nvidia", "cuda_version_lower_bound", "12.0")}
    )
    assert metadata.properties_of("null") == frozenset()


def test_published_legacy_metadata_survives_the_round_trip_through_toml() -> None:
    """torch 2.9.0's v0.0.3 file, as an index serves it: inlined, written as TOML by a
    plain writer of our own here (JSON strings are TOML basic strings), read back."""
    raw = json.loads(LEGACY.read_text())
    labels = sorted(raw["variants"])[:2]
    table = variants_table(raw, labels)
    text = _toml({"variants-json": table})
    back = tomllib.loads(text)["variants-json"]
    assert back == table
    metadata = metadata_from_table(back, "lock")
    assert set(metadata.variants) == set(labels)


def _toml(data: dict, prefix: str = "") -> str:
    """Enough of a TOML writer for metadata documents (tables, strings, lists, booleans)."""
    scalars, tables = [], []
    for key, value in data.items():
        name = json.dumps(key)
        if isinstance(value, dict):
            tables.append(_toml(value, f"{prefix}{name}."))
        else:
            scalars.append(f"{name} = {json.dumps(value)}")
    header = [f"[{prefix[:-1]}]"] if prefix else []
    return "\n".join([*header, *scalars, "", *tables])


@pytest.mark.parametrize(
    ("table", "problem"),
    [
        ("not a table", "must be a table"),
        ({"variants": {}}, "missing $schema"),
        ({**document(LABELS), "$schema": SCHEMA.replace("v0.2.0", "v3.0.0")}, "major version 3"),
        (document({"cu12": {"NV": {"x": ["1"]}}}), "NV"),
    ],
)
def test_a_malformed_table_names_the_lock_and_the_problem(table: object, problem: str) -> None:
    with pytest.raises(VariantError) as caught:
        metadata_from_table(table, "pylock.toml: gpukit 1.0 [packages.variants-json]")
    assert str(caught.value).startswith("pylock.toml: gpukit 1.0 [packages.variants-json]: ")
    assert problem in str(caught.value)


def test_a_toml_date_is_not_metadata() -> None:
    from datetime import date

    with pytest.raises(VariantError, match="cannot have"):
        metadata_from_table({**document(LABELS), "when": date(2026, 1, 1)}, "lock")


def test_documents_of_one_release_combine() -> None:
    first = document({"cu12": LABELS["cu12"]}, ["nvidia"])
    second = document({"x8664v3": LABELS["x8664v3"], "cu12": LABELS["cu12"]})
    combined = combine_documents([first, second])
    assert combined["variants"] == {"cu12": LABELS["cu12"], "x8664v3": LABELS["x8664v3"]}
    assert combined["default-priorities"] == {"namespace": ["nvidia", "x86_64"]}
    assert combine_documents([first]) == first and combine_documents([first]) is not first
    with pytest.raises(VariantError):
        combine_documents([])


def wheels(*specs: tuple[str | None, int | None]) -> list[LockedWheel]:
    return [LockedWheel(index, label, rank) for index, (label, rank) in enumerate(specs)]


def test_the_best_label_wins_and_its_best_tag() -> None:
    listed = wheels(("cu12", 3), ("cu13", 5), ("cu13", 1), (None, 0), ("null", 0))
    assert pick_wheel(listed, "cu13") == listed[2]
    assert pick_wheel(listed, "null") == listed[4]


def test_without_a_variant_the_best_ordinary_wheel() -> None:
    listed = wheels(("cu12", 0), (None, 4), (None, 2))
    assert pick_wheel(listed, None) == listed[2]


def test_wheels_whose_tags_do_not_fit_are_never_picked() -> None:
    listed = wheels(("cu13", None), (None, 2))
    assert pick_wheel(listed, "cu13") == listed[1]
    assert pick_wheel(wheels(("cu13", None)), "cu13") is None
    assert pick_wheel([], None) is None


def test_pip_s_own_entry_is_kept_and_the_others_are_added_by_name() -> None:
    own = [{"name": "p-1.0-py3-none-any-cu13.whl", "url": "u13", "hashes": {"md5": "pip's"}}]
    more = [
        {"name": "p-1.0-py3-none-any.whl", "url": "u", "hashes": {"sha256": "0"}},
        {"name": "p-1.0-py3-none-any-cu13.whl", "url": "other", "hashes": {"sha256": "1"}},
        {"name": "p-1.0-py3-none-any-cu12.whl", "url": "u12", "hashes": {"sha256": "2"}},
    ]
    merged = merge_wheel_entries(own, more)
    assert [entry["name"] for entry in merged] == [
        "p-1.0-py3-none-any-cu12.whl",
        "p-1.0-py3-none-any-cu13.whl",
        "p-1.0-py3-none-any.whl",
    ]
    assert merged[1] == own[0]

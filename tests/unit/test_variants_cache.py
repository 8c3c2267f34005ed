"""On-disk detection cache: key computation, read and write (each provider asked at most once)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from wheelnext_pip.variants._detection_cache import (
    CACHE_FILENAME,
    detection_cache_key,
    fingerprint_inputs,
    load_detection_cache,
    store_detection_cache,
)
from wheelnext_pip.variants._provider_nvidia import read_nvidia_driver_state
from wheelnext_pip.variants.detect import FORCE_CUDA_DRIVER_VERSION
from wheelnext_pip.variants.properties import NamespaceProperties

RESULTS: dict[str, NamespaceProperties | None] = {
    "x86_64": NamespaceProperties.of("x86_64", [("level", ["v3", "v2", "v1"])]),
    "nvidia": None,
    "aarch64": NamespaceProperties("aarch64"),
}


def inputs(**changes: object) -> dict[str, str]:
    arguments: dict[str, object] = {
        "machine": "x86_64",
        "system": "Linux",
        "environ": {},
        "nvidia_driver": "NVRM version: 570.86",
        "gpus": ["0000:01:00.0"],
        "cpu_flags": ["avx", "sse3"],
    }
    arguments.update(changes)
    return fingerprint_inputs(**arguments)  # type: ignore[arg-type]


def test_key_is_stable_and_order_independent() -> None:
    assert detection_cache_key(inputs()) == detection_cache_key(
        inputs(cpu_flags=["sse3", "avx", "avx"])
    )
    assert detection_cache_key(inputs()) == detection_cache_key(
        dict(reversed(list(inputs().items())))
    )
    assert len(detection_cache_key(inputs())) == 64


@pytest.mark.parametrize(
    "change",
    [
        {"machine": "aarch64"},
        {"system": "Darwin"},
        {"nvidia_driver": "NVRM version: 575.0"},
        {"nvidia_driver": None},
        {"gpus": ["0000:01:00.0", "0000:02:00.0"]},
        {"cpu_flags": ["avx"]},
        {"cpu_flags": None},
        {"environ": {FORCE_CUDA_DRIVER_VERSION: "12.8"}},
    ],
)
def test_each_input_invalidates(change: dict[str, object]) -> None:
    assert detection_cache_key(inputs(**change)) != detection_cache_key(inputs())


def test_round_trip(tmp_path: Path) -> None:
    folder = tmp_path / "cache" / "wheelnext"
    key = detection_cache_key(inputs())
    assert load_detection_cache(folder, key) is None
    assert store_detection_cache(folder, key, RESULTS)
    assert load_detection_cache(folder, key) == RESULTS
    assert load_detection_cache(folder, "other") is None
    assert [p.name for p in folder.iterdir()] == [CACHE_FILENAME]


@pytest.mark.parametrize(
    "content",
    [
        "not json",
        "[]",
        '{"format": 99, "key": "k", "namespaces": {}}',
        '{"format": 1, "key": "k", "namespaces": []}',
        '{"format": 1, "key": "k", "namespaces": {"Bad": null}}',
        '{"format": 1, "key": "k", "namespaces": {"ns": {}}}',
        '{"format": 1, "key": "k", "namespaces": {"ns": [1]}}',
        '{"format": 1, "key": "k", "namespaces": {"ns": [{"feature": "f", "values": ["A/B"]}]}}',
        '{"format": 1, "key": "k", "namespaces": {"ns": [{"feature": "F", "values": []}]}}',
    ],
)
def test_damaged_files_are_misses(tmp_path: Path, content: str) -> None:
    (tmp_path / CACHE_FILENAME).write_text(content)
    assert load_detection_cache(tmp_path, "k") is None


def test_store_failure_is_reported_not_raised(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert not store_detection_cache(blocker / "sub", "k", RESULTS)


def test_store_replaces_other_keys(tmp_path: Path) -> None:
    store_detection_cache(tmp_path, "a", RESULTS)
    store_detection_cache(tmp_path, "b", {"nvidia": None})
    assert load_detection_cache(tmp_path, "a") is None
    assert load_detection_cache(tmp_path, "b") == {"nvidia": None}
    assert json.loads((tmp_path / CACHE_FILENAME).read_text())["key"] == "b"


def test_nvidia_driver_state(tmp_path: Path) -> None:
    assert read_nvidia_driver_state(tmp_path / "missing") == (None, ())
    (tmp_path / "version").write_text(
        "NVRM version: NVIDIA UNIX x86_64 Kernel Module  570.86\nGCC version: 12\n"
    )
    assert read_nvidia_driver_state(tmp_path) == (
        "NVRM version: NVIDIA UNIX x86_64 Kernel Module  570.86",
        (),
    )
    (tmp_path / "gpus" / "0000:02:00.0").mkdir(parents=True)
    (tmp_path / "gpus" / "0000:01:00.0").mkdir()
    assert read_nvidia_driver_state(tmp_path)[1] == ("0000:01:00.0", "0000:02:00.0")


def test_a_cache_nested_thousands_deep_is_a_miss(tmp_path: Path) -> None:
    """Issue 17 item 4: json raises RecursionError on such a file; that is damage too."""
    (tmp_path / CACHE_FILENAME).write_text("[" * 100_000 + "]" * 100_000)
    assert load_detection_cache(tmp_path, "key") is None

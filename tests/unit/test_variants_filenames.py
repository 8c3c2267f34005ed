"""Variant wheel filenames (PEP 825) and ``-variants.json`` names."""

from __future__ import annotations

from pathlib import Path

import pytest

from wheelnext_pip.variants.filenames import (
    InvalidVariantFilename,
    OrdinaryWheel,
    VariantWheelFilename,
    may_be_variant,
    parse_variants_json_filename,
    parse_wheel_filename,
)

DATA = Path(__file__).parent / "data" / "variants"
SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"


@pytest.mark.parametrize(
    "filename",
    [
        "numpy-2.3.2-cp313-cp313t-musllinux_1_2_x86_64.whl",
        "numpy-2.3.2-7-cp313-cp313t-musllinux_1_2_x86_64.whl",
        "numpy-2.3.2.tar.gz",
        "numpy-2.3.2-variants.json",
        "weird.whl",
    ],
)
def test_ordinary_names_are_left_to_pip(filename: str) -> None:
    assert parse_wheel_filename(filename) == OrdinaryWheel(filename)


@pytest.mark.parametrize(
    ("filename", "build", "python", "label"),
    [
        ("numpy-2.3.2-cp313-cp313t-musllinux_1_2_x86_64-x86_64_v3.whl", None, "cp313", "x86_64_v3"),
        (
            "numpy-2.3.2-cp313-cp313t-musllinux_1_2_x86_64-x86_64_v3_openblas.whl",
            None,
            "cp313",
            "x86_64_v3_openblas",
        ),
        (
            "numpy-2.3.2-7-cp313-cp313t-musllinux_1_2_x86_64-x86_64_v3_openblas.whl",
            "7",
            "cp313",
            "x86_64_v3_openblas",
        ),
        ("numpy-2.3.2-cp313-cp313t-musllinux_1_2_x86_64-null.whl", None, "cp313", "null"),
        ("numpy-2.3.2-future99-none-any-null.whl", None, "future99", "null"),
        ("numpy-2.3.2-cp312.cp313-none-any-cpu.v3.whl", None, "cp312.cp313", "cpu.v3"),
        ("pkg-1.0-py3-none-any-" + "a" * 40 + ".whl", None, "py3", "a" * 40),
    ],
)
def test_variant_names(filename: str, build: str | None, python: str, label: str) -> None:
    parsed = parse_wheel_filename(filename)
    assert isinstance(parsed, VariantWheelFilename)
    assert (parsed.build, parsed.python, parsed.label) == (build, python, label)
    assert parsed.name == "numpy" or parsed.name == "pkg"
    assert parsed.is_null == (label == "null")
    stripped = parsed.without_label
    assert stripped.endswith(".whl")
    assert parse_wheel_filename(stripped) == OrdinaryWheel(stripped)
    assert stripped[: -len(".whl")] + f"-{label}.whl" == filename


@pytest.mark.parametrize(
    ("filename", "reason"),
    [
        ("numpy-2.3.2-7-3py-none-any-null.whl", "python tag"),
        ("numpy-2.3.2-py3-none-any-.whl", "empty"),
        ("numpy-2.3.2-py3-none-any-cpu_!v3.whl", "characters"),
        ("numpy-2.3.2-py3-none-any-CUDA.whl", "characters"),
        ("numpy-2.3.2-py3-none-any-cpu_É.whl", "characters"),
        ("a-1-b-py3-none-any-x-y.whl", "8 dash-separated parts"),
        ("numpy-2.3.2-b7-cp313-none-any-null.whl", "build tag"),
    ],
)
def test_invalid_variant_names(filename: str, reason: str) -> None:
    parsed = parse_wheel_filename(filename)
    assert isinstance(parsed, InvalidVariantFilename)
    assert reason in parsed.reason


def _published_labels(lines: list[str]) -> dict[str, int]:
    labels: dict[str, int] = {}
    for line in lines:
        parsed = parse_wheel_filename(line)
        assert not isinstance(parsed, InvalidVariantFilename), line
        if isinstance(parsed, VariantWheelFilename):
            labels[parsed.label] = labels.get(parsed.label, 0) + 1
    return labels


def test_published_six_part_names() -> None:
    lines = (DATA / "published-six-part-wheel-filenames.txt").read_text().split()
    labels = _published_labels(lines)
    assert {"cuda12.6", "cu13", "x8664v4_mkl", "null", "00000000", "xpu", "rocm6.4"} <= set(labels)
    # Old build-tagged releases (numpy-1.13.3-2-..., scikit_learn-1.4.0-1-...) stay ordinary.
    assert isinstance(parse_wheel_filename("numpy-1.13.3-2-cp27-none-win32.whl"), OrdinaryWheel)
    assert sum(labels.values()) == len(lines) - sum(
        isinstance(parse_wheel_filename(line), OrdinaryWheel) for line in lines
    )


def test_every_published_name() -> None:
    folder = SHARED / "published-variant-metadata"
    if not folder.is_dir():
        pytest.skip("shared published data not present")
    lines = [
        line
        for path in sorted(folder.glob("*-wheel-filenames.txt"))
        for line in path.read_text().split()
    ]
    labels = _published_labels(lines)
    assert labels["null"] == 28
    assert labels["cuda12.8"] == 21


def test_variants_json_names() -> None:
    parsed = parse_variants_json_filename("nvidia_cublas-13.0.2.14-variants.json")
    assert parsed is not None
    assert (parsed.name, parsed.version, parsed.canonical_name) == (
        "nvidia_cublas",
        "13.0.2.14",
        "nvidia-cublas",
    )
    assert parsed.matches("NVIDIA.cublas", "13.0.2.14")
    assert parsed.matches("nvidia-cublas", "13.0.2.14.0")
    assert not parsed.matches("nvidia-cublas", "13.0.2.15")
    assert not parsed.matches("nvidia-cufft", "13.0.2.14")
    assert not parsed.matches("nvidia-cublas", "not a version")


@pytest.mark.parametrize(
    "filename",
    [
        "torch-2.9.0.json",
        "variants.json",
        "-2.9.0-variants.json",
        "torch-variants.json",
        "torch-x_y-variants.json",
    ],
)
def test_not_variants_json_names(filename: str) -> None:
    assert parse_variants_json_filename(filename) is None


@pytest.mark.parametrize(
    "filename",
    [
        "pkg-1.0-py3-none-any-x8664v3.whl",
        "pkg-1.0-1-py3-none-any-cu12.whl",
        "pkg-1.0-py3-none-any-.whl",
        "pkg-1.0-py3-none-any-a-b-c.whl",
    ],
)
def test_the_pre_check_never_passes_over_a_variant_or_invalid_name(filename: str) -> None:
    assert may_be_variant(filename)


@pytest.mark.parametrize(
    "filename", ["pkg-1.0-py3-none-any.whl", "pkg-1.0.tar.gz", "a-b-c-d-e-f.tar.gz"]
)
def test_ordinary_names_pass_the_pre_check(filename: str) -> None:
    assert not may_be_variant(filename)
    assert not isinstance(parse_wheel_filename(filename), VariantWheelFilename)

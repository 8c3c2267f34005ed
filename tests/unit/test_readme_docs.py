"""README.md stays true without running pip: the properties-file examples are what the
built-in providers report, and the demo's README tools behave (issue 16 items 2 and 6)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tests._lib.readme import REPO, fenced, section
from wheelnext_pip.variants import detect
from wheelnext_pip.variants._provider_aarch64 import aarch64_properties
from wheelnext_pip.variants._provider_nvidia import cuda_lower_bound_values, sm_arch_values
from wheelnext_pip.variants._provider_tpu import detect_tpu
from wheelnext_pip.variants._provider_x86_64 import x86_64_properties
from wheelnext_pip.variants.properties import (
    NamespaceProperties,
    parse_properties_toml,
    properties_file_notes,
)


def _demo() -> ModuleType:
    name = "wheelnext_demo_script"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, REPO / "scripts" / "demo.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def _examples() -> dict[str, NamespaceProperties]:
    found: dict[str, NamespaceProperties] = {}
    for text in fenced(section("Describing a machine: the variant properties file"), "toml"):
        parsed = parse_properties_toml(text, "README example")
        assert len(parsed) == 1, text  # one namespace per worked example
        found.update(parsed)
    return found


def _values(properties: NamespaceProperties | None, feature: str) -> tuple[str, ...]:
    assert properties is not None
    found = properties.feature(feature)
    assert found is not None, feature
    return found.values


def test_there_is_a_worked_example_per_builtin_namespace() -> None:
    assert set(_examples()) == {"nvidia", "x86_64", "aarch64", "tpu"}


def test_the_nvidia_example_is_what_detection_reports_for_cuda_12_8_and_sm_90() -> None:
    example = _examples()["nvidia"]
    lower = _values(example, "cuda_version_lower_bound")
    assert cuda_lower_bound_values(12, 8)[: len(lower)] == lower
    assert _values(example, "sm_arch") == sm_arch_values(9, 0)
    assert properties_file_notes({"nvidia": example}) == []


def test_the_cpu_and_tpu_examples_are_what_detection_reports() -> None:
    examples = _examples()
    assert examples["x86_64"] == x86_64_properties("x86_64", 3)
    assert examples["aarch64"] == aarch64_properties("aarch64", "8.2a")
    tpu = detect_tpu({detect.FORCE_TPU_PRESENT: "1"}, system="Linux").properties
    assert examples["tpu"] == tpu


def test_a_driver_version_without_an_architecture_gets_one_note() -> None:
    driver_only = parse_properties_toml('[nvidia]\ncuda_version_lower_bound = ["12.8"]\n', "f")
    (note,) = properties_file_notes(driver_only)
    assert "no sm_arch" in note and "will not match" in note
    assert properties_file_notes(parse_properties_toml('[x86_64]\nlevel = ["v1"]\n', "f")) == []


def test_stable_text_numbers_ports_in_order_and_shortens_the_work_folder(
    tmp_path: Path,
) -> None:
    demo = _demo()
    text = (
        f"$ pip --index-url http://127.0.0.1:41301/simple/ x\n"
        f"from http://127.0.0.1:46267/simple/ and http://127.0.0.1:41301/files/a.whl  \n"
        f"Processing {tmp_path}/symlinks/a.whl\n"
    )
    assert demo.stable_text(text, tmp_path) == (
        "$ pip --index-url http://127.0.0.1:8000/simple/ x\n"
        "from http://127.0.0.1:8001/simple/ and http://127.0.0.1:8000/files/a.whl\n"
        "Processing /tmp/wheelnext-demo/symlinks/a.whl"
    )


def test_an_output_block_without_a_marker_is_a_problem() -> None:
    demo = _demo()
    lines = [
        "<!-- demo:doctor -->",
        "```console",
        "$ doctor",
        "ok",
        "```",
        "```console",
        "$ pip config set a b",
        "```",
        "```console",
        "$ typed by hand",
        "made-up output",
        "```",
        "<!-- demo:no-such-scene -->",
        "```console",
        "```",
    ]
    marked, problems = demo.readme_problems(lines)
    assert [block.scene for block in marked] == ["doctor"]
    assert len(problems) == 2
    assert "README.md:9: a console block shows output but has no" in problems[0]
    assert "unknown scene 'no-such-scene'" in problems[1]


@pytest.mark.parametrize("scene", ["doctor", "settings", "properties-file"])
def test_the_readme_marks_the_scenes_of_this_issue(scene: str) -> None:
    assert f"<!-- demo:{scene} -->\n```console\n" in (REPO / "README.md").read_text()


def test_volatile_parts_are_ignored_when_checking() -> None:
    demo = _demo()
    a = "wheelnext-pip 0.1.0\n  python      3.11.7 (/x)\n  pip         26.3 (supported)\n"
    b = "wheelnext-pip 0.2.0\n  python      3.12.1 (/x)\n  pip         25.3 (supported)\n"
    assert demo.comparable(a) == demo.comparable(b)
    assert demo.comparable("x86_64: level = v4, v3 [detected]") == demo.comparable(
        "x86_64: level = v3 [detected]"
    )
    assert demo.comparable("Would install a-1.0") != demo.comparable("Would install a-2.0")

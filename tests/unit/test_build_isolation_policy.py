"""Build isolation policy: passthrough planning, dependency closure, exposure, messages."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from wheelnext_pip.build_isolation import (
    BuildIsolationError,
    InstalledDist,
    cache_key,
    check_target_environment,
    declared_passthrough,
    link_paths,
    message_declared,
    message_fallback,
    message_missing,
    message_no_isolation,
    message_passed,
    plan_passthrough,
    project_name,
    top_level_from_record,
)
from wheelnext_pip.errors import WheelnextPipError


def host(*dists: InstalledDist) -> Mapping[str, InstalledDist]:
    return {dist.key: dist for dist in dists}


BIGDEP = InstalledDist("bigdep", "2.4.0", ("bigdep-core>=1", "numpy; extra == 'np'"))
CORE = InstalledDist("bigdep_core", "1.0", ())
UNRELATED = InstalledDist("unrelated", "1.0", ())
HOST = host(BIGDEP, CORE, UNRELATED)


def plan(requirements: list[str], consented: set[str], installed=HOST):  # type: ignore[no-untyped-def]
    return plan_passthrough(requirements, frozenset(consented), installed.get)


def test_error_type() -> None:
    assert issubclass(BuildIsolationError, WheelnextPipError)


def test_passthrough_with_its_closure() -> None:
    result = plan(["bigdep==2.4.0", "wheel"], {"bigdep"})
    (passed,) = result.passed
    assert passed.name == "bigdep"
    assert [dist.name for dist in passed.dists] == ["bigdep", "bigdep_core"]
    assert result.remaining == ("wheel",)
    assert result.fallbacks == ()
    assert {dist.key for dist in result.exposed} == {"bigdep", "bigdep-core"}


def test_names_are_matched_canonically() -> None:
    result = plan(["BigDep>=2"], {"bigdep"})
    assert [item.name for item in result.passed] == ["bigdep"]
    assert result.remaining == ()


def test_not_consented_is_installed() -> None:
    result = plan(["bigdep==2.4.0"], set())
    assert result.passed == () and result.remaining == ("bigdep==2.4.0",)


def test_version_mismatch_falls_back() -> None:
    result = plan(["bigdep==2.5.0"], {"bigdep"})
    assert result.passed == ()
    (fallback,) = result.fallbacks
    assert fallback.reason == "the installed bigdep 2.4.0 does not satisfy bigdep==2.5.0"
    assert result.remaining == ("bigdep==2.5.0",)


def test_every_specifier_must_hold() -> None:
    result = plan(["bigdep>=2", "bigdep<2.4"], {"bigdep"})
    assert result.passed == ()
    assert "bigdep<2.4" in result.fallbacks[0].reason


def test_not_installed_falls_back() -> None:
    result = plan(["other"], {"other"})
    assert result.fallbacks[0].reason == "it is not installed in the target environment"


def test_url_requirement_falls_back() -> None:
    result = plan(["bigdep @ https://example.org/bigdep-2.4.0.tar.gz"], {"bigdep"})
    assert result.fallbacks[0].reason == "the build asks for it by URL"


def test_incomplete_closure_falls_back() -> None:
    result = plan(["bigdep"], {"bigdep"}, host(BIGDEP))
    assert result.passed == ()
    assert "bigdep-core" in result.fallbacks[0].reason
    assert "not installed" in result.fallbacks[0].reason


def test_unsatisfied_closure_member_falls_back() -> None:
    old_core = InstalledDist("bigdep-core", "0.9", ())
    result = plan(["bigdep"], {"bigdep"}, host(BIGDEP, old_core))
    assert "bigdep-core 0.9 does not satisfy" in result.fallbacks[0].reason


def test_extra_dependencies_join_the_closure() -> None:
    numpy = InstalledDist("numpy", "2.0", ())
    result = plan(["bigdep[np]"], {"bigdep"}, host(BIGDEP, CORE, numpy))
    assert {dist.key for dist in result.exposed} == {"bigdep", "bigdep-core", "numpy"}
    missing = plan(["bigdep[np]"], {"bigdep"}, host(BIGDEP, CORE))
    assert "numpy" in missing.fallbacks[0].reason


def test_markers_of_the_host_dependencies_are_evaluated() -> None:
    dist = InstalledDist("fw", "1.0", ("winonly; sys_platform == 'nonexistent'",))
    result = plan(["fw"], {"fw"}, host(dist))
    assert [item.name for item in result.passed] == ["fw"]


def test_build_requirements_with_false_markers_are_ignored() -> None:
    result = plan(["bigdep==9; python_version < '3'", "bigdep"], {"bigdep"})
    assert [item.name for item in result.passed] == ["bigdep"]
    # pip skips the false-marker line itself; it stays in pip's list
    assert result.remaining == ("bigdep==9; python_version < '3'",)


def test_closure_member_requested_by_the_build_must_match_too() -> None:
    result = plan(["bigdep", "bigdep-core>=2"], {"bigdep"})
    assert result.passed == ()
    assert "bigdep_core 1.0" in result.fallbacks[0].reason
    ok = plan(["bigdep", "bigdep-core>=1"], {"bigdep"})
    assert ok.remaining == ()  # the host's bigdep-core serves the build's request too


def test_unused_consent_is_reported() -> None:
    result = plan(["wheel"], {"bigdep", "torch"})
    assert result.unused == ("bigdep", "torch")


def test_cycles_terminate() -> None:
    first = InstalledDist("a", "1", ("b",))
    second = InstalledDist("b", "1", ("a",))
    result = plan(["a"], {"a"}, host(first, second))
    assert {dist.key for dist in result.exposed} == {"a", "b"}


def test_record_filtering() -> None:
    record = [
        "bigdep/__init__.py",
        "bigdep/__pycache__/__init__.cpython-312.pyc",
        "../../../bin/bigdep",
        "/abs/path",
        "bigdep-2.4.0.dist-info/RECORD",
        "single.py",
    ]
    assert top_level_from_record(record) == (
        "bigdep/__init__.py",
        "bigdep-2.4.0.dist-info/RECORD",
        "single.py",
    )


def test_link_paths_regular_and_namespace_packages() -> None:
    record = [
        "torch/__init__.py",
        "torch/lib/libtorch.so",
        "torch-2.4.0.dist-info/METADATA",
        "torch-2.4.0.dist-info/RECORD",
        "torch.libs/libgomp.so",
        "functorch/__init__.py",
        "nvidia/cudnn/__init__.py",
        "nvidia/cudnn/lib/libcudnn.so",
        "nvidia/shared_file.txt",
        "__pycache__/single.cpython-312.pyc",
        "single.py",
    ]
    assert link_paths(record) == (
        "functorch",
        "nvidia/cudnn",
        "nvidia/shared_file.txt",
        "single.py",
        "torch",
        "torch-2.4.0.dist-info",
        "torch.libs",
    )


def test_declared_passthrough() -> None:
    data = {
        "build-system": {"build_isolation_passthrough": ["Torch", "numpy", 3]},
        "tool": {"wheelnext-pip": {"build-isolation-passthrough": ["torch", "cuda_x"]}},
    }
    assert declared_passthrough(data) == ("torch", "numpy", "cuda-x")
    assert declared_passthrough({"build-system": {"build_isolation_passthrough": "x"}}) == ()
    assert declared_passthrough({}) == ()


def test_project_name() -> None:
    assert project_name({"project": {"name": " Foo_Bar "}}) == "Foo_Bar"
    assert project_name({"project": {"dynamic": ["name"]}}) is None
    assert project_name({}) is None


def test_target_check_is_sorted() -> None:
    found = check_target_environment({"b", "a"}, {("x==1", "x>=2")})
    assert found.missing == ("a", "b")
    assert found.conflicting == (("x==1", "x>=2"),)


def test_messages_are_one_line() -> None:
    messages = [
        message_no_isolation("foo"),
        message_missing("foo", ["bdep>=1", "cython"]),
        message_declared("foo", ["torch"]),
        message_fallback("foo", plan(["bigdep==9"], {"bigdep"}).fallbacks[0]),
        message_passed("foo", plan(["bigdep"], {"bigdep"}).passed[0]),
    ]
    for message in messages:
        assert "\n" not in message
    assert message_no_isolation("foo") == (
        "foo: building without build isolation (no-build-isolation-package)"
    )
    assert "python -m pip install 'bdep>=1' cython" in messages[1]
    assert "WHEELNEXT_PIP_BUILD_ISOLATION_PASSTHROUGH" in messages[2]
    assert messages[4].endswith("with bigdep_core 1.0")


@pytest.mark.parametrize(
    ("first", "second", "same"),
    [
        ((["A"], []), (["a"], []), True),
        ((["a"], []), ([], ["a"]), False),
        ((["a", "b"], []), (["b", "a"], []), True),
        ((["a"], []), (["a"], ["t"]), False),
    ],
)
def test_cache_key(first, second, same) -> None:  # type: ignore[no-untyped-def]
    assert (cache_key(*first) == cache_key(*second)) is same


def test_no_cache_key_without_settings() -> None:
    assert cache_key([], []) is None

"""The patch registry against a stand-in module: all-or-nothing, revertible, idempotent."""

from __future__ import annotations

import sys
import types
from collections.abc import Iterator
from typing import Any, Callable

import pytest

from wheelnext_pip import _state
from wheelnext_pip._pip import registry
from wheelnext_pip._pip.registry import PatchPoint, PatchSet

MODULE = "wnp_fake_pip_internals"


class Finder:
    def find(self, name: str, version: str = "any") -> str:
        return f"found {name} {version}"

    @classmethod
    def create(cls, options: str) -> str:
        return f"created {options}"


def evaluate(link: str) -> str:
    return f"evaluated {link}"


@pytest.fixture(autouse=True)
def fake_module() -> Iterator[types.ModuleType]:
    module = types.ModuleType(MODULE)
    module.Finder = Finder  # type: ignore[attr-defined]
    module.evaluate = evaluate  # type: ignore[attr-defined]
    sys.modules[MODULE] = module
    original_find, original_create = Finder.__dict__["find"], Finder.__dict__["create"]
    yield module
    registry.revert_all()
    _state.reset()
    del sys.modules[MODULE]
    assert Finder.__dict__["find"] is original_find
    assert Finder.__dict__["create"] is original_create


def shout(original: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    return original(*args, **kwargs).upper()


def point(attribute: str, params: tuple[str, ...] = (), **kwargs: Any) -> PatchPoint:
    return PatchPoint("demo", MODULE, attribute, shout, params=params, **kwargs)


def test_applies_methods_classmethods_and_globals(fake_module: types.ModuleType) -> None:
    status = registry.apply_set(
        PatchSet(
            "demo",
            (
                point("Finder.find", ("self", "name")),
                point("Finder.create", ("cls", "options")),
                point("evaluate", ("link",)),
            ),
        )
    )
    assert status.active, status
    assert [p.state for p in status.points] == ["applied"] * 3
    assert Finder().find("torch") == "FOUND TORCH ANY"
    assert Finder.create("x") == "CREATED X"
    assert fake_module.evaluate("l") == "EVALUATED L"
    assert isinstance(Finder.__dict__["create"], classmethod)
    assert registry.applied_keys() == [
        f"demo/{MODULE}:Finder.find",
        f"demo/{MODULE}:Finder.create",
        f"demo/{MODULE}:evaluate",
    ]


def test_never_half_applied_when_a_required_point_is_missing() -> None:
    status = registry.apply_set(
        PatchSet("demo", (point("Finder.find", ("self", "name")), point("Finder.gone")))
    )
    assert not status.active
    assert status.reason == f"{MODULE}:Finder.gone: {MODULE} has no Finder.gone"
    assert Finder().find("a") == "found a any"
    assert registry.applied_keys() == []
    assert [p.state for p in status.points] == ["not applied", "skipped"]


def test_signature_mismatch_is_reported_not_applied() -> None:
    status = registry.apply_set(PatchSet("demo", (point("Finder.find", ("self", "project")),)))
    assert not status.active
    assert "takes (self, name, version), expected (self, project, ...)" in status.reason


def test_optional_points_may_be_skipped() -> None:
    status = registry.apply_set(
        PatchSet("demo", (point("Finder.find"), point("Finder.gone", required=False)))
    )
    assert status.active
    assert Finder().find("a") == "FOUND A ANY"
    assert status.points[1].state == "skipped"


def test_first_fitting_alternative_is_used() -> None:
    status = registry.apply_set(
        PatchSet("demo", ((point("Finder.find_all"), point("Finder.find", ("self", "name"))),))
    )
    assert status.active
    assert status.points[0].key == f"{MODULE}:Finder.find"


def test_structural_check() -> None:
    status = registry.apply_set(
        PatchSet("demo", (point("evaluate", check=lambda owner, function: "returns a 5-tuple"),))
    )
    assert not status.active
    assert status.reason.endswith("returns a 5-tuple")


def test_failure_while_applying_reverts_everything(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real_apply = registry._apply

    def flaky(point: PatchPoint, patch_set: PatchSet, target: Any) -> None:
        calls.append(point.key)
        if len(calls) == 2:
            raise TypeError("read-only attribute")
        real_apply(point, patch_set, target)

    monkeypatch.setattr(registry, "_apply", flaky)
    status = registry.apply_set(PatchSet("demo", (point("Finder.find"), point("evaluate"))))
    assert not status.active
    assert "TypeError: read-only attribute" in status.reason
    assert Finder().find("a") == "found a any"
    assert [p.state for p in status.points] == ["reverted", "failed"]


def test_idempotent_and_revertible(fake_module: types.ModuleType) -> None:
    patch_set = PatchSet("demo", (point("evaluate"),))
    registry.apply_set(patch_set)
    wrapped = fake_module.evaluate
    _state.STATE.patch_sets.clear()  # as if activation ran a second time
    registry.apply_set(patch_set)
    assert fake_module.evaluate is wrapped
    assert fake_module.evaluate("x") == "EVALUATED X"
    registry.revert_all()
    assert fake_module.evaluate is evaluate


def test_hook_errors_fall_back_to_pip_for_the_rest_of_the_run(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(original: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        try:
            raise KeyError("boom")
        except Exception as exc:
            registry.hook_failed("demo", exc)
        return original(*args, **kwargs)

    registry.apply_set(PatchSet("demo", (PatchPoint("demo", MODULE, "evaluate", broken),)))
    module = sys.modules[MODULE]
    assert module.evaluate("a") == "evaluated a"
    assert module.evaluate("b") == "evaluated b"
    warnings = [r for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1
    assert (
        "internal error in demo (KeyError: 'boom'); pip continues without it" in warnings[0].message
    )
    assert not _state.STATE.is_live("demo")


def test_pip_errors_propagate_untouched() -> None:
    def raising(link: str) -> str:
        raise ValueError(f"pip says no to {link}")

    sys.modules[MODULE].evaluate = raising  # type: ignore[attr-defined]
    registry.apply_set(PatchSet("demo", (point("evaluate"),)))
    with pytest.raises(ValueError, match="pip says no to x"):
        sys.modules[MODULE].evaluate("x")


def test_two_sets_may_wrap_the_same_function(fake_module: types.ModuleType) -> None:
    """Features stack on a shared point; each sees the other's result; revert restores all."""

    def exclaim(original: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        return original(*args, **kwargs) + "!"

    first = registry.apply_set(PatchSet("demo", (point("Finder.find", ("self", "name")),)))
    second = registry.apply_set(
        PatchSet("other", (PatchPoint("other", MODULE, "Finder.find", exclaim),))
    )
    assert first.active and second.active
    assert Finder().find("x") == "FOUND X ANY!"
    assert registry.original_of("demo", f"{MODULE}:Finder.find") is not None
    assert registry.applied_keys() == [f"demo/{MODULE}:Finder.find", f"other/{MODULE}:Finder.find"]


def test_argument_helpers() -> None:
    args, kwargs = (1, 2), {"c": 3}
    assert registry.argument(args, kwargs, 1, "b") == 2
    assert registry.argument(args, kwargs, 2, "c") == 3
    assert registry.argument(args, kwargs, 3, "d", None) is None
    with pytest.raises(TypeError):
        registry.argument(args, kwargs, 3, "d")
    assert registry.with_argument(args, kwargs, 0, "a", 9) == ((9, 2), {"c": 3})
    assert registry.with_argument(args, kwargs, 2, "c", 9) == ((1, 2), {"c": 9})


# -- the hook contract: before, after, around; the registry applies the failure rule ------


class Counter:
    """Records the calls of pip's function."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []


@pytest.fixture
def counted(fake_module: types.ModuleType) -> Counter:
    """A fresh class in the stand-in module, with pip's function counting its calls."""
    counter = Counter()

    class Searcher:
        def find(self, name: str, version: str = "any") -> str:
            counter.calls.append((name, version))
            return f"found {name} {version}"

    fake_module.Searcher = Searcher  # type: ignore[attr-defined]
    return counter


def Searcher() -> Any:
    return sys.modules[MODULE].Searcher()


def contract_point(kind: str, hook: Callable[..., Any], patch_set: str = "demo") -> PatchPoint:
    return PatchPoint(
        patch_set, MODULE, "Searcher.find", hook, params=("self", "name", "version"), kind=kind
    )


def test_call_binds_arguments_by_name_wherever_pip_passed_them(counted: Counter) -> None:
    seen: list[tuple[str, str]] = []

    def before(call: registry.Call) -> None:
        seen.append((call["name"], call["version"]))
        call["version"] = call["version"] + "+ours"

    registry.apply_set(PatchSet("demo", (contract_point("before", before),)))
    assert Searcher().find("a") == "found a any+ours"  # default, replaced as a keyword
    assert Searcher().find("b", "1") == "found b 1+ours"  # by position
    assert Searcher().find(name="c", version="2") == "found c 2+ours"  # by keyword
    assert seen == [("a", "any"), ("b", "1"), ("c", "2")]


def test_after_and_around(counted: Counter) -> None:
    def after(call: registry.Call, result: str) -> str:
        return f"{result} for {call['name']}"

    def around(call: registry.Call, proceed: Callable[[], str]) -> str:
        call["name"] = call["name"].upper()
        return "<" + proceed() + ">"

    registry.apply_set(PatchSet("demo", (contract_point("after", after),)))
    registry.apply_set(PatchSet("other", (contract_point("around", around, "other"),)))
    assert Searcher().find("x") == "<found X any for X>"
    assert counted.calls == [("X", "any")]


@pytest.mark.parametrize("kind", ["before", "after", "around-before", "around-after"])
def test_a_failing_hook_of_a_fail_open_set_leaves_pip_as_it_was(
    kind: str, counted: Counter, caplog: pytest.LogCaptureFixture
) -> None:
    def before(call: registry.Call) -> None:
        call["name"] = "changed"
        raise KeyError("boom")

    def after(call: registry.Call, result: str) -> str:
        raise KeyError("boom")

    def around(call: registry.Call, proceed: Callable[[], str]) -> str:
        call["name"] = "changed"
        if kind == "around-after":
            proceed()
        raise KeyError("boom")

    hook: Callable[..., Any] = {"before": before, "after": after}.get(kind, around)
    registry.apply_set(PatchSet("demo", (contract_point(kind.split("-")[0], hook),)))
    expected = "found changed any" if kind == "around-after" else "found a any"
    assert Searcher().find("a") == expected
    assert len(counted.calls) == 1  # pip's function ran exactly once
    assert Searcher().find("b") == "found b any"  # the set is off for the rest of the run
    assert not _state.STATE.is_live("demo")
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert warnings == [
        "wheelnext-pip: internal error in demo (KeyError: 'boom'); pip continues without it"
    ]


@pytest.mark.parametrize("kind", ["before", "after", "around"])
def test_a_failing_hook_of_a_fail_closed_set_stops_pip(kind: str, counted: Counter) -> None:
    from pip._internal.exceptions import InstallationError

    def before(call: registry.Call) -> None:
        raise KeyError("boom")

    def after(call: registry.Call, result: str) -> str:
        raise KeyError("boom")

    def around(call: registry.Call, proceed: Callable[[], str]) -> str:
        raise KeyError("boom")

    hook: Callable[..., Any] = {"before": before, "after": after, "around": around}[kind]
    closed = PatchSet("demo", (contract_point(kind, hook),), fail_closed=True, risk="risk it")
    registry.apply_set(closed)
    with pytest.raises(InstallationError) as raised:
        Searcher().find("a")
    assert str(raised.value) == (
        "wheelnext-pip: internal error in demo (KeyError: 'boom'); stopping rather than risk it"
    )
    assert _state.STATE.is_live("demo")


def test_a_set_may_stop_on_internal_errors_and_yet_be_optional(counted: Counter) -> None:
    """``hooks_fail_closed``: an internal error stops pip, a set that cannot be applied
    does not (stock pip is safe without it)."""
    from pip._internal.exceptions import InstallationError

    def after(call: registry.Call, result: str) -> str:
        raise KeyError("boom")

    closed = PatchSet(
        "demo", (contract_point("after", after),), hooks_fail_closed=True, risk="risk it"
    )
    assert closed.stops_on_internal_error and not closed.fail_closed
    assert PatchSet("x", (), fail_closed=True).stops_on_internal_error
    assert not PatchSet("x", (), fail_closed=True, hooks_fail_closed=False).stops_on_internal_error
    registry.apply_set(closed)
    with pytest.raises(InstallationError, match="stopping rather than risk it"):
        Searcher().find("a")
    assert len(counted.calls) == 1


def test_our_errors_become_one_pip_error_and_pip_errors_pass(counted: Counter) -> None:
    from pip._internal.exceptions import InstallationError, InvalidWheel

    from wheelnext_pip.errors import WheelnextPipError

    def before(call: registry.Call) -> None:
        if call["name"] == "ours":
            raise WheelnextPipError("no such thing")
        raise InvalidWheel("x.whl", "x")

    registry.apply_set(
        PatchSet("demo", (contract_point("before", before),), error_prefix="wheelnext-pip: ")
    )
    with pytest.raises(InstallationError, match=r"^wheelnext-pip: no such thing$"):
        Searcher().find("ours")
    with pytest.raises(InvalidWheel):
        Searcher().find("pips")
    assert counted.calls == []
    assert _state.STATE.is_live("demo")


def test_pip_errors_of_pip_s_function_reach_the_caller_through_every_form(
    fake_module: types.ModuleType,
) -> None:
    class Searcher:
        def find(self, name: str, version: str = "any") -> str:
            raise ValueError(f"pip says no to {name}")

    fake_module.Searcher = Searcher  # type: ignore[attr-defined]

    def around(call: registry.Call, proceed: Callable[[], str]) -> str:
        return proceed()

    def passthrough(call: registry.Call, proceed: Callable[[], str]) -> str:
        try:
            return proceed()
        except ValueError as exc:
            raise registry.Passthrough("again") from exc

    registry.apply_set(PatchSet("demo", (contract_point("around", around),)))
    with pytest.raises(ValueError, match="pip says no to a"):
        Searcher().find("a")
    registry.revert_all()
    _state.reset()
    registry.apply_set(PatchSet("demo", (contract_point("around", passthrough),)))
    with pytest.raises(registry.Passthrough):
        Searcher().find("a")
    assert _state.STATE.is_live("demo")


def test_symlinks_pip_tools_and_variant_wheels_hooks_follow_the_contract() -> None:
    """No raw hook is left in these patch modules; symlinks stops pip on an internal error
    of a hook, and only warns when it cannot be applied (stock pip refuses its wheels)."""
    from wheelnext_pip._pip import piptools, symlinks, variant_wheels

    sets = (
        symlinks.SYMLINKS,
        piptools.START,
        piptools.OUTPUT,
        piptools.KEEP_PLUGIN,
        piptools.VARIANT_HASHES,
        piptools.HASH_SOURCES,
    )
    points = [*variant_wheels.POINTS]
    for patch_set in sets:
        for entry in patch_set.entries:
            points.extend(entry if isinstance(entry, tuple) else (entry,))
    assert [point.ident for point in points if point.kind == "raw"] == []
    assert symlinks.SYMLINKS.stops_on_internal_error
    assert not symlinks.SYMLINKS.fail_closed


def test_a_set_applied_on_import_waits_for_its_module(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A set tied to a module pip imports late is applied when that import happens; if it
    cannot be applied then, one warning says why (a fail-open set) and nothing is patched."""
    import functools

    from wheelnext_pip import _imphook
    from wheelnext_pip._pip import session

    (tmp_path / "wnp_late_module.py").write_text("def install(name):\n    return 'ok ' + name\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    late = PatchSet(
        "late",
        (PatchPoint("late", "wnp_late_module", "install", shout, params=("name",)),),
        applied_on_import="wnp_late_module",
    )
    broken = PatchSet(
        "broken",
        (PatchPoint("broken", "wnp_late_module", "missing", shout),),
        applied_on_import="wnp_late_module",
    )
    for patch_set in (late, broken):
        _imphook.when_imported(
            "wnp_late_module", functools.partial(session._apply_when_imported, patch_set)
        )
    assert "late" not in _state.STATE.patch_sets
    try:
        with caplog.at_level("WARNING", logger="wheelnext_pip"):
            import wnp_late_module  # type: ignore[import-not-found]

        assert wnp_late_module.install("x") == "OK X"
        assert _state.STATE.patch_sets["late"].active
        assert not _state.STATE.patch_sets["broken"].active
        assert [r.getMessage() for r in caplog.records] == [
            f"wheelnext-pip: broken cannot be applied to pip {session.compat.pip_version_text()}"
            f" ({_state.STATE.patch_sets['broken'].reason})"
        ]
    finally:
        _imphook.remove_finder()
        registry.revert_all()
        sys.modules.pop("wnp_late_module", None)


# -- a set that contains its internal errors: on, call by call, with the point's fallback --


@pytest.mark.parametrize("kind", ["before", "after", "around-before", "around-after"])
def test_a_contained_failure_keeps_the_set_on_and_answers_with_the_fallback(
    kind: str, counted: Counter
) -> None:
    reported: list[tuple[str, str, str]] = []

    def contain(point: PatchPoint, call: registry.Call, exc: BaseException) -> None:
        reported.append((point.attribute, call["name"], str(exc)))

    def before(call: registry.Call) -> None:
        if call["name"] == "bad":
            call["name"] = "changed"
            raise KeyError("boom")

    def after(call: registry.Call, result: str) -> str:
        if call["name"] == "bad":
            raise KeyError("boom")
        return result + "!"

    def around(call: registry.Call, proceed: Callable[[], str]) -> str:
        if call["name"] != "bad":
            return proceed() + "!"
        if kind == "around-after":
            proceed()
        raise KeyError("boom")

    fallbacks: dict[str, Callable[..., Any]] = {
        "before": lambda call: call.__setitem__("name", "safe"),
        "after": lambda call, result: "safe",
        "around": lambda call, proceed: f"safe ({proceed.called})",
    }
    form = kind.split("-")[0]
    hook: Callable[..., Any] = {"before": before, "after": after}.get(form, around)
    point = PatchPoint(
        "demo", MODULE, "Searcher.find", hook, params=("self", "name"), kind=form,
        fallback=fallbacks[form],
    )  # fmt: skip
    registry.apply_set(PatchSet("demo", (point,), contain=contain))
    expected = {
        "before": "found safe any",  # the fallback's arguments, from pip's own
        "after": "safe",
        "around-before": "safe (False)",
        "around-after": "safe (True)",
    }[kind]
    assert Searcher().find("bad") == expected
    assert len(counted.calls) == (0 if kind == "around-before" else 1)  # at most once
    assert reported == [("Searcher.find", "changed" if form == "before" else "bad", "'boom'")]
    assert _state.STATE.is_live("demo")  # the set stays on: the next call is hooked again
    assert Searcher().find("good").endswith("!") or form == "before"
    assert _state.STATE.failed == set()


def test_a_contained_failure_without_a_fallback_gets_pips_answer(counted: Counter) -> None:
    def after(call: registry.Call, result: str) -> str:
        raise KeyError("boom")

    reported: list[BaseException] = []
    registry.apply_set(
        PatchSet(
            "demo",
            (contract_point("after", after),),
            contain=lambda point, call, exc: reported.append(exc),
        )
    )
    assert Searcher().find("a") == "found a any"
    assert Searcher().find("b") == "found b any"
    assert len(reported) == 2 and _state.STATE.is_live("demo")


def test_a_failing_fallback_or_report_stops_pip_and_our_errors_stay_ours(
    counted: Counter,
) -> None:
    from pip._internal.exceptions import InstallationError, InvalidWheel

    from wheelnext_pip.errors import WheelnextPipError

    def after(call: registry.Call, result: str) -> str:
        if call["name"] == "ours":
            raise WheelnextPipError("refused")
        raise KeyError("boom")

    def fallback(call: registry.Call, result: str) -> str:
        if call["name"] == "pips":
            raise InvalidWheel("x.whl", "x")
        raise ValueError("worse")

    point = PatchPoint(
        "demo", MODULE, "Searcher.find", after, params=("self", "name"), kind="after",
        fallback=fallback,
    )  # fmt: skip
    registry.apply_set(
        PatchSet("demo", (point,), contain=lambda *_: None, error_prefix="wheelnext-pip: ")
    )
    with pytest.raises(InstallationError, match=r"^wheelnext-pip: refused$"):
        Searcher().find("ours")  # our error: pip's error, no fallback
    with pytest.raises(InvalidWheel):
        Searcher().find("pips")  # the fallback may answer with pip's error
    with pytest.raises(InstallationError, match=r"internal error in demo \(ValueError: worse\)"):
        Searcher().find("other")

    registry.revert_all()
    _state.reset()

    def broken_report(point: PatchPoint, call: registry.Call, exc: BaseException) -> None:
        raise RuntimeError("cannot say it")

    registry.apply_set(PatchSet("demo", (contract_point("after", after),), contain=broken_report))
    with pytest.raises(InstallationError, match="RuntimeError: cannot say it"):
        Searcher().find("a")


def test_a_fail_closed_set_stops_pip_even_with_contain(counted: Counter) -> None:
    from pip._internal.exceptions import InstallationError

    def after(call: registry.Call, result: str) -> str:
        raise KeyError("boom")

    registry.apply_set(
        PatchSet(
            "demo", (contract_point("after", after),), fail_closed=True, contain=lambda *_: None
        )
    )
    with pytest.raises(InstallationError, match="stopping rather than"):
        Searcher().find("a")


def test_the_variants_hooks_follow_the_contract_and_contain_internal_errors() -> None:
    """No raw hook is left in the variant selection; the set never turns itself off on an
    internal error, and the hooks whose pip answer would let a variant wheel through answer
    without it."""
    from wheelnext_pip._pip import variants

    points = [
        point
        for entry in variants.VARIANTS.entries
        for point in (entry if isinstance(entry, tuple) else (entry,))
    ]
    assert [point.ident for point in points if point.kind == "raw"] == []
    assert variants.VARIANTS.contain is not None
    assert not variants.VARIANTS.stops_on_internal_error
    with_fallback = {point.attribute for point in points if point.fallback is not None}
    assert {
        "CandidateEvaluator.get_applicable_candidates",
        "Factory._make_candidate_from_link",
        "Factory._fail_if_link_is_unsupported_wheel",
        "_InstallRequirementBackedCandidate._check_metadata_consistency",
        "RequirementPreparer.prepare_linked_requirements_more",
    } == with_fallback

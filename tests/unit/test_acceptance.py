"""Features meet through acceptance.may_take: a registered check counts only while its
feature's patch set is live, and the caller never needs to know which features answer."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from wheelnext_pip import _state
from wheelnext_pip._pip import acceptance
from wheelnext_pip._state import PatchSetStatus


@pytest.fixture(autouse=True)
def clean_state() -> Iterator[None]:
    saved = dict(acceptance._CHECKS)
    acceptance._CHECKS.clear()
    _state.reset()
    yield
    acceptance._CHECKS.clear()
    acceptance._CHECKS.update(saved)
    _state.reset()


def live(*features: str) -> None:
    for feature in features:
        _state.STATE.patch_sets[feature] = PatchSetStatus(feature, active=True)


def test_no_check_takes_everything() -> None:
    assert acceptance.may_take("any candidate")


def test_a_check_counts_only_while_its_feature_is_live() -> None:
    asked: list[str] = []

    def refuse_odd(candidate: str) -> bool:
        asked.append(candidate)
        return not candidate.endswith("1")

    acceptance.register("variants", refuse_odd)
    assert acceptance.may_take("c1")  # variants not applied: not asked
    assert asked == []
    live("variants")
    assert not acceptance.may_take("c1")
    assert acceptance.may_take("c2")
    assert asked == ["c1", "c2"]
    _state.STATE.failed.add("variants")  # a failed set is stock pip again
    assert acceptance.may_take("c1")


def test_every_live_feature_must_take_it() -> None:
    acceptance.register("variants", lambda candidate: True)
    acceptance.register("other", lambda candidate: candidate != "x")
    live("variants", "other")
    assert acceptance.may_take("y")
    assert not acceptance.may_take("x")
    acceptance.register("other", lambda candidate: True)  # registering again replaces
    assert acceptance.may_take("x")

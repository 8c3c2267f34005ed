"""``wheelnext_pip._record``: the records of the modules every pip run imports behave as the
dataclasses they replace (held side by side with a dataclass twin)."""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

import pytest

from wheelnext_pip._record import FrozenRecordError, field, record


@record(frozen=True)
class Point:
    x: int
    y: int = 0
    tags: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class PointTwin:
    x: int
    y: int = 0
    tags: tuple[str, ...] = ()


@record
class Journal:
    name: str
    lines: list[str] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)
    count: int = 0


@dataclasses.dataclass
class JournalTwin:
    name: str
    lines: list[str] = dataclasses.field(default_factory=list)
    seen: set[str] = dataclasses.field(default_factory=set)
    count: int = 0


@record
class WithPostInit:
    values: list[int]
    total: int = 0

    def __post_init__(self) -> None:
        self.total = sum(self.values)


CALLS: list[tuple[tuple[Any, ...], dict[str, Any]]] = [
    ((1,), {}),
    ((1, 2), {}),
    ((), {"x": 1, "tags": ("a",)}),
    ((1,), {"y": 5}),
]


@pytest.mark.parametrize(("args", "kwargs"), CALLS)
def test_a_frozen_record_is_built_compared_and_shown_as_its_dataclass_twin(
    args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    ours, twin = Point(*args, **kwargs), PointTwin(*args, **kwargs)
    assert (ours.x, ours.y, ours.tags) == (twin.x, twin.y, twin.tags)
    assert repr(ours).replace("Point(", "PointTwin(") == repr(twin)
    assert ours == Point(*args, **kwargs)
    assert hash(ours) == hash(Point(*args, **kwargs))
    assert {ours, Point(*args, **kwargs)} == {ours}


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        ((), {}),  # missing x
        ((1, 2, (), 4), {}),  # too many
        ((1,), {"x": 2}),  # x twice
        ((1,), {"z": 3}),  # unknown
    ],
)
def test_a_wrong_call_raises_type_error_as_the_dataclass_does(
    args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    with pytest.raises(TypeError):
        PointTwin(*args, **kwargs)
    with pytest.raises(TypeError):
        Point(*args, **kwargs)


def test_a_frozen_record_refuses_assignment_and_deletion() -> None:
    point = Point(1)
    with pytest.raises(FrozenRecordError, match="frozen Point"):
        point.x = 2  # type: ignore[misc]
    with pytest.raises(AttributeError):
        del point.y  # type: ignore[misc]
    assert point == Point(1)


def test_records_of_other_classes_or_values_are_not_equal() -> None:
    assert Point(1) != Point(2)
    assert Point(1) != PointTwin(1)
    assert Point(1) != (1, 0, ())


def test_a_mutable_record_makes_each_default_anew_and_is_not_hashable() -> None:
    first, second = Journal("a"), Journal("a")
    first.lines.append("x")
    first.count += 1
    assert second.lines == [] and second.seen == set()
    assert first != second
    assert repr(first) == repr(JournalTwin("a", ["x"], set(), 1)).replace("JournalTwin", "Journal")
    with pytest.raises(TypeError):
        hash(first)


def test_post_init_runs_after_the_fields_are_set() -> None:
    assert WithPostInit([1, 2, 3]).total == 6


def test_a_field_without_default_may_not_follow_one_with() -> None:
    with pytest.raises(TypeError, match="'b' without a default"):

        @record
        class Broken:
            a: int = 0
            b: int


def test_class_variables_and_methods_are_kept() -> None:
    @record(frozen=True)
    class Named:
        kind: ClassVar[str] = "project"
        name: str

        @property
        def shout(self) -> str:
            return self.name.upper()

    assert Named("pip").shout == "PIP"
    assert Named("pip").kind == "project"
    assert repr(Named("pip")).endswith("Named(name='pip')")
    assert Named.__init__.__qualname__.endswith("Named.__init__")

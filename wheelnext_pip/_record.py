"""Records for the modules every pip run imports, without the cost of ``dataclasses``.

``@dataclass`` compiles the methods it generates when the class is created: 0.2 to 0.4 ms
per class on CPython 3.11, several milliseconds for the records of the patch layer, the
settings and the run state that every ``pip install`` with the feature on imports, whether
or not anything it meets uses WheelNext metadata. :func:`record` gives the
same class (``__init__`` by position or keyword, defaults, ``field(default_factory=...)``,
``__post_init__``, ``__repr__``, ``__eq__``, and for ``frozen=True`` ``__hash__`` and
immutability) from the class's annotations, compiling nothing. The modules that only
WheelNext metadata needs keep ``dataclasses``.

Standard library only, and only what ``dataclasses`` would have imported anyway.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, TypeVar, overload

__all__ = ["FrozenRecordError", "field", "record"]

_T = TypeVar("_T")
_Class = TypeVar("_Class", bound=type)


class FrozenRecordError(AttributeError):
    """Raised on assigning to or deleting a field of a frozen record (as
    ``dataclasses.FrozenInstanceError`` is)."""


class _Factory:
    __slots__ = ("make",)

    def __init__(self, make: Callable[[], Any]) -> None:
        self.make = make


def field(*, default_factory: Callable[[], _T]) -> _T:
    """A field whose default is made anew for each record (a list, a set, a dict)."""
    return _Factory(default_factory)  # type: ignore[return-value]


_MISSING = object()


def _build(cls: _Class, frozen: bool) -> _Class:
    annotations: dict[str, Any] = vars(cls).get("__annotations__", {})
    names: list[str] = []
    defaults: dict[str, Any] = {}
    factories: dict[str, Callable[[], Any]] = {}
    for name, annotation in annotations.items():
        if isinstance(annotation, str) and annotation.startswith(("ClassVar", "typing.ClassVar")):
            continue
        value = vars(cls).get(name, _MISSING)
        if isinstance(value, _Factory):
            factories[name] = value.make
            delattr(cls, name)
        elif value is not _MISSING:
            defaults[name] = value
        elif defaults or factories:
            raise TypeError(f"{cls.__name__}: field {name!r} without a default follows one with")
        names.append(name)
    fields = tuple(names)
    count = len(fields)
    set_field = object.__setattr__
    class_name = cls.__name__
    post_init = getattr(cls, "__post_init__", None)

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        if len(args) > count:
            raise TypeError(
                f"{class_name}() takes {count} positional arguments but {len(args)} were given"
            )
        for index, name in enumerate(fields):
            if index < len(args):
                if name in kwargs:
                    raise TypeError(f"{class_name}() got multiple values for argument {name!r}")
                value = args[index]
            elif name in kwargs:
                value = kwargs.pop(name)
            elif name in defaults:
                value = defaults[name]
            elif name in factories:
                value = factories[name]()
            else:
                raise TypeError(f"{class_name}() missing required argument: {name!r}")
            set_field(self, name, value)
        if kwargs:
            unexpected = next(iter(kwargs))
            raise TypeError(f"{class_name}() got an unexpected keyword argument {unexpected!r}")
        if post_init is not None:
            post_init(self)

    def __repr__(self: Any) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in fields)
        return f"{type(self).__qualname__}({shown})"

    def __eq__(self: Any, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return all(getattr(self, name) == getattr(other, name) for name in fields)

    cls.__init__ = __init__  # type: ignore[misc]
    cls.__repr__ = __repr__  # type: ignore[assignment,method-assign]
    cls.__eq__ = __eq__  # type: ignore[assignment,method-assign]
    cls.__record_fields__ = fields  # type: ignore[attr-defined]
    if frozen:

        def __hash__(self: Any) -> int:
            return hash(tuple(getattr(self, name) for name in fields))

        def __setattr__(self: Any, name: str, value: Any) -> None:
            raise FrozenRecordError(f"cannot assign to field {name!r} of a frozen {class_name}")

        def __delattr__(self: Any, name: str) -> None:
            raise FrozenRecordError(f"cannot delete field {name!r} of a frozen {class_name}")

        cls.__hash__ = __hash__  # type: ignore[assignment,method-assign]
        cls.__setattr__ = __setattr__  # type: ignore[assignment,method-assign]
        cls.__delattr__ = __delattr__  # type: ignore[assignment,method-assign]
    else:
        cls.__hash__ = None  # type: ignore[assignment]  # mutable and compared by value
    for method in (__init__, __repr__, __eq__):
        method.__qualname__ = f"{cls.__qualname__}.{method.__name__}"
    return cls


if TYPE_CHECKING:
    from typing_extensions import dataclass_transform
else:

    def dataclass_transform(**_: Any) -> Callable[[_T], _T]:
        return lambda decorator: decorator


@overload
def record(cls: _Class, /) -> _Class: ...
@overload
def record(*, frozen: bool = False) -> Callable[[_Class], _Class]: ...


@dataclass_transform(field_specifiers=(field,))
def record(cls: _Class | None = None, /, *, frozen: bool = False) -> Any:
    """Make ``cls`` a record of its annotated fields (``@record`` or ``@record(frozen=True)``)."""
    if cls is None:
        return lambda cls: _build(cls, frozen)
    return _build(cls, frozen)

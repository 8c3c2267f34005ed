"""The patch registry: every hook point into pip, its shape check, apply and revert.

A point names a module, an attribute (``Class.method`` or a module global), the leading
parameter names the hook relies on, and the hook. Points are grouped in patch sets (one
per feature, plus the infrastructure sets); a set is applied whole or not at all. Shapes
are checked by feature detection, never by pip's version number.

The hook contract. A hook sees pip's call as a :class:`Call` (arguments by parameter
name) and comes in one of three forms:

- ``before(call)``: may replace arguments (``call["name"] = value``); pip's function is
  then called with them;
- ``after(call, result)``: returns the result (pip's, or a replacement);
- ``around(call, proceed)``: ``proceed()`` calls pip's function with the call's current
  arguments; the hook returns what pip's caller gets.

The registry alone decides what a failure means. pip's own errors pass untouched; an
error of ours (:class:`~wheelnext_pip.errors.WheelnextPipError`) becomes pip's
``InstallationError``, one ``ERROR:`` line; any other exception from a hook is an
internal error: a fail-open set logs it once, turns itself off for the rest of the run and
pip goes on with its own arguments or result (pip's function is never called twice for
one call); a fail-closed set stops pip, because going on could let through what the
feature protects against. A set may stop pip on an internal error and yet not when it
cannot be applied (``hooks_fail_closed``): without it pip refuses what it would admit.

A set that protects call by call may instead contain its internal errors
(``PatchSet.contain``): the set stays on, ``contain`` says what failed, and that one call
gets the point's ``fallback`` answer (a hook of the same form: the safe answer, such as
"leave out what could not be judged"), or pip's own where falling back to pip is safe. A
fallback that fails in turn stops pip.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import logging
import sys
from collections.abc import Sequence
from typing import Any, Callable, Union

from wheelnext_pip import _state
from wheelnext_pip._record import record
from wheelnext_pip._state import PatchSetStatus, PointStatus
from wheelnext_pip.errors import WheelnextPipError

logger = logging.getLogger("wheelnext_pip")

#: ``hook(original, args, kwargs)``: ``original`` is pip's function (unbound for
#: methods, so ``args[0]`` is ``self`` or ``cls``). The form of the hooks not yet moved to
#: the contract above; such a hook handles its own failures.
Hook = Callable[[Callable[..., Any], tuple[Any, ...], dict[str, Any]], Any]
#: The forms of the hook contract (see the module docstring).
HOOK_KINDS = ("raw", "before", "after", "around")
#: ``check(owner, function)``: the class or module holding the point, and pip's function.
ShapeCheck = Callable[[Any, Callable[..., Any]], Union[str, None]]

STAMP = "__wheelnext_pip_point__"
_MISSING: Any = object()


def argument(
    args: tuple[Any, ...], kwargs: dict[str, Any], position: int, name: str, default: Any = _MISSING
) -> Any:
    """The value pip passed for a parameter, by position or by keyword."""
    if len(args) > position:
        return args[position]
    if name in kwargs:
        return kwargs[name]
    if default is _MISSING:
        raise TypeError(f"pip passed no {name!r}")
    return default


def with_argument(
    args: tuple[Any, ...], kwargs: dict[str, Any], position: int, name: str, value: Any
) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """The call's arguments with one parameter replaced, where pip passed it."""
    if len(args) > position:
        return (*args[:position], value, *args[position + 1 :]), kwargs
    return args, {**kwargs, name: value}


class Passthrough(Exception):
    """Raised by a hook on purpose to reach another hook of its feature (a restart, say):
    the registry lets it through untouched."""


@functools.cache
def _signature(function: Callable[..., Any]) -> inspect.Signature:
    """pip's function's signature, read once: the shape check and the wrapper both need it."""
    return inspect.signature(function)


@record(frozen=True)
class _Parameters:
    """pip's function's parameters, read once when the point is applied."""

    positions: dict[str, int]
    defaults: dict[str, Any]

    @classmethod
    def of(cls, function: Callable[..., Any]) -> _Parameters:
        positions: dict[str, int] = {}
        defaults: dict[str, Any] = {}
        for index, parameter in enumerate(_signature(function).parameters.values()):
            if parameter.kind in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD):
                positions[parameter.name] = index
            if parameter.default is not parameter.empty:
                defaults[parameter.name] = parameter.default
        return cls(positions, defaults)


class Call:
    """One call of pip's function, its arguments reachable by parameter name, wherever pip
    passed them (by position, by keyword, or not at all: then the default)."""

    __slots__ = ("_parameters", "args", "kwargs")

    def __init__(self, parameters: _Parameters, args: tuple[Any, ...], kwargs: dict[str, Any]):
        self._parameters = parameters
        self.args = args
        self.kwargs = kwargs

    def __getitem__(self, name: str) -> Any:
        position = self._parameters.positions.get(name)
        if position is not None and position < len(self.args):
            return self.args[position]
        if name in self.kwargs:
            return self.kwargs[name]
        if name in self._parameters.defaults:
            return self._parameters.defaults[name]
        raise TypeError(f"pip passed no {name!r}")

    def get(self, name: str, default: Any = None) -> Any:
        try:
            return self[name]
        except TypeError:
            return default

    def __setitem__(self, name: str, value: Any) -> None:
        position = self._parameters.positions.get(name)
        if position is not None and position < len(self.args):
            args = self.args
            self.args = (*args[:position], value, *args[position + 1 :])
        else:
            self.kwargs = {**self.kwargs, name: value}


@record(frozen=True)
class PatchPoint:
    patch_set: str
    module: str
    attribute: str
    #: A :data:`Hook` for ``kind="raw"``; otherwise the form ``kind`` names.
    hook: Callable[..., Any]
    #: The leading parameter names, in order, that the hook relies on.
    params: tuple[str, ...] = ()
    required: bool = True
    #: Extra structural check of pip's function; returns why it does not fit, or None.
    check: ShapeCheck | None = None
    #: One of :data:`HOOK_KINDS`.
    kind: str = "raw"
    #: What the call gets when the hook failed with an internal error and the set goes on: a
    #: hook of the same form (``fallback(call)``, ``fallback(call, result)``,
    #: ``fallback(call, proceed)`` with the failed hook's ``proceed``); None: pip's own answer.
    fallback: Callable[..., Any] | None = None

    @property
    def key(self) -> str:
        module = self.module
        if module.startswith("pip._internal."):
            module = module[len("pip._internal.") :]
        return f"{module}:{self.attribute}"

    @property
    def ident(self) -> str:
        """Unique per set: two features may wrap the same pip function (their wrappers stack)."""
        return f"{self.patch_set}/{self.key}"


#: A patch set lists points; a tuple of points means "the first one that fits".
Entry = Union[PatchPoint, tuple[PatchPoint, ...]]


@record(frozen=True)
class PatchSet:
    name: str
    entries: tuple[Entry, ...]
    #: pip commands for which the set is applied; empty means every command.
    commands: frozenset[str] = frozenset()
    #: Protection features fail closed: if they cannot be applied, pip must stop.
    fail_closed: bool = False
    #: Whether an internal error in a hook stops pip (None: as ``fail_closed``).
    hooks_fail_closed: bool | None = None
    #: ``needed(settings)``: whether the settings give the set anything to do (None: always).
    needed: Callable[[Any], bool] | None = None
    #: Put before the text of our errors when they become pip's.
    error_prefix: str = ""
    #: For a fail-closed set: what going on after an internal error would risk.
    risk: str = "go on without a protection that was asked for"
    #: A pip module that pip imports only when it needs this set's points (pip 26.3 imports
    #: its wheel installer only to install): the set is applied when pip imports it, so a
    #: run that never does (a dry run) does not import it for us.
    applied_on_import: str | None = None
    #: ``contain(point, call, exc)``: for a set that is not fail-closed, an internal error in
    #: a hook neither stops pip nor turns the set off; ``contain`` reports it and that call
    #: gets the point's ``fallback`` answer (None: the set turns itself off, see
    #: :func:`hook_failed`).
    contain: Callable[[PatchPoint, Call, BaseException], None] | None = None

    def wanted_for(self, command: str) -> bool:
        return not self.commands or command in self.commands

    @property
    def stops_on_internal_error(self) -> bool:
        return self.fail_closed if self.hooks_fail_closed is None else self.hooks_fail_closed


@record
class _Target:
    owner: Any
    name: str
    raw: Any
    function: Callable[..., Any]


@record
class _Applied:
    point: PatchPoint
    owner: Any
    name: str
    raw: Any


_APPLIED: dict[str, _Applied] = {}
#: (logger name, filter) of every logging filter added through :func:`add_log_filter`.
_FILTERS: list[tuple[str, logging.Filter]] = []


def _locate(point: PatchPoint) -> _Target | str:
    """Find the point in pip, or say why it is not there."""
    try:
        module = importlib.import_module(point.module)
    except ImportError as exc:
        return f"module {point.module} cannot be imported ({exc})"
    *owner_path, name = point.attribute.split(".")
    owner: Any = module
    for part in owner_path:
        owner = getattr(owner, part, None)
        if owner is None:
            return f"{point.module} has no {part}"
    raw = vars(owner).get(name)
    if raw is None:
        return f"{point.module} has no {point.attribute}"
    function = raw.__func__ if isinstance(raw, (classmethod, staticmethod)) else raw
    if not callable(function):
        return f"{point.attribute} is not a function"
    return _Target(owner, name, raw, function)


def _shape_problem(point: PatchPoint, target: _Target) -> str | None:
    function = target.function
    if point.params:
        try:
            names = tuple(_signature(function).parameters)
        except (TypeError, ValueError):
            return f"{point.attribute} has no readable signature"
        if names[: len(point.params)] != point.params:
            return (
                f"{point.attribute} takes ({', '.join(names)}), "
                f"expected ({', '.join(point.params)}, ...)"
            )
    if point.check is not None:
        return point.check(target.owner, function)
    return None


_EXCEPTIONS = "pip._internal.exceptions"


def _is_pip_error(exc: BaseException) -> bool:
    pip_error = getattr(sys.modules.get(_EXCEPTIONS), "PipError", None)
    return isinstance(pip_error, type) and isinstance(exc, pip_error)


def pip_error(class_name: str, message: str) -> Exception:
    """An instance of one of pip's exception classes (imported by pip long before)."""
    error_class: type[Exception] = getattr(sys.modules[_EXCEPTIONS], class_name)
    return error_class(message)


def _failure(
    patch_set: PatchSet,
    exc: Exception,
    contained: tuple[PatchPoint, Call] | None = None,
    *,
    stop: bool = False,
) -> Exception | None:
    """What a hook's exception becomes: an error to raise instead, or None (the set goes on:
    the error contained for this call, or the set off for the rest of the run). ``stop``: an
    internal error stops pip whatever the set says (a fallback failed)."""
    if isinstance(exc, Passthrough) or _is_pip_error(exc):
        return exc
    if isinstance(exc, WheelnextPipError):
        return pip_error("InstallationError", f"{patch_set.error_prefix}{exc}")
    if stop or patch_set.stops_on_internal_error:
        logger.debug("wheelnext-pip: traceback of the internal error", exc_info=exc)
        return pip_error(
            "InstallationError",
            f"wheelnext-pip: internal error in {patch_set.name} ({type(exc).__name__}: "
            f"{exc}); stopping rather than {patch_set.risk}",
        )
    if patch_set.contain is not None and contained is not None:
        try:
            patch_set.contain(*contained, exc)
        except Exception as report_failed:
            return _failure(patch_set, report_failed, stop=True)
        return None
    hook_failed(patch_set.name, exc)
    return None


def _fall_back(patch_set: PatchSet, fallback: Callable[..., Any], *arguments: Any) -> Any:
    """The point's fallback answer; what it raises is handled as a fail-closed hook's."""
    try:
        return fallback(*arguments)
    except Exception as exc:
        error = _failure(patch_set, exc, stop=True) or exc  # with stop, never None
        raise error from (None if error is exc else exc)


class Proceed:
    """``proceed()`` of an around-hook: pip's function with the call's arguments.
    ``original`` is pip's function itself, for a hook that must call it for other arguments
    too (what it raises passes as pip's own only through ``proceed()``)."""

    __slots__ = ("call", "called", "original", "raised", "result")

    def __init__(self, original: Callable[..., Any], call: Call) -> None:
        self.original = original
        self.call = call
        self.called = False
        self.result: Any = None
        self.raised: BaseException | None = None

    def __call__(self) -> Any:
        self.called = True
        try:
            self.result = self.original(*self.call.args, **self.call.kwargs)
        except BaseException as exc:
            self.raised = exc
            raise
        return self.result


def _make_wrapper(
    point: PatchPoint, patch_set: PatchSet, original: Callable[..., Any]
) -> Callable[..., Any]:
    hook: Any = point.hook
    name = point.patch_set
    kind = point.kind

    if kind == "raw":

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not _state.STATE.is_live(name):
                return original(*args, **kwargs)
            return hook(original, args, kwargs)

        return _stamped(wrapper, point, original)

    parameters = _Parameters.of(original)
    fallback = point.fallback

    if kind == "before":

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not _state.STATE.is_live(name):
                return original(*args, **kwargs)
            call = Call(parameters, args, kwargs)
            try:
                hook(call)
            except Exception as exc:
                error = _failure(patch_set, exc, (point, call))
                if error is not None:
                    raise error from (None if error is exc else exc)
                if fallback is None:
                    return original(*args, **kwargs)
                call = Call(parameters, args, kwargs)
                _fall_back(patch_set, fallback, call)
            return original(*call.args, **call.kwargs)

    elif kind == "after":

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not _state.STATE.is_live(name):
                return original(*args, **kwargs)
            result = original(*args, **kwargs)
            call = Call(parameters, args, kwargs)
            try:
                return hook(call, result)
            except Exception as exc:
                error = _failure(patch_set, exc, (point, call))
                if error is not None:
                    raise error from (None if error is exc else exc)
                if fallback is None:
                    return result
                return _fall_back(patch_set, fallback, Call(parameters, args, kwargs), result)

    elif kind == "around":

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not _state.STATE.is_live(name):
                return original(*args, **kwargs)
            proceed = Proceed(original, Call(parameters, args, kwargs))
            try:
                return hook(proceed.call, proceed)
            except Exception as exc:
                if exc is proceed.raised:
                    raise  # pip's own outcome
                error = _failure(patch_set, exc, (point, proceed.call))
                if error is not None:
                    raise error from (None if error is exc else exc)
                if fallback is not None:
                    return _fall_back(patch_set, fallback, proceed.call, proceed)
                if proceed.called:
                    if proceed.raised is not None:
                        raise proceed.raised from None
                    return proceed.result
                return original(*args, **kwargs)

    else:
        raise ValueError(f"unknown hook kind {kind!r} for {point.ident}")
    return _stamped(wrapper, point, original)


def _stamped(
    wrapper: Callable[..., Any], point: PatchPoint, original: Callable[..., Any]
) -> Callable[..., Any]:
    functools.update_wrapper(wrapper, original)
    setattr(wrapper, STAMP, point.ident)
    # pip <= 24.x caches some finder methods with functools.lru_cache, and programs that
    # drive pip (pip-tools) clear that cache: the wrapper keeps the cache's handles.
    for name in ("cache_clear", "cache_info"):
        handle = getattr(original, name, None)
        if callable(handle):
            setattr(wrapper, name, handle)
    return wrapper


def _carries_stamp(function: Any, ident: str) -> bool:
    """Whether our wrapper for ``ident`` is anywhere in a chain of wrappers."""
    for _ in range(16):  # wrapper chains are short; never loop on a cycle
        if getattr(function, STAMP, None) == ident:
            return True
        function = getattr(function, "__wrapped__", None)
        if function is None:
            return False
    return False


def _apply(point: PatchPoint, patch_set: PatchSet, target: _Target) -> None:
    if _carries_stamp(target.function, point.ident):
        return  # already applied in this process
    wrapper = _make_wrapper(point, patch_set, target.function)
    replacement: Any = wrapper
    if isinstance(target.raw, classmethod):
        replacement = classmethod(wrapper)
    elif isinstance(target.raw, staticmethod):
        replacement = staticmethod(wrapper)
    setattr(target.owner, target.name, replacement)
    _APPLIED[point.ident] = _Applied(point, target.owner, target.name, target.raw)


def _revert(key: str) -> None:
    applied = _APPLIED.pop(key, None)
    if applied is not None:
        setattr(applied.owner, applied.name, applied.raw)


def _choose(entry: Entry) -> tuple[PatchPoint, _Target | str]:
    """The point of an entry that fits pip, or the first point and why none fits."""
    points = entry if isinstance(entry, tuple) else (entry,)
    reasons = []
    for point in points:
        target = _locate(point)
        if isinstance(target, _Target):
            problem = _shape_problem(point, target)
            if problem is None:
                return point, target
            target = problem
        reasons.append(target)
    return points[0], "; ".join(reasons)


def plan(patch_set: PatchSet) -> PatchSetStatus:
    """Check every point of a set without applying anything (used by ``doctor``)."""
    return _check(patch_set)[0]


def _check(patch_set: PatchSet) -> tuple[PatchSetStatus, list[tuple[PatchPoint, _Target]]]:
    status = PatchSetStatus(patch_set.name, active=True)
    fitting: list[tuple[PatchPoint, _Target]] = []
    for entry in patch_set.entries:
        point, target = _choose(entry)
        if isinstance(target, str):
            status.points.append(PointStatus(point.key, "skipped", target, point.required))
            if point.required:
                status.active = False
                status.reason = f"{point.key}: {target}"
        else:
            status.points.append(PointStatus(point.key, "applied", "", point.required))
            fitting.append((point, target))
    return status, fitting


def apply_set(patch_set: PatchSet) -> PatchSetStatus:
    """Apply every point of the set, or none: a set is never half-applied."""
    existing = _state.STATE.patch_sets.get(patch_set.name)
    if existing is not None:
        return existing
    status, fitting = _check(patch_set)
    if status.active:
        done: list[str] = []
        try:
            for point, target in fitting:
                _apply(point, patch_set, target)
                done.append(point.ident)
        except Exception as exc:  # e.g. a read-only attribute in an unusual pip build
            for key in reversed(done):
                _revert(key)
            status.active = False
            failed_key = fitting[len(done)][0].key
            status.reason = f"{failed_key}: applying failed: {type(exc).__name__}: {exc}"
            for point_status in status.points:
                if f"{patch_set.name}/{point_status.key}" in done:
                    point_status.state = "reverted"
                elif point_status.key == failed_key:
                    point_status.state = "failed"
                    point_status.reason = f"{type(exc).__name__}: {exc}"
                elif point_status.state == "applied":
                    point_status.state = "not applied"
    else:
        for point_status in status.points:
            if point_status.state == "applied":
                point_status.state = "not applied"
                point_status.reason = "another required point of this set is missing"
    _state.STATE.patch_sets[patch_set.name] = status
    return status


def add_log_filter(logger_name: str, log_filter: logging.Filter) -> None:
    """Add a filter to one of pip's (or our) loggers, once; :func:`revert_all` removes it."""
    target = logging.getLogger(logger_name)
    if log_filter not in target.filters:
        target.addFilter(log_filter)
        _FILTERS.append((logger_name, log_filter))


def revert_all() -> None:
    """Restore every attribute this process patched and remove every filter it added (for
    tests and ``deactivate``)."""
    for key in reversed(list(_APPLIED)):
        _revert(key)
    while _FILTERS:
        logger_name, log_filter = _FILTERS.pop()
        logging.getLogger(logger_name).removeFilter(log_filter)


def original_of(patch_set: str, key: str) -> Any:
    """pip's function as it was before ``patch_set`` wrapped the point ``key`` (or None)."""
    applied = _APPLIED.get(f"{patch_set}/{key}")
    return None if applied is None else applied.raw


def applied_keys() -> Sequence[str]:
    """``set/module:attribute`` of every applied point (one pip function may carry several)."""
    return list(_APPLIED)


def hook_failed(patch_set: str, exc: BaseException) -> None:
    """A hook's own logic raised: log once, fall back to stock pip for the rest of the run."""
    if patch_set in _state.STATE.failed:
        return
    _state.STATE.failed.add(patch_set)
    logger.warning(
        "wheelnext-pip: internal error in %s (%s: %s); pip continues without it",
        patch_set,
        type(exc).__name__,
        exc,
    )
    logger.debug("wheelnext-pip: traceback of the internal error", exc_info=exc)

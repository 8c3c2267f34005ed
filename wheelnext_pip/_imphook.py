"""Post-import hooks with the standard library only.

A meta path finder that, for a few named modules, lets the normal finders find the spec
and runs a callback once the module has executed. Used instead of wrapt's import hooks:
importing wrapt 2.x costs ~85 ms, more than the whole "on" budget of a pip run.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import Any, Callable

Callback = Callable[[ModuleType], None]


class _NotifyingLoader:
    """Wraps a loader: executes the module, restores the real loader, runs the callback."""

    def __init__(self, loader: Any, callback: Callback) -> None:
        self._loader = loader
        self._callback = callback

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        create = getattr(self._loader, "create_module", None)
        return create(spec) if create is not None else None

    def exec_module(self, module: ModuleType) -> None:
        self._loader.exec_module(module)
        module.__loader__ = self._loader
        if module.__spec__ is not None:
            module.__spec__.loader = self._loader
        self._callback(module)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._loader, name)


class PostImportFinder:
    """Finder placed first on ``sys.meta_path``; answers only for modules with a callback."""

    def __init__(self) -> None:
        self.callbacks: dict[str, Callback] = {}

    def find_spec(
        self, name: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        callback = self.callbacks.get(name)
        if callback is None:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec: ModuleSpec | None = finder.find_spec(name, path, target)
            if spec is None:
                continue
            if spec.loader is None or not hasattr(spec.loader, "exec_module"):
                return None  # a legacy loader: leave it alone, the hook just never fires
            del self.callbacks[name]
            spec.loader = _NotifyingLoader(spec.loader, callback)  # type: ignore[assignment]
            if not self.callbacks:
                remove_finder()
            return spec
        return None


_FINDER = PostImportFinder()


def _in_turn(first: Callback, second: Callback) -> Callback:
    def both(module: ModuleType) -> None:
        first(module)
        second(module)

    return both


def when_imported(name: str, callback: Callback) -> None:
    """Run ``callback(module)`` once ``name`` has been imported (at once if it already is)."""
    module = sys.modules.get(name)
    if module is not None:
        callback(module)
        return
    earlier = _FINDER.callbacks.get(name)
    _FINDER.callbacks[name] = callback if earlier is None else _in_turn(earlier, callback)
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)


def remove_finder() -> None:
    _FINDER.callbacks.clear()
    sys.meta_path[:] = [finder for finder in sys.meta_path if finder is not _FINDER]

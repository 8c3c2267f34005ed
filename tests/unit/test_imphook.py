"""Post-import hooks with the standard library."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest

from wheelnext_pip import _imphook


def test_callback_runs_once_after_the_module_executed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "wnp_hooked_mod.py").write_text("VALUE = 41\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    seen: list[types.ModuleType] = []

    def callback(module: types.ModuleType) -> None:
        seen.append(module)
        module.VALUE += 1

    _imphook.when_imported("wnp_hooked_mod", callback)
    try:
        import wnp_hooked_mod  # type: ignore[import-not-found]

        assert wnp_hooked_mod.VALUE == 42
        assert seen == [wnp_hooked_mod]
        # The module keeps the loader that really loaded it.
        assert type(wnp_hooked_mod.__loader__).__name__ == "SourceFileLoader"
        assert _imphook._FINDER not in sys.meta_path
    finally:
        _imphook.remove_finder()
        sys.modules.pop("wnp_hooked_mod", None)


def test_already_imported_module_gets_the_callback_at_once() -> None:
    seen: list[str] = []
    _imphook.when_imported("json", lambda module: seen.append(module.__name__))
    assert seen == ["json"]
    assert _imphook._FINDER not in sys.meta_path


def test_two_callbacks_for_one_module_both_run_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "wnp_twice_mod.py").write_text("VALUE = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    seen: list[str] = []
    _imphook.when_imported("wnp_twice_mod", lambda module: seen.append("first"))
    _imphook.when_imported("wnp_twice_mod", lambda module: seen.append("second"))
    try:
        import wnp_twice_mod  # type: ignore[import-not-found]  # noqa: F401

        assert seen == ["first", "second"]
    finally:
        _imphook.remove_finder()
        sys.modules.pop("wnp_twice_mod", None)

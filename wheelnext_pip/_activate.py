"""Activation: hook pip's command layer once pip's CLI module is imported.

Called by the start-up bootstrap on the first import of ``pip`` (while ``pip`` itself is
being imported, so nothing here may import pip), or directly by ``python -m wheelnext_pip``.
Only a post-import hook is registered here; the patch layer is imported when pip's CLI
module is, so ``pip --version`` and other runs that never reach a command pay nothing.
"""

from __future__ import annotations

import os
import sys
from types import ModuleType

from wheelnext_pip import _imphook
from wheelnext_pip._features import EVENT_LOG_VARIABLE

__all__ = ["activate", "deactivate"]

CLI_MODULE = "pip._internal.cli.base_command"
MAIN_PARSER = "pip._internal.cli.main_parser"
_activated = {"done": False}
#: (pip's main_parser module, its parse_command) while our wrapper stands in for it. The
#: wrapper is not a registry point: importing the registry would cost ``pip --version``,
#: which never reaches a command, about 15 ms. ``deactivate`` restores it all the same.
_parse_command: list[tuple[ModuleType, object]] = []


def _on_cli_imported(module: ModuleType) -> None:
    try:
        # Deferred on purpose (see the module docstring). This runs long before pip
        # installs anything, so pip 26.3's late-import guard is not involved yet.
        from wheelnext_pip._pip import cli

        cli.on_cli_imported(module)
    except Exception:
        pass  # never break pip's own import; doctor shows what did not apply


def _names_another_python(args: object) -> bool:
    if os.environ.get("_PIP_RUNNING_IN_SUBPROCESS"):
        return False
    words = args if isinstance(args, list) else []
    named = any(
        isinstance(w, str) and (w == "--python" or w.startswith("--python=")) for w in words
    )
    return named or bool(os.environ.get("PIP_PYTHON"))


def _on_main_parser_imported(module: ModuleType) -> None:
    """pip re-runs itself under ``--python X`` while parsing the command line, before any
    command hook: a protection that X would not have must stop pip here."""
    try:
        original = module.parse_command
        if getattr(original, "__wheelnext_pip_point__", None):
            return

        def parse_command(args: list[str]) -> object:
            if _names_another_python(args):
                from wheelnext_pip._pip import session

                problem = session.python_option_problem(args)
                if problem is not None:
                    sys.stderr.write(f"ERROR: {problem}\n")
                    raise SystemExit(1)
            return original(args)

        parse_command.__wheelnext_pip_point__ = "cli.main_parser:parse_command"  # type: ignore[attr-defined]
        parse_command.__wrapped__ = original  # type: ignore[attr-defined]
        setattr(module, "parse_command", parse_command)  # noqa: B010 - a module global
        _parse_command.append((module, original))
    except Exception:
        pass  # never break pip's own import


def activate() -> None:
    """Arrange for the patches to be applied; idempotent."""
    if _activated["done"]:
        return
    _activated["done"] = True
    _imphook.when_imported(MAIN_PARSER, _on_main_parser_imported)
    _imphook.when_imported(CLI_MODULE, _on_cli_imported)
    if os.environ.get(EVENT_LOG_VARIABLE):
        from wheelnext_pip import _state

        _state.record_event("activate")


def deactivate() -> None:
    """Revert every patch and forget this process's state (pip is stock again)."""
    from wheelnext_pip import _state
    from wheelnext_pip._pip import registry

    _imphook.remove_finder()
    registry.revert_all()
    while _parse_command:
        module, original = _parse_command.pop()
        wrapper = vars(module).get("parse_command")
        # pip <= 23.x's cli.main imported the name itself: restore every copy.
        for name in (module.__name__, "pip._internal.cli.main"):
            holder = sys.modules.get(name)
            if holder is not None and vars(holder).get("parse_command") is wrapper:
                setattr(holder, "parse_command", original)  # noqa: B010 - a module global
    _state.reset()
    _activated["done"] = False

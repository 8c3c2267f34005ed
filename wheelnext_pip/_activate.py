"""Activation: hook pip's command layer once pip's CLI module is imported.

Called by the start-up bootstrap on the first import of ``pip`` (while ``pip`` itself is
being imported, so nothing here may import pip), or directly by ``python -m wheelnext_pip``.
Everything the hooks will need is imported here, before pip installs anything: pip 26.3
blocks imports once installation has started.
"""

from __future__ import annotations

from wheelnext_pip import _imphook, _state
from wheelnext_pip._pip import catalog, registry, session

__all__ = ["activate", "deactivate"]

_CLI_MODULE = catalog.cli.BASE_COMMAND


def activate() -> None:
    """Arrange for the patches to be applied; idempotent."""
    if _state.STATE.activated:
        return
    _state.STATE.activated = True
    _state.record_event("activate")
    _imphook.when_imported(_CLI_MODULE, session.on_cli_imported)


def deactivate() -> None:
    """Revert every patch and forget this process's state (pip is stock again)."""
    _imphook.remove_finder()
    registry.revert_all()
    _state.reset()

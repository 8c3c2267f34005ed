"""Errors of wheelnext-pip: one base class, one subclass per area."""

from __future__ import annotations

__all__ = ["SettingsError", "WheelnextPipError"]


class WheelnextPipError(Exception):
    """Base class of every error wheelnext-pip raises on purpose."""


class SettingsError(WheelnextPipError, ValueError):
    """``WHEELNEXT_PIP`` or a ``wheelnext`` setting has a value that cannot be used.

    ``str()`` is one line naming the setting, where it came from and what is wrong.
    """

    def __init__(self, setting: str, source: str, problem: str) -> None:
        self.setting = setting
        self.source = source
        self.problem = problem
        super().__init__(f"{setting} (from {source}): {problem}")

"""Errors of wheelnext-pip: one base class, one subclass per area."""

from __future__ import annotations

import re

__all__ = ["SettingsError", "WheelnextPipError", "redact_credentials"]

# scheme://userinfo@ : the userinfo runs to the last "@" before the host (a password may
# hold an unquoted "@"); it never crosses "/", "?", "#", whitespace or a quote.
# Compiled by ``re`` on first use: only text with an ``@`` needs it.
_USERINFO = r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)(?P<userinfo>[^/?#\s'\"]*)@"


def redact_credentials(text: str) -> str:
    """Every URL in ``text`` with its password shown as ``****``, as pip shows them
    (``user:****@host``; a user part alone is taken for a token: ``****@host``)."""

    def hide(match: re.Match[str]) -> str:
        user, colon, _password = match["userinfo"].partition(":")
        shown = f"{user}:****" if colon else "****"
        return f"{match['scheme']}{shown}@"

    return re.sub(_USERINFO, hide, text) if "@" in text else text


class WheelnextPipError(Exception):
    """Base class of every error wheelnext-pip raises on purpose."""


class SettingsError(WheelnextPipError, ValueError):
    """``WHEELNEXT_PIP`` or a ``wheelnext`` setting has a value that cannot be used.

    ``str()`` is one line naming the setting, where it came from and what is wrong.
    """

    def __init__(self, setting: str, source: str, problem: str) -> None:
        self.setting = setting
        self.source = source
        # Settings carry index URLs, and those may carry passwords: never print one.
        self.problem = redact_credentials(problem)
        super().__init__(f"{setting} (from {source}): {self.problem}")

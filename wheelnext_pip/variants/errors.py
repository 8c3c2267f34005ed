"""The one error type of the wheel-variants area."""

from __future__ import annotations

from wheelnext_pip.errors import WheelnextPipError, redact_credentials

__all__ = ["VariantError", "VariantHashMismatch"]


#: Longest problem text a message quotes.
_LIMIT = 400


class VariantError(WheelnextPipError, ValueError):
    """Variant metadata, a variant filename or a variant setting cannot be used.

    ``str()`` is one line: ``{source}: {problem}``, where ``source`` names the file, URL or
    setting at fault (omitted when there is none).
    """

    def __init__(self, problem: str, source: str | None = None) -> None:
        # Untrusted text may reach the message: keep it on one line, and readable (a
        # hostile document can quote a 10,000-entry list).
        # It may also name an index URL: never with its password.
        problem = redact_credentials(" ".join(problem.split()))
        self.problem = problem if len(problem) <= _LIMIT else problem[: _LIMIT - 3] + "..."
        self.source = redact_credentials(source) if source else source
        super().__init__(f"{source}: {self.problem}" if source else self.problem)


class VariantHashMismatch(VariantError):
    """A ``-variants.json`` is not the file its index's hash names, while pip checks hashes:
    the metadata decides which file is installed, so pip stops rather than skip it."""

"""Default extras (PEP 771): which extras a bare requirement gets.

Pure. The resolver patch models "the package's defaults" as one reserved extra,
:data:`PLACEHOLDER`, requested by every requirement that names no extras; this module
decides what that placeholder expands to for one candidate.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from wheelnext_pip._names import canonicalize_name
from wheelnext_pip._record import record

__all__ = [
    "PLACEHOLDER",
    "Declared",
    "Expansion",
    "declared_defaults",
    "expand_extras",
    "has_empty_brackets",
]

#: A valid, already canonical PEP 508 extra name, reserved for "the defaults".
PLACEHOLDER = "x-pep771-default"

# PEP 508 name followed by empty brackets: ``pkg[]``, ``pkg [ ] >=1``, ``pkg[] @ url``.
# Compiled by ``re`` on first use: most requirements name no extras and never need it.
_EMPTY_BRACKETS = r"^\s*([A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9._-]*[A-Za-z0-9])\s*\[\s*\]"


def has_empty_brackets(requirement_text: str) -> bool:
    """Whether a requirement string names its project with empty brackets (``pkg[]``)."""
    return (
        "[" in requirement_text
        and re.match(_EMPTY_BRACKETS, requirement_text, re.ASCII) is not None
    )


@record(frozen=True)
class Expansion:
    """What a requested extras set becomes for one candidate."""

    extras: frozenset[str]
    #: Defaults added (empty when the placeholder was not requested or there are none).
    defaults: tuple[str, ...]
    #: ``Default-Extra`` values that are not a ``Provides-Extra`` of the candidate.
    ignored: tuple[str, ...]


@record(frozen=True)
class Declared:
    """What one distribution's ``Default-Extra`` fields amount to."""

    #: Valid defaults (each also a ``Provides-Extra``), canonical and sorted.
    defaults: tuple[str, ...]
    #: Values that name no ``Provides-Extra``: ignored with one warning (PEP 771 sets no rule).
    ignored: tuple[str, ...]


def declared_defaults(default_extras: Iterable[str], provided_extras: Iterable[str]) -> Declared:
    """Split a distribution's ``Default-Extra`` values into valid and ignored ones (PEP 685
    normalisation; the reserved placeholder name is never a default)."""
    provided = {canonicalize_name(extra) for extra in provided_extras}
    defaults: set[str] = set()
    ignored: list[str] = []
    for value in default_extras:
        extra = canonicalize_name(value)
        if extra == PLACEHOLDER:
            continue
        if extra in provided:
            defaults.add(extra)
        elif extra not in ignored:
            ignored.append(extra)
    return Declared(tuple(sorted(defaults)), tuple(ignored))


def expand_extras(
    requested: Iterable[str], default_extras: Iterable[str], provided_extras: Iterable[str]
) -> Expansion:
    """Replace the placeholder by the candidate's valid defaults (PEP 771: bare requirements
    get them, explicit extras add to them)."""
    requested_set = frozenset(canonicalize_name(extra) for extra in requested)
    if PLACEHOLDER not in requested_set:
        return Expansion(requested_set, (), ())
    declared = declared_defaults(default_extras, provided_extras)
    extras = (requested_set - {PLACEHOLDER}) | frozenset(declared.defaults)
    return Expansion(extras, declared.defaults, declared.ignored)

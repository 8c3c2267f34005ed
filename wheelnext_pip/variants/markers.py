"""Variant environment markers in ``Requires-Dist`` (PEP 825).

PEP 825 adds four marker names for the dependencies of a wheel:

- ``variant_label`` (String): the label of the installed wheel; ``""`` for a wheel that is
  not a variant, ``"null"`` for the null variant;
- ``variant_properties`` (Set of String): the ``namespace :: feature :: value`` properties
  the label maps to, filtered to those this machine supports;
- ``variant_features`` (``namespace :: feature``) and ``variant_namespaces``
  (``namespace``), derived from ``variant_properties``.

Whitespace around ``::`` is insignificant. Every version of ``packaging`` that pip vendors
rejects these names, so a requirement that uses them is rewritten before pip parses it:
each comparison that involves a variant name is evaluated here and replaced by a standard
comparison with the same truth value (``python_version >= "0"`` is always true,
``python_version < "0"`` always false; both parse and evaluate in every ``packaging``
from 21.3 on). The rest of the marker (``and``, ``or``, parentheses, the standard names)
is left exactly as written, for pip to evaluate.

Pure: no pip, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from wheelnext_pip.variants.errors import VariantError
from wheelnext_pip.variants.properties import VariantProperty

__all__ = [
    "FALSE_MARKER",
    "MARKER_NAMES",
    "NON_VARIANT",
    "TRUE_MARKER",
    "VariantEnvironment",
    "mentions_variant_markers",
    "rewrite_requirement",
]

#: Standard comparisons with a fixed truth value, accepted by every packaging version.
TRUE_MARKER = 'python_version >= "0"'
FALSE_MARKER = 'python_version < "0"'

LABEL = "variant_label"
#: Set-valued names -> how many ``::`` parts their members have.
SET_NAMES = {"variant_properties": 3, "variant_features": 2, "variant_namespaces": 1}
MARKER_NAMES = frozenset({LABEL, *SET_NAMES})
#: The text every use of a variant marker contains: a requirement without it costs one
#: substring test.
_PREFIX = "variant_"

_STRING_OPS = ("==", "!=", "in", "not in")
_ALL_OPS = ("===", "==", "!=", "<=", ">=", "~=", "<", ">")


def _normalized(text: str, parts: int | None = None) -> str | None:
    """``"a::b :: c"`` -> ``"a :: b :: c"``; None when the number of parts is not ``parts``."""
    pieces = [piece.strip() for piece in text.split("::")]
    if parts is not None and len(pieces) != parts:
        return None
    return " :: ".join(pieces)


@dataclass(frozen=True)
class VariantEnvironment:
    """The values of the variant markers for one installed (or to be installed) wheel."""

    label: str = ""
    #: ``namespace :: feature :: value`` texts (supported properties only).
    properties: frozenset[str] = frozenset()
    features: frozenset[str] = field(default=frozenset())
    namespaces: frozenset[str] = field(default=frozenset())

    @classmethod
    def of(cls, label: str, supported: Iterable[VariantProperty]) -> VariantEnvironment:
        """The environment of a variant wheel: its label and the properties of that label
        that this machine supports (the caller filters)."""
        props = frozenset(supported)
        return cls(
            label,
            frozenset(str(prop) for prop in props),
            frozenset(f"{prop.namespace} :: {prop.feature}" for prop in props),
            frozenset(prop.namespace for prop in props),
        )

    def members(self, name: str) -> frozenset[str]:
        if name == "variant_properties":
            return self.properties
        if name == "variant_features":
            return self.features
        return self.namespaces


#: A wheel that is not a variant (and an sdist, or an installed project without
#: ``variant.json``): label ``""``, every set empty.
NON_VARIANT = VariantEnvironment()


def mentions_variant_markers(requirement: str) -> bool:
    """Cheap pre-test: False means :func:`rewrite_requirement` returns the text unchanged."""
    return _PREFIX in requirement


# -- tokens ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Token:
    kind: str  # "name", "string", "op", "paren", "other"
    text: str
    start: int
    end: int

    @property
    def value(self) -> str:
        """A string token's contents (PEP 508 strings have no escapes)."""
        return self.text[1:-1]


def _marker_start(requirement: str) -> int | None:
    """Where the marker begins (just after its ``;``), or None when there is none.

    PEP 508: in ``name @ url ; marker`` the URL runs to the next whitespace, so a ``;``
    inside the URL is not the marker's.
    """
    quote = ""
    index = 0
    length = len(requirement)
    while index < length:
        char = requirement[index]
        index += 1
        if quote:
            if char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char == "@":
            while index < length and requirement[index].isspace():
                index += 1
            while index < length and not requirement[index].isspace():
                index += 1
        elif char == ";":
            return index
    return None


def _tokens(marker: str, offset: int, requirement: str) -> list[_Token]:
    tokens: list[_Token] = []
    index = 0
    length = len(marker)
    while index < length:
        char = marker[index]
        if char.isspace():
            index += 1
            continue
        start = index
        if char in "\"'":
            end = marker.find(char, index + 1)
            if end < 0:
                raise VariantError(f"unterminated string in the marker of {requirement!r}")
            index = end + 1
            kind = "string"
        elif char in "()":
            index += 1
            kind = "paren"
        elif char.isalpha() or char == "_":
            while index < length and (marker[index].isalnum() or marker[index] in "_."):
                index += 1
            kind = "name"
        elif char in "=!<>~":
            for op in _ALL_OPS:
                if marker.startswith(op, index):
                    index += len(op)
                    break
            else:
                index += 1
            kind = "op"
        else:
            index += 1
            kind = "other"
        tokens.append(_Token(kind, marker[start:index], offset + start, offset + index))
    return tokens


def _operator_at(tokens: list[_Token], index: int) -> tuple[str, int] | None:
    """The comparison operator starting at ``tokens[index]`` and how many tokens it spans."""
    if index >= len(tokens):
        return None
    token = tokens[index]
    if token.kind == "op":
        return token.text, 1
    if token.kind == "name" and token.text == "in":
        return "in", 1
    if (
        token.kind == "name"
        and token.text == "not"
        and index + 1 < len(tokens)
        and tokens[index + 1].kind == "name"
        and tokens[index + 1].text == "in"
    ):
        return "not in", 2
    return None


def _evaluate(
    name: str, op: str, literal: str, name_on_left: bool, env: VariantEnvironment, quoted: str
) -> bool:
    """The truth value of one comparison that involves a variant name."""
    if name == LABEL:
        if op not in _STRING_OPS:
            raise VariantError(f"variant_label takes ==, !=, in or not in, not {op!r} ({quoted})")
        if op in ("==", "!="):
            return (env.label == literal) == (op == "==")
        # String ``in``: substring, as for the standard string markers.
        contained = env.label in literal if name_on_left else literal in env.label
        return contained == (op == "in")
    if op not in ("in", "not in") or name_on_left:
        raise VariantError(
            f'{name} is a set: use "..." in {name} or "..." not in {name} ({quoted})'
        )
    parts = SET_NAMES[name]
    member = _normalized(literal, parts)
    if member is None:
        shape = " :: ".join(("namespace", "feature", "value")[:parts])
        raise VariantError(f"members of {name} have the form '{shape}', not {literal!r}")
    return (member in env.members(name)) == (op == "in")


def rewrite_requirement(requirement: str, env: VariantEnvironment) -> str:
    """The requirement with every comparison on a variant marker replaced by a standard
    comparison of the same truth value in ``env``; unchanged when it uses none.

    Raises :class:`VariantError` (one line naming the requirement) for a variant name used
    other than as PEP 825 allows.
    """
    if _PREFIX not in requirement:
        return requirement
    start = _marker_start(requirement)
    if start is None:
        return requirement
    tokens = _tokens(requirement[start:], start, requirement)
    if not any(token.kind == "name" and token.text in MARKER_NAMES for token in tokens):
        return requirement
    quoted = f"in {requirement.strip()!r}"
    pieces: list[str] = []
    done = 0
    index = 0
    while index < len(tokens):
        token = tokens[index]
        operator = _operator_at(tokens, index + 1)
        if token.kind in ("name", "string") and operator is not None:
            op, width = operator
            right_index = index + 1 + width
            right = tokens[right_index] if right_index < len(tokens) else None
            if right is not None and right.kind in ("name", "string"):
                left_variant = token.kind == "name" and token.text in MARKER_NAMES
                right_variant = right.kind == "name" and right.text in MARKER_NAMES
                if left_variant or right_variant:
                    if token.kind != "string" and right.kind != "string":
                        raise VariantError(
                            f"a variant marker must be compared with a quoted string ({quoted})"
                        )
                    name, literal = (
                        (token.text, right.value) if left_variant else (right.text, token.value)
                    )
                    truth = _evaluate(name, op, literal, left_variant, env, quoted)
                    pieces.append(requirement[done : token.start])
                    pieces.append(TRUE_MARKER if truth else FALSE_MARKER)
                    done = right.end
                index = right_index + 1
                continue
        if token.kind == "name" and token.text in MARKER_NAMES:
            raise VariantError(f"{token.text} is not part of a comparison ({quoted})")
        index += 1
    pieces.append(requirement[done:])
    return "".join(pieces)

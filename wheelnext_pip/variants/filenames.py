"""Variant wheel filenames (PEP 825) and ``{name}-{version}-variants.json`` filenames.

A variant wheel appends ``-{label}`` to an ordinary wheel name. Everything that is not a variant
name is reported as :class:`OrdinaryWheel` so the caller leaves it entirely to pip: we never reject
a name that stock pip accepts.
"""

from __future__ import annotations

import re
from typing import Union

from wheelnext_pip._record import record

__all__ = [
    "NULL_LABEL",
    "VARIANTS_JSON_SUFFIX",
    "InvalidVariantFilename",
    "OrdinaryWheel",
    "VariantWheelFilename",
    "VariantsJsonFilename",
    "WheelFilename",
    "is_valid_label",
    "parse_variants_json_filename",
    "parse_wheel_filename",
]

#: The label of the null variant: zero properties, always compatible.
NULL_LABEL = "null"
VARIANTS_JSON_SUFFIX = "-variants.json"

_LABEL = r"^[0-9a-z_.]+$"  # compiled by ``re`` on first use (variant names only)
_WHEEL_SUFFIX = ".whl"


def is_valid_label(label: str) -> bool:
    """Whether ``label`` is a variant label: non-empty ``[0-9a-z_.]``, any length."""
    return re.match(_LABEL, label) is not None


@record(frozen=True)
class OrdinaryWheel:
    """Not a variant name (including non-wheel files): pip decides everything about it."""

    filename: str


@record(frozen=True)
class InvalidVariantFilename:
    """Shaped like a variant name but malformed; such a file is never a candidate."""

    filename: str
    reason: str


@record(frozen=True)
class VariantWheelFilename:
    """A variant wheel name, split into its parts (no normalization: raw text)."""

    filename: str
    name: str
    version: str
    build: str | None
    python: str
    abi: str
    platform: str
    label: str

    @property
    def is_null(self) -> bool:
        return self.label == NULL_LABEL

    @property
    def without_label(self) -> str:
        """The ordinary wheel name that pip's own parser understands."""
        return self.filename[: -len(_WHEEL_SUFFIX)].rsplit("-", 1)[0] + _WHEEL_SUFFIX


WheelFilename = Union[OrdinaryWheel, InvalidVariantFilename, VariantWheelFilename]


def may_be_variant(filename: str) -> bool:
    """Cheap pre-check: an ordinary wheel name without a build tag has four dashes, and a
    variant name has at least five. pip meets hundreds of thousands of ordinary names in a
    large resolution; this lets them pass without a parse."""
    return filename.count("-") >= 5 and filename.endswith(_WHEEL_SUFFIX)


def parse_wheel_filename(filename: str) -> WheelFilename:
    """Classify a file name: ordinary (leave to pip), variant (with its label) or invalid."""
    if not filename.endswith(_WHEEL_SUFFIX):
        return OrdinaryWheel(filename)
    parts = filename[: -len(_WHEEL_SUFFIX)].split("-")
    if len(parts) <= 5:
        return OrdinaryWheel(filename)
    if len(parts) == 6:
        # Part 3 is a build tag when it starts with a digit; a variant's python tag never does.
        if parts[2][:1].isdigit():
            return OrdinaryWheel(filename)
        name, version, python, abi, platform, label = parts
        build = None
    elif len(parts) == 7:
        name, version, build, python, abi, platform, label = parts
        if not build[:1].isdigit():
            return InvalidVariantFilename(filename, f"build tag {build!r} must start with a digit")
        if python[:1].isdigit():
            return InvalidVariantFilename(
                filename, f"python tag {python!r} of a variant wheel must not start with a digit"
            )
    else:
        return InvalidVariantFilename(filename, f"{len(parts)} dash-separated parts (at most 7)")
    if not label:
        return InvalidVariantFilename(filename, "empty variant label")
    if not is_valid_label(label):
        return InvalidVariantFilename(
            filename, f"variant label {label!r} has characters other than a-z, 0-9, _ and ."
        )
    if not all((name, version, python, abi, platform)):
        return InvalidVariantFilename(filename, "empty filename part")
    return VariantWheelFilename(filename, name, version, build, python, abi, platform, label)


@record(frozen=True)
class VariantsJsonFilename:
    """``{name}-{version}-variants.json``: the index metadata of one release."""

    filename: str
    name: str
    version: str

    @property
    def canonical_name(self) -> str:
        from packaging.utils import canonicalize_name

        return str(canonicalize_name(self.name))

    def matches(self, project: str, version: str) -> bool:
        """Same canonical project name and equal parsed version (``1.0`` matches ``1.0.0``)."""
        from packaging.utils import canonicalize_name
        from packaging.version import InvalidVersion, Version

        if canonicalize_name(project) != canonicalize_name(self.name):
            return False
        try:
            return Version(version) == Version(self.version)
        except InvalidVersion:
            return False


def parse_variants_json_filename(filename: str) -> VariantsJsonFilename | None:
    """The name and version of a ``-variants.json`` file, or ``None`` for any other file."""
    if not filename.endswith(VARIANTS_JSON_SUFFIX):
        return None
    name, sep, version = filename[: -len(VARIANTS_JSON_SUFFIX)].partition("-")
    if not sep or not name or not version:
        return None
    from packaging.version import InvalidVersion, Version

    try:
        Version(version)
    except InvalidVersion:
        return None
    return VariantsJsonFilename(filename, name, version)

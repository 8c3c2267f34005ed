"""The ``abi_dependency`` built-in provider of PEP 850: pure rules, no I/O.

A property ``{namespace} :: {distribution} :: {value}`` of a namespace whose provider is
``builtin: "abi_dependency"`` (or, in documents without PEP 850 providers, the reserved
namespace ``abi_dependency``) says the wheel was built against that distribution at
``=={value}.*``: ``2.8`` means any 2.8.x, ``2`` any 2.x. The feature is the distribution's
normalized name with ``-`` written ``_`` (feature names allow no ``-``); the value has one to
three release components in canonical form (uv rejects ``invalid``, ``02.8`` and ``2.8.0.1``;
so do we: a label carrying such a value is incompatible).

A distribution at version ``X.Y.Z`` supports the values ``X.Y.Z``, ``X.Y`` and ``X`` (most
specific first); ``2.8`` is ``2.8.0``. Where the version of each distribution comes from
(the user's override, what the command installs, what is installed) is the caller's: it
hands :func:`answer` a :class:`KnownVersion` per distribution.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from wheelnext_pip._names import canonicalize_name
from wheelnext_pip.variants.errors import VariantError
from wheelnext_pip.variants.properties import NamespaceProperties, SupportedFeature, VariantProperty

__all__ = [
    "ABI_DEPENDENCY",
    "OVERRIDE_VARIABLE",
    "KnownVersion",
    "answer",
    "describe",
    "feature_name",
    "is_valid_value",
    "malformed_labels",
    "parse_override",
    "supported_values",
    "value_problem",
]

#: The PEP 850 ``builtin`` name, and the namespace reserved for it in older documents.
ABI_DEPENDENCY = "abi_dependency"
#: The variable variantlib reads: ``dist==version,dist==version``.
OVERRIDE_VARIABLE = "VARIANT_ABI_DEPENDENCY"

_VALUE = re.compile(r"^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*)){0,2}$")
#: PEP 508 names.
_PROJECT = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.IGNORECASE)


def feature_name(project: str) -> str:
    """The feature that stands for a distribution: its normalized name, ``-`` as ``_``."""
    return canonicalize_name(project).replace("-", "_")


def value_problem(value: str) -> str | None:
    """Why a property value is not a valid ``abi_dependency`` value, or None."""
    if _VALUE.match(value):
        return None
    parts = value.split(".")
    if len(parts) > 3 and all(part.isdigit() for part in parts):
        return f"{value!r} has more than three release components"
    if all(part.isdigit() for part in parts):
        return f"{value!r} is not in canonical form (no leading zeros)"
    return f"{value!r} is not a release number"


def is_valid_value(value: str) -> bool:
    return value_problem(value) is None


def supported_values(version: str) -> tuple[str, ...]:
    """The values a distribution at ``version`` supports, most specific first (``X.Y.Z``,
    ``X.Y``, ``X``); none for a version that is not PEP 440 or has an epoch (``==2.8.*``
    never matches ``1!2.8``). Pre-, post-, dev- and local parts do not matter: ``==2.8.*``
    matches ``2.8.0rc1`` and ``2.8.1+cu128``."""
    from packaging.version import InvalidVersion, Version

    try:
        parsed = Version(version)
    except InvalidVersion:
        return ()
    if parsed.epoch != 0:
        return ()
    release = (*parsed.release, 0, 0)[:3]
    return tuple(".".join(str(part) for part in release[:count]) for count in (3, 2, 1))


@dataclass(frozen=True)
class KnownVersion:
    """The version one distribution has for this judgment, and where it was learned."""

    project: str
    version: str
    #: In a user's words: ``VARIANT_ABI_DEPENDENCY``, ``to be installed by this command``,
    #: ``installed in /path``.
    source: str


def parse_override(text: str) -> dict[str, KnownVersion]:
    """``VARIANT_ABI_DEPENDENCY``: feature -> its version. Empty entries are ignored; any
    other entry must be ``name==version`` (PEP 440), else one error naming the variable."""
    from packaging.version import InvalidVersion, Version

    known: dict[str, KnownVersion] = {}
    for raw in text.split(","):
        entry = raw.strip()
        if not entry:
            continue
        name, separator, version = (part.strip() for part in entry.partition("=="))
        problem = None
        if not separator or not name or not version:
            problem = f"{entry!r} is not name==version"
        elif not _PROJECT.match(name):
            problem = f"{name!r} is not a distribution name"
        else:
            try:
                Version(version)
            except InvalidVersion:
                problem = f"{version!r} (for {name}) is not a version"
        if problem is not None:
            raise VariantError(
                f"{problem} (expected name==version,name==version)", OVERRIDE_VARIABLE
            )
        feature = feature_name(name)
        earlier = known.get(feature)
        if earlier is not None and earlier.version != version:
            raise VariantError(
                f"{name} is given twice ({earlier.version} and {version})", OVERRIDE_VARIABLE
            )
        known[feature] = KnownVersion(canonicalize_name(name), version, OVERRIDE_VARIABLE)
    return known


def answer(
    namespace: str, features: Iterable[str], known: Mapping[str, KnownVersion]
) -> NamespaceProperties:
    """What the provider supports for the distributions (features) a document names: each
    known one with its values, in the document's order; unknown ones support nothing."""
    supported = []
    for feature in dict.fromkeys(features):
        version = known.get(feature)
        values = supported_values(version.version) if version is not None else ()
        if values:
            supported.append(SupportedFeature(feature, values))
    return NamespaceProperties(namespace, tuple(supported))


def describe(features: Iterable[str], known: Mapping[str, KnownVersion]) -> str:
    """Where each distribution's version came from, for ``explain`` and ``doctor``."""
    parts = []
    for feature in dict.fromkeys(features):
        version = known.get(feature)
        if version is None:
            parts.append(f"{feature}: not installed and not to be installed")
        else:
            parts.append(f"{version.project} {version.version} ({version.source})")
    return "; ".join(parts) or "no distribution named"


def malformed_labels(
    variants: Mapping[str, Iterable[VariantProperty]], namespaces: Sequence[str]
) -> dict[str, str]:
    """label -> why: labels with a value in an ``abi_dependency`` namespace that is not one
    to three canonical release components (uv refuses them; no version can match)."""
    refused: dict[str, str] = {}
    for label, properties in variants.items():
        for prop in sorted(properties):
            if prop.namespace in namespaces:
                problem = value_problem(prop.value)
                if problem is not None:
                    refused[label] = (
                        f"`{prop.namespace} :: {prop.feature} :: {prop.value}`: {problem}"
                    )
                    break
    return refused

"""Variant properties (``namespace :: feature :: value``) and supported-property lists.

A label is compatible when, for every feature it lists, at least one of its values is supported
(AND across features, OR across the values of one feature). What is supported, and in which
preference order, is a :class:`NamespaceProperties` per namespace; the user's
``variant-properties-file`` is read into the same shape.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from wheelnext_pip.variants.errors import VariantError

__all__ = [
    "PROPERTIES_FILE_SETTING",
    "NamespaceProperties",
    "SupportedFeature",
    "VariantProperty",
    "is_valid_feature",
    "is_valid_namespace",
    "is_valid_value",
    "legacy_hash_label",
    "parse_properties_toml",
    "properties_by_feature",
    "properties_file_notes",
]

PROPERTIES_FILE_SETTING = "variant-properties-file"

_NAME = re.compile(r"^[a-z0-9_]+$")
_VALUE = re.compile(r"^[a-z0-9_.]+$")


def is_valid_namespace(text: str) -> bool:
    return _NAME.match(text) is not None


def is_valid_feature(text: str) -> bool:
    return _NAME.match(text) is not None


def is_valid_value(text: str) -> bool:
    return _VALUE.match(text) is not None


@dataclass(frozen=True, order=True)
class VariantProperty:
    """One ``namespace :: feature :: value`` triple; sorts by (namespace, feature, value)."""

    namespace: str
    feature: str
    value: str

    def __post_init__(self) -> None:
        problem = _property_problem(self.namespace, self.feature, self.value)
        if problem:
            raise VariantError(problem)

    @classmethod
    def parse(cls, text: str) -> VariantProperty:
        """``"nvidia :: sm_arch :: 90_real"`` (whitespace around ``::`` is insignificant)."""
        parts = [part.strip() for part in text.split("::")]
        if len(parts) != 3:
            raise VariantError(f"{text!r} is not of the form 'namespace :: feature :: value'")
        return cls(parts[0], parts[1], parts[2])

    def __str__(self) -> str:
        return f"{self.namespace} :: {self.feature} :: {self.value}"


def _property_problem(namespace: str, feature: str, value: str) -> str | None:
    if not is_valid_namespace(namespace):
        return f"namespace {namespace!r} is not made of a-z, 0-9 and _"
    if not is_valid_feature(feature):
        return f"feature {feature!r} (namespace {namespace}) is not made of a-z, 0-9 and _"
    if not is_valid_value(value):
        return f"value {value!r} of {namespace} :: {feature} is not made of a-z, 0-9, _ and ."
    return None


def legacy_hash_label(properties: Iterable[VariantProperty]) -> str:
    """variantlib's default label: 8 hex digits of the sha256 of the sorted property lines."""
    import hashlib

    text = "".join(f"{prop}\n" for prop in sorted(set(properties)))
    return hashlib.sha256(text.encode()).hexdigest()[:8]


@dataclass(frozen=True)
class SupportedFeature:
    """One feature of a namespace with its values in preference order (most preferred first).

    ``placeholders`` are values that only hold a rank position: legacy ``default-priorities``
    may list values that no provider supports; they order the others but never match.
    """

    name: str
    values: tuple[str, ...]
    placeholders: frozenset[str] = frozenset()

    def supports(self, value: str) -> bool:
        return value in self.values and value not in self.placeholders

    @property
    def supported_values(self) -> tuple[str, ...]:
        return tuple(value for value in self.values if value not in self.placeholders)


@dataclass(frozen=True)
class NamespaceProperties:
    """What one namespace supports: features in preference order. No features = nothing."""

    namespace: str
    features: tuple[SupportedFeature, ...] = ()

    def __iter__(self) -> Iterator[SupportedFeature]:
        return iter(self.features)

    def feature(self, name: str) -> SupportedFeature | None:
        for feature in self.features:
            if feature.name == name:
                return feature
        return None

    def supported(self) -> Iterator[VariantProperty]:
        """Every supported property, most preferred feature and value first."""
        for feature in self.features:
            for value in feature.supported_values:
                yield VariantProperty(self.namespace, feature.name, value)

    @classmethod
    def of(
        cls, namespace: str, features: Iterable[tuple[str, Iterable[str]]]
    ) -> NamespaceProperties:
        """Build from ``(feature, values)`` pairs, all values supported."""
        return cls(namespace, tuple(SupportedFeature(name, tuple(vals)) for name, vals in features))


# -- the variant-properties-file ------------------------------------------------------------


def parse_properties_toml(text: str, source: str) -> dict[str, NamespaceProperties]:
    """Parse the TOML text of a properties file; ``source`` names it in errors.

    One table per namespace; each key a feature whose array lists the supported values, most
    preferred first. An empty table (or array) means known but nothing supported.
    """
    try:
        from wheelnext_pip._toml import loads

        document = loads(text)
    except ValueError as error:  # tomllib.TOMLDecodeError is a ValueError
        raise VariantError(f"invalid TOML: {error}", source) from None
    except RecursionError:  # arrays nested thousands deep
        raise VariantError("invalid TOML: nested too deeply", source) from None
    result: dict[str, NamespaceProperties] = {}
    for namespace, table in document.items():
        if not isinstance(table, dict):
            raise VariantError(f"top-level key {namespace!r} is not a [namespace] table", source)
        if not is_valid_namespace(namespace):
            raise VariantError(f"namespace {namespace!r} is not made of a-z, 0-9 and _", source)
        features: list[SupportedFeature] = []
        for feature, values in table.items():
            where = f"{namespace}.{feature}"
            if not is_valid_feature(feature):
                raise VariantError(f"feature {where!r} is not made of a-z, 0-9 and _", source)
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                raise VariantError(f"{where} must be an array of strings", source)
            for value in values:
                if not is_valid_value(value):
                    raise VariantError(
                        f"value {value!r} of {where} is not made of a-z, 0-9, _ and .", source
                    )
            if len(set(values)) != len(values):
                raise VariantError(f"{where} lists a value twice", source)
            features.append(SupportedFeature(feature, tuple(values)))
        result[namespace] = NamespaceProperties(namespace, tuple(features))
    return result


#: The ``nvidia`` features that describe the driver, and the one that describes the GPU.
_NVIDIA_DRIVER_FEATURES = ("cuda_version_lower_bound", "cuda_version_upper_bound")
_NVIDIA_ARCH_FEATURE = "sm_arch"


def properties_file_notes(user: Mapping[str, NamespaceProperties]) -> list[str]:
    """One line per thing the file's author probably did not mean (none for a namespace it
    replaces: that is the file's purpose)."""
    notes = []
    nvidia = user.get("nvidia")
    if (
        nvidia is not None
        and any(nvidia.feature(name) for name in _NVIDIA_DRIVER_FEATURES)
        and nvidia.feature(_NVIDIA_ARCH_FEATURE) is None
    ):
        notes.append(
            f"{PROPERTIES_FILE_SETTING}: [nvidia] gives a CUDA driver version but no "
            f"{_NVIDIA_ARCH_FEATURE}, so NVIDIA variants that need a GPU architecture will "
            "not match"
        )
    return notes


def properties_by_feature(
    properties: Iterable[VariantProperty],
) -> Mapping[tuple[str, str], frozenset[str]]:
    """Group properties as ``(namespace, feature) -> values`` (the OR groups of a label)."""
    grouped: dict[tuple[str, str], set[str]] = {}
    for prop in properties:
        grouped.setdefault((prop.namespace, prop.feature), set()).add(prop.value)
    return {key: frozenset(values) for key, values in sorted(grouped.items())}

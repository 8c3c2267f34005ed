"""Which variant labels are compatible, and in which order they are preferred (PEP 825).

Compatibility: for every feature a label lists, its namespace is supported, the feature is among
the provider's features and at least one of the label's values is supported.

Ranking: each feature of a label gets the key ``(namespace index, feature index, best value
index)``; a label's keys are sorted and labels compared element-wise (lower wins); when one key
list is a prefix of the other the longer wins, so the null variant ranks after every compatible
variant; a full tie is broken by the label text. In pip's candidate key the variant rank goes
after the version and before the platform tag: best variant … worst variant, ``null``, then
ordinary wheels and sdists.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Optional

from wheelnext_pip.variants.errors import VariantError
from wheelnext_pip.variants.properties import (
    NamespaceProperties,
    SupportedFeature,
    VariantProperty,
    properties_by_feature,
)

__all__ = [
    "LABELS_SETTING",
    "SupportedProperties",
    "VariantRanking",
    "describe_unsupported",
    "is_compatible",
    "label_preference_error",
    "prefer_label",
    "rank_variants",
    "reorder_by_priorities",
    "variant_sort_key",
]

LABELS_SETTING = "variant-labels"

#: namespace -> what it supports (``None``: the namespace is unsupported).
SupportedProperties = Mapping[str, Optional[NamespaceProperties]]

_Key = tuple[int, int, int]
# Larger than every real key: ends each key list so that a longer list beats its own prefix.
_END: _Key = (1 << 62, 0, 0)


def reorder_by_priorities(
    supported: NamespaceProperties,
    feature_priorities: Sequence[str] = (),
    property_priorities: Mapping[str, Sequence[str]] | None = None,
) -> NamespaceProperties:
    """Apply legacy ``default-priorities.feature/property`` to a provider's answer.

    Listed features and values come first, in the listed order, then the provider's remaining
    ones in provider order. Listed but unsupported entries hold their position and never match.
    """
    property_priorities = property_priorities or {}
    by_name = {feature.name: feature for feature in supported.features}
    names = list(dict.fromkeys(feature_priorities))
    names += [name for name in by_name if name not in names]
    features: list[SupportedFeature] = []
    for name in names:
        answered = by_name.get(name)
        supported_values = answered.supported_values if answered else ()
        listed = list(dict.fromkeys(property_priorities.get(name, ())))
        values = listed + [value for value in supported_values if value not in listed]
        placeholders = frozenset(value for value in listed if value not in supported_values)
        features.append(SupportedFeature(name, tuple(values), placeholders))
    return NamespaceProperties(supported.namespace, tuple(features))


def _unsupported_groups(
    properties: Iterable[VariantProperty], supported: SupportedProperties
) -> list[tuple[str, str, frozenset[str]]]:
    missing = []
    for (namespace, feature_name), values in properties_by_feature(properties).items():
        namespace_support = supported.get(namespace)
        feature = namespace_support.feature(feature_name) if namespace_support else None
        if feature is None or not any(feature.supports(value) for value in values):
            missing.append((namespace, feature_name, values))
    return missing


def is_compatible(properties: Iterable[VariantProperty], supported: SupportedProperties) -> bool:
    """AND across features, OR across the values of one feature."""
    return not _unsupported_groups(properties, supported)


def describe_unsupported(
    properties: Iterable[VariantProperty], supported: SupportedProperties
) -> str:
    """The unsupported part of a label, e.g. ``(`a :: b :: 1` or `a :: b :: 2`) and `a :: c :: 3```.

    Empty when the label is compatible.
    """
    parts = []
    for namespace, feature, values in _unsupported_groups(properties, supported):
        items = [f"`{namespace} :: {feature} :: {value}`" for value in sorted(values)]
        parts.append(items[0] if len(items) == 1 else "(" + " or ".join(items) + ")")
    return " and ".join(parts)


def variant_sort_key(
    label: str,
    properties: Iterable[VariantProperty],
    namespace_order: Sequence[str],
    supported: SupportedProperties,
) -> tuple[tuple[_Key, ...], str] | None:
    """Sort key of a label (ascending = more preferred), or ``None`` when it is incompatible."""
    namespace_index = {namespace: index for index, namespace in enumerate(namespace_order)}
    keys: list[_Key] = []
    for (namespace, feature_name), values in properties_by_feature(properties).items():
        namespace_support = supported.get(namespace)
        if namespace_support is None or namespace not in namespace_index:
            return None
        found = [
            (index, feature)
            for index, feature in enumerate(namespace_support.features)
            if feature.name == feature_name
        ]
        if not found:
            return None
        feature_index, feature = found[0]
        value_indexes = [
            index
            for index, value in enumerate(feature.values)
            if value in values and feature.supports(value)
        ]
        if not value_indexes:
            return None
        keys.append((namespace_index[namespace], feature_index, min(value_indexes)))
    return (*sorted(keys), _END), label


@dataclass(frozen=True)
class VariantRanking:
    """The variant labels of one release, in preference order, for pip's candidate key."""

    #: Compatible labels, most preferred first (``null`` last when present).
    labels: tuple[str, ...]
    #: Incompatible label -> why (unsupported properties, or not listed in the metadata).
    incompatible: Mapping[str, str] = field(default_factory=dict)
    #: Whether ordinary wheels and sdists may be chosen (not when ``variant-labels`` names one).
    ordinary_eligible: bool = True

    def is_eligible(self, label: str | None) -> bool:
        """``label`` ``None`` stands for an ordinary wheel or an sdist."""
        return self.ordinary_eligible if label is None else label in self.labels

    def pip_key_component(self, label: str | None) -> int:
        """Value to insert after the version in pip's candidate key: larger is better.

        Variants count down from ``len(labels)``, ordinary wheels and sdists get 0; ineligible
        candidates get -1 (the caller is expected to drop them).
        """
        if not self.is_eligible(label):
            return -1
        if label is None:
            return 0
        return len(self.labels) - self.labels.index(label)


def rank_variants(
    variants: Mapping[str, Iterable[VariantProperty]],
    namespace_order: Sequence[str],
    supported: SupportedProperties,
    labels: Iterable[str] | None = None,
) -> VariantRanking:
    """Rank ``labels`` (default: every label of the metadata) against what is supported.

    ``labels`` should be those that have a wheel: a label missing from ``variants`` is
    incompatible.
    """
    keyed = []
    incompatible: dict[str, str] = {}
    for label in dict.fromkeys(variants if labels is None else labels):
        if label not in variants:
            incompatible[label] = "not listed in the variant metadata"
            continue
        properties = frozenset(variants[label])
        key = variant_sort_key(label, properties, namespace_order, supported)
        if key is None:
            incompatible[label] = describe_unsupported(properties, supported) or (
                "namespace missing from default-priorities"
            )
        else:
            keyed.append(key)
    keyed.sort()
    return VariantRanking(tuple(label for _, label in keyed), incompatible)


def prefer_label(ranking: VariantRanking, label: str) -> VariantRanking:
    """``variant-labels``: only that label is eligible, and only when it is compatible."""
    return VariantRanking(
        (label,) if label in ranking.labels else (),
        ranking.incompatible,
        ordinary_eligible=False,
    )


def label_preference_error(
    project: str, label: str, rankings: Iterable[VariantRanking]
) -> VariantError:
    """The error when no release of ``project`` has a compatible wheel with the chosen label."""
    reasons = [r.incompatible[label] for r in rankings if label in r.incompatible]
    if reasons:
        problem = f"variant {label!r} is not supported here: {reasons[0]}"
    else:
        problem = f"no wheel with variant label {label!r} was found"
    return VariantError(problem, f"{LABELS_SETTING} ({project}={label})")

"""Variant metadata documents: ``-variants.json`` on the index and ``variant.json`` in wheels.

Three generations are read into one model, :class:`VariantMetadata`:

- PEP 825 v0.1.x (properties and namespace priorities; no providers),
- PEP 850 v0.2.x (adds ``providers``; also variantlib's ``…/v0.2.0.json`` URL), and
- legacy PEP 817 v0.0.2/v0.0.3, which every public variant index serves today; it is converted
  read-only (``install-time = false`` providers become static providers).

Anything malformed raises :class:`VariantError` whose message names the document and the problem;
the caller treats that document's variant wheels as incompatible.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from wheelnext_pip._names import canonicalize_name
from wheelnext_pip.variants.errors import VariantError
from wheelnext_pip.variants.filenames import NULL_LABEL, is_valid_label
from wheelnext_pip.variants.properties import (
    NamespaceProperties,
    VariantProperty,
    is_valid_feature,
    is_valid_namespace,
    is_valid_value,
)

__all__ = [
    "MAX_METADATA_BYTES",
    "Generation",
    "ProviderDeclaration",
    "ProviderKind",
    "VariantMetadata",
    "check_wheel_against_index",
    "check_wheel_variant_json",
    "combine_metadata",
    "default_plugin_api",
    "metadata_to_json",
    "parse_variant_metadata",
]

#: Metadata larger than this is rejected unread (security rule 5).
MAX_METADATA_BYTES = 16 * 1024 * 1024

Generation = Literal["pep825", "pep850", "legacy"]
#: static: a list in the metadata; plugin: provider packages (``requires``);
#: builtin: a tool-implemented provider named by PEP 850 ``builtin`` (e.g. ``abi_dependency``).
ProviderKind = Literal["static", "plugin", "builtin"]

_PLUGIN_API = re.compile(
    r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*"
    r"(:[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*)?$"
)
_SCHEMA_VERSION = re.compile(r"/v(\d+)\.(\d+)\.(\d+)\.json$")
_SCHEMA_PEP = re.compile(r"/peps/(\d+)/v[^/]*$")


@dataclass(frozen=True)
class ProviderDeclaration:
    """How a document says the properties of one namespace are obtained."""

    namespace: str
    kind: ProviderKind
    #: Off unless the user names the namespace in ``enable-providers``.
    optional: bool = False
    #: kind static: ``(feature, values most preferred first)`` in feature preference order.
    static_properties: tuple[tuple[str, tuple[str, ...]], ...] = ()
    #: kind plugin: PEP 508 requirement strings of the provider packages.
    requires: tuple[str, ...] = ()
    #: kind plugin: ``module(:object.path)?``; ``None`` = derived from ``requires[0]``.
    plugin_api: str | None = None
    #: kind builtin: the provider's name.
    builtin: str | None = None
    #: legacy only: PEP 508 marker; false in the target environment = namespace unsupported.
    enable_if: str | None = None

    @property
    def identity(self) -> tuple[object, ...]:
        """What a provider's answer depends on: the memoization key of its result."""
        return (self.namespace, self.kind, self.requires, self.plugin_api, self.builtin)

    def static_namespace_properties(self) -> NamespaceProperties:
        return NamespaceProperties.of(self.namespace, self.static_properties)


def default_plugin_api(requirement_name: str) -> str:
    """PEP 850 default ``plugin-api``: canonical project name with ``-`` turned into ``_``."""
    return canonicalize_name(requirement_name).replace("-", "_")


@dataclass(frozen=True)
class VariantMetadata:
    """One validated metadata document, whatever its generation."""

    #: File name or URL, used in messages.
    source: str
    schema: str
    generation: Generation
    schema_version: tuple[int, int, int] | None
    #: ``default-priorities.namespace``: decreasing priority.
    namespace_priorities: tuple[str, ...]
    #: label -> its properties (``null`` -> empty).
    variants: Mapping[str, frozenset[VariantProperty]]
    #: namespace -> declaration; empty for pure PEP 825 documents.
    providers: Mapping[str, ProviderDeclaration] = field(default_factory=dict)
    #: Legacy / PEP 825 v0.1.0 ``default-priorities.feature``: namespace -> features.
    feature_priorities: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: Legacy / PEP 825 v0.1.0 ``default-priorities.property``: namespace -> feature -> values.
    property_priorities: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=dict)

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(self.variants)

    def properties_of(self, label: str) -> frozenset[VariantProperty] | None:
        """The label's properties, or ``None`` when the document does not list the label."""
        return self.variants.get(label)


# -- JSON shape helpers ----------------------------------------------------------------------


class _Reader:
    """Typed access to decoded JSON, raising :class:`VariantError` naming the document."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, problem: str) -> VariantError:
        return VariantError(problem, self.source)

    def table(self, value: object, where: str) -> dict[str, object]:
        if not isinstance(value, dict):
            raise self.fail(f"{where} must be an object")
        return value

    def strings(self, value: object, where: str, *, allow_empty: bool = False) -> list[str]:
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise self.fail(f"{where} must be a list of strings")
        if not value and not allow_empty:
            raise self.fail(f"{where} must not be empty")
        if len(set(value)) != len(value):
            raise self.fail(f"{where} lists a value twice")
        return value

    def boolean(self, value: object, where: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(f"{where} must be true or false")
        return value

    def string(self, value: object, where: str) -> str:
        if not isinstance(value, str):
            raise self.fail(f"{where} must be a string")
        return value

    def known_keys(self, table: Mapping[str, object], allowed: Iterable[str], where: str) -> None:
        unknown = sorted(set(table) - set(allowed))
        if unknown:
            raise self.fail(f"unknown key {unknown[0]!r} in {where}")

    def namespace(self, name: str, where: str) -> str:
        if not is_valid_namespace(name):
            raise self.fail(f"namespace {name!r} in {where} is not made of a-z, 0-9 and _")
        return name

    def feature(self, name: str, where: str) -> str:
        if not is_valid_feature(name):
            raise self.fail(f"feature {name!r} in {where} is not made of a-z, 0-9 and _")
        return name

    def values(self, value: object, where: str, *, allow_empty: bool = False) -> tuple[str, ...]:
        values = self.strings(value, where, allow_empty=allow_empty)
        for item in values:
            if not is_valid_value(item):
                raise self.fail(f"value {item!r} in {where} is not made of a-z, 0-9, _ and .")
        return tuple(values)

    def requirement(self, text: str, where: str) -> str:
        from packaging.requirements import InvalidRequirement, Requirement

        try:
            Requirement(text)
        except InvalidRequirement:
            raise self.fail(f"{where}: {text!r} is not a PEP 508 requirement") from None
        return text

    def marker(self, text: str, where: str) -> str:
        from packaging.markers import InvalidMarker, Marker

        try:
            Marker(text)
        except InvalidMarker:
            raise self.fail(f"{where}: {text!r} is not a PEP 508 marker") from None
        return text


def _decode(data: bytes | str, source: str) -> dict[str, object]:
    import json

    if len(data) > MAX_METADATA_BYTES:
        raise VariantError(f"larger than {MAX_METADATA_BYTES} bytes", source)

    def no_duplicates(pairs: list[tuple[str, object]]) -> dict[str, object]:
        table: dict[str, object] = {}
        for key, value in pairs:
            if key in table:
                raise VariantError(f"key {key!r} appears twice in one object", source)
            table[key] = value
        return table

    try:
        document = json.loads(data, object_pairs_hook=no_duplicates)
    except (ValueError, RecursionError) as error:  # JSONDecodeError and bad UTF-8 are ValueErrors
        if isinstance(error, VariantError):
            raise
        raise VariantError(f"invalid JSON: {error}", source) from None
    if not isinstance(document, dict):
        raise VariantError("the document must be a JSON object", source)
    return document


# -- schema dispatch ---------------------------------------------------------------------------

_Shape = Literal["pep825", "pep850", "pep850-lenient", "legacy"]


def _classify_schema(schema: str, source: str) -> tuple[_Shape, tuple[int, int, int] | None]:
    match = _SCHEMA_VERSION.search(schema)
    version = (int(match[1]), int(match[2]), int(match[3])) if match else None
    if version is not None and version[0] >= 1:
        raise VariantError(f"unsupported schema major version {version[0]} ({schema})", source)
    pep_match = _SCHEMA_PEP.search(schema)
    pep = pep_match[1] if pep_match else None
    if version is not None:
        if pep == "825" and version[1] == 1:
            return "pep825", version
        if pep == "850" and version[1] == 2:
            return "pep850", version
        if pep is None and version[1] == 2:  # variantlib 0.2.x writes ``…/v0.2.0.json``
            return "pep850", version
        if pep is None and version[1] == 0:
            return "legacy", version
    # Another draft URL: accepted only if the body parses strictly as PEP 850.
    return "pep850-lenient", version


def parse_variant_metadata(data: bytes | str, source: str) -> VariantMetadata:
    """Decode and validate one document (any generation); ``source`` names it in errors."""
    document = _decode(data, source)
    reader = _Reader(source)
    schema = reader.string(document.get("$schema"), "$schema") if "$schema" in document else None
    if schema is None:
        raise reader.fail("missing $schema")
    shape, version = _classify_schema(schema, source)
    if shape == "legacy":
        return _parse_legacy(document, schema, version, reader)
    return _parse_modern(document, schema, version, shape, reader)


def _parse_variants(
    reader: _Reader, value: object, priorities: tuple[str, ...]
) -> dict[str, frozenset[VariantProperty]]:
    variants: dict[str, frozenset[VariantProperty]] = {}
    for label, namespaces in reader.table(value, "variants").items():
        if not is_valid_label(label):
            raise reader.fail(f"variant label {label!r} is not made of a-z, 0-9, _ and .")
        properties: set[VariantProperty] = set()
        for namespace, features in reader.table(namespaces, f"variants.{label}").items():
            where = f"variants.{label}.{namespace}"
            reader.namespace(namespace, f"variants.{label}")
            feature_table = reader.table(features, where)
            if feature_table and namespace not in priorities:
                raise reader.fail(
                    f"namespace {namespace!r} of variant {label!r} is missing from "
                    "default-priorities.namespace"
                )
            for feature, values in feature_table.items():
                reader.feature(feature, where)
                for item in reader.values(values, f"{where}.{feature}"):
                    properties.add(VariantProperty(namespace, feature, item))
        if label == NULL_LABEL and properties:
            raise reader.fail("the null variant must not have properties")
        variants[label] = frozenset(properties)
    return variants


def _parse_namespace_priorities(
    reader: _Reader, priorities: Mapping[str, object]
) -> tuple[str, ...]:
    if "namespace" not in priorities:
        raise reader.fail("missing default-priorities.namespace")
    names = reader.strings(priorities["namespace"], "default-priorities.namespace")
    for name in names:
        reader.namespace(name, "default-priorities.namespace")
    return tuple(names)


def _parse_order_priorities(
    reader: _Reader, priorities: Mapping[str, object]
) -> tuple[dict[str, tuple[str, ...]], dict[str, dict[str, tuple[str, ...]]]]:
    """``default-priorities.feature`` and ``.property`` (legacy and PEP 825 v0.1.0)."""
    features: dict[str, tuple[str, ...]] = {}
    for namespace, names in reader.table(
        priorities.get("feature", {}), "default-priorities.feature"
    ).items():
        where = f"default-priorities.feature.{namespace}"
        reader.namespace(namespace, "default-priorities.feature")
        feature_names = reader.strings(names, where, allow_empty=True)
        features[namespace] = tuple(reader.feature(name, where) for name in feature_names)
    values: dict[str, dict[str, tuple[str, ...]]] = {}
    for namespace, table in reader.table(
        priorities.get("property", {}), "default-priorities.property"
    ).items():
        where = f"default-priorities.property.{namespace}"
        reader.namespace(namespace, "default-priorities.property")
        per_feature: dict[str, tuple[str, ...]] = {}
        for feature, listed in reader.table(table, where).items():
            reader.feature(feature, where)
            per_feature[feature] = reader.values(listed, f"{where}.{feature}", allow_empty=True)
        values[namespace] = per_feature
    return features, values


def _parse_modern(
    document: dict[str, object],
    schema: str,
    version: tuple[int, int, int] | None,
    shape: _Shape,
    reader: _Reader,
) -> VariantMetadata:
    with_providers = shape != "pep825"
    allowed_top = {"$schema", "default-priorities", "variants"}
    if with_providers:
        allowed_top.add("providers")
    reader.known_keys(document, allowed_top, "the document")
    for key in ("default-priorities", "variants"):
        if key not in document:
            raise reader.fail(f"missing {key}")
    priorities_table = reader.table(document["default-priorities"], "default-priorities")
    # v0.1.0 still had feature/property priorities; v0.1.1 and PEP 850 dropped them.
    has_order_priorities = shape == "pep825" and version is not None and version[2] == 0
    allowed_priorities = (
        {"namespace", "feature", "property"} if has_order_priorities else {"namespace"}
    )
    reader.known_keys(priorities_table, allowed_priorities, "default-priorities")
    priorities = _parse_namespace_priorities(reader, priorities_table)
    feature_priorities, property_priorities = _parse_order_priorities(reader, priorities_table)
    variants = _parse_variants(reader, document["variants"], priorities)

    providers: dict[str, ProviderDeclaration] = {}
    if "providers" in document:
        for namespace, declaration in reader.table(document["providers"], "providers").items():
            reader.namespace(namespace, "providers")
            providers[namespace] = _parse_modern_provider(reader, namespace, declaration)
    if shape == "pep850" and "providers" not in document:
        raise reader.fail("missing providers (required by PEP 850)")
    if "providers" in document and set(providers) != set(priorities):
        difference = sorted(set(providers) ^ set(priorities))
        raise reader.fail(
            f"providers and default-priorities.namespace differ (namespace {difference[0]!r})"
        )
    generation: Generation = "pep825" if shape == "pep825" else "pep850"
    return VariantMetadata(
        source=reader.source,
        schema=schema,
        generation=generation,
        schema_version=version,
        namespace_priorities=priorities,
        variants=variants,
        providers=providers,
        feature_priorities=feature_priorities,
        property_priorities=property_priorities,
    )


_MODERN_PROVIDER_KEYS = (
    "optional",
    "static-properties",
    "feature-order",
    "requires",
    "plugin-api",
    "builtin",
)


def _parse_modern_provider(reader: _Reader, namespace: str, value: object) -> ProviderDeclaration:
    where = f"providers.{namespace}"
    table = reader.table(value, where)
    reader.known_keys(table, _MODERN_PROVIDER_KEYS, where)
    optional = reader.boolean(table.get("optional", False), f"{where}.optional")
    kinds = [key for key in ("static-properties", "requires", "builtin") if key in table]
    if len(kinds) != 1:
        raise reader.fail(
            f"{where} must have exactly one of static-properties, requires and builtin"
        )
    if "feature-order" in table and kinds[0] != "static-properties":
        raise reader.fail(f"{where}.feature-order is only allowed with static-properties")
    if "plugin-api" in table and kinds[0] != "requires":
        raise reader.fail(f"{where}.plugin-api is only allowed with requires")

    if kinds[0] == "static-properties":
        static = _parse_static_table(
            reader, table["static-properties"], f"{where}.static-properties"
        )
        if "feature-order" in table:
            order = reader.strings(table["feature-order"], f"{where}.feature-order")
            if sorted(order) != sorted(static):
                raise reader.fail(
                    f"{where}.feature-order is not a permutation of the static-properties features"
                )
        elif len(static) > 1:
            raise reader.fail(f"{where} has several static features and no feature-order")
        else:
            order = list(static)
        features = tuple((name, static[name]) for name in order)
        return ProviderDeclaration(namespace, "static", optional, static_properties=features)

    if kinds[0] == "requires":
        requires = reader.strings(table["requires"], f"{where}.requires")
        for text in requires:
            reader.requirement(text, f"{where}.requires")
        plugin_api = None
        if "plugin-api" in table:
            plugin_api = reader.string(table["plugin-api"], f"{where}.plugin-api")
            if not _PLUGIN_API.match(plugin_api):
                raise reader.fail(f"{where}.plugin-api {plugin_api!r} is not module(:object)")
        return ProviderDeclaration(
            namespace, "plugin", optional, requires=tuple(requires), plugin_api=plugin_api
        )

    builtin = reader.string(table["builtin"], f"{where}.builtin")
    if not builtin:
        raise reader.fail(f"{where}.builtin must not be empty")
    return ProviderDeclaration(namespace, "builtin", optional, builtin=builtin)


def _parse_static_table(
    reader: _Reader, value: object, where: str, *, allow_empty: bool = False
) -> dict[str, tuple[str, ...]]:
    static: dict[str, tuple[str, ...]] = {}
    for feature, values in reader.table(value, where).items():
        reader.feature(feature, where)
        static[feature] = reader.values(values, f"{where}.{feature}", allow_empty=allow_empty)
    return static


# -- legacy (PEP 817 v0.0.2 / v0.0.3) ----------------------------------------------------------


def _parse_legacy(
    document: dict[str, object],
    schema: str,
    version: tuple[int, int, int] | None,
    reader: _Reader,
) -> VariantMetadata:
    # PEP 817: unknown keys are ignored at every level.
    for key in ("default-priorities", "variants"):
        if key not in document:
            raise reader.fail(f"missing {key}")
    priorities_table = reader.table(document["default-priorities"], "default-priorities")
    priorities = _parse_namespace_priorities(reader, priorities_table)
    feature_priorities, property_priorities = _parse_order_priorities(reader, priorities_table)
    variants = _parse_variants(reader, document["variants"], priorities)
    static_tables: dict[str, dict[str, tuple[str, ...]]] = {}
    for namespace, table in reader.table(
        document.get("static-properties", {}), "static-properties"
    ).items():
        reader.namespace(namespace, "static-properties")
        static_tables[namespace] = _parse_static_table(
            reader, table, f"static-properties.{namespace}"
        )
    providers: dict[str, ProviderDeclaration] = {}
    for namespace, value in reader.table(document.get("providers", {}), "providers").items():
        reader.namespace(namespace, "providers")
        providers[namespace] = _parse_legacy_provider(
            reader, namespace, value, static_tables.get(namespace, {})
        )
    return VariantMetadata(
        source=reader.source,
        schema=schema,
        generation="legacy",
        schema_version=version,
        namespace_priorities=priorities,
        variants=variants,
        providers=providers,
        feature_priorities=feature_priorities,
        property_priorities=property_priorities,
    )


_PLUGIN_USE_INSTALL_TIME = {"all": True, "build": False, "none": False}


def _parse_legacy_provider(
    reader: _Reader, namespace: str, value: object, static: Mapping[str, tuple[str, ...]]
) -> ProviderDeclaration:
    where = f"providers.{namespace}"
    table = reader.table(value, where)
    optional = reader.boolean(table.get("optional", False), f"{where}.optional")
    enable_if = None
    if "enable-if" in table:
        enable_if = reader.marker(reader.string(table["enable-if"], f"{where}.enable-if"), where)
    if "install-time" in table:
        install_time = reader.boolean(table["install-time"], f"{where}.install-time")
    elif "plugin-use" in table:  # v0.0.2
        plugin_use = reader.string(table["plugin-use"], f"{where}.plugin-use")
        if plugin_use not in _PLUGIN_USE_INSTALL_TIME:
            raise reader.fail(f"{where}.plugin-use must be one of all, build, none")
        install_time = _PLUGIN_USE_INSTALL_TIME[plugin_use]
    else:
        install_time = True
    requires = reader.strings(table.get("requires", []), f"{where}.requires", allow_empty=True)
    for text in requires:
        reader.requirement(text, f"{where}.requires")
    plugin_api = None
    if "plugin-api" in table:
        plugin_api = reader.string(table["plugin-api"], f"{where}.plugin-api")
        if not _PLUGIN_API.match(plugin_api):
            raise reader.fail(f"{where}.plugin-api {plugin_api!r} is not module(:object)")
    if not install_time:
        # An ahead-of-time provider: its answer was written into the document.
        return ProviderDeclaration(
            namespace,
            "static",
            optional,
            static_properties=tuple(static.items()),
            enable_if=enable_if,
        )
    return ProviderDeclaration(
        namespace,
        "plugin",
        optional,
        requires=tuple(requires),
        plugin_api=plugin_api,
        enable_if=enable_if,
    )


# -- consistency -------------------------------------------------------------------------------


def check_wheel_variant_json(metadata: VariantMetadata, label: str) -> None:
    """A wheel's ``variant.json`` lists exactly the label of the wheel's filename."""
    if set(metadata.variants) != {label}:
        listed = ", ".join(sorted(metadata.variants)) or "none"
        raise VariantError(
            f"variants must list exactly the filename label {label!r} (lists: {listed})",
            metadata.source,
        )


def combine_metadata(first: VariantMetadata, second: VariantMetadata) -> VariantMetadata:
    """Merge two documents of one release (PEP 825 "metadata consistency").

    The result does not depend on the argument order; inconsistent documents raise.
    """
    source = f"{first.source} + {second.source}"

    def fail(problem: str) -> VariantError:
        return VariantError(problem, source)

    if first.generation != second.generation:
        raise fail(f"schemas of different generations ({first.schema}, {second.schema})")
    shorter, longer = sorted((first.namespace_priorities, second.namespace_priorities), key=len)
    if longer[: len(shorter)] != shorter:
        raise fail("default-priorities.namespace differ (neither is a prefix of the other)")
    variants = dict(first.variants)
    for label, properties in second.variants.items():
        if label in variants and variants[label] != properties:
            raise fail(f"variant {label!r} has different properties")
        variants[label] = properties
    if first.providers != second.providers:
        raise fail("providers differ")
    if (first.feature_priorities, first.property_priorities) != (
        second.feature_priorities,
        second.property_priorities,
    ):
        raise fail("default-priorities.feature or .property differ")
    # Order-independent choice of the schema URL: the newest version, then the URL text.
    newest = max((first, second), key=lambda doc: (doc.schema_version or (0, 0, 0), doc.schema))
    return VariantMetadata(
        source=" + ".join(sorted({first.source, second.source})),
        schema=newest.schema,
        generation=first.generation,
        schema_version=newest.schema_version,
        namespace_priorities=longer,
        variants=dict(sorted(variants.items())),
        providers=first.providers,
        feature_priorities=first.feature_priorities,
        property_priorities=first.property_priorities,
    )


def check_wheel_against_index(index: VariantMetadata, wheel: VariantMetadata, label: str) -> None:
    """A wheel's ``variant.json`` agrees with the index's ``-variants.json`` for its label."""
    check_wheel_variant_json(wheel, label)
    if label not in index.variants:
        raise VariantError(f"variant {label!r} is missing from {index.source}", wheel.source)
    combine_metadata(index, wheel)


def metadata_to_json(metadata: VariantMetadata) -> dict[str, object]:
    """A PEP 825 / PEP 850 document as JSON data (values sorted); legacy documents raise."""
    if metadata.generation == "legacy":
        raise VariantError("legacy metadata is read-only", metadata.source)
    priorities: dict[str, object] = {"namespace": list(metadata.namespace_priorities)}
    if metadata.feature_priorities:
        priorities["feature"] = {
            ns: list(names) for ns, names in metadata.feature_priorities.items()
        }
    if metadata.property_priorities:
        priorities["property"] = {
            ns: {feature: list(values) for feature, values in table.items()}
            for ns, table in metadata.property_priorities.items()
        }
    document: dict[str, object] = {"$schema": metadata.schema, "default-priorities": priorities}
    if metadata.generation == "pep850" and metadata.providers:
        document["providers"] = {
            ns: _provider_to_json(declaration) for ns, declaration in metadata.providers.items()
        }
    variants: dict[str, object] = {}
    for label, properties in metadata.variants.items():
        namespaces: dict[str, dict[str, list[str]]] = {}
        for prop in sorted(properties):
            namespaces.setdefault(prop.namespace, {}).setdefault(prop.feature, []).append(
                prop.value
            )
        variants[label] = namespaces
    document["variants"] = variants
    return document


def _provider_to_json(declaration: ProviderDeclaration) -> dict[str, object]:
    table: dict[str, object] = {"optional": declaration.optional}
    if declaration.kind == "static":
        table["static-properties"] = {
            feature: list(values) for feature, values in declaration.static_properties
        }
        if len(declaration.static_properties) > 1:
            table["feature-order"] = [feature for feature, _ in declaration.static_properties]
    elif declaration.kind == "plugin":
        table["requires"] = list(declaration.requires)
        if declaration.plugin_api is not None:
            table["plugin-api"] = declaration.plugin_api
    else:
        table["builtin"] = declaration.builtin
    return table

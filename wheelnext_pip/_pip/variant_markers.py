"""pip reads a distribution's ``Requires-Dist``: variant environment markers (PEP 825).

``variant_label``, ``variant_properties``, ``variant_features`` and ``variant_namespaces``
are unknown to every ``packaging`` that pip vendors (21.3 to 26): pip would reject the
requirement, and with it the release. Where pip turns a distribution's ``Requires-Dist``
into requirements (``Distribution.iter_dependencies`` of the metadata backend pip uses:
``importlib.metadata`` or ``pkg_resources``), each requirement that uses them is first
rewritten by :func:`wheelnext_pip.variants.markers.rewrite_requirement` for that
distribution's variant environment. Every caller (the resolver, its metadata check, the
legacy resolver, ``pip check``, ``pip show``) goes through that method. pip 24+ also parses
the raw strings (``BaseDistribution.iter_raw_dependencies``: the PEP 658 consistency check
after a download, the check of PyPI's direct URL dependencies): they are rewritten the same
way. The metadata itself is never changed: ``--report`` shows the strings as published.

The environment of a distribution: its ``.dist-info/variant.json`` gives the label and the
label's properties (a wheel, or an installed project); a distribution pip made from the
index's core metadata file (PEP 658), which has no ``variant.json``, takes its label from
the wheel's file name and the properties from the release's ``-variants.json``. The
properties are then filtered to those this machine supports, with the providers of the
variants feature. No ``variant.json`` and no variant file name: a wheel that is not a
variant (label ``""``, empty sets).
"""

from __future__ import annotations

import email.message
import logging
from typing import TYPE_CHECKING, Any

from wheelnext_pip._pip.registry import Call, PatchPoint, PatchSet
from wheelnext_pip.variants.errors import VariantError

if TYPE_CHECKING:
    from collections.abc import Callable

    from wheelnext_pip.variants.filenames import VariantWheelFilename
    from wheelnext_pip.variants.markers import VariantEnvironment
    from wheelnext_pip.variants.metadata import VariantMetadata
    from wheelnext_pip.variants.properties import VariantProperty

logger = logging.getLogger("wheelnext_pip")

SET_NAME = "variant-markers"
IMPORTLIB = "pip._internal.metadata.importlib._dists"
PKG_RESOURCES = "pip._internal.metadata.pkg_resources"
#: The wheel file name a distribution made from core metadata alone was read for.
_FILENAME_ATTRIBUTE = "_wheelnext_pip_wheel_filename"
#: Set on a pkg_resources distribution once its ``Requires-Dist`` has been rewritten.
_DONE_ATTRIBUTE = "_wheelnext_pip_markers_rewritten"
_REQUIRES_DIST = "requires-dist"
#: Every variant marker name (PEP 825) starts with it: a requirement without it is pip's
#: alone, and a run that meets none never imports the marker rules.
_MARKER_PREFIX = "variant_"

#: (variant.json text) or (project, version, label) -> the environment computed for it.
_ENVIRONMENTS: dict[tuple[str, ...], VariantEnvironment] = {}


# -- the machine -----------------------------------------------------------------------------


def supported_subset(document: VariantMetadata, label: str) -> frozenset[VariantProperty]:
    """The properties of ``label`` in ``document`` that this machine supports.

    Asks the machine of the variants feature (its providers, overrides, properties file and
    detection cache), so that markers see what wheel selection saw.
    """
    # The variants feature's machine: the one place that knows what this machine supports.
    from wheelnext_pip._pip import variant_run
    from wheelnext_pip.variants.providers import resolve_supported_properties

    machine = variant_run.machine()
    supported, _ = resolve_supported_properties(document, machine.settings, machine.answer)
    kept = []
    for prop in document.properties_of(label) or ():
        namespace = supported.get(prop.namespace)
        feature = namespace.feature(prop.feature) if namespace is not None else None
        if feature is not None and feature.supports(prop.value):
            kept.append(prop)
    return frozenset(kept)


def _index_document(project: str, version: str, label: str) -> VariantMetadata | None:
    """The release's ``-variants.json`` as the variants feature read it in this run."""
    from wheelnext_pip._pip import variant_run

    current = variant_run.run().judgment
    if current is None:
        return None
    for key, document in current.documents.items():
        if key.project == project and key.version == version and label in document.variants:
            return document
    return None


# -- a distribution's variant environment ----------------------------------------------------


def _variant_json(dist: Any) -> str | None:
    try:
        text = dist.read_text("variant.json")
    except (FileNotFoundError, KeyError, NotADirectoryError):
        return None
    return text if isinstance(text, str) else None


def _parsed_filename(dist: Any) -> VariantWheelFilename | None:
    """The variant file name a distribution was read from: the wheel pip opened, or the
    wheel whose core-metadata file pip read (PEP 658)."""
    from wheelnext_pip.variants.filenames import VariantWheelFilename, parse_wheel_filename

    filename = vars(dist).get(_FILENAME_ATTRIBUTE) if hasattr(dist, "__dict__") else None
    if not isinstance(filename, str):
        location = getattr(dist, "location", None)
        filename = str(location).replace("\\", "/").rsplit("/", 1)[-1] if location else ""
        if not filename.endswith(".whl"):
            return None
    parsed = parse_wheel_filename(filename)
    return parsed if isinstance(parsed, VariantWheelFilename) else None


def environment_of(dist: Any) -> VariantEnvironment:
    from wheelnext_pip._settings import canonicalize_name
    from wheelnext_pip.variants.markers import NON_VARIANT, VariantEnvironment

    project = canonicalize_name(str(dist.canonical_name))
    text = _variant_json(dist)
    if text is not None:
        key: tuple[str, ...] = ("variant.json", text)
        if key not in _ENVIRONMENTS:
            from wheelnext_pip.variants.metadata import parse_variant_metadata

            source = f"{project} {dist.version}: variant.json"
            document = parse_variant_metadata(text, source)
            labels = tuple(document.variants)
            if len(labels) != 1:
                # Legacy wheels carry the whole release's document: the file name decides.
                parsed = _parsed_filename(dist)
                if parsed is None or parsed.label not in labels:
                    raise VariantError("names more than one label; which is this wheel's?", source)
                labels = (parsed.label,)
            label = labels[0]
            _ENVIRONMENTS[key] = VariantEnvironment.of(label, supported_subset(document, label))
        return _ENVIRONMENTS[key]
    parsed = _parsed_filename(dist)
    if parsed is None:
        return NON_VARIANT
    version = str(dist.version)
    key = (project, version, parsed.label)
    if key not in _ENVIRONMENTS:
        index_document = _index_document(project, version, parsed.label)
        subset = (
            supported_subset(index_document, parsed.label) if index_document is not None else ()
        )
        _ENVIRONMENTS[key] = VariantEnvironment.of(parsed.label, subset)
    return _ENVIRONMENTS[key]


def _rewritten(message: Any, dist: Any) -> email.message.Message | None:
    """A copy of the metadata with its ``Requires-Dist`` rewritten; None when no value
    uses a variant marker (then pip reads its own metadata untouched)."""
    requires = [str(value) for value in message.get_all("Requires-Dist") or ()]
    if not any(_MARKER_PREFIX in value for value in requires):
        return None
    environment = environment_of(dist)
    logger.debug(
        "wheelnext-pip: variant markers of %s %s: label %r, properties %s",
        dist.canonical_name,
        dist.version,
        environment.label,
        sorted(environment.properties),
    )
    copied = email.message.Message()
    for name, value in message.items():
        if name.lower() == _REQUIRES_DIST:
            value = _rewrite_one(str(value), environment, dist)
        copied[name] = value
    return copied


def _rewrite_one(value: str, environment: VariantEnvironment, dist: Any) -> str:
    try:
        from wheelnext_pip.variants.markers import rewrite_requirement

        return rewrite_requirement(value.strip(), environment)
    except VariantError as exc:
        raise VariantError(
            exc.problem, f"{dist.canonical_name} {dist.version}: Requires-Dist"
        ) from None


class _Rewritten:
    """pip's distribution as ``iter_dependencies`` sees it, with other metadata: every
    attribute but the replaced ones is the distribution's own."""

    def __init__(self, dist: Any, **replaced: Any) -> None:
        vars(self).update(replaced)
        self._wheelnext_pip_dist = dist

    def __getattr__(self, name: str) -> Any:
        return getattr(self._wheelnext_pip_dist, name)


# -- hooks -------------------------------------------------------------------------------


def _importlib_iter_dependencies(call: Call, proceed: Callable[[], Any]) -> Any:
    dist = call["self"]
    message = _rewritten(dist.metadata, dist)
    if message is not None:
        call["self"] = _Rewritten(dist, metadata=message)
    return proceed()


def _pkg_resources_prepare(call: Call) -> None:
    """pkg_resources parses every ``Requires-Dist`` as soon as pip asks for the extras or
    the dependencies: its own copy of the metadata is rewritten, once, before either."""
    dist = call["self"]
    inner: Any = getattr(dist, "_dist", None)
    if inner is None or not hasattr(inner, "__dict__") or vars(inner).get(_DONE_ATTRIBUTE):
        return
    parsed = getattr(inner, "_parsed_pkg_info", None)  # only .dist-info has Requires-Dist
    message = _rewritten(parsed, dist) if parsed is not None else None
    if message is not None:
        # pkg_resources keeps the parsed metadata, and the requirements per extra.
        for attribute in list(vars(inner)):
            if attribute.endswith("__dep_map"):
                del vars(inner)[attribute]
        inner._pkg_info = message
    vars(inner)[_DONE_ATTRIBUTE] = True


def _raw_dependencies(call: Call, result: Any) -> Any:
    """pip 24+ also reads the raw strings and parses them itself: PEP 658 requires the
    core-metadata file and the wheel's METADATA to agree (pip 26.2+ checks it after the
    download), and pip 26.3 refuses direct URL dependencies of PyPI's distributions."""
    raws = [str(value) for value in result]
    if not any(_MARKER_PREFIX in value for value in raws):
        return raws
    dist = call["self"]
    environment = environment_of(dist)
    return [_rewrite_one(value, environment, dist) for value in raws]


def _note_wheel_filename(call: Call, result: Any) -> Any:
    """A distribution made from core metadata alone remembers its wheel's file name."""
    filename = call.get("filename")
    if isinstance(filename, str) and hasattr(result, "__dict__"):
        from wheelnext_pip.variants.filenames import may_be_variant

        if may_be_variant(filename):
            vars(result)[_FILENAME_ATTRIBUTE] = filename
    return result


def _uses_importlib() -> bool:
    """The metadata backend pip uses in this process (it never changes within a run)."""
    try:
        from pip._internal.metadata import _should_use_importlib_metadata
    except ImportError:
        return True
    return bool(_should_use_importlib_metadata())


def _points() -> tuple[PatchPoint, ...]:
    raw = PatchPoint(
        SET_NAME,
        "pip._internal.metadata.base",
        "BaseDistribution.iter_raw_dependencies",
        _raw_dependencies,
        params=("self",),
        required=False,  # pip 24.0+
        kind="after",
    )
    note = PatchPoint(
        SET_NAME,
        IMPORTLIB if _uses_importlib() else PKG_RESOURCES,
        "Distribution.from_metadata_file_contents",
        _note_wheel_filename,
        params=("cls", "metadata_contents", "filename"),
        required=False,
        kind="after",
    )
    if _uses_importlib():
        return (
            PatchPoint(
                SET_NAME, IMPORTLIB, "Distribution.iter_dependencies",
                _importlib_iter_dependencies, params=("self", "extras"), kind="around",
            ),
            raw,
            note,
        )  # fmt: skip
    return (
        PatchPoint(
            SET_NAME, PKG_RESOURCES, "Distribution.iter_dependencies",
            _pkg_resources_prepare, params=("self", "extras"), kind="before",
        ),
        PatchPoint(
            SET_NAME, PKG_RESOURCES, "Distribution.iter_provided_extras",
            _pkg_resources_prepare, params=("self",), kind="before",
        ),
        raw,
        note,
    )  # fmt: skip


#: Applied with the variants feature, for every command that reads dependencies.
VARIANT_MARKERS = PatchSet(
    SET_NAME,
    _points(),
    error_prefix="wheelnext-pip: ",
)

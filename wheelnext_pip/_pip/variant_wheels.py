"""Variant wheels pip did not choose from an index: named directly, or already installed.

- ``Factory._fail_if_link_is_unsupported_wheel`` checks a local variant wheel named
  directly (``pip install ./pkg-1.0-py3-none-any-cu12.whl``) against its own
  ``variant.json`` and this machine (PEP 825: never install unsupported properties).
- ``_InstallRequirementBackedCandidate._check_metadata_consistency`` does the same for a
  variant wheel named by URL, once pip has downloaded it.
- :func:`hint_other_variant`: pip keeps an installed release; one line says when another
  variant of it fits this machine better.

These points belong to the ``variants`` patch set (see :mod:`wheelnext_pip._pip.variants`,
which contains internal errors): a check that fails with one refuses the variant wheel.
"""

from __future__ import annotations

import json
import logging
import os
import zipfile
from typing import Any

from pip._internal.exceptions import UnsupportedWheel

from wheelnext_pip import _state
from wheelnext_pip._pip.registry import Call, PatchPoint
from wheelnext_pip._pip.variant_run import (
    Chosen,
    judge_pending,
    judgment,
    machine,
    run,
    url_of,
    variant_filename,
    warn_once,
)
from wheelnext_pip._settings import canonicalize_name
from wheelnext_pip.variants.errors import VariantError
from wheelnext_pip.variants.filenames import VariantWheelFilename

logger = logging.getLogger("wheelnext_pip")

FEATURE = "variants"


def _read_wheel_variant_json(path: str) -> bytes:
    try:
        with zipfile.ZipFile(path) as archive:
            names = [
                name
                for name in archive.namelist()
                if name.count("/") == 1 and name.split("/")[0].endswith(".dist-info")
            ]
            found = [name for name in names if name.endswith("/variant.json")]
            if len(found) != 1:
                raise VariantError(
                    "the wheel has no .dist-info/variant.json", os.path.basename(path)
                )
            return archive.read(found[0])
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, RuntimeError) as exc:
        # Not a zip, empty, truncated: pip's own one-line "invalid wheel" error.
        from pip._internal import exceptions

        invalid = getattr(exceptions, "InvalidWheel", None)
        if invalid is None:
            raise UnsupportedWheel(f"{os.path.basename(path)} is not a valid wheel") from None
        raise invalid(path, os.path.basename(path)) from exc


def _check_direct_variant(parsed: VariantWheelFilename, path: str, url: str) -> None:
    """A variant wheel named directly must fit this machine (PEP 825: never install
    unsupported properties); its own ``variant.json`` says what it needs."""
    from wheelnext_pip.variants.metadata import check_wheel_variant_json, parse_variant_metadata
    from wheelnext_pip.variants.ordering import describe_unsupported, rank_variants
    from wheelnext_pip.variants.providers import resolve_supported_properties

    try:
        document = parse_variant_metadata(_read_wheel_variant_json(path), parsed.filename)
        check_wheel_variant_json(document, parsed.label)
        here = machine()
        supported, _ = resolve_supported_properties(document, here.settings, here.answer)
        ranking = rank_variants(
            document.variants, document.namespace_priorities, supported, [parsed.label]
        )
    except VariantError as exc:
        raise UnsupportedWheel(f"{parsed.filename}: {exc}") from None
    if not ranking.is_eligible(parsed.label):
        properties = document.properties_of(parsed.label) or frozenset()
        raise UnsupportedWheel(
            f"{parsed.filename} is the variant {parsed.label!r}, which this machine does not "
            f"support: {describe_unsupported(properties, supported)}"
        )
    texts = sorted(str(prop) for prop in document.properties_of(parsed.label) or ())
    run().chosen_info[url] = Chosen(canonicalize_name(parsed.name), parsed.label, tuple(texts))
    _state.STATE.ledger.variant_chosen(url, parsed.label, texts)


def _check_chosen_variant(path: str, url: str, chosen: Chosen) -> None:
    """A variant wheel chosen by its index's metadata must be what that metadata says: its
    own ``variant.json`` names the label of its file name with the same properties (PEP 825).
    A wheel that lies is refused before anything is installed."""
    from wheelnext_pip.variants.metadata import parse_variant_metadata

    filename = os.path.basename(path)
    parsed = variant_filename(filename)
    try:
        if parsed is None or parsed.label != chosen.label:
            raise VariantError(f"was chosen as the variant {chosen.label!r}, but is not named so")
        document = parse_variant_metadata(_read_wheel_variant_json(path), filename)
        # Published wheels of the legacy format list every label of their release: the
        # file's own label must be among them, with the properties the index gave it.
        if parsed.label not in document.variants:
            raise VariantError(f"its variant.json does not describe {parsed.label!r}")
        own = sorted(str(prop) for prop in document.properties_of(parsed.label) or ())
        if own != sorted(chosen.properties):
            raise VariantError(
                f"its variant.json gives {parsed.label!r} the properties "
                f"[{'; '.join(own) or 'none'}], the index metadata "
                f"[{'; '.join(chosen.properties) or 'none'}]"
            )
    except VariantError as exc:
        raise VariantError(
            f"{filename} does not match the variant metadata it was chosen by: {exc.problem}"
        ) from None


def _prepare_linked_requirements_more(call: Call, result: Any) -> Any:
    """Every file is downloaded now, before anything is installed: check each variant wheel
    that was chosen by index metadata against its own ``variant.json``."""
    for req in call["reqs"]:
        link = getattr(req, "link", None)
        chosen = run().chosen_info.get(url_of(link)) if link is not None else None
        path = getattr(req, "local_file_path", None)
        if chosen is not None and isinstance(path, str) and os.path.isfile(path):
            _check_chosen_variant(path, url_of(link), chosen)
    return result


def _fail_if_link_is_unsupported_wheel(call: Call, result: Any) -> Any:
    """A local variant wheel named directly is checked at once."""
    link = call["link"]
    parsed = variant_filename(getattr(link, "filename", ""))
    if parsed is not None and getattr(link, "is_file", False):
        _check_direct_variant(parsed, link.file_path, url_of(link))
    return result


def _check_metadata_consistency(call: Call, result: Any) -> Any:
    """A variant wheel named by URL is checked once pip has downloaded it, before any
    installation starts."""
    candidate = call["self"]
    link = getattr(candidate, "_link", None)
    parsed = variant_filename(getattr(link, "filename", ""))
    if parsed is None or getattr(link, "is_file", True) or url_of(link) in run().chosen_info:
        return result  # not a variant, checked already, or chosen from an index
    path = getattr(getattr(candidate, "_ireq", None), "local_file_path", None)
    if isinstance(path, str) and os.path.isfile(path):
        _check_direct_variant(parsed, path, url_of(link))
    else:
        warn_once(
            f"direct:{url_of(link)}",
            f"{parsed.filename}: a variant wheel named by URL could not be checked against "
            "this machine (pip did not download it during resolution)",
        )
    return result


def _installed_label(dist: Any) -> str | None:
    try:
        variants = json.loads(dist.read_text("variant.json")).get("variants")
    except Exception:  # no variant.json: not a variant install
        return None
    return next(iter(variants), None) if isinstance(variants, dict) and len(variants) == 1 else None


def hint_other_variant(dist: Any, finder: Any) -> None:
    """pip keeps an installed release; say so when another variant of it would fit better."""
    label = _installed_label(dist)
    if label is None:
        return
    project, version = canonicalize_name(str(dist.canonical_name)), str(dist.version)
    rankings = judgment().rankings
    judged = any(key.project == project and key.version == version for key in rankings)
    if finder is not None and not judged:
        finder.find_best_candidate(project)  # pip took the installed one without asking
        judge_pending(project)
    for _, ranking in judgment().releases_of(project, version)[:1]:
        if ranking.labels and ranking.labels[0] != label and project not in run().announced:
            run().announced.add(project)
            logger.info(
                "wheelnext-pip: %s %s is installed as variant %s; variant %s fits this machine "
                "better (pip keeps an installed release: add --force-reinstall to switch)",
                project,
                version,
                label,
                ranking.labels[0],
            )


def _refuse_unchecked(call: Call, result: Any) -> Any:
    """What these checks answer when they failed with an internal error: a variant wheel that
    could not be checked is refused (PEP 825: never install unsupported properties)."""
    candidate_link = getattr(call.get("self"), "_link", None)
    links = [
        call.get("link"),
        candidate_link,
        *(getattr(r, "link", None) for r in call.get("reqs") or ()),
    ]
    for link in links:
        parsed = variant_filename(getattr(link, "filename", None) or "")
        if parsed is not None:
            raise UnsupportedWheel(
                f"{parsed.filename}: this variant wheel could not be checked against this machine"
            )
    return result


POINTS = (
    PatchPoint(
        FEATURE, "pip._internal.operations.prepare",
        "RequirementPreparer.prepare_linked_requirements_more", _prepare_linked_requirements_more,
        params=("self", "reqs"), kind="after", fallback=_refuse_unchecked,
    ),
    PatchPoint(
        FEATURE, "pip._internal.resolution.resolvelib.factory",
        "Factory._fail_if_link_is_unsupported_wheel", _fail_if_link_is_unsupported_wheel,
        params=("self", "link"), kind="after", fallback=_refuse_unchecked,
    ),
    PatchPoint(
        FEATURE, "pip._internal.resolution.resolvelib.candidates",
        "_InstallRequirementBackedCandidate._check_metadata_consistency",
        _check_metadata_consistency, params=("self", "dist"), kind="after",
        fallback=_refuse_unchecked,
    ),
)  # fmt: skip

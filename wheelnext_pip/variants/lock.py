"""Variant wheels in a PEP 751 lock file (``pylock.toml``), as PEP 825 describes them.

A locked release that has variant wheels lists every one of them (and its ordinary wheels)
as ``[[packages.wheels]]`` entries, and carries the release's combined variant metadata in
``[packages.variants-json]``: the structure of the index's ``-variants.json`` (JSON turned
into TOML, ``$schema`` kept). Entries of labels that no listed wheel carries may be left
out; the entry of every listed label is kept whole (variant markers need it).

Installing from the lock reads that table back as the release's metadata and ranks the
listed wheels by the same rules as from an index, without asking the index.

Pure: no pip, no run state, no I/O.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from wheelnext_pip.variants.errors import VariantError

if TYPE_CHECKING:
    from wheelnext_pip.variants.metadata import VariantMetadata

__all__ = [
    "LOCK_KEY",
    "LockedWheel",
    "combine_documents",
    "merge_wheel_entries",
    "metadata_from_table",
    "pick_wheel",
    "variants_table",
]

#: The key of a locked package's inlined variant metadata (PEP 825, "Lock files").
LOCK_KEY = "variants-json"


def combine_documents(documents: Sequence[Mapping[str, object]]) -> dict[str, object]:
    """One raw metadata document from the documents of one release's pages.

    The caller has checked that they agree (PEP 825 "metadata consistency"): the labels of
    all are united, the longest ``default-priorities.namespace`` is kept, everything else is
    the first document's.
    """
    if not documents:
        raise VariantError("no variant metadata to combine")
    combined = copy.deepcopy(dict(documents[0]))
    if len(documents) == 1:
        return combined
    variants: dict[str, object] = {}
    longest: list[object] = []
    for document in documents:
        listed = document.get("variants")
        if isinstance(listed, Mapping):
            for label, properties in listed.items():
                variants.setdefault(str(label), copy.deepcopy(properties))
        priorities = document.get("default-priorities")
        namespaces = priorities.get("namespace") if isinstance(priorities, Mapping) else None
        if isinstance(namespaces, list) and len(namespaces) > len(longest):
            longest = list(namespaces)
    combined["variants"] = dict(sorted(variants.items()))
    priorities = combined.get("default-priorities")
    if isinstance(priorities, dict) and longest:
        priorities["namespace"] = longest
    return combined


def _check_toml_value(value: object, where: str) -> None:
    """TOML has no null; a document holding one cannot be inlined."""
    if value is None:
        raise VariantError(f"{where} is null, which a TOML lock file cannot hold")
    if isinstance(value, Mapping):
        for key, item in value.items():
            _check_toml_value(item, f"{where}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_toml_value(item, f"{where}[{index}]")


def variants_table(document: Mapping[str, object], labels: Iterable[str]) -> dict[str, object]:
    """The ``[packages.variants-json]`` table of a release: its metadata document with the
    entries of the listed labels only (each kept whole), everything else unchanged."""
    listed = document.get("variants")
    if not isinstance(listed, Mapping):
        raise VariantError("the variant metadata has no variants table")
    wanted = set(labels)
    missing = sorted(wanted - set(listed))
    if missing:
        raise VariantError(f"the variant metadata does not list {', '.join(missing)}")
    table = {key: copy.deepcopy(value) for key, value in document.items() if key != "variants"}
    table["variants"] = {
        label: copy.deepcopy(properties) for label, properties in listed.items() if label in wanted
    }
    _check_toml_value(table, LOCK_KEY)
    return table


def metadata_from_table(table: object, source: str) -> VariantMetadata:
    """A locked release's ``[packages.variants-json]`` read back as its variant metadata
    (the same checks as a ``-variants.json`` from an index); ``source`` names it in errors."""
    from wheelnext_pip.variants.metadata import parse_variant_metadata

    if not isinstance(table, Mapping):
        raise VariantError("must be a table", source)
    try:
        data = json.dumps(table)
    except (TypeError, ValueError) as exc:  # TOML dates and times have no JSON form
        raise VariantError(f"holds a value variant metadata cannot have ({exc})", source) from None
    return parse_variant_metadata(data, source)


@dataclass(frozen=True)
class LockedWheel:
    """One ``[[packages.wheels]]`` entry, as the installer sees it."""

    #: The entry's position in the package's wheel list.
    index: int
    #: ``None`` for an ordinary wheel.
    label: str | None
    #: The place of the wheel's best tag among this interpreter's tags (0 is best);
    #: ``None`` when no tag of the wheel fits.
    tag_rank: int | None


def pick_wheel(wheels: Sequence[LockedWheel], best_label: str | None) -> LockedWheel | None:
    """The wheel to install: the best tag among the wheels of ``best_label`` (the best
    variant the machine supports that the lock lists), else the best ordinary wheel.

    ``best_label`` is ``None`` when no variant wheel may be taken; ordinary wheels are then
    the only choice, as from an index (PEP 825: the best variant beats ``null``, which
    beats ordinary wheels, at one version).
    """
    fitting = [wheel for wheel in wheels if wheel.tag_rank is not None]
    chosen = [wheel for wheel in fitting if best_label is not None and wheel.label == best_label]
    if not chosen:
        chosen = [wheel for wheel in fitting if wheel.label is None]
    return min(chosen, key=lambda wheel: (wheel.tag_rank, wheel.index), default=None)


def merge_wheel_entries(
    own: Sequence[Mapping[str, object]], more: Iterable[Mapping[str, object]]
) -> list[dict[str, object]]:
    """pip's own ``[[packages.wheels]]`` entries kept as pip wrote them, the other wheels of
    the release added; sorted by file name so that a lock does not depend on the machine
    that made it."""
    entries = {str(entry.get("name")): dict(entry) for entry in own}
    for entry in more:
        entries.setdefault(str(entry.get("name")), dict(entry))
    return [entries[name] for name in sorted(entries)]

"""Wheel variants in lock files: ``pip lock`` writes them, ``pip install -r pylock.toml``
chooses among them (PEP 751 + PEP 825 "Lock files").

Writing (``pip lock``, pip 25.1+):

- ``Resolver.resolve``: for each locked release that has variant wheels, every wheel of
  that release that pip's finder accepted for this interpreter is gathered (every variant
  whose label the release's metadata lists, and the ordinary wheels), with the hash the
  index page gives; a wheel listed without a hash (a ``--find-links`` folder, a page
  without hash fragments) is downloaded with pip's session and hashed (sha256), as pip
  hashes the wheel it chose.
- ``tomli_w.dumps`` (the writer pip hands the lock to): those wheels join pip's own entry
  in ``[[packages.wheels]]``, and the release's metadata is inlined as
  ``[packages.variants-json]``. A release without variant wheels is left as pip wrote it.

Installing (pip 26.2+, which installs from a lock):

- ``_get_pylock_path_or_url_content``: the ``[packages.variants-json]`` tables of the lock
  are noted (pip's vendored ``packaging.pylock`` ignores the key).
- ``packaging.pylock.parse_wheel_filename``: a variant wheel's name is read without its
  label, so that pip's validation of the lock accepts it.
- ``select_from_pylock_path_or_url``: of a locked package's wheels, the one to install is
  the best variant this machine supports by the inlined metadata (the same judgment as
  from an index, :mod:`wheelnext_pip.variants.judgment`), else an ordinary wheel; no
  index is asked. The wheel pip then gets is judged again and, once downloaded, checked
  against its own ``variant.json`` by the points of the ``variants`` set.

The policy (the table, reading it back, the choice) is :mod:`wheelnext_pip.variants.lock`.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

from wheelnext_pip import _state
from wheelnext_pip._pip.registry import Call, PatchPoint, PatchSet, Proceed
from wheelnext_pip._pip.variant_run import (
    filename_of,
    judgment,
    run,
    source_of,
    url_of,
    variant_filename,
    warn_once,
)
from wheelnext_pip._record import field, record
from wheelnext_pip._settings import canonicalize_name
from wheelnext_pip.variants.errors import VariantError

__all__ = ["VARIANT_LOCK", "VARIANT_LOCK_INSTALL"]

logger = logging.getLogger("wheelnext_pip")

WRITE_SET = "variant-lock"
READ_SET = "variant-lock-install"


@record
class _LockRun:
    #: (project, version) -> (the release's other wheel entries, its variants-json table).
    releases: dict[tuple[str, str], tuple[list[dict[str, object]], dict[str, object]]] = field(
        default_factory=dict
    )
    #: lock path or URL -> (project, version) -> its raw ``[packages.variants-json]``.
    tables: dict[str, dict[tuple[str, str], object]] = field(default_factory=dict)
    #: This interpreter's tags, best first, as pip's lock selection uses them.
    tag_order: dict[Any, int] | None = None


def _lock() -> _LockRun:
    """This pip run's record of the lock hooks (kept in the run ledger)."""
    return _state.STATE.ledger.feature_record(WRITE_SET, _LockRun)


def _normal_version(text: str) -> str:
    from pip._vendor.packaging.version import InvalidVersion, Version

    try:
        return str(Version(text))
    except InvalidVersion:
        return text


# -- writing -------------------------------------------------------------------------------


def _resolved(call: Call, result: Any) -> Any:
    """pip's resolver settled every locked release: gather the wheels of those that have
    variant wheels."""
    finder = getattr(getattr(call["self"], "factory", None), "_finder", None)
    requirements = getattr(result, "requirements", {})
    if finder is None:
        return result
    for ireq in requirements.values():
        link = getattr(ireq, "link", None)
        if link is None or getattr(ireq, "is_direct", False) or ireq.name is None:
            continue
        _note_release(finder, canonicalize_name(str(ireq.name)), link)
    return result


def _members(link: Any) -> list[Any]:
    from wheelnext_pip._pip.variants import sibling_links

    return sibling_links(link) or [link]


def _note_release(finder: Any, project: str, chosen: Any) -> None:
    from wheelnext_pip.variants.lock import combine_documents, variants_table

    chosen_url = url_of(chosen)
    candidates = finder.find_all_candidates(project)
    version = next(
        (
            candidate.version
            for candidate in candidates
            if any(url_of(member) == chosen_url for member in _members(candidate.link))
        ),
        None,
    )
    if version is None:
        return
    # A yanked file is taken only when pinned (PEP 592): only when pip took a yanked one.
    yanked_ok = bool(getattr(chosen, "is_yanked", False))
    links = [
        member
        for candidate in candidates
        if candidate.version == version
        and candidate.link.is_wheel
        and (yanked_ok or not candidate.link.is_yanked)
        for member in _members(candidate.link)
    ]
    if not any(variant_filename(filename_of(link)) for link in links):
        return  # no variant wheel: the lock stays as pip writes it
    version_text = str(version)
    judged = judgment()
    from wheelnext_pip.variants.judgment import ReleaseKey

    group = judged.group_of(source_of(chosen))
    pages = judged.pages.get((project, version_text), {})
    documents: list[dict[str, object]] = []
    usable_sources = set()
    for source, page in pages.items():
        if judged.group_of(source) != group:
            continue
        ranking = judged.ranking(ReleaseKey(project, version_text, source))
        raw = run().raw_documents.get(page.url)
        if isinstance(ranking, str) or raw is None:
            continue
        usable_sources.add(source)
        documents.append(json.loads(raw))
    if not documents:
        return  # its variants cannot be used here: pip's own entry is all there is
    combined = combine_documents(documents)
    listed = combined.get("variants")
    known = set(listed) if isinstance(listed, dict) else set()
    kept = []
    for link in links:
        parsed = variant_filename(filename_of(link))
        if parsed is None or (source_of(link) in usable_sources and parsed.label in known):
            kept.append(link)
    labels = {
        parsed.label for parsed in (variant_filename(filename_of(link)) for link in kept) if parsed
    }
    if not labels:
        return
    kept.sort(key=filename_of)
    entries = [_wheel_entry(link) for link in kept if url_of(link) != chosen_url]
    table = variants_table(combined, labels)
    _lock().releases[(project, _normal_version(version_text))] = (entries, table)


def _wheel_entry(link: Any) -> dict[str, object]:
    """A ``[[packages.wheels]]`` entry as pip writes its own (name, url, hashes)."""
    hash_name, hash_value = getattr(link, "hash_name", None), getattr(link, "hash", None)
    if hash_name and hash_value:
        hashes = {str(hash_name): str(hash_value)}
    else:
        hashes = {"sha256": _download_sha256(link)}
    # The name the page declares (PEP 691 ``filename``): a variant's label is in it.
    return {"name": filename_of(link), "url": link.url_without_fragment, "hashes": hashes}


def _download_sha256(link: Any) -> str:
    """The page or folder gives no hash: the lock still needs one (PEP 751), so the wheel is
    downloaded with pip's session and hashed; nothing is kept."""
    logger.info(
        "wheelnext-pip: %s: no hash is listed for it; downloading it to hash it for the lock",
        link.filename,
    )
    try:
        response = run().session.get(link.url_without_fragment, stream=True)
        response.raise_for_status()
        digest = hashlib.sha256()
        for chunk in response.iter_content(chunk_size=1 << 16):
            digest.update(chunk)
    except Exception as exc:
        raise VariantError(
            f"cannot be downloaded to hash it for the lock ({type(exc).__name__}: {exc})",
            link.filename,
        ) from None
    return digest.hexdigest()


def _dumps(call: Call) -> None:
    """The lock pip is about to write: the gathered wheels and tables join their packages."""
    from wheelnext_pip.variants.lock import LOCK_KEY, merge_wheel_entries

    if not _lock().releases:
        return
    document = call["obj"]
    packages = document.get("packages") if isinstance(document, dict) else None
    if not isinstance(packages, list):
        return
    changed = []
    for package in packages:
        key = (str(package.get("name")), _normal_version(str(package.get("version"))))
        found = _lock().releases.get(key)
        wheels = package.get("wheels")
        if found is None or not isinstance(wheels, list):
            changed.append(package)
            continue
        entries, table = found
        package = {**package, "wheels": merge_wheel_entries(wheels, entries), LOCK_KEY: table}
        changed.append(package)
    call["obj"] = {**document, "packages": changed}


VARIANT_LOCK = PatchSet(
    WRITE_SET,
    (
        PatchPoint(
            WRITE_SET, "pip._internal.resolution.resolvelib.resolver", "Resolver.resolve",
            _resolved, params=("self", "root_reqs"), kind="after", required=False,
        ),
        PatchPoint(
            WRITE_SET, "pip._vendor.tomli_w", "dumps", _dumps, params=("obj",),
            kind="before", required=False,
        ),
    ),
    commands=frozenset({"lock"}),
    error_prefix="wheelnext-pip: ",
)  # fmt: skip


# -- installing ----------------------------------------------------------------------------


def _lock_content(call: Call, result: Any) -> Any:
    """The lock's text, as pip read it: note its ``[packages.variants-json]`` tables."""
    from wheelnext_pip._toml import loads
    from wheelnext_pip.variants.lock import LOCK_KEY

    try:
        data = loads(result)
    except Exception:
        return result  # pip says why the lock is invalid
    tables: dict[tuple[str, str], object] = {}
    packages = data.get("packages")
    for package in packages if isinstance(packages, list) else ():
        if isinstance(package, dict) and LOCK_KEY in package:
            key = (
                canonicalize_name(str(package.get("name"))),
                _normal_version(str(package.get("version", ""))),
            )
            tables[key] = package[LOCK_KEY]
    _lock().tables[str(call["path_or_url"])] = tables
    return result


def _wheel_name_without_label(call: Call) -> None:
    """A variant wheel's name is an ordinary wheel name plus a label (PEP 825)."""
    filename = call["filename"]
    parsed = variant_filename(filename) if isinstance(filename, str) else None
    if parsed is not None:
        call["filename"] = parsed.without_label


def _tag_rank(filename: str) -> int | None:
    from pip._vendor.packaging.tags import sys_tags
    from pip._vendor.packaging.utils import InvalidWheelFilename, parse_wheel_filename

    record = _lock()
    if record.tag_order is None:
        record.tag_order = {tag: rank for rank, tag in enumerate(sys_tags())}
    order = record.tag_order
    parsed = variant_filename(filename)
    try:
        tags = parse_wheel_filename(parsed.without_label if parsed else filename)[3]
    except InvalidWheelFilename:
        return None
    ranks = [order[tag] for tag in tags if tag in order]
    return min(ranks, default=None)


def _select(call: Call, proceed: Proceed) -> Any:
    """What to install of each locked package: the variant wheel this machine supports."""
    source = str(call["pylock_path_or_url"])
    selected = list(proceed())
    tables = _lock().tables.get(source, {})
    return [(package, _choose(source, tables, package, dist)) for package, dist in selected]


def _choose(source: str, tables: dict[tuple[str, str], object], package: Any, dist: Any) -> Any:
    from wheelnext_pip.index_groups import redact_url
    from wheelnext_pip.variants.judgment import MetadataPage, ReleaseKey
    from wheelnext_pip.variants.lock import LOCK_KEY, LockedWheel, metadata_from_table, pick_wheel

    wheels = list(package.wheels or ())
    if not any(dist is wheel for wheel in wheels):
        return dist  # an sdist, a directory, an archive: nothing to choose
    labels = [variant_filename(wheel.filename) for wheel in wheels]
    if not any(labels):
        return dist
    project = canonicalize_name(str(package.name))
    version = str(package.version) if package.version is not None else ""
    if not version:
        from pip._vendor.packaging.utils import parse_wheel_filename

        first = next(parsed for parsed in labels if parsed)
        version = str(parse_wheel_filename(first.without_label)[1])
    where = f"{redact_url(source)}: {project} {version}"
    locked = [
        LockedWheel(index, parsed.label if parsed else None, _tag_rank(wheel.filename))
        for index, (wheel, parsed) in enumerate(zip(wheels, labels))
    ]
    table = tables.get((project, _normal_version(version)))
    best: str | None = None
    ordinary = True
    refused: list[str] = []
    if table is None:
        warn_once(
            f"lock:{source}:{project}",
            f"{where}: variant wheels are listed without [packages.{LOCK_KEY}]; they are skipped",
        )
    else:
        metadata = metadata_from_table(table, f"{where} [packages.{LOCK_KEY}]")
        key = ReleaseKey(project, version, source)
        page = MetadataPage(f"{source}#{project}-{version}-variants.json")
        run().documents[page.url] = metadata
        judged = judgment()
        judged.note_page(project, version, source, page)
        present = {w.label for w in locked if w.label is not None and w.tag_rank is not None}
        judged.note_labels(key, present)
        outcome = judged.best_present_label(key)
        if outcome is not None:
            ranking, best = outcome
            ordinary = ranking.is_eligible(None)
            refused = [
                f"{label}: {judged.exclusion_reason(key, ranking, label)}"
                for label in sorted(present)
                if not ranking.is_eligible(label)
            ]
    candidates = locked if ordinary else [w for w in locked if w.label is not None]
    chosen = pick_wheel(candidates, best)
    if chosen is not None:
        return wheels[chosen.index]
    if package.sdist is not None:
        return package.sdist
    detail = f" ({'; '.join(refused)})" if refused else ""
    raise VariantError(f"no wheel the lock lists fits this machine{detail}", where)


VARIANT_LOCK_INSTALL = PatchSet(
    READ_SET,
    (
        PatchPoint(
            READ_SET, "pip._internal.utils.pylock", "_get_pylock_path_or_url_content",
            _lock_content, params=("path_or_url", "session"), kind="after", required=False,
        ),
        PatchPoint(
            READ_SET, "pip._vendor.packaging.pylock", "parse_wheel_filename",
            _wheel_name_without_label, params=("filename",), kind="before", required=False,
        ),
        PatchPoint(
            READ_SET, "pip._internal.req.constructors", "parse_wheel_filename",
            _wheel_name_without_label, params=("filename",), kind="before", required=False,
        ),
        PatchPoint(
            READ_SET, "pip._internal.cli.req_command", "select_from_pylock_path_or_url",
            _select, params=("pylock_path_or_url", "session"), kind="around", required=False,
        ),
    ),
    commands=frozenset({"install", "download", "wheel"}),
    # The choice protects as much as it selects (PEP 825: never install unsupported
    # properties): pip's own choice by tags alone must not go on after a failure of ours.
    fail_closed=True,
    risk="install a variant wheel chosen by its tags alone",
    error_prefix="wheelnext-pip: ",
)  # fmt: skip

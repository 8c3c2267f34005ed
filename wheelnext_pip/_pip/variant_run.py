"""What the variant hooks learn in one pip run, shared by the wheel-selection hooks
(:mod:`wheelnext_pip._pip.variants`) and the checks of directly named variant wheels
(:mod:`wheelnext_pip._pip.variant_wheels`); ``explain`` reads the judgment from here.

The judgment itself (combining pages, ranking, reasons) is the pure
:class:`wheelnext_pip.variants.judgment.Judgment`; this module hands it its I/O: fetching a
``-variants.json`` with pip's session, the index group of a page, and this machine.
"""

from __future__ import annotations

import hashlib
import logging
from typing import TYPE_CHECKING, Any

from wheelnext_pip import _state
from wheelnext_pip._record import field, record
from wheelnext_pip._settings import Settings, canonicalize_name
from wheelnext_pip.variants.errors import VariantError, VariantHashMismatch
from wheelnext_pip.variants.filenames import (
    VariantWheelFilename,
    may_be_variant,
    parse_wheel_filename,
)

if TYPE_CHECKING:
    from wheelnext_pip._pip.variant_machine import Machine
    from wheelnext_pip.variants.judgment import Judgment, MetadataPage, ReleaseKey
    from wheelnext_pip.variants.metadata import VariantMetadata
    from wheelnext_pip.variants.ordering import VariantRanking

logger = logging.getLogger("wheelnext_pip")

#: PEP 825 caps metadata documents; a larger answer is not a variants file.
MAX_METADATA_BYTES = 16 * 1024 * 1024


@record
class Siblings:
    """Variant wheels of one release that differ only in their label: the same tags, the same
    page, the same yank, Requires-Python and upload-time. pip evaluates one of them (the
    representative) and its verdict holds for all; the resolver then gets the one this
    machine should take. A release with 100 variants costs pip one file, not 100."""

    #: Set once pip accepted the representative.
    release: ReleaseKey | None
    #: label -> its wheel.
    members: dict[str, Any]
    #: To make every member a candidate of its own (hash pins, the legacy resolver).
    finder: Any
    link_evaluator: Any
    #: Whether pip's candidates were made from every member, and those candidates.
    expanded: bool = False
    made: list[Any] = field(default_factory=list)


@record(frozen=True)
class Chosen:
    """A variant wheel that may be chosen, for the report and the info line."""

    project: str
    label: str
    properties: tuple[str, ...]


@record
class Run:
    """Everything the hooks learned in this pip run."""

    judgment: Judgment | None = None
    machine: Machine | None = None
    session: Any = None
    #: metadata URL -> the document, or the one-line reason it cannot be used.
    documents: dict[str, VariantMetadata | str] = field(default_factory=dict)
    #: representative's URL -> its set of variant wheels (see :class:`Siblings`).
    siblings: dict[str, Siblings] = field(default_factory=dict)
    #: wheel URL -> (release, label) of variant wheels pip lists one by one (not grouped as
    #: siblings), before their release is judged.
    pending: dict[str, tuple[ReleaseKey, str]] = field(default_factory=dict)
    #: wheel URL -> its place after the version in pip's sort key (larger is better).
    ranks: dict[str, int] = field(default_factory=dict)
    #: wheel URL -> the variant wheel that may be chosen there.
    chosen_info: dict[str, Chosen] = field(default_factory=dict)
    #: Set while pip's legacy resolver asks for a requirement: it takes the best candidate's
    #: file as it is, so every file is judged before the choice.
    judge_at_once: bool = False
    warned: set[str] = field(default_factory=set)
    announced: set[str] = field(default_factory=set)
    #: pip's index options, for installing trusted provider plugins from the same places.
    index_arguments: list[str] = field(default_factory=list)
    #: file URL -> the ``filename`` a PEP 691 JSON page gives for it, where that is a
    #: ``-variants.json`` and the URL's last part differs (PEP 825: the URL is insignificant).
    declared_names: dict[str, str] = field(default_factory=dict)
    #: metadata URL -> the bytes of a document that parsed (``pip lock`` inlines them).
    raw_documents: dict[str, bytes] = field(default_factory=dict)


def run() -> Run:
    """This pip run's record of the variants feature (kept in the run ledger, so that one
    reset forgets everything a run learned)."""
    return _state.STATE.ledger.feature_record("variants", Run)


def settings() -> Settings:
    current = _state.STATE.settings
    if current is None:
        raise VariantError("settings are not loaded")
    return current


def warn_once(key: str, message: str) -> None:
    if key not in run().warned:
        run().warned.add(key)
        logger.warning("wheelnext-pip: %s", message)


def inform_once(key: str, message: str) -> None:
    if key not in run().warned:
        run().warned.add(key)
        logger.info("wheelnext-pip: %s", message)


def contained(where: str, exc: BaseException) -> None:
    """An unexpected error in one hook call: say it once, keep judging everything else.

    Variants protect as much as they select (PEP 825: never install a wheel whose properties
    this machine lacks), so a failure never switches the feature off: each caller then
    leaves out the variant wheels it was handling, and pip goes on with the rest.
    """
    from wheelnext_pip.variants.judgment import short

    warn_once(
        f"internal:{where}",
        f"internal error while {where} ({type(exc).__name__}: {short(str(exc))}); "
        "the variant wheels involved are skipped",
    )
    logger.debug("wheelnext-pip: traceback of the internal error", exc_info=exc)


def machine() -> Machine:
    record = run()
    if record.machine is None:
        # Detection and the providers load with the first release that has variant wheels.
        from wheelnext_pip._pip.variant_machine import load_machine

        record.machine = load_machine(settings(), lambda: tuple(record.index_arguments))
    return record.machine


def judgment() -> Judgment:
    """The run's judgment, made with the settings in force when it is first needed (most
    pip runs meet no variant wheel: the module is imported then)."""
    record = run()
    if record.judgment is None:
        from wheelnext_pip.variants.judgment import Judgment

        record.judgment = Judgment(
            fetch=fetch_metadata,
            group_of=group_of_source,
            machine=machine,
            variant_labels=settings().variant_labels,
            warn=warn_once,
            inform=inform_once,
            trace=_trace_judging_error,
        )
    return record.judgment


def _trace_judging_error(exc: BaseException) -> None:
    logger.debug("wheelnext-pip: traceback of the judging error", exc_info=exc)


#: file name -> its variant parse (None: not a variant name). pip asks for the same names
#: many times (link evaluation, every sort-key computation); a page may list thousands.
_FILENAMES: dict[str, VariantWheelFilename | None] = {}


def variant_filename(filename: str) -> VariantWheelFilename | None:
    if not may_be_variant(filename):
        return None  # most names: not even remembered
    if filename in _FILENAMES:
        return _FILENAMES[filename]
    parsed = parse_wheel_filename(filename)
    result = parsed if isinstance(parsed, VariantWheelFilename) else None
    _FILENAMES[filename] = result
    return result


def url_of(link: Any) -> str:
    return str(link.url).split("#", 1)[0]


def source_of(link: Any) -> str:
    """Where a link was listed: its page, or the folder of a ``--find-links`` file."""
    comes_from = getattr(link, "comes_from", None)
    if isinstance(comes_from, str):
        return comes_from
    page_url = getattr(comes_from, "url", None)
    if isinstance(page_url, str):
        return page_url
    return url_of(link).rsplit("/", 1)[0]


def group_of_source(source: str) -> str:
    """The index group of a page: pages of one group may describe one release together.
    Without ranked groups every location pip has is one group."""
    current = settings()
    if not current.ranks_indexes:
        return ""
    from wheelnext_pip.index_groups import layout_of

    return layout_of(current).group_of(source.rstrip("/").rsplit("/", 1)[0])


def filename_of(link: Any) -> str:
    """A file's name: the one its JSON index page declares, else the URL's last part."""
    if run().declared_names:
        declared = run().declared_names.get(url_of(link))
        if declared is not None:
            return declared
    return str(link.filename)


def fetch_metadata(page: MetadataPage) -> VariantMetadata | str:
    """A ``-variants.json`` fetched with pip's session (once per URL), checked against the
    hash the index gives, parsed; or the one-line reason it cannot be used."""
    from wheelnext_pip.variants.metadata import parse_variant_metadata

    link = page.handle
    url = page.url
    if url in run().documents:
        return run().documents[url]
    try:
        response = run().session.get(url, headers={"Accept": "application/json"}, stream=True)
        response.raise_for_status()
        declared = str(response.headers.get("Content-Length", ""))
        if declared.isdigit() and int(declared) > MAX_METADATA_BYTES:
            raise VariantError("larger than 16 MiB", url)
        data = response.content
        if len(data) > MAX_METADATA_BYTES:
            raise VariantError("larger than 16 MiB", url)
        hash_name = str(getattr(link, "hash_name", None) or "")
        expected = getattr(link, "hash", None)
        checkable = expected and hash_name in hashlib.algorithms_available
        if checkable and hashlib.new(hash_name, data).hexdigest() != expected:
            problem = f"{hash_name} hash does not match the index"
            if _state.STATE.command.require_hashes:
                raise VariantHashMismatch(f"{problem} (pip checks hashes: --require-hashes)", url)
            raise VariantError(problem, url)
        document: VariantMetadata | str = parse_variant_metadata(data, filename_of(link))
        run().raw_documents[url] = data
    except VariantHashMismatch:
        raise
    except VariantError as exc:
        document = str(exc)
    except Exception as exc:  # network errors: the version's variants cannot be judged
        document = f"{filename_of(link)}: cannot be fetched ({type(exc).__name__}: {exc})"
    if isinstance(document, str):
        warn_once(url, f"{document}; its variant wheels are skipped")
    run().documents[url] = document
    return document


def judge_pending(project: str) -> None:
    """Judge every release of ``project`` seen so far (``explain`` shows them all)."""
    name = canonicalize_name(project)
    releases = [key for key, _ in run().pending.values()]
    releases += [siblings.release for siblings in run().siblings.values() if siblings.release]
    for key in dict.fromkeys(releases):
        if key.project == name:
            judgment().ranking(key)


# -- what explain reads ----------------------------------------------------------------------


def run_rankings() -> dict[ReleaseKey, VariantRanking | str]:
    """Every release judged in this run (for ``explain``)."""
    current = run().judgment
    return {} if current is None else dict(current.rankings)


def run_provider_sources() -> dict[ReleaseKey, dict[str, str]]:
    """namespace -> where its properties came from, per judged release (for ``explain``)."""
    current = run().judgment
    if current is None:
        return {}
    return {key: dict(value) for key, value in current.provider_sources.items()}


def run_exclusions() -> dict[ReleaseKey, dict[str, str]]:
    """label -> why it was left out, per release (for ``explain``)."""
    current = run().judgment
    return {} if current is None else current.exclusions()

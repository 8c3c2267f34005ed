"""pip's wheel selection: wheel variants (PEP 825 + PEP 850).

- ``Wheel.__init__`` (and, from pip 24.0, the ``--find-links`` directory scan) understand
  variant file names: the label is taken off, pip parses the rest as usual.
- ``PackageFinder.evaluate_links`` notes the ``{name}-{version}-variants.json`` files each
  page or folder lists (pip drops them as unsupported), and hands pip one representative per
  set of variant wheels that differ only in their label: pip's verdict on one holds for all.
- ``Factory._make_candidate_from_link`` judges a release when the resolver first reaches it
  (its metadata fetched, the providers asked) and swaps the representative for the best
  variant this machine supports; ``CandidateEvaluator.get_applicable_candidates`` keeps the
  judged ranks and ``_sort_key`` puts the variant rank right after the version, so the best
  variant beats ``null``, which beats ordinary wheels and sdists.
- ``Factory._fail_if_link_is_unsupported_wheel`` checks a variant wheel named directly.
- ``Resolver.resolve`` says which variant was chosen, once per project.

The policy (file names, metadata, providers, ranking) lives in :mod:`wheelnext_pip.variants`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import platform
import zipfile
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from pip._internal.exceptions import InstallationError, UnsupportedWheel

from wheelnext_pip import _state
from wheelnext_pip._pip import report
from wheelnext_pip._pip.registry import (
    PatchPoint,
    PatchSet,
    argument,
    with_argument,
)
from wheelnext_pip._settings import Settings, canonicalize_name
from wheelnext_pip.variants.errors import VariantError
from wheelnext_pip.variants.filenames import (
    VariantWheelFilename,
    may_be_variant,
    parse_variants_json_filename,
    parse_wheel_filename,
)

if TYPE_CHECKING:
    from wheelnext_pip.variants.metadata import VariantMetadata
    from wheelnext_pip.variants.ordering import VariantRanking
    from wheelnext_pip.variants.properties import NamespaceProperties
    from wheelnext_pip.variants.providers import ProviderDecision, ProviderSettings

# The modules that judge a release (metadata, providers, detection, ranking) are imported
# when a release with variant wheels is first judged: most pip runs never meet one.
# ``LATE_IMPORTS`` lets pip 26.3 import them before its install-time import guard.
LATE_IMPORTS = (
    "wheelnext_pip.variants.cache",
    "wheelnext_pip.variants.detect",
    "wheelnext_pip.variants.metadata",
    "wheelnext_pip.variants.ordering",
    "wheelnext_pip.variants.properties",
    "wheelnext_pip.variants.providers",
)

logger = logging.getLogger("wheelnext_pip")

FEATURE = "variants"
FINDER = "pip._internal.index.package_finder"
#: PEP 825 caps metadata documents; a larger answer is not a variants file.
MAX_METADATA_BYTES = 16 * 1024 * 1024


@dataclass
class _Machine:
    """What this machine supports, asked once per namespace and provider per process."""

    settings: ProviderSettings
    answers: dict[tuple[object, ...], NamespaceProperties | None] = field(default_factory=dict)
    #: namespace -> (decision source, where the properties came from, notes) for doctor/explain.
    origins: dict[str, str] = field(default_factory=dict)

    #: Detection answers kept on disk across runs (None: not loaded yet).
    stored: dict[str, NamespaceProperties | None] | None = None
    store_key: str = ""

    def detect(self, namespace: str) -> NamespaceProperties | None:
        """A built-in provider's answer: from the on-disk cache while the machine's
        fingerprint (driver, GPUs, CPU flags, override variables) is unchanged."""
        from wheelnext_pip.variants.cache import (
            detection_cache_key,
            load_detection_cache,
            store_detection_cache,
        )
        from wheelnext_pip.variants.detect import detect_builtin

        folder = _detection_cache_dir()
        if self.stored is None:
            self.stored = {}
            if folder is not None:
                self.store_key = detection_cache_key(_fingerprint())
                self.stored = load_detection_cache(folder, self.store_key) or {}
        if namespace in self.stored:
            return self.stored[namespace]
        detection = detect_builtin(namespace, environ=os.environ)
        for note in detection.notes:
            logger.debug("wheelnext-pip: %s", note)
        self.stored[namespace] = detection.properties
        if folder is not None:
            store_detection_cache(folder, self.store_key, self.stored)
        return detection.properties

    def answer(self, decision: ProviderDecision) -> NamespaceProperties | None:
        if decision.source == "builtin":
            key: tuple[object, ...] = ("builtin", decision.namespace)
            if key not in self.answers:
                self.answers[key] = self.detect(decision.namespace)
            return self.answers[key]
        key = ("plugin", decision.namespace, decision.requires, decision.plugin_api)
        if key not in self.answers:
            # Imported only when a trusted plugin must run (rare; resolution has not reached
            # installation, so pip's late-import guard is not involved).
            from wheelnext_pip.variants import plugins

            environment = plugins.PluginEnvironment(
                cache_dir=_pip_cache_dir(), pip_install_args=tuple(_RUN.index_arguments)
            )
            self.answers[key] = plugins.answer_trusted_plugin(
                decision,
                environment=environment,
                trusted=self.settings.trust_providers,
                require_hashes=bool(getattr(_state.STATE.command_options, "require_hashes", False)),
            )
        return self.answers[key]


@dataclass
class _Siblings:
    """Variant wheels of one release that differ only in their label: the same tags, the same
    page, the same yank, Requires-Python and upload-time. pip evaluates one of them (the
    representative) and its verdict holds for all; the resolver then gets the one this
    machine should take. A release with 100 variants costs pip one file, not 100."""

    #: (source, project, version), set once pip accepted the representative.
    release: tuple[str, str, str] | None
    #: label -> its wheel.
    members: dict[str, Any]
    #: To make every member a candidate of its own (hash pins, the legacy resolver).
    finder: Any
    link_evaluator: Any
    #: Whether pip's candidates were made from every member, and those candidates.
    expanded: bool = False
    made: list[Any] = field(default_factory=list)


@dataclass
class _Run:
    """Everything the hooks learned in this pip run."""

    machine: _Machine | None = None
    session: Any = None
    #: (project, version) -> source -> the ``-variants.json`` link listed there, in the
    #: order pip listed the sources.
    metadata_links: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    #: metadata URL -> the document, or the one-line reason it cannot be used.
    documents: dict[str, VariantMetadata | str] = field(default_factory=dict)
    #: (source, project, version) -> ranking, or why the version's variants are unusable.
    rankings: dict[tuple[str, str, str], VariantRanking | str] = field(default_factory=dict)
    #: (source, project, version) -> the metadata document the ranking came from.
    releases: dict[tuple[str, str, str], VariantMetadata] = field(default_factory=dict)
    #: (source, project, version) -> namespace -> where its properties came from.
    provider_sources: dict[tuple[str, str, str], dict[str, str]] = field(default_factory=dict)
    #: (source, project, version) -> label -> why its wheels were left out.
    excluded: dict[tuple[str, str, str], dict[str, str]] = field(default_factory=dict)
    #: representative's URL -> its set of variant wheels (see :class:`_Siblings`).
    siblings: dict[str, _Siblings] = field(default_factory=dict)
    #: wheel URL -> (release, label) of variant wheels pip lists one by one (not grouped as
    #: siblings), before their release is judged.
    pending: dict[str, tuple[tuple[str, str, str], str]] = field(default_factory=dict)
    #: release -> the labels that have a wheel there.
    present_labels: dict[tuple[str, str, str], set[str]] = field(default_factory=dict)
    #: wheel URL -> its place after the version in pip's sort key (larger is better).
    ranks: dict[str, int] = field(default_factory=dict)
    #: wheel URL -> (project, label, properties) of variant wheels that may be chosen.
    chosen_info: dict[str, tuple[str, str, tuple[str, ...]]] = field(default_factory=dict)
    #: Set while pip's legacy resolver asks for a requirement: it takes the best candidate's
    #: file as it is, so every file is judged before the choice.
    judge_at_once: bool = False
    warned: set[str] = field(default_factory=set)
    announced: set[str] = field(default_factory=set)
    #: pip's index options, for installing trusted provider plugins from the same places.
    index_arguments: list[str] = field(default_factory=list)


_RUN = _Run()


def run_rankings() -> dict[tuple[str, str, str], VariantRanking | str]:
    """Every release judged in this run (for ``explain``)."""
    return dict(_RUN.rankings)


def run_provider_sources() -> dict[tuple[str, str, str], dict[str, str]]:
    """namespace -> where its properties came from, per judged release (for ``explain``)."""
    return {key: dict(value) for key, value in _RUN.provider_sources.items()}


def run_exclusions() -> dict[tuple[str, str, str], dict[str, str]]:
    """label -> why it was left out, per release (for ``explain``)."""
    exclusions = {key: dict(value) for key, value in _RUN.excluded.items()}
    for key, labels in _RUN.present_labels.items():
        ranking = _RUN.rankings.get(key)
        if ranking is not None and not isinstance(ranking, str):
            for label in labels - set(ranking.labels):
                exclusions.setdefault(key, {}).setdefault(
                    label, _exclusion_reason(key, ranking, label)
                )
    return exclusions


def _warn_once(key: str, message: str) -> None:
    if key not in _RUN.warned:
        _RUN.warned.add(key)
        logger.warning("wheelnext-pip: %s", message)


def _contained(where: str, exc: BaseException) -> None:
    """An unexpected error in one hook call: say it once, keep judging everything else.

    Variants protect as much as they select (PEP 825: never install a wheel whose properties
    this machine lacks), so a failure never switches the feature off: each caller then
    leaves out the variant wheels it was handling, and pip goes on with the rest.
    """
    _warn_once(
        f"internal:{where}",
        f"internal error while {where} ({type(exc).__name__}: {_short(str(exc))}); "
        "the variant wheels involved are skipped",
    )
    logger.debug("wheelnext-pip: traceback of the internal error", exc_info=exc)


def _short(text: str, limit: int = 200) -> str:
    """Untrusted text cut to a readable length, on one line."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _settings() -> Settings:
    settings = _state.STATE.settings
    if settings is None:
        raise VariantError("settings are not loaded")
    return settings


def _machine() -> _Machine:
    if _RUN.machine is None:
        from wheelnext_pip.variants.properties import load_properties_file
        from wheelnext_pip.variants.providers import ProviderSettings

        settings = _settings()
        user_properties: dict[str, NamespaceProperties] = {}
        if settings.variant_properties_file:
            user_properties = load_properties_file(settings.variant_properties_file)
        _RUN.machine = _Machine(
            ProviderSettings(
                enable_providers=settings.enable_providers,
                disable_providers=settings.disable_providers,
                trust_providers=settings.trust_providers,
                user_properties=user_properties,
            )
        )
    return _RUN.machine


#: file name -> its variant parse (None: not a variant name). pip asks for the same names
#: many times (link evaluation, every sort-key computation); a page may list thousands.
_FILENAMES: dict[str, VariantWheelFilename | None] = {}
#: ordinary name of variant wheels -> the attributes pip's ``Wheel`` computed for it.
_WHEELS: dict[str, dict[str, Any]] = {}


def variant_filename(filename: str) -> VariantWheelFilename | None:
    if not may_be_variant(filename):
        return None  # most names: not even remembered
    if filename in _FILENAMES:
        return _FILENAMES[filename]
    parsed = parse_wheel_filename(filename)
    result = parsed if isinstance(parsed, VariantWheelFilename) else None
    _FILENAMES[filename] = result
    return result


def _url(link: Any) -> str:
    return str(link.url).split("#", 1)[0]


def _source_of(link: Any) -> str:
    """Where a link was listed: its page, or the folder of a ``--find-links`` file."""
    comes_from = getattr(link, "comes_from", None)
    if isinstance(comes_from, str):
        return comes_from
    page_url = getattr(comes_from, "url", None)
    if isinstance(page_url, str):
        return page_url
    return _url(link).rsplit("/", 1)[0]


def _version_key(version: object) -> str:
    return str(version)


# -- file names ------------------------------------------------------------------------------


def _wheel_init(original: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    wheel = args[0]
    filename = argument(args, kwargs, 1, "filename")
    parsed = variant_filename(filename) if isinstance(filename, str) else None
    if parsed is None:
        return original(*args, **kwargs)
    # The variants of a release share their ordinary name (cu126 and cu128 builds have the
    # same tags): pip parses each such name once.
    ordinary = parsed.without_label
    known = _WHEELS.get(ordinary)
    if known is not None and hasattr(wheel, "__dict__"):
        vars(wheel).update(known)
    else:
        original(wheel, ordinary)
        if hasattr(wheel, "__dict__"):
            _WHEELS[ordinary] = dict(vars(wheel))
    wheel.filename = filename
    return None


def _sources_parse_wheel_filename(
    original: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    """pip >= 24.0 keeps only wheel and sdist names from ``--find-links`` folders."""
    filename = argument(args, kwargs, 0, "filename")
    if isinstance(filename, str):
        metadata_name = parse_variants_json_filename(filename)
        if metadata_name is not None:
            # Only the project name is used by the folder scan.
            return (metadata_name.canonical_name, None, (), frozenset())
        parsed = variant_filename(filename)
        if parsed is not None:
            return original(parsed.without_label, *args[1:], **kwargs)
    return original(*args, **kwargs)


# -- metadata --------------------------------------------------------------------------------


def _evaluate_links(
    original: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    finder = args[0]
    link_evaluator = argument(args, kwargs, 1, "link_evaluator")
    links = list(argument(args, kwargs, 2, "links"))
    representatives: dict[str, _Siblings] = {}
    try:
        if _RUN.session is None:
            _RUN.session = finder._link_collector.session
            _RUN.index_arguments = _index_arguments(finder._link_collector.search_scope)
        project = canonicalize_name(str(link_evaluator.project_name))
        # With variant-labels every file is judged on its own, at once.
        one_by_one = project in _settings().variant_labels
        links, representatives = _group_siblings(finder, link_evaluator, links, one_by_one)
    except Exception as exc:
        # pip gets every file; each variant wheel is then judged on its own.
        _contained("grouping variant wheels", exc)
    args, kwargs = with_argument(args, kwargs, 2, "links", links)
    candidates = original(*args, **kwargs)
    try:
        for candidate in candidates:
            siblings = representatives.get(_url(candidate.link))
            if siblings is not None:
                _register_siblings(candidate, siblings)
    except Exception as exc:
        _contained("grouping variant wheels", exc)
    return candidates


def _group_siblings(
    finder: Any, link_evaluator: Any, links: list[Any], one_by_one: bool
) -> tuple[list[Any], dict[str, _Siblings]]:
    """The links pip should evaluate (one representative per set of siblings), and the
    siblings by their representative's URL; notes the ``-variants.json`` files listed."""
    passed = []
    by_shape: dict[tuple[object, ...], _Siblings] = {}
    representatives: dict[str, _Siblings] = {}
    for link in links:
        filename = link.filename
        if filename.endswith("-variants.json"):
            name = parse_variants_json_filename(filename)
            if name is not None:
                release = (name.canonical_name, name.version)
                pages = _RUN.metadata_links.setdefault(release, {})
                pages.setdefault(_source_of(link), link)
                continue  # not an installable file: pip would skip it
        # Not memoized: pip never sees most of these names, and thousands of parses kept to
        # the end of the run cost more at exit (garbage collection) than parsing again.
        parsed = (
            None if one_by_one or not may_be_variant(filename) else parse_wheel_filename(filename)
        )
        if not isinstance(parsed, VariantWheelFilename):
            passed.append(link)
            continue
        # Everything pip's link evaluation reads, besides the name (PEP 592, PEP 503/691,
        # pip 26's upload-time filter).
        shape = (
            _source_of(link),
            parsed.without_label,
            link.is_yanked,
            link.yanked_reason,
            link.requires_python,
            getattr(link, "upload_time", None),
            link.is_file,
        )
        siblings = by_shape.get(shape)
        if siblings is None:
            siblings = by_shape[shape] = _Siblings(None, {}, finder, link_evaluator)
            representatives[_url(link)] = siblings
            passed.append(link)
        siblings.members.setdefault(parsed.label, link)
    return passed, representatives


def _register_siblings(candidate: Any, siblings: _Siblings) -> None:
    """pip accepted a representative: its siblings are candidates of that release."""
    url = _url(candidate.link)
    release = (
        _source_of(candidate.link),
        canonicalize_name(str(candidate.name)),
        _version_key(candidate.version),
    )
    siblings.release = release
    _RUN.siblings[url] = siblings
    _RUN.present_labels.setdefault(release, set()).update(siblings.members)
    only_null = set(siblings.members) == {"null"}
    _RUN.ranks[url] = _UNJUDGED_NULL if only_null else _UNJUDGED_VARIANT


def sibling_links(link: Any) -> list[Any]:
    """Every variant wheel that ``link`` represents (itself included), or ``[]``: for tools
    that pin each file of a release, such as pip-tools' ``--generate-hashes``."""
    siblings = _RUN.siblings.get(_url(link))
    return [] if siblings is None else list(siblings.members.values())


def _index_arguments(scope: Any) -> list[str]:
    urls = list(scope.index_urls)
    arguments = ["--index-url", urls[0]] if urls else ["--no-index"]
    for url in urls[1:]:
        arguments += ["--extra-index-url", url]
    for location in scope.find_links:
        arguments += ["--find-links", location]
    return arguments


def _fingerprint() -> dict[str, str]:
    from wheelnext_pip.variants.cache import fingerprint_inputs, read_nvidia_driver_state
    from wheelnext_pip.variants.detect import read_linux_cpu_flags

    driver, gpus = read_nvidia_driver_state()
    return fingerprint_inputs(
        machine=platform.machine(),
        system=platform.system(),
        environ=os.environ,
        nvidia_driver=driver,
        gpus=gpus,
        cpu_flags=read_linux_cpu_flags(),
    )


def _detection_cache_dir() -> str | None:
    cache = _pip_cache_dir()
    return None if cache is None else os.path.join(cache, "wheelnext-variant-detection")


def _pip_cache_dir() -> str | None:
    """pip's cache folder; None with --no-cache-dir."""
    cache_dir = getattr(_state.STATE.command_options, "cache_dir", None)
    return str(cache_dir) if cache_dir else None


def _fetch_metadata(link: Any) -> VariantMetadata | str:
    from wheelnext_pip.variants.metadata import parse_variant_metadata

    url = _url(link)
    if url in _RUN.documents:
        return _RUN.documents[url]
    try:
        response = _RUN.session.get(url, headers={"Accept": "application/json"}, stream=True)
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
            raise VariantError(f"{hash_name} hash does not match the index", url)
        document: VariantMetadata | str = parse_variant_metadata(data, link.filename)
    except VariantError as exc:
        document = str(exc)
    except Exception as exc:  # network errors: the version's variants cannot be judged
        document = f"{link.filename}: cannot be fetched ({type(exc).__name__}: {exc})"
    if isinstance(document, str):
        _warn_once(url, f"{document}; its variant wheels are skipped")
    _RUN.documents[url] = document
    return document


def _group_of_source(source: str) -> str:
    """The index group of a page: pages of one group may describe one release together.
    Without ranked groups every location pip has is one group."""
    settings = _settings()
    if not settings.ranks_indexes:
        return ""
    from wheelnext_pip._pip.finder import layout_of

    return layout_of(settings).group_of(source.rstrip("/").rsplit("/", 1)[0])


def _judge_release(project: str, version: str, source: str) -> None:
    """Rank a release for every page of the source's index group that lists its metadata.

    PEP 825: documents of one release are combined; a page whose document disagrees with an
    earlier page (pip's order) has its variant wheels skipped. The pages that agree share one
    ranking, so their wheels compare in pip's sort.
    """
    from wheelnext_pip.variants.metadata import combine_metadata
    from wheelnext_pip.variants.ordering import prefer_label, rank_variants
    from wheelnext_pip.variants.providers import resolve_supported_properties

    group = _group_of_source(source)
    pages = _RUN.metadata_links.get((project, version), {})
    combined: VariantMetadata | None = None
    first_url = ""
    agreeing = []
    for page, link in pages.items():
        key = (page, project, version)
        if key in _RUN.rankings or _group_of_source(page) != group:
            continue
        url = _url(link)
        document = _fetch_metadata(link)
        if isinstance(document, str):
            _RUN.rankings[key] = document
            continue
        if combined is None:
            combined, first_url = document, url
        else:
            try:
                combined = combine_metadata(combined, document)
            except VariantError as exc:
                from wheelnext_pip.index_groups import redact_url

                reason = f"{redact_url(url)} disagrees with {redact_url(first_url)}: {exc.problem}"
                _warn_once(f"inconsistent:{url}", f"{reason}; its variant wheels are skipped")
                _RUN.rankings[key] = reason
                continue
        agreeing.append(key)
    if combined is None:
        return
    machine = _machine()
    supported, decisions = resolve_supported_properties(combined, machine.settings, machine.answer)
    origins = {}
    for namespace, decision in decisions.items():
        if decision.note:
            _warn_once(f"note:{namespace}:{decision.note}", decision.note)
        machine.origins.setdefault(namespace, decision.source)
        origins[namespace] = _describe_origin(namespace, decision.source)
    ranking = rank_variants(combined.variants, combined.namespace_priorities, supported)
    label = _settings().variant_labels.get(project)
    if label is not None:
        ranking = prefer_label(ranking, label)
    for key in agreeing:
        _RUN.rankings[key] = ranking
        _RUN.releases[key] = combined
        _RUN.provider_sources[key] = origins


def _release_unusable(project: str, version: str, source: str, exc: Exception) -> None:
    """Anything that goes wrong while judging a release (a marker that parses but cannot be
    evaluated, a hostile document, a bug of ours) makes that release's variant wheels
    unusable, on every page of its group that was not judged yet; nothing else changes."""
    from wheelnext_pip.index_groups import redact_url

    pages = _RUN.metadata_links.get((project, version), {})
    link = pages.get(source)
    where = redact_url(_url(link)) if link is not None else f"{project}-{version}-variants.json"
    problem = exc.problem if isinstance(exc, VariantError) else f"{type(exc).__name__}: {exc}"
    reason = f"{where} could not be judged: {_short(problem)}"
    group = _group_of_source(source)
    for page in pages:
        key = (page, project, version)
        if key not in _RUN.rankings and _group_of_source(page) == group:
            _RUN.rankings[key] = reason
    _RUN.rankings.setdefault((source, project, version), reason)
    _warn_once(
        f"unjudged:{where}", f"{project} {version}: {reason}; its variant wheels are skipped"
    )
    logger.debug("wheelnext-pip: traceback of the judging error", exc_info=exc)


_ORIGINS = {
    "disabled": "disabled (disable-providers)",
    "file": "file (variant-properties-file)",
    "no-provider": "no provider declared",
    "enable-if-false": "off (its enable-if marker is false here)",
    "optional-off": "optional, off (not in enable-providers)",
    "static": "static (the package's static-properties)",
    "unsupported-builtin": "builtin provider not implemented",
    "trusted-plugin": "trusted plugin (trust-providers)",
    "untrusted": "untrusted plugin (never installed or run)",
}


def _describe_origin(namespace: str, source: str) -> str:
    """Where a namespace's properties came from, in doctor's words."""
    if source != "builtin":
        return _ORIGINS.get(source, source)
    from wheelnext_pip.variants.detect import forced_namespaces

    if namespace in forced_namespaces(os.environ):
        return "built-in, forced (override variable)"
    return "built-in, detected"


def _ranking(project: str, version: str, source: str) -> VariantRanking | str:
    key = (source, project, version)
    if key not in _RUN.rankings:
        pages = _RUN.metadata_links.get((project, version), {})
        if source in pages:
            _machine()  # a broken setting stops pip (it is no fault of this release)
            try:
                _judge_release(project, version, source)
            except Exception as exc:
                _release_unusable(project, version, source, exc)
        else:
            reason = f"no {project}-{version}-variants.json is listed beside its variant wheels"
            _warn_once(
                f"missing:{key}", f"{project} {version}: {reason}; its variant wheels are skipped"
            )
            _RUN.rankings[key] = reason
    return _RUN.rankings[key]


# -- selection -------------------------------------------------------------------------------


_LABELS: dict[str, str | None] = {}


def _label_of(link: Any) -> str | None:
    url = str(link.url)
    if url not in _LABELS:
        parsed = variant_filename(getattr(link, "filename", ""))
        _LABELS[url] = None if parsed is None else parsed.label
    return _LABELS[url]


#: Provisional places in pip's key for variants of releases not judged yet: any variant
#: before ``null``, ``null`` before ordinary wheels (0), as the judged ranks will be.
_UNJUDGED_VARIANT, _UNJUDGED_NULL = 2, 1


def _accept(url: str, key: tuple[str, str, str], label: str) -> None:
    """A variant wheel that may be chosen: remember it for the report and the info line."""
    document = _RUN.releases.get(key)
    properties = document.properties_of(label) if document is not None else None
    texts = tuple(sorted(str(prop) for prop in properties or ()))
    _RUN.chosen_info[url] = (key[1], label, texts)
    report.annotate_link(url, variant_label=label, variant_properties=list(texts))


def _best_present_label(key: tuple[str, str, str]) -> tuple[VariantRanking, str | None] | None:
    """The release's ranking (judging it on first use) and its best label that has a wheel;
    None when its variants cannot be judged."""
    ranking = _ranking(key[1], key[2], key[0])
    if isinstance(ranking, str):
        return None
    present = _RUN.present_labels.get(key, set())
    return ranking, next((name for name in ranking.labels if name in present), None)


def _judge(key: tuple[str, str, str], url: str, label: str) -> bool:
    """Whether this variant wheel may be taken: the release is judged on first use (its
    metadata fetched once), and of its variant wheels only the best eligible one is taken."""
    judged = _best_present_label(key)
    if judged is None:
        return False
    ranking, best = judged
    if label == best:
        _accept(url, key, label)
        return True
    if not ranking.is_eligible(label):
        _RUN.excluded.setdefault(key, {})[label] = _exclusion_reason(key, ranking, label)
    return False


def _sibling_to_take(siblings: _Siblings) -> Any:
    """The member the machine should take (judging the release), or None: only the release's
    best eligible label is ever taken, from whichever set of siblings carries it."""
    key = siblings.release
    judged = None if key is None else _best_present_label(key)
    if key is None or judged is None:
        return None
    best = judged[1]
    member = siblings.members.get(best) if best is not None else None
    if member is None:
        return None
    _accept(_url(member), key, str(best))
    return member


def _representative(url: str) -> _Siblings | None:
    """The siblings a candidate stands for (not once they were made candidates one by one)."""
    siblings = _RUN.siblings.get(url)
    return None if siblings is None or siblings.expanded else siblings


def link_to_take(link: Any) -> Any:
    """The wheel pip would really get for a candidate's link (a representative is swapped for
    its best sibling once its release is judged)."""
    siblings = _representative(_url(link))
    if siblings is None or siblings.release not in _RUN.rankings:
        return link
    member = _sibling_to_take(siblings)
    return link if member is None else member


def sibling_labels(link: Any) -> list[str]:
    """The labels a representative stands for (empty for any other link)."""
    siblings = _representative(_url(link))
    return [] if siblings is None else sorted(siblings.members)


def _filter_candidates(evaluator: Any, candidates: list[Any]) -> list[Any]:
    project = canonicalize_name(str(evaluator._project_name))
    wanted_label = _settings().variant_labels.get(project)
    # variant-labels, and --hash pins (which narrow the files to choose from), judge every
    # file now: the best variant is then the best of the files that may be taken.
    at_once = (
        wanted_label is not None or _RUN.judge_at_once or bool(getattr(evaluator, "_hashes", None))
    )
    kept = []
    refused = []
    for candidate in candidates:
        link = candidate.link
        url = _url(link)
        siblings = _representative(url)
        if siblings is not None and siblings.release is not None:
            release = siblings.release
            if release not in _RUN.rankings:
                kept.append(candidate)  # provisional rank; judged when the resolver gets here
                continue
            judged = _best_present_label(release)
            if judged is not None and judged[1] in siblings.members:
                _RUN.ranks[url] = judged[0].pip_key_component(judged[1])
                kept.append(candidate)
            continue
        label = _label_of(link)
        if label is None and wanted_label is None:
            kept.append(candidate)
            continue
        key = (_source_of(link), project, _version_key(candidate.version))
        if label is not None:
            _RUN.present_labels.setdefault(key, set()).add(label)
        if not at_once and key not in _RUN.rankings:
            # Judged when pip's resolver first reaches this release (uv does the same).
            _RUN.pending[url] = (key, label or "")
            _RUN.ranks[url] = _UNJUDGED_NULL if label == "null" else _UNJUDGED_VARIANT
            kept.append(candidate)
            continue
        ranking = _ranking(project, key[2], key[0])
        if isinstance(ranking, str):
            continue  # unusable metadata; with variant-labels nothing else may be taken either
        if not ranking.is_eligible(label):
            if label is not None:
                reason = _exclusion_reason(key, ranking, label)
                _RUN.excluded.setdefault(key, {})[label] = reason
                refused.append(f"{label}: {reason}")
                logger.debug("wheelnext-pip: skipping %s: %s", link.filename, reason)
            continue
        _RUN.ranks[url] = ranking.pip_key_component(label)
        if label is not None:
            _accept(url, key, label)
        kept.append(candidate)
    if wanted_label is not None and not kept and candidates:
        _warn_once(
            f"labels:{project}",
            f"{project}: no compatible wheel carries the variant label {wanted_label!r} "
            f"(variant-labels = {project}={wanted_label})",
        )
    elif not kept and refused:
        pinned = " that the --hash pins allow" if getattr(evaluator, "_hashes", None) else ""
        _warn_once(
            f"refused:{project}",
            f"{project}: no variant wheel{pinned} fits this machine ({'; '.join(refused)})",
        )
    return kept


def judge_candidate(candidate: Any) -> bool:
    """Whether a candidate pip listed may really be taken (judging its release if needed)."""
    url = _url(candidate.link)
    pending = _RUN.pending.get(url)
    if pending is not None:
        key, label = pending
        ranking = _ranking(key[1], key[2], key[0])
        return not isinstance(ranking, str) and ranking.is_eligible(label)
    siblings = _representative(url)
    if siblings is not None:
        return _sibling_to_take(siblings) is not None
    return True


def judge_pending(project: str) -> None:
    """Judge every release of ``project`` seen so far (``explain`` shows them all)."""
    name = canonicalize_name(project)
    releases = [key for key, _ in _RUN.pending.values()]
    releases += [siblings.release for siblings in _RUN.siblings.values() if siblings.release]
    for key in dict.fromkeys(releases):
        if key[1] == name:
            _ranking(key[1], key[2], key[0])


def _make_candidate_from_link(
    original: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    link = argument(args, kwargs, 1, "link")
    try:
        url = _url(link)
        pending = _RUN.pending.get(url)
        siblings = _representative(url)
        if pending is not None:
            if not _judge(pending[0], url, pending[1]):
                return None  # pip then tries the release's next file
        elif siblings is not None and siblings.release is not None:
            member = _sibling_to_take(siblings)
            if member is None:
                return None
            args, kwargs = with_argument(args, kwargs, 1, "link", member)
    except VariantError as exc:
        raise InstallationError(f"wheelnext-pip: {exc}") from None
    except Exception as exc:
        _contained(f"judging {getattr(link, 'filename', 'a file')}", exc)
        return None  # never take an unjudged variant
    return original(*args, **kwargs)


def _exclusion_reason(key: tuple[str, str, str], ranking: VariantRanking, label: str) -> str:
    if label in ranking.incompatible:
        return ranking.incompatible[label]
    document = _RUN.releases.get(key)
    if document is not None and document.properties_of(label) is None:
        return "not listed in the variant metadata"
    return f"not the label variant-labels asks for ({_settings().variant_labels.get(key[1])})"


def _one_by_one(candidates: list[Any]) -> list[Any]:
    """Every member of each set of siblings as its own candidate, made by pip's own link
    evaluation: hash-checking mode matches each file's hash."""
    result = []
    for candidate in candidates:
        siblings = _RUN.siblings.get(_url(candidate.link))
        if siblings is None or siblings.release is None:
            result.append(candidate)
            continue
        if not siblings.expanded:
            siblings.expanded = True
            siblings.made = [
                made
                for made in (
                    candidate
                    if member is candidate.link
                    else siblings.finder.get_install_candidate(siblings.link_evaluator, member)
                    for member in siblings.members.values()
                )
                if made is not None
            ]
        result.extend(siblings.made)
    return result


def _compute_best_candidate(
    original: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    """Hash-checking mode matches each file's hash, and the legacy resolver takes the best
    file as it is: siblings become candidates one by one (here, as pip checks that what it
    keeps is among what it was given)."""
    evaluator = args[0]
    try:
        candidates = list(argument(args, kwargs, 1, "candidates"))
        at_once = _RUN.judge_at_once or bool(getattr(evaluator, "_hashes", None))
        if at_once and any(_url(c.link) in _RUN.siblings for c in candidates):
            candidates = _one_by_one(candidates)
        args, kwargs = with_argument(args, kwargs, 1, "candidates", candidates)
    except Exception as exc:
        # The representatives stay: pip's hash check refuses a sibling it has no pin for.
        _contained("listing variant wheels one by one", exc)
    return original(*args, **kwargs)


def _get_applicable_candidates(
    original: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    evaluator = args[0]
    applicable = original(*args, **kwargs)
    try:
        if not any(_label_of(c.link) is not None for c in applicable) and (
            canonicalize_name(str(evaluator._project_name)) not in _settings().variant_labels
        ):
            return applicable
        kept = _filter_candidates(evaluator, list(applicable))
        return sorted(kept, key=evaluator._sort_key)
    except VariantError as exc:
        raise InstallationError(f"wheelnext-pip: {exc}") from None
    except Exception as exc:
        _contained(f"choosing among the files of {evaluator._project_name}", exc)
        # Never let an unjudged variant through: without our judgement only ordinary files.
        return [c for c in applicable if _label_of(c.link) is None]


def _find_requirement(
    original: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    """pip's legacy resolver installs the file of the best candidate it is given."""
    previous, _RUN.judge_at_once = _RUN.judge_at_once, True
    try:
        return original(*args, **kwargs)
    finally:
        _RUN.judge_at_once = previous


_SORT_KEYS_ATTRIBUTE = "_wheelnext_sort_keys"


def _sort_key(original: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    evaluator = args[0]
    candidate = argument(args, kwargs, 1, "candidate")
    # pip's key of a candidate never changes for one evaluator; with variants a release has
    # many files and each is keyed in two sorts and a max: compute it once.
    known = vars(evaluator).setdefault(_SORT_KEYS_ATTRIBUTE, {})
    entry = known.get(id(candidate))
    if entry is None or entry[0] is not candidate:
        entry = known[id(candidate)] = (candidate, original(*args, **kwargs), candidate.link.url)
    key = entry[1]
    if not isinstance(key, tuple) or len(key) != 6:
        return key  # not the (hash, yank, binary, version, tag, build) key we know
    try:
        rank = _RUN.ranks.get(entry[2].split("#", 1)[0], 0)
        return (*key[:4], rank, *key[4:])
    except Exception as exc:
        _contained("sorting files", exc)  # the file is still judged before it is taken
        return key


# -- direct wheels ---------------------------------------------------------------------------


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
        machine = _machine()
        supported, _ = resolve_supported_properties(document, machine.settings, machine.answer)
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
    _RUN.chosen_info[url] = (canonicalize_name(parsed.name), parsed.label, tuple(texts))
    report.annotate_link(url, variant_label=parsed.label, variant_properties=texts)


def _fail_if_link_is_unsupported_wheel(
    original: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    """A local variant wheel named directly is checked at once."""
    result = original(*args, **kwargs)
    link = argument(args, kwargs, 1, "link")
    parsed = variant_filename(getattr(link, "filename", ""))
    if parsed is not None and getattr(link, "is_file", False):
        _check_direct_variant(parsed, link.file_path, _url(link))
    return result


def _check_metadata_consistency(
    original: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    """A variant wheel named by URL is checked once pip has downloaded it, before any
    installation starts."""
    result = original(*args, **kwargs)
    candidate = args[0]
    link = getattr(candidate, "_link", None)
    parsed = variant_filename(getattr(link, "filename", ""))
    if parsed is None or getattr(link, "is_file", True) or _url(link) in _RUN.chosen_info:
        return result  # not a variant, checked already, or chosen from an index
    path = getattr(getattr(candidate, "_ireq", None), "local_file_path", None)
    if isinstance(path, str) and os.path.isfile(path):
        _check_direct_variant(parsed, path, _url(link))
    else:
        _warn_once(
            f"direct:{_url(link)}",
            f"{parsed.filename}: a variant wheel named by URL could not be checked against "
            "this machine (pip did not download it during resolution)",
        )
    return result


# -- reporting -------------------------------------------------------------------------------


def _installed_label(dist: Any) -> str | None:
    try:
        variants = json.loads(dist.read_text("variant.json")).get("variants")
    except Exception:  # no variant.json: not a variant install
        return None
    return next(iter(variants), None) if isinstance(variants, dict) and len(variants) == 1 else None


def _hint_other_variant(dist: Any, finder: Any) -> None:
    """pip keeps an installed release; say so when another variant of it would fit better."""
    label = _installed_label(dist)
    if label is None:
        return
    project, version = canonicalize_name(str(dist.canonical_name)), str(dist.version)
    if finder is not None and not any(k[1:] == (project, version) for k in _RUN.rankings):
        finder.find_best_candidate(project)  # pip took the installed one without asking
        judge_pending(project)
    for (_, name, release), ranking in _RUN.rankings.items():
        if name != project or release != version or isinstance(ranking, str):
            continue
        if ranking.labels and ranking.labels[0] != label and project not in _RUN.announced:
            _RUN.announced.add(project)
            logger.info(
                "wheelnext-pip: %s %s is installed as variant %s; variant %s fits this machine "
                "better (pip keeps an installed release: add --force-reinstall to switch)",
                project,
                version,
                label,
                ranking.labels[0],
            )
        return


def _resolve(original: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    requirement_set = original(*args, **kwargs)
    try:
        resolver = args[0]
        result = getattr(resolver, "_result", None)
        finder = getattr(getattr(resolver, "factory", None), "_finder", None)
        for candidate in getattr(result, "mapping", {}).values():
            if type(candidate).__name__ == "AlreadyInstalledCandidate":
                _hint_other_variant(candidate.dist, finder)
        for requirement in getattr(requirement_set, "all_requirements", []):
            link = getattr(requirement, "link", None)
            info = _RUN.chosen_info.get(_url(link)) if link is not None else None
            if info is None or info[0] in _RUN.announced:
                continue
            project, label, properties = info
            _RUN.announced.add(project)
            described = "; ".join(properties) if properties else "no properties"
            logger.info("wheelnext-pip: %s: variant %s chosen (%s)", project, label, described)
    except Exception as exc:
        _contained("reporting the variants chosen", exc)
    return requirement_set


VARIANTS = PatchSet(
    FEATURE,
    (
        PatchPoint(
            FEATURE, "pip._internal.models.wheel", "Wheel.__init__", _wheel_init,
            params=("self", "filename"),
        ),
        PatchPoint(
            FEATURE, "pip._internal.index.sources", "parse_wheel_filename",
            _sources_parse_wheel_filename, params=("filename",), required=False,
        ),
        PatchPoint(
            FEATURE, FINDER, "PackageFinder.evaluate_links", _evaluate_links,
            params=("self", "link_evaluator", "links"),
        ),
        PatchPoint(
            FEATURE, FINDER, "CandidateEvaluator.get_applicable_candidates",
            _get_applicable_candidates, params=("self", "candidates"),
        ),
        PatchPoint(
            FEATURE, FINDER, "CandidateEvaluator.compute_best_candidate",
            _compute_best_candidate, params=("self", "candidates"),
        ),
        PatchPoint(
            FEATURE, FINDER, "PackageFinder.find_requirement", _find_requirement,
            params=("self", "req", "upgrade"),
        ),
        PatchPoint(
            FEATURE, FINDER, "CandidateEvaluator._sort_key", _sort_key,
            params=("self", "candidate"),
        ),
        PatchPoint(
            FEATURE, "pip._internal.resolution.resolvelib.factory",
            "Factory._fail_if_link_is_unsupported_wheel", _fail_if_link_is_unsupported_wheel,
            params=("self", "link"),
        ),
        PatchPoint(
            FEATURE, "pip._internal.resolution.resolvelib.candidates",
            "_InstallRequirementBackedCandidate._check_metadata_consistency",
            _check_metadata_consistency, params=("self", "dist"),
        ),
        PatchPoint(
            FEATURE, "pip._internal.resolution.resolvelib.factory",
            "Factory._make_candidate_from_link", _make_candidate_from_link,
            params=("self", "link", "extras", "template", "name", "version"),
        ),
        PatchPoint(
            FEATURE, "pip._internal.resolution.resolvelib.resolver", "Resolver.resolve",
            _resolve, params=("self", "root_reqs"), required=False,
        ),
    ),
    commands=frozenset({"install", "download", "wheel", "index", "list", "lock"}),
)  # fmt: skip

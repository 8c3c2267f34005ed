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
- ``Resolver.resolve`` says which variant was chosen, once per project.

Failures (the registry applies them; no hook catches its own). Our deliberate errors (a
variant setting or metadata that must stop pip, a hash mismatch) become pip's one-line
error. The feature protects as much as it selects (PEP 825: never install a wheel whose
properties this machine lacks), so an internal error never turns it off: the set *contains*
it. The call's hook is reported once (``internal error while ...``) and that one call gets
the point's fallback, or pip's own answer where pip's answer cannot let a variant through:

- ``Wheel.__init__``, ``parse_wheel_filename``: pip's own parse, which refuses a variant
  file name (pip skips the file);
- ``evaluate_links``, ``compute_best_candidate``: pip's own links and candidates, every
  variant wheel listed on its own and still judged below;
- ``_sort_key``: pip's key without the variant rank (every file is judged before it is
  taken); ``Resolver.resolve``: pip's result without the info line;
- ``find_requirement``: pip's own call; the hook only marks the run record, and if that
  fails, so does every judging hook, whose fallbacks leave variant wheels out;
- ``get_applicable_candidates``: **only ordinary files** (pip's own list holds unjudged
  variant wheels);
- ``_make_candidate_from_link``: **no candidate** (pip then tries the release's next file);
- the checks of :mod:`wheelnext_pip._pip.variant_wheels`: **the variant wheel is refused**
  (pip's answer would install it unchecked); ``Link.from_json`` and the abi_dependency
  hook: pip's own (the provider then knows only the installed versions).

Variant wheels named directly are checked in :mod:`wheelnext_pip._pip.variant_wheels`
(points of this same set). The judgment of a release (combining pages, ranking, reasons)
is the pure :mod:`wheelnext_pip.variants.judgment`, with its I/O (fetch, index group,
machine) from :mod:`wheelnext_pip._pip.variant_run`; the policy (file names, metadata,
providers, ranking) lives in :mod:`wheelnext_pip.variants`.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Callable

from wheelnext_pip import _state
from wheelnext_pip._pip import acceptance, variant_abi, variant_run, variant_wheels
from wheelnext_pip._pip.registry import Call, PatchPoint, PatchSet, Proceed
from wheelnext_pip._pip.variant_run import (
    Siblings,
    contained,
    filename_of,
    judge_pending,
    judgment,
    run,
    settings,
    source_of,
    url_of,
    variant_filename,
    warn_once,
)
from wheelnext_pip._settings import canonicalize_name
from wheelnext_pip.variants.filenames import (
    VariantWheelFilename,
    may_be_variant,
    parse_variants_json_filename,
    parse_wheel_filename,
)

if TYPE_CHECKING:
    from wheelnext_pip.variants.judgment import ReleaseKey

__all__ = [
    "FEATURE",
    "LATE_IMPORTS",
    "VARIANTS",
    "VARIANTS_LISTING",
    "judge_pending",
    "link_to_take",
    "sibling_labels",
]

# The modules that judge a release (judgment, metadata, providers, detection, ranking) are imported
# when a release with variant wheels is first judged: most pip runs never meet one.
# ``LATE_IMPORTS`` lets pip 26.3 import them before its install-time import guard.
LATE_IMPORTS = (
    "wheelnext_pip._pip.variant_machine",
    "wheelnext_pip.variants._detection_cache",
    "wheelnext_pip.variants._properties_file",
    "wheelnext_pip.variants.abi_dependency",
    "wheelnext_pip.variants.detect",
    "wheelnext_pip.variants.judgment",
    "wheelnext_pip.variants.markers",
    "wheelnext_pip.variants.metadata",
    "wheelnext_pip.variants.ordering",
    "wheelnext_pip.variants.properties",
    "wheelnext_pip.variants.providers",
)

logger = logging.getLogger("wheelnext_pip")

FEATURE = "variants"
FINDER = "pip._internal.index.package_finder"


#: ordinary name of variant wheels -> the attributes pip's ``Wheel`` computed for it.
_WHEELS: dict[str, dict[str, Any]] = {}


def _version_key(version: object) -> str:
    return str(version)


# -- file names ------------------------------------------------------------------------------


def _wheel_init(call: Call, proceed: Proceed) -> Any:
    wheel = call["self"]
    filename = call["filename"]
    parsed = variant_filename(filename) if isinstance(filename, str) else None
    if parsed is None:
        return proceed()
    # The variants of a release share their ordinary name (cu126 and cu128 builds have the
    # same tags): pip parses each such name once.
    ordinary = parsed.without_label
    known = _WHEELS.get(ordinary)
    if known is not None and hasattr(wheel, "__dict__"):
        vars(wheel).update(known)
    else:
        call["filename"] = ordinary
        proceed()
        if hasattr(wheel, "__dict__"):
            _WHEELS[ordinary] = dict(vars(wheel))
    wheel.filename = filename
    return None


def _sources_parse_wheel_filename(call: Call, proceed: Proceed) -> Any:
    """pip >= 24.0 keeps only wheel and sdist names from ``--find-links`` folders."""
    filename = call["filename"]
    if isinstance(filename, str):
        metadata_name = parse_variants_json_filename(filename)
        if metadata_name is not None:
            # Only the project name is used by the folder scan.
            return (metadata_name.canonical_name, None, (), frozenset())
        parsed = variant_filename(filename)
        if parsed is not None:
            call["filename"] = parsed.without_label
    return proceed()


# -- metadata --------------------------------------------------------------------------------


def _link_from_json(call: Call, link: Any) -> Any:
    """PEP 691 pages name each file in ``filename``; the URL may be anything (PEP 825: "the
    exact URL where the file is hosted is insignificant"). Keep the declared name of a
    ``-variants.json`` whose URL does not end in it."""
    declared = call["file_data"].get("filename")
    if (
        link is not None
        and isinstance(declared, str)
        and declared.endswith("-variants.json")
        and link.filename != declared
    ):
        run().declared_names[url_of(link)] = declared
    return link


def _evaluate_links(call: Call, proceed: Proceed) -> Any:
    finder = call["self"]
    link_evaluator = call["link_evaluator"]
    if run().session is None:
        run().session = finder._link_collector.session
        run().index_arguments = _index_arguments(finder._link_collector.search_scope)
    project = canonicalize_name(str(link_evaluator.project_name))
    # With variant-labels every file is judged on its own, at once.
    one_by_one = project in settings().variant_labels
    # pip passes a list (an iterable pip's function still gets whole if grouping fails).
    links, representatives = _group_siblings(
        finder, link_evaluator, list(call["links"]), one_by_one
    )
    call["links"] = links
    candidates = proceed()
    if representatives:  # only a page with variant wheels
        for candidate in candidates:
            siblings = representatives.get(url_of(candidate.link))
            if siblings is not None:
                _register_siblings(candidate, siblings)
    return candidates


def _group_siblings(
    finder: Any, link_evaluator: Any, links: list[Any], one_by_one: bool
) -> tuple[list[Any], dict[str, Siblings]]:
    """The links pip should evaluate (one representative per set of siblings), and the
    siblings by their representative's URL; notes the ``-variants.json`` files listed."""
    passed = []
    by_shape: dict[tuple[object, ...], Siblings] = {}
    representatives: dict[str, Siblings] = {}
    for link in links:
        filename = filename_of(link)
        if filename.endswith("-variants.json"):
            name = parse_variants_json_filename(filename)
            if name is not None:
                from wheelnext_pip.variants.judgment import MetadataPage

                page = MetadataPage(url_of(link), link)
                judgment().note_page(name.canonical_name, name.version, source_of(link), page)
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
            source_of(link),
            parsed.without_label,
            link.is_yanked,
            link.yanked_reason,
            link.requires_python,
            getattr(link, "upload_time", None),
            link.is_file,
        )
        siblings = by_shape.get(shape)
        if siblings is None:
            siblings = by_shape[shape] = Siblings(None, {}, finder, link_evaluator)
            representatives[url_of(link)] = siblings
            passed.append(link)
        siblings.members.setdefault(parsed.label, link)
    return passed, representatives


def _release_of(candidate: Any) -> ReleaseKey:
    from wheelnext_pip.variants.judgment import ReleaseKey

    return ReleaseKey(
        canonicalize_name(str(candidate.name)),
        _version_key(candidate.version),
        source_of(candidate.link),
    )


def _register_siblings(candidate: Any, siblings: Siblings) -> None:
    """pip accepted a representative: its siblings are candidates of that release."""
    url = url_of(candidate.link)
    release = _release_of(candidate)
    siblings.release = release
    run().siblings[url] = siblings
    judgment().note_labels(release, siblings.members)
    only_null = set(siblings.members) == {"null"}
    run().ranks[url] = _UNJUDGED_NULL if only_null else _UNJUDGED_VARIANT


def sibling_links(link: Any) -> list[Any]:
    """Every variant wheel that ``link`` represents (itself included), or ``[]``: for tools
    that pin each file of a release, such as pip-tools' ``--generate-hashes``."""
    siblings = run().siblings.get(url_of(link))
    return [] if siblings is None else list(siblings.members.values())


def _index_arguments(scope: Any) -> list[str]:
    urls = list(scope.index_urls)
    arguments = ["--index-url", urls[0]] if urls else ["--no-index"]
    for url in urls[1:]:
        arguments += ["--extra-index-url", url]
    for location in scope.find_links:
        arguments += ["--find-links", location]
    return arguments


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


def _accept(url: str, key: ReleaseKey, label: str) -> None:
    """A variant wheel that may be chosen: remember it for the report and the info line."""
    texts = judgment().properties_text(key, label)
    run().chosen_info[url] = variant_run.Chosen(key.project, label, texts)
    _state.STATE.ledger.variant_chosen(url, label, list(texts))


def _judge(key: ReleaseKey, url: str, label: str) -> bool:
    """Whether this variant wheel may be taken: the release is judged on first use (its
    metadata fetched once), and of its variant wheels only the best eligible one is taken."""
    if not judgment().may_take(key, label):
        return False
    _accept(url, key, label)
    return True


def _sibling_to_take(siblings: Siblings) -> Any:
    """The member the machine should take (judging the release), or None: only the release's
    best eligible label is ever taken, from whichever set of siblings carries it."""
    key = siblings.release
    judged = None if key is None else judgment().best_present_label(key)
    if key is None or judged is None:
        return None
    best = judged[1]
    member = siblings.members.get(best) if best is not None else None
    if member is None:
        return None
    _accept(url_of(member), key, str(best))
    return member


def _representative(url: str) -> Siblings | None:
    """The siblings a candidate stands for (not once they were made candidates one by one)."""
    siblings = run().siblings.get(url)
    return None if siblings is None or siblings.expanded else siblings


def link_to_take(link: Any) -> Any:
    """The wheel pip would really get for a candidate's link (a representative is swapped for
    its best sibling once its release is judged)."""
    siblings = _representative(url_of(link))
    if siblings is None or siblings.release is None:
        return link
    if not judgment().is_judged(siblings.release):
        return link
    member = _sibling_to_take(siblings)
    return link if member is None else member


def sibling_labels(link: Any) -> list[str]:
    """The labels a representative stands for (empty for any other link)."""
    siblings = _representative(url_of(link))
    return [] if siblings is None else sorted(siblings.members)


def _filter_candidates(evaluator: Any, candidates: list[Any]) -> list[Any]:
    from wheelnext_pip.variants.judgment import ReleaseKey

    project = canonicalize_name(str(evaluator._project_name))
    wanted_label = settings().variant_labels.get(project)
    # variant-labels, and --hash pins (which narrow the files to choose from), judge every
    # file now: the best variant is then the best of the files that may be taken.
    at_once = (
        wanted_label is not None or run().judge_at_once or bool(getattr(evaluator, "_hashes", None))
    )
    judged = judgment()
    kept = []
    refused = []
    for candidate in candidates:
        link = candidate.link
        url = url_of(link)
        siblings = _representative(url)
        if siblings is not None and siblings.release is not None:
            release = siblings.release
            if not judged.is_judged(release):
                kept.append(candidate)  # provisional rank; judged when the resolver gets here
                continue
            best = judged.best_present_label(release)
            if best is not None and best[1] in siblings.members:
                run().ranks[url] = best[0].pip_key_component(best[1])
                kept.append(candidate)
            continue
        label = _label_of(link)
        if label is None and wanted_label is None:
            kept.append(candidate)
            continue
        key = ReleaseKey(project, _version_key(candidate.version), source_of(link))
        if label is not None:
            judged.note_labels(key, (label,))
        if not at_once and not judged.is_judged(key):
            # Judged when pip's resolver first reaches this release (uv does the same).
            run().pending[url] = (key, label or "")
            run().ranks[url] = _UNJUDGED_NULL if label == "null" else _UNJUDGED_VARIANT
            kept.append(candidate)
            continue
        ranking = judged.ranking(key)
        if isinstance(ranking, str):
            continue  # unusable metadata; with variant-labels nothing else may be taken either
        if not ranking.is_eligible(label):
            if label is not None:
                reason = judged.exclude(key, ranking, label)
                refused.append(f"{label}: {reason}")
                logger.debug("wheelnext-pip: skipping %s: %s", link.filename, reason)
            continue
        run().ranks[url] = ranking.pip_key_component(label)
        if label is not None:
            _accept(url, key, label)
        kept.append(candidate)
    if wanted_label is not None and not kept and candidates:
        warn_once(
            f"labels:{project}",
            f"{project}: no compatible wheel carries the variant label {wanted_label!r} "
            f"(variant-labels = {project}={wanted_label})",
        )
    elif not kept and refused:
        pinned = " that the --hash pins allow" if getattr(evaluator, "_hashes", None) else ""
        warn_once(
            f"refused:{project}",
            f"{project}: no variant wheel{pinned} fits this machine ({'; '.join(refused)})",
        )
    return kept


def judge_candidate(candidate: Any) -> bool:
    """Whether a candidate pip listed may really be taken (judging its release if needed)."""
    url = url_of(candidate.link)
    pending = run().pending.get(url)
    if pending is not None:
        key, label = pending
        return judgment().is_eligible(key, label)
    siblings = _representative(url)
    if siblings is not None:
        return _sibling_to_take(siblings) is not None
    return True


def _make_candidate_from_link(call: Call, proceed: Proceed) -> Any:
    url = url_of(call["link"])
    pending = run().pending.get(url)
    siblings = _representative(url)
    if pending is not None:
        if not _judge(pending[0], url, pending[1]):
            return None  # pip then tries the release's next file
    elif siblings is not None and siblings.release is not None:
        member = _sibling_to_take(siblings)
        if member is None:
            return None
        call["link"] = member
    return proceed()


def _no_candidate(call: Call, proceed: Proceed) -> None:
    """Never take an unjudged variant: pip then tries the release's next file."""
    return None


def _one_by_one(candidates: list[Any]) -> list[Any]:
    """Every member of each set of siblings as its own candidate, made by pip's own link
    evaluation: hash-checking mode matches each file's hash."""
    result = []
    for candidate in candidates:
        siblings = run().siblings.get(url_of(candidate.link))
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


def _compute_best_candidate(call: Call) -> None:
    """Hash-checking mode matches each file's hash, and the legacy resolver takes the best
    file as it is: siblings become candidates one by one (here, as pip checks that what it
    keeps is among what it was given)."""
    candidates = list(call["candidates"])
    at_once = run().judge_at_once or bool(getattr(call["self"], "_hashes", None))
    if at_once and any(url_of(c.link) in run().siblings for c in candidates):
        call["candidates"] = _one_by_one(candidates)


def _get_applicable_candidates(call: Call, applicable: Any) -> Any:
    evaluator = call["self"]
    if not any(_label_of(c.link) is not None for c in applicable) and (
        canonicalize_name(str(evaluator._project_name)) not in settings().variant_labels
    ):
        return applicable
    kept = _filter_candidates(evaluator, list(applicable))
    return sorted(kept, key=evaluator._sort_key)


def _listed_candidates(call: Call, candidates: Any) -> Any:
    """``pip list --outdated`` and ``pip index versions`` read every candidate of a project
    without pip's resolver: releases with variant wheels are judged here, so a variant wheel
    this machine cannot take never counts as a version that exists."""
    found = list(candidates)
    if not any(_label_of(c.link) is not None for c in found):
        return candidates
    evaluator = call["self"].make_candidate_evaluator(project_name=call["project_name"])
    return [c for c in _filter_candidates(evaluator, found) if judge_candidate(c)]


def _ordinary_files_only(call: Call, applicable: Any) -> Any:
    """Never let an unjudged variant through: without our judgment only ordinary files."""
    return [c for c in applicable if _label_of(c.link) is None]


def _find_requirement(call: Call, proceed: Proceed) -> Any:
    """pip's legacy resolver installs the file of the best candidate it is given: every file
    is judged before the choice."""
    record = run()
    previous, record.judge_at_once = record.judge_at_once, True
    try:
        return proceed()
    finally:
        record.judge_at_once = previous


_SORT_KEYS_ATTRIBUTE = "_wheelnext_sort_keys"


def _sort_key(call: Call, proceed: Proceed) -> Any:
    evaluator = call["self"]
    candidate = call["candidate"]
    # pip's key of a candidate never changes for one evaluator; with variants a release has
    # many files and each is keyed in two sorts and a max: compute it once.
    known = vars(evaluator).setdefault(_SORT_KEYS_ATTRIBUTE, {})
    entry = known.get(id(candidate))
    if entry is None or entry[0] is not candidate:
        entry = known[id(candidate)] = (candidate, proceed(), candidate.link.url)
    key = entry[1]
    if not isinstance(key, tuple) or len(key) != 6:
        return key  # not the (hash, yank, binary, version, tag, build) key we know
    rank = run().ranks.get(entry[2].split("#", 1)[0], 0)
    return (*key[:4], rank, *key[4:])


# -- reporting -------------------------------------------------------------------------------


def _resolve(call: Call, requirement_set: Any) -> Any:
    resolver = call["self"]
    result = getattr(resolver, "_result", None)
    finder = getattr(getattr(resolver, "factory", None), "_finder", None)
    for candidate in getattr(result, "mapping", {}).values():
        if type(candidate).__name__ == "AlreadyInstalledCandidate":
            variant_wheels.hint_other_variant(candidate.dist, finder)
    for requirement in getattr(requirement_set, "all_requirements", []):
        link = getattr(requirement, "link", None)
        info = run().chosen_info.get(url_of(link)) if link is not None else None
        if info is None or info.project in run().announced:
            continue
        run().announced.add(info.project)
        described = "; ".join(info.properties) if info.properties else "no properties"
        logger.info(
            "wheelnext-pip: %s: variant %s chosen (%s)", info.project, info.label, described
        )
    return requirement_set


# -- internal errors ---------------------------------------------------------------------------


def _file_named(call: Call, parameter: str) -> str:
    filename = getattr(call.get(parameter), "filename", None)
    return filename if isinstance(filename, str) else "a file"


#: What each hook was doing, for the one line that reports its internal error.
_DOING: dict[Callable[..., Any], Callable[[Call], str]] = {
    _wheel_init: lambda call: f"reading the file name {call.get('filename')}",
    _sources_parse_wheel_filename: lambda call: f"reading the file name {call.get('filename')}",
    _evaluate_links: lambda call: "grouping variant wheels",
    _get_applicable_candidates: lambda call: (
        f"choosing among the files of {getattr(call.get('self'), '_project_name', 'a project')}"
    ),
    _compute_best_candidate: lambda call: "listing variant wheels one by one",
    _find_requirement: lambda call: "preparing pip's legacy resolver",
    _sort_key: lambda call: "sorting files",
    _make_candidate_from_link: lambda call: f"judging {_file_named(call, 'link')}",
    _resolve: lambda call: "reporting the variants chosen",
    _listed_candidates: lambda call: f"listing the versions of {call.get('project_name')}",
}


def _contain(point: PatchPoint, call: Call, exc: BaseException) -> None:
    """An internal error in one hook call: said once, and the feature stays on (a release
    judged later must not go through unjudged)."""
    doing = _DOING.get(point.hook)
    contained(doing(call) if doing is not None else f"running {point.attribute}", exc)


# Index groups ask whether a candidate will really be used (a group counts only if so).
acceptance.register(FEATURE, judge_candidate)

VARIANTS = PatchSet(
    FEATURE,
    (
        PatchPoint(
            FEATURE, "pip._internal.models.wheel", "Wheel.__init__", _wheel_init,
            params=("self", "filename"), kind="around",
        ),
        PatchPoint(
            FEATURE, "pip._internal.index.sources", "parse_wheel_filename",
            _sources_parse_wheel_filename, params=("filename",), required=False, kind="around",
        ),
        PatchPoint(
            FEATURE, "pip._internal.models.link", "Link.from_json", _link_from_json,
            params=("cls", "file_data", "page_url"), kind="after",
        ),
        PatchPoint(
            FEATURE, FINDER, "PackageFinder.evaluate_links", _evaluate_links,
            params=("self", "link_evaluator", "links"), kind="around",
        ),
        PatchPoint(
            FEATURE, FINDER, "CandidateEvaluator.get_applicable_candidates",
            _get_applicable_candidates, params=("self", "candidates"), kind="after",
            fallback=_ordinary_files_only,
        ),
        PatchPoint(
            FEATURE, FINDER, "CandidateEvaluator.compute_best_candidate",
            _compute_best_candidate, params=("self", "candidates"), kind="before",
        ),
        PatchPoint(
            FEATURE, FINDER, "PackageFinder.find_requirement", _find_requirement,
            params=("self", "req", "upgrade"), kind="around",
        ),
        PatchPoint(
            FEATURE, FINDER, "CandidateEvaluator._sort_key", _sort_key,
            params=("self", "candidate"), kind="around",
        ),
        *variant_wheels.POINTS,
        *variant_abi.POINTS,
        PatchPoint(
            FEATURE, "pip._internal.resolution.resolvelib.factory",
            "Factory._make_candidate_from_link", _make_candidate_from_link,
            params=("self", "link", "extras", "template", "name", "version"), kind="around",
            fallback=_no_candidate,
        ),
        PatchPoint(
            FEATURE, "pip._internal.resolution.resolvelib.resolver", "Resolver.resolve",
            _resolve, params=("self", "root_reqs"), required=False, kind="after",
        ),
    ),
    commands=frozenset({"install", "download", "wheel", "index", "list", "lock"}),
    error_prefix="wheelnext-pip: ",
    contain=_contain,
)  # fmt: skip

#: The commands that list a project's versions without resolving (pip's install path
#: judges releases lazily, as its resolver reaches them; this must not change that).
VARIANTS_LISTING = PatchSet(
    "variants-listing",
    (
        PatchPoint(
            "variants-listing", FINDER, "PackageFinder.find_all_candidates",
            _listed_candidates, params=("self", "project_name"), kind="after",
            fallback=_ordinary_files_only,
        ),
    ),
    commands=frozenset({"list", "index"}),
    error_prefix="wheelnext-pip: ",
    contain=_contain,
)  # fmt: skip

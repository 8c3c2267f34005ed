"""pip's package finder: ranked index groups (PEP 766 ideas).

pip asks its finder for every file of a project (``find_all_candidates``), which fetches
each location ``<index>/<project>/`` in turn (``process_project_url``). We walk the groups
highest first: only the locations of the groups reached so far may be fetched, the others
answer "nothing" without a request. After each group we classify what its locations
answered (``_get_simple_response`` tells the status, ``parse_links`` the files listed) and
let the policy in :mod:`wheelnext_pip.index_groups` choose, go on, or stop pip.

``fallthrough`` also wraps ``find_best_candidate``: a group is used only when one of its
candidates survives every filter for the requirement pip is resolving right now.

This is a protection: an internal error here stops pip instead of quietly falling back to
pip's "best version anywhere".
"""

from __future__ import annotations

import contextvars
import copy
import logging
import os
import re
import subprocess
from dataclasses import dataclass, field
from typing import Any, Callable

from pip._vendor.packaging.specifiers import SpecifierSet

from wheelnext_pip import _state
from wheelnext_pip._pip import acceptance
from wheelnext_pip._pip.registry import Call, PatchPoint, PatchSet, Proceed, original_of
from wheelnext_pip._settings import (
    DEFAULT_GROUP,
    Settings,
    canonicalize_name,
    normalize_index_url,
)
from wheelnext_pip.index_groups import (
    GroupLayout,
    GroupOutcome,
    IndexGroupError,
    PageOutcome,
    chosen_line,
    classify_page,
    combine_outcomes,
    fallthrough_line,
    first_match_step,
    is_distribution_file,
    layout_of,
    listed_nothing_line,
    redact_url,
    redirect_line,
    simple_json_problem,
    unsatisfied_line,
)

logger = logging.getLogger("wheelnext_pip")

FEATURE = "index-groups"
FINDER = "pip._internal.index.package_finder"
FACTORY = "pip._internal.resolution.resolvelib.factory"
COLLECTOR = "pip._internal.index.collector"
#: pip's own level between DEBUG and INFO, shown by ``pip -v``.
VERBOSE = 15
_STATE_ATTRIBUTE = "_wheelnext_index_groups"
_RETRIES_EXHAUSTED = re.compile(r"too many (\d{3}) error responses")
#: PEP 691's JSON Content-Type, as pip's parse_links tells it from HTML.
_SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"


@dataclass
class _Page:
    """One location of one project, as fetched (or not yet) in this run."""

    project: str
    group: str
    base_url: str
    #: ``<base_url>/<project>/`` as pip asks for it (credentials included: never print it raw).
    location: str
    status: int | None = None
    failure: str | None = None
    #: The failure was found here, not by pip, which therefore said nothing about it.
    failure_unreported: bool = False
    file_count: int = 0
    #: Where the location redirected to, if it did.
    redirect: str | None = None
    #: An index's page for this project; False for a --find-links page, which lists
    #: whatever it holds and so says nothing about one project.
    project_page: bool = True
    #: The candidates pip made of the page; None until fetched.
    candidates: list[Any] | None = None

    def outcome(self) -> PageOutcome:
        return classify_page(status=self.status, failure=self.failure, file_count=self.file_count)


@dataclass
class GroupWalk:
    """The walk over the groups for one project."""

    project: str
    order: tuple[str, ...]
    pinned: bool
    #: How many groups of ``order`` may be fetched so far.
    reached: int = 0
    pages: dict[str, _Page] = field(default_factory=dict)
    #: id(candidate) -> group, for candidates that came from a page.
    origin: dict[int, str] = field(default_factory=dict)
    by_group: dict[str, list[Any]] = field(default_factory=dict)
    #: group -> whether its candidates may be used (it answered, or it is the last resort).
    usable: dict[str, bool] = field(default_factory=dict)
    outcomes: dict[str, GroupOutcome] = field(default_factory=dict)
    #: first-match: the group chosen; the candidates it returned.
    chosen: str | None = None
    result: list[Any] | None = None
    announced: set[str] = field(default_factory=set)

    def usable_candidates(self, group: str) -> list[Any]:
        return list(self.by_group.get(group, [])) if self.usable.get(group) else []

    def allows(self, group: str) -> bool:
        return group in self.order[: self.reached]

    def absorb(self, candidates: list[Any]) -> None:
        """Sort the candidates of one collection run by group; local files are ``default``'s."""
        self.by_group = {}
        for candidate in candidates:
            group = self.origin.get(id(candidate), DEFAULT_GROUP)
            self.by_group.setdefault(group, []).append(candidate)

    def outcome_of(self, group: str) -> GroupOutcome:
        pages = [
            (page.base_url, page.outcome()) for page in self.pages.values() if page.group == group
        ]
        outcome = combine_outcomes(group, pages)
        if outcome.kind == "absent" and group == DEFAULT_GROUP:
            local = [c for c in self.by_group.get(group, []) if id(c) not in self.origin]
            if local:  # --find-links directories and files
                outcome = GroupOutcome(group, "files", f"{len(local)} local files")
        return outcome


@dataclass
class _FinderState:
    layout: GroupLayout
    walks: dict[str, GroupWalk] = field(default_factory=dict)
    best: dict[Any, Any] = field(default_factory=dict)
    warned: set[tuple[str, str]] = field(default_factory=set)


#: The page whose links pip is reading now (set around pip's page fetch and read by the
#: response hooks below it): a dynamic scope, not run state.
_CURRENT_PAGE: contextvars.ContextVar[_Page | None] = contextvars.ContextVar(
    "wheelnext_pip_index_group_page", default=None
)


def needed(settings: Settings) -> bool:
    """Inert with only ``default`` and no pins: pip stays stock."""
    return layout_of(settings).active


def _active_layout() -> GroupLayout | None:
    settings = _state.STATE.settings
    if settings is None:
        return None
    layout = layout_of(settings)
    return layout if layout.active else None


def _finder_state(finder: Any, layout: GroupLayout) -> _FinderState:
    state = vars(finder).get(_STATE_ATTRIBUTE)
    if not isinstance(state, _FinderState) or state.layout is not layout:
        state = _FinderState(layout)
        setattr(finder, _STATE_ATTRIBUTE, state)
    return state


def walk_of(finder: Any, project: str) -> GroupWalk | None:
    """How this run walked the groups for ``project`` with ``finder`` (``explain`` reads it),
    or None when index groups are off or the project was not looked up."""
    state = vars(finder).get(_STATE_ATTRIBUTE)
    if not isinstance(state, _FinderState):
        return None
    return state.walks.get(canonicalize_name(project))


def _walk(finder: Any, state: _FinderState, project: str) -> GroupWalk:
    key = canonicalize_name(project)
    walk = state.walks.get(key)
    if walk is None:
        layout = state.layout
        walk = GroupWalk(key, layout.order_for(key), layout.is_pinned(key))
        scope = finder._link_collector.search_scope
        locations = scope.get_index_urls_locations(project)
        for base, location in zip(scope.index_urls, locations):
            walk.pages[location] = _Page(key, layout.group_of(base), base, location)
        state.walks[key] = walk
        if _state.STATE.ledger.first_time("index-groups:summary"):
            logger.info("wheelnext-pip: %s", layout.describe())
    return walk


def _collect(original: Callable[..., Any], finder: Any, project: str) -> list[Any]:
    """pip's own collection, bypassing pip's per-project cache (we cache per group)."""
    cache = vars(finder).get("_all_candidates")
    if isinstance(cache, dict):  # pip >= 25.1
        cache.pop(project, None)
        return list(original(finder, project))
    inner = getattr(original, "__wrapped__", original)  # lru_cache up to pip 25.0
    return list(inner(finder, project))


def _advance(
    original: Callable[..., Any], finder: Any, state: _FinderState, walk: GroupWalk
) -> bool:
    """Fetch the next group of the walk and apply the policy; returns whether it has files."""
    position = walk.reached
    group = walk.order[position]
    walk.reached += 1
    walk.absorb(_collect(original, finder, walk.project))
    outcome = walk.outcome_of(group)
    walk.outcomes[group] = outcome
    last = walk.reached == len(walk.order)
    step = first_match_step(
        walk.project, outcome, pinned=walk.pinned, last=last, on_error=state.layout.on_error
    )
    logger.log(
        VERBOSE,
        "wheelnext-pip: %s: index group %r: %s (%s)",
        walk.project,
        group,
        {"files": "has files", "absent": "absent", "error": "error"}[outcome.kind],
        outcome.detail,
    )
    if step.action == "stop":
        raise IndexGroupError(step.message)
    if step.message:
        logger.warning("wheelnext-pip: %s", step.message)
    elif outcome.kind == "error":
        # The lowest group: pip's own handling goes on, but pip did not see this failure.
        for page in walk.pages.values():
            if page.group == group and page.failure_unreported:
                logger.warning(
                    "wheelnext-pip: skipping %s for %r: %s",
                    redact_url(page.location),
                    walk.project,
                    page.failure,
                )
    walk.usable[group] = step.action == "choose" or (last and outcome.kind == "error")
    return step.action == "choose"


_LISTED_NOTHING_SAID: set[tuple[str, str]] = set()


def _warn_listed_nothing(walk: GroupWalk, used: str | None) -> None:
    """A higher group whose 2xx pages listed no files counts as absent, but say so, once
    per group and project, when pip takes the project from lower down (or finds it
    nowhere): an outage that answers with a login page must not look like absence.
    """
    above = walk.order[: walk.order.index(used)] if used is not None else walk.order[:-1]
    for group in above:
        outcome = walk.outcomes.get(group)
        if outcome is None or outcome.kind != "absent":
            continue
        pages = [
            page
            for page in walk.pages.values()
            if page.group == group and page.project_page and page.outcome().listed_nothing
        ]
        if not pages or (walk.project, group) in _LISTED_NOTHING_SAID:
            continue
        _LISTED_NOTHING_SAID.add((walk.project, group))
        urls = [page.location for page in pages]
        status = pages[0].status or 200
        logger.warning(
            "wheelnext-pip: %s", listed_nothing_line(walk.project, group, urls, status, used)
        )


def _announce(walk: GroupWalk, group: str) -> None:
    if group == DEFAULT_GROUP or group in walk.announced:
        return
    walk.announced.add(group)
    page = next((p for p in walk.pages.values() if p.group == group and p.file_count), None)
    url = page.base_url if page is not None else None
    logger.info("wheelnext-pip: %s", chosen_line(walk.project, group, url))


def _first_match(
    original: Callable[..., Any], finder: Any, state: _FinderState, walk: GroupWalk
) -> list[Any]:
    while walk.reached < len(walk.order):
        if _advance(original, finder, state, walk):
            group = walk.order[walk.reached - 1]
            walk.chosen = group
            _warn_listed_nothing(walk, group)
            _announce(walk, group)
            return list(walk.by_group.get(group, []))
    _warn_listed_nothing(walk, None)
    last = walk.order[-1]
    return list(walk.by_group.get(last, [])) if walk.usable.get(last) else []


# -- hooks -------------------------------------------------------------------------------


def _collector_create(call: Call) -> None:
    """Named groups' URLs join pip's index URLs, so pip fetches them with its own session,
    auth, proxies and cache, and forwards them to the build-dependency child."""
    layout = _active_layout()
    if layout is not None:
        options = call["options"]
        present = [options.index_url, *(options.extra_index_urls or [])]
        extra = layout.urls_to_add(present)
        if extra:
            options = copy.copy(options)
            options.extra_index_urls = [*(options.extra_index_urls or []), *extra]
            call["options"] = options


def _find_all_candidates(call: Call, proceed: Proceed) -> Any:
    layout = _active_layout()
    if layout is None:
        return proceed()
    finder = call["self"]
    project = call["project_name"]
    locked = vars(finder).get("_locked_links")
    if isinstance(locked, dict) and canonicalize_name(project) in locked:
        return proceed()  # pylock installs name their file (pip 26.2+)
    state = _finder_state(finder, layout)
    walk = _walk(finder, state, project)
    if walk.result is None:
        if layout.strategy == "fallthrough":
            walk.result = _first_with_candidates(proceed.original, finder, state, walk)
        else:
            walk.result = _first_match(proceed.original, finder, state, walk)
    return list(walk.result)


def _first_with_candidates(
    original: Callable[..., Any], finder: Any, state: _FinderState, walk: GroupWalk
) -> list[Any]:
    """fallthrough without a requirement (``pip index versions``): the first group that
    has any candidate."""
    for group in walk.order:
        if not walk.allows(group):
            _advance(original, finder, state, walk)
        if walk.usable.get(group) and walk.by_group.get(group):
            _warn_listed_nothing(walk, group)
            _announce(walk, group)
            return list(walk.by_group[group])
    _warn_listed_nothing(walk, None)
    return []


def _process_project_url(call: Call, proceed: Proceed) -> Any:
    layout = _active_layout()
    if layout is None:
        return proceed()
    state = _finder_state(call["self"], layout)
    walk = _walk(call["self"], state, call["link_evaluator"].project_name)
    location = call["project_url"].url
    page = walk.pages.get(location)
    if page is None:  # a --find-links page: not project specific, always default's
        page = _Page(walk.project, DEFAULT_GROUP, location, location, project_page=False)
        walk.pages[location] = page
    if not walk.allows(page.group):
        return []  # a higher group serves this project: no request at all
    if page.candidates is not None:
        return list(page.candidates)
    token = _CURRENT_PAGE.set(page)
    try:
        candidates = proceed()
    finally:
        _CURRENT_PAGE.reset(token)
    if page.redirect is not None:
        logger.log(VERBOSE, "wheelnext-pip: %s", _redirect_text(walk, page, page.redirect))
    page.candidates = list(candidates)
    base = redact_url(page.base_url)
    ledger = _state.STATE.ledger
    for candidate in page.candidates:
        walk.origin[id(candidate)] = page.group
        ledger.index_group_chosen(candidate.link.url, page.group, base)
    return page.candidates


def _redirect_text(walk: GroupWalk, page: _Page, target: str) -> str:
    """Name the group whose page the redirect landed on, if any (compared as normalized
    URLs, never as raw prefixes)."""
    key = normalize_index_url(target)
    target_group = next(
        (p.group for p in walk.pages.values() if normalize_index_url(p.location) == key), None
    )
    return redirect_line(walk.project, page.group, page.location, target, target_group)


def _redirect_of(response: Any) -> str | None:
    """The final URL of a response that followed redirects (requests keeps the hops)."""
    final = getattr(response, "url", None)
    if getattr(response, "history", None) and isinstance(final, str):
        return final
    return None


def _failure_name(exc: BaseException) -> str:
    name = type(exc).__name__
    if name == "_NotAPIContent":
        return f"unsupported Content-Type {getattr(exc, 'content_type', '?')!s}"
    match = _RETRIES_EXHAUSTED.search(str(exc))
    if match:
        return f"HTTP {match.group(1)}, retries exhausted"
    return name


def _get_simple_response(call: Call, proceed: Proceed) -> Any:
    page = _CURRENT_PAGE.get()
    try:
        response = proceed()
    except BaseException as exc:
        if page is not None:
            failed = getattr(exc, "response", None)
            status = getattr(failed, "status_code", None)
            page.status = status if isinstance(status, int) else None
            page.failure = None if page.status is not None else _failure_name(exc)
            page.redirect = _redirect_of(failed)
        raise
    if page is not None:
        status = getattr(response, "status_code", None)
        page.status = status if isinstance(status, int) else 200
        page.redirect = _redirect_of(response)
    return response


def _parse_links(call: Call, proceed: Proceed) -> Any:
    page = _CURRENT_PAGE.get()
    if page is None:
        return proceed()
    content = call["page"]
    content_type = str(getattr(content, "content_type", "") or "").lower()
    problem = None
    if content_type.startswith(_SIMPLE_JSON):
        problem = simple_json_problem(bytes(content.content))
    if problem is not None:
        # pip would read such a body as "no files" or crash on it: it is an index error.
        page.failure = problem
        page.failure_unreported = True
        return []
    links = list(proceed())
    page.file_count = sum(1 for link in links if is_distribution_file(link.filename, page.project))
    return links


def _applicable(result: Any) -> list[Any]:
    applicable = getattr(result, "applicable_candidates", None)  # pip >= 24.x dataclass
    if applicable is None:
        applicable = list(result.iter_applicable())
    return list(applicable)


def _is_pinned(specifier: Any) -> bool:
    """``==`` (without ``.*``) or ``===``: pip then accepts yanked files (PEP 592)."""
    for spec in specifier or ():
        if spec.operator == "===" or (spec.operator == "==" and not spec.version.endswith(".*")):
            return True
    return False


def _viable(result: Any, specifier: Any) -> bool:
    """Whether pip's resolver would take a candidate of this result (yanked rules included).

    Every feature that may refuse a candidate pip listed is asked (see :mod:`acceptance`),
    best candidate first and only until one is taken: that is the order in which pip's
    resolver reaches them, so nothing is judged that the resolver would not judge (a variant
    release's ``-variants.json`` is fetched only for the release pip settles on).
    """
    best_first = list(reversed(_applicable(result)))
    if any(acceptance.may_take(c) for c in best_first if not c.link.is_yanked):
        return True
    # PEP 592: a pinned requirement may take a yanked file.
    return _is_pinned(specifier) and any(
        acceptance.may_take(c) for c in best_first if c.link.is_yanked
    )


def _requirement_text(project: str, specifier: Any) -> str:
    text = str(specifier or "")
    return f"{project}{text}" if text else project


def _find_best_candidate(call: Call, proceed: Proceed) -> Any:
    layout = _active_layout()
    if layout is None:
        return proceed()
    finder = call["self"]
    project = call["project_name"]
    specifier = call["specifier"]
    hashes = call["hashes"]
    if layout.strategy != "fallthrough":
        result = proceed()
        _explain_first_match_miss(finder, layout, project, specifier, result)
        return result
    locked = vars(finder).get("_locked_links")
    if isinstance(locked, dict) and canonicalize_name(project) in locked:
        return proceed()
    state = _finder_state(finder, layout)
    walk = _walk(finder, state, project)
    key = (walk.project, str(specifier or ""), hashes, walk.reached)
    if key in state.best:
        return state.best[key]
    fetch = original_of(FEATURE, "index.package_finder:PackageFinder.find_all_candidates")
    evaluator = finder.make_candidate_evaluator(
        project_name=project, specifier=specifier, hashes=hashes
    )
    passed: list[str] = []
    result = None
    for position, group in enumerate(walk.order):
        if not walk.allows(group):
            _advance(fetch, finder, state, walk)
        result = evaluator.compute_best_candidate(walk.usable_candidates(group))
        if _viable(result, specifier):
            if passed:
                requirement = _requirement_text(project, specifier)
                line = fallthrough_line(walk.project, requirement, passed, group)
                logger.info("wheelnext-pip: %s", line)
            _warn_listed_nothing(walk, group)
            _announce(walk, group)
            lower = [
                c
                for g in walk.order[position + 1 : walk.reached]
                for c in walk.usable_candidates(g)
            ]
            if lower:
                result = _with_fallbacks(result, evaluator.compute_best_candidate(lower))
            break
        if walk.usable_candidates(group):
            passed.append(group)
    else:
        _warn_listed_nothing(walk, None)
        everything = [c for group in walk.order for c in walk.usable_candidates(group)]
        result = evaluator.compute_best_candidate(everything)
    state.best[(walk.project, str(specifier or ""), hashes, walk.reached)] = result
    return result


def _with_fallbacks(result: Any, lower: Any) -> Any:
    """The chosen group's result, with candidates of lower groups already consulted for this
    project ranked after all of its own: when pip backtracks (for example for a requirement
    with extras, whose candidates are not asked again with the narrower specifier) it can
    still reach them, yet never prefers them."""
    applicable = _applicable(lower) + _applicable(result)  # pip tries the last one first
    everything = list(_all(lower)) + [c for c in _all(result) if c not in set(_all(lower))]
    return type(result)(everything, applicable, result.best_candidate)


def _all(result: Any) -> list[Any]:
    found = getattr(result, "all_candidates", None)
    if found is None:
        found = result._candidates  # pip < 24: only the private name
    return list(found)


def _explain_first_match_miss(
    finder: Any, layout: GroupLayout, project: str, specifier: Any, result: Any
) -> None:
    """first-match chose a group whose files all fail the requirement: name the group, since
    pip's "no matching distribution" cannot know why lower groups were not asked."""
    if _viable(result, specifier):
        return
    state = _finder_state(finder, layout)
    walk = state.walks.get(canonicalize_name(project))
    if walk is None or walk.chosen is None or walk.pinned:
        return
    lower = list(walk.order[walk.order.index(walk.chosen) + 1 :])
    warning = (walk.project, str(specifier or ""))
    if lower and warning not in state.warned:
        state.warned.add(warning)
        logger.warning(
            "wheelnext-pip: %s",
            unsatisfied_line(
                walk.project, _requirement_text(project, specifier), walk.chosen, lower
            ),
        )


def _find_candidates(call: Call) -> None:
    """fallthrough: let a narrowed requirement reach lower groups even where pip skips the
    finder.

    Once ``foo[extra]`` is pinned, pip answers the base ``foo`` from that pin alone; a later
    ``foo>=2`` then only conflicts, and the backtracked ``foo[extra]`` is asked again without
    the narrower specifier. Asking the finder for ``foo>=2`` here lets the walk consult the
    next group, whose candidates then rank after the higher group's in every later answer.
    """
    layout = _active_layout()
    if layout is None or layout.strategy != "fallthrough":
        return
    identifier = call["identifier"]
    pinned_elsewhere = False
    specifier = SpecifierSet()
    for requirement in call["requirements"][identifier]:
        candidate, ireq = requirement.get_candidate_lookup()
        if candidate is not None:
            pinned_elsewhere = True
        elif ireq is not None and ireq.req is not None:
            specifier &= ireq.req.specifier
    if pinned_elsewhere and str(specifier):
        call["self"]._finder.find_best_candidate(identifier.split("[", 1)[0], specifier, None)


def _python_option(argv: list[str]) -> str | None:
    for index, word in enumerate(argv):
        if word == "--python" and index + 1 < len(argv):
            return argv[index + 1]
        if word.startswith("--python="):
            return word.split("=", 1)[1]
    return os.environ.get("PIP_PYTHON") or None


def preflight(argv: list[str]) -> str | None:
    """``pip --python X`` re-runs pip under X, where only an installed wheelnext-pip can keep
    the ranking: refuse to hand the run over to an interpreter that would ignore it."""
    if os.environ.get("_PIP_RUNNING_IN_SUBPROCESS"):
        return None
    python = _python_option(argv)
    if python is None:
        return None
    try:
        probe = subprocess.run(
            [python, "-c", "import wheelnext_pip"], capture_output=True, timeout=60
        )
        present = probe.returncode == 0
    except (OSError, subprocess.SubprocessError):
        present = False
    if present:
        return None
    return (
        f"index groups are configured, but --python {python} has no wheelnext-pip, so pip "
        "there would ignore them; install wheelnext-pip into that environment or drop --python"
    )


def _venv_build_environment_init(call: Call) -> None:
    """pip 26.2+'s venv isolation installs build dependencies with a fresh interpreter that
    has no wheelnext-pip: index groups would not reach them, so stop (fail closed)."""
    installer = call.get("installer")
    if (
        _active_layout() is not None
        and type(installer).__name__ != "InprocessBuildEnvironmentInstaller"
    ):
        raise IndexGroupError(
            "index groups cannot reach build dependencies installed under "
            "--use-feature=venv-isolation (that child runs without wheelnext-pip); add "
            "--use-feature=inprocess-build-deps, or drop venv-isolation"
        )


INDEX_GROUPS = PatchSet(
    FEATURE,
    (
        PatchPoint(
            FEATURE,
            COLLECTOR,
            "LinkCollector.create",
            _collector_create,
            params=("cls", "session", "options"),
            kind="before",
        ),
        PatchPoint(
            FEATURE,
            COLLECTOR,
            "_get_simple_response",
            _get_simple_response,
            params=("url", "session"),
            kind="around",
        ),
        PatchPoint(FEATURE, FINDER, "parse_links", _parse_links, params=("page",), kind="around"),
        PatchPoint(
            FEATURE,
            FINDER,
            "PackageFinder.process_project_url",
            _process_project_url,
            params=("self", "project_url", "link_evaluator"),
            kind="around",
        ),
        PatchPoint(
            FEATURE,
            FINDER,
            "PackageFinder.find_all_candidates",
            _find_all_candidates,
            params=("self", "project_name"),
            kind="around",
        ),
        PatchPoint(
            FEATURE,
            FINDER,
            "PackageFinder.find_best_candidate",
            _find_best_candidate,
            params=("self", "project_name", "specifier", "hashes"),
            kind="around",
        ),
        PatchPoint(
            FEATURE,
            FACTORY,
            "Factory.find_candidates",
            _find_candidates,
            params=("self", "identifier", "requirements", "incompatibilities", "constraint"),
            kind="before",
        ),
        PatchPoint(
            FEATURE,
            "pip._internal.build_env.venv",
            "VenvBuildEnvironment.__init__",
            _venv_build_environment_init,
            params=("self", "installer"),
            kind="before",
            required=False,
        ),
    ),
    commands=frozenset({"install", "download", "wheel", "index", "list", "lock"}),
    fail_closed=True,
    needed=needed,
    error_prefix="wheelnext-pip: ",
    risk="risk taking a project from the wrong index",
)

"""pip's resolver: default extras (PEP 771).

A requirement that names no extras asks for the reserved extra ``PLACEHOLDER``; pip's own
extras machinery then gives it a separate node that depends on the base, so explicit
extras (R2), ``pkg[]`` (R3) and the union rule (R4) follow from how pip already resolves
extras. When such a node lists its dependencies, the placeholder becomes the candidate's
own ``Default-Extra`` values (per candidate, so per version and after backtracking).
``pkg[]`` survives pip's parse/str round trips through a mark kept beside pip's vendored
``Requirement`` objects (pip 26.3's have ``__slots__``, so nothing can be stored on them).

Cost only where used: a project gets the placeholder only once one of its candidates was
seen declaring ``Default-Extra``. Until then pip resolves exactly as stock pip (no node,
no requirement, same order). When a candidate that declares defaults is pinned and the
project was already named bare, that candidate adds its defaults node itself. If the
finished resolution shows that this differs from what the placeholder would have given
(the bare requirement was backtracked away), or the attempt failed, the resolution runs
again with the project known from the start; each new run knows at least one more such
project, so the number of runs is bounded by the number of projects that declare
defaults. resolvelib copies a broken state's incompatibilities into the new criterion on
every backjump, so that one list can double each time: the criteria are de-duplicated.

pip 23.3 also gives resolvelib the base (no extras) of an extras requirement that has a
version specifier, so that a conflict on that specifier backtracks the right candidates.
pip <= 23.2 does not; on those pips two optional points add that base requirement beside
each requirement we gave the placeholder (``_with_bases``).
"""

from __future__ import annotations

import copy
import itertools
import logging
import sys
from typing import Any, Callable

from wheelnext_pip import _state
from wheelnext_pip._names import canonicalize_name
from wheelnext_pip._pip.registry import (
    Call,
    Passthrough,
    PatchPoint,
    PatchSet,
    add_log_filter,
    hook_failed,
)
from wheelnext_pip.extras import (
    PLACEHOLDER,
    declared_defaults,
    has_empty_brackets,
)

logger = logging.getLogger("wheelnext_pip")

FEATURE = "default-extras"
REQUIREMENTS = "pip._vendor.packaging.requirements"
FACTORY = "pip._internal.resolution.resolvelib.factory"
CANDIDATES = "pip._internal.resolution.resolvelib.candidates"
PROVIDER = "pip._internal.resolution.resolvelib.provider"
RESOLVER = "pip._internal.resolution.resolvelib.resolver"
RESOLVELIB = "pip._vendor.resolvelib"
#: Holds ``Criterion`` on every resolvelib pip vendors (0.8.1 to 1.2.x).
RESOLVELIB_RESOLVERS = "pip._vendor.resolvelib.resolvers"

#: pip's ``-v`` level.
VERBOSE = 15


class _Restart(Passthrough):
    """The resolution must run again: a project's defaults were met too late."""


def is_marked_empty(requirement: Any) -> bool:
    return _state.STATE.default_extras.empty_brackets.get(id(requirement)) is requirement


def mark_empty(requirement: Any) -> None:
    """Mark a copy of a ``name[]`` requirement (``copy.deepcopy`` runs no ``__init__``)."""
    _state.STATE.default_extras.empty_brackets[id(requirement)] = requirement


def _requirement_init(call: Call, result: Any) -> Any:
    text = call["requirement_string"]
    if isinstance(text, str) and has_empty_brackets(text):
        requirement = call["self"]
        _state.STATE.default_extras.empty_brackets[id(requirement)] = requirement
    return result


def _requirement_str(call: Call, text: Any) -> Any:
    requirement = call["self"]
    if is_marked_empty(requirement) and isinstance(text, str):
        name = requirement.name
        if text.startswith(name) and not text[len(name) :].startswith("["):
            return f"{name}[]{text[len(name) :]}"
    return text


def _wants_defaults(ireq: Any) -> bool:
    """Whether a requirement is bare: it names no extras, not even ``[]`` (R1, R3)."""
    if not ireq.name or ireq.constraint or ireq.extras or is_marked_empty(ireq.req):
        return False
    excluded = _state.STATE.settings.no_default_extras if _state.STATE.settings else None
    return not excluded or ireq.name not in excluded


def _make_requirements_from_install_req(call: Call, proceed: Callable[[], Any]) -> Any:
    ireq = call["ireq"]
    if not _wants_defaults(ireq):
        return proceed()
    ledger = _state.STATE.default_extras
    project = canonicalize_name(ireq.name)
    if project in ledger.declaring:
        # A copy: pip's own ireq (and so its messages and report) stays untouched.
        ireq = copy.copy(ireq)
        ireq.extras = {PLACEHOLDER}
        call["ireq"] = ireq
        _scrub_candidate_logs()
        return proceed()
    # Stock pip's requirement; noted in case a candidate declares defaults later.
    ledger.bare_before.add(project)
    made = proceed()
    return made if ireq.link is None else _note_bare_links(made, ledger.bare_links)


def _note_bare_links(made: Any, noted: list[Any]) -> Any:
    """Remember the requirements pip made for a bare direct URL (rare: no cost elsewhere).
    pip <= 23.2 returns one requirement or None, later pips an iterator of them."""
    if made is None or hasattr(made, "get_candidate_lookup"):
        if made is not None:
            noted.append(made)
        return made
    made = list(made)
    noted.extend(made)
    return made


def _base_of(requirement: Any) -> Any:
    """The no-extras requirement that pip 23.3+ would yield beside ``requirement``, or None.

    Only for a requirement we gave the placeholder (its only extra) and that has a version
    specifier: like 23.3's ``SpecifierWithoutExtrasRequirement``, it carries the specifier
    on the base project, so a conflict there names the candidate that pinned the base.
    """
    ireq = getattr(requirement, "_ireq", None)
    if type(requirement).__name__ != "SpecifierRequirement" or ireq is None:
        return None
    if ireq.link is not None or ireq.req is None or not ireq.req.specifier:
        return None
    if set(ireq.extras) != {PLACEHOLDER}:
        return None
    base = copy.copy(ireq)
    base.extras = set()
    return type(requirement)(base)


def _with_bases(requirements: Any) -> list[Any]:
    """``requirements``, each placeholder one preceded by its base (pip <= 23.2)."""
    result = []
    for requirement in requirements:
        base = _base_of(requirement)
        if base is not None:
            result.append(base)
        result.append(requirement)
    return result


def _get_dependencies(call: Call, dependencies: Any) -> Any:
    # pip <= 23.2 returns a list; a generator would be spent if this failed half-way.
    return _with_bases(list(dependencies)) if isinstance(dependencies, list) else dependencies


def _collect_root_requirements(call: Call, collected: Any) -> Any:
    collected.requirements[:] = _with_bases(collected.requirements)
    return collected


def _pip_yields_no_bases(owner: Any, function: Callable[..., Any]) -> str | None:
    """Shape check: only pips without 23.3's ``_make_requirements_from_install_req``."""
    factory = getattr(sys.modules.get(FACTORY), "Factory", None)  # imported by the provider
    if factory is None:
        return f"{FACTORY} has no Factory"
    if hasattr(factory, "_make_requirements_from_install_req"):
        return "not needed: this pip adds the base of an extras requirement itself"
    return None


def _declared(dist: Any, project: str, version: Any) -> tuple[str, ...]:
    """A distribution's valid defaults; warns once per project about the ignored ones."""
    values = dist.metadata.get_all("Default-Extra")
    if not values:  # every distribution on PyPI today: one header lookup
        return ()
    declared = declared_defaults(values, dist.iter_provided_extras())
    ledger = _state.STATE.default_extras
    if declared.ignored and project not in ledger.warned_ignored:
        ledger.warned_ignored.add(project)
        logger.warning(
            "%s %s declares Default-Extra '%s' but no such Provides-Extra; ignored",
            project,
            version,
            "', '".join(declared.ignored),
        )
    return declared.defaults


def _iter_dependencies(call: Call, proceed: Callable[[], Any]) -> Any:
    """The defaults node's dependencies: the placeholder becomes this candidate's defaults."""
    candidate = call["self"]
    if PLACEHOLDER not in candidate.extras:
        return proceed()
    defaults: tuple[str, ...] = ()
    # A copy: self.extras feeds hash and identity.
    expanded = copy.copy(candidate)
    expanded.extras = candidate.extras - {PLACEHOLDER}
    try:
        name = canonicalize_name(str(candidate.base.name))
        defaults = _declared(candidate.base.dist, name, candidate.version)
        expanded.extras = expanded.extras | frozenset(defaults)
    except Exception as exc:
        # Not left to the registry: pip's own function would see the placeholder.
        hook_failed(FEATURE, exc)
    if defaults:
        announced = _state.STATE.default_extras.announced
        key = (name, str(candidate.version))
        if key not in announced:
            announced.add(key)
            logger.info("%s: default extras [%s] added (PEP 771)", name, ", ".join(defaults))
        _state.STATE.ledger.default_extras_added(name, list(defaults))
    if not expanded.extras:
        return _base_only(candidate)
    call["self"] = expanded
    return proceed()


def _base_iter_dependencies(call: Call, dependencies: Any) -> Any:
    """A pinned base candidate: learn whether its project declares defaults, and add its
    defaults node when the project was named bare before that was known."""
    node = _late_defaults_node(call["self"], call["with_requires"])
    return dependencies if node is None else itertools.chain(dependencies, (node,))


def _late_defaults_node(candidate: Any, with_requires: bool) -> Any:
    project = canonicalize_name(str(candidate.project_name))
    if not _declared(candidate.dist, project, candidate.version):
        return None
    ledger = _state.STATE.default_extras
    if project not in ledger.declaring:
        ledger.declaring.add(project)
        ledger.discovered_now.add(project)
        _scrub_candidate_logs()
    if not with_requires or project not in ledger.discovered_now:
        return None  # known from the start: bare requirements carry the placeholder
    if project not in ledger.bare_before:
        return None  # not named bare yet: later bare requirements carry the placeholder
    factory = candidate._factory
    node = factory.make_requirement_from_candidate(
        factory._make_extras_candidate(candidate, frozenset({PLACEHOLDER}))
    )
    ledger.injected.setdefault(project, []).append(node)
    return node


def _is_bare(requirement: Any, noted_links: list[Any]) -> bool:
    """Whether a requirement on a base project came from a bare requirement (R1)."""
    if any(requirement is noted for noted in noted_links):
        return True
    # Not SpecifierWithoutExtrasRequirement: that is pip's base of an extras requirement.
    if type(requirement).__name__ != "SpecifierRequirement":
        return False
    return _wants_defaults(requirement._ireq)


def _late_nodes_went_wrong(result: Any) -> bool:
    """Whether a defaults node that a candidate added itself is in the result without a
    bare requirement of its project left in it (the bare one was backtracked away)."""
    ledger = _state.STATE.default_extras
    for project, nodes in ledger.injected.items():
        node_name = nodes[0].name
        if node_name not in result.mapping:
            continue
        node_criterion = result.criteria.get(node_name)
        if node_criterion is not None and any(
            not any(requirement is node for node in nodes)
            for requirement, _parent in node_criterion.information
        ):
            continue  # also named bare after the project was known
        base_criterion = result.criteria.get(project)
        if base_criterion is None or not any(
            _is_bare(requirement, ledger.bare_links)
            for requirement, _parent in base_criterion.information
        ):
            return True
    return False


def _resolvelib_resolve(call: Call, proceed: Callable[[], Any]) -> Any:
    """Check a finished resolution in which candidates added their defaults nodes."""
    ledger = _state.STATE.default_extras
    try:
        result = proceed()
    except Exception as exc:
        # A failure with late nodes may be theirs: decide it with the projects known.
        if ledger.injected and type(exc).__module__.startswith(RESOLVELIB):
            raise _Restart from exc
        raise
    if ledger.injected and _late_nodes_went_wrong(result):
        raise _Restart
    return result


def _resolve(call: Call, proceed: Callable[[], Any]) -> Any:
    """pip's resolution, run again while a run learns of projects that declare defaults
    too late. Each restart follows an attempt that learnt at least one such project, so
    there are at most as many restarts as projects that declare defaults. pip's factory
    keeps its candidates and their metadata, so nothing is fetched twice."""
    ledger = _state.STATE.default_extras
    while True:
        ledger.start_attempt()
        try:
            return proceed()
        except _Restart:
            ledger.restarts += 1
            logger.log(
                VERBOSE,
                "wheelnext-pip: resolving again with the default extras of %s known",
                ", ".join(sorted(ledger.discovered_now)),
            )


#: resolvelib (every version pip vendors) extends the incompatibilities of a broken state
#: with those of the criterion it patches on each backjump, so one list can double each
#: time: apache-airflow reached 1.7 million entries of two candidates. pip matches them by
#: identity, so keeping each object once changes no decision. Short lists are left alone.
_DEDUPLICATE_FROM = 32


def _criterion_init(call: Call) -> None:
    incompatibilities = call["incompatibilities"]
    if len(incompatibilities) > _DEDUPLICATE_FROM:
        unique = list({id(candidate): candidate for candidate in incompatibilities}.values())
        if len(unique) < len(incompatibilities):
            call["incompatibilities"] = unique


def _base_only(candidate: Any) -> Any:
    yield candidate.base._factory.make_requirement_from_candidate(candidate.base)


def scrub_placeholder(text: str) -> str:
    """``pkg[x-pep771-default]`` -> ``pkg``; ``pkg[a,x-pep771-default]`` -> ``pkg[a]``."""
    if PLACEHOLDER not in text:
        return text
    text = text.replace(f",{PLACEHOLDER}", "").replace(f"{PLACEHOLDER},", "")
    return text.replace(f"[{PLACEHOLDER}]", "")


class _PlaceholderScrubber(logging.Filter):
    """Keeps the placeholder out of pip's resolution-conflict messages, which name
    candidates through attributes no narrower hook reaches."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
            if PLACEHOLDER in message:
                record.msg, record.args = scrub_placeholder(message), ()
        except Exception as exc:
            hook_failed(FEATURE, exc)
        return True


_SCRUBBER = _PlaceholderScrubber()
#: pip's loggers that name resolver candidates ("pip is looking at multiple versions of ...",
#: "Cannot install ..."): the only places the placeholder could surface.
_CANDIDATE_LOGGERS = (FACTORY, "pip._internal.resolution.resolvelib.reporter")


def _scrub_candidate_logs() -> None:
    """Called once the placeholder is in use (the filter is idempotent per logger)."""
    for name in _CANDIDATE_LOGGERS:
        add_log_filter(name, _SCRUBBER)


def _get_installation_error(call: Call, proceed: Callable[[], Any]) -> Any:
    _scrub_candidate_logs()
    error = proceed()
    if any(isinstance(arg, str) and PLACEHOLDER in arg for arg in error.args):
        error.args = tuple(
            scrub_placeholder(arg) if isinstance(arg, str) else arg for arg in error.args
        )
    return error


def _set_requirement_extras(call: Call, requirement: Any) -> Any:
    """pip 23.3+ drops extras by writing ``pkg[]``: that is pip's "no extras", never the
    user's opt-out, so it must not carry our ``pkg[]`` mark (nor show as ``pkg[]``)."""
    if not call["new_extras"]:
        _state.STATE.default_extras.empty_brackets.pop(id(requirement), None)
    return requirement


def _install_req_without_placeholder(call: Call, ireq: Any) -> Any:
    """pip 24+ copies the template's extras into the install requirement of the base
    candidate: the placeholder would then name the package in pip's own lines
    (``For req: pkg[x-pep771-default]``) and in what it installs."""
    extras = getattr(ireq, "extras", None)
    if extras and PLACEHOLDER in extras:
        ireq.extras = {extra for extra in extras if extra != PLACEHOLDER}
    return ireq


def _extend_extras(call: Call, proceed: Callable[[], Any]) -> Any:
    """pip 24+ folds each extras node's name into the install requirement of its base
    (``pkg[x-pep771-default]``), which pip then prints (``For req: ...``): never the
    placeholder."""
    extras = call["extras"]
    if PLACEHOLDER in extras:
        kept = [extra for extra in extras if extra != PLACEHOLDER]
        if not kept:
            return call["ireq"]
        call["extras"] = kept
    return proceed()


def _extras_candidate_str(call: Call, text: Any) -> Any:
    return scrub_placeholder(text) if isinstance(text, str) else text


DEFAULT_EXTRAS = PatchSet(
    FEATURE,
    (
        PatchPoint(
            FEATURE,
            FACTORY,
            "Factory.get_installation_error",
            _get_installation_error,
            params=("self", "e", "constraints"),
            kind="around",
        ),
        PatchPoint(
            FEATURE,
            "pip._internal.req.constructors",
            "_set_requirement_extras",
            _set_requirement_extras,
            params=("req", "new_extras"),
            required=False,  # pip >= 23.3
            kind="after",
        ),
        PatchPoint(
            FEATURE,
            REQUIREMENTS,
            "Requirement.__init__",
            _requirement_init,
            params=("self", "requirement_string"),
            kind="after",
        ),
        PatchPoint(
            FEATURE,
            REQUIREMENTS,
            "Requirement.__str__",
            _requirement_str,
            params=("self",),
            kind="after",
        ),
        (
            PatchPoint(
                FEATURE,
                FACTORY,
                "Factory._make_requirements_from_install_req",
                _make_requirements_from_install_req,
                params=("self", "ireq", "requested_extras"),
                kind="around",
            ),
            PatchPoint(
                FEATURE,
                FACTORY,
                "Factory._make_requirement_from_install_req",
                _make_requirements_from_install_req,
                params=("self", "ireq", "requested_extras"),
                kind="around",
            ),
        ),
        # pip <= 23.2 only (see _base_of).
        PatchPoint(
            FEATURE,
            PROVIDER,
            "PipProvider.get_dependencies",
            _get_dependencies,
            params=("self", "candidate"),
            required=False,
            check=_pip_yields_no_bases,
            kind="after",
        ),
        PatchPoint(
            FEATURE,
            FACTORY,
            "Factory.collect_root_requirements",
            _collect_root_requirements,
            params=("self", "root_ireqs"),
            required=False,
            check=_pip_yields_no_bases,
            kind="after",
        ),
        PatchPoint(
            FEATURE,
            CANDIDATES,
            "ExtrasCandidate.iter_dependencies",
            _iter_dependencies,
            params=("self", "with_requires"),
            kind="around",
        ),
        PatchPoint(
            FEATURE,
            CANDIDATES,
            "_InstallRequirementBackedCandidate.iter_dependencies",
            _base_iter_dependencies,
            params=("self", "with_requires"),
            kind="after",
        ),
        PatchPoint(
            FEATURE,
            CANDIDATES,
            "AlreadyInstalledCandidate.iter_dependencies",
            _base_iter_dependencies,
            params=("self", "with_requires"),
            kind="after",
        ),
        PatchPoint(
            FEATURE,
            RESOLVER,
            "Resolver.resolve",
            _resolve,
            params=("self", "root_reqs", "check_supported_wheels"),
            kind="around",
        ),
        PatchPoint(
            FEATURE,
            RESOLVELIB,
            "Resolver.resolve",
            _resolvelib_resolve,
            params=("self", "requirements", "max_rounds"),
            kind="around",
        ),
        PatchPoint(
            FEATURE,
            RESOLVELIB_RESOLVERS,
            "Criterion.__init__",
            _criterion_init,
            params=("self", "candidates", "information", "incompatibilities"),
            kind="before",
        ),
        PatchPoint(
            FEATURE,
            RESOLVER,
            "install_req_extend_extras",
            _extend_extras,
            params=("ireq", "extras"),
            required=False,  # pip >= 24.0
            kind="around",
        ),
        PatchPoint(
            FEATURE,
            CANDIDATES,
            "make_install_req_from_link",
            _install_req_without_placeholder,
            params=("link", "template"),
            kind="after",
        ),
        PatchPoint(
            FEATURE,
            CANDIDATES,
            "make_install_req_from_editable",
            _install_req_without_placeholder,
            params=("link", "template"),
            kind="after",
        ),
        PatchPoint(
            FEATURE,
            CANDIDATES,
            "ExtrasCandidate.__str__",
            _extras_candidate_str,
            params=("self",),
            required=False,
            kind="after",
        ),
    ),
    commands=frozenset({"install", "download", "wheel", "lock"}),
)


LEGACY_FEATURE = "default-extras-legacy-resolver"


def _legacy_get_dist_for(call: Call, dist: Any) -> Any:
    """pip's legacy resolver never applies defaults: say so for a package that has some
    (and stay silent where none has any, as stock pip is)."""
    values = dist.metadata.get_all("Default-Extra")
    project = canonicalize_name(str(dist.canonical_name))
    warned = _state.STATE.default_extras.legacy_warned
    if values and project not in warned:
        defaults = declared_defaults(values, dist.iter_provided_extras()).defaults
        if defaults:
            warned.add(project)
            logger.warning(
                "wheelnext-pip: %s %s declares default extras [%s] (PEP 771), which "
                "pip's legacy resolver does not apply",
                project,
                dist.version,
                ", ".join(defaults),
            )
    return dist


#: Applied with default extras when the command asks for pip's legacy resolver.
LEGACY_RESOLVER_NOTICE = PatchSet(
    LEGACY_FEATURE,
    (
        PatchPoint(
            LEGACY_FEATURE,
            "pip._internal.resolution.legacy.resolver",
            "Resolver._get_dist_for",
            _legacy_get_dist_for,
            params=("self", "req"),
            kind="after",
        ),
    ),
    commands=frozenset({"install", "download", "wheel"}),
)

__all__ = ["DEFAULT_EXTRAS", "LEGACY_RESOLVER_NOTICE", "is_marked_empty", "mark_empty"]

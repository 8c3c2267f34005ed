"""pip's resolver: default extras (PEP 771).

A requirement that names no extras asks for the reserved extra ``PLACEHOLDER``; pip's own
extras machinery then gives it a separate node that depends on the base, so explicit
extras (R2), ``pkg[]`` (R3) and the union rule (R4) follow from how pip already resolves
extras. When such a node lists its dependencies, the placeholder becomes the candidate's
own ``Default-Extra`` values (per candidate, so per version and after backtracking).
``pkg[]`` survives pip's parse/str round trips through a mark kept beside pip's vendored
``Requirement`` objects (pip 26.3's have ``__slots__``, so nothing can be stored on them).

pip 23.3 also gives resolvelib the base (no extras) of an extras requirement that has a
version specifier, so that a conflict on that specifier backtracks the right candidates.
pip <= 23.2 does not; on those pips two optional points add that base requirement beside
each requirement we gave the placeholder (``_with_bases``).
"""

from __future__ import annotations

import copy
import logging
import sys
from typing import Any, Callable

from wheelnext_pip import _state
from wheelnext_pip._pip import report
from wheelnext_pip._pip.registry import PatchPoint, PatchSet, argument, hook_failed
from wheelnext_pip.extras import PLACEHOLDER, expand_extras, has_empty_brackets

logger = logging.getLogger("wheelnext_pip")

FEATURE = "default-extras"
REQUIREMENTS = "pip._vendor.packaging.requirements"
FACTORY = "pip._internal.resolution.resolvelib.factory"
CANDIDATES = "pip._internal.resolution.resolvelib.candidates"
PROVIDER = "pip._internal.resolution.resolvelib.provider"

#: id(requirement) -> requirement, for vendored Requirements parsed from ``name[]``. The
#: strong reference keeps the id from being reused; parsing is cached, so this stays small.
_EMPTY_BRACKETS: dict[int, Any] = {}
_ANNOUNCED: set[tuple[str, str]] = set()
_WARNED_IGNORED: set[str] = set()


def is_marked_empty(requirement: Any) -> bool:
    return _EMPTY_BRACKETS.get(id(requirement)) is requirement


def _requirement_init(
    original: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    result = original(*args, **kwargs)
    try:
        text = args[1] if len(args) > 1 else kwargs.get("requirement_string")
        if isinstance(text, str) and has_empty_brackets(text):
            _EMPTY_BRACKETS[id(args[0])] = args[0]
    except Exception as exc:
        hook_failed(FEATURE, exc)
    return result


def _requirement_str(
    original: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    text = original(*args, **kwargs)
    try:
        requirement = args[0]
        if is_marked_empty(requirement) and isinstance(text, str):
            name = requirement.name
            if text.startswith(name) and not text[len(name) :].startswith("["):
                return f"{name}[]{text[len(name) :]}"
    except Exception as exc:
        hook_failed(FEATURE, exc)
    return text


def _wants_defaults(ireq: Any) -> bool:
    if not ireq.name or ireq.constraint or ireq.extras or is_marked_empty(ireq.req):
        return False
    settings = _state.STATE.settings
    return settings is None or ireq.name not in settings.no_default_extras


def _make_requirements_from_install_req(
    original: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    factory, ireq, *rest = args
    try:
        if _wants_defaults(ireq):
            # A copy: pip's own ireq (and so its messages and report) stays untouched.
            ireq = copy.copy(ireq)
            ireq.extras = {PLACEHOLDER}
            _scrub_candidate_logs()
    except Exception as exc:
        hook_failed(FEATURE, exc)
    return original(factory, ireq, *rest, **kwargs)


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


def _get_dependencies(
    original: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    dependencies = list(original(*args, **kwargs))
    try:
        return _with_bases(dependencies)
    except Exception as exc:
        hook_failed(FEATURE, exc)
        return dependencies


def _collect_root_requirements(
    original: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    collected = original(*args, **kwargs)
    try:
        collected.requirements[:] = _with_bases(collected.requirements)
    except Exception as exc:
        hook_failed(FEATURE, exc)
    return collected


def _pip_yields_no_bases(owner: Any, function: Callable[..., Any]) -> str | None:
    """Shape check: only pips without 23.3's ``_make_requirements_from_install_req``."""
    factory = getattr(sys.modules.get(FACTORY), "Factory", None)  # imported by the provider
    if factory is None:
        return f"{FACTORY} has no Factory"
    if hasattr(factory, "_make_requirements_from_install_req"):
        return "not needed: this pip adds the base of an extras requirement itself"
    return None


def _defaults_of(candidate: Any) -> tuple[list[str], list[str]]:
    dist = candidate.base.dist
    values = dist.metadata.get_all("Default-Extra") or []
    return list(values), list(dist.iter_provided_extras())


def _iter_dependencies(
    original: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    candidate = args[0]
    if PLACEHOLDER not in candidate.extras:
        return original(*args, **kwargs)
    try:
        default_values, provided = _defaults_of(candidate)
        expansion = expand_extras(candidate.extras, default_values, provided)
        name = str(candidate.base.name)
        for ignored in expansion.ignored:
            if name not in _WARNED_IGNORED:
                _WARNED_IGNORED.add(name)
                logger.warning(
                    "%s %s declares Default-Extra '%s' but no such Provides-Extra; ignored",
                    name,
                    candidate.version,
                    ignored,
                )
        expanded = copy.copy(candidate)
        expanded.extras = expansion.extras  # a copy: self.extras feeds hash and identity
    except Exception as exc:
        hook_failed(FEATURE, exc)
        expanded = copy.copy(candidate)
        expanded.extras = candidate.extras - {PLACEHOLDER}
        expansion = None
    if expansion is not None and expansion.defaults:
        key = (name, str(candidate.version))
        if key not in _ANNOUNCED:
            _ANNOUNCED.add(key)
            logger.info(
                "%s: default extras [%s] added (PEP 771)", name, ", ".join(expansion.defaults)
            )
        report.annotate(name, default_extras=list(expansion.defaults))
    if not expanded.extras:
        return _base_only(candidate)
    return original(expanded, *args[1:], **kwargs)


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
        logging.getLogger(name).addFilter(_SCRUBBER)


def _get_installation_error(
    original: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    _scrub_candidate_logs()
    error = original(*args, **kwargs)
    try:
        if any(isinstance(arg, str) and PLACEHOLDER in arg for arg in error.args):
            error.args = tuple(
                scrub_placeholder(arg) if isinstance(arg, str) else arg for arg in error.args
            )
    except Exception as exc:
        hook_failed(FEATURE, exc)
    return error


def _set_requirement_extras(
    original: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    """pip 23.3+ drops extras by writing ``pkg[]``: that is pip's "no extras", never the
    user's opt-out, so it must not carry our ``pkg[]`` mark (nor show as ``pkg[]``)."""
    requirement = original(*args, **kwargs)
    try:
        if not argument(args, kwargs, 1, "new_extras"):
            _EMPTY_BRACKETS.pop(id(requirement), None)
    except Exception as exc:
        hook_failed(FEATURE, exc)
    return requirement


def _extras_candidate_str(
    original: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    text = original(*args, **kwargs)
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
        ),
        PatchPoint(
            FEATURE,
            "pip._internal.req.constructors",
            "_set_requirement_extras",
            _set_requirement_extras,
            params=("req", "new_extras"),
            required=False,  # pip >= 23.3
        ),
        PatchPoint(
            FEATURE,
            REQUIREMENTS,
            "Requirement.__init__",
            _requirement_init,
            params=("self", "requirement_string"),
        ),
        PatchPoint(
            FEATURE, REQUIREMENTS, "Requirement.__str__", _requirement_str, params=("self",)
        ),
        (
            PatchPoint(
                FEATURE,
                FACTORY,
                "Factory._make_requirements_from_install_req",
                _make_requirements_from_install_req,
                params=("self", "ireq", "requested_extras"),
            ),
            PatchPoint(
                FEATURE,
                FACTORY,
                "Factory._make_requirement_from_install_req",
                _make_requirements_from_install_req,
                params=("self", "ireq", "requested_extras"),
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
        ),
        PatchPoint(
            FEATURE,
            FACTORY,
            "Factory.collect_root_requirements",
            _collect_root_requirements,
            params=("self", "root_ireqs"),
            required=False,
            check=_pip_yields_no_bases,
        ),
        PatchPoint(
            FEATURE,
            CANDIDATES,
            "ExtrasCandidate.iter_dependencies",
            _iter_dependencies,
            params=("self", "with_requires"),
        ),
        PatchPoint(
            FEATURE,
            CANDIDATES,
            "ExtrasCandidate.__str__",
            _extras_candidate_str,
            params=("self",),
            required=False,
        ),
    ),
    commands=frozenset({"install", "download", "wheel", "lock"}),
)

__all__ = ["DEFAULT_EXTRAS", "is_marked_empty"]

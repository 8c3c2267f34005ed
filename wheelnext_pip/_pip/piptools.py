"""pip-tools: ``pip-compile`` and ``pip-sync`` drive pip's resolver inside their own process.

They never call pip's ``Command.main`` (where a pip run starts wheelnext-pip's command): they
create pip's ``install`` command and parse pip options themselves, then build the finder
and the resolver from it. So in a pip-tools process the command starts where pip-tools
parses those options (``Command.parse_args``); pip-sync installs through a child
``python -m pip install -r ...``, which activates as any pip run does.

pip-tools also does a few steps of its own that the features must reach:

- it folds each extras node's extras into the line it writes, so the default-extras
  placeholder is taken out of those lines (a bare ``pkg`` stays ``pkg``; its defaults are
  pinned as the dependencies they are), and ``pkg[]`` keeps its brackets through pip-tools'
  copies of requirements, so the compiled file says ``pkg[]`` and a ``pip-sync`` with the
  feature on installs no defaults for it either;
- ``--generate-hashes`` asks every index's JSON API about each pin (only the serving
  group's, with index groups) and hashes every file of the version (every variant wheel,
  not the one representative pip's finder lists);
- pip-sync uninstalls what the file does not list: not wheelnext-pip's own tree.
"""

from __future__ import annotations

import sys
from typing import Any

from wheelnext_pip import _state
from wheelnext_pip._names import canonicalize_name
from wheelnext_pip._pip import default_extras, report, session
from wheelnext_pip._pip.registry import (
    Call,
    PatchPoint,
    PatchSet,
    Proceed,
    apply_set,
    hook_failed,
)
from wheelnext_pip.extras import PLACEHOLDER

BASE_COMMAND = "pip._internal.cli.base_command"
RESOLVER = "piptools.resolver"

#: What wheelnext-pip cannot do inside pip-tools (``doctor`` and the README say the same).
LIMITS: tuple[tuple[str, str], ...] = (
    (
        "default-extras",
        "applied by pip-tools' backtracking resolver (its default); --resolver=legacy applies none",
    ),
    (
        "index-groups",
        "pip-tools records indexes per file, not per package: named groups' URLs become "
        "--extra-index-url lines (--no-emit-index-url drops them); with --generate-hashes "
        "each pin lists only the files of the group that served it",
    ),
    (
        "variants",
        "the file pins a version, not a variant: --generate-hashes lists every variant "
        "wheel of it and pip-sync installs the one that fits the installing machine; the "
        "dependencies pinned are those of the variant that fits the compiling machine "
        "(describe the target in a variant-properties-file to compile for another)",
    ),
    ("symlinks", "nothing to compile; pip-sync installs through pip, which applies it"),
    (
        "build-isolation",
        "applies to the builds pip runs; a pyproject.toml/setup.py input file is read "
        "with pypa/build, outside pip, so the settings do not reach that build",
    ),
)


def _flush_to_stderr() -> None:
    # pip-tools sets up pip's logging through a name bound before wheelnext-pip loaded.
    pending = _state.STATE.pending_warnings
    while pending:
        sys.stderr.write(f"WARNING: {pending.pop(0)}\n")


def _parse_args(call: Call) -> None:
    """The first pip command pip-tools parses starts wheelnext-pip's command."""
    if _started["done"]:
        return
    _started["done"] = True
    command = str(getattr(call["self"], "name", ""))
    error = session.start_command(command, [str(arg) for arg in call["args"]])
    if error is not None:
        sys.stderr.write(f"ERROR: {error}\n")
        raise SystemExit(1)
    _apply_tool_sets()
    _flush_to_stderr()


_started = {"done": False}


def _apply_tool_sets() -> None:
    """pip-tools' own steps that a feature must reach (``None``: whatever is requested)."""
    wanted: tuple[tuple[str | None, PatchSet], ...] = (
        (None, KEEP_PLUGIN),
        ("default-extras", OUTPUT),
        ("index-groups", HASH_SOURCES),
        ("variants", VARIANT_HASHES),
    )
    for feature, patch_set in wanted:
        if feature is None or _state.STATE.is_live(feature):
            status = apply_set(patch_set)
            if not status.active:
                _state.STATE.pending_warnings.append(
                    f"wheelnext-pip: cannot hook this pip-tools ({status.reason}); "
                    f"pip-tools runs without {patch_set.name}"
                )


def _without_placeholder(ireq: Any) -> None:
    extras = getattr(ireq, "extras", None)
    if extras and PLACEHOLDER in extras:
        ireq.extras = {extra for extra in extras if extra != PLACEHOLDER}
    req: Any = getattr(ireq, "req", None)
    req_extras = getattr(req, "extras", None)
    if req_extras and PLACEHOLDER in req_extras:
        req.extras = {extra for extra in req_extras if extra != PLACEHOLDER}


def _install_requirements(call: Call, result: Any) -> Any:
    """pip-tools folds every extras node into the line of its project: not the placeholder.
    A pin of a project named only as ``pkg[]`` (no defaults node in the result) stays
    ``pkg[]``, so that installing the compiled file adds no defaults either."""
    mapping = call["resolver_result"].mapping
    with_defaults = {
        canonicalize_name(str(candidate.project_name))
        for candidate in mapping.values()
        if PLACEHOLDER in getattr(candidate, "extras", ())
    }
    for ireq in result:
        _without_placeholder(ireq)
        req = getattr(ireq, "req", None)
        if req is None or ireq.extras or canonicalize_name(req.name) in with_defaults:
            continue
        sources = getattr(ireq, "_source_ireqs", ())
        if any(default_extras.is_marked_empty(getattr(s, "req", None)) for s in sources):
            default_extras.mark_empty(req)
    return result


_AFTER_NAME = ("", "=", "<", ">", "!", "~", " ", ";")


def _format_requirement(call: Call, line: Any) -> Any:
    """pip-tools prints a shallow copy of the requirement: put back the ``[]`` of ``pkg[]``."""
    ireq = call["ireq"]
    req: Any = getattr(ireq, "req", None)
    if isinstance(line, str) and not ireq.editable and default_extras.is_marked_empty(req):
        name = canonicalize_name(req.name)
        # ``name`` then a version, a marker or nothing: never ``name[extra]`` or a URL.
        if line.startswith(name) and line[len(name) : len(name) + 1] in _AFTER_NAME:
            line = f"{name}[]{line[len(name) :]}"
    return line


def _copy_install_requirement(call: Call, copied: Any) -> Any:
    """pip-tools copies requirements with ``copy.deepcopy``: keep the mark of ``pkg[]``."""
    template = call["template"]
    # ``req`` given: the copy has a requirement of its own (``**extra_args``).
    if "req" not in call.kwargs and default_extras.is_marked_empty(getattr(template, "req", None)):
        req = getattr(copied, "req", None)
        if req is not None and not req.extras:
            default_extras.mark_empty(req)
    return copied


class _Scoped:
    """An object seen through ``overrides``: every other attribute is the original's."""

    def __init__(self, original: Any, **overrides: Any) -> None:
        self._original = original
        self.__dict__.update(overrides)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._original, name)


def _get_project(call: Call, proceed: Proceed) -> Any:
    """``--generate-hashes`` asks every index's JSON API about every pinned project (pip-tools'
    own request, outside pip's finder): with groups ranked, only the indexes of the group
    that served the project are asked, so a private name never reaches a public index."""
    from wheelnext_pip.index_groups import layout_of

    repository = call["self"]
    # Its own error handling: the set's rule (fail open) would ask every index instead.
    try:
        settings = _state.STATE.settings
        layout = layout_of(settings) if settings is not None else None
        ranked = layout is not None and layout.active
        if layout is not None and ranked:
            serving = {
                report.link_group(candidate.link.url)
                for candidate in repository.find_all_candidates(call["ireq"].name)
            }
            scope = repository.finder.search_scope
            allowed = [url for url in scope.index_urls if layout.group_of(url) in serving]
    except Exception as exc:
        hook_failed("pip-tools-hashes", exc)
        return None  # pip-tools then hashes the files it found: nothing else is asked
    if not ranked:
        return proceed()
    if not allowed:
        return None
    search_scope = _Scoped(scope, index_urls=allowed)
    call["self"] = _Scoped(repository, finder=_Scoped(repository.finder, search_scope=search_scope))
    return proceed()


def _matching_candidates(call: Call, matching: Any) -> Any:
    """``--generate-hashes`` hashes every file of the pinned version, for any machine: pip's
    finder lists one representative per set of variant wheels, so add the others."""
    from pip._internal.models.candidate import InstallationCandidate

    from wheelnext_pip._pip import variants

    extra = set()
    for candidate in matching:
        for link in variants.sibling_links(candidate.link):
            if link.url != candidate.link.url:
                extra.add(InstallationCandidate(str(candidate.name), str(candidate.version), link))
    if extra:
        return type(matching)([*matching, *extra])
    return matching


def _dists_to_ignore(call: Call, ignored: Any) -> Any:
    """pip-sync removes what the compiled file does not list, except pip-tools' own tree:
    with wheelnext-pip on, keep wheelnext-pip's tree too, or the install that follows
    would run as stock pip (the file rarely lists the plugin of the tool installing it)."""
    installed = call["installed"]
    if isinstance(installed, (list, tuple)):
        keys = {canonicalize_name(str(dist.key)): dist for dist in installed}
        if "wheelnext-pip" in keys:
            sync = sys.modules["piptools.sync"]
            tree = set(sync.dependency_tree(keys, "wheelnext-pip"))
            # A wheel installed from a file or URL is keyed by that reference in
            # pip-tools < 7.6's comparison, not by its name.
            tree |= {str(sync.diff_key_from_req(keys[name])) for name in tree if name in keys}
            ignored = [*ignored, *sorted(tree - set(ignored))]
    return ignored


#: Applied when pip's CLI module is imported in a pip-tools process.
START = PatchSet(
    "pip-tools",
    (
        PatchPoint(
            "pip-tools",
            BASE_COMMAND,
            "Command.parse_args",
            _parse_args,
            params=("self", "args"),
            kind="before",
        ),
    ),
)

#: Applied with default extras at the start of a pip-tools command.
OUTPUT = PatchSet(
    "pip-tools-output",
    (
        PatchPoint(
            "pip-tools-output",
            RESOLVER,
            "BacktrackingResolver._get_install_requirements",
            _install_requirements,
            params=("self", "resolver_result"),
            kind="after",
        ),
        PatchPoint(
            "pip-tools-output",
            "piptools.writer",
            "format_requirement",
            _format_requirement,
            params=("ireq", "marker", "hashes"),
            kind="after",
        ),
        PatchPoint(
            "pip-tools-output",
            "piptools.sync",
            "format_requirement",
            _format_requirement,
            params=("ireq", "marker", "hashes"),
            kind="after",
        ),
        (
            # pip-tools 7.5+: every call site goes through its pip facade.
            PatchPoint(
                "pip-tools-output",
                "piptools._internal._pip_api",
                "copy_install_requirement",
                _copy_install_requirement,
                params=("template",),
                kind="after",
            ),
            # pip-tools 7.4: the resolver's own import of the helper.
            PatchPoint(
                "pip-tools-output",
                RESOLVER,
                "copy_install_requirement",
                _copy_install_requirement,
                params=("template",),
                kind="after",
            ),
        ),
    ),
)


#: Applied at the start of a pip-tools command.
KEEP_PLUGIN = PatchSet(
    "pip-tools-sync",
    (
        PatchPoint(
            "pip-tools-sync",
            "piptools.sync",
            "get_dists_to_ignore",
            _dists_to_ignore,
            params=("installed",),
            kind="after",
        ),
    ),
)

#: Applied with variants at the start of a pip-tools command.
VARIANT_HASHES = PatchSet(
    "pip-tools-variant-hashes",
    (
        PatchPoint(
            "pip-tools-variant-hashes",
            "piptools.repositories.pypi",
            "PyPIRepository._get_matching_candidates",
            _matching_candidates,
            params=("self", "ireq"),
            kind="after",
        ),
    ),
)

#: Applied with index groups at the start of a pip-tools command.
HASH_SOURCES = PatchSet(
    "pip-tools-hashes",
    (
        PatchPoint(
            "pip-tools-hashes",
            "piptools.repositories.pypi",
            "PyPIRepository._get_project",
            _get_project,
            params=("self", "ireq"),
            kind="around",
        ),
    ),
)

__all__ = [
    "HASH_SOURCES",
    "KEEP_PLUGIN",
    "LIMITS",
    "OUTPUT",
    "START",
    "VARIANT_HASHES",
    "doctor_section",
]


def _installed_piptools() -> tuple[str, list[str]] | None:
    """pip-tools' version and its requirements on pip, read from its metadata (no import)."""
    from importlib import metadata

    try:
        dist = metadata.distribution("pip-tools")
    except metadata.PackageNotFoundError:
        return None
    from packaging.requirements import InvalidRequirement, Requirement

    pins = []
    for text in dist.requires or ():
        try:
            requirement = Requirement(text)
        except InvalidRequirement:
            continue
        if requirement.name.lower() == "pip" and requirement.marker is None:
            pins.append(str(requirement.specifier))
    return dist.version, pins


def doctor_section(settings: Any) -> dict[str, Any]:
    """Whether pip-tools here runs with wheelnext-pip, and what it cannot do (``doctor``)."""
    from wheelnext_pip._pip import compat, registry

    found = _installed_piptools()
    limits = [f"{feature}: {text}" for feature, text in LIMITS]
    if found is None:
        return {
            "installed": None,
            "active": False,
            "lines": ["not installed (pip-compile and pip-sync are hooked when it is)"],
        }
    version, pip_pins = found
    pip_version = compat.pip_version_text()
    lines = [f"pip-tools {version}: pip-compile and pip-sync run with wheelnext-pip"]
    problems = []
    try:
        from packaging.specifiers import SpecifierSet

        for pin in pip_pins:
            if not SpecifierSet(pin).contains(pip_version, prereleases=True):
                problems.append(f"pip-tools {version} needs pip{pin}; this pip is {pip_version}")
    except Exception:
        pass  # an unreadable pin: the hook check below still tells
    for patch_set in (START, KEEP_PLUGIN, OUTPUT, HASH_SOURCES, VARIANT_HASHES):
        status = registry.plan(patch_set)
        if not status.active:
            problems.append(f"{patch_set.name}: {status.reason}")
    lines += [f"INACTIVE: {problem}" for problem in problems]
    return {
        "installed": version,
        "active": not problems,
        "problems": problems,
        "lines": lines + limits,
    }

"""pip's source builds: per-package build isolation and passthrough.

The policy is :mod:`wheelnext_pip.build_isolation`; this module holds every touch of pip's
internals for the feature:

* ``operations.prepare._get_prepared_distribution`` decides per requirement: a project in
  ``no-build-isolation-package`` gets pip's own "isolation off" path (``False`` up to pip
  26.1, ``"off"`` from 26.2), after checking that the target environment has its build
  requirements; every other build keeps pip's mode.
* The isolated build environment's ``install_requirements`` takes the consented
  (``build-isolation-passthrough``) build requirements that the target environment
  satisfies out of the list pip installs, and exposes exactly those distributions (and
  their installed runtime dependencies) through a per-build directory of links named by a
  ``.pth`` file in the environment's own site directory.
* ``wheel_builder._should_cache`` keeps wheels built that way out of pip's wheel cache,
  and ``cache.Cache._get_cache_path_parts`` keeps the cache of one set of build isolation
  settings apart from another's.
"""

from __future__ import annotations

import contextvars
import csv
import logging
import os
import site
import sys
import sysconfig
from typing import TYPE_CHECKING, Any, Callable

from wheelnext_pip import _state
from wheelnext_pip._names import canonicalize_name
from wheelnext_pip._pip.registry import Call, PatchPoint, PatchSet
from wheelnext_pip._record import record
from wheelnext_pip._settings import Settings
from wheelnext_pip._toml import loads

if TYPE_CHECKING:
    from wheelnext_pip.build_isolation import InstalledDist, PassthroughPlan

#: What the build-isolation policy imports only when it reads requirements.
LATE_IMPORTS = ("packaging.requirements", "packaging.markers", "packaging.version")

logger = logging.getLogger("wheelnext_pip")

FEATURE = "build-isolation"
PREPARE = "pip._internal.operations.prepare"
WHEEL_BUILDER = "pip._internal.wheel_builder"
CACHE = "pip._internal.cache"
BUILD_ENV = "pip._internal.build_env"
BUILD_ENV_VIRTUAL = "pip._internal.build_env.virtual"
METADATA = "pip._internal.metadata"

PTH_NAME = "wheelnext-pip-passthrough.pth"
LINKS_PREFIX = "wheelnext-pip-passthrough-"


@record(frozen=True)
class _Build:
    """The source build being prepared in this context."""

    project: str
    key: str


_BUILDING: contextvars.ContextVar[_Build | None] = contextvars.ContextVar(
    "wheelnext_pip_build", default=None
)
#: Canonical names of projects whose wheels depend on the target environment.


def _once(key: str, level: int, message: str) -> None:
    _state.STATE.ledger.warn_once(f"{FEATURE}:{key}", message, level)


def _settings() -> Settings | None:
    return _state.STATE.settings


# -- which project is this -------------------------------------------------------------


def _read_pyproject(req: Any) -> dict[str, Any]:
    source = getattr(req, "source_dir", None)
    if not source:
        return {}
    path = os.path.join(req.unpacked_source_directory, "pyproject.toml")
    try:
        with open(path, encoding="utf-8") as stream:
            data: dict[str, Any] = loads(stream.read())
    except (OSError, ValueError):
        return {}
    return data


def _project_of(req: Any, pyproject: dict[str, Any]) -> str | None:
    """The requirement's project name; for unnamed requirements, ``[project].name``."""
    from wheelnext_pip import build_isolation as policy

    name = getattr(req, "name", None)
    if name:
        return str(name)
    return policy.project_name(pyproject)


def _is_source_build(req: Any) -> bool:
    if getattr(req, "editable", False):
        return True
    link = getattr(req, "link", None)
    return not (link is not None and getattr(link, "is_wheel", False))


# -- operations.prepare._get_prepared_distribution --------------------------------------


def _off_value(mode: object) -> object:
    """pip's "isolation off" in the type pip uses: ``False`` (<= 26.1) or ``"off"``."""
    if isinstance(mode, bool):
        return False
    if isinstance(mode, str):
        return "off"
    raise TypeError(f"unexpected build_isolation value {mode!r}")


def _is_off(mode: object) -> bool:
    return mode is False or mode == "off"


def _prepare_without_isolation(req: Any, project: str, check_build_deps: bool) -> bool:
    """Check the target environment for a listed project; False if pip builds it anyway."""
    from wheelnext_pip import build_isolation as policy

    req.load_pyproject_toml()
    if getattr(req, "use_pep517", True) is False:
        logger.debug("wheelnext-pip: %s is not a PEP 517 build; pip never isolates it", project)
        return False
    requires = list(req.pyproject_requires or [])
    conflicting, missing = req.build_env.check_requirements(requires)
    found = policy.check_target_environment(missing, conflicting)
    if found.missing:
        raise policy.BuildIsolationError(policy.message_missing(project, found.missing))
    if found.conflicting and not check_build_deps:
        logger.warning(policy.message_conflicts(project, found.conflicting))
    return True


def _get_prepared_distribution(call: Call, proceed: Callable[[], Any]) -> Any:
    settings = _settings()
    req = call["req"]
    if settings is None or req is None:
        return proceed()
    mode = call["build_isolation"]
    check_build_deps = bool(call["check_build_deps"])
    build = None
    if _is_source_build(req):
        pyproject = _read_pyproject(req)
        project = _project_of(req, pyproject)
        if project is not None:
            build = _Build(project, canonicalize_name(project))
    if build is not None:
        # Only a source build needs the policy: a run of wheels never imports it.
        from wheelnext_pip import build_isolation as policy
    if build is not None and build.key in settings.no_build_isolation_package:
        if _is_off(mode):
            logger.debug(
                "wheelnext-pip: %s is in no-build-isolation-package, but "
                "--no-build-isolation already builds every project without isolation",
                build.project,
            )
            _state.STATE.ledger.built_in_target_environment(build.key)
        elif _prepare_without_isolation(req, build.project, check_build_deps):
            logger.info(policy.message_no_isolation(build.project))
            _state.STATE.ledger.built_in_target_environment(build.key)
            call["build_isolation"] = _off_value(mode)
    elif build is not None and not _is_off(mode):
        declared = [
            name
            for name in policy.declared_passthrough(pyproject)
            if name not in settings.build_isolation_passthrough
        ]
        if declared:
            logger.info(policy.message_declared(build.project, declared))
        if mode == "venv" and settings.build_isolation_passthrough:
            _once(
                "venv",
                logging.WARNING,
                "wheelnext-pip: build-isolation-passthrough does not apply with "
                "--use-feature=venv-isolation; build requirements are installed into "
                "each build venv as usual",
            )
    elif build is not None and settings.build_isolation_passthrough:
        _once(
            "moot-passthrough",
            logging.DEBUG,
            "wheelnext-pip: build-isolation-passthrough is moot with --no-build-isolation "
            "(every build uses the target environment)",
        )
    elif build is None and _is_source_build(req):
        logger.debug(
            "wheelnext-pip: the project name of %s is not known before its build; "
            "no-build-isolation-package cannot match it",
            req,
        )
    token = _BUILDING.set(build)
    try:
        return proceed()
    finally:
        _BUILDING.reset(token)


# -- passthrough: the isolated environment's install_requirements -----------------------


def _install_locations(command: _state.CommandContext) -> list[str]:
    """Where this run installs when that is not the running interpreter's environment
    (``--target``, ``--prefix``, ``--user``): the host passthrough looks there first."""
    if command.target_dir:
        return [os.path.abspath(command.target_dir)]
    prefix = command.prefix
    if prefix:
        variables = {"base": prefix, "platbase": prefix}
        paths = sysconfig.get_paths(vars=variables)
        return list(dict.fromkeys([paths["purelib"], paths["platlib"]]))
    if command.user_site:
        return [site.getusersitepackages()]
    return []


def _host_lookup(name: str) -> tuple[InstalledDist, Any] | None:
    metadata = sys.modules[METADATA]
    dist = None
    locations = _install_locations(_state.STATE.command)
    if locations:
        dist = metadata.get_environment(locations).get_distribution(name)
    if dist is None:
        dist = metadata.get_default_environment().get_distribution(name)
    if dist is None:
        return None
    requires = tuple(str(value) for value in (dist.metadata.get_all("Requires-Dist") or []))
    from wheelnext_pip import build_isolation as policy

    return policy.InstalledDist(str(dist.raw_name), str(dist.version), requires), dist


def _record_paths(info_location: str) -> list[str]:
    with open(os.path.join(info_location, "RECORD"), encoding="utf-8", newline="") as stream:
        return [row[0] for row in csv.reader(stream) if row]


def _make_links(links_dir: str, sources: dict[str, Any]) -> None:
    """Link every exposed distribution's files into ``links_dir``."""
    from wheelnext_pip import build_isolation as policy

    for dist in sources.values():
        info = dist.info_location
        location = dist.location
        if not info or not location or not info.endswith(".dist-info"):
            raise OSError(f"{dist.raw_name} is not installed with a .dist-info directory")
        for relative in policy.link_paths(_record_paths(info)):
            source = os.path.join(location, *relative.split("/"))
            target = os.path.join(links_dir, *relative.split("/"))
            if not os.path.lexists(source) or os.path.lexists(target):
                continue
            os.makedirs(os.path.dirname(target), exist_ok=True)
            os.symlink(source, target, target_is_directory=os.path.isdir(source))


def _expose(env: Any, prefix_name: str, plan: PassthroughPlan, sources: dict[str, Any]) -> None:
    """Make the planned distributions visible inside the isolated environment."""
    prefix = env._prefixes[prefix_name]
    site_dir = prefix.lib_dirs[0]
    links_dir = os.path.join(os.path.dirname(prefix.path), LINKS_PREFIX + prefix_name)
    os.makedirs(links_dir, exist_ok=True)
    _make_links(links_dir, {dist.key: sources[dist.key] for dist in plan.exposed})
    os.makedirs(site_dir, exist_ok=True)
    with open(os.path.join(site_dir, PTH_NAME), "w", encoding="utf-8") as stream:
        stream.write(links_dir + "\n")
    # pip checks build requirements against the environment's lib dirs (its
    # ``check_requirements``, e.g. with --check-build-dependencies): list the links there too.
    # The site customisation that puts those dirs on the backend's path is already written.
    for attribute in ("lib_dirs", "_lib_dirs"):
        lib_dirs = getattr(env, attribute, None)
        if isinstance(lib_dirs, list) and links_dir not in lib_dirs:
            lib_dirs.append(links_dir)


def _passthrough(env: Any, requirements: list[str], prefix_name: str) -> list[str] | None:
    """The requirements still to install, or None to leave pip's call unchanged."""
    from wheelnext_pip import build_isolation as policy

    settings = _settings()
    build = _BUILDING.get()
    if settings is None or build is None or not settings.build_isolation_passthrough:
        return None
    sources: dict[str, Any] = {}

    def lookup(name: str) -> InstalledDist | None:
        found = _host_lookup(name)
        if found is None:
            return None
        sources[found[0].key] = found[1]
        return found[0]

    plan = policy.plan_passthrough(requirements, settings.build_isolation_passthrough, lookup)
    for fallback in plan.fallbacks:
        logger.info(policy.message_fallback(build.project, fallback))
    if plan.unused:
        logger.debug(
            "wheelnext-pip: %s does not ask for %s among these build requirements",
            build.project,
            ", ".join(plan.unused),
        )
    if not plan.passed:
        return None
    try:
        _expose(env, prefix_name, plan, sources)
    except OSError as exc:
        logger.info(
            "%s: build requirements %s are installed into the isolated build environment: "
            "they cannot be linked there (%s) (build-isolation-passthrough)",
            build.project,
            ", ".join(passed.name for passed in plan.passed),
            exc,
        )
        return None
    for passed in plan.passed:
        logger.info(policy.message_passed(build.project, passed))
    _state.STATE.ledger.built_in_target_environment(build.key)
    return list(plan.remaining)


def _install_requirements(call: Call) -> None:
    # ``requirements`` may be a one-shot iterable: pip gets the copy.
    requirements = [str(item) for item in call["requirements"]]
    call["requirements"] = requirements
    remaining = _passthrough(call["self"], requirements, str(call["prefix_as_string"]))
    if remaining is not None:
        call["requirements"] = remaining


def _not_abstract(owner: Any, function: Callable[..., Any]) -> str | None:
    if getattr(function, "__isabstractmethod__", False):
        return f"{owner.__name__}.install_requirements is abstract"
    return None


# -- the wheel cache ---------------------------------------------------------------------


def _should_cache(call: Call, proceed: Callable[[], Any]) -> Any:
    name = getattr(call["req"], "name", None)
    if name and canonicalize_name(str(name)) in _state.STATE.ledger.built_in_target:
        logger.debug(
            "wheelnext-pip: %s was built against the target environment; its wheel is not cached",
            name,
        )
        return False
    return proceed()


def _cache_path_parts(call: Call, parts: Any) -> Any:
    settings = _settings()
    if settings is None or not isinstance(parts, list):
        return parts
    named = settings.no_build_isolation_package, settings.build_isolation_passthrough
    if any(named):
        from wheelnext_pip import build_isolation as policy

        key = policy.cache_key(*named)
        if key is not None:
            return [f"wheelnext-build-{key}", *parts]
    return parts


# -- doctor ------------------------------------------------------------------------------


def doctor_section(settings: Settings | None) -> dict[str, Any]:
    """Which of this pip's isolation modes the feature supports (for ``doctor``)."""
    build_env = sys.modules.get(BUILD_ENV)
    has_venv = build_env is not None and hasattr(build_env, "VenvBuildEnvironment")
    has_inprocess = build_env is not None and hasattr(
        build_env, "InprocessBuildEnvironmentInstaller"
    )
    modes: dict[str, dict[str, str]] = {
        "isolated (pip's default)": {
            "no-build-isolation-package": "supported",
            "build-isolation-passthrough": "supported",
        },
        "--no-build-isolation": {
            "no-build-isolation-package": "moot (nothing is isolated)",
            "build-isolation-passthrough": "moot (nothing is isolated)",
        },
    }
    absent = "not in this pip"
    modes["--use-feature=venv-isolation"] = (
        {
            "no-build-isolation-package": "supported",
            "build-isolation-passthrough": "not supported (one warning; installs as usual)",
        }
        if has_venv
        else {"no-build-isolation-package": absent, "build-isolation-passthrough": absent}
    )
    modes["--use-feature=inprocess-build-deps"] = (
        {"no-build-isolation-package": "supported", "build-isolation-passthrough": "supported"}
        if has_inprocess
        else {"no-build-isolation-package": absent, "build-isolation-passthrough": absent}
    )
    listed = sorted(settings.no_build_isolation_package) if settings else []
    passed = sorted(settings.build_isolation_passthrough) if settings else []
    lines = [
        f"no-build-isolation-package: {', '.join(listed) or 'none'}; "
        f"build-isolation-passthrough: {', '.join(passed) or 'none'}"
    ]
    for mode, support in modes.items():
        lines.append(
            f"{mode}: no-build-isolation-package {support['no-build-isolation-package']}, "
            f"passthrough {support['build-isolation-passthrough']}"
        )
    return {
        "no_build_isolation_package": listed,
        "build_isolation_passthrough": passed,
        "modes": modes,
        "lines": lines,
    }


_PREPARE_PARAMS = ("build_isolation", "check_build_deps")

BUILD_ISOLATION = PatchSet(
    FEATURE,
    (
        (
            PatchPoint(
                FEATURE,
                PREPARE,
                "_get_prepared_distribution",
                _get_prepared_distribution,
                params=("req", "build_tracker", "build_env_installer", *_PREPARE_PARAMS),
                kind="around",
            ),
            PatchPoint(
                FEATURE,
                PREPARE,
                "_get_prepared_distribution",
                _get_prepared_distribution,
                params=("req", "build_tracker", "finder", *_PREPARE_PARAMS),
                kind="around",
            ),
        ),
        (
            PatchPoint(
                FEATURE,
                BUILD_ENV_VIRTUAL,
                "VirtualBuildEnvironment.install_requirements",
                _install_requirements,
                params=("self", "requirements", "prefix_as_string"),
                check=_not_abstract,
                kind="before",
            ),
            PatchPoint(
                FEATURE,
                BUILD_ENV,
                "BuildEnvironment.install_requirements",
                _install_requirements,
                params=("self", "requirements", "prefix_as_string"),
                check=_not_abstract,
                kind="before",
            ),
            PatchPoint(
                FEATURE,
                BUILD_ENV,
                "BuildEnvironment.install_requirements",
                _install_requirements,
                params=("self", "finder", "requirements", "prefix_as_string"),
                check=_not_abstract,
                kind="before",
            ),
        ),
        PatchPoint(
            FEATURE, WHEEL_BUILDER, "_should_cache", _should_cache, params=("req",), kind="around"
        ),
        PatchPoint(
            FEATURE,
            CACHE,
            "Cache._get_cache_path_parts",
            _cache_path_parts,
            params=("self", "link"),
            kind="after",
        ),
    ),
    commands=frozenset({"install", "download", "wheel", "lock"}),
)

__all__ = ["BUILD_ISOLATION", "FEATURE", "doctor_section"]

"""The versions the ``abi_dependency`` provider (PEP 850) judges against, taken from pip.

For each distribution a document's labels name, first source that knows it:

1. ``VARIANT_ABI_DEPENDENCY`` (``dist==version,...``, as variantlib reads it);
2. the version pip's resolver has already pinned for it in this command (resolvelib's
   state when the release is judged);
3. an exact pin (``==X``) of the command's own requirements or constraints: any version
   this command installs must be that one;
4. the version installed in the target environment: pip's ``--target`` folder, its
   ``--prefix``, else the running environment (which holds the ``--user`` site); read with
   pip's own metadata backend.

(A ``variant-properties-file`` naming the namespace replaces all of them, as for every
namespace, before this module is asked.)

A release is judged when pip's resolver first reaches it, and resolvelib reaches every
requirement of the command line (and every dependency of a candidate) before it pins any of
them: ``pip install torch torchvision`` judges torchvision before torch has a version. Such
a distribution is judged by the installed version, and one info line says so.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import TYPE_CHECKING, Any

from wheelnext_pip import _state
from wheelnext_pip._pip.registry import Call, PatchPoint
from wheelnext_pip._record import field, record

if TYPE_CHECKING:
    from wheelnext_pip.variants.abi_dependency import KnownVersion
    from wheelnext_pip.variants.properties import NamespaceProperties
    from wheelnext_pip.variants.providers import ProviderDecision

__all__ = ["POINTS", "answer", "check_override"]

logger = logging.getLogger("wheelnext_pip")

TO_BE_INSTALLED = "to be installed by this command"


@record
class AbiRun:
    """What this pip run knows for the provider."""

    #: resolvelib's running resolution (its state holds the pins so far).
    resolution: Any = None
    #: The requirements the command gave the resolver.
    root_requirements: list[Any] = field(default_factory=list)
    #: feature -> (project, version) of exact pins among the command's requirements and
    #: constraints (None: not read yet); and the features named without an exact pin.
    root_pins: dict[str, tuple[str, str]] | None = None
    root_unpinned: set[str] = field(default_factory=set)
    #: feature -> installed version (None: not read yet), and where it was read.
    installed: dict[str, KnownVersion] | None = None
    informed: set[str] = field(default_factory=set)


def _abi() -> AbiRun:
    """This run's record of the abi_dependency sources (kept in the run ledger)."""
    return _state.STATE.ledger.feature_record("abi_dependency", AbiRun)


# -- what pip's resolver knows ---------------------------------------------------------------


def _resolution_starts(call: Call) -> None:
    """resolvelib's ``Resolution.resolve``: keep the resolution (its pins) and the command's
    requirements. Their exact pins are read when a release with an ``abi_dependency``
    namespace is first judged: most runs never meet one, and pay nothing more."""
    record = _abi()
    record.resolution = call["self"]
    record.root_requirements = list(call["requirements"])
    record.root_pins = None
    record.root_unpinned = set()


def _root_pins(record: AbiRun) -> dict[str, tuple[str, str]]:
    """feature -> (project, version) of exact pins among the command's requirements and
    constraints (``record.root_unpinned`` gets the features named without one)."""
    if record.root_pins is not None:
        return record.root_pins
    from wheelnext_pip.variants.abi_dependency import feature_name

    pins: dict[str, tuple[str, str]] = {}
    unpinned: set[str] = set()
    for requirement in record.root_requirements:
        project = str(getattr(requirement, "project_name", "") or "")
        if not project or "<" in project:
            continue
        feature = feature_name(project)
        version = _exact_pin(requirement)
        if version is not None:
            pins.setdefault(feature, (project, version))
        else:
            unpinned.add(feature)
    constraints = getattr(getattr(record.resolution, "_p", None), "_constraints", None) or {}
    for project, constraint in dict(constraints).items():
        version = _exact_version(getattr(constraint, "specifier", None))
        if version is not None:
            pins.setdefault(feature_name(str(project)), (str(project), version))
    record.root_pins = pins
    record.root_unpinned = unpinned - set(pins)
    return pins


def _exact_pin(requirement: Any) -> str | None:
    # A direct URL or file: its version only when pip knows it already (asking for it could
    # make pip download or build it before its resolution starts).
    candidate = getattr(requirement, "candidate", None)
    known = getattr(candidate, "_version", None)
    if known is None and "dist" in getattr(candidate, "__dict__", {}):
        known = getattr(candidate, "version", None)  # prepared already: pip read its metadata
    if known is not None:
        return str(known)
    req = getattr(getattr(requirement, "_ireq", None), "req", None)
    return _exact_version(getattr(req, "specifier", None))


def _exact_version(specifier: Any) -> str | None:
    for spec in specifier or ():
        if spec.operator in ("==", "===") and not str(spec.version).endswith(".*"):
            return str(spec.version)
    return None


def _resolver_pins() -> dict[str, tuple[str, str]]:
    """feature -> (project, version) of what the running resolution has pinned so far."""
    from wheelnext_pip.variants.abi_dependency import feature_name

    resolution = _abi().resolution
    if resolution is None:
        return {}
    try:
        mapping = dict(resolution.state.mapping)
    except Exception:  # no state yet, or a resolvelib without one
        return {}
    pins = {}
    for candidate in mapping.values():
        project = str(getattr(candidate, "project_name", "") or "")
        version = getattr(candidate, "version", None)
        if project and "<" not in project and version is not None:
            pins[feature_name(project)] = (project, str(version))
    return pins


# -- the target environment ------------------------------------------------------------------


def _environment(target: object | None) -> tuple[list[str] | None, str] | None:
    """The folders of the environment pip installs into (None: the running one), and its
    name in messages; None when there is no environment to read (an explicit target
    without ``--target`` or ``--prefix``: the running interpreter is not the target)."""
    command = _state.STATE.command
    if command.target_dir:
        folder = os.path.abspath(command.target_dir)
        return [folder], f"installed in {folder}"
    prefix = command.prefix
    if prefix:
        from pip._internal.locations import get_scheme

        scheme = get_scheme("", prefix=str(prefix))
        return list(dict.fromkeys([scheme.purelib, scheme.platlib])), f"installed in {prefix}"
    if target is not None:
        return None
    return None, f"installed in {sys.prefix}"


def _installed(target: object | None) -> dict[str, KnownVersion]:
    from wheelnext_pip.variants.abi_dependency import KnownVersion, feature_name

    record = _abi()
    if record.installed is not None:
        return record.installed
    installed: dict[str, KnownVersion] = {}
    record.installed = installed
    found = _environment(target)
    if found is None:
        logger.info(
            "wheelnext-pip: abi_dependency: the running environment is not the explicit "
            "target's (%s); only %s, this command's pins and a variant-properties-file count "
            "(or name the target's folder with --target)",
            getattr(target, "text", "an explicit target"),
            "VARIANT_ABI_DEPENDENCY",
        )
        return installed
    paths, where = found
    from pip._internal.metadata import get_default_environment, get_environment

    environment = get_default_environment() if paths is None else get_environment(paths)
    for dist in environment.iter_all_distributions():
        try:
            project, version = str(dist.canonical_name), str(dist.version)
        except Exception:  # a broken .dist-info: pip skips it too
            continue
        installed.setdefault(feature_name(project), KnownVersion(project, version, where))
    return installed


# -- the answer ------------------------------------------------------------------------------


def check_override() -> None:
    """A malformed ``VARIANT_ABI_DEPENDENCY`` stops pip with one line naming it."""
    from wheelnext_pip.variants.abi_dependency import OVERRIDE_VARIABLE, parse_override

    parse_override(os.environ.get(OVERRIDE_VARIABLE, ""))


def known_versions(features: tuple[str, ...], target: object | None) -> dict[str, KnownVersion]:
    """feature -> its version and source, for the features a document names."""
    from wheelnext_pip.variants.abi_dependency import (
        OVERRIDE_VARIABLE,
        KnownVersion,
        parse_override,
    )

    override = parse_override(os.environ.get(OVERRIDE_VARIABLE, ""))
    pinned = _resolver_pins()
    record = _abi()
    root_pins = _root_pins(record)
    known: dict[str, KnownVersion] = {}
    for feature in features:
        if feature in override:
            known[feature] = override[feature]
        elif feature in pinned:
            project, version = pinned[feature]
            known[feature] = KnownVersion(project, version, TO_BE_INSTALLED)
        elif feature in root_pins:
            project, version = root_pins[feature]
            pin = f"{TO_BE_INSTALLED}, {project}=={version}"
            known[feature] = KnownVersion(project, version, pin)
        else:
            installed = _installed(target)
            if feature in installed:
                known[feature] = installed[feature]
            if feature in record.root_unpinned:
                _inform_unpinned(feature, known.get(feature))
    return known


def _inform_unpinned(feature: str, installed: KnownVersion | None) -> None:
    """The one line that says the limitation applies to this run."""
    if feature in _abi().informed:
        return
    _abi().informed.add(feature)
    judged = (
        f"{installed.project} is judged by its version {installed.version} ({installed.source})"
        if installed is not None
        else f"{feature} is judged as not installed"
    )
    logger.info(
        "wheelnext-pip: abi_dependency: %s: this command installs it too, but pip's resolver "
        "had not chosen its version yet (pin it with ==VERSION to judge by that version)",
        judged,
    )


def answer(decision: ProviderDecision, target: object | None) -> tuple[NamespaceProperties, str]:
    """The namespace's supported properties, and where each version came from."""
    from wheelnext_pip.variants import abi_dependency

    known = known_versions(decision.features, target)
    return (
        abi_dependency.answer(decision.namespace, decision.features, known),
        abi_dependency.describe(decision.features, known),
    )


POINTS = (
    PatchPoint(
        "variants", "pip._vendor.resolvelib.resolvers", "Resolution.resolve",
        _resolution_starts, params=("self", "requirements"), kind="before", required=False,
    ),
)  # fmt: skip

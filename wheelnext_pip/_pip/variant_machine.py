"""This machine, as the variant judgment sees it: detection, its cache, trusted plugins.

The answer of each built-in provider is kept in pip's cache folder across runs, keyed by
the machine's fingerprint (driver, GPUs, CPU flags, override variables), so a later run
does not probe the hardware again. A trusted provider plugin is installed and run from
pip's own index options. Imports no pip; the judgment (:mod:`wheelnext_pip.variants.judgment`)
gets a :class:`Machine` through its injected factory.
"""

from __future__ import annotations

import logging
import os
import platform
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

from wheelnext_pip import _state
from wheelnext_pip._settings import Settings

if TYPE_CHECKING:
    from wheelnext_pip.variants.properties import NamespaceProperties
    from wheelnext_pip.variants.providers import ProviderDecision, ProviderSettings

logger = logging.getLogger("wheelnext_pip")


@dataclass
class Machine:
    """What this machine supports, asked once per namespace and provider per process."""

    settings: ProviderSettings
    #: pip's index options, for installing trusted provider plugins from the same places.
    index_arguments: Callable[[], Sequence[str]] = tuple
    answers: dict[tuple[object, ...], NamespaceProperties | None] = field(default_factory=dict)

    #: Detection answers kept on disk across runs (None: not loaded yet).
    stored: dict[str, NamespaceProperties | None] | None = None
    store_key: str = ""
    #: An explicit target (pip's ``--platform`` and friends): its machine, and how pip was
    #: told. The host's hardware is then never asked.
    target: ExplicitTarget | None = None
    #: namespace -> where the versions of its last ``abi_dependency`` answer came from.
    abi_origins: dict[str, str] = field(default_factory=dict)

    def detect(self, namespace: str) -> NamespaceProperties | None:
        """A built-in provider's answer: from the on-disk cache while the machine's
        fingerprint (driver, GPUs, CPU flags, override variables) is unchanged."""
        from wheelnext_pip.variants._detection_cache import (
            detection_cache_key,
            load_detection_cache,
            store_detection_cache,
        )
        from wheelnext_pip.variants.detect import detect_builtin

        if self.target is not None:
            detection = detect_builtin(
                namespace, environ=os.environ, target_machine=self.target.machine
            )
            return detection.properties
        folder = detection_cache_dir()
        if self.stored is None:
            self.stored = {}
            if folder is not None:
                self.store_key = detection_cache_key(fingerprint())
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
        if decision.source == "abi-dependency":
            # Not memoized: what the resolver has pinned grows while it runs.
            from wheelnext_pip._pip import variant_abi

            properties, self.abi_origins[decision.namespace] = variant_abi.answer(
                decision, self.target
            )
            return properties
        if decision.source == "builtin":
            key: tuple[object, ...] = ("builtin", decision.namespace)
            if key not in self.answers:
                self.answers[key] = self.detect(decision.namespace)
            return self.answers[key]
        key = ("plugin", decision.namespace, decision.requires, decision.plugin_api)
        if self.target is not None:
            # A plugin probes the machine it runs on, which is not the target.
            if key not in self.answers:
                self.answers[key] = None
                logger.info(
                    "wheelnext-pip: %s: provider plugin not run for the explicit target %s; "
                    "describe the target in a variant-properties-file",
                    decision.namespace,
                    self.target.text,
                )
            return None
        if key not in self.answers:
            # Imported only when a trusted plugin must run (rare; resolution has not reached
            # installation, so pip's late-import guard is not involved).
            from wheelnext_pip.variants import _plugin_env

            environment = _plugin_env.PluginEnvironment(
                cache_dir=pip_cache_dir(), pip_install_args=tuple(self.index_arguments())
            )
            self.answers[key] = _plugin_env.answer_trusted_plugin(
                decision,
                environment=environment,
                trusted=self.settings.trust_providers,
                require_hashes=_state.STATE.command.require_hashes,
            )
        return self.answers[key]

    def describe_origin(self, namespace: str, source: str) -> str:
        """Where a namespace's properties came from, in doctor's words."""
        if source == "abi-dependency":
            return "built-in abi_dependency: " + self.abi_origins.get(namespace, "not asked")
        if source != "builtin":
            return _ORIGINS.get(source, source)
        if self.target is not None:
            return f"built-in, baseline of the explicit target {self.target.text}"
        from wheelnext_pip.variants.detect import forced_namespaces

        if namespace in forced_namespaces(os.environ):
            return "built-in, forced (override variable)"
        return "built-in, detected"


_ORIGINS = {
    "disabled": "disabled (disable-providers)",
    "file": "file (variant-properties-file)",
    "no-provider": "no provider declared",
    "enable-if-false": "off (its enable-if marker is false here)",
    "optional-off": "optional, off (not in enable-providers)",
    "static": "static (the package's static-properties)",
    "unsupported-builtin": "builtin provider not implemented",
    "abi-dependency": "built-in abi_dependency",
    "trusted-plugin": "trusted plugin (trust-providers)",
    "untrusted": "untrusted plugin (never installed or run)",
}


@dataclass(frozen=True)
class ExplicitTarget:
    """pip installs for another machine (``--platform``, ``--python-version``,
    ``--implementation``, ``--abi``)."""

    machine: str
    #: The options as a user would read them (``--platform linux_aarch64``).
    text: str


def explicit_target(command: _state.CommandContext) -> ExplicitTarget | None:
    """The explicit target a command names, or None for this machine."""
    platforms = list(command.platforms)
    named = []
    if platforms:
        named.append("--platform " + ",".join(platforms))
    if command.python_version:
        named.append("--python-version " + ".".join(map(str, command.python_version)))
    if command.implementation:
        named.append("--implementation " + command.implementation)
    if command.abis:
        named.append("--abi " + ",".join(command.abis))
    if not named:
        return None
    from wheelnext_pip.variants.detect import machine_of_platform_tag

    machine = machine_of_platform_tag(platforms[0]) if platforms else platform.machine().lower()
    return ExplicitTarget(machine, " ".join(named))


def load_machine(
    settings: Settings, index_arguments: Callable[[], Sequence[str]] = tuple
) -> Machine:
    """The machine these settings describe (reads ``variant-properties-file``; a broken
    file raises :class:`~wheelnext_pip.variants.errors.VariantError`)."""
    from wheelnext_pip._pip.variant_abi import check_override
    from wheelnext_pip.variants._properties_file import load_properties_file
    from wheelnext_pip.variants.providers import ProviderSettings

    check_override()
    user_properties: dict[str, NamespaceProperties] = {}
    if settings.variant_properties_file:
        user_properties = load_properties_file(settings.variant_properties_file)
    return Machine(
        ProviderSettings(
            enable_providers=settings.enable_providers,
            disable_providers=settings.disable_providers,
            trust_providers=settings.trust_providers,
            user_properties=user_properties,
        ),
        index_arguments,
        target=explicit_target(_state.STATE.command),
    )


def fingerprint() -> dict[str, str]:
    """What the cached detection answers depend on."""
    from wheelnext_pip.variants._detection_cache import machine_fingerprint

    return machine_fingerprint(os.environ)


def detection_cache_dir() -> str | None:
    cache = pip_cache_dir()
    return None if cache is None else os.path.join(cache, "wheelnext-variant-detection")


def pip_cache_dir() -> str | None:
    """pip's cache folder; None with --no-cache-dir."""
    return _state.STATE.command.cache_dir

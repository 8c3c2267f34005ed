"""One pip process with wheelnext-pip on: what happens when pip's CLI loads and when a
command starts."""

from __future__ import annotations

import functools
import logging
import os
import sys
from types import ModuleType

from wheelnext_pip import __version__, _imphook, _state
from wheelnext_pip._pip import catalog, compat, config
from wheelnext_pip._pip.registry import PatchSet, applied_keys, apply_set, pip_error
from wheelnext_pip._settings import Settings, resolve_settings
from wheelnext_pip.errors import SettingsError


def _apply_when_imported(patch_set: PatchSet, module: ModuleType) -> None:
    """Apply a set whose pip module was just imported (see ``PatchSet.applied_on_import``)."""
    status = apply_set(patch_set)
    if status.active:
        return
    message = (
        f"wheelnext-pip: {patch_set.name} cannot be applied to pip "
        f"{compat.pip_version_text()} ({status.reason})"
    )
    if patch_set.fail_closed:
        raise pip_error("InstallationError", message)
    logging.getLogger("wheelnext_pip").warning("%s", message)


def warn_later(message: str) -> None:
    """Queue a warning for when pip's logging is ready."""
    _state.STATE.pending_warnings.append(message)


def python_option_problem(argv: list[str]) -> str | None:
    """Why pip must not re-run itself under ``--python`` (index groups would be lost)."""
    try:
        try:
            entries = config.read_file_entries(isolated="--isolated" in argv)
        except Exception:
            entries = []
        settings = resolve_settings(os.environ, entries)
    except SettingsError as exc:
        return f"wheelnext-pip: {exc}"
    if not settings.switch.on or "index-groups" not in settings.switch.features:
        return None
    if not settings.ranks_indexes:
        return None
    from wheelnext_pip._pip import index_groups

    problem = index_groups.preflight(argv)
    return None if problem is None else f"wheelnext-pip: {problem}"


def _variant_settings_problem(settings: Settings) -> str | None:
    """A broken ``variant-properties-file`` or NVIDIA override variable stops the command at
    its start, also when nothing it installs has variant wheels (a CI image must learn of
    it at once)."""
    if "variants" not in active_features(settings):
        return None
    if any(name.startswith("NV_VARIANT_PROVIDER_FORCE_") for name in os.environ):
        from wheelnext_pip.variants.detect import forced_variable_problem

        problem = forced_variable_problem(os.environ)
        if problem is not None:
            return f"wheelnext-pip: {problem}"
    path = settings.variant_properties_file
    if not path:
        return None
    from wheelnext_pip.variants._properties_file import load_properties_file
    from wheelnext_pip.variants.errors import VariantError
    from wheelnext_pip.variants.properties import properties_file_notes

    try:
        user = load_properties_file(path)
    except VariantError as exc:
        return f"wheelnext-pip: {exc}"
    for note in properties_file_notes(user):
        warn_later(f"wheelnext-pip: {note}")
    return None


def active_features(settings: Settings) -> frozenset[str]:
    return frozenset(name for name in settings.switch.features if _state.STATE.is_live(name))


def start_command(command: str, argv: list[str]) -> str | None:
    """Resolve settings and apply what the command needs. Returns an error line or None."""
    state = _state.STATE
    try:
        entries = config.read_file_entries(isolated="--isolated" in argv)
        settings = resolve_settings(os.environ, entries)
    except SettingsError as exc:
        state.settings_error = exc
        return f"wheelnext-pip: {exc}"
    except Exception:
        # pip reports its own configuration errors right after this.
        try:
            settings = resolve_settings(os.environ, [])
        except SettingsError as exc:
            state.settings_error = exc
            return f"wheelnext-pip: {exc}"
    state.settings = settings
    if not settings.switch.on:
        return None

    for name in sorted(settings.switch.unavailable):
        warn_later(
            f"wheelnext-pip: feature {name!r} is not available in wheelnext-pip "
            f"{__version__}; pip runs without it"
        )
    for patch_set in catalog.infrastructure_sets():
        if patch_set.wanted_for(command):
            apply_set(patch_set)
    for name in sorted(settings.switch.features - settings.switch.unavailable):
        if not catalog.may_change_anything(name, settings):
            continue  # configured to change nothing: pip stays stock
        for patch_set in catalog.feature_sets(name):
            if not patch_set.wanted_for(command):
                continue
            if patch_set.needed is not None and not patch_set.needed(settings):
                continue  # configured to change nothing: pip stays stock
            module = patch_set.applied_on_import
            if module is not None and module not in sys.modules:
                _imphook.when_imported(module, functools.partial(_apply_when_imported, patch_set))
                continue
            status = apply_set(patch_set)
            if not status.active:
                if patch_set.fail_closed:
                    return (
                        f"wheelnext-pip: {patch_set.name} is configured but cannot be applied "
                        f"to pip {compat.pip_version_text()} ({status.reason})"
                    )
                warn_later(
                    f"wheelnext-pip: {patch_set.name} is not available with pip "
                    f"{compat.pip_version_text()} ({status.reason}); pip runs without it"
                )
    problem = _variant_settings_problem(settings)
    if problem is not None:
        return problem
    if "default-extras" in active_features(settings) and any(
        "legacy-resolver" in argument for argument in argv
    ):
        # Only then: the legacy resolver's module is not imported otherwise.
        from wheelnext_pip._pip import default_extras

        if default_extras.LEGACY_RESOLVER_NOTICE.wanted_for(command):
            apply_set(default_extras.LEGACY_RESOLVER_NOTICE)
    eager = compat.register_eager_imports([*compat.our_module_names(), *catalog.late_imports()])
    _state.record_event(
        "command",
        command=command,
        eager_imports_registered=eager,
        features=sorted(settings.switch.features),
        applied=list(applied_keys()),
    )
    return None

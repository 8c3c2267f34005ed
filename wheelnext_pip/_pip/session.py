"""One pip process with wheelnext-pip on: what happens when pip's CLI loads and when a
command starts."""

from __future__ import annotations

import os
import sys
from types import ModuleType

from wheelnext_pip import __version__, _state
from wheelnext_pip._pip import catalog, cli, compat, config
from wheelnext_pip._pip.registry import applied_keys, apply_set
from wheelnext_pip._settings import Settings, resolve_settings
from wheelnext_pip.errors import SettingsError


def _warn(message: str) -> None:
    _state.STATE.pending_warnings.append(message)


def on_cli_imported(module: ModuleType) -> None:
    """Post-import hook of ``pip._internal.cli.base_command``: install the command hooks."""
    try:
        messages = apply_set(cli.MESSAGES)
        version = compat.pip_version_text()
        level = compat.support_level(version)
        if level == "unsupported":
            _warn(
                f"wheelnext-pip: pip {version} is outside the supported range "
                f"({compat.SUPPORTED_TEXT}); pip runs as stock pip"
            )
        else:
            core = apply_set(cli.CORE)
            if not core.active:
                _warn(
                    f"wheelnext-pip: cannot hook pip {version} ({core.reason}); "
                    "pip runs as stock pip"
                )
            else:
                _start_in_tool()
        tool_not_started = _is_tool_process() and not _state.STATE.is_live("pip-tools")
        if not messages.active or tool_not_started:
            # No way into pip's logging: say it once, plainly.
            for message in _state.STATE.pending_warnings:
                sys.stderr.write(f"WARNING: {message}\n")
            _state.STATE.pending_warnings.clear()
        _state.record_event("cli", pip=version, level=level, applied=list(applied_keys()))
    except Exception as exc:  # an exception here would surface inside pip's import
        _state.STATE.pending_warnings.append(
            f"wheelnext-pip: activation failed ({type(exc).__name__}: {exc}); pip runs as stock pip"
        )


def _is_tool_process() -> bool:
    # pip-tools imports pip as it starts, so ``piptools`` is already in sys.modules.
    return "piptools" in sys.modules


def _start_in_tool() -> None:
    """pip-tools never calls pip's ``Command.main``: start where it parses pip's options."""
    if _is_tool_process():
        from wheelnext_pip._pip import piptools

        status = apply_set(piptools.START)
        if not status.active:
            _warn(
                f"wheelnext-pip: cannot hook pip-tools ({status.reason}); "
                "pip-tools runs pip as stock pip"
            )


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
    from wheelnext_pip._pip import finder

    problem = finder.preflight(argv)
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
    from wheelnext_pip.variants.errors import VariantError
    from wheelnext_pip.variants.properties import load_properties_file

    try:
        load_properties_file(path)
    except VariantError as exc:
        return f"wheelnext-pip: {exc}"
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
        _warn(
            f"wheelnext-pip: feature {name!r} is not available in wheelnext-pip "
            f"{__version__}; pip runs without it"
        )
    for patch_set in catalog.INFRASTRUCTURE:
        if patch_set.wanted_for(command):
            apply_set(patch_set)
    for name in sorted(settings.switch.features - settings.switch.unavailable):
        if not catalog.may_change_anything(name, settings):
            continue  # configured to change nothing: pip stays stock
        patch_set = catalog.feature_set(name)
        if not patch_set.wanted_for(command):
            continue
        if patch_set.needed is not None and not patch_set.needed(settings):
            continue  # configured to change nothing: pip stays stock
        status = apply_set(patch_set)
        if not status.active:
            if patch_set.fail_closed:
                return (
                    f"wheelnext-pip: {name} is configured but cannot be applied to pip "
                    f"{compat.pip_version_text()} ({status.reason})"
                )
            _warn(
                f"wheelnext-pip: {name} is not available with pip "
                f"{compat.pip_version_text()} ({status.reason}); pip runs without it"
            )
    problem = _variant_settings_problem(settings)
    if problem is not None:
        return problem
    if "default-extras" in active_features(settings) and any(
        "legacy-resolver" in argument for argument in argv
    ):
        # Only then: the legacy resolver's module is not imported otherwise.
        from wheelnext_pip._pip import resolver

        if resolver.LEGACY_RESOLVER_NOTICE.wanted_for(command):
            apply_set(resolver.LEGACY_RESOLVER_NOTICE)
    eager = compat.register_eager_imports([*compat.our_module_names(), *catalog.late_imports()])
    _state.record_event(
        "command",
        command=command,
        eager_imports_registered=eager,
        features=sorted(settings.switch.features),
        applied=list(applied_keys()),
    )
    return None

"""pip's command layer: settings at command start, and messages once logging is set up."""

from __future__ import annotations

import logging
import sys
from types import ModuleType
from typing import Any, Callable

from wheelnext_pip import _state
from wheelnext_pip._pip import compat, session
from wheelnext_pip._pip.registry import (
    Call,
    PatchPoint,
    PatchSet,
    add_log_filter,
    applied_keys,
    apply_set,
)
from wheelnext_pip.errors import redact_credentials

logger = logging.getLogger("wheelnext_pip")


class _RedactCredentials(logging.Filter):
    """Whatever wheelnext-pip logs shows URLs as pip does, password as ``****``: a safety
    net under the messages that already name redacted URLs (texts of exceptions, pip's
    own objects, index metadata may still carry one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
            if "@" in message:
                redacted = redact_credentials(message)
                if redacted != message:
                    record.msg, record.args = redacted, ()
        except Exception:
            pass  # never lose a message over this
        return True


_REDACT = _RedactCredentials()

BASE_COMMAND = "pip._internal.cli.base_command"
#: Commands that only warn about bad settings, so a broken file setting can be removed.
LENIENT_COMMANDS = frozenset({"config", "help"})


def flush_warnings() -> None:
    pending = _state.STATE.pending_warnings
    while pending:
        logger.warning("%s", pending.pop(0))


def _setup_logging(call: Call, result: Any) -> Any:
    _state.STATE.logging_ready = True
    flush_warnings()
    return result


def _command_main(call: Call, proceed: Callable[[], Any]) -> Any:
    name = str(getattr(call["self"], "name", ""))
    error = session.start_command(name, list(call["args"]))
    if error is not None:
        if name in LENIENT_COMMANDS:
            _state.STATE.pending_warnings.append(error)
        else:
            # pip has not set up logging yet; this is the line pip itself would print.
            sys.stderr.write(f"ERROR: {error}\n")
            return 1
    return proceed()


MESSAGES = PatchSet(
    "messages",
    (
        PatchPoint(
            "messages",
            BASE_COMMAND,
            "setup_logging",
            _setup_logging,
            params=("verbosity", "no_color", "user_log_file"),
            kind="after",
        ),
    ),
)

CORE = PatchSet(
    "core",
    (
        PatchPoint(
            "core",
            BASE_COMMAND,
            "Command.main",
            _command_main,
            params=("self", "args"),
            kind="around",
        ),
    ),
)


def _note_options(call: Call) -> None:
    _state.STATE.command = _state.CommandContext.from_options(call["options"])


#: Every command that looks for packages builds its index collector from its options.
OPTIONS = PatchSet(
    "options",
    (
        PatchPoint(
            "options",
            "pip._internal.index.collector",
            "LinkCollector.create",
            _note_options,
            params=("cls", "session", "options"),
            kind="before",
        ),
    ),
    commands=frozenset({"install", "download", "wheel", "index", "list", "lock"}),
)


def _before_import_guard(call: Call) -> None:
    """pip 26.1+ watches imports once it starts to install (pip issue 13842): what our
    hooks import only when needed is imported now, not under that watch. (pip 26.3 also
    takes the list through ``pip._EAGER_IMPORTS``; 26.1 and 26.2 only warn.)"""
    import contextlib
    import importlib

    from wheelnext_pip._pip import catalog

    for name in catalog.late_imports():
        with contextlib.suppress(ImportError):  # the hook that needs it reports that itself
            importlib.import_module(name)


#: Runs just before pip's import guard goes up (pip 26.1+; absent before).
IMPORT_GUARD = PatchSet(
    "import-guard",
    (
        PatchPoint(
            "import-guard",
            "pip._internal.commands.install",
            "_prevent_further_imports",
            _before_import_guard,
            required=False,
            kind="before",
        ),
    ),
    commands=frozenset({"install"}),
)


def on_cli_imported(module: ModuleType) -> None:
    """Post-import hook of ``pip._internal.cli.base_command``: install the command hooks."""
    try:
        add_log_filter(logger.name, _REDACT)
        messages = apply_set(MESSAGES)
        version = compat.pip_version_text()
        level = compat.support_level(version)
        if level == "unsupported":
            session.warn_later(
                f"wheelnext-pip: pip {version} is outside the supported range "
                f"({compat.SUPPORTED_TEXT}); pip runs as stock pip"
            )
        else:
            core = apply_set(CORE)
            if not core.active:
                session.warn_later(
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
            session.warn_later(
                f"wheelnext-pip: cannot hook pip-tools ({status.reason}); "
                "pip-tools runs pip as stock pip"
            )

"""The only target of ``wheelnext_pip.pth`` and ``wheelnext_pip.start``.

Runs at every interpreter start where the start-up files are installed and
``WHEELNEXT_PIP`` is set, whatever its value (the ``.pth`` line only looks the variable up:
Python compiles that line at every start, so it stays short, and an off value is read
here). So it imports nothing beyond ``os`` and ``sys``, never prints and never raises.
Its name and the name of :func:`bootstrap` never change: a start-up file left by another
version calls them.
"""

# No ``from __future__ import annotations``: even that is a module import at start-up.
import os
import sys

OFF_VALUES = ("", "0", "off", "false")

_PIP_SCRIPT_NAMES = ("pip", "pip3")
#: pip-tools drives pip's resolver inside its own process (its console scripts and
#: ``python -m piptools``): activation applies there too, see ``wheelnext_pip._pip.piptools``.
_TOOL_SCRIPT_NAMES = ("pip-compile", "pip-sync")
_TOOL_MODULES = ("piptools",)
_RUNNER_SUFFIX = "__pip-runner__.py"

_state = {"ran": False, "error": ""}


def is_enabled(value: "str | None") -> bool:
    """Whether a ``WHEELNEXT_PIP`` value asks for anything (invalid values count as on)."""
    return (value or "").strip().lower() not in OFF_VALUES


def _module_from_orig_argv(orig_argv: "list[str]") -> "str | None":
    """The module a ``python ... -m MODULE`` command line runs, or None."""
    args = iter(orig_argv[1:])
    for arg in args:
        if arg == "--" or not arg.startswith("-") or arg == "-":
            return None
        if arg.startswith("--"):
            # Long options (--check-hash-based-pycs X) are rare; only this one takes a value.
            if arg == "--check-hash-based-pycs":
                next(args, None)
            continue
        cluster = arg[1:]
        for index, char in enumerate(cluster):
            rest = cluster[index + 1 :]
            if char == "m":
                return rest or next(args, None)
            if char == "c":
                return None
            if char in "WX":
                if not rest:
                    next(args, None)
                break
    return None


def classify_process(orig_argv: "list[str] | None", argv: "list[str]", build_tracker: bool) -> str:
    """``"pip"``, ``"pip-tools"``, ``"other"`` or ``"undecided"`` for this interpreter's
    command line."""
    if orig_argv:
        module = _module_from_orig_argv(orig_argv)
        if module is not None:
            if module in _TOOL_MODULES:
                return "pip-tools"
            return "pip" if module == "pip" else "other"
    script = argv[0] if argv else ""
    if script.endswith(_RUNNER_SUFFIX):
        return "pip"
    # Either separator: the same rules hold for pip.exe on Windows.
    name = script.replace("\\", "/").rsplit("/", 1)[-1].lower()
    for suffix in (".exe", ".pyz"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    if name in _PIP_SCRIPT_NAMES or (name.startswith("pip3.") and name[5:].isdigit()):
        return "pip"
    if name in _TOOL_SCRIPT_NAMES:
        return "pip-tools"
    if script == "-m" and not orig_argv:
        # Python 3.9 shows only "-m" while site runs: let the first pip import decide,
        # except in pip's build backends, which must stay clean.
        return "other" if build_tracker else "undecided"
    return "other"


class _PipImportTrigger:
    """One-shot meta path finder: activates on the first import of ``pip`` or ``pip.*``."""

    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        if name == "pip" or name.startswith("pip."):
            _remove_trigger()
            _activate()
        return None


def _remove_trigger() -> None:
    sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, _PipImportTrigger)]


def _activate() -> None:
    try:
        from wheelnext_pip import _activate as activation

        activation.activate()
    except Exception as exc:  # never break pip's own import
        _state["error"] = f"{type(exc).__name__}: {exc}"


def _forget() -> None:
    """Leave no trace in a process that is not pip (a build backend must stay clean).

    Without this module in ``sys.modules`` the second run of the start-up line imports
    it again and decides again: a fraction of a millisecond, and still nothing applied.
    """
    if not any(name.startswith("wheelnext_pip.") for name in sys.modules if name != __name__):
        sys.modules.pop("wheelnext_pip", None)
    sys.modules.pop(__name__, None)


def bootstrap() -> None:
    """Arm activation if ``WHEELNEXT_PIP`` is on and this process is pip; else do nothing."""
    try:
        if _state["ran"]:
            return
        _state["ran"] = True
        if not is_enabled(os.environ.get("WHEELNEXT_PIP")):
            _forget()
            return
        kind = classify_process(
            getattr(sys, "orig_argv", None),
            list(sys.argv) if hasattr(sys, "argv") else [],
            "PIP_BUILD_TRACKER" in os.environ,
        )
        if kind == "other":
            _forget()
            return
        if "pip" in sys.modules:
            _activate()
        else:
            sys.meta_path.insert(0, _PipImportTrigger())
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:
        _state["error"] = f"{type(exc).__name__}: {exc}"

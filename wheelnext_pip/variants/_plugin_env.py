"""The environment of trusted variant provider plugins and the client of their runner: each
plugin installed and run out of process (PEP 825 providers).

Answers a ``trusted-plugin`` decision of :mod:`.providers`:

1. Refuse when the trust policy (:mod:`.plugins`) refuses: unless every requirement names a
   trusted project (defence in depth: the caller already decided trust), and when
   ``--require-hashes`` is in effect (a provider cannot be verified).
2. Install the requirements into a dedicated virtual environment with a pip *subprocess* of the
   running pip (``pip --python <venv python> install --only-binary :all: ...``), with the
   ``variants`` feature off in the child. With a cache dir the environment is kept under
   ``<cache>/wheelnext-variant-providers/<key>``; it is built in a temporary sibling directory
   and renamed into place once complete, so a crash never leaves a half environment behind.
3. Run ``<venv python> -I _plugin_runner.py`` with a JSON request on stdin and a timeout; the
   plugin is never imported into this process. The runner's answer is used only when it is
   complete and intact (a framed, checksummed payload), and no process the plugin started
   outlives the query: the runner ends them (on Linux as a child subreaper, which also finds
   daemons that left the process group), then this process kills the runner's process group
   and, on Linux when the runner could not confirm, every process tagged with the run's token.
4. Validate the answer against the property grammar (:func:`.plugins.answer_properties`:
   invalid features and values are dropped with a warning) and memoize it per process.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import platform
import re
import selectors
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from wheelnext_pip.variants.plugins import (
    answer_properties,
    hashes_refusal,
    one_line,
    refusal,
    requirement_names,
)
from wheelnext_pip.variants.properties import NamespaceProperties
from wheelnext_pip.variants.providers import ProviderDecision

__all__ = [
    "RUNNER_PATH",
    "STAMP_FILENAME",
    "VENVS_DIRNAME",
    "PluginEnvironment",
    "answer_trusted_plugin",
    "clear_memo",
    "provider_venv_key",
    "query_plugin",
]

logger = logging.getLogger("wheelnext_pip")

#: Folder of pip's cache dir holding the provider environments.
VENVS_DIRNAME = "wheelnext-variant-providers"
#: Written last into a provider environment: its presence means the environment is complete.
STAMP_FILENAME = "wheelnext-provider-venv.json"
RUNNER_PATH = Path(os.path.abspath(__file__)).with_name("_plugin_runner.py")

#: Bumped whenever the layout or install command of provider environments changes.
_LAYOUT_VERSION = "1"
_TMP_MARKER = ".tmp-"
#: Temporary build directories older than this are left-overs of a killed process.
_STALE_TMP_SECONDS = 24 * 3600
_MAX_ANSWER_BYTES = 4 * 1024 * 1024
#: The runner's frame around an answer of the largest size, with room for its header.
_MAX_OUTPUT_BYTES = _MAX_ANSWER_BYTES + 4096
_STDERR_KEPT_BYTES = 64 * 1024
#: Seconds pip waits beyond the query's timeout for the runner to end the plugin's processes.
_GRACE_SECONDS = 10.0
#: Carried by the runner's environment (so by what the plugin starts) to find what is left.
_RUN_TOKEN_VARIABLE = "WHEELNEXT_PIP_PLUGIN_RUN"
_TAGGED_ROUNDS = 20
_STDERR_TAIL_CHARS = 4000
_URL_USERINFO = re.compile(r"://[^/@\s]+@")

#: Settings that would send the provider install elsewhere than its environment, or constrain
#: it with the user's own install choices. Removed from the install child's environment.
_STRIPPED_VARIABLES = frozenset(
    {
        "_PIP_RUNNING_IN_SUBPROCESS",  # would make ``pip --python`` install into *this* env
        "PIP_PYTHON",
        "PIP_TARGET",
        "PIP_PREFIX",
        "PIP_ROOT",
        "PIP_REQUIREMENT",
        "PIP_REQUIREMENTS",
        "PIP_CONSTRAINT",
        "PIP_CONSTRAINTS",
        "PIP_EDITABLE",
        "PIP_NO_BINARY",
        "PIP_ONLY_BINARY",
        "PIP_REQUIRE_HASHES",
        "PIP_NO_DEPS",
        "PIP_NO_DEPENDENCIES",
        "PYTHONPATH",  # would make pip see unrelated packages as already installed
    }
)


@dataclass(frozen=True)
class PluginEnvironment:
    """How provider environments are made and queried."""

    #: Interpreter the provider environment is based on.
    python: str = field(default_factory=lambda: sys.executable)
    #: pip's cache dir; ``None`` (``--no-cache-dir``): a temporary environment, removed after use.
    cache_dir: str | None = None
    #: Index options passed on to the install (``--index-url``, ``--find-links``, ...).
    pip_install_args: Sequence[str] = ()
    #: Seconds one plugin query may take.
    timeout: float = 60.0
    #: Seconds the install of a provider may take.
    install_timeout: float = 900.0
    #: Base environment of the subprocesses; ``None``: ``os.environ``.
    environ: Mapping[str, str] | None = None

    def base_environ(self) -> dict[str, str]:
        return dict(os.environ if self.environ is None else self.environ)


_MemoKey = tuple[str, tuple[str, ...], str]
_memo: dict[_MemoKey, NamespaceProperties | None] = {}
_memo_lock = threading.Lock()
_said: set[str] = set()


def clear_memo() -> None:
    """Forget the answers of this process (tests; a new process starts empty)."""
    with _memo_lock:
        _memo.clear()
        _said.clear()


def _say_once(level: int, message: str) -> None:
    if message not in _said:
        _said.add(message)
        logger.log(level, "wheelnext-pip: %s", message)


def _redact(command: Sequence[str]) -> str:
    """A command for the debug log, without the credentials of index URLs."""
    return " ".join(_URL_USERINFO.sub("://****@", part) for part in command)


# -- entry points -----------------------------------------------------------------------------


def answer_trusted_plugin(
    decision: ProviderDecision,
    *,
    environment: PluginEnvironment,
    trusted: frozenset[str],
    require_hashes: bool = False,
) -> NamespaceProperties | None:
    """The answer to a ``trusted-plugin`` decision (``None`` for any other decision)."""
    if decision.source != "trusted-plugin" or decision.plugin_api is None:
        return None
    return query_plugin(
        decision.requires,
        decision.plugin_api,
        decision.namespace,
        environment=environment,
        trusted=trusted,
        require_hashes=require_hashes,
    )


def query_plugin(
    requires: Sequence[str],
    plugin_api: str,
    namespace: str,
    *,
    environment: PluginEnvironment,
    trusted: frozenset[str],
    require_hashes: bool = False,
) -> NamespaceProperties | None:
    """What a trusted provider plugin supports for ``namespace``; ``None``: nothing usable.

    ``requires`` are the provider's requirements that apply to the target and ``trusted`` the
    canonical names of ``trust-providers``: unless every requirement is a plain ``name[extras]
    specifier; marker`` naming a trusted project, nothing is installed or run. Failures (install,
    timeout, crash, malformed answer) are one-line warnings and give ``None``; they are memoized
    like answers so a provider is tried once per process.
    """
    requirements = tuple(requires)
    refused = refusal(requirements, plugin_api, namespace, trusted)
    if refused is not None:
        _say_once(logging.WARNING, refused)
        return None
    if require_hashes:
        _say_once(logging.INFO, hashes_refusal(requirements, namespace))
        return None
    key: _MemoKey = (namespace, requirements, plugin_api)
    with _memo_lock:
        if key not in _memo:
            _memo[key] = _install_and_query(requirements, plugin_api, namespace, environment)
        return _memo[key]


# -- the provider environment -----------------------------------------------------------------


def _interpreter_identity(python: str, environ: Mapping[str, str]) -> dict[str, str] | None:
    """What a provider environment built on ``python`` depends on."""
    code = (
        "import json, platform, sys, sysconfig; print(json.dumps({"
        "'implementation': sys.implementation.name, 'version': platform.python_version(), "
        "'platform': sysconfig.get_platform(), 'machine': platform.machine()}))"
    )
    resolved = os.path.realpath(python)
    if resolved == os.path.realpath(sys.executable):
        identity = {
            "implementation": sys.implementation.name,
            "version": platform.python_version(),
            "platform": sysconfig.get_platform(),
            "machine": platform.machine(),
        }
    else:
        try:
            completed = subprocess.run(
                [python, "-I", "-c", code],
                capture_output=True,
                text=True,
                timeout=60,
                env=dict(environ),
                check=True,
            )
            loaded = json.loads(completed.stdout)
        except (OSError, subprocess.SubprocessError, ValueError) as error:
            logger.warning(
                "wheelnext-pip: cannot run %s to build a variant provider environment: %s",
                python,
                one_line(str(error)),
            )
            return None
        if not isinstance(loaded, dict):
            return None
        identity = {str(k): str(v) for k, v in loaded.items()}
    identity["interpreter"] = resolved
    return identity


def provider_venv_key(
    requirements: Sequence[str], identity: Mapping[str, str], pip_install_args: Sequence[str]
) -> str:
    """Folder name of a cached provider environment.

    Depends on the requirements, the interpreter (path, version, platform) and the index options,
    not on ``plugin-api``: several endpoints of one provider share its environment.
    """
    document = json.dumps(
        {
            "layout": _LAYOUT_VERSION,
            "requires": list(requirements),
            "interpreter": dict(sorted(identity.items())),
            "index-options": list(pip_install_args),
        },
        sort_keys=True,
    )
    return hashlib.sha256(document.encode()).hexdigest()[:32]


def _venv_python(venv: Path) -> Path:
    if sys.platform == "win32":
        return venv / "Scripts" / "python.exe"
    return venv / "bin" / "python"


def _child_wheelnext_value(environ: Mapping[str, str]) -> str:
    """``WHEELNEXT_PIP`` for the install child: the same features, minus ``variants``."""
    from wheelnext_pip._features import parse_switch
    from wheelnext_pip.errors import WheelnextPipError

    try:
        switch = parse_switch(environ.get("WHEELNEXT_PIP"))
    except WheelnextPipError:
        return "0"
    features = sorted(switch.features - {"variants"}) if switch.on else []
    return ",".join(features) or "0"


def _install_environ(base: Mapping[str, str]) -> dict[str, str]:
    environ = {key: value for key, value in base.items() if key not in _STRIPPED_VARIABLES}
    environ["WHEELNEXT_PIP"] = _child_wheelnext_value(base)
    # A config file's ``user = true`` cannot apply to a virtual environment.
    environ["PIP_USER"] = "0"
    return environ


def _tail(text: str) -> str:
    return text[-_STDERR_TAIL_CHARS:]


def _install(
    venv: Path, requirements: Sequence[str], namespace: str, environment: PluginEnvironment
) -> bool:
    """Create the environment at ``venv`` and install the provider; ``False`` on failure."""
    names = requirement_names(requirements)
    base = environment.base_environ()
    create = [environment.python, "-I", "-m", "venv", "--without-pip", str(venv)]
    install = [
        sys.executable,
        "-m",
        "pip",
        "--python",
        str(_venv_python(venv)),
        "install",
        "--only-binary",
        ":all:",
        "--no-input",
        "--disable-pip-version-check",
        *environment.pip_install_args,
        *requirements,
    ]
    logger.info(
        "wheelnext-pip: %s: installing trusted variant provider %s in an isolated environment",
        namespace,
        names,
    )
    for step, command, env in (
        ("create an environment for", create, base),
        ("install", install, _install_environ(base)),
    ):
        logger.debug("wheelnext-pip: running %s", _redact(command))
        try:
            completed = subprocess.run(
                command,
                capture_output=True,
                text=True,
                encoding="utf-8",
                errors="replace",
                timeout=environment.install_timeout,
                env=env,
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired:
            logger.warning(
                "wheelnext-pip: %s: could not %s variant provider %s: no result after %g s; "
                "the namespace is unsupported",
                namespace,
                step,
                names,
                environment.install_timeout,
            )
            return False
        except OSError as error:
            logger.warning(
                "wheelnext-pip: %s: could not %s variant provider %s: %s; "
                "the namespace is unsupported",
                namespace,
                step,
                names,
                one_line(str(error)),
            )
            return False
        if completed.returncode != 0:
            last = _last_line(completed.stderr) or f"exit code {completed.returncode}"
            logger.warning(
                "wheelnext-pip: %s: could not %s variant provider %s (%s); "
                "the namespace is unsupported",
                namespace,
                step,
                names,
                one_line(last, 200),
            )
            logger.debug(
                "wheelnext-pip: output of the failed command:\n%s\n%s",
                _tail(completed.stdout),
                _tail(completed.stderr),
            )
            return False
    return True


def _last_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1].strip() if lines else ""


def _read_stamp(venv: Path, key: str) -> bool:
    try:
        stamp = json.loads((venv / STAMP_FILENAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(stamp, dict) and stamp.get("key") == key and _venv_python(venv).exists()


def _write_stamp(venv: Path, key: str, requirements: Sequence[str]) -> None:
    stamp = {"key": key, "layout": _LAYOUT_VERSION, "requires": list(requirements)}
    (venv / STAMP_FILENAME).write_text(json.dumps(stamp, indent=1) + "\n", encoding="utf-8")


def _remove(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def _sweep_stale_builds(root: Path) -> None:
    """Remove build directories that a killed process left behind."""
    now = time.time()
    with contextlib.suppress(OSError):
        for entry in root.iterdir():
            if _TMP_MARKER in entry.name:
                with contextlib.suppress(OSError):
                    if now - entry.stat().st_mtime > _STALE_TMP_SECONDS:
                        _remove(entry)


def _cached_venv(
    requirements: Sequence[str], namespace: str, environment: PluginEnvironment, cache_dir: str
) -> Path | None:
    """The complete cached environment, built first if needed; ``None`` on failure."""
    identity = _interpreter_identity(environment.python, environment.base_environ())
    if identity is None:
        return None
    key = provider_venv_key(requirements, identity, environment.pip_install_args)
    root = Path(os.path.abspath(cache_dir)) / VENVS_DIRNAME
    final = root / key
    if _read_stamp(final, key):
        logger.debug("wheelnext-pip: %s: reusing provider environment %s", namespace, final)
        return final
    try:
        root.mkdir(parents=True, exist_ok=True)
        building = Path(tempfile.mkdtemp(prefix=f"{key}{_TMP_MARKER}", dir=root))
    except OSError as error:
        logger.warning(
            "wheelnext-pip: %s: cannot create a provider environment under %s: %s",
            namespace,
            root,
            one_line(str(error)),
        )
        return None
    _sweep_stale_builds(root)
    try:
        if not _install(building, requirements, namespace, environment):
            return None
        _write_stamp(building, key, requirements)
        if _publish(building, final, key):
            return final
        logger.warning(
            "wheelnext-pip: %s: cannot move the provider environment into %s",
            namespace,
            final,
        )
        return None
    except OSError as error:
        logger.warning(
            "wheelnext-pip: %s: cannot write the provider environment: %s",
            namespace,
            one_line(str(error)),
        )
        return None
    finally:
        _remove(building)  # a no-op once renamed


def _publish(building: Path, final: Path, key: str) -> bool:
    """Rename the complete environment into place; another process may have been faster."""
    for _ in range(2):
        try:
            os.rename(building, final)
            return True
        except OSError:
            if _read_stamp(final, key):
                return True  # a concurrent build finished first: use it
            if not final.exists():
                return False
            # An incomplete or foreign directory: move it aside, then retry once.
            aside = final.with_name(f"{final.name}{_TMP_MARKER}stale-{os.getpid()}")
            try:
                os.rename(final, aside)
            except OSError:
                return False
            _remove(aside)
    return False


@contextlib.contextmanager
def _provider_venv(
    requirements: Sequence[str], namespace: str, environment: PluginEnvironment
) -> Iterator[Path | None]:
    """A provider environment for the duration of the block (``None``: could not be made)."""
    if environment.cache_dir is not None:
        yield _cached_venv(requirements, namespace, environment, environment.cache_dir)
        return
    temporary = Path(tempfile.mkdtemp(prefix="wheelnext-variant-provider-"))
    try:
        venv = temporary / "venv"
        yield venv if _install(venv, requirements, namespace, environment) else None
    finally:
        _remove(temporary)


# -- the query --------------------------------------------------------------------------------


def _install_and_query(
    requirements: Sequence[str], plugin_api: str, namespace: str, environment: PluginEnvironment
) -> NamespaceProperties | None:
    with _provider_venv(requirements, namespace, environment) as venv:
        if venv is None:
            return None
        raw = _run_runner(venv, requirements, plugin_api, namespace, environment)
    if raw is None:
        return None
    properties, warnings = answer_properties(raw, namespace, requirement_names(requirements))
    for warning in warnings:
        logger.warning("wheelnext-pip: %s", warning)
    return properties


def _run_runner(
    venv: Path,
    requirements: Sequence[str],
    plugin_api: str,
    namespace: str,
    environment: PluginEnvironment,
) -> object | None:
    """The runner's decoded answer, or ``None`` (with one warning) when there is none.

    Whatever happens, every process the plugin started is ended before this returns: the
    runner's supervisor kills them and says so; otherwise the runner's process group is killed,
    and on Linux any process carrying this run's token in its environment.
    """
    names = requirement_names(requirements)
    command = [str(_venv_python(venv)), "-I", str(RUNNER_PATH)]
    request = json.dumps(
        {
            "plugin_api": plugin_api.strip(),
            "namespace": namespace,
            "timeout": environment.timeout,
            "parent": os.getpid(),
            "limit": _MAX_ANSWER_BYTES,
        }
    )
    token = os.urandom(16).hex()
    environ = environment.base_environ()
    environ[_RUN_TOKEN_VARIABLE] = token
    logger.debug("wheelnext-pip: %s: querying %s with %s", namespace, plugin_api, command)
    try:
        process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=environ,
            cwd=str(venv),
            # Its own session and process group: nothing it starts gets the terminal's signals,
            # and the group can be killed as a whole (POSIX only).
            start_new_session=True,
        )
    except OSError as error:
        logger.warning(
            "wheelnext-pip: %s: cannot run variant provider %s: %s; the namespace is unsupported",
            namespace,
            names,
            one_line(str(error)),
        )
        return None
    ended = False
    try:
        # The runner ends the query at the timeout itself; this bounds pip's own wait.
        output = _collect(process, request.encode(), environment.timeout + _GRACE_SECONDS)
        outcome = _decode_outcome(output.stdout)
        ended = isinstance(outcome, dict) and outcome.get("ended") is True
    finally:
        _end_run(process, token, ended)
    error_text = output.stderr.decode("utf-8", "replace")
    if error_text.strip():
        logger.debug(
            "wheelnext-pip: %s: stderr of provider %s:\n%s", namespace, names, _tail(error_text)
        )
    where = f"{namespace}: variant provider {names}"
    if output.timed_out or (isinstance(outcome, dict) and outcome.get("status") == "timeout"):
        logger.warning(
            "wheelnext-pip: %s gave no answer within %g s; the namespace is unsupported",
            where,
            environment.timeout,
        )
        return None
    if isinstance(outcome, str):
        logger.warning("wheelnext-pip: %s %s; ignored", where, outcome)
        return None
    status, reason = outcome.get("status"), outcome.get("reason")
    if status == "ok":
        return outcome.get("answer")
    if status != "error" or not isinstance(reason, str):
        logger.warning("wheelnext-pip: %s gave an answer that is not valid; ignored", where)
        return None
    logger.warning(
        "wheelnext-pip: %s failed (%s); the namespace is unsupported",
        where,
        one_line(reason, 200),
    )
    return None


@dataclass
class _Output:
    stdout: bytes = b""
    stderr: bytes = b""
    #: pip stopped waiting: the runner had not ended within the time limit.
    timed_out: bool = False


def _collect(process: subprocess.Popen[bytes], request: bytes, timeout: float) -> _Output:
    """Send the request and read the runner's output until its stdout ends.

    Only the runner itself holds its stdout, so its end means the runner is done; stderr may be
    held open by a process the plugin started, so it is read only as far as it is available.
    """
    assert process.stdin is not None and process.stdout is not None
    assert process.stderr is not None
    with contextlib.suppress(OSError):
        process.stdin.write(request)
    with contextlib.suppress(OSError):
        process.stdin.close()
    if sys.platform == "win32":
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            return _Output(timed_out=True)
        return _Output(stdout[: _MAX_OUTPUT_BYTES + 1], stderr[-_STDERR_KEPT_BYTES:])
    deadline = time.monotonic() + timeout
    stdout, stderr = bytearray(), bytearray()
    timed_out = False
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        selector.register(process.stderr, selectors.EVENT_READ)
        while process.stdout in _registered(selector) and len(stdout) <= _MAX_OUTPUT_BYTES:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                timed_out = True
                break
            _read_ready(selector, remaining, process.stdout, stdout, stderr)
        # What the runner wrote to stderr before it ended, without waiting for more.
        while process.stderr in _registered(selector) and _read_ready(
            selector, 0, process.stdout, stdout, stderr
        ):
            pass
    return _Output(bytes(stdout), bytes(stderr), timed_out)


def _registered(selector: selectors.BaseSelector) -> list[object]:
    return [key.fileobj for key in selector.get_map().values()]


def _read_ready(
    selector: selectors.BaseSelector,
    timeout: float,
    stdout_stream: object,
    stdout: bytearray,
    stderr: bytearray,
) -> bool:
    """Read once from each ready stream (unregistered at its end); ``False``: none was ready."""
    events = selector.select(timeout)
    for key, _ in events:
        chunk = os.read(key.fd, 65536)
        if not chunk:
            selector.unregister(key.fileobj)
        elif key.fileobj is stdout_stream:
            stdout += chunk
        else:
            stderr += chunk
            del stderr[:-_STDERR_KEPT_BYTES]
    return bool(events)


def _decode_outcome(stdout: bytes) -> dict[str, object] | str:
    """The runner's outcome object, or why there is none (the end of the warning's sentence)."""
    from wheelnext_pip.variants._plugin_runner import decode_frame

    if len(stdout) > _MAX_OUTPUT_BYTES:
        return f"answered more than {_MAX_ANSWER_BYTES} bytes"
    payload, why = decode_frame(stdout)
    if payload is None:
        if not stdout:
            return "gave no answer"
        if why == "incomplete":
            return "gave a truncated answer"
        return f"gave an answer that is not valid ({why})"
    if len(stdout) != stdout.index(b"\n") + 1 + len(payload):
        return "gave an answer followed by other output"
    try:
        outcome: object = json.loads(payload.decode("utf-8"))
    except ValueError:
        return "gave an answer that is not JSON"
    if not isinstance(outcome, dict):
        return "gave an answer that is not valid (not a JSON object)"
    return outcome


def _end_run(process: subprocess.Popen[bytes], token: str, ended: bool) -> None:
    """End the runner and everything it started; close its pipes."""
    if sys.platform != "win32":
        # Before the runner is reaped: while it is a zombie its pid (the group's id) cannot be
        # reused, so this reaches its own group only.
        with contextlib.suppress(OSError):
            os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(OSError):
        process.kill()
    for stream in (process.stdin, process.stdout, process.stderr):
        if stream is not None:
            with contextlib.suppress(OSError):
                stream.close()
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=_GRACE_SECONDS)
    if not ended:
        _kill_tagged(token)


def _kill_tagged(token: str) -> None:
    """Linux: kill the processes whose environment carries this run's token: those that left
    the runner's process group when the runner could not end them itself."""
    if not sys.platform.startswith("linux"):
        return
    needle = f"{_RUN_TOKEN_VARIABLE}={token}".encode()
    for _ in range(_TAGGED_ROUNDS):  # another round only while processes were found
        found = []
        with contextlib.suppress(OSError):
            for entry in os.listdir("/proc"):
                if not entry.isdigit():
                    continue
                try:
                    with open(f"/proc/{entry}/environ", "rb") as file:
                        environ = file.read()
                except OSError:
                    continue  # gone, or not ours
                if needle in environ.split(b"\0"):
                    found.append(int(entry))
        if not found:
            return
        for pid in found:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)

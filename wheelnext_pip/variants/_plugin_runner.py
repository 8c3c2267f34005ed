"""Query one variant provider plugin: run as ``<provider venv python> -I _plugin_runner.py``.

This file is executed by path inside the provider's own virtual environment; the plugin is never
imported into pip's process (pip imports this module for :func:`decode_frame` only). It must use
the standard library only and run on every Python the project supports.

Protocol (one request per process):

- stdin: ``{"plugin_api": "module:obj.path", "namespace": "ns", "timeout": seconds,
  "parent": pid, "limit": bytes}`` (UTF-8 JSON; ``parent`` is the pid of the pip process that
  started it, ``limit`` the largest answer it takes)
- stdout: one frame (:func:`encode_frame`) whose payload is a JSON object: ``{"status": "ok",
  "answer": [{"name", "values", "multi_value"}, ...]}``, ``{"status": "error", "reason": str}``
  or ``{"status": "timeout"}``; ``"ended": true`` when every process started by the plugin is
  known to be gone (see below). Anything else on stdout (nothing, a cut frame) is no answer.
- stderr: the plugin's own output and tracebacks (for pip's debug log).

Lifetime: no process the plugin starts may outlive the query. On POSIX this process is a
*supervisor* that runs the plugin in a forked *worker*; once the worker has answered (or failed,
or the timeout passed) the supervisor kills the worker and everything it started, and only then
writes the answer. On Linux the supervisor is a child subreaper (``PR_SET_CHILD_SUBREAPER``), so
a daemon that double-forks or calls ``setsid()`` is re-parented to it and found among its
children; ``PR_SET_PDEATHSIG`` ends the supervisor if pip dies first and the worker if the
supervisor dies. Elsewhere the caller kills the process group. On Windows the plugin runs in
this process, as before.

Whatever the plugin writes to stdout (Python or C level) is sent to stderr so that it cannot
corrupt the answer. The answer is not validated here beyond its shape: the caller checks every
name and value against the property grammar.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import inspect
import json
import os
import sys
import time
import traceback
from collections.abc import Iterable, Mapping
from typing import Any, Callable

_SCALARS = (str, int, float, bool)
_FRAME_MAGIC = b"wheelnext-plugin-answer"
_MAX_HEADER = 200
# prctl(2) options (linux/prctl.h).
_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36
_UNSEEN_ROUNDS = 1000


class RunnerError(Exception):
    """A problem with the plugin's shape (as opposed to an exception raised by its code)."""


class _Stop(BaseException):
    """SIGTERM (pip died, or pip asks the supervisor to end the run)."""


# -- frames -----------------------------------------------------------------------------------


def encode_frame(payload: bytes) -> bytes:
    """``<magic> <length> <sha256>\\n<payload>``: a reader knows when it is complete and intact."""
    digest = hashlib.sha256(payload).hexdigest()
    return b"%s %d %s\n" % (_FRAME_MAGIC, len(payload), digest.encode()) + payload


def decode_frame(data: bytes) -> tuple[bytes | None, str]:
    """``(payload, "")`` for a complete intact frame at the start of ``data``; otherwise
    ``(None, why)`` with ``why`` ``"incomplete"`` (more may come) or a reason it is not valid.
    Bytes after the frame are ignored."""
    newline = data.find(b"\n", 0, _MAX_HEADER)
    if newline < 0:
        if len(data) >= _MAX_HEADER or not _FRAME_MAGIC.startswith(data[: len(_FRAME_MAGIC)]):
            return None, "no frame header"
        return None, "incomplete"
    parts = data[:newline].split(b" ")
    if len(parts) != 3 or parts[0] != _FRAME_MAGIC or not parts[1].isdigit():
        return None, "no frame header"
    length = int(parts[1])
    payload = data[newline + 1 : newline + 1 + length]
    if len(payload) < length:
        return None, "incomplete"
    if hashlib.sha256(payload).hexdigest().encode() != parts[2]:
        return None, "checksum mismatch"
    return payload, ""


# -- the query --------------------------------------------------------------------------------


def _resolve(plugin_api: str) -> Any:
    """Import the module, then follow the object path with ``getattr``."""
    module_name, _, object_path = plugin_api.partition(":")
    endpoint: Any = importlib.import_module(module_name.strip())
    for part in object_path.strip().split(".") if object_path.strip() else ():
        endpoint = getattr(endpoint, part)
    return endpoint


def _callable_without_arguments(function: Callable[..., Any]) -> bool:
    try:
        inspect.signature(function).bind()
    except TypeError:
        return False
    except ValueError:  # no signature available: just try it
        return True
    return True


def _supported_configs(endpoint: Any, plugin_api: str) -> Any:
    """Call ``get_supported_configs()``; legacy plugins: ``Cls().get_supported_configs(None)``."""
    method = getattr(endpoint, "get_supported_configs", None)
    if not callable(method):
        raise RunnerError(f"{plugin_api} has no get_supported_configs()")
    if _callable_without_arguments(method):
        return method()
    if not inspect.isclass(endpoint):
        raise RunnerError(f"{plugin_api}.get_supported_configs() needs arguments")
    # Legacy API (variantlib 0.0.x): an instance method taking the known properties.
    instance: Any = endpoint()
    bound = instance.get_supported_configs
    if _callable_without_arguments(bound):
        return bound()
    return bound(None)


def _jsonable(value: object) -> object:
    return value if value is None or isinstance(value, _SCALARS) else repr(value)


def _field(item: object, name: str) -> object:
    if isinstance(item, Mapping):
        return item.get(name)
    return getattr(item, name, None)


def _convert(configs: object) -> list[dict[str, object]]:
    if isinstance(configs, (str, bytes, Mapping)) or not isinstance(configs, Iterable):
        raise RunnerError(f"get_supported_configs() returned {type(configs).__name__}, not a list")
    features: list[dict[str, object]] = []
    for item in configs:
        values = _field(item, "values")
        if isinstance(values, (str, bytes, Mapping)) or not isinstance(values, Iterable):
            shown_values: object = _jsonable(values)
        else:
            shown_values = [_jsonable(value) for value in values]
        features.append(
            {
                "name": _jsonable(_field(item, "name")),
                "values": shown_values,
                "multi_value": bool(_field(item, "multi_value")),
            }
        )
    return features


def _query(request: Mapping[str, object]) -> list[dict[str, object]]:
    plugin_api = request.get("plugin_api")
    namespace = request.get("namespace")
    if not isinstance(plugin_api, str) or not isinstance(namespace, str):
        raise RunnerError("the request needs the strings plugin_api and namespace")
    endpoint = _resolve(plugin_api)
    declared = getattr(endpoint, "namespace", None)
    if isinstance(declared, str) and declared != namespace:
        raise RunnerError(f"{plugin_api} is the provider of {declared!r}, not of {namespace!r}")
    return _convert(_supported_configs(endpoint, plugin_api))


def _one_line(text: str) -> str:
    return " ".join(text.split())[:300]


def _outcome(request: Mapping[str, object]) -> dict[str, object]:
    """Run the plugin in this process: the payload of the answer frame."""
    try:
        return {"status": "ok", "answer": _query(request)}
    except BaseException as error:  # report everything, including SystemExit from a plugin
        traceback.print_exc()
        summary = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
        return {"status": "error", "reason": _one_line(summary)}


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _flush_standard_streams() -> None:
    for stream in (sys.stdout, sys.stderr):
        # Closed or replaced by the plugin: nothing to flush.
        with contextlib.suppress(OSError, ValueError, AttributeError):
            stream.flush()


# -- Linux process control --------------------------------------------------------------------


def _prctl() -> Callable[[int, int], bool] | None:
    """``prctl(option, value)`` returning success, or ``None`` off Linux / without ctypes."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        function = ctypes.CDLL(None, use_errno=True).prctl
    except (ImportError, OSError, AttributeError):
        return None

    def call(option: int, value: int) -> bool:
        zero = ctypes.c_ulong(0)
        result = function(ctypes.c_int(option), ctypes.c_ulong(value), zero, zero, zero)
        return bool(result == 0)

    return call


def _children() -> list[int] | None:
    """Pids whose parent is this process (``None``: ``/proc`` cannot tell)."""
    me = os.getpid()
    found: list[int] = []
    try:
        entries = os.listdir("/proc")
    except OSError:
        return None
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as file:
                stat = file.read()
        except OSError:
            continue  # gone meanwhile
        fields = stat.rpartition(b")")[2].split()
        if len(fields) > 1 and fields[1] == str(me).encode():
            found.append(int(entry))
    return found


def _end_subreaped_descendants() -> bool:
    """Kill and reap every descendant (all of them are children of a subreaper once their own
    parent is gone); ``True`` when none is left."""
    import signal

    unseen = 0
    while True:
        children = _children()
        if children is None or unseen > _UNSEEN_ROUNDS:
            return False
        for pid in children:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        try:
            # Blocks only while a child is known (and was just killed); otherwise reap zombies.
            pid, _ = os.waitpid(-1, 0 if children else os.WNOHANG)
        except ChildProcessError:
            return True
        # A child the scan did not see (re-parented meanwhile): scan again, a bounded number of
        # times in a row.
        unseen = unseen + 1 if pid == 0 and not children else 0


# -- supervisor and worker (POSIX) ------------------------------------------------------------


def _worker(
    request: Mapping[str, object], answer_fd: int, unused: tuple[int, ...], prctl: Any
) -> None:
    """The forked child that imports and asks the plugin; never returns."""
    import signal

    try:
        supervisor = os.getppid()
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        for fd in unused:
            os.close(fd)
        if prctl is not None:
            prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL))
            if os.getppid() != supervisor:
                os._exit(1)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        os.dup2(2, 1)  # the plugin's stdout goes to stderr
        me = os.getpid()
        payload = json.dumps(_outcome(request), ensure_ascii=True).encode()
        if os.getpid() == me:  # not a fork of the plugin that returned here
            _flush_standard_streams()
            _write_all(answer_fd, encode_frame(payload))
    except BaseException:  # the supervisor reports the missing answer
        pass
    finally:
        _flush_standard_streams()
        os._exit(0)


def _wait_for_worker(
    worker: int, answer_fd: int, wakeup_fd: int, deadline: float, limit: int
) -> dict[str, object]:
    """Read the worker's answer frame until it is complete, the worker is gone or the deadline
    passed. No end of file is needed: a process started by the plugin may hold the pipe open."""
    import select

    received = bytearray()
    reading = True
    status: int | None = None
    while True:
        if status is None:
            done, code = os.waitpid(worker, os.WNOHANG)
            if done:
                status = code
        if status is None:
            wait = deadline - time.monotonic()
            if wait <= 0:
                return {"status": "timeout"}
        else:
            wait = 0  # gone: what it wrote is in the pipe already
        ready, _, _ = select.select(
            [answer_fd, wakeup_fd] if reading else [wakeup_fd], [], [], wait
        )
        if wakeup_fd in ready:
            with contextlib.suppress(BlockingIOError):
                os.read(wakeup_fd, 512)
        chunk = b""
        if answer_fd in ready:
            with contextlib.suppress(BlockingIOError):
                chunk = os.read(answer_fd, 65536)
                reading = bool(chunk)
        received += chunk
        if len(received) > limit:
            return {"status": "error", "reason": f"it answered more than {limit} bytes"}
        payload, why = decode_frame(bytes(received))
        if payload is not None:
            return _worker_outcome(payload)
        if why != "incomplete":
            return {"status": "error", "reason": f"its answer is not valid ({why})"}
        if status is not None and not chunk:
            return {"status": "error", "reason": _exit_reason(status)}


def _worker_outcome(payload: bytes) -> dict[str, object]:
    """The worker's payload, keeping only what a worker may say."""
    try:
        loaded = json.loads(payload.decode("utf-8"))
    except ValueError:
        return {"status": "error", "reason": "its answer is not JSON"}
    status = loaded.get("status") if isinstance(loaded, dict) else None
    if status == "ok":
        return {"status": "ok", "answer": loaded.get("answer")}
    if status == "error":
        return {"status": "error", "reason": _one_line(str(loaded.get("reason")))}
    return {"status": "error", "reason": "its answer is not valid"}


def _exit_reason(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"it ended without an answer (signal {os.WTERMSIG(status)})"
    return f"it ended without an answer (exit code {os.WEXITSTATUS(status)})"


def _supervise(request: Mapping[str, object]) -> dict[str, object]:
    import signal

    prctl = _prctl()
    subreaper = False
    parent = request.get("parent")
    if prctl is not None:
        subreaper = prctl(_PR_SET_CHILD_SUBREAPER, 1)
        prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM))
        if isinstance(parent, int) and os.getppid() != parent:
            return {"status": "error", "reason": "pip ended before the plugin ran", "ended": True}

    def stop(signum: int, frame: object) -> None:
        raise _Stop

    signal.signal(signal.SIGTERM, stop)
    timeout = request.get("timeout")
    deadline = time.monotonic() + (float(timeout) if isinstance(timeout, (int, float)) else 60.0)
    limit = request.get("limit")
    limit = limit if isinstance(limit, int) else 4 * 1024 * 1024
    answer_read, answer_write = os.pipe()
    wakeup_read, wakeup_write = os.pipe()
    for fd in (answer_read, wakeup_read, wakeup_write):
        os.set_blocking(fd, False)
    signal.signal(signal.SIGCHLD, lambda signum, frame: None)
    signal.set_wakeup_fd(wakeup_write)
    _flush_standard_streams()
    try:
        worker = os.fork()
    except OSError as error:
        return {"status": "error", "reason": f"cannot fork: {_one_line(str(error))}", "ended": True}
    if worker == 0:
        _worker(request, answer_write, (answer_read, wakeup_read, wakeup_write), prctl)
    os.close(answer_write)
    try:
        outcome = _wait_for_worker(worker, answer_read, wakeup_read, deadline, limit)
    except _Stop:
        outcome = {"status": "error", "reason": "stopped"}
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        with contextlib.suppress(OSError):
            os.kill(worker, signal.SIGKILL)
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    if subreaper:
        outcome["ended"] = _end_subreaped_descendants()
    else:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(worker, 0)
    return outcome


def main() -> int:
    try:
        request: object = json.loads(sys.stdin.buffer.read().decode("utf-8"))
        if not isinstance(request, dict):
            raise RunnerError("the request is not a JSON object")
    except (ValueError, RunnerError) as error:
        outcome: dict[str, object] = {"status": "error", "reason": _one_line(str(error))}
    else:
        if os.name == "posix" and hasattr(os, "fork"):
            outcome = _supervise(request)
        else:
            # Keep the real stdout for the answer; anything else written to fd 1 goes to stderr.
            _flush_standard_streams()
            answer_fd = os.dup(1)
            os.dup2(2, 1)
            outcome = _outcome(request)
            _flush_standard_streams()
            os.dup2(answer_fd, 1)
            os.close(answer_fd)
    _flush_standard_streams()
    try:
        _write_all(1, encode_frame(json.dumps(outcome, ensure_ascii=True).encode()))
    except OSError:  # pip is gone
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

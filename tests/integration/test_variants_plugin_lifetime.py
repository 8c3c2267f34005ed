"""A trusted provider plugin cannot outlive pip, through real pip on every pip of the matrix.

Issue item "A trusted plugin cannot outlive pip": a plugin that leaves processes behind (a
fork, a child in a session of its own, a classic double-fork daemon, a thread that keeps its
process alive, a child started after closing its stdout) still has its answer used, and once
pip exits none of those processes is alive. Each endpoint of the fixture provider records the
pids it leaves behind in a file of ``$LINGER_PIDS`` before it answers.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests._lib.builders import make_wheel
from tests._lib.index import IndexServer, write_simple_index
from tests._lib.pipenv import PipEnv

pytestmark = [
    pytest.mark.pipmatrix,
    pytest.mark.python_sensitive,
    pytest.mark.skipif(
        not sys.platform.startswith("linux"), reason="the processes are looked up in /proc"
    ),
]

SCHEMA = "https://variants-schema.wheelnext.dev/peps/850/v0.2.0.json"
PIDS_VARIABLE = "LINGER_PIDS"

#: namespace -> endpoint of ``lingerprov.plugin``; each answers ``<ns> :: on :: yes``.
ENDPOINTS = {
    "fork": "Forker",
    "session": "NewSession",
    "daemon": "Daemon",
    "thread": "KeepAlive",
    "quiet": "ClosedStdout",
}

PLUGIN_SOURCE = textwrap.dedent(
    """
    import os
    import subprocess
    import sys
    import threading
    import time

    SLEEP = [sys.executable, "-c", "import time; time.sleep(600)"]


    def _record(name, pid):
        with open(os.path.join(os.environ["LINGER_PIDS"], name), "a") as file:
            file.write("%d\\n" % pid)


    def _answer():
        return [{"name": "on", "values": ["yes"], "multi_value": False}]


    class Forker:
        # A forked child keeps every descriptor of the runner open.
        @staticmethod
        def get_supported_configs():
            pid = os.fork()
            if pid == 0:
                time.sleep(600)
                os._exit(0)
            _record("fork", pid)
            return _answer()


    class NewSession:
        # A child in a session (and process group) of its own, holding stdout and stderr.
        @staticmethod
        def get_supported_configs():
            child = subprocess.Popen(SLEEP, start_new_session=True)
            _record("session", child.pid)
            return _answer()


    class Daemon:
        # Double fork, setsid, standard streams on /dev/null, every other descriptor closed.
        @staticmethod
        def get_supported_configs():
            read_end, write_end = os.pipe()
            first = os.fork()
            if first == 0:
                os.setsid()
                second = os.fork()
                if second:
                    os.write(write_end, b"%d" % second)
                    os._exit(0)
                null = os.open(os.devnull, os.O_RDWR)
                for fd in (0, 1, 2):
                    os.dup2(null, fd)
                os.closerange(3, 65536)
                time.sleep(600)
                os._exit(0)
            os.close(write_end)
            os.waitpid(first, 0)
            _record("daemon", int(os.read(read_end, 64)))
            os.close(read_end)
            return _answer()


    class KeepAlive:
        # A non-daemon thread: the interpreter waits for it before it exits.
        @staticmethod
        def get_supported_configs():
            threading.Thread(target=time.sleep, args=(600,)).start()
            _record("thread", os.getpid())
            return _answer()


    class ClosedStdout:
        # Closes its stdout, then starts a detached child with no pipe of the runner.
        @staticmethod
        def get_supported_configs():
            sys.stdout.close()
            try:
                os.close(1)
            except OSError:
                pass
            child = subprocess.Popen(
                SLEEP,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            _record("quiet", child.pid)
            return _answer()
    """
)


def document(variants: dict[str, dict]) -> dict:
    return {
        "$schema": SCHEMA,
        "default-priorities": {"namespace": list(ENDPOINTS)},
        "providers": {
            namespace: {"requires": ["lingerprov"], "plugin-api": f"lingerprov.plugin:{endpoint}"}
            for namespace, endpoint in ENDPOINTS.items()
        },
        "variants": variants,
    }


@pytest.fixture(scope="module")
def linger_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IndexServer]:
    """``vlinger 1.0``: a variant ``all`` needing every namespace, and ``null``."""
    dists = tmp_path_factory.mktemp("linger-dists")
    variants: dict[str, dict] = {
        "all": {namespace: {"on": ["yes"]} for namespace in ENDPOINTS},
        "null": {},
    }
    wheels = [
        make_wheel(
            dists,
            "vlinger",
            "1.0",
            filename=f"vlinger-1.0-py3-none-any-{label}.whl",
            extra_dist_info={"variant.json": json.dumps(document({label: variants[label]}))},
        )
        for label in variants
    ]
    wheels.append(
        make_wheel(
            dists,
            "lingerprov",
            "1.0",
            files={"lingerprov/__init__.py": "", "lingerprov/plugin.py": PLUGIN_SOURCE},
        )
    )
    metadata = dists / "vlinger-1.0-variants.json"
    metadata.write_text(json.dumps(document(variants)))
    root = tmp_path_factory.mktemp("linger-index")
    write_simple_index(root / "www", wheels, extra_files={"vlinger": [metadata]})
    with IndexServer(root / "www") as server:
        yield server


def alive(pid: int, marker: str) -> bool:
    """Whether ``pid`` is a running (not zombie) process that carries ``marker`` in its
    environment (a recycled pid belongs to someone else)."""
    proc = Path("/proc", str(pid))
    try:
        state = (proc / "stat").read_text().rpartition(")")[2].split()[0]
        environ = (proc / "environ").read_bytes().split(b"\0")
    except (OSError, IndexError):
        return False
    return state != "Z" and marker.encode() in environ


def recorded(folder: Path) -> dict[str, list[int]]:
    return {
        path.name: [int(line) for line in path.read_text().split()]
        for path in sorted(folder.iterdir())
    }


@pytest.fixture
def pid_folder(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "pids"
    folder.mkdir()
    yield folder
    # Whatever the outcome, leave no sleeper behind on the test machine.
    marker = f"{PIDS_VARIABLE}={folder}"
    for pids in recorded(folder).values():
        for pid in pids:
            if alive(pid, marker):
                os.kill(pid, signal.SIGKILL)


def test_processes_started_by_a_trusted_plugin_end_with_pip(
    plugin_env: PipEnv, linger_index: IndexServer, pid_folder: Path, tmp_path: Path
) -> None:
    report_file = tmp_path / "report.json"
    settings = {
        PIDS_VARIABLE: str(pid_folder),
        "WHEELNEXT_PIP_TRUST_PROVIDERS": "lingerprov",
    }
    result = plugin_env.pip(
        "install", "--dry-run", "--report", report_file, "--cache-dir", tmp_path / "cache",
        "--index-url", linger_index.index_url, "vlinger", wheelnext="1", env=settings,
    )  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    (item,) = json.loads(report_file.read_text())["install"]
    marker = f"{PIDS_VARIABLE}={pid_folder}"
    pids = recorded(pid_folder)
    outcome = {
        # Every plugin's answer was used: the variant needing all five namespaces won.
        "label": item["wheelnext"]["variant_label"],
        "warnings": [line for line in output.splitlines() if "WARNING" in line],
        "started": sorted(pids),
        "alive after pip": {
            name: [pid for pid in found if alive(pid, marker)] for name, found in pids.items()
        },
    }
    assert outcome == {
        "label": "all",
        "warnings": [],
        "started": sorted(ENDPOINTS),
        "alive after pip": {name: [] for name in ENDPOINTS},
    }, output

"""Trusted provider plugins: installed in their own venv and queried out of process.

Real subprocesses throughout: a fixture provider wheel is installed from a ``--find-links``
directory by a pip subprocess, and queried by the runner in that environment's interpreter.
The plugin appends a line to the file named by ``FAKEPROV_MARKER`` whenever it is imported,
which shows how often (and whether) provider code ran.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests._lib.builders import make_wheel
from tests._lib.pipenv import hermetic_environ
from wheelnext_pip.variants import _plugin_env
from wheelnext_pip.variants._plugin_env import (
    STAMP_FILENAME,
    VENVS_DIRNAME,
    PluginEnvironment,
    answer_trusted_plugin,
    query_plugin,
)
from wheelnext_pip.variants._plugin_runner import encode_frame
from wheelnext_pip.variants.properties import NamespaceProperties, SupportedFeature
from wheelnext_pip.variants.providers import ProviderDecision

REPO = Path(__file__).resolve().parents[2]
MARKER_ENV = "FAKEPROV_MARKER"
TRUSTED = frozenset({"fakeprov"})
LEVELS = NamespaceProperties("fake", (SupportedFeature("level", ("v3", "v2")),))
FRAME = encode_frame(b'{"status": "ok", "answer": []}')

PLUGIN_SOURCE = textwrap.dedent(
    """
    import os
    import sys
    import time

    _marker = os.environ.get("FAKEPROV_MARKER")
    if _marker:
        with open(_marker, "a") as _file:
            _file.write("imported\\n")


    class Config:
        def __init__(self, name, values, multi_value=False):
            self.name = name
            self.values = values
            self.multi_value = multi_value


    class Plugin:
        namespace = "fake"

        @classmethod
        def get_supported_configs(cls):
            return [Config("level", ["v3", "v2"])]


    class DictPlugin:
        @staticmethod
        def get_supported_configs():
            return ({"name": "level", "values": ("v3", "v2"), "multi_value": True},)


    class Legacy:
        namespace = "fake"

        def get_supported_configs(self, known_properties):
            assert known_properties is None
            return [Config("level", ["v3", "v2"])]


    class Sleeper:
        @staticmethod
        def get_supported_configs():
            time.sleep(60)
            return []


    class Failing:
        @staticmethod
        def get_supported_configs():
            raise RuntimeError("boom from the plugin")


    class Invalid:
        @staticmethod
        def get_supported_configs():
            return [
                {"name": "Bad-Name", "values": ["x"]},
                {"name": "level", "values": ["v3", "V2!", 3, "v1.5", "v3"]},
                {"name": "level", "values": ["v9"]},
                {"name": "flags", "values": "notalist"},
                {"name": "empty", "values": []},
            ]


    class Noisy:
        @staticmethod
        def get_supported_configs():
            print("chatter on stdout")
            os.write(1, b"more chatter on fd 1\\n")
            sys.stderr.write("chatter on stderr\\n")
            return [Config("level", ["v3", "v2"])]


    class OtherNamespace:
        namespace = "other"

        @staticmethod
        def get_supported_configs():
            return []


    def get_supported_configs():
        return [Config("level", ["v1"])]


    SLEEP = [sys.executable, "-c", "import time; time.sleep(600)"]


    def _record(pid):
        with open(os.environ["FAKEPROV_PIDS"], "a") as _file:
            _file.write("%d\\n" % pid)


    class Forker:
        # The forked child keeps every descriptor of the runner open.
        @staticmethod
        def get_supported_configs():
            pid = os.fork()
            if pid == 0:
                time.sleep(600)
                os._exit(0)
            _record(pid)
            return [Config("level", ["v3", "v2"])]


    class SleeperWithChild:
        # Leaves a child in a session of its own, then never answers.
        @staticmethod
        def get_supported_configs():
            import subprocess

            _record(subprocess.Popen(SLEEP, start_new_session=True).pid)
            time.sleep(600)
            return []


    class Vanishing:
        @staticmethod
        def get_supported_configs():
            os._exit(3)


    class Parricide:
        # Leaves a child in a session of its own and kills the runner's supervisor.
        @staticmethod
        def get_supported_configs():
            import signal
            import subprocess

            _record(subprocess.Popen(SLEEP, start_new_session=True).pid)
            os.kill(os.getppid(), signal.SIGKILL)
            time.sleep(600)
            return []
    """
)


@pytest.fixture(scope="module")
def find_links(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("find-links")
    make_wheel(
        folder,
        "fakeprov",
        "1.0",
        files={"fakeprov/__init__.py": "", "fakeprov/plugin.py": PLUGIN_SOURCE},
    )
    return folder


@pytest.fixture(scope="module")
def shared_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One cache dir for the tests that only care about the query: one install for all."""
    return tmp_path_factory.mktemp("shared-cache")


@pytest.fixture(autouse=True)
def _fresh_memo() -> Iterator[None]:
    _plugin_env.clear_memo()
    yield
    _plugin_env.clear_memo()


def environment(
    find_links: Path, cache_dir: Path | None, marker: Path, **changes: object
) -> PluginEnvironment:
    arguments: dict[str, object] = {
        "cache_dir": None if cache_dir is None else str(cache_dir),
        "pip_install_args": ["--no-index", "--find-links", str(find_links)],
        "environ": hermetic_environ({MARKER_ENV: str(marker)}),
    }
    arguments.update(changes)
    return PluginEnvironment(**arguments)  # type: ignore[arg-type]


def imports(marker: Path) -> int:
    """How many times provider code was imported."""
    return len(marker.read_text().splitlines()) if marker.exists() else 0


def venvs(cache_dir: Path) -> list[Path]:
    root = cache_dir / VENVS_DIRNAME
    return sorted(root.iterdir()) if root.exists() else []


def messages(caplog: pytest.LogCaptureFixture, level: int) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == level]


def query(
    env: PluginEnvironment, plugin_api: str = "fakeprov.plugin:Plugin", **kw: object
) -> object:
    arguments: dict[str, object] = {"environment": env, "trusted": TRUSTED}
    arguments.update(kw)
    return query_plugin(["fakeprov"], plugin_api, "fake", **arguments)  # type: ignore[arg-type]


CHILD_SCRIPT = textwrap.dedent(
    """
    import json, sys
    from wheelnext_pip.variants._plugin_env import PluginEnvironment, query_plugin
    cache, links = sys.argv[1:]
    env = PluginEnvironment(cache_dir=cache, pip_install_args=["--no-index", "--find-links", links])
    result = query_plugin(
        ["fakeprov"], "fakeprov.plugin:Plugin", "fake",
        environment=env, trusted=frozenset({"fakeprov"}),
    )
    print(json.dumps(None if result is None else [[f.name, list(f.values)] for f in result]))
    """
)


def test_installed_once_queried_memoized_and_reused_by_a_new_process(
    find_links: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    links = tmp_path / "links"
    links.mkdir()
    (wheel,) = find_links.glob("*.whl")
    shutil.copy2(wheel, links / wheel.name)
    cache = tmp_path / "cache"
    marker = tmp_path / "marker"
    env = environment(links, cache, marker)
    caplog.set_level(logging.DEBUG, logger="wheelnext_pip")

    assert query(env) == LEVELS
    assert imports(marker) == 1
    (venv,) = venvs(cache)  # no temporary build directory left beside it
    stamp = venv / STAMP_FILENAME
    assert json.loads(stamp.read_text())["requires"] == ["fakeprov"]
    assert "fakeprov" not in sys.modules  # never imported into this process
    assert any(
        "installing trusted variant provider fakeprov" in m for m in messages(caplog, logging.INFO)
    )

    # Memoized: no second subprocess.
    assert query(env) == LEVELS
    assert imports(marker) == 1

    # A new process reuses the stamped environment: with the wheel gone, a reinstall would fail.
    (links / wheel.name).unlink()
    stamped = stamp.stat().st_mtime_ns
    child_env = hermetic_environ({MARKER_ENV: str(marker), "PYTHONPATH": str(REPO)})
    completed = subprocess.run(
        [sys.executable, "-c", CHILD_SCRIPT, str(cache), str(links)],
        capture_output=True,
        text=True,
        env=child_env,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout) == [["level", ["v3", "v2"]]]
    assert imports(marker) == 2
    assert venvs(cache) == [venv]
    assert stamp.stat().st_mtime_ns == stamped


def test_untrusted_provider_runs_nothing(
    find_links: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cache = tmp_path / "cache"
    marker = tmp_path / "marker"
    env = environment(find_links, cache, marker)
    assert query(env, trusted=frozenset({"other-provider"})) is None
    assert not cache.exists()
    assert imports(marker) == 0
    (warning,) = messages(caplog, logging.WARNING)
    assert "fakeprov" in warning and "trust-providers" in warning


@pytest.mark.parametrize(
    ("requires", "plugin_api", "namespace", "expected"),
    [
        (["fakeprov", "helper"], "fakeprov.plugin:Plugin", "fake", "helper not run"),
        (
            ["fakeprov @ file:///tmp/fakeprov-1.0-py3-none-any.whl"],
            "fakeprov.plugin:Plugin",
            "fake",
            "direct URL",
        ),
        (["--index-url=http://evil/"], "fakeprov.plugin:Plugin", "fake", "invalid requirement"),
        ([], "fakeprov.plugin:Plugin", "fake", "no package"),
        (["fakeprov"], "fakeprov.plugin:Plugin; import os", "fake", "invalid plugin-api"),
        (["fakeprov"], "fakeprov.plugin:Plugin", "Fake-NS", "bad name"),
    ],
)
def test_refused_requests_run_nothing(
    find_links: Path,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    requires: list[str],
    plugin_api: str,
    namespace: str,
    expected: str,
) -> None:
    cache = tmp_path / "cache"
    marker = tmp_path / "marker"
    env = environment(find_links, cache, marker)
    trusted = frozenset({"fakeprov"})
    result = query_plugin(requires, plugin_api, namespace, environment=env, trusted=trusted)
    assert result is None
    assert not cache.exists()
    (warning,) = messages(caplog, logging.WARNING)
    assert expected in warning


def test_require_hashes_runs_nothing(
    find_links: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="wheelnext_pip")
    cache = tmp_path / "cache"
    env = environment(find_links, cache, tmp_path / "marker")
    assert query(env, require_hashes=True) is None
    assert not cache.exists()
    (info,) = messages(caplog, logging.INFO)
    assert "--require-hashes" in info and "fakeprov" in info


def test_answer_trusted_plugin_only_answers_trusted_plugin_decisions(
    find_links: Path, shared_cache: Path, tmp_path: Path
) -> None:
    marker = tmp_path / "marker"
    env = environment(find_links, shared_cache, marker)
    untrusted = ProviderDecision("fake", "untrusted", requires=("fakeprov",))
    assert answer_trusted_plugin(untrusted, environment=env, trusted=TRUSTED) is None
    assert imports(marker) == 0
    decision = ProviderDecision(
        "fake", "trusted-plugin", requires=("fakeprov",), plugin_api="fakeprov.plugin:DictPlugin"
    )
    assert answer_trusted_plugin(decision, environment=env, trusted=TRUSTED) == LEVELS
    assert imports(marker) == 1


@pytest.mark.parametrize(
    "plugin_api",
    ["fakeprov.plugin:Legacy", "fakeprov.plugin:Noisy", "fakeprov.plugin:DictPlugin"],
)
def test_endpoint_shapes(
    find_links: Path, shared_cache: Path, tmp_path: Path, plugin_api: str
) -> None:
    env = environment(find_links, shared_cache, tmp_path / "marker")
    assert query(env, plugin_api) == LEVELS


def test_module_endpoint(find_links: Path, shared_cache: Path, tmp_path: Path) -> None:
    env = environment(find_links, shared_cache, tmp_path / "marker")
    expected = NamespaceProperties("fake", (SupportedFeature("level", ("v1",)),))
    assert query(env, "fakeprov.plugin") == expected


def test_invalid_features_and_values_are_dropped(
    find_links: Path, shared_cache: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    env = environment(find_links, shared_cache, tmp_path / "marker")
    assert query(env, "fakeprov.plugin:Invalid") == NamespaceProperties(
        "fake",
        (SupportedFeature("level", ("v3", "v1.5")), SupportedFeature("empty", ())),
    )
    warnings = messages(caplog, logging.WARNING)
    assert len(warnings) == 5, warnings
    assert all("\n" not in message for message in warnings)
    joined = " | ".join(warnings)
    for fragment in ("'Bad-Name'", "'V2!'", "3 of feature", "listed twice", "not a list"):
        assert fragment in joined


def test_failing_plugin_gives_one_line_warning(
    find_links: Path, shared_cache: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="wheelnext_pip")
    marker = tmp_path / "marker"
    env = environment(find_links, shared_cache, marker)
    assert query(env, "fakeprov.plugin:Failing") is None
    (warning,) = messages(caplog, logging.WARNING)
    assert "fakeprov" in warning and "RuntimeError: boom from the plugin" in warning
    assert "\n" not in warning and "Traceback" not in warning
    assert any("Traceback" in message for message in messages(caplog, logging.DEBUG))
    # Memoized like an answer: the provider is tried once per process.
    assert query(env, "fakeprov.plugin:Failing") is None
    assert imports(marker) == 1


@pytest.mark.parametrize(
    ("plugin_api", "expected"),
    [
        ("fakeprov.plugin:OtherNamespace", "provider of 'other'"),
        ("fakeprov.plugin:Missing", "AttributeError"),
        ("fakeprov.nosuchmodule:Plugin", "ModuleNotFoundError"),
    ],
)
def test_broken_endpoints(
    find_links: Path,
    shared_cache: Path,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    plugin_api: str,
    expected: str,
) -> None:
    env = environment(find_links, shared_cache, tmp_path / "marker")
    assert query(env, plugin_api) is None
    (warning,) = messages(caplog, logging.WARNING)
    assert expected in warning


def test_timeout(
    find_links: Path, shared_cache: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    env = environment(find_links, shared_cache, tmp_path / "marker", timeout=1.0)
    assert query(env) == LEVELS  # installs if needed, outside the timed query
    # The warning shows the timeout ended the query (no timing assertion: shared machines).
    assert query(env, "fakeprov.plugin:Sleeper") is None
    (warning,) = messages(caplog, logging.WARNING)
    assert "fakeprov" in warning and "no answer within 1 s" in warning


PIDS_ENV = "FAKEPROV_PIDS"
linux_only = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="processes are looked up in /proc"
)


def alive(pid: int, pids_file: Path) -> bool:
    """Whether ``pid`` runs (not a zombie) with ``pids_file`` in its environment (a recycled pid
    belongs to someone else)."""
    proc = Path("/proc", str(pid))
    try:
        state = (proc / "stat").read_text().rpartition(")")[2].split()[0]
        environ = (proc / "environ").read_bytes().split(b"\0")
    except (OSError, IndexError):
        return False
    return state != "Z" and f"{PIDS_ENV}={pids_file}".encode() in environ


@pytest.fixture
def pids_file(tmp_path: Path) -> Iterator[Path]:
    """Where the plugin records the pids it leaves behind; any survivor is killed afterwards."""
    path = tmp_path / "pids"
    yield path
    for pid in recorded(path):
        if alive(pid, path):
            os.kill(pid, signal.SIGKILL)


def recorded(path: Path) -> list[int]:
    return [int(line) for line in path.read_text().split()] if path.exists() else []


def lifetime_environment(
    find_links: Path, cache: Path, tmp_path: Path, pids_file: Path, **changes: object
) -> PluginEnvironment:
    environ = hermetic_environ({MARKER_ENV: str(tmp_path / "marker"), PIDS_ENV: str(pids_file)})
    return environment(find_links, cache, tmp_path / "marker", environ=environ, **changes)


@linux_only
def test_a_forked_child_does_not_outlive_the_query(
    find_links: Path,
    shared_cache: Path,
    tmp_path: Path,
    pids_file: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    env = lifetime_environment(find_links, shared_cache, tmp_path, pids_file)
    assert query(env, "fakeprov.plugin:Forker") == LEVELS  # the answer is used
    assert messages(caplog, logging.WARNING) == []
    (child,) = recorded(pids_file)
    assert not alive(child, pids_file)


@linux_only
def test_the_timeout_ends_a_child_in_its_own_session(
    find_links: Path,
    shared_cache: Path,
    tmp_path: Path,
    pids_file: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    env = lifetime_environment(find_links, shared_cache, tmp_path, pids_file, timeout=2.0)
    assert query(env) == LEVELS  # installs if needed, outside the timed query
    assert query(env, "fakeprov.plugin:SleeperWithChild") is None
    (warning,) = messages(caplog, logging.WARNING)
    assert "fakeprov" in warning and "no answer within 2 s" in warning
    (child,) = recorded(pids_file)
    assert not alive(child, pids_file)


@linux_only
def test_a_killed_runner_leaves_no_child_behind(
    find_links: Path,
    shared_cache: Path,
    tmp_path: Path,
    pids_file: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The plugin kills the runner's supervisor: no answer (one warning), and pip itself ends
    the child that left the process group."""
    env = lifetime_environment(find_links, shared_cache, tmp_path, pids_file)
    assert query(env, "fakeprov.plugin:Parricide") is None
    (warning,) = messages(caplog, logging.WARNING)
    assert warning == "wheelnext-pip: fake: variant provider fakeprov gave no answer; ignored"
    (child,) = recorded(pids_file)
    # A killed child may take a moment to be reaped on a loaded machine: wait, bounded.
    deadline = time.monotonic() + 30
    while alive(child, pids_file) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive(child, pids_file)


def test_a_plugin_that_exits_gives_one_warning(
    find_links: Path, shared_cache: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    env = environment(find_links, shared_cache, tmp_path / "marker")
    assert query(env, "fakeprov.plugin:Vanishing") is None
    (warning,) = messages(caplog, logging.WARNING)
    expected = "ended without an answer (exit code 3)" if os.name == "posix" else "no answer"
    assert "fakeprov" in warning and expected in warning


@linux_only
def test_processes_of_the_plugin_end_when_pip_is_killed(
    find_links: Path, shared_cache: Path, tmp_path: Path, pids_file: Path
) -> None:
    """pip killed mid-query: the runner's supervisor ends the plugin and what it started."""
    env = hermetic_environ(
        {MARKER_ENV: str(tmp_path / "marker"), PIDS_ENV: str(pids_file), "PYTHONPATH": str(REPO)}
    )
    script = CHILD_SCRIPT.replace("fakeprov.plugin:Plugin", "fakeprov.plugin:SleeperWithChild")
    links = str(find_links)
    pip = subprocess.Popen([sys.executable, "-c", script, str(shared_cache), links], env=env)
    try:
        wait_until(lambda: bool(recorded(pids_file)), pip)
        (child,) = recorded(pids_file)
        assert alive(child, pids_file)
    finally:
        pip.kill()
        pip.wait()
    wait_until(lambda: not alive(child, pids_file))


def wait_until(
    condition: Callable[[], bool], process: subprocess.Popen[bytes] | None = None
) -> None:
    """Wait for an event of another process (generous bound: only a hang fails)."""
    for _ in range(1200):
        if condition():
            return
        assert process is None or process.poll() is None, "the process ended first"
        time.sleep(0.1)
    raise AssertionError("the awaited event did not happen")


@pytest.mark.parametrize(
    ("stdout", "expected"),
    [
        (b"", "gave no answer"),
        (FRAME[:-3], "gave a truncated answer"),
        (FRAME[:10], "gave a truncated answer"),
        (FRAME.replace(b"ok", b"ko"), "not valid (checksum mismatch)"),
        (b"Traceback (most recent call last):\n", "not valid (no frame header)"),
        (FRAME + b"more", "followed by other output"),
        (encode_frame(b"[1, 2"), "not JSON"),
        (encode_frame(b"[1, 2]"), "not valid (not a JSON object)"),
        (b"x" * (_plugin_env._MAX_OUTPUT_BYTES + 1), "more than 4194304 bytes"),
    ],
)
def test_output_of_the_runner_is_used_only_when_complete_and_valid(
    stdout: bytes, expected: str
) -> None:
    outcome = _plugin_env._decode_outcome(stdout)
    assert isinstance(outcome, str) and expected in outcome
    assert _plugin_env._decode_outcome(FRAME) == {"status": "ok", "answer": []}


def test_install_failure(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    empty = tmp_path / "links"
    empty.mkdir()
    cache = tmp_path / "cache"
    marker = tmp_path / "marker"
    env = environment(empty, cache, marker)
    assert query(env) is None
    (warning,) = messages(caplog, logging.WARNING)
    assert "could not install variant provider fakeprov" in warning
    assert venvs(cache) == []  # the half-built environment is gone
    assert imports(marker) == 0


def test_without_cache_dir_the_environment_is_removed(
    find_links: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    env = environment(find_links, None, tmp_path / "marker")
    assert query(env) == LEVELS
    assert list(scratch.iterdir()) == []


def test_child_wheelnext_value_turns_variants_off() -> None:
    value = _plugin_env._child_wheelnext_value
    assert value({}) == "0"
    assert value({"WHEELNEXT_PIP": "variants"}) == "0"
    assert value({"WHEELNEXT_PIP": "variants,symlinks"}) == "symlinks"
    assert "variants" not in value({"WHEELNEXT_PIP": "1"}).split(",")
    assert value({"WHEELNEXT_PIP": "bogus"}) == "0"
    environ = _plugin_env._install_environ(
        {"_PIP_RUNNING_IN_SUBPROCESS": "1", "PIP_TARGET": "/x", "PIP_INDEX_URL": "u"}
    )
    assert environ == {"PIP_INDEX_URL": "u", "WHEELNEXT_PIP": "0", "PIP_USER": "0"}


def test_relative_cache_dir(
    find_links: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    env = environment(find_links, Path("relative-cache"), tmp_path / "marker")
    assert query(env) == LEVELS
    assert len(venvs(tmp_path / "relative-cache")) == 1


def test_publish_replaces_a_foreign_directory_and_keeps_a_concurrent_one(tmp_path: Path) -> None:
    def complete(path: Path, key: str) -> Path:
        (path / "bin").mkdir(parents=True)
        (path / "bin" / "python").write_text("")
        _plugin_env._write_stamp(path, key, ["fakeprov"])
        return path

    final = tmp_path / "key"
    final.mkdir()
    (final / "half-written").write_text("")
    building = complete(tmp_path / "key.tmp-1", "key")
    assert _plugin_env._publish(building, final, "key")
    assert _plugin_env._read_stamp(final, "key") and not building.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["key"]

    late = complete(tmp_path / "key.tmp-2", "key")
    assert _plugin_env._publish(late, final, "key")  # the first complete one stays
    assert late.exists()  # left to the caller's clean-up


def test_credentials_are_kept_out_of_the_debug_log() -> None:
    shown = _plugin_env._redact(["--index-url", "https://user:secret@host/simple", "https://t@h/x"])
    assert shown == "--index-url https://****@host/simple https://****@h/x"

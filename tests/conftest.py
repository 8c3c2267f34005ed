"""Shared fixtures: the built wheel, the pip matrix, local indexes."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar, Union

import pytest

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests._lib import pipenv  # noqa: E402
from tests._lib.builders import make_wheel  # noqa: E402
from tests._lib.index import IndexServer, write_simple_index  # noqa: E402

MATRIX = pipenv.matrix()
_Cases = TypeVar("_Cases", bound=Union[dict[str, Any], list[Any]])


def pytest_report_header(config: pytest.Config) -> list[str]:
    return ["pip matrix: " + ", ".join(entry.id for entry in MATRIX)]


def pytest_configure(config: pytest.Config) -> None:
    # Fill the download caches once, before pytest-xdist starts its workers.
    if not hasattr(config, "workerinput"):
        pipenv.cached_wheelhouse()
        for entry in MATRIX:
            pipenv.pip_wheel(entry.pip_version)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    _share_cases_between_bounds(config, items)
    # pytest-xdist hands out work in this order: the long tests outside the pip groups
    # first, while the groups fill the other worker.
    items.sort(key=lambda item: item.get_closest_marker("starts_first") is None)
    # With `-n 2 --dist loadgroup`, each worker builds the environments of its own pips only.
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and "entry" in callspec.params:
            item.add_marker(pytest.mark.xdist_group(callspec.params["entry"].id))


def share(cases: _Cases, entry: pipenv.MatrixEntry) -> _Cases:
    return pipenv.share_cases(cases, entry, _own_python(MATRIX))


def _share_cases_between_bounds(config: pytest.Config, items: list[pytest.Item]) -> None:
    """``shared_cases`` tests: each parametrized case on the bounds, and on one pip between."""
    cases: dict[str, list[tuple[int, ...]]] = {}
    for item in items:
        callspec = getattr(item, "callspec", None)
        if item.get_closest_marker("shared_cases") and callspec and "entry" in callspec.params:
            key = _case_key(callspec)
            known = cases.setdefault(item.nodeid.split("[")[0], [])
            if key not in known:
                known.append(key)
    kept, dropped = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        function = item.nodeid.split("[")[0]
        if function in cases and callspec is not None and "entry" in callspec.params:
            ordered = sorted(cases[function])
            if _case_key(callspec) not in share(ordered, callspec.params["entry"]):
                dropped.append(item)
                continue
        kept.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def _case_key(callspec: Any) -> tuple[int, ...]:
    return tuple(index for name, index in sorted(callspec.indices.items()) if name != "entry")


@pytest.fixture
def shared_cases(request: pytest.FixtureRequest) -> Callable[[_Cases], _Cases]:
    """For a test that loops over its cases: ``shared_cases(cases)`` is what this pip runs
    (see :func:`share`)."""
    entry = request.node.callspec.params["entry"]
    return lambda cases: share(cases, entry)


def _own_python(entries: list[pipenv.MatrixEntry]) -> list[pipenv.MatrixEntry]:
    """The entries on the Python that runs the tests (the edge runs left out)."""
    return [entry for entry in entries if entry.python == entries[0].python] or entries


def _bounds(entries: list[pipenv.MatrixEntry]) -> list[pipenv.MatrixEntry]:
    """The oldest and the newest pip of the matrix on this Python."""
    own = _own_python(entries)
    return list({id(entry): entry for entry in (own[0], own[-1])}.values())


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "entry" in metafunc.fixturenames:
        edges = [entry for entry in MATRIX if entry not in _own_python(MATRIX)]
        entries = _own_python(MATRIX)
        if metafunc.definition.get_closest_marker("pip_bounds") is not None:
            entries = _bounds(MATRIX)
        # What pip does with links, pages and candidates is the same on every Python; the
        # edge runs are for what the interpreter changes.
        sensitive = metafunc.definition.get_closest_marker("python_sensitive")
        if sensitive is not None:
            if sensitive.kwargs.get("oldest_only"):
                # pip reads metadata through pkg_resources before Python 3.11 only.
                oldest = min(entry.python_release for entry in MATRIX)
                edges = [entry for entry in edges if entry.python_release == oldest]
            entries = entries + edges
        metafunc.parametrize("entry", entries, ids=[entry.id for entry in entries], scope="session")


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("wheelhouse")
    pipenv.fill_wheelhouse(folder)
    return folder


@pytest.fixture(scope="session")
def project_wheel(tmp_path_factory: pytest.TempPathFactory, wheelhouse: Path) -> Path:
    wheel = pipenv.build_project_wheel(tmp_path_factory.mktemp("dist"))
    shutil.copy2(wheel, wheelhouse / wheel.name)
    return wheel


class EnvFactory:
    """Template environments, made once per (Python, pip, with or without the plugin)."""

    def __init__(self, root: Path, plugin_wheel: Path, wheelhouse: Path) -> None:
        self.root = root
        self.plugin_wheel = plugin_wheel
        self.wheelhouse = wheelhouse
        self.made: dict[tuple[str, str, bool], pipenv.PipEnv] = {}

    def get(self, entry: pipenv.MatrixEntry, *, plugin: bool) -> pipenv.PipEnv:
        key = (entry.python, entry.pip_version, plugin)
        if key not in self.made:
            name = f"{entry.id}-{'plugin' if plugin else 'stock'}"
            self.made[key] = pipenv.create_env(
                self.root / name,
                entry.python,
                entry.pip_version,
                plugin_wheel=self.plugin_wheel if plugin else None,
                wheelhouse=self.wheelhouse,
            )
        return self.made[key]


@pytest.fixture(scope="session")
def env_factory(
    tmp_path_factory: pytest.TempPathFactory, project_wheel: Path, wheelhouse: Path
) -> EnvFactory:
    return EnvFactory(tmp_path_factory.mktemp("envs"), project_wheel, wheelhouse)


@pytest.fixture(scope="session")
def plugin_env(env_factory: EnvFactory, entry: pipenv.MatrixEntry) -> pipenv.PipEnv:
    """Shared: tests must not change it (use ``.clone()``)."""
    return env_factory.get(entry, plugin=True)


@pytest.fixture(scope="session")
def stock_env(env_factory: EnvFactory, entry: pipenv.MatrixEntry) -> pipenv.PipEnv:
    return env_factory.get(entry, plugin=False)


@pytest.fixture
def fresh_plugin_env(plugin_env: pipenv.PipEnv, tmp_path: Path) -> pipenv.PipEnv:
    """A private copy of the plugin environment that the test may change."""
    return plugin_env.clone(tmp_path / "venv")


@pytest.fixture(scope="session")
def small_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IndexServer]:
    """An index with ``alpha`` (depends on ``beta``), ``beta`` and a build helper."""
    root = tmp_path_factory.mktemp("small-index")
    dists = root / "dists"
    wheels = [
        make_wheel(dists, "alpha", "1.0", requires_dist=["beta>=1"]),
        make_wheel(dists, "alpha", "2.0", requires_dist=["beta>=2"]),
        make_wheel(dists, "beta", "1.5"),
        make_wheel(dists, "beta", "2.1"),
        make_wheel(dists, "wnp-build-helper", "1.0"),
    ]
    write_simple_index(root / "www", wheels)
    with IndexServer(root / "www") as server:
        yield server

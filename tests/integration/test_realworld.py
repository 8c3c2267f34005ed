"""Large real graphs from the public index: wheelnext-pip on resolves exactly as stock pip.

Issue 13: with default extras on (every feature, as ``WHEELNEXT_PIP=1`` gives), pip used
to backtrack apache-airflow until it ran out of memory, and to walk every WTForms
release for flask-appbuilder. No package there declares ``Default-Extra``, so the result
must be stock pip's, package for package and version for version. The first run of each
set fills a pip cache folder that the second one reads, so only the first one waits on
the network. Needs the network: skipped without it, except in CI (``CI`` set), where a
missing network is a failure. ``scripts/bench_realworld.py`` measures more sets and the
costs.
"""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

import pytest

from tests._lib import pipenv
from tests._lib.realworld import REQUIREMENT_SETS, difference, resolve

#: Both sets on the newest resolver; on an older resolver (resolvelib 1.0) the set that ran
#: out of memory. ``scripts/bench_realworld.py`` runs every set on any pip.
CASES = [("26.3", "airflow"), ("26.3", "appbuilder"), ("24.0", "airflow")]


def _index_reachable() -> bool:
    from urllib.parse import urlsplit

    host = urlsplit(_default_index()).hostname or ""
    try:
        socket.create_connection((host, 443), timeout=10).close()
    except OSError:
        return False
    return True


def _default_index() -> str:
    """pip's own default index URL (this file names no host)."""
    from pip._internal.models.index import PyPI

    return str(PyPI.simple_url)


@pytest.fixture(scope="module")
def index_online() -> None:
    if not _index_reachable():
        if os.environ.get("CI"):
            pytest.fail("the public index is unreachable: CI must check real resolutions")
        pytest.skip("the public index is unreachable")


# No xdist group: each case fills and reads its own worker's cache folder, so the cases
# spread over the workers instead of queueing on one.
@pytest.mark.starts_first
@pytest.mark.parametrize(("pip_version", "name"), CASES, ids=[f"{p}-{n}" for p, n in CASES])
def test_real_graph_resolves_as_stock(
    env_factory: object,
    tmp_path_factory: pytest.TempPathFactory,
    index_online: None,
    pip_version: str,
    name: str,
) -> None:
    needed = pipenv.pip_needs_python(pip_version)
    if sys.version_info[:2] < needed:
        pytest.skip(f"pip {pip_version} needs Python {needed}")
    entry = pipenv.MatrixEntry(sys.executable, pip_version, sys.version_info[:2])
    env = env_factory.get(entry, plugin=True)  # type: ignore[attr-defined]
    cache: Path = tmp_path_factory.getbasetemp() / f"realworld-cache-{pip_version}"
    requirements = REQUIREMENT_SETS[name]
    stock = resolve(env, requirements, wheelnext=None, cache_dir=cache)
    assert stock.ok, stock.error
    ours = resolve(env, requirements, wheelnext="1", cache_dir=cache)
    assert difference(stock, ours) == "", difference(stock, ours)
    assert len(ours.packages) > 100

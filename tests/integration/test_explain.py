"""``wheelnext-pip explain`` answers the question a user asks, through real pip and a local
index: the winner first, releases newest first (a few unless ``--all``), "not found" apart
from "nothing fits", and what a bare requirement adds (PEP 771 default extras)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests._lib.builders import make_wheel
from tests._lib.index import IndexServer, write_simple_index
from tests._lib.pipenv import PipEnv

# What this checks is ours, not pip's: the oldest and the newest pip suffice.
pytestmark = [pytest.mark.pipmatrix, pytest.mark.pip_bounds]


@pytest.fixture(scope="module")
def explain_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IndexServer]:
    root = tmp_path_factory.mktemp("explain-index")
    dists = root / "dists"
    wheels = [make_wheel(dists, "many", f"1.{minor}") for minor in range(8)]
    wheels.append(
        make_wheel(
            dists,
            "withdefaults",
            "2.0",
            requires_dist=['backend; extra == "fast"'],
            extra_metadata=[("Provides-Extra", "fast"), ("Default-Extra", "fast")],
        )
    )
    # Only for a Python that does not exist: every file is there, none fits.
    wheels.append(make_wheel(dists, "misfit", "1.0", requires_python=">=3.99"))
    write_simple_index(root / "www", wheels)
    with IndexServer(root / "www") as server:
        server.dists = dists  # type: ignore[attr-defined]
        yield server


def explain(env: PipEnv, index: IndexServer, *arguments: str):
    return env.run(
        ["-m", "wheelnext_pip", "explain", *arguments, "--index-url", index.index_url],
        wheelnext="1",
    )


def test_the_winner_comes_first_and_releases_newest_first(
    plugin_env: PipEnv, explain_index: IndexServer
) -> None:
    result = explain(plugin_env, explain_index, "many")
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "explain many"
    assert lines[1].startswith("winner: many 1.7 from ")
    listed = [line.split()[1] for line in lines if line.startswith("      many ")]
    assert listed == ["1.7", "1.6", "1.5", "1.4", "1.3"]
    assert "      (and 3 older release(s); --all shows them)" in lines
    everything = explain(plugin_env, explain_index, "many", "--all")
    listed = [
        line.split()[1] for line in everything.stdout.splitlines() if line.startswith("      many ")
    ]
    assert listed == [f"1.{minor}" for minor in range(7, -1, -1)]


def test_not_found_is_not_nothing_fits(plugin_env: PipEnv, explain_index: IndexServer) -> None:
    absent = explain(plugin_env, explain_index, "nosuchproject")
    assert absent.returncode == 1
    assert absent.stdout.splitlines()[1] == (
        f"not found: no file of nosuchproject on {explain_index.index_url}"
    )
    misfit = explain(plugin_env, explain_index, "misfit")
    assert misfit.returncode == 1
    lines = misfit.stdout.splitlines()
    assert lines[1] == (
        f"nothing fits: misfit has 1 file(s) on {explain_index.index_url}, none for this "
        "machine and these options:"
    )
    assert lines[2].startswith("  misfit-1.0-py3-none-any.whl: ")
    assert "Requires-Python" in lines[2]


def test_default_extras_are_explained(plugin_env: PipEnv, explain_index: IndexServer) -> None:
    """From a local wheel's metadata; from an index, where the index serves it separately
    (PEP 658; pip 23.0 reads only the older attribute, so it says it cannot know)."""
    dists = explain_index.dists  # type: ignore[attr-defined]
    local = plugin_env.run(
        ["-m", "wheelnext_pip", "explain", "withdefaults", "--no-index", "--find-links", dists],
        wheelnext="1",
    )
    assert local.returncode == 0, local.stdout + local.stderr
    declared = (
        "default extras: withdefaults 2.0 declares [fast] (Default-Extra in "
        "withdefaults-2.0-py3-none-any.whl's metadata); `pip install withdefaults` adds them, "
        "`withdefaults[]` or naming any extra does not"
    )
    assert declared in local.stdout
    remote = explain(plugin_env, explain_index, "withdefaults")
    assert (
        declared in remote.stdout
        or (
            "default extras: not known before download (the index serves no separate metadata "
            "for withdefaults-2.0-py3-none-any.whl; pip reads it when it installs)"
        )
        in remote.stdout
    )
    plain = plugin_env.run(
        ["-m", "wheelnext_pip", "explain", "many", "--no-index", "--find-links", dists],
        wheelnext="1",
    )
    assert "default extras: none (many 1.7 declares no Default-Extra)" in plain.stdout


def test_help_explains(plugin_env: PipEnv) -> None:
    result = plugin_env.run(["-m", "wheelnext_pip", "explain", "--help"])
    assert result.returncode == 0
    assert "--all" in result.stdout

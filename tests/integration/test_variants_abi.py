"""The ``abi_dependency`` built-in provider (PEP 850), through real pip: a variant is chosen
by the version of the distribution it was built against, taken from a properties file, from
``VARIANT_ABI_DEPENDENCY``, from what the same command installs, or from what is installed
in the target environment (the running one, or pip's ``--target`` folder); ``explain`` names
where each version came from."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests._lib.builders import make_variant_release, make_wheel
from tests._lib.index import IndexServer, write_simple_index
from tests._lib.pipenv import PipEnv

pytestmark = pytest.mark.pipmatrix
#: Installed versions are read through pip's metadata backend (pkg_resources before Python
#: 3.11): those tests also take the oldest Python's edge run.
reads_the_environment = pytest.mark.python_sensitive(oldest_only=True)
#: Our own sources and texts, the same on every pip: the oldest and newest pip check them.
ours_alone = pytest.mark.pip_bounds

SCHEMA = "https://variants-schema.wheelnext.dev/peps/850/v0.2.0.json"
#: visionkit 1.0 is built against torchlike 2.8 or 2.9 (and a null build).
LABELS: dict[str, dict[str, object]] = {
    "tl28": {"abi_dependency": {"torchlike": ["2.8"]}},
    "tl29": {"abi_dependency": {"torchlike": ["2.9"]}},
    "null": {},
}


def _document(variants: dict[str, object]) -> str:
    return json.dumps(
        {
            "$schema": SCHEMA,
            "default-priorities": {"namespace": ["abi_dependency"]},
            "providers": {"abi_dependency": {"builtin": "abi_dependency"}},
            "variants": variants,
        }
    )


@pytest.fixture(scope="module")
def abi_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IndexServer]:
    root = tmp_path_factory.mktemp("abi-index")
    dists = root / "dists"
    wheels = [make_wheel(dists, "torchlike", version) for version in ("2.8.0", "2.9.0")]
    variants, metadata = make_variant_release(dists, "visionkit", "1.0", LABELS, _document)
    wheels += variants
    # combo needs torchlike and (through zz-glue) visionkit: pip's resolver pins torchlike
    # (alphabetically first of equals) before it reaches visionkit.
    wheels.append(make_wheel(dists, "combo", "1.0", requires_dist=["torchlike", "zz-glue"]))
    wheels.append(make_wheel(dists, "zz-glue", "1.0", requires_dist=["visionkit"]))
    simple = write_simple_index(root / "www", wheels, extra_files={"visionkit": [metadata]})
    with IndexServer(simple.parent) as server:
        yield server


def _pip(env: PipEnv, index: IndexServer, *args: str, **variables: str):
    return env.pip(
        "install", "--dry-run", "--index-url", index.index_url, *args,
        wheelnext="1", env=variables,
    )  # fmt: skip


def _chosen(output: str) -> str:
    return next(
        line.split("visionkit: ", 1)[1]
        for line in output.splitlines()
        if "visionkit: variant" in line
    )


@reads_the_environment
def test_the_installed_version_decides(fresh_plugin_env: PipEnv, abi_index: IndexServer) -> None:
    installed = fresh_plugin_env.pip(
        "install", "--index-url", abi_index.index_url, "torchlike==2.8.0", wheelnext="1"
    )
    assert installed.returncode == 0, installed.stderr
    result = _pip(fresh_plugin_env, abi_index, "visionkit")
    assert result.returncode == 0, result.stderr
    assert _chosen(result.stdout) == "variant tl28 chosen (abi_dependency :: torchlike :: 2.8)"
    assert "WARNING" not in result.stdout + result.stderr


@ours_alone
def test_the_override_variable_decides(plugin_env: PipEnv, abi_index: IndexServer) -> None:
    result = _pip(
        plugin_env, abi_index, "visionkit", VARIANT_ABI_DEPENDENCY="numpy==2.3.4,torchlike==2.9.1"
    )
    assert result.returncode == 0, result.stderr
    assert _chosen(result.stdout) == "variant tl29 chosen (abi_dependency :: torchlike :: 2.9)"


def test_nothing_matches_falls_back_to_null(plugin_env: PipEnv, abi_index: IndexServer) -> None:
    result = _pip(plugin_env, abi_index, "visionkit", VARIANT_ABI_DEPENDENCY="torchlike==3.0")
    assert result.returncode == 0, result.stderr
    assert _chosen(result.stdout) == "variant null chosen (no properties)"


@ours_alone
def test_a_malformed_override_is_one_line(plugin_env: PipEnv, abi_index: IndexServer) -> None:
    result = _pip(plugin_env, abi_index, "visionkit", VARIANT_ABI_DEPENDENCY="torchlike>=2.8")
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if line.strip()]
    assert errors == [
        "ERROR: wheelnext-pip: VARIANT_ABI_DEPENDENCY: 'torchlike>=2.8' is not name==version "
        "(expected name==version,name==version)"
    ]
    assert "Traceback" not in result.stdout + result.stderr


@ours_alone
def test_a_properties_file_replaces_every_other_source(
    plugin_env: PipEnv, abi_index: IndexServer, tmp_path: Path
) -> None:
    properties = tmp_path / "machine.toml"
    properties.write_text('[abi_dependency]\ntorchlike = ["2.9"]\n')
    result = _pip(
        plugin_env, abi_index, "visionkit",
        VARIANT_ABI_DEPENDENCY="torchlike==2.8.0",
        WHEELNEXT_PIP_VARIANT_PROPERTIES_FILE=str(properties),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert _chosen(result.stdout) == "variant tl29 chosen (abi_dependency :: torchlike :: 2.9)"


def test_an_exact_pin_of_the_same_command_decides(
    fresh_plugin_env: PipEnv, abi_index: IndexServer
) -> None:
    installed = fresh_plugin_env.pip(
        "install", "--index-url", abi_index.index_url, "torchlike==2.8.0", wheelnext="1"
    )
    assert installed.returncode == 0, installed.stderr
    # visionkit first: pip's resolver has not reached torchlike yet; the pin is enough.
    result = _pip(fresh_plugin_env, abi_index, "visionkit", "torchlike==2.9.0")
    assert result.returncode == 0, result.stderr
    assert _chosen(result.stdout) == "variant tl29 chosen (abi_dependency :: torchlike :: 2.9)"


def test_a_version_the_resolver_already_pinned_decides(
    plugin_env: PipEnv, abi_index: IndexServer
) -> None:
    result = _pip(plugin_env, abi_index, "combo")
    assert result.returncode == 0, result.stderr
    assert _chosen(result.stdout) == "variant tl29 chosen (abi_dependency :: torchlike :: 2.9)"
    assert "Would install combo-1.0 torchlike-2.9.0 visionkit-1.0 zz-glue-1.0" in result.stdout


def test_an_unpinned_distribution_of_the_same_command_is_one_info_line(
    plugin_env: PipEnv, abi_index: IndexServer
) -> None:
    result = _pip(plugin_env, abi_index, "torchlike", "visionkit")
    assert result.returncode == 0, result.stderr
    assert _chosen(result.stdout) == "variant null chosen (no properties)"
    notes = [line for line in result.stdout.splitlines() if "abi_dependency: torchlike" in line]
    assert notes == [
        "wheelnext-pip: abi_dependency: torchlike is judged as not installed: this command "
        "installs it too, but pip's resolver had not chosen its version yet (pin it with "
        "==VERSION to judge by that version)"
    ]


@reads_the_environment
def test_the_target_folder_is_the_environment(
    plugin_env: PipEnv, abi_index: IndexServer, tmp_path: Path
) -> None:
    target = tmp_path / "target"
    installed = plugin_env.pip(
        "install", "--index-url", abi_index.index_url, "--target", str(target),
        "torchlike==2.9.0", wheelnext="1",
    )  # fmt: skip
    assert installed.returncode == 0, installed.stderr
    result = _pip(plugin_env, abi_index, "--target", str(target), "visionkit")
    assert result.returncode == 0, result.stderr
    assert _chosen(result.stdout) == "variant tl29 chosen (abi_dependency :: torchlike :: 2.9)"
    # An explicit target still reads its folder (no hardware is involved).
    explicit = _pip(
        plugin_env, abi_index, "--target", str(target), "--platform", "linux_aarch64",
        "--only-binary=:all:", "visionkit",
    )  # fmt: skip
    assert explicit.returncode == 0, explicit.stderr
    assert _chosen(explicit.stdout) == "variant tl29 chosen (abi_dependency :: torchlike :: 2.9)"


@ours_alone
def test_explain_names_the_source_of_each_version(
    plugin_env: PipEnv, abi_index: IndexServer
) -> None:
    result = plugin_env.run(
        ["-m", "wheelnext_pip", "explain", "visionkit", "--index-url", abi_index.index_url],
        wheelnext="1",
        env={"VARIANT_ABI_DEPENDENCY": "torchlike==2.8.3"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (
        "  abi_dependency properties: built-in abi_dependency: torchlike 2.8.3 "
        "(VARIANT_ABI_DEPENDENCY)\n"
    ) in result.stdout
    assert "  1. tl28\n  2. null\n" in result.stdout
    nothing = plugin_env.run(
        ["-m", "wheelnext_pip", "explain", "visionkit", "--index-url", abi_index.index_url],
        wheelnext="1",
    )
    assert (
        "  abi_dependency properties: built-in abi_dependency: torchlike: not installed and "
        "not to be installed\n"
    ) in nothing.stdout


@reads_the_environment
def test_the_prefix_is_the_environment(
    plugin_env: PipEnv, abi_index: IndexServer, tmp_path: Path
) -> None:
    prefix = tmp_path / "prefix"
    installed = plugin_env.pip(
        "install", "--index-url", abi_index.index_url, "--prefix", str(prefix),
        "torchlike==2.9.0", wheelnext="1",
    )  # fmt: skip
    assert installed.returncode == 0, installed.stderr
    result = _pip(plugin_env, abi_index, "--prefix", str(prefix), "visionkit")
    assert result.returncode == 0, result.stderr
    assert _chosen(result.stdout) == "variant tl29 chosen (abi_dependency :: torchlike :: 2.9)"


def test_an_explicit_target_without_a_folder_reads_no_environment(
    fresh_plugin_env: PipEnv, abi_index: IndexServer, tmp_path: Path
) -> None:
    installed = fresh_plugin_env.pip(
        "install", "--index-url", abi_index.index_url, "torchlike==2.8.0", wheelnext="1"
    )
    assert installed.returncode == 0, installed.stderr
    download = (
        "download", "--no-deps", "-d", str(tmp_path / "d"), "--index-url", abi_index.index_url,
        "--platform", "linux_aarch64", "--only-binary=:all:", "visionkit",
    )  # fmt: skip
    result = fresh_plugin_env.pip(*download, wheelnext="1")
    assert result.returncode == 0, result.stderr
    assert _chosen(result.stdout) == "variant null chosen (no properties)"
    assert (
        "wheelnext-pip: abi_dependency: the running environment is not the explicit target's "
        "(--platform linux_aarch64)" in result.stdout
    )
    forced = fresh_plugin_env.pip(
        *download, wheelnext="1", env={"VARIANT_ABI_DEPENDENCY": "torchlike==2.9.0"}
    )
    assert forced.returncode == 0, forced.stderr
    assert _chosen(forced.stdout) == "variant tl29 chosen (abi_dependency :: torchlike :: 2.9)"
    assert "running environment is not" not in forced.stdout


@ours_alone
def test_doctor_names_the_sources(plugin_env: PipEnv) -> None:
    good = plugin_env.run(
        ["-m", "wheelnext_pip", "doctor"],
        wheelnext="1",
        env={"VARIANT_ABI_DEPENDENCY": "torchlike==2.9.0"},
    )
    line = next(x.strip() for x in good.stdout.splitlines() if "abi_dependency (PEP" in x)
    assert line.startswith(
        "abi_dependency (PEP 850 built-in) takes each version from: VARIANT_ABI_DEPENDENCY "
        "(torchlike 2.9.0), else the version this command installs"
    )
    assert "else installed in the target environment (--target, --prefix, else " in line
    bad = plugin_env.run(
        ["-m", "wheelnext_pip", "doctor"], wheelnext="1", env={"VARIANT_ABI_DEPENDENCY": "x"}
    )
    assert bad.returncode != 0
    assert "VARIANT_ABI_DEPENDENCY: 'x' is not name==version" in bad.stdout


def test_a_wheel_file_of_the_same_command_decides(
    plugin_env: PipEnv, abi_index: IndexServer, tmp_path: Path
) -> None:
    wheel = make_wheel(tmp_path, "torchlike", "2.9.0")
    result = _pip(plugin_env, abi_index, str(wheel), "visionkit")
    assert result.returncode == 0, result.stderr
    assert _chosen(result.stdout) == "variant tl29 chosen (abi_dependency :: torchlike :: 2.9)"

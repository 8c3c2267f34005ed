"""Variant environment markers (PEP 825) in ``Requires-Dist``, through real pip.

The machine is described by a ``variant-properties-file``. Each index is served twice: with
the wheels' core metadata files (PEP 658: pip reads dependencies without the wheel, so the
label comes from the file name and the properties from ``-variants.json``) and without (pip
reads the wheel's own ``variant.json``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests._lib.builders import make_wheel
from tests._lib.index import IndexServer, write_simple_index
from tests._lib.pipenv import PipEnv

# The metadata modes are shared out among the pips between the bounds (shared_cases).
pytestmark = [
    pytest.mark.pipmatrix,
    pytest.mark.python_sensitive(oldest_only=True),
    pytest.mark.shared_cases,
]

SCHEMA = "https://variants-schema.wheelnext.dev/peps/825/v0.1.1.json"
VARIANTS = {
    # ``foo :: bar :: qux`` is not supported here: it is left out of variant_properties.
    "foobar": {"foo": {"bar": ["baz", "qux"]}, "x86_64": {"level": ["v3"]}},
    "null": {},
}
#: What this machine supports (the label ``foobar`` is compatible).
MACHINE = '[foo]\nbar = ["baz"]\n[x86_64]\nlevel = ["v3", "v2"]\n'
#: A machine without ``foo``: ``foobar`` is not compatible, ``null`` is.
MACHINE_WITHOUT_FOO = '[x86_64]\nlevel = ["v3", "v2"]\n'

#: Requires-Dist of every ``mpkg`` wheel -> whether the dependency is installed with each
#: wheel: (variant foobar, null variant, ordinary wheel).
MARKED = {
    'dep-label; variant_label == "foobar"': (True, False, False),
    'dep-notnull; variant_label != "null"': (True, False, True),
    'dep-empty; variant_label == ""': (False, False, True),
    'dep-isnull; "null" == variant_label': (False, True, False),
    'dep-ns; "foo" in variant_namespaces': (True, False, False),
    'dep-feat; "foo::bar" in variant_features': (True, False, False),
    'dep-prop; "foo :: bar :: baz" in variant_properties': (True, False, False),
    'dep-unsup; "foo :: bar :: qux" in variant_properties': (False, False, False),
    'dep-notns; "nvidia" not in variant_namespaces': (True, True, True),
    'dep-and; "x86_64" in variant_namespaces and python_version >= "3"': (True, False, False),
    'dep-or; ("x86_64 :: level :: v3" in variant_properties and os_name == "none")'
    ' or python_version < "3"': (False, False, False),
}
DEPS = sorted(requirement.split(";")[0] for requirement in MARKED)


def _document(variants: dict[str, dict]) -> dict:
    return {
        "$schema": SCHEMA,
        "default-priorities": {"namespace": ["foo", "x86_64"]},
        "variants": variants,
    }


def _expected(column: int) -> set[str]:
    return {req.split(";")[0] for req, installed in MARKED.items() if installed[column]}


def _release(
    directory: Path, name: str, labels: list[str], *, whole_document: bool = False
) -> tuple[list[Path], Path]:
    """Variant wheels of ``labels``, the ordinary wheel, and the release's metadata; every
    wheel with the same Requires-Dist. ``whole_document``: each wheel's ``variant.json``
    lists every label (as legacy wheels do), so its file name tells which it is."""
    wheels = []
    for label in labels:
        own = {other: VARIANTS[other] for other in (labels if whole_document else [label])}
        wheels.append(
            make_wheel(
                directory, name, "1.0", requires_dist=list(MARKED),
                filename=f"{name}-1.0-py3-none-any-{label}.whl",
                extra_dist_info={"variant.json": json.dumps(_document(own))},
            )
        )  # fmt: skip
    wheels.append(make_wheel(directory, name, "1.0", requires_dist=list(MARKED)))
    metadata = directory / f"{name}-1.0-variants.json"
    metadata.write_text(json.dumps(_document({label: VARIANTS[label] for label in labels})))
    return wheels, metadata


def _files(directory: Path) -> tuple[list[Path], dict[str, list[Path]]]:
    directory.mkdir(parents=True, exist_ok=True)
    wheels = [make_wheel(directory, name, "1.0") for name in DEPS]
    mpkg, mpkg_metadata = _release(directory, "mpkg", ["foobar", "null"])
    # No null variant: on a machine without ``foo`` the ordinary wheel is chosen.
    mplain, mplain_metadata = _release(directory, "mplain", ["foobar"])
    mwhole, mwhole_metadata = _release(directory, "mwhole", ["foobar", "null"], whole_document=True)
    wheels += mpkg + mplain + mwhole
    # A project without variants that depends on mpkg and marks its own dependencies.
    wheels.append(
        make_wheel(
            directory, "top", "1.0",
            requires_dist=["mpkg", 'dep-top-empty; variant_label == ""',
                           'dep-top-never; variant_label == "foobar"'],
        )
    )  # fmt: skip
    wheels += [make_wheel(directory, name, "1.0") for name in ("dep-top-empty", "dep-top-never")]
    wheels.append(
        make_wheel(directory, "mbad", "1.0", requires_dist=['dep-label; variant_label >= "a"'])
    )
    metadata = {"mpkg": [mpkg_metadata], "mplain": [mplain_metadata], "mwhole": [mwhole_metadata]}
    return wheels, metadata


@pytest.fixture(scope="session", params=["core-metadata", "whole-wheel"])
def marker_index(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[IndexServer]:
    root = tmp_path_factory.mktemp("marker-index")
    wheels, extra = _files(root / "dists")
    write_simple_index(
        root / "www", wheels, extra_files=extra, metadata_files=request.param == "core-metadata"
    )
    with IndexServer(root / "www") as server:
        yield server


def _install(
    env: PipEnv, index: IndexServer, tmp_path: Path, *requirements: str,
    machine: str | None = MACHINE, wheelnext: str | None = "1", extra_env: dict | None = None,
) -> tuple[int, dict[str, str | None], str]:  # fmt: skip
    """Dry run with a report: (exit code, {name: variant label or None}, output)."""
    settings = dict(extra_env or {})
    if machine is not None:
        path = tmp_path / "machine.toml"
        path.write_text(machine)
        settings["WHEELNEXT_PIP_VARIANT_PROPERTIES_FILE"] = str(path)
    report_file = tmp_path / "report.json"
    report_file.unlink(missing_ok=True)
    result = env.pip(
        "install", "--dry-run", "--report", report_file, "--index-url", index.index_url,
        *requirements, wheelnext=wheelnext, env=settings,
    )  # fmt: skip
    output = result.stdout + result.stderr
    if result.returncode != 0:
        return result.returncode, {}, output
    report = json.loads(report_file.read_text())
    chosen = {
        item["metadata"]["name"]: (item.get("wheelnext") or {}).get("variant_label")
        for item in report["install"]
    }
    return 0, chosen, output


def test_variant_wheel_markers(
    plugin_env: PipEnv, marker_index: IndexServer, tmp_path: Path
) -> None:
    """Each marker kind, evaluated for the chosen variant ``foobar``."""
    code, chosen, output = _install(plugin_env, marker_index, tmp_path, "mpkg")
    assert code == 0, output
    assert chosen.pop("mpkg") == "foobar", output
    assert set(chosen) == _expected(0), output
    assert "Traceback" not in output
    # The report shows the metadata as published.
    report = json.loads((tmp_path / "report.json").read_text())
    (item,) = [item for item in report["install"] if item["metadata"]["name"] == "mpkg"]
    assert item["metadata"]["requires_dist"] == list(MARKED)


def test_variant_json_with_every_label(
    plugin_env: PipEnv, marker_index: IndexServer, tmp_path: Path
) -> None:
    """A wheel whose variant.json lists the whole release: its file name gives the label."""
    code, chosen, output = _install(plugin_env, marker_index, tmp_path, "mwhole")
    assert code == 0, output
    assert chosen.pop("mwhole") == "foobar", output
    assert set(chosen) == _expected(0), output


def test_null_variant_markers(
    plugin_env: PipEnv, marker_index: IndexServer, tmp_path: Path
) -> None:
    code, chosen, output = _install(
        plugin_env, marker_index, tmp_path, "mpkg", machine=MACHINE_WITHOUT_FOO
    )
    assert code == 0, output
    assert chosen.pop("mpkg") == "null", output
    assert set(chosen) == _expected(1), output


def test_ordinary_wheel_markers(
    plugin_env: PipEnv, marker_index: IndexServer, tmp_path: Path
) -> None:
    """The ordinary wheel of a release with variants: label "" and empty sets."""
    code, chosen, output = _install(
        plugin_env, marker_index, tmp_path, "mplain", machine=MACHINE_WITHOUT_FOO
    )
    assert code == 0, output
    assert chosen.pop("mplain") is None, output
    assert set(chosen) == _expected(2), output


def test_transitive_and_non_variant_dependent(
    plugin_env: PipEnv, marker_index: IndexServer, tmp_path: Path
) -> None:
    """``top`` (no variants) pulls in mpkg: both have their markers evaluated, each for its
    own wheel."""
    code, chosen, output = _install(plugin_env, marker_index, tmp_path, "top")
    assert code == 0, output
    assert chosen.pop("top") is None
    assert chosen.pop("mpkg") == "foobar", output
    assert set(chosen) == _expected(0) | {"dep-top-empty"}, output


def test_pkg_resources_backend(
    plugin_env: PipEnv, marker_index: IndexServer, tmp_path: Path
) -> None:
    """pip's other metadata backend (the default before Python 3.11)."""
    code, chosen, output = _install(
        plugin_env, marker_index, tmp_path, "top",
        extra_env={"_PIP_USE_IMPORTLIB_METADATA": "0"},
    )  # fmt: skip
    if code != 0 and "pkg_resources" in output and "cannot be used" in output:
        pytest.skip("this pip has no pkg_resources backend on this Python")
    assert code == 0, output
    assert chosen.pop("top") is None
    assert chosen.pop("mpkg") == "foobar", output
    assert set(chosen) == _expected(0) | {"dep-top-empty"}, output


def test_malformed_marker_is_one_error(
    plugin_env: PipEnv, marker_index: IndexServer, tmp_path: Path
) -> None:
    code, _, output = _install(plugin_env, marker_index, tmp_path, "mbad")
    assert code != 0
    assert "Traceback" not in output
    errors = [line for line in output.splitlines() if line.startswith("ERROR:")]
    assert len(errors) == 1, output
    assert "variant_label" in errors[0] and "mbad" in errors[0], output


def test_feature_off_is_stock_pip(
    plugin_env: PipEnv, stock_env: PipEnv, marker_index: IndexServer, tmp_path: Path
) -> None:
    """Off, pip does whatever stock pip does with these markers."""
    for requirement in ("mpkg", "top"):
        off = _install(
            plugin_env, marker_index, tmp_path, requirement, machine=None, wheelnext=None
        )
        stock = _install(
            stock_env, marker_index, tmp_path, requirement, machine=None, wheelnext=None
        )
        assert off[:2] == stock[:2], (off[2], stock[2])
        assert _error_lines(off[2]) == _error_lines(stock[2])


def _error_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("ERROR:")]


def test_legacy_resolver(plugin_env: PipEnv, marker_index: IndexServer, tmp_path: Path) -> None:
    code, chosen, output = _install(
        plugin_env, marker_index, tmp_path, "--use-deprecated=legacy-resolver", "top"
    )
    assert code == 0, output
    assert chosen.pop("top") is None
    assert chosen.pop("mpkg") == "foobar", output
    assert set(chosen) == _expected(0) | {"dep-top-empty"}, output


def test_installed_projects(
    fresh_plugin_env: PipEnv, marker_index: IndexServer, tmp_path: Path
) -> None:
    """Installed, the dist-info's variant.json gives the environment: ``pip check`` and a
    second install read the installed projects' markers."""
    path = tmp_path / "machine.toml"
    path.write_text(MACHINE)
    settings = {"WHEELNEXT_PIP_VARIANT_PROPERTIES_FILE": str(path)}
    install = ("install", "--index-url", marker_index.index_url, "top")
    result = fresh_plugin_env.pip(*install, wheelnext="1", env=settings)
    assert result.returncode == 0, result.stdout + result.stderr
    installed = {
        entry.name.split("-")[0].replace("_", "-")
        for entry in fresh_plugin_env.site_packages.glob("*.dist-info")
    }
    assert _expected(0) | {"dep-top-empty", "mpkg", "top"} <= installed
    assert not {"dep-empty", "dep-unsup", "dep-top-never"} & installed
    check = fresh_plugin_env.pip("check", wheelnext="1", env=settings)
    assert check.returncode == 0, check.stdout + check.stderr
    again = fresh_plugin_env.pip(*install, wheelnext="1", env=settings)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "Requirement already satisfied: mpkg" in again.stdout


def test_doctor_lists_the_marker_set(plugin_env: PipEnv) -> None:
    result = plugin_env.run(["-m", "wheelnext_pip", "doctor", "--json"], wheelnext="1")
    assert result.returncode == 0, result.stdout + result.stderr
    sets = {entry["name"]: entry for entry in json.loads(result.stdout)["patch_sets"]}
    entry = sets["variant-markers"]
    assert entry["kind"] == "feature" and entry["active"], entry
    applied = {point["key"] for point in entry["points"] if point["state"] == "applied"}
    assert any(key.endswith("Distribution.iter_dependencies") for key in applied), entry

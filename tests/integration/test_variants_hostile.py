"""Hostile and broken variant inputs through real pip, on every pip of the matrix.

Issue 17: a release whose metadata cannot be judged loses its variant wheels (one warning
naming the file) and nothing else changes: other projects are still judged, no unjudged
variant is ever installed. A file named like a variant wheel that is no wheel gets pip's
own one-line "invalid wheel" error.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests._lib.builders import make_wheel
from tests._lib.index import IndexServer, write_simple_index
from tests._lib.pipenv import PipEnv
from tests.integration.test_variants import (
    LEGACY_DATA,
    PROVIDERS,
    VPKG_VARIANTS,
    document,
    variant_wheel,
)

pytestmark = pytest.mark.pipmatrix

#: A marker that parses but cannot be evaluated: ``~=`` needs two release components.
BAD_MARKER = "python_version ~= '1'"
#: The machine, for x86_64 only: the namespaces with a bad marker are left to providers,
#: so their markers are evaluated (a properties file would replace them unread).
MACHINE = '[x86_64]\nlevel = ["v3", "v2"]\n'


@pytest.fixture(scope="session")
def hostile_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Path]]:
    d = tmp_path_factory.mktemp("hostile-variant-dists")
    wheels = [
        # Its one variant needs the untrusted "plug" provider: never to be installed.
        variant_wheel(d, "vmark", "1.0", "plugged", VPKG_VARIANTS),
        make_wheel(d, "vmark", "1.0"),
        variant_wheel(d, "vgood", "1.0", "x8664v3", VPKG_VARIANTS),
        variant_wheel(d, "vgood", "1.0", "x8664v2", VPKG_VARIANTS),
        make_wheel(d, "vgood", "1.0"),
    ]
    providers = json.loads(json.dumps(PROVIDERS))
    providers["plug"]["requires"] = [f"evil-provider>=1; {BAD_MARKER}"]
    mark_file = d / "vmark-1.0-variants.json"
    mark_file.write_text(json.dumps(document(VPKG_VARIANTS, providers)))
    good_file = d / "vgood-1.0-variants.json"
    good_file.write_text(json.dumps(document(VPKG_VARIANTS)))
    # The published legacy (v0.0.3) document with an enable-if that cannot be evaluated.
    legacy = json.loads((LEGACY_DATA / "torch-2.9.0-variants.json").read_text())
    legacy["providers"]["nvidia"]["enable-if"] = BAD_MARKER
    legacy_file = d / "vlegacy-2.9.0-variants.json"
    legacy_file.write_text(json.dumps(legacy))
    for label in ("cuda12.8", "null"):
        wheels.append(
            make_wheel(
                d, "vlegacy", "2.9.0", filename=f"vlegacy-2.9.0-py3-none-any-{label}.whl",
                extra_dist_info={"variant.json": json.dumps(legacy)},
            )
        )  # fmt: skip
    wheels.append(make_wheel(d, "vlegacy", "2.9.0"))
    # Like vgood: its judgment fails with an internal error where the test injects one.
    wheels += [
        variant_wheel(d, "vfault", "1.0", "x8664v3", VPKG_VARIANTS),
        variant_wheel(d, "vfault", "1.0", "x8664v2", VPKG_VARIANTS),
        make_wheel(d, "vfault", "1.0"),
    ]
    fault_file = d / "vfault-1.0-variants.json"
    fault_file.write_text(json.dumps(document(VPKG_VARIANTS)))
    # Hostile text: a 10,000-entry requires list and a marker nested 3,000 deep.
    hostile_documents = {
        "vhuge": [f"evil-provider-{n} >=1 @@@" for n in range(10_000)],
        "vdeep": ["evil-provider>=1; " + "(" * 3000 + "python_version > '1'" + ")" * 3000],
    }
    hostile_files = {}
    for name, requires in hostile_documents.items():
        wheels.append(variant_wheel(d, name, "1.0", "plugged", VPKG_VARIANTS))
        wheels.append(make_wheel(d, name, "1.0"))
        hostile = json.loads(json.dumps(PROVIDERS))
        hostile["plug"]["requires"] = requires
        path = d / f"{name}-1.0-variants.json"
        path.write_text(json.dumps(document(VPKG_VARIANTS, hostile)))
        hostile_files[name] = [path]
    return {
        **hostile_files,
        "wheels": wheels,
        "vmark": [mark_file],
        "vgood": [good_file],
        "vlegacy": [legacy_file],
        "vfault": [fault_file],
    }


@pytest.fixture(scope="session")
def hostile_index(
    tmp_path_factory: pytest.TempPathFactory, hostile_files: dict[str, list[Path]]
) -> Iterator[IndexServer]:
    root = tmp_path_factory.mktemp("hostile-variant-index")
    extra = {name: paths for name, paths in hostile_files.items() if name != "wheels"}
    write_simple_index(root / "www", hostile_files["wheels"], extra_files=extra)
    junk = root / "www" / "files"
    (junk / "vjunk-1.0-py3-none-any-x8664v3.whl").write_bytes(b"this is not a zip file\n")
    (junk / "vempty-1.0-py3-none-any-x8664v3.whl").write_bytes(b"")
    with IndexServer(root / "www") as server:
        yield server


def _chosen_files(report: dict) -> dict[str, str]:
    return {
        item["metadata"]["name"]: item["download_info"]["url"].rsplit("/", 1)[-1]
        for item in report["install"]
    }


@pytest.mark.parametrize("source", ["index", "find-links"])
def test_a_release_that_cannot_be_judged_loses_only_its_variant_wheels(
    plugin_env: PipEnv,
    hostile_index: IndexServer,
    hostile_files: dict[str, list[Path]],
    tmp_path: Path,
    source: str,
) -> None:
    """Item 1: a provider requirement marker and a legacy enable-if that parse but cannot
    be evaluated. Their releases fall back to the plain wheel with one warning each; vgood,
    in the same command, still gets its best variant."""
    machine = tmp_path / "machine.toml"
    machine.write_text(MACHINE)
    if source == "index":
        where = ["--index-url", hostile_index.index_url]
    else:
        folder = tmp_path / "links"
        folder.mkdir()
        for paths in hostile_files.values():
            for path in paths:
                (folder / path.name).write_bytes(path.read_bytes())
        where = ["--no-index", "--find-links", str(folder)]
    result = plugin_env.pip(
        "install", "--dry-run", "--report", "-", "--quiet", *where, "vmark", "vlegacy", "vgood",
        wheelnext="variants",
        env={"WHEELNEXT_PIP_VARIANT_PROPERTIES_FILE": str(machine)},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert _chosen_files(json.loads(result.stdout)) == {
        "vmark": "vmark-1.0-py3-none-any.whl",
        "vlegacy": "vlegacy-2.9.0-py3-none-any.whl",
        "vgood": "vgood-1.0-py3-none-any-x8664v3.whl",
    }
    for name in ("vmark-1.0-variants.json", "vlegacy-2.9.0-variants.json"):
        (line,) = [line for line in result.stderr.splitlines() if name in line]
        assert "cannot be evaluated" in line and "its variant wheels are skipped" in line
    assert "internal error" not in result.stderr
    assert "Traceback" not in result.stderr


#: Put on PYTHONPATH: an internal error (a bug of ours, not of the input) whenever the
#: judgment of vfault's release is asked for, wherever pip's run asks.
FAULTY_JUDGMENT = (
    "from wheelnext_pip.variants import judgment\n"
    "_ranking = judgment.Judgment.ranking\n"
    "def _faulty(self, key):\n"
    "    if key.project == 'vfault':\n"
    "        raise RuntimeError('injected fault')\n"
    "    return _ranking(self, key)\n"
    "judgment.Judgment.ranking = _faulty\n"
)


@pytest.mark.parametrize("resolver", ["resolvelib", "legacy"])
def test_an_internal_error_judging_a_release_skips_only_its_variant_wheels(
    plugin_env: PipEnv, hostile_index: IndexServer, tmp_path: Path, resolver: str
) -> None:
    """An internal error while judging one release: that release's variant wheels are left
    out (its plain wheel is taken), one warning says so, and the feature stays on for the
    rest of the run (vgood, after it, still gets its best variant). The resolver reaches the
    release through ``_make_candidate_from_link``; the legacy resolver judges every file at
    once in ``get_applicable_candidates``."""
    machine = tmp_path / "machine.toml"
    machine.write_text(MACHINE)
    faulty = tmp_path / "faulty-judgment"
    faulty.mkdir()
    (faulty / "sitecustomize.py").write_text(FAULTY_JUDGMENT)
    legacy = ["--use-deprecated=legacy-resolver"] if resolver == "legacy" else []
    result = plugin_env.pip(
        "install", "--dry-run", "--report", "-", "--quiet", *legacy,
        "--index-url", hostile_index.index_url, "vfault", "vgood",
        wheelnext="variants",
        env={"WHEELNEXT_PIP_VARIANT_PROPERTIES_FILE": str(machine), "PYTHONPATH": str(faulty)},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert _chosen_files(json.loads(result.stdout)) == {
        "vfault": "vfault-1.0-py3-none-any.whl",
        "vgood": "vgood-1.0-py3-none-any-x8664v3.whl",
    }
    faults = [line for line in result.stderr.splitlines() if "internal error" in line]
    assert len(faults) == 1, result.stderr
    assert "internal error while" in faults[0] and "vfault" in faults[0]
    assert "RuntimeError: injected fault" in faults[0] and "skipped" in faults[0]
    assert "Traceback" not in result.stderr


FAULTY_CHECK = (
    "from wheelnext_pip.variants import metadata\n"
    "def _faulty(*args, **kwargs):\n"
    "    raise RuntimeError('injected fault')\n"
    "metadata.check_wheel_variant_json = _faulty\n"
)


def test_an_internal_error_checking_a_named_variant_wheel_refuses_it(
    plugin_env: PipEnv, hostile_files: dict[str, list[Path]], tmp_path: Path
) -> None:
    """A variant wheel named directly that could not be checked against this machine (an
    internal error) is refused, never installed unchecked: one warning, one error line."""
    machine = tmp_path / "machine.toml"
    machine.write_text(MACHINE)
    (wheel,) = [
        w for w in hostile_files["wheels"] if w.name.endswith("vfault-1.0-py3-none-any-x8664v3.whl")
    ]
    settings = {"WHEELNEXT_PIP_VARIANT_PROPERTIES_FILE": str(machine)}
    command = ("install", "--dry-run", "--no-index", str(wheel))
    fits = plugin_env.pip(*command, wheelnext="variants", env=settings)
    assert fits.returncode == 0, fits.stderr
    faulty = tmp_path / "faulty-check"
    faulty.mkdir()
    (faulty / "sitecustomize.py").write_text(FAULTY_CHECK)
    result = plugin_env.pip(
        *command, wheelnext="variants", env={**settings, "PYTHONPATH": str(faulty)}
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    (warning,) = [line for line in result.stderr.splitlines() if "internal error" in line]
    assert "RuntimeError: injected fault" in warning
    (error,) = [line for line in result.stderr.splitlines() if line.startswith("ERROR:")]
    assert wheel.name in error and "could not be checked against this machine" in error
    assert "Would install" not in result.stdout


@pytest.mark.shared_cases
@pytest.mark.parametrize("name", ["vjunk", "vempty"])
@pytest.mark.parametrize("how", ["path", "url"])
def test_a_variant_named_file_that_is_no_wheel_gets_pips_invalid_wheel_error(
    plugin_env: PipEnv, hostile_index: IndexServer, tmp_path: Path, name: str, how: str
) -> None:
    """Item 4: not a zip, or empty, by path or by URL: one error line, no traceback."""
    filename = f"{name}-1.0-py3-none-any-x8664v3.whl"
    url = f"{hostile_index.url}/files/{filename}"
    if how == "path":
        target = tmp_path / filename
        source = hostile_index.root / "files" / filename
        target.write_bytes(source.read_bytes())
        requirement = str(target)
    else:
        requirement = url
    result = plugin_env.pip("install", "--dry-run", "--no-index", requirement, wheelnext="1")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("ERROR:")]
    assert len(errors) == 1, result.stderr
    assert "invalid" in errors[0].lower() or "not a valid wheel" in errors[0], errors


def test_hostile_metadata_text_is_cut_to_a_readable_length(
    plugin_env: PipEnv, hostile_index: IndexServer, tmp_path: Path
) -> None:
    """Item 7: warnings that quote metadata stay short; the plain wheels are taken."""
    machine = tmp_path / "machine.toml"
    machine.write_text(MACHINE)
    result = plugin_env.pip(
        "install", "--dry-run", "--report", "-", "--quiet", "--index-url",
        hostile_index.index_url, "vhuge", "vdeep",
        wheelnext="variants",
        env={"WHEELNEXT_PIP_VARIANT_PROPERTIES_FILE": str(machine)},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[:2000]
    assert _chosen_files(json.loads(result.stdout)) == {
        "vhuge": "vhuge-1.0-py3-none-any.whl",
        "vdeep": "vdeep-1.0-py3-none-any.whl",
    }
    warnings = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(warnings) == 2, result.stderr[:2000]
    assert all(len(line) < 600 for line in warnings), [len(line) for line in warnings]
    assert "Traceback" not in result.stderr

"""Wheel variants in PEP 751 lock files, through real pip (issue 15 item 5, PEP 825 "Lock
files"): ``pip lock`` (pip 25.1+) lists every variant wheel of a locked release with its
metadata inlined as ``[packages.variants-json]``; ``pip install -r pylock.toml`` (pip 26.2+)
picks the variant this machine supports without asking any index.

The machines are told apart by the NVIDIA force variables (no GPU is needed).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests._lib.builders import make_wheel
from tests._lib.index import IndexServer, write_simple_index
from tests._lib.pipenv import PipEnv

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python < 3.11
    import tomli as tomllib

pytestmark = pytest.mark.pipmatrix

SCHEMA = "https://variants-schema.wheelnext.dev/peps/850/v0.2.0.json"
PROVIDERS = {
    "nvidia": {
        "requires": ["nvidia-variant-provider>=0.0.1,<1"],
        "plugin-api": "nvidia_variant_provider.plugin:NvidiaVariantPlugin",
    },
    "x86_64": {"requires": ["x86-64-variant-provider>=0.2.1,<1"]},
}
LABELS = {
    "cu13": {"nvidia": {"cuda_version_lower_bound": ["13.0"]}},
    "cu12": {"nvidia": {"cuda_version_lower_bound": ["12.0"]}},
    "x8664v3": {"x86_64": {"level": ["v3"]}},
    "null": {},
}
#: The machine that makes the lock, and two that install from it.
CUDA13 = {"NV_VARIANT_PROVIDER_FORCE_CUDA_DRIVER_VERSION": "13.0"}
CUDA12 = {"NV_VARIANT_PROVIDER_FORCE_CUDA_DRIVER_VERSION": "12.8"}
LEGACY = (
    Path(__file__).resolve().parents[1] / "unit" / "data" / "variants" / "torch-2.9.0-variants.json"
)
LEGACY_LABELS = ("cuda12.6", "cuda13.0", "null")
#: A dependency of the CUDA 13 variant only (PEP 825 variant marker).
CUDA13_MARKER = '"nvidia :: cuda_version_lower_bound :: 13.0" in variant_properties'
#: Nothing listens there: any index request fails.
NO_INDEX = "http://127.0.0.1:9/simple/"


def document(variants: dict[str, object]) -> dict[str, object]:
    return {
        "$schema": SCHEMA,
        "default-priorities": {"namespace": ["nvidia", "x86_64"]},
        "providers": PROVIDERS,
        "variants": variants,
    }


def pip_release(env: PipEnv) -> tuple[int, int]:
    major, minor = env.pip_version.split(".")[:2]
    return int(major), int(minor)


def needs_lock(env: PipEnv) -> None:
    if pip_release(env) < (25, 1):
        pytest.skip("pip lock is new in pip 25.1")


def needs_lock_install(env: PipEnv) -> None:
    if pip_release(env) < (26, 2):
        pytest.skip("installing from pylock.toml is new in pip 26.2")


@pytest.fixture(scope="module")
def lock_dists(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """gpukit 1.0: four variant wheels, one the metadata does not list, a plain wheel;
    its dependencies plainkit 1.0 and, for a variant with CUDA 13 properties, cudakit 1.0."""
    d = tmp_path_factory.mktemp("lock-dists")
    requires = ["plainkit", f"cudakit; {CUDA13_MARKER}"]
    for label in [*LABELS, "ghost"]:
        own = document({label: LABELS[label]} if label in LABELS else {})
        make_wheel(
            d, "gpukit", "1.0", filename=f"gpukit-1.0-py3-none-any-{label}.whl",
            requires_dist=requires, extra_dist_info={"variant.json": json.dumps(own)},
        )  # fmt: skip
    make_wheel(d, "gpukit", "1.0", requires_dist=["plainkit"])  # stock pip can read it
    make_wheel(d, "plainkit", "1.0")
    make_wheel(d, "cudakit", "1.0")
    (d / "gpukit-1.0-variants.json").write_text(json.dumps(document(LABELS)))
    # legacy v0.0.3 metadata as published (torch 2.9.0's file, for a stand-in project)
    for label in LEGACY_LABELS:
        make_wheel(
            d, "torchish", "2.9.0", filename=f"torchish-2.9.0-py3-none-any-{label}.whl",
            extra_dist_info={"variant.json": LEGACY.read_text()},
        )  # fmt: skip
    shutil.copyfile(LEGACY, d / "torchish-2.9.0-variants.json")
    return d


@pytest.fixture(scope="module")
def lock_index(tmp_path_factory: pytest.TempPathFactory, lock_dists: Path) -> Iterator[IndexServer]:
    """The same files on an HTTP index, plus a yanked gpukit cu11 wheel (PEP 592) that the
    index's metadata lists."""
    root = tmp_path_factory.mktemp("lock-index")
    extra = root / "extra"
    cu11 = {"cu11": {"nvidia": {"cuda_version_lower_bound": ["11.0"]}}}
    yanked = make_wheel(
        extra, "gpukit", "1.0", filename="gpukit-1.0-py3-none-any-cu11.whl",
        extra_dist_info={"variant.json": json.dumps(document(cu11))},
    )  # fmt: skip
    (extra / "gpukit-1.0-variants.json").write_text(json.dumps(document({**LABELS, **cu11})))
    metadata = {
        "gpukit": [extra / "gpukit-1.0-variants.json"],
        "torchish": [lock_dists / "torchish-2.9.0-variants.json"],
    }
    wheels = [*sorted(lock_dists.glob("*.whl")), yanked]
    write_simple_index(
        root / "www", wheels, extra_files=metadata, yanked={yanked.name: "broken build"}
    )
    with IndexServer(root / "www") as server:
        yield server


def lock(
    env: PipEnv,
    out: Path,
    *where: str,
    wheelnext: str | None = "1",
    machine: dict | None = None,
    project: str = "gpukit",
) -> str:
    """``pip lock PROJECT`` on a machine (CUDA 13 unless told); returns the lock's text."""
    out.parent.mkdir(parents=True, exist_ok=True)
    result = env.pip("lock", "-o", out, *where, project, wheelnext=wheelnext, env=machine or CUDA13)
    assert result.returncode == 0, result.stdout + result.stderr
    return out.read_text()


def install(env: PipEnv, pylock: Path, target: Path, machine: dict, *, wheelnext: str | None = "1"):
    return env.pip(
        "install", "--target", target, "--index-url", NO_INDEX, "-r", pylock,
        wheelnext=wheelnext, env=machine,
    )  # fmt: skip


def installed_label(target: Path) -> str | None:
    (dist_info,) = target.glob("gpukit-1.0.dist-info")
    variant_json = dist_info / "variant.json"
    if not variant_json.exists():
        return None
    (label,) = json.loads(variant_json.read_text())["variants"]
    return str(label)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_lock_lists_every_variant_and_inlines_the_metadata(
    plugin_env: PipEnv, lock_index: IndexServer, lock_dists: Path, tmp_path: Path
) -> None:
    """Every variant wheel the metadata lists and the plain wheel, each with the index's
    sha256; the metadata inlined with its $schema, less the label whose only wheel is
    yanked; the wheel the metadata does not list left out; the dependency without variants
    as pip writes it."""
    needs_lock(plugin_env)
    text = lock(plugin_env, tmp_path / "pylock.toml", "--index-url", lock_index.index_url)
    data = tomllib.loads(text)
    (gpukit,) = [p for p in data["packages"] if p["name"] == "gpukit"]
    names = [wheel["name"] for wheel in gpukit["wheels"]]
    labels = [f"-{label}" for label in LABELS]
    assert names == sorted(f"gpukit-1.0-py3-none-any{label}.whl" for label in [*labels, ""])
    for wheel in gpukit["wheels"]:
        assert set(wheel) == {"name", "url", "hashes"}, wheel
        assert wheel["url"] == f"{lock_index.url}/files/{wheel['name']}"
        assert wheel["hashes"] == {"sha256": sha256(lock_dists / wheel["name"])}
    assert gpukit["variants-json"] == document(LABELS)
    assert '"$schema" = "https://variants-schema' in text
    (plainkit,) = [p for p in data["packages"] if p["name"] == "plainkit"]
    assert "variants-json" not in plainkit and len(plainkit["wheels"]) == 1


def test_a_lock_without_variants_is_stock_pip_s(
    plugin_env: PipEnv, stock_env: PipEnv, lock_index: IndexServer, tmp_path: Path
) -> None:
    """Byte for byte: the feature off, or a release without variant wheels."""
    needs_lock(plugin_env)
    index = ("--index-url", lock_index.index_url)
    stock = lock(stock_env, tmp_path / "stock" / "pylock.toml", *index, wheelnext=None)
    off = lock(plugin_env, tmp_path / "off" / "pylock.toml", *index, wheelnext=None)
    assert off == stock
    assert "variants-json" not in stock and "-cu1" not in stock
    plain = [
        lock(env, tmp_path / name / "pylock.toml", *index, wheelnext=wheelnext, project="plainkit")
        for name, env, wheelnext in (("a", stock_env, None), ("b", plugin_env, "1"))
    ]
    assert plain[0] == plain[1]


def test_a_lock_made_on_one_machine_installs_the_right_variant_on_others(
    plugin_env: PipEnv, lock_dists: Path, tmp_path: Path
) -> None:
    """Locked from a --find-links folder (file URLs, no index hashes: each wheel is hashed),
    installed with no index reachable: CUDA 13 takes cu13, CUDA 12.8 takes cu12, a machine
    without GPU and with an empty CPU description takes null; each wheel's own variant.json
    is what the lock said."""
    needs_lock_install(plugin_env)
    pylock = tmp_path / "pylock.toml"
    text = lock(plugin_env, pylock, "--no-index", "--find-links", str(lock_dists))
    data = tomllib.loads(text)
    (gpukit,) = [p for p in data["packages"] if p["name"] == "gpukit"]
    assert len(gpukit["wheels"]) == 5
    for wheel in gpukit["wheels"]:
        assert wheel["hashes"] == {"sha256": sha256(lock_dists / wheel["name"])}
    no_cpu = tmp_path / "cpu.toml"
    no_cpu.write_text("[x86_64]\n")
    for machine, expected in (
        (CUDA13, "cu13"),
        (CUDA12, "cu12"),
        ({"WHEELNEXT_PIP_VARIANT_PROPERTIES_FILE": str(no_cpu)}, "null"),
    ):
        target = tmp_path / f"target-{expected}"
        result = install(plugin_env, pylock, target, machine)
        output = result.stdout + result.stderr
        assert result.returncode == 0, output
        assert installed_label(target) == expected, output
        assert (target / "plainkit").exists() or list(target.glob("plainkit-1.0.dist-info"))
        # the index was never asked (pip names it once, then has no need of it)
        assert "127.0.0.1:9" not in output.replace(f"Looking in indexes: {NO_INDEX}", "")


def test_installing_from_a_lock_asks_no_index(
    plugin_env: PipEnv, lock_index: IndexServer, tmp_path: Path
) -> None:
    """Locked from an HTTP index; installing downloads the chosen wheel and nothing else."""
    needs_lock_install(plugin_env)
    pylock = tmp_path / "pylock.toml"
    lock(plugin_env, pylock, "--index-url", lock_index.index_url)
    lock_index.clear_requests()
    target = tmp_path / "target"
    result = install(plugin_env, pylock, target, CUDA12)
    assert result.returncode == 0, result.stdout + result.stderr
    assert installed_label(target) == "cu12"
    assert sorted(lock_index.requested_paths()) == [
        "/files/cudakit-1.0-py3-none-any.whl",  # pip installs what the lock lists
        "/files/gpukit-1.0-py3-none-any-cu12.whl",
        "/files/plainkit-1.0-py3-none-any.whl",
    ]


def test_variant_markers_are_evaluated_for_the_locked_variant(
    plugin_env: PipEnv, lock_index: IndexServer, tmp_path: Path
) -> None:
    """The lock holds the dependencies of the variant chosen where it is made: cudakit on
    the CUDA 13 machine only."""
    needs_lock(plugin_env)
    index = ("--index-url", lock_index.index_url)
    cuda13 = tomllib.loads(lock(plugin_env, tmp_path / "a" / "pylock.toml", *index))
    cuda12 = tomllib.loads(lock(plugin_env, tmp_path / "b" / "pylock.toml", *index, machine=CUDA12))
    assert [p["name"] for p in cuda13["packages"]] == ["cudakit", "gpukit", "plainkit"]
    assert [p["name"] for p in cuda12["packages"]] == ["gpukit", "plainkit"]
    assert cuda13["packages"][1]["wheels"] == cuda12["packages"][0]["wheels"]


def locked_text(plugin_env: PipEnv, lock_dists: Path, tmp_path: Path) -> tuple[Path, str]:
    pylock = tmp_path / "pylock.toml"
    return pylock, lock(plugin_env, pylock, "--no-index", "--find-links", str(lock_dists))


@pytest.mark.parametrize(
    "damage",
    [
        (SCHEMA, SCHEMA.replace("v0.2.0", "v9.0.0")),
        ("variants-json.variants.cu12.nvidia]", "variants-json.variants.cu12.NV]"),
    ],
    ids=["unknown-major", "bad-namespace"],
)
def test_a_malformed_variants_table_is_one_line_and_nothing_is_installed(
    plugin_env: PipEnv, lock_dists: Path, tmp_path: Path, damage: tuple[str, str]
) -> None:
    needs_lock_install(plugin_env)
    pylock, text = locked_text(plugin_env, lock_dists, tmp_path)
    old, new = damage
    assert text.count(old) == 1
    pylock.write_text(text.replace(old, new))
    target = tmp_path / "target"
    result = install(plugin_env, pylock, target, CUDA12)
    assert result.returncode == 1, result.stdout + result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("ERROR:")]
    assert len(errors) == 1, result.stderr
    where = f"{pylock}: gpukit 1.0 [packages.variants-json]: "
    assert errors[0].startswith(f"ERROR: wheelnext-pip: {where}"), errors
    assert "Traceback" not in result.stderr
    assert not target.exists() or not any(target.iterdir())


def test_variant_wheels_without_their_table_are_skipped(
    plugin_env: PipEnv, lock_dists: Path, tmp_path: Path
) -> None:
    """A lock whose variant wheels lost their [packages.variants-json]: one warning, and
    the ordinary wheel it lists is installed."""
    needs_lock_install(plugin_env)
    pylock, text = locked_text(plugin_env, lock_dists, tmp_path)
    kept, skipping = [], False
    for line in text.splitlines():
        if line.startswith("[packages.variants-json"):
            skipping = True
        elif line.startswith("[[packages]]"):
            skipping = False
        if not skipping:
            kept.append(line)
    pylock.write_text("\n".join(kept) + "\n")
    target = tmp_path / "target"
    result = install(plugin_env, pylock, target, CUDA12)
    assert result.returncode == 0, result.stdout + result.stderr
    assert installed_label(target) is None
    warning = f"{pylock}: gpukit 1.0: variant wheels are listed without [packages.variants-json]"
    assert result.stderr.count(warning) == 1, result.stderr


def test_a_tampered_hash_is_pip_s_hash_error(
    plugin_env: PipEnv, lock_dists: Path, tmp_path: Path
) -> None:
    needs_lock_install(plugin_env)
    pylock, text = locked_text(plugin_env, lock_dists, tmp_path)
    good = sha256(lock_dists / "gpukit-1.0-py3-none-any-cu12.whl")
    assert good in text
    pylock.write_text(text.replace(good, "0" * 64))
    target = tmp_path / "target"
    result = install(plugin_env, pylock, target, CUDA12)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "THESE PACKAGES DO NOT MATCH THE HASHES" in result.stderr
    assert "Traceback" not in result.stderr
    assert not target.exists() or not any(target.iterdir())


def test_stock_pip_refuses_a_lock_with_variant_wheels(
    plugin_env: PipEnv, stock_env: PipEnv, lock_dists: Path, tmp_path: Path
) -> None:
    """What the README says of stock pip: the variant file names make the lock invalid."""
    needs_lock_install(plugin_env)
    pylock, _ = locked_text(plugin_env, lock_dists, tmp_path)
    for env, wheelnext in ((stock_env, None), (plugin_env, None)):
        result = install(env, pylock, tmp_path / "target", CUDA12, wheelnext=wheelnext)
        assert result.returncode == 1
        assert "Invalid pylock file" in result.stderr
        assert "Invalid wheel filename 'gpukit-1.0-py3-none-any-" in result.stderr


def test_variant_labels_apply_to_a_lock_and_nothing_fitting_is_one_line(
    plugin_env: PipEnv, lock_dists: Path, tmp_path: Path
) -> None:
    """``variant-labels`` picks among the locked wheels as among an index's; a label this
    machine does not support leaves nothing to install: one line naming the lock."""
    needs_lock_install(plugin_env)
    pylock, _ = locked_text(plugin_env, lock_dists, tmp_path)
    target = tmp_path / "target"
    labels = {"WHEELNEXT_PIP_VARIANT_LABELS": "gpukit=cu12"}
    result = install(plugin_env, pylock, target, {**CUDA13, **labels})
    assert result.returncode == 0, result.stdout + result.stderr
    assert installed_label(target) == "cu12"
    refused = tmp_path / "refused"
    labels = {"WHEELNEXT_PIP_VARIANT_LABELS": "gpukit=cu13"}
    result = install(plugin_env, pylock, refused, {**CUDA12, **labels})
    assert result.returncode == 1, result.stdout + result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("ERROR:")]
    assert len(errors) == 1, result.stderr
    assert errors[0].startswith(
        f"ERROR: wheelnext-pip: {pylock}: gpukit 1.0: no wheel the lock lists fits this machine"
    ), errors
    assert "cu13: " in errors[0]
    assert not refused.exists() or not any(refused.iterdir())


def test_published_legacy_metadata_is_inlined_as_published(
    plugin_env: PipEnv, lock_index: IndexServer, tmp_path: Path
) -> None:
    """torch 2.9.0's v0.0.3 file (the format public variant indexes serve) goes into the
    lock as it is, less the labels without a wheel, and decides on the installing machine."""
    needs_lock(plugin_env)
    gpu = {**CUDA13, "NV_VARIANT_PROVIDER_FORCE_SM_ARCH": "9.0"}
    pylock = tmp_path / "pylock.toml"
    text = lock(
        plugin_env, pylock, "--index-url", lock_index.index_url, machine=gpu, project="torchish"
    )
    (torchish,) = tomllib.loads(text)["packages"]
    raw = json.loads(LEGACY.read_text())
    raw["variants"] = {label: raw["variants"][label] for label in LEGACY_LABELS}
    assert torchish["variants-json"] == raw
    assert len(torchish["wheels"]) == len(LEGACY_LABELS)
    if pip_release(plugin_env) < (26, 2):
        return
    labels = []
    for name, machine in (("a", gpu), ("b", {})):
        target, report = tmp_path / name, tmp_path / f"{name}.json"
        result = plugin_env.pip(
            "install", "--target", target, "--report", report, "--index-url", NO_INDEX,
            "-r", pylock, wheelnext="1", env=machine,
        )  # fmt: skip
        assert result.returncode == 0, result.stdout + result.stderr
        assert list(target.glob("torchish-2.9.0.dist-info")), result.stdout
        (item,) = json.loads(report.read_text())["install"]
        labels.append(item["wheelnext"]["variant_label"])
    assert labels == ["cuda13.0", "null"]

"""Wheel variants through real pip and a local HTTP index, on every pip of the matrix.

Each test says what it proves of PEP 825 / PEP 850 as wheelnext-pip applies them. The machine is
described through the documented overrides (``variant-properties-file``, the NVIDIA force
variables); one test runs the real x86_64 detection and compares with the pure detector.
"""

from __future__ import annotations

import hashlib
import json
import platform
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests._lib.builders import make_sdist, make_wheel
from tests._lib.index import IndexServer, write_simple_index
from tests._lib.pipenv import PipEnv

pytestmark = pytest.mark.pipmatrix

SCHEMA = "https://variants-schema.wheelnext.dev/peps/850/v0.2.0.json"
PROVIDERS = {
    "nvidia": {
        "requires": ["nvidia-variant-provider>=0.0.1,<1"],
        "plugin-api": "nvidia_variant_provider.plugin:NvidiaVariantPlugin",
    },
    "x86_64": {"requires": ["x86-64-variant-provider>=0.2.1,<1"]},
    "plug": {"requires": ["evil-provider>=1"]},
}
NAMESPACES = ["nvidia", "x86_64", "plug"]
VPKG_VARIANTS = {
    "cu12": {"nvidia": {"cuda_version_lower_bound": ["12.0"]}},
    "x8664v3": {"x86_64": {"level": ["v3"]}},
    "x8664v2": {"x86_64": {"level": ["v2"]}},
    "x8664v4": {"x86_64": {"level": ["v4"]}},
    "plugged": {"plug": {"mode": ["on"]}},
    "null": {},
}
LEGACY_DATA = Path(__file__).resolve().parents[1] / "unit" / "data" / "variants"


PLUG_PROVIDER = {"plug": {"requires": ["fakeprov"], "plugin-api": "fakeprov.plugin:Plugin"}}
#: A provider plugin that leaves a line in $FAKEPROV_MARKER whenever it is imported.
PLUGIN_SOURCE = """
import os

if os.environ.get("FAKEPROV_MARKER"):
    with open(os.environ["FAKEPROV_MARKER"], "a") as marker:
        marker.write("imported\\n")


class Plugin:
    @classmethod
    def get_supported_configs(cls):
        return [{"name": "mode", "values": ["on"], "multi_value": False}]
"""

#: The module of the variant build requirement ``vbdep``: importing it records its label.
BDEP_SOURCE = """
import os

if os.environ.get("VBDEP_MARKER"):
    with open(os.environ["VBDEP_MARKER"], "a") as marker:
        marker.write("@LABEL@\\n")
"""


def document(variants: dict[str, dict], providers: dict | None = None) -> dict:
    providers = PROVIDERS if providers is None else providers
    return {
        "$schema": SCHEMA,
        "default-priorities": {"namespace": list(providers)},
        "providers": providers,
        "variants": variants,
    }


def variant_wheel(
    directory: Path,
    name: str,
    version: str,
    label: str,
    variants: dict,
    files: dict[str, str] | None = None,
) -> Path:
    providers = PLUG_PROVIDER if name == "vplug" else None
    own = document({label: variants[label]} if label in variants else {}, providers)
    return make_wheel(
        directory,
        name,
        version,
        filename=f"{name}-{version}-py3-none-any-{label}.whl",
        extra_dist_info={"variant.json": json.dumps(own)},
        files=files,
    )


def metadata_file(
    directory: Path, name: str, version: str, variants: dict, providers: dict | None = None
) -> Path:
    path = directory / f"{name}-{version}-variants.json"
    path.write_text(json.dumps(document(variants, providers)))
    return path


@pytest.fixture(scope="session")
def variant_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Path]]:
    d = tmp_path_factory.mktemp("variant-dists")
    wheels = [variant_wheel(d, "vpkg", "1.0", label, VPKG_VARIANTS) for label in VPKG_VARIANTS]
    wheels += [
        variant_wheel(d, "vpkg", "1.0", "ghost", VPKG_VARIANTS),  # not in the metadata
        make_wheel(d, "vpkg", "1.0"),  # ordinary wheel
        variant_wheel(d, "vonly", "1.0", "x8664v3", VPKG_VARIANTS),
        # null variant against an ordinary wheel with a better tag (py311 > py3)
        variant_wheel(d, "vnull", "1.0", "null", {"null": {}}),
        make_wheel(d, "vnull", "1.0", tag="py311-none-any"),
        # two releases: only the one pip settles on has its metadata fetched
        variant_wheel(d, "vtwo", "1.0", "x8664v2", VPKG_VARIANTS),
        variant_wheel(d, "vtwo", "2.0", "x8664v2", VPKG_VARIANTS),
        # variants whose -variants.json is broken, or of a schema major we do not know
        variant_wheel(d, "vbad", "1.0", "x8664v3", VPKG_VARIANTS),
        make_wheel(d, "vbad", "1.0"),
        variant_wheel(d, "vfuture", "1.0", "x8664v3", VPKG_VARIANTS),
        make_wheel(d, "vfuture", "1.0"),
        # variants without their -variants.json
        variant_wheel(d, "vnojson", "1.0", "x8664v3", VPKG_VARIANTS),
        make_wheel(d, "vnojson", "1.0"),
    ]
    # variants of one release under two tags: the better label sits under the worse tag
    vtags_variants = {k: VPKG_VARIANTS[k] for k in ("x8664v2", "x8664v3", "null")}
    for tag, labels in (("py3-none-any", ["x8664v2"]), ("py30-none-any", ["x8664v3", "null"])):
        for label in labels:
            own = document({label: vtags_variants[label]})
            wheels.append(
                make_wheel(
                    d, "vtags", "1.0", tag=tag, filename=f"vtags-1.0-{tag}-{label}.whl",
                    extra_dist_info={"variant.json": json.dumps(own)},
                )
            )  # fmt: skip
    # a build requirement with variants: importing it leaves its label in $VBDEP_MARKER
    for label in ("x8664v2", "x8664v3", "null"):
        wheels.append(
            variant_wheel(
                d, "vbdep", "1.0", label, VPKG_VARIANTS,
                files={"vbdep/__init__.py": BDEP_SOURCE.replace("@LABEL@", label)},
            )
        )  # fmt: skip
    wheels.append(
        make_sdist(d, "vbuilt", "1.0", build_requires=["vbdep"], import_build_requires=["vbdep"])
    )
    # legacy v0.0.3 metadata as published (torch 2.9.0's file, for a stand-in project)
    legacy = json.loads((LEGACY_DATA / "torch-2.9.0-variants.json").read_text())
    legacy_labels = sorted(label for label in legacy["variants"] if label != "null")[:3]
    for label in [*legacy_labels, "null"]:
        wheels.append(
            make_wheel(
                d,
                "torchish",
                "2.9.0",
                filename=f"torchish-2.9.0-py3-none-any-{label}.whl",
                extra_dist_info={"variant.json": json.dumps(legacy)},
            )
        )
    # a project whose only namespace is answered by a plugin package on the same index
    plug_variants = {"plugged": {"plug": {"mode": ["on"]}}, "null": {}}
    wheels += [variant_wheel(d, "vplug", "1.0", label, plug_variants) for label in plug_variants]
    wheels.append(
        make_wheel(
            d,
            "fakeprov",
            "1.0",
            files={"fakeprov/__init__.py": "", "fakeprov/plugin.py": PLUGIN_SOURCE},
        )
    )
    legacy_file = d / "torchish-2.9.0-variants.json"
    shutil.copyfile(LEGACY_DATA / "torch-2.9.0-variants.json", legacy_file)
    (d / "vbad-1.0-variants.json").write_text('{"$schema": "truncated')
    future = document(VPKG_VARIANTS)
    future["$schema"] = "https://variants-schema.wheelnext.dev/peps/850/v1.0.0.json"
    (d / "vfuture-1.0-variants.json").write_text(json.dumps(future))
    metadata = {
        "vtwo": [
            metadata_file(d, "vtwo", "1.0", VPKG_VARIANTS),
            metadata_file(d, "vtwo", "2.0", VPKG_VARIANTS),
        ],
        "vbad": [d / "vbad-1.0-variants.json"],
        "vfuture": [d / "vfuture-1.0-variants.json"],
        "vpkg": [metadata_file(d, "vpkg", "1.0", VPKG_VARIANTS)],
        "vonly": [metadata_file(d, "vonly", "1.0", VPKG_VARIANTS)],
        "vnull": [metadata_file(d, "vnull", "1.0", {"null": {}})],
        "vplug": [metadata_file(d, "vplug", "1.0", plug_variants, providers=PLUG_PROVIDER)],
        "vtags": [metadata_file(d, "vtags", "1.0", vtags_variants)],
        "vbdep": [metadata_file(d, "vbdep", "1.0", VPKG_VARIANTS)],
        "torchish": [legacy_file],
    }
    return {"wheels": wheels, **metadata}


def _serve_variant_files(
    tmp_path_factory: pytest.TempPathFactory,
    variant_files: dict[str, list[Path]],
    *,
    html_only: bool,
) -> IndexServer:
    root = tmp_path_factory.mktemp("variant-index")
    extra = {name: paths for name, paths in variant_files.items() if name != "wheels"}
    simple = write_simple_index(root / "www", variant_files["wheels"], extra_files=extra)
    if html_only:  # no PEP 691 JSON form to negotiate: pip gets the PEP 503 HTML pages
        for page in simple.rglob("index.json"):
            page.unlink()
    return IndexServer(root / "www")


@pytest.fixture(scope="session")
def variant_index(
    tmp_path_factory: pytest.TempPathFactory, variant_files: dict[str, list[Path]]
) -> Iterator[IndexServer]:
    with _serve_variant_files(tmp_path_factory, variant_files, html_only=False) as server:
        yield server


@pytest.fixture(scope="session")
def html_variant_index(
    tmp_path_factory: pytest.TempPathFactory, variant_files: dict[str, list[Path]]
) -> Iterator[IndexServer]:
    """The same index with PEP 503 HTML pages only."""
    with _serve_variant_files(tmp_path_factory, variant_files, html_only=True) as server:
        yield server


def properties_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "variants.toml"
    path.write_text(text)
    return path


def resolve(
    env: PipEnv,
    index: IndexServer,
    *requirements: str,
    wheelnext: str | None = "1",
    settings: dict[str, str] | None = None,
):
    """Dry run with a report: (exit code, {name: (version, label or None)}, stdout+stderr)."""
    report_file = env.root / "report.json"
    report_file.unlink(missing_ok=True)
    result = env.pip(
        "install", "--dry-run", "--report", report_file, "--index-url", index.index_url,
        *requirements, wheelnext=wheelnext, env=settings or {},
    )  # fmt: skip
    output = result.stdout + result.stderr
    if result.returncode != 0:
        return result.returncode, {}, output
    report = json.loads(report_file.read_text())
    chosen = {}
    for item in report["install"]:
        label = (item.get("wheelnext") or {}).get("variant_label")
        chosen[item["metadata"]["name"]] = (item["metadata"]["version"], label)
        filename = item["download_info"]["url"].rsplit("/", 1)[-1]
        assert (label is None) == (filename.count("-") != 5), filename
    return 0, chosen, output


def x86(tmp_path: Path, levels: str) -> dict[str, str]:
    path = properties_file(tmp_path, f"[x86_64]\nlevel = [{levels}]\n")
    return {"WHEELNEXT_PIP_VARIANT_PROPERTIES_FILE": str(path)}


def test_stock_pip_ignores_variant_wheels(plugin_env: PipEnv, variant_index: IndexServer) -> None:
    """With the feature off, variant-only projects are "no matching distribution"."""
    code, chosen, _ = resolve(plugin_env, variant_index, "vpkg", wheelnext=None)
    assert code == 0 and chosen == {"vpkg": ("1.0", None)}
    code, _, output = resolve(plugin_env, variant_index, "vonly", wheelnext=None)
    assert code != 0 and "No matching distribution found for vonly" in output
    code, _, output = resolve(plugin_env, variant_index, "vonly", wheelnext="default-extras")
    assert code != 0 and "No matching distribution found for vonly" in output


def test_best_supported_variant_wins(
    plugin_env: PipEnv, variant_index: IndexServer, tmp_path: Path
) -> None:
    """The ranking follows the machine; null beats an ordinary wheel with a
    better tag; a label missing from the metadata and an untrusted plugin never win."""
    settings = x86(tmp_path, '"v3", "v2", "v1"')
    code, chosen, output = resolve(
        plugin_env, variant_index, "vpkg", "vonly", "vnull", settings=settings
    )
    assert code == 0, output
    assert chosen == {
        "vpkg": ("1.0", "x8664v3"),
        "vonly": ("1.0", "x8664v3"),
        "vnull": ("1.0", "null"),
    }
    assert "vpkg: variant x8664v3 chosen (x86_64 :: level :: v3)" in output
    assert variant_index.project_requests("evil-provider") == []

    code, chosen, _ = resolve(plugin_env, variant_index, "vpkg", settings=x86(tmp_path, '"v2"'))
    assert chosen == {"vpkg": ("1.0", "x8664v2")}
    nothing = properties_file(tmp_path, "[x86_64]\n")
    code, chosen, _ = resolve(
        plugin_env, variant_index, "vpkg",
        settings={"WHEELNEXT_PIP_VARIANT_PROPERTIES_FILE": str(nothing)},
    )  # fmt: skip
    assert chosen == {"vpkg": ("1.0", "null")}  # never ghost, never plugged


def test_nvidia_overrides_and_disable_providers(
    plugin_env: PipEnv, variant_index: IndexServer, tmp_path: Path
) -> None:
    """A forced CUDA driver makes cu12 (first namespace) win; disable-providers drops it."""
    settings = {
        **x86(tmp_path, '"v3", "v2", "v1"'),
        "NV_VARIANT_PROVIDER_FORCE_CUDA_DRIVER_VERSION": "12.8",
    }
    code, chosen, output = resolve(plugin_env, variant_index, "vpkg", settings=settings)
    assert code == 0 and chosen == {"vpkg": ("1.0", "cu12")}, output
    settings["WHEELNEXT_PIP_DISABLE_PROVIDERS"] = "nvidia"
    code, chosen, _ = resolve(plugin_env, variant_index, "vpkg", settings=settings)
    assert chosen == {"vpkg": ("1.0", "x8664v3")}


@pytest.mark.parametrize("forced", ["12.8.1", "twelve"])
def test_forced_cuda_version_is_read_as_nvidia_reads_it(
    plugin_env: PipEnv, variant_index: IndexServer, tmp_path: Path, forced: str
) -> None:
    """Issue 15 item 3: 12.8.1 is 12.8; a value that is not a version is one error line
    naming the variable, at the start of the command (no index request)."""
    settings = {**x86(tmp_path, '"v3"'), "NV_VARIANT_PROVIDER_FORCE_CUDA_DRIVER_VERSION": forced}
    variant_index.clear_requests()
    code, chosen, output = resolve(plugin_env, variant_index, "vpkg", settings=settings)
    if forced == "12.8.1":
        assert code == 0 and chosen == {"vpkg": ("1.0", "cu12")}, output
        return
    assert code == 1
    (line,) = [line for line in output.splitlines() if line.startswith("ERROR:")]
    assert "NV_VARIANT_PROVIDER_FORCE_CUDA_DRIVER_VERSION='twelve' is not a version" in line
    assert variant_index.project_requests("vpkg") == []


def test_real_x86_64_detection(
    plugin_env: PipEnv, variant_index: IndexServer, tmp_path: Path
) -> None:
    """The built-in x86_64 provider runs for real when nothing overrides it; its answer is
    kept in pip's cache folder for the next run."""
    if platform.machine().lower() not in ("x86_64", "amd64"):
        pytest.skip("not an x86_64 machine")
    from wheelnext_pip.variants._provider_x86_64 import detect_x86_64

    levels = detect_x86_64().properties
    assert levels is not None
    best = levels.features[0].values[0] if levels.features else None
    expected = f"x8664{best}" if best in ("v2", "v3", "v4") else "null"
    cache = tmp_path / "cache"
    code, chosen, output = resolve(plugin_env, variant_index, "--cache-dir", str(cache), "vpkg")
    assert code == 0 and chosen == {"vpkg": ("1.0", expected)}, output
    stored = json.loads((cache / "wheelnext-variant-detection/variant-detection.json").read_text())
    assert "x86_64" in stored["namespaces"]
    code, chosen, _ = resolve(plugin_env, variant_index, "--cache-dir", str(cache), "vpkg")
    assert chosen == {"vpkg": ("1.0", expected)}


def test_variant_rank_comes_before_the_tag(
    plugin_env: PipEnv, variant_index: IndexServer, tmp_path: Path
) -> None:
    """Variants that differ in tags as well as labels: the best label wins whatever its
    tag (PEP 825 ranks the variant before the platform tag), the tag only among equals."""
    for levels, label in (('"v3", "v2", "v1"', "x8664v3"), ('"v2", "v1"', "x8664v2"), ("", "null")):
        code, chosen, output = resolve(
            plugin_env, variant_index, "vtags", settings=x86(tmp_path, levels)
        )
        assert code == 0 and chosen == {"vtags": ("1.0", label)}, output


def test_hash_checking_mode(plugin_env: PipEnv, variant_index: IndexServer, tmp_path: Path) -> None:
    """With --hash pins every variant file is matched on its own hash; the best variant
    that the pins allow is taken, and a pin of an unsupported variant is never installed."""
    settings = x86(tmp_path, '"v3", "v2", "v1"')
    folder = Path(variant_index.root) / "files"

    def pinned(*labels: str) -> Path:
        wheels = [folder / f"vpkg-1.0-py3-none-any-{label}.whl" for label in labels]
        digests = [hashlib.sha256(wheel.read_bytes()).hexdigest() for wheel in wheels]
        hashes = " ".join(f"--hash=sha256:{digest}" for digest in digests)
        requirements = tmp_path / "requirements.txt"
        requirements.write_text(f"vpkg==1.0 {hashes}\n")
        return requirements

    code, chosen, output = resolve(
        plugin_env, variant_index, "-r", pinned("x8664v2", "x8664v3"), settings=settings
    )
    assert code == 0 and chosen == {"vpkg": ("1.0", "x8664v3")}, output
    # The pins narrow the choice: the best of the allowed variants is taken.
    code, chosen, output = resolve(
        plugin_env, variant_index, "-r", pinned("x8664v2", "null"), settings=settings
    )
    assert code == 0 and chosen == {"vpkg": ("1.0", "x8664v2")}, output
    code, chosen, output = resolve(
        plugin_env, variant_index, "-r", pinned("cu12"), settings=settings
    )
    assert code != 0 and "cu12" not in json.dumps(chosen), output
    assert "vpkg: no variant wheel that the --hash pins allow fits this machine (cu12: " in output
    assert "Traceback" not in output


def test_legacy_resolver(plugin_env: PipEnv, variant_index: IndexServer, tmp_path: Path) -> None:
    """pip's legacy resolver takes the file of the best candidate as it is: it gets the
    variant that fits, never an unjudged one."""
    code, chosen, output = resolve(
        plugin_env, variant_index, "--use-deprecated=legacy-resolver", "vpkg", "vtags",
        settings=x86(tmp_path, '"v2", "v1"'),
    )  # fmt: skip
    assert code == 0, output
    assert chosen == {"vpkg": ("1.0", "x8664v2"), "vtags": ("1.0", "x8664v2")}


def test_missing_metadata_skips_variants(
    plugin_env: PipEnv, variant_index: IndexServer, tmp_path: Path
) -> None:
    """Without -variants.json the variant wheels are skipped with one warning."""
    code, chosen, output = resolve(
        plugin_env, variant_index, "vnojson", settings=x86(tmp_path, '"v3"')
    )
    assert code == 0 and chosen == {"vnojson": ("1.0", None)}, output
    assert output.count("vnojson 1.0: no vnojson-1.0-variants.json is listed") == 1


def test_metadata_is_fetched_only_for_releases_pip_reaches(
    plugin_env: PipEnv, variant_index: IndexServer, tmp_path: Path
) -> None:
    """-variants.json is fetched lazily, per release, when the resolver reaches it."""
    variant_index.clear_requests()
    code, chosen, output = resolve(
        plugin_env, variant_index, "vtwo", settings=x86(tmp_path, '"v2"')
    )
    assert code == 0 and chosen == {"vtwo": ("2.0", "x8664v2")}, output
    fetched = [p for p in variant_index.requested_paths() if p.endswith("-variants.json")]
    assert fetched == ["/files/vtwo-2.0-variants.json"]
    code, chosen, _ = resolve(plugin_env, variant_index, "vtwo<2", settings=x86(tmp_path, '"v2"'))
    assert chosen == {"vtwo": ("1.0", "x8664v2")}


@pytest.mark.parametrize("strategy", ["first-match", "fallthrough"])
def test_index_groups_fetch_only_the_metadata_pip_reaches(
    plugin_env: PipEnv, tmp_path: Path, strategy: str
) -> None:
    """Issue 14 item 4: with index groups on, the group's question "may this candidate be
    taken?" judges only the releases pip reaches, so a five-release project costs one
    -variants.json fetch (it cost five: every release was judged)."""
    dists = tmp_path / "dists"
    files = []
    for minor in range(5):
        files.append(variant_wheel(dists, "vfive", f"1.{minor}", "x8664v2", VPKG_VARIANTS))
        files.append(metadata_file(dists, "vfive", f"1.{minor}", VPKG_VARIANTS))
    wheels = [path for path in files if path.suffix == ".whl"]
    extra = {"vfive": [path for path in files if path.suffix == ".json"]}
    write_simple_index(tmp_path / "a", wheels, extra_files=extra)
    write_simple_index(tmp_path / "c", [])
    with IndexServer(tmp_path / "a") as index_a, IndexServer(tmp_path / "c") as index_c:
        settings = {
            **x86(tmp_path, '"v2", "v1"'),
            "WHEELNEXT_PIP_INDEX_GROUPS": f"a = {index_a.index_url}",
            "WHEELNEXT_PIP_INDEX_STRATEGY": strategy,
        }
        code, chosen, output = resolve(plugin_env, index_c, "vfive", settings=settings)
        assert code == 0 and chosen == {"vfive": ("1.4", "x8664v2")}, output
        fetched = [p for p in index_a.requested_paths() if p.endswith("-variants.json")]
        assert fetched == ["/files/vfive-1.4-variants.json"]


def test_unusable_metadata_is_one_warning(
    plugin_env: PipEnv, variant_index: IndexServer, tmp_path: Path
) -> None:
    """Malformed JSON or an unknown major schema: one warning naming the file, the variant
    wheels are skipped and pip carries on with the ordinary wheel."""
    settings = x86(tmp_path, '"v3"')
    code, chosen, output = resolve(plugin_env, variant_index, "vbad", "vfuture", settings=settings)
    assert code == 0 and chosen == {"vbad": ("1.0", None), "vfuture": ("1.0", None)}, output
    (bad,) = [line for line in output.splitlines() if "vbad-1.0-variants.json" in line]
    (future,) = [line for line in output.splitlines() if "vfuture-1.0-variants.json" in line]
    assert "variant wheels are skipped" in bad and "variant wheels are skipped" in future
    assert "Traceback" not in output


def test_variant_labels(plugin_env: PipEnv, variant_index: IndexServer, tmp_path: Path) -> None:
    """A chosen compatible label wins; an unsupported one is never installed."""
    settings = {**x86(tmp_path, '"v3", "v2"'), "WHEELNEXT_PIP_VARIANT_LABELS": "vpkg=x8664v2"}
    code, chosen, _ = resolve(plugin_env, variant_index, "vpkg", settings=settings)
    assert chosen == {"vpkg": ("1.0", "x8664v2")}
    settings["WHEELNEXT_PIP_VARIANT_LABELS"] = "vpkg=x8664v4"
    code, _, output = resolve(plugin_env, variant_index, "vpkg", settings=settings)
    assert code != 0
    assert "variant label 'x8664v4' (variant-labels = vpkg=x8664v4)" in output


def test_legacy_published_metadata(plugin_env: PipEnv, variant_index: IndexServer) -> None:
    """The v0.0.3 file torch 2.9.0 publishes is read; the NVIDIA built-in answers it."""
    settings = {
        "NV_VARIANT_PROVIDER_FORCE_CUDA_DRIVER_VERSION": "13.0",
        "NV_VARIANT_PROVIDER_FORCE_SM_ARCH": "9.0",
    }
    code, chosen, output = resolve(plugin_env, variant_index, "torchish", settings=settings)
    assert code == 0, output
    assert chosen["torchish"][1] not in (None, "null"), output
    explained = plugin_env.run(
        ["-m", "wheelnext_pip", "explain", "torchish", "--index-url", variant_index.index_url],
        wheelnext="1",
        env=settings,
    )
    assert "  nvidia properties: built-in, forced (override variable)\n" in explained.stdout
    assert "  priority properties: static (the package's static-properties)\n" in explained.stdout
    assert "  amd properties: untrusted plugin (never installed or run)\n" in explained.stdout
    code, chosen, _ = resolve(plugin_env, variant_index, "torchish")  # no GPU here
    assert chosen["torchish"][1] == "null"


def test_install_keeps_variant_json_and_direct_wheels_are_checked(
    fresh_plugin_env: PipEnv, variant_index: IndexServer, variant_files: dict, tmp_path: Path
) -> None:
    """The installed dist-info keeps variant.json; an unsupported wheel file is refused."""
    install = ["install", "--index-url", variant_index.index_url, "vpkg"]
    result = fresh_plugin_env.pip(*install, wheelnext="1", env=x86(tmp_path, '"v2"'))
    assert result.returncode == 0, result.stderr
    (variant_json,) = fresh_plugin_env.site_packages.glob("vpkg-1.0.dist-info/variant.json")
    assert list(json.loads(variant_json.read_text())["variants"]) == ["x8664v2"]
    # a better variant of the installed release: a hint, no silent switch
    settings = x86(tmp_path, '"v3", "v2", "v1"')
    result = fresh_plugin_env.pip(*install, wheelnext="1", env=settings)
    assert "vpkg 1.0 is installed as variant x8664v2; variant x8664v3 fits" in result.stdout
    assert list(json.loads(variant_json.read_text())["variants"]) == ["x8664v2"]
    result = fresh_plugin_env.pip(*install, "--force-reinstall", wheelnext="1", env=settings)
    assert result.returncode == 0, result.stderr
    assert list(json.loads(variant_json.read_text())["variants"]) == ["x8664v3"]

    (cuda,) = [w for w in variant_files["wheels"] if w.name.endswith("-cu12.whl")]
    result = fresh_plugin_env.pip("install", "--no-index", str(cuda), wheelnext="1", env=settings)
    assert result.returncode != 0
    assert "nvidia :: cuda_version_lower_bound :: 12.0" in result.stderr
    assert "Traceback" not in result.stderr


def test_find_links_folder(plugin_env: PipEnv, variant_files: dict, tmp_path: Path) -> None:
    """Variant wheels and their -variants.json are found in a --find-links folder."""
    folder = tmp_path / "wheels"
    folder.mkdir()
    for path in [*variant_files["wheels"], *variant_files["vpkg"]]:
        if path.name.startswith("vpkg-"):
            shutil.copy2(path, folder / path.name)
    result = plugin_env.pip(
        "install", "--dry-run", "--report", "-", "-q", "--no-index", "--find-links", str(folder),
        "vpkg", wheelnext="1", env=x86(tmp_path, '"v2"'),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    (item,) = json.loads(result.stdout)["install"]
    assert item["wheelnext"]["variant_label"] == "x8664v2", (item["download_info"], result.stderr)
    assert item["wheelnext"]["variant_properties"] == ["x86_64 :: level :: v2"]


def test_html_pages_and_find_links_pages(
    plugin_env: PipEnv, html_variant_index: IndexServer, tmp_path: Path
) -> None:
    """The same variants are found on PEP 503 HTML pages (pip otherwise negotiates the
    PEP 691 JSON form here), and on a --find-links page."""
    settings = x86(tmp_path, '"v3", "v2", "v1"')
    code, chosen, output = resolve(plugin_env, html_variant_index, "vpkg", settings=settings)
    assert code == 0 and chosen == {"vpkg": ("1.0", "x8664v3")}, output
    assert not list(Path(html_variant_index.root).rglob("index.json"))
    page = html_variant_index.url + "/simple/vpkg/"
    result = plugin_env.pip(
        "install", "--dry-run", "--report", "-", "-q", "--no-index", "--find-links", page,
        "vpkg", wheelnext="1", env=settings,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    (item,) = json.loads(result.stdout)["install"]
    assert item["wheelnext"]["variant_label"] == "x8664v3", result.stderr


def test_metadata_of_one_index_never_applies_to_another(plugin_env: PipEnv, tmp_path: Path) -> None:
    """A variant wheel is judged only by the -variants.json of its own page. The
    second index lists a better variant but no metadata of its own: that wheel is skipped,
    although the first index's metadata describes its label."""
    dists = tmp_path / "dists"
    first = [
        variant_wheel(dists / "a", "vmix", "1.0", "x8664v2", VPKG_VARIANTS),
        metadata_file(dists / "a", "vmix", "1.0", VPKG_VARIANTS),
    ]
    second = [variant_wheel(dists / "b", "vmix", "1.0", "x8664v3", VPKG_VARIANTS)]
    write_simple_index(tmp_path / "a", first[:1], extra_files={"vmix": first[1:]})
    write_simple_index(tmp_path / "b", second)
    with IndexServer(tmp_path / "a") as index_a, IndexServer(tmp_path / "b") as index_b:
        result = plugin_env.pip(
            "install", "--dry-run", "--report", "-", "-q", "--index-url", index_a.index_url,
            "--extra-index-url", index_b.index_url, "vmix", wheelnext="1",
            env=x86(tmp_path, '"v3", "v2", "v1"'),
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        (item,) = json.loads(result.stdout)["install"]
        assert item["wheelnext"]["variant_label"] == "x8664v2", result.stderr
        assert item["download_info"]["url"].startswith(index_a.url)
        assert "vmix 1.0: no vmix-1.0-variants.json is listed" in result.stderr
        assert index_b.requested_paths() == ["/simple/vmix/"]


def test_metadata_of_two_pages_is_combined_or_refused(plugin_env: PipEnv, tmp_path: Path) -> None:
    """Two indexes list one release, each with its own -variants.json. Documents that
    agree are combined, so the wheels of both pages are ranked together; a page whose
    document disagrees has its variant wheels skipped, with one warning naming both files."""
    dists = tmp_path / "dists"
    levels = {label: VPKG_VARIANTS[label] for label in ("x8664v2", "x8664v3", "null")}
    disagreeing = {"x8664v3": {"x86_64": {"level": ["v2"]}}}
    first, second = [], []
    for name in ("vcon", "vinc"):
        first.append(variant_wheel(dists / "a", name, "1.0", "x8664v2", levels))
        first.append(metadata_file(dists / "a", name, "1.0", levels))
        second.append(variant_wheel(dists / "b", name, "1.0", "x8664v3", levels))
    second.append(metadata_file(dists / "b", "vcon", "1.0", {"x8664v3": levels["x8664v3"]}))
    second.append(metadata_file(dists / "b", "vinc", "1.0", disagreeing))
    for root, files in ((tmp_path / "a", first), (tmp_path / "b", second)):
        wheels = [path for path in files if path.suffix == ".whl"]
        extra: dict[str, list[Path]] = {}
        for path in files:
            if path.suffix == ".json":
                extra.setdefault(path.name.split("-")[0], []).append(path)
        write_simple_index(root, wheels, extra_files=extra)
    with IndexServer(tmp_path / "a") as index_a, IndexServer(tmp_path / "b") as index_b:
        # pip's two locations, then the same two pages as one named index group
        named = {"WHEELNEXT_PIP_INDEX_GROUPS": f"mirrors = {index_a.index_url} {index_b.index_url}"}
        for groups in ({}, named):
            result = plugin_env.pip(
                "install", "--dry-run", "--report", "-", "-q", "--index-url", index_a.index_url,
                "--extra-index-url", index_b.index_url, "vcon", "vinc", wheelnext="1",
                env={**x86(tmp_path, '"v3", "v2", "v1"'), **groups},
            )  # fmt: skip
            assert result.returncode == 0, result.stderr
            chosen = {
                item["metadata"]["name"]: (
                    item["wheelnext"]["variant_label"],
                    item["download_info"],
                )
                for item in json.loads(result.stdout)["install"]
            }
            assert chosen["vcon"][0] == "x8664v3", result.stderr
            assert chosen["vcon"][1]["url"].startswith(index_b.url)
            assert chosen["vinc"][0] == "x8664v2", result.stderr
            (warning,) = [line for line in result.stderr.splitlines() if "disagrees" in line]
            assert f"{index_b.url}/files/vinc-1.0-variants.json disagrees with" in warning
            assert f"{index_a.url}/files/vinc-1.0-variants.json" in warning
            assert "variant 'x8664v3' has different properties" in warning
            assert "variant wheels are skipped" in warning


def test_build_dependencies_take_the_variant(
    plugin_env: PipEnv, variant_index: IndexServer, tmp_path: Path
) -> None:
    """A build requirement that has variants is installed, in pip's isolated build
    environment, as the variant that fits (the child pip judges it too)."""
    marker = tmp_path / "marker"
    for levels, label in (('"v3", "v2", "v1"', "x8664v3"), ('"v2", "v1"', "x8664v2")):
        marker.unlink(missing_ok=True)
        settings = {**x86(tmp_path, levels), "VBDEP_MARKER": str(marker)}
        result = plugin_env.pip(
            "wheel", "--no-deps", "-w", tmp_path / "out", "--no-cache-dir",
            "--index-url", variant_index.index_url, "vbuilt", wheelnext="1", env=settings,
        )  # fmt: skip
        assert result.returncode == 0, result.stdout + result.stderr
        assert marker.read_text().split() == [label]
    marker.unlink()
    result = plugin_env.pip(
        "wheel", "--no-deps", "-w", tmp_path / "stock", "--no-cache-dir",
        "--index-url", variant_index.index_url, "vbuilt", wheelnext=None,
        env={"VBDEP_MARKER": str(marker)},
    )  # fmt: skip
    assert result.returncode != 0  # stock pip sees no installable vbdep
    assert not marker.exists()


def test_explain_and_doctor(plugin_env: PipEnv, variant_index: IndexServer, tmp_path: Path) -> None:
    """Explain lists labels in order and why the others are out; doctor lists providers."""
    settings = x86(tmp_path, '"v3", "v2", "v1"')
    result = plugin_env.run(
        ["-m", "wheelnext_pip", "explain", "vpkg", "--index-url", variant_index.index_url],
        wheelnext="1",
        env=settings,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    text = result.stdout
    assert "variants of vpkg 1.0" in text
    assert "  1. x8664v3\n  2. x8664v2\n  3. null\n" in text
    assert "  nvidia properties: built-in, detected\n" in text
    assert "  x86_64 properties: file (variant-properties-file)\n" in text
    assert "  plug properties: untrusted plugin (never installed or run)\n" in text
    assert "  -  cu12: incompatible: `nvidia :: cuda_version_lower_bound :: 12.0`" in text
    assert "  -  ghost: left out: not listed in the variant metadata" in text
    assert "winner: vpkg 1.0 from" in text and "-x8664v3.whl" in text

    env = {**settings, "NV_VARIANT_PROVIDER_FORCE_CUDA_DRIVER_VERSION": "12.8"}
    doctor = plugin_env.run(["-m", "wheelnext_pip", "doctor", "--json"], wheelnext="1", env=env)
    providers = json.loads(doctor.stdout)["variants"]["providers"]
    x86_64 = dict(providers["x86_64"])
    assert x86_64.pop("replaces_detected").startswith("level = v")  # what the file replaced
    assert x86_64 == {
        "source": "file (variant-properties-file)",
        "properties": "level = v3, v2, v1",
        "notes": [],
    }
    assert providers["nvidia"]["source"] == "forced (override variable)"
    assert providers["nvidia"]["properties"].startswith("cuda_version_lower_bound = 12.8, 12.7")


def test_plugin_providers_run_only_when_trusted(
    plugin_env: PipEnv, variant_index: IndexServer, tmp_path: Path
) -> None:
    """An untrusted plugin is never installed or run; a trusted one is installed
    into its own cached environment, queried out of process, and its answer used."""
    variant_index.clear_requests()  # the index is shared by the tests of this pip
    marker = tmp_path / "marker"
    settings = {"FAKEPROV_MARKER": str(marker)}
    cache = ["--cache-dir", str(tmp_path / "cache")]
    code, chosen, output = resolve(plugin_env, variant_index, *cache, "vplug", settings=settings)
    assert code == 0 and chosen == {"vplug": ("1.0", "null")}, output
    assert not marker.exists()
    assert variant_index.project_requests("fakeprov") == []
    assert not (tmp_path / "cache" / "wheelnext-variant-providers").exists()

    settings["WHEELNEXT_PIP_TRUST_PROVIDERS"] = "fakeprov"
    code, chosen, output = resolve(plugin_env, variant_index, *cache, "vplug", settings=settings)
    assert code == 0 and chosen == {"vplug": ("1.0", "plugged")}, output
    assert marker.read_text().splitlines() == ["imported"]
    code, chosen, _ = resolve(plugin_env, variant_index, *cache, "vplug", settings=settings)
    assert chosen == {"vplug": ("1.0", "plugged")}
    assert len(variant_index.project_requests("fakeprov")) == 1  # the venv is cached


def test_download_wheel_and_wheels_named_by_url(
    plugin_env: PipEnv, variant_index: IndexServer, tmp_path: Path
) -> None:
    """pip download and pip wheel pick the variant; a variant wheel named by URL is
    checked against its own variant.json once downloaded."""
    settings = x86(tmp_path, '"v3", "v2", "v1"')
    for command, option in (("download", "-d"), ("wheel", "-w")):
        folder = tmp_path / command
        result = plugin_env.pip(
            command, "--no-deps", option, str(folder), "--index-url", variant_index.index_url,
            "vpkg", wheelnext="1", env=settings,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert [path.name for path in folder.iterdir()] == ["vpkg-1.0-py3-none-any-x8664v3.whl"]

    base = variant_index.url + "/files/"
    code, chosen, output = resolve(
        plugin_env, variant_index, base + "vpkg-1.0-py3-none-any-x8664v2.whl", settings=settings
    )
    assert code == 0 and chosen == {"vpkg": ("1.0", "x8664v2")}, output
    code, _, output = resolve(
        plugin_env, variant_index, base + "vpkg-1.0-py3-none-any-cu12.whl", settings=settings
    )
    assert code != 0
    assert "is the variant 'cu12', which this machine does not support" in output
    assert "nvidia :: cuda_version_lower_bound :: 12.0" in output
    assert "Traceback" not in output


def test_json_pages_name_the_metadata_by_its_filename(
    plugin_env: PipEnv,
    tmp_path_factory: pytest.TempPathFactory,
    variant_files: dict[str, list[Path]],
    tmp_path: Path,
) -> None:
    """PEP 825: the URL of a ``-variants.json`` is insignificant. A PEP 691 page that serves
    it from a content-addressed URL still names it in ``filename``, and that is what counts."""
    root = tmp_path_factory.mktemp("json-named-index")
    extra = {name: paths for name, paths in variant_files.items() if name != "wheels"}
    simple = write_simple_index(root / "www", variant_files["wheels"], extra_files=extra)
    (simple / "vpkg" / "index.html").unlink()  # pip must read the JSON page
    page = simple / "vpkg" / "index.json"
    data = json.loads(page.read_text())
    moved = 0
    for entry in data["files"]:
        if entry["filename"].endswith("-variants.json"):
            blob = root / "www" / "blobs" / f"{entry['hashes']['sha256']}"
            blob.parent.mkdir(exist_ok=True)
            blob.write_bytes((root / "www" / "files" / entry["filename"]).read_bytes())
            entry["url"] = f"../../blobs/{blob.name}"
            moved += 1
    assert moved == 1
    page.write_text(json.dumps(data))
    with IndexServer(root / "www") as index:
        code, chosen, output = resolve(
            plugin_env, index, "vpkg", settings=x86(tmp_path, '"v3", "v2", "v1"')
        )
        assert code == 0, output
        assert chosen == {"vpkg": ("1.0", "x8664v3")}
        assert any(path.startswith("/blobs/") for path in index.requested_paths())


@pytest.fixture(scope="module")
def target_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IndexServer]:
    """vpkg's x86-64 variants, and armkit: Armv8-A and Armv8.2-A variants, no plain wheel."""
    root = tmp_path_factory.mktemp("target-index")
    d = root / "dists"
    arm = {"arm8a": {"aarch64": {"version": ["8a"]}}, "arm82": {"aarch64": {"version": ["8.2a"]}}}
    arm_providers = {"aarch64": {"requires": ["aarch64-variant-provider>=0.0.1,<1"]}}
    wheels = [variant_wheel(d, "vpkg", "1.0", label, VPKG_VARIANTS) for label in VPKG_VARIANTS]
    wheels.append(make_wheel(d, "vpkg", "1.0"))
    for label, properties in arm.items():
        own = document({label: properties}, arm_providers)
        wheels.append(
            make_wheel(
                d, "armkit", "1.0", filename=f"armkit-1.0-py3-none-any-{label}.whl",
                extra_dist_info={"variant.json": json.dumps(own)},
            )
        )  # fmt: skip
    metadata = {
        "vpkg": [metadata_file(d, "vpkg", "1.0", VPKG_VARIANTS)],
        "armkit": [metadata_file(d, "armkit", "1.0", arm, arm_providers)],
    }
    write_simple_index(root / "www", wheels, extra_files=metadata)
    with IndexServer(root / "www") as server:
        yield server


def _download(env: PipEnv, index: IndexServer, folder: Path, *options: str) -> tuple[int, str]:
    result = env.pip(
        "download", "--no-deps", "--only-binary=:all:", "-d", folder,
        "--index-url", index.index_url, *options, wheelnext="1",
    )  # fmt: skip
    return result.returncode, result.stdout + result.stderr


def test_an_explicit_target_never_asks_this_machine(
    plugin_env: PipEnv, target_index: IndexServer, tmp_path: Path
) -> None:
    """With --platform and friends the built-in CPU providers answer the target's baseline
    (x86-64-v2, Armv8-A, as uv does), nvidia and tpu nothing; a properties file still
    replaces them (PEP 825: installing for another system overrides what counts as
    supported)."""
    forced = {"NV_VARIANT_PROVIDER_FORCE_CUDA_DRIVER_VERSION": "12.8"}
    code, output = _download(
        plugin_env, target_index, tmp_path / "x86", "vpkg", "--platform", "linux_x86_64",
    )  # fmt: skip
    assert code == 0, output
    assert [p.name for p in (tmp_path / "x86").iterdir()] == ["vpkg-1.0-py3-none-any-x8664v2.whl"]
    result = plugin_env.pip(
        "download", "--no-deps", "--only-binary=:all:", "-d", tmp_path / "cuda",
        "--index-url", target_index.index_url, "vpkg", "--python-version", "3.11",
        wheelnext="1", env=forced,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert [p.name for p in (tmp_path / "cuda").iterdir()] == [
        "vpkg-1.0-py3-none-any-x8664v2.whl"  # no GPU for a target, even a forced one
    ]
    code, output = _download(
        plugin_env, target_index, tmp_path / "arm", "armkit",
        "--platform", "manylinux_2_28_aarch64",
    )  # fmt: skip
    assert code == 0, output
    assert [p.name for p in (tmp_path / "arm").iterdir()] == ["armkit-1.0-py3-none-any-arm8a.whl"]
    described = properties_file(tmp_path, '[aarch64]\nversion = ["8.2a", "8.1a", "8a"]\n')
    result = plugin_env.pip(
        "download", "--no-deps", "--only-binary=:all:", "-d", tmp_path / "arm82",
        "--index-url", target_index.index_url, "armkit", "--platform", "linux_aarch64",
        wheelnext="1", env={"WHEELNEXT_PIP_VARIANT_PROPERTIES_FILE": str(described)},
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert [p.name for p in (tmp_path / "arm82").iterdir()] == ["armkit-1.0-py3-none-any-arm82.whl"]
    explained = plugin_env.run(
        ["-m", "wheelnext_pip", "explain", "vpkg", "--index-url", target_index.index_url,
         "--platform", "linux_x86_64", "--only-binary=:all:"],
        wheelnext="1",
    )  # fmt: skip
    assert (
        "  x86_64 properties: built-in, baseline of the explicit target --platform linux_x86_64"
        in explained.stdout
    ), explained.stdout


@pytest.fixture(scope="module")
def broken_metadata_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IndexServer]:
    """vpkg 1.0 whose ``-variants.json`` is not the file the index's hash names."""
    root = tmp_path_factory.mktemp("broken-metadata-index")
    d = root / "dists"
    wheels = [variant_wheel(d, "vpkg", "1.0", label, VPKG_VARIANTS) for label in VPKG_VARIANTS]
    wheels.append(make_wheel(d, "vpkg", "1.0"))
    metadata = metadata_file(d, "vpkg", "1.0", VPKG_VARIANTS)
    write_simple_index(root / "www", wheels, extra_files={"vpkg": [metadata]})
    served = root / "www" / "files" / metadata.name
    served.write_text(served.read_text() + "\n")  # the index still lists the old hash
    with IndexServer(root / "www") as server:
        server.root_dir = root / "www"  # type: ignore[attr-defined]
        yield server


def test_a_metadata_hash_mismatch_skips_the_variants_or_stops_hash_checking_pip(
    plugin_env: PipEnv, broken_metadata_index: IndexServer, tmp_path: Path
) -> None:
    """Without hash checking: one warning, the variant wheels are skipped, the plain wheel is
    taken. With --require-hashes: one error line, nothing installed."""
    settings = x86(tmp_path, '"v3", "v2", "v1"')
    code, chosen, output = resolve(plugin_env, broken_metadata_index, "vpkg", settings=settings)
    assert code == 0, output
    assert chosen == {"vpkg": ("1.0", None)}
    assert "vpkg-1.0-variants.json: sha256 hash does not match the index" in output
    files = broken_metadata_index.root_dir / "files"  # type: ignore[attr-defined]
    pins = " ".join(
        f"--hash=sha256:{hashlib.sha256(path.read_bytes()).hexdigest()}"
        for path in sorted(files.glob("vpkg-1.0-*.whl"))
    )
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(f"vpkg==1.0 {pins}\n")
    target = tmp_path / "target"
    result = plugin_env.pip(
        "install", "--require-hashes", "-r", requirements, "--target", target,
        "--index-url", broken_metadata_index.index_url, wheelnext="1", env=settings,
    )  # fmt: skip
    assert result.returncode == 1, result.stdout + result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("ERROR:")]
    assert len(errors) == 1, result.stderr
    assert "sha256 hash does not match the index (pip checks hashes" in errors[0]
    assert "Traceback" not in result.stderr
    assert not target.exists() or not any(target.iterdir())


def test_a_metadata_server_error_skips_the_variants(
    plugin_env: PipEnv, variant_index: IndexServer, tmp_path: Path
) -> None:
    """A 5xx for the ``-variants.json`` (after pip's retries) is one warning; the variant
    wheels are skipped and the release's plain wheel is taken."""
    variant_index.fail("/files/vpkg-1.0-variants.json", 503)
    try:
        report_file = tmp_path / "report.json"
        result = plugin_env.pip(
            "install", "--dry-run", "--retries", "0", "--report", report_file,
            "--index-url", variant_index.index_url, "vpkg",
            wheelnext="1", env=x86(tmp_path, '"v3", "v2", "v1"'),
        )  # fmt: skip
    finally:
        variant_index.reset_faults()
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    (item,) = json.loads(report_file.read_text())["install"]
    assert item["download_info"]["url"].endswith("/vpkg-1.0-py3-none-any.whl")
    assert "vpkg-1.0-variants.json: cannot be fetched" in output
    assert "its variant wheels are skipped" in output


@pytest.mark.parametrize("lie", ["properties", "label"])
def test_a_wheel_that_lies_about_its_variant_is_refused_after_download(
    plugin_env: PipEnv, tmp_path_factory: pytest.TempPathFactory, tmp_path: Path, lie: str
) -> None:
    """The index metadata says x8664v3 needs level v3; the wheel's own variant.json says
    otherwise. pip downloads it, refuses it with one line naming the file, installs nothing."""
    root = tmp_path_factory.mktemp(f"lying-{lie}")
    d = root / "dists"
    own = (
        document({"x8664v3": {"x86_64": {"level": ["v2"]}}})
        if lie == "properties"
        else document({"x8664v2": {"x86_64": {"level": ["v3"]}}})
    )
    wheels = [
        make_wheel(
            d, "vpkg", "1.0", filename="vpkg-1.0-py3-none-any-x8664v3.whl",
            extra_dist_info={"variant.json": json.dumps(own)},
        ),
        make_wheel(d, "vpkg", "1.0"),
        make_wheel(d, "other", "1.0"),
    ]  # fmt: skip
    metadata = metadata_file(d, "vpkg", "1.0", {"x8664v3": VPKG_VARIANTS["x8664v3"]})
    write_simple_index(root / "www", wheels, extra_files={"vpkg": [metadata]})
    target = tmp_path / "target"
    with IndexServer(root / "www") as index:
        result = plugin_env.pip(
            "install", "--target", target, "--index-url", index.index_url, "other", "vpkg",
            wheelnext="1", env=x86(tmp_path, '"v3", "v2", "v1"'),
        )  # fmt: skip
    assert result.returncode == 1, result.stdout + result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("ERROR:")]
    assert errors == [
        "ERROR: wheelnext-pip: vpkg-1.0-py3-none-any-x8664v3.whl does not match the variant "
        "metadata it was chosen by: " + errors[0].split("chosen by: ", 1)[1]
    ], result.stderr
    assert "Traceback" not in result.stderr
    assert not target.exists() or not any(target.iterdir())  # "other" was not installed either

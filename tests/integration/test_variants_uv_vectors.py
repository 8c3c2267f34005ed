"""uv 0.13.9's own wheel-variant install tests, restated as data
(``tests/unit/data/vectors/uv/install.json``), run through real pip with wheelnext-pip.

Each case lays out the wheels, sdists and ``-variants.json`` files of project ``ok``, serves
them the way uv's test does (a ``--find-links`` directory, a local HTTP index, the wheel's
HTTP URL, or the wheel file itself), sets the override variables uv's test sets, runs the pip
command that stands for uv's, and expects uv's result or, where the case documents a
disagreement, ours.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests._lib.builders import make_sdist, make_wheel
from tests._lib.index import IndexServer, write_simple_index
from tests._lib.pipenv import PipEnv

# What this checks is ours, not pip's: the oldest and the newest pip suffice.
pytestmark = [pytest.mark.pipmatrix, pytest.mark.pip_bounds]

VECTORS = Path(__file__).resolve().parents[1] / "unit" / "data" / "vectors" / "uv"
CASES: list[dict[str, Any]] = [
    case
    for case in json.loads((VECTORS / "install.json").read_text())["cases"]
    if case.get("kind") != "not-portable"  # uv commands or set-ups pip lacks; see "why"
]


def marked(case: dict[str, Any]) -> Any:
    """A case that shows a bug of ours is an expected failure naming it, until fixed."""
    marks = (
        [pytest.mark.xfail(strict=True, reason=case["known_bug"])] if "known_bug" in case else []
    )
    return pytest.param(case, id=case["id"], marks=marks)


def make_case_wheel(directory: Path, wheel: dict[str, Any]) -> Path:
    version, label, build = wheel["version"], wheel["label"], wheel["build"]
    tag = wheel.get("tag", "py3-none-any")
    if label is None:
        return make_wheel(directory, "ok", version, tag=tag, build_tag=build)
    filename = "-".join(["ok", version, *([build] if build else []), tag, label]) + ".whl"
    if wheel.get("renamed_plain"):
        # An ordinary wheel (no variant.json) under a variant wheel's name.
        return make_wheel(directory, "ok", version, tag=tag, filename=filename)
    text = wheel.get("variant_json_text")
    if text is None and wheel.get("variant_json") is None:
        # uv's case: a file that is not even a wheel; it must never be opened.
        path = directory / filename
        path.write_text("invalid wheel")
        return path
    files = {"ok/__init__.py": f'__version__ = "{version}"\n', **wheel.get("files", {})}
    extra = {"variant.json": text if text is not None else json.dumps(wheel["variant_json"])}
    if "files" in wheel:
        extra = {}
    return make_wheel(
        directory, "ok", version, tag=tag, filename=filename, files=files, extra_dist_info=extra
    )


def lay_out(directory: Path, case: dict[str, Any]) -> tuple[list[Path], list[Path]]:
    """Write the case's distributions and ``-variants.json`` files into ``directory``."""
    dists = [make_case_wheel(directory, wheel) for wheel in case["wheels"]]
    dists += [make_sdist(directory, "ok", version) for version in case.get("sdists", [])]
    documents = []
    for version, document in case.get("variants_json", {}).items():
        path = directory / f"ok-{version}-variants.json"
        path.write_text(json.dumps(document))
        documents.append(path)
    return dists, documents


def serve_index(root: Path, case: dict[str, Any], dists: list[Path], documents: list[Path]) -> None:
    """A static PEP 503/691 index below ``root``, altered as the case says."""
    write_simple_index(root, dists, extra_files={"ok": documents})
    files = root / "files"
    for wheel, path in zip(case["wheels"], dists):
        if wheel.get("unserved"):
            (files / path.name).unlink()  # listed on the page, 404 when fetched
    for version in case.get("stale_variants_json", []):
        served = files / f"ok-{version}-variants.json"
        served.write_text(served.read_text() + "\n")  # the page still lists the old hash
    if case.get("html_only"):
        (root / "simple" / "ok" / "index.json").unlink()
    moved, foreign = case.get("json_page_urls", {}), case.get("json_page_foreign", [])
    if moved or foreign:
        # PEP 691: a file is known by its filename field; its URL is insignificant.
        page_file = root / "simple" / "ok" / "index.json"
        page = json.loads(page_file.read_text())
        for entry in page["files"]:
            if entry["filename"] in moved:
                place = root / "simple" / "ok" / moved[entry["filename"]]
                place.parent.mkdir(parents=True, exist_ok=True)
                place.write_bytes((files / entry["filename"]).read_bytes())
                entry["url"] = moved[entry["filename"]]
        for filename in foreign:
            page["files"].append({"filename": filename, "url": filename, "hashes": {}})
        page_file.write_text(json.dumps(page))


def pip_before(env: PipEnv, version: str) -> bool:
    have = tuple(int(part) for part in env.pip_version.split(".")[:2])
    return have < tuple(int(part) for part in version.split("."))


@pytest.mark.parametrize("case", [marked(case) for case in CASES])
def test_uv_install_case(plugin_env: PipEnv, tmp_path: Path, case: dict[str, Any]) -> None:
    want = case.get("ours", case["uv"])
    command = case.get("command", "install")
    if command == "lock" and pip_before(plugin_env, "25.1"):
        pytest.skip("pip lock is new in pip 25.1")
    links = tmp_path / "links"
    links.mkdir()
    dists, documents = lay_out(links, case)
    serve = case.get("serve", "direct" if case.get("direct") else "find-links")
    with IndexServer(tmp_path / "www") as index:
        if serve in ("index", "url"):
            serve_index(tmp_path / "www", case, dists, documents)
            for prefix, status in case.get("faults", {}).items():
                index.fail(prefix, status)
        where = {
            "find-links": ["--no-index", "--find-links", str(links)],
            "index": ["--index-url", index.index_url],
        }.get(serve, [])
        requirement = case.get("requirement", "ok")
        if serve == "direct":
            requirement = str(dists[0])
        elif serve == "url":
            requirement = f"ok @ {index.url}/files/{dists[0].name}"
        run = {"wheelnext": case.get("wheelnext", "1"), "env": case["env"]}
        if command == "list-outdated":
            installed = tmp_path / "installed"
            plain = make_wheel(tmp_path / "plain", "ok", "1.0.0")
            done = plugin_env.pip("install", "--no-deps", "--target", installed, plain, **run)
            assert done.returncode == 0, done.stdout + done.stderr
            result = plugin_env.pip(
                "list", "--outdated", "--format", "json", "--path", installed, *where, **run
            )
            output = result.stdout + result.stderr
            assert result.returncode == 0, output
            assert json.loads(result.stdout.splitlines()[-1]) == want["outdated"], output
            return
        if command == "lock":
            lock_file = tmp_path / "pylock.toml"
            result = plugin_env.pip("lock", "-o", lock_file, *where, requirement, **run)
        else:
            target = ["--target", str(tmp_path / "target")] if case.get("target") else []
            report_file = tmp_path / "report.json"
            result = plugin_env.pip(
                "install", "--dry-run", "--report", report_file, *target,
                *case.get("pip_options", []), *where, requirement, **run,
            )  # fmt: skip
        requested = index.requested_paths()
    output = result.stdout + result.stderr
    assert "Traceback" not in output
    for path in want.get("never_requested", []):
        assert path not in requested, requested
    for path in want.get("requested", []):
        assert path in requested, requested
    if want.get("fails"):
        assert result.returncode != 0, output
        return
    assert result.returncode == 0, output
    if command == "lock":
        text = lock_file.read_text()
        for name in want["locked"]:
            assert name in text, text
        assert "[packages.variants-json]" in text, text
        return
    (item,) = json.loads(report_file.read_text())["install"]
    label = (item.get("wheelnext") or {}).get("variant_label")
    assert [item["metadata"]["version"], label] == want["installed"], output
    if "from" in want:
        assert item["download_info"]["url"].endswith("/" + want["from"]), item["download_info"]

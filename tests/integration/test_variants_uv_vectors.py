"""uv 0.13.9's own wheel-variant install tests, restated as data
(``tests/unit/data/vectors/uv/install.json``), run through real pip with wheelnext-pip.

Each case lays out the wheels and ``-variants.json`` files of project ``ok`` in a
``--find-links`` directory (or installs the wheel file itself), sets the override variables
uv's test sets, and expects uv's result, or, where the case documents a disagreement, ours.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests._lib.builders import make_wheel
from tests._lib.pipenv import PipEnv

# What this checks is ours, not pip's: the oldest and the newest pip suffice.
pytestmark = [pytest.mark.pipmatrix, pytest.mark.pip_bounds]

VECTORS = Path(__file__).resolve().parents[1] / "unit" / "data" / "vectors" / "uv"
CASES: list[dict[str, Any]] = json.loads((VECTORS / "install.json").read_text())["cases"]


def lay_out(directory: Path, case: dict[str, Any]) -> Path | None:
    """Write the case's files; the wheel to install directly, if the case has one."""
    direct = None
    for wheel in case["wheels"]:
        version, label, build = wheel["version"], wheel["label"], wheel["build"]
        parts = ["ok", version, *([build] if build else []), "py3", "none", "any"]
        if label is None:
            path = make_wheel(directory, "ok", version)
        elif wheel["variant_json"] is None:
            # uv's case: a file that is not even a wheel; it must never be opened.
            path = directory / ("-".join([*parts, label]) + ".whl")
            path.write_text("invalid wheel")
        else:
            path = make_wheel(
                directory,
                "ok",
                version,
                filename="-".join([*parts, label]) + ".whl",
                extra_dist_info={"variant.json": json.dumps(wheel["variant_json"])},
            )
        direct = path
    for version, document in case.get("variants_json", {}).items():
        (directory / f"ok-{version}-variants.json").write_text(json.dumps(document))
    return direct if case.get("direct") else None


@pytest.mark.parametrize("case", CASES, ids=lambda case: case["id"])
def test_uv_install_case(plugin_env: PipEnv, tmp_path: Path, case: dict[str, Any]) -> None:
    want = case.get("ours", case["uv"])
    links = tmp_path / "links"
    links.mkdir()
    direct = lay_out(links, case)
    report_file = tmp_path / "report.json"
    target = [str(direct)] if direct else ["--no-index", "--find-links", str(links), "ok"]
    result = plugin_env.pip(
        "install", "--dry-run", "--report", report_file, *target,
        wheelnext="1", env=case["env"],
    )  # fmt: skip
    output = result.stdout + result.stderr
    if want.get("fails"):
        assert result.returncode != 0, output
        assert "Traceback" not in output
        return
    assert result.returncode == 0, output
    (item,) = json.loads(report_file.read_text())["install"]
    label = (item.get("wheelnext") or {}).get("variant_label")
    assert [item["metadata"]["version"], label] == want["installed"], output

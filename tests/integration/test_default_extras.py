"""Default extras (PEP 771) through real pip and a local index, on every pip of the matrix.

Where it says something, a test also shows stock pip (the plugin off) as the baseline.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests._lib.builders import make_sdist, make_wheel
from tests._lib.index import IndexServer, write_simple_index
from tests._lib.pipenv import PipEnv

pytestmark = [pytest.mark.pipmatrix, pytest.mark.python_sensitive(oldest_only=True)]

PKG_META = [
    ("Provides-Extra", "rec"),
    ("Provides-Extra", "alt"),
    ("Provides-Extra", "add"),
    ("Default-Extra", "rec"),
]


@pytest.fixture(scope="session")
def extras_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IndexServer]:
    root = tmp_path_factory.mktemp("extras-index")
    d = root / "dists"

    def wheel(name: str, version: str = "1.0", requires=(), meta=()) -> Path:
        return make_wheel(d, name, version, requires_dist=list(requires), extra_metadata=list(meta))

    wheels = [
        wheel(
            "pkg",
            requires=[
                'dep-r; extra == "rec"',
                'dep-a; extra == "alt"',
                'pkg[rec]; extra == "add"',
                'dep-add; extra == "add"',
            ],
            meta=PKG_META,
        ),
        *(wheel(name) for name in ("dep-r", "dep-a", "dep-add", "blocked-dep")),
        wheel("needs", requires=["pkg"]),
        wheel("wantspkg2", requires=["pkg>=2"]),
        wheel("needsempty", requires=["pkg[]"]),
        wheel("top", requires=["mid"]),
        wheel("mid", requires=["pkg"]),
        wheel("topempty", requires=["midempty"]),
        wheel("midempty", requires=["pkg[]"]),
        wheel(
            "p1",
            requires=["p2", 'dep-r; extra == "rec"'],
            meta=[("Provides-Extra", "rec"), ("Default-Extra", "rec")],
        ),
        wheel("p2", requires=["p1"]),
        wheel("bt", "1.0"),
        wheel(
            "bt",
            "2.0",
            requires=['dep-r; extra == "rec"'],
            meta=[("Provides-Extra", "rec"), ("Default-Extra", "rec")],
        ),
        wheel("blocker", requires=["bt<2"]),
        wheel(
            "mk",
            requires=['dep-r; extra == "rec" and python_version >= "3.99"'],
            meta=[("Provides-Extra", "rec"), ("Default-Extra", "rec")],
        ),
        wheel("other", requires=['pkg; sys_platform == "nonexistent"']),
        wheel(
            "ghost",
            requires=['dep-r; extra == "rec"'],
            meta=[("Provides-Extra", "rec"), ("Default-Extra", "ghost")],
        ),
        wheel(
            "bpkg",
            requires=['dep-r; extra == "rec"'],
            meta=[("Provides-Extra", "rec"), ("Default-Extra", "rec")],
        ),
        # lateuser 2.0 names pkg bare but cannot be installed (no zz<1): pip tries it
        # first, so a bare pkg is seen before pkg is known to declare defaults.
        wheel("lateuser", "1.0"),
        wheel("lateuser", "2.0", requires=["pkg", "zz<1"]),
        wheel("zz", "1.0"),
        # Declares defaults, and pip's installer refuses it (a .data folder of no scheme).
        make_wheel(
            d,
            "badscheme",
            "1.0",
            requires_dist=['dep-r; extra == "rec"'],
            extra_metadata=[("Provides-Extra", "rec"), ("Default-Extra", "rec")],
            files={"badscheme/__init__.py": "", "badscheme-1.0.data/nosuchscheme/x": "x"},
        ),
        # No Default-Extra anywhere below: pip must behave (and print) exactly as stock.
        wheel("plainapp", requires=["plainlib>=1,<3", "plaindep"]),
        wheel("plainlib", "1.0", requires=["plaindep<2,>=1"]),
        wheel("plainlib", "2.0", requires=["plaindep<2,>=1", "zz<1"]),
        wheel("plaindep", "1.0"),
        wheel("plaindep", "2.0"),
    ]
    write_simple_index(root / "www", wheels)
    with IndexServer(root / "www") as server:
        server.dists = d  # type: ignore[attr-defined]
        yield server


def resolve(env: PipEnv, index: IndexServer, *args: str, wheelnext: str | None = "1"):
    result = env.pip(
        "install",
        "--dry-run",
        "--report",
        "-",
        "-q",
        "--index-url",
        index.index_url,
        *args,
        wheelnext=wheelnext,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    names = {item["metadata"]["name"] for item in report["install"]}
    return names, report, result.stderr


@pytest.mark.shared_cases
@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["pkg"], {"pkg", "dep-r"}),  # 1
        (["pkg[alt]"], {"pkg", "dep-a"}),  # 2
        (["pkg[]"], {"pkg"}),  # 3
        (["pkg[]", "needs"], {"pkg", "needs", "dep-r"}),  # 4
        (["pkg[alt]", "needs"], {"pkg", "needs", "dep-r", "dep-a"}),  # 5
        (["pkg[add]"], {"pkg", "dep-r", "dep-add"}),  # 6
        (["pkg[nonexistent]"], {"pkg"}),  # 7
        (["pkg[nonexistent,alt]"], {"pkg", "dep-a"}),  # 8
        (["top"], {"top", "mid", "pkg", "dep-r"}),  # 9
        (["topempty"], {"topempty", "midempty", "pkg"}),  # 9
        (["needsempty"], {"needsempty", "pkg"}),  # 3 via metadata
        (["p1[]"], {"p1", "p2", "dep-r"}),  # 10
        (["bt", "blocker"], {"bt", "blocker"}),  # 11 (backtracks to bt 1.0)
        (["blocker", "bt"], {"bt", "blocker"}),  # 11
        (["bt[rec]", "blocker"], {"bt", "blocker"}),  # 11 (blocker's bt<2 is bare)
        (["mk"], {"mk"}),  # 12
        (["other"], {"other"}),  # 13
        (["--no-deps", "pkg"], {"pkg"}),  # 16
    ],
)
def test_checklist_resolutions(
    plugin_env: PipEnv, extras_index: IndexServer, args: list[str], expected: set[str]
) -> None:
    names, _, _ = resolve(plugin_env, extras_index, *args)
    assert names == expected


def test_stock_baseline(plugin_env: PipEnv, extras_index: IndexServer) -> None:
    """With the plugin off, ``pkg`` and ``pkg[]`` install nothing extra."""
    for requirement in ("pkg", "pkg[]", "top"):
        names, _, _ = resolve(plugin_env, extras_index, requirement, wheelnext=None)
        assert "dep-r" not in names


def test_info_line_report_and_no_placeholder(
    plugin_env: PipEnv, extras_index: IndexServer, tmp_path: Path
) -> None:
    """One info line; report shows the defaults, never the placeholder."""
    report_file = tmp_path / "report.json"
    result = plugin_env.pip(
        "install",
        "--dry-run",
        "--report",
        report_file,
        "--index-url",
        extras_index.index_url,
        "pkg",
        wheelnext="1",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("pkg: default extras [rec] added (PEP 771)") == 1
    report = json.loads(report_file.read_text())
    items = {item["metadata"]["name"]: item for item in report["install"]}
    assert items["pkg"]["wheelnext"]["default_extras"] == ["rec"]
    assert items["dep-r"]["wheelnext"]["default_extras"] == []
    assert "x-pep771-default" not in result.stdout + result.stderr + report_file.read_text()
    assert "requested_extras" not in items["pkg"]
    _, report, _ = resolve(plugin_env, extras_index, "pkg[alt]")
    (item,) = [i for i in report["install"] if i["metadata"]["name"] == "pkg"]
    assert item["requested_extras"] == ["alt"]


def test_backtracking_takes_the_defaults_of_the_chosen_version(
    plugin_env: PipEnv, extras_index: IndexServer
) -> None:
    """bt 2.0 has defaults, bt 1.0 none; the blocker forces 1.0."""
    _, report, _ = resolve(plugin_env, extras_index, "bt", "blocker")
    versions = {i["metadata"]["name"]: i["metadata"]["version"] for i in report["install"]}
    assert versions["bt"] == "1.0"


def test_base_requirement_points_only_where_pip_lacks_them(plugin_env: PipEnv) -> None:
    """pip <= 23.2 does not give resolvelib the base of an extras requirement with a
    specifier (23.3+ does); two optional points add it there and say why they are skipped
    elsewhere."""
    result = plugin_env.run(["-m", "wheelnext_pip", "doctor", "--json"], wheelnext="1")
    assert result.returncode == 0, result.stdout + result.stderr
    (entry,) = [e for e in json.loads(result.stdout)["patch_sets"] if e["name"] == "default-extras"]
    assert entry["active"], entry
    points = {point["key"]: point for point in entry["points"]}
    release = tuple(int(part) for part in plugin_env.pip_version.split(".")[:2])
    for key in (
        "resolution.resolvelib.provider:PipProvider.get_dependencies",
        "resolution.resolvelib.factory:Factory.collect_root_requirements",
    ):
        if release < (23, 3):
            assert points[key]["state"] == "applied", points[key]
        else:
            assert points[key]["state"] == "skipped", points[key]
            assert points[key]["reason"].startswith("not needed"), points[key]


def test_direct_url_requirements(plugin_env: PipEnv, extras_index: IndexServer) -> None:
    """``pkg @ file://`` gets the defaults, ``pkg[] @ file://`` does not."""
    (wheel,) = extras_index.dists.glob("pkg-1.0-*.whl")  # type: ignore[attr-defined]
    names, _, _ = resolve(plugin_env, extras_index, f"pkg @ {wheel.as_uri()}")
    assert names == {"pkg", "dep-r"}
    names, _, _ = resolve(plugin_env, extras_index, f"pkg[] @ {wheel.as_uri()}")
    assert names == {"pkg"}


def test_already_installed_gets_its_defaults_added(
    fresh_plugin_env: PipEnv, extras_index: IndexServer
) -> None:
    """``pkg[]`` then ``pkg``: dep-r is added, pkg is not reinstalled; freeze is clean."""
    env = fresh_plugin_env
    url = extras_index.index_url
    first = env.pip("install", "--index-url", url, "pkg[]", wheelnext="1")
    assert first.returncode == 0, first.stderr
    second = env.pip("install", "--index-url", url, "pkg", wheelnext="1")
    assert second.returncode == 0, second.stderr
    assert "Successfully installed dep-r-1.0" in second.stdout
    assert "pkg-1.0" not in second.stdout.split("Successfully installed")[-1]
    freeze = env.pip("freeze", wheelnext="1").stdout
    assert "dep-r==1.0" in freeze and "x-pep771" not in freeze
    assert env.pip("check", wheelnext="1").returncode == 0


def test_constraints_never_add_defaults(
    plugin_env: PipEnv, extras_index: IndexServer, tmp_path: Path
) -> None:
    constraints = tmp_path / "constraints.txt"
    constraints.write_text("pkg==1.0\n")
    names, _, _ = resolve(plugin_env, extras_index, "-c", str(constraints), "dep-a")
    assert names == {"dep-a"}
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("pkg[]\n")
    names, _, _ = resolve(plugin_env, extras_index, "-r", str(requirements))
    assert names == {"pkg"}


@pytest.mark.shared_cases
@pytest.mark.parametrize(
    ("value", "expected"), [(":all:", {"pkg"}), ("PKG", {"pkg"}), ("other", {"pkg", "dep-r"})]
)
def test_no_default_extras_setting(
    plugin_env: PipEnv, extras_index: IndexServer, value: str, expected: set[str]
) -> None:
    result = plugin_env.pip(
        "install",
        "--dry-run",
        "--report",
        "-",
        "-q",
        "--index-url",
        extras_index.index_url,
        "pkg",
        wheelnext="1",
        env={"WHEELNEXT_PIP_NO_DEFAULT_EXTRAS": value},
    )
    assert result.returncode == 0, result.stderr
    assert {i["metadata"]["name"] for i in json.loads(result.stdout)["install"]} == expected


def test_default_extra_not_provided_is_ignored_with_a_warning(
    plugin_env: PipEnv, extras_index: IndexServer
) -> None:
    names, _, stderr = resolve(plugin_env, extras_index, "ghost")
    assert names == {"ghost"}
    assert stderr.count("declares Default-Extra 'ghost' but no such Provides-Extra") == 1


def test_build_requirements_get_defaults(
    fresh_plugin_env: PipEnv, extras_index: IndexServer, tmp_path: Path
) -> None:
    """A bare build requirement brings its default extra into the build environment."""
    sdist = make_sdist(
        tmp_path, "builds", "1.0", build_requires=["bpkg"], import_build_requires=["dep_r"]
    )
    result = fresh_plugin_env.pip(
        "install", "--index-url", extras_index.index_url, str(sdist), wheelnext="1"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    stock = fresh_plugin_env.pip(
        "install", "--force-reinstall", "--index-url", extras_index.index_url, str(sdist)
    )
    assert stock.returncode != 0  # without defaults dep_r is missing in the build


def test_legacy_resolver_warns(plugin_env: PipEnv, extras_index: IndexServer) -> None:
    """Where pip still has the legacy resolver: one warning for a package that has
    defaults; where none has any, pip prints what stock pip prints."""

    def legacy(*requirements: str, wheelnext: str | None = "1") -> Any:
        return plugin_env.pip(
            "install", "--dry-run", "--use-deprecated=legacy-resolver",
            "--index-url", extras_index.index_url, *requirements,
            wheelnext=wheelnext,
        )  # fmt: skip

    result = legacy("pkg", "needs")
    if result.returncode == 2:  # pip's own usage error: the option is gone
        pytest.skip("this pip has no legacy resolver")
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("which pip's legacy resolver does not apply") == 1
    assert "pkg 1.0 declares default extras [rec] (PEP 771)" in result.stderr
    plain, stock = legacy("dep-a"), legacy("dep-a", wheelnext=None)
    assert plain.returncode == stock.returncode == 0
    assert _pip_lines(plain.stderr) == _pip_lines(stock.stderr)
    assert _pip_lines(plain.stdout) == _pip_lines(stock.stdout)


def test_conflict_messages_never_show_the_placeholder(
    plugin_env: PipEnv, extras_index: IndexServer
) -> None:
    """pip's resolution-conflict report names ``pkg``, as stock pip would."""
    result = plugin_env.pip(
        "install", "--dry-run", "--index-url", extras_index.index_url, "pkg", "wantspkg2",
        wheelnext="1",
    )  # fmt: skip
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "wantspkg2" in output and "pkg" in output
    assert "x-pep771-default" not in output
    assert "pkg[]" not in output


def test_a_bare_requirement_backtracked_away_adds_no_defaults(
    plugin_env: PipEnv, extras_index: IndexServer, tmp_path: Path
) -> None:
    """After backtracking: lateuser 2.0 names ``pkg`` bare before pkg is known to
    declare defaults, then is rejected; only ``pkg[]`` is left, so no defaults. (The run
    that added pkg's defaults node too early is done again with pkg known.)"""
    report_file = tmp_path / "report.json"
    result = plugin_env.pip(
        "install", "--dry-run", "--report", report_file, "-v",
        "--index-url", extras_index.index_url, "lateuser", "pkg[]",
        wheelnext="1",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "resolving again with the default extras of pkg known" in result.stdout
    report = json.loads(report_file.read_text())
    versions = {i["metadata"]["name"]: i["metadata"]["version"] for i in report["install"]}
    assert versions == {"lateuser": "1.0", "pkg": "1.0"}
    # The same graph with pkg named bare elsewhere keeps the union rule.
    names, _, _ = resolve(plugin_env, extras_index, "lateuser", "pkg[]", "needs")
    assert names == {"lateuser", "pkg", "needs", "dep-r"}


def _pip_lines(output: str) -> list[str]:
    return [line.rstrip() for line in output.splitlines() if line.strip()]


@pytest.mark.shared_cases
@pytest.mark.parametrize(
    "args",
    [
        ["plainapp"],  # "(from ...)" chains, a backtrack over plainlib 2.0
        ["PLAINLIB==1.0", "plaindep"],
        ["plainapp", "plaindep>=2"],  # a conflict report
        ["-c", "{constraints}", "plaindep"],  # a violated constraint is named as the cause
        ["{wheel}"],  # a local wheel: no "(from plainapp==1.0)" added
    ],
)
def test_without_default_extra_pip_prints_exactly_what_stock_pip_prints(
    plugin_env: PipEnv, extras_index: IndexServer, tmp_path: Path, args: list[str]
) -> None:
    """Issue 13 item 1: no package here declares Default-Extra, so the feature adds no
    node, no requirement and no change to any line pip prints."""
    constraints = tmp_path / "constraints.txt"
    constraints.write_text("plaindep<0.1\n")
    (wheel,) = extras_index.dists.glob("plainapp-1.0-*.whl")  # type: ignore[attr-defined]
    args = [a.format(constraints=constraints, wheel=wheel) for a in args]
    common = ("install", "--dry-run", "--index-url", extras_index.index_url, *args)
    ours = plugin_env.pip(*common, wheelnext="default-extras")
    shown = (ours.returncode, _pip_lines(ours.stdout), _pip_lines(ours.stderr))
    # Some pips order backtracking by object address (pip 23.0 on Python 3.9 prints one of
    # four outputs here, from run to run): ours must be one that stock pip prints. Where
    # stock pip is deterministic the first run matches (a real difference costs 100 runs).
    stock_outputs = []
    for _ in range(100):
        stock = plugin_env.pip(*common)
        stock_outputs.append((stock.returncode, _pip_lines(stock.stdout), _pip_lines(stock.stderr)))
        if stock_outputs[-1] == shown:
            break
    assert shown == stock_outputs[-1], stock_outputs[0]


def test_resolvelib_keeps_each_incompatibility_once(plugin_env: PipEnv) -> None:
    """Issue 13 item 3: on the resolvelib this pip vendors, repeated backjumps over one
    project make stock resolvelib keep the same incompatible candidates many times over;
    with default extras on, each is kept once (past a short list left as it is)."""
    script = Path(__file__).resolve().parents[1] / "_lib" / "backjumps.py"
    stock = plugin_env.run([script, "40"], check=True).stdout.split()
    guarded = plugin_env.run([script, "40", "--wheelnext"], check=True).stdout.split()
    assert stock[0] == guarded[0] == "impossible"
    stock_longest, stock_distinct = int(stock[1]), int(stock[2])
    longest, distinct = int(guarded[1]), int(guarded[2])
    assert distinct == stock_distinct == 40  # every release of a
    assert stock_longest > 10 * stock_distinct  # the weak spot is really there
    # resolvelib chains the broken and the patched list while it patches: twice at most.
    assert longest <= 2 * distinct + 32


def test_pips_errors_never_name_the_placeholder(
    fresh_plugin_env: PipEnv, extras_index: IndexServer
) -> None:
    """Issue 17 item 7: pip's "For req: ..." names the package as stock pip does, also for
    a package whose defaults were added."""
    result = fresh_plugin_env.pip(
        "install", "--index-url", extras_index.index_url, "badscheme", wheelnext="1"
    )
    assert result.returncode == 1
    assert "x-pep771-default" not in result.stdout + result.stderr
    assert "ERROR: For req: badscheme. Unknown scheme key" in result.stderr

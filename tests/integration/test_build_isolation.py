"""Per-package build isolation and passthrough through real pip, on every pip of the matrix.

Each test names the behaviour it proves in its docstring. The sdists are
built at test time; their backend logs where it ran (``sys.prefix``, ``sys.path``) and what
it imported, into the directory named by ``WNP_TEST_BACKEND_LOG``.
"""

from __future__ import annotations

import json
import os
import re
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests._lib.builders import BACKEND_LOG_ENV, make_sdist, make_wheel
from tests._lib.index import IndexServer, write_simple_index
from tests._lib.pipenv import PipEnv

pytestmark = [pytest.mark.pipmatrix, pytest.mark.python_sensitive]

NO_ISOLATION = "WHEELNEXT_PIP_NO_BUILD_ISOLATION_PACKAGE"
PASSTHROUGH = "WHEELNEXT_PIP_BUILD_ISOLATION_PASSTHROUGH"
#: The fake framework's payload: incompressible, so its download is visible in bytes too.
PAYLOAD_SIZE = 2 * 1024 * 1024


@pytest.fixture(scope="session")
def build_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IndexServer]:
    root = tmp_path_factory.mktemp("build-isolation-index")
    d = root / "dists"
    payload = os.urandom(PAYLOAD_SIZE)

    def bigdep(version: str) -> Path:
        return make_wheel(
            d,
            "bigdep",
            version,
            requires_dist=["bigdep-core>=1"],
            files={
                "bigdep/__init__.py": f'__version__ = "{version}"\nimport bigdep_core\n',
                "bigdep/payload.bin": payload,
            },
        )

    dists = [
        make_wheel(d, "bdep", "1.0"),
        make_wheel(d, "bdep", "2.0"),
        make_wheel(d, "wnp-bhelper", "1.0"),
        make_wheel(d, "wnp-bhelper", "2.0"),
        bigdep("2.4.0"),
        bigdep("2.5.0"),
        make_wheel(d, "bigdep-core", "1.0"),
        make_wheel(d, "unrelated", "1.0"),
        # A: listed in no-build-isolation-package as "Foo_Bar"; needs bdep at build time.
        make_sdist(d, "foo-bar", "1.0", build_requires=["bdep>=1"], import_build_requires=["bdep"]),
        # B: an ordinary sdist, always isolated.
        make_sdist(d, "nbi-b", "1.0", build_requires=["wnp-bhelper"]),
        # A project whose build requirement the target environment has at the wrong version.
        make_sdist(d, "conf-a", "1.0", build_requires=["bdep>=2"], import_build_requires=["bdep"]),
        # C: build-requires the framework (passthrough) and a helper (installed isolated).
        make_sdist(
            d,
            "pt-c",
            "1.0",
            build_requires=["bigdep==2.4.0", "wnp-bhelper"],
            import_build_requires=["bigdep", "bigdep_core", "wnp_bhelper"],
            probe_imports=["unrelated", "bigdep", "bigdep_core"],
        ),
        # D: declares passthrough for itself (reported, never obeyed alone).
        make_sdist(
            d,
            "pt-d",
            "1.0",
            build_requires=["bigdep==2.4.0"],
            import_build_requires=["bigdep"],
            extra_build_system='build_isolation_passthrough = ["bigdep"]',
        ),
    ]
    write_simple_index(root / "www", dists)
    with IndexServer(root / "www") as server:
        server.dists = d  # type: ignore[attr-defined]
        yield server


def pip_release(env: PipEnv) -> tuple[int, int]:
    major, minor = env.pip_version.split(".")[:2]
    return int(major), int(minor)


def backend_logs(log_dir: Path, dist: str) -> list[dict[str, Any]]:
    logs = [json.loads(path.read_text()) for path in sorted(log_dir.glob(f"{dist}-*.json"))]
    return [entry for entry in logs if entry["hook"] in ("build_wheel", "build_editable")]


def isolated(entry: dict[str, Any]) -> bool:
    return any("pip-build-env-" in path for path in entry["sys_path"]) or (
        "pip-build-env-" in entry["prefix"]
    )


def cached_wheels(cache_dir: Path) -> list[str]:
    return sorted(path.name for path in (cache_dir / "wheels").rglob("*.whl"))


def install(
    env: PipEnv,
    index: IndexServer,
    tmp_path: Path,
    *args: str | Path,
    settings: dict[str, str] | None = None,
    wheelnext: str | None = "1",
    cache: bool = False,
) -> tuple[Any, Path]:
    """``pip install`` against the index with a fresh backend log dir; returns (result, logs)."""
    logs = tmp_path / f"logs-{len(list(tmp_path.glob('logs-*')))}"
    logs.mkdir()
    extra = {BACKEND_LOG_ENV: str(logs), **(settings or {})}
    cache_args: list[str | Path] = ["--cache-dir", tmp_path / "cache"] if cache else []
    result = env.pip(
        "install",
        "--index-url",
        index.index_url,
        *cache_args,
        *args,
        env=extra,
        wheelnext=wheelnext,
    )
    return result, logs


def site_packages_of(env: PipEnv) -> str:
    return os.path.realpath(env.site_packages)


# -- no-build-isolation-package ------------------------------------------------------------


def test_listed_project_builds_in_target_environment_others_stay_isolated(
    fresh_plugin_env: PipEnv, build_index: IndexServer, tmp_path: Path
) -> None:
    """ "Foo_Bar" matches foo-bar, which builds in the venv; nbi-b stays isolated;
    foo-bar's wheel is not cached, nbi-b's is."""
    env = fresh_plugin_env
    env.pip("install", "--index-url", build_index.index_url, "bdep==1.0", check=True)
    result, logs = install(
        env,
        build_index,
        tmp_path,
        "foo-bar",
        "nbi-b",
        settings={NO_ISOLATION: "Foo_Bar"},
        cache=True,
    )
    assert result.returncode == 0, result.stderr
    assert "foo-bar: building without build isolation (no-build-isolation-package)" in (
        result.stdout
    )
    (a_log,) = backend_logs(logs, "foo_bar")[-1:]
    assert os.path.realpath(a_log["prefix"]) == os.path.realpath(env.root)
    assert not isolated(a_log)
    assert a_log["imported_files"]["bdep"].startswith(str(env.site_packages))
    b_logs = backend_logs(logs, "nbi_b")
    assert b_logs and all(isolated(entry) for entry in b_logs)
    # Only nbi-b installs build dependencies.
    assert result.stdout.count("Installing build dependencies: started") == 1, result.stdout
    wheels = cached_wheels(tmp_path / "cache")
    assert not [name for name in wheels if name.startswith("foo_bar-")], wheels
    assert [name for name in wheels if name.startswith("nbi_b-")], wheels


def test_missing_build_requirement_stops_with_one_line(
    plugin_env: PipEnv, build_index: IndexServer, tmp_path: Path
) -> None:
    """Bdep is not in the venv: one error naming bdep, foo-bar and the setting."""
    result, logs = install(
        plugin_env, build_index, tmp_path, "foo-bar", settings={NO_ISOLATION: "foo-bar"}
    )
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("ERROR:")]
    assert len(errors) == 1, result.stderr
    assert "bdep>=1" in errors[0]
    assert "foo-bar" in errors[0]
    assert "no-build-isolation-package" in errors[0]
    assert "pip install 'bdep>=1'" in errors[0]
    assert "Traceback" not in result.stderr + result.stdout
    assert not backend_logs(logs, "foo_bar")  # the backend never ran


def test_conflicting_build_requirement_warns_or_stops_with_check(
    fresh_plugin_env: PipEnv, build_index: IndexServer, tmp_path: Path
) -> None:
    """Bdep 1.0 installed, conf-a wants bdep>=2: one warning and a build; with
    --check-build-dependencies pip stops."""
    env = fresh_plugin_env
    env.pip("install", "--index-url", build_index.index_url, "bdep==1.0", check=True)
    settings = {NO_ISOLATION: "conf-a"}
    checked, _ = install(
        env, build_index, tmp_path, "--check-build-dependencies", "conf-a", settings=settings
    )
    assert checked.returncode == 1
    assert "bdep==1.0 is incompatible with bdep>=2" in checked.stderr
    assert "Traceback" not in checked.stderr
    result, logs = install(env, build_index, tmp_path, "conf-a", settings=settings)
    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if "conf-a builds without" in line]
    assert len(warnings) == 1, result.stderr
    assert "bdep==1.0 is installed but bdep>=2 is wanted" in warnings[0]
    (entry,) = backend_logs(logs, "conf_a")[-1:]
    assert not isolated(entry)


def test_unnamed_directory_and_editable_match_by_project_name(
    fresh_plugin_env: PipEnv, build_index: IndexServer, tmp_path: Path
) -> None:
    """``pip install ./dir`` matches through [project].name; ``-e ./dir`` too."""
    env = fresh_plugin_env
    env.pip("install", "--index-url", build_index.index_url, "bdep==1.0", check=True)
    sources = tmp_path / "src"
    plain = make_sdist(
        tmp_path / "sd", "dir-a", "1.0", build_requires=["bdep"], import_build_requires=["bdep"]
    )
    editable = make_sdist(
        tmp_path / "sd",
        "ed-a",
        "1.0",
        build_requires=["bdep"],
        import_build_requires=["bdep"],
        editable=True,
    )
    for sdist in (plain, editable):
        with tarfile.open(sdist) as archive:
            archive.extractall(sources)
    settings = {NO_ISOLATION: "dir-a, ed-a"}
    result, logs = install(env, build_index, tmp_path, sources / "dir_a-1.0", settings=settings)
    assert result.returncode == 0, result.stderr
    assert "dir-a: building without build isolation" in result.stdout
    (entry,) = backend_logs(logs, "dir_a")[-1:]
    assert not isolated(entry)

    result, logs = install(
        env, build_index, tmp_path, "-e", sources / "ed_a-1.0", settings=settings
    )
    assert result.returncode == 0, result.stderr
    assert "ed-a: building without build isolation" in result.stdout
    entries = backend_logs(logs, "ed_a")
    assert entries and entries[-1]["hook"] == "build_editable"
    assert not isolated(entries[-1])


def test_venv_isolation(fresh_plugin_env: PipEnv, build_index: IndexServer, tmp_path: Path) -> None:
    """pip 26.2+ venv isolation: foo-bar builds without isolation, nbi-b in a venv;
    passthrough says in one warning that it does not apply."""
    env = fresh_plugin_env
    if pip_release(env) < (26, 2):
        pytest.skip("--use-feature=venv-isolation is new in pip 26.2")
    env.pip("install", "--index-url", build_index.index_url, "bdep==1.0", check=True)
    result, logs = install(
        env,
        build_index,
        tmp_path,
        "--use-feature=venv-isolation",
        "foo-bar",
        "nbi-b",
        settings={NO_ISOLATION: "foo-bar", PASSTHROUGH: "wnp-bhelper"},
    )
    assert result.returncode == 0, result.stderr
    (a_log,) = backend_logs(logs, "foo_bar")[-1:]
    assert os.path.realpath(a_log["prefix"]) == os.path.realpath(env.root)
    b_logs = backend_logs(logs, "nbi_b")
    assert b_logs and all("pip-build-env-" in entry["prefix"] for entry in b_logs)
    warnings = [line for line in result.stderr.splitlines() if "venv-isolation" in line]
    assert len(warnings) == 1, result.stderr
    assert "build-isolation-passthrough does not apply" in warnings[0]


def test_build_constraint_applies_to_the_others(
    fresh_plugin_env: PipEnv, build_index: IndexServer, tmp_path: Path
) -> None:
    """--build-constraint with the setting is accepted and constrains nbi-b's build."""
    env = fresh_plugin_env
    if pip_release(env) < (25, 3):
        pytest.skip("--build-constraint is new in pip 25.3")
    env.pip("install", "--index-url", build_index.index_url, "bdep==1.0", check=True)
    constraints = tmp_path / "build-constraints.txt"
    constraints.write_text("wnp-bhelper==1.0\n")
    build_index.clear_requests()
    result, _ = install(
        env,
        build_index,
        tmp_path,
        "--build-constraint",
        constraints,
        "foo-bar",
        "nbi-b",
        settings={NO_ISOLATION: "foo-bar"},
    )
    assert result.returncode == 0, result.stderr
    files = [
        path
        for path in build_index.requested_paths()
        if path.startswith("/files/wnp") and path.endswith(".whl")
    ]
    assert files == ["/files/wnp_bhelper-1.0-py3-none-any.whl"], files


def _normalized(text: str) -> list[str]:
    text = re.sub(r"/tmp/\S+", "<tmp>", text)
    text = re.sub(r"sha256=[0-9a-f]+", "sha256=<hash>", text)
    return [line for line in text.splitlines() if "DEPRECATION" not in line]


def test_feature_off_builds_like_stock_pip(
    plugin_env: PipEnv, stock_env: PipEnv, build_index: IndexServer, tmp_path: Path
) -> None:
    """The setting without the feature: foo-bar builds isolated, same output as stock."""
    outputs = []
    for env, wheelnext in ((stock_env, None), (plugin_env, "default-extras")):
        out = tmp_path / f"out-{len(outputs)}"
        result = env.pip(
            "wheel",
            "--no-deps",
            "--index-url",
            build_index.index_url,
            "-w",
            out,
            "foo-bar",
            wheelnext=wheelnext,
            env={NO_ISOLATION: "foo-bar"},
            cwd=tmp_path,
        )
        assert result.returncode == 0, result.stderr
        outputs.append(_normalized(result.stdout.replace(str(out), "<out>")))
    assert outputs[0] == outputs[1]
    assert any("Installing build dependencies" in line for line in outputs[1])


# -- passthrough -------------------------------------------------------------------------


def _host_with_bigdep(env: PipEnv, index: IndexServer, version: str) -> None:
    env.pip(
        "install", "--index-url", index.index_url, f"bigdep=={version}", "unrelated", check=True
    )


def test_passthrough_takes_the_framework_from_the_target_environment(
    fresh_plugin_env: PipEnv, build_index: IndexServer, tmp_path: Path
) -> None:
    """Bigdep 2.4.0 (and bigdep-core) come from the venv: never requested from the
    index, imported from the venv's site-packages; unrelated stays invisible; wnp-bhelper
    installs isolated; pt-c's wheel is not cached."""
    env = fresh_plugin_env
    _host_with_bigdep(env, build_index, "2.4.0")
    build_index.clear_requests()
    result, logs = install(
        env,
        build_index,
        tmp_path,
        "--check-build-dependencies",  # pip's own check sees the passed-through copies
        "pt-c",
        settings={PASSTHROUGH: "bigdep"},
        cache=True,
    )
    assert result.returncode == 0, result.stderr
    assert build_index.project_requests("bigdep") == []
    assert build_index.project_requests("bigdep-core") == []
    assert not [p for p in build_index.requested_paths() if p.startswith("/files/bigdep")]
    assert build_index.project_requests("wnp-bhelper")
    assert (
        "pt-c: build requirement bigdep 2.4.0 taken from the target environment "
        "(build-isolation-passthrough), with bigdep-core 1.0"
    ) in result.stdout
    entries = backend_logs(logs, "pt_c")
    assert entries
    site = site_packages_of(env)
    for entry in entries:
        assert isolated(entry)
        probes = entry["probe_imports"]
        assert probes["unrelated"] is None
        assert probes["bigdep"] == os.path.join(site, "bigdep", "__init__.py")
        assert probes["bigdep_core"] == os.path.join(site, "bigdep_core", "__init__.py")
        assert "pip-build-env-" in entry["imported_files"]["wnp_bhelper"]
    wheels = cached_wheels(tmp_path / "cache")
    assert not [name for name in wheels if name.startswith("pt_c-")], wheels
    # The host's framework is intact after the build environment was removed.
    assert (Path(site) / "bigdep" / "payload.bin").stat().st_size == PAYLOAD_SIZE


def test_passthrough_falls_back_when_the_version_does_not_match(
    fresh_plugin_env: PipEnv, build_index: IndexServer, tmp_path: Path
) -> None:
    """Host bigdep 2.5.0 vs bigdep==2.4.0: installed isolated, with one info line."""
    env = fresh_plugin_env
    _host_with_bigdep(env, build_index, "2.5.0")
    build_index.clear_requests()
    result, logs = install(env, build_index, tmp_path, "pt-c", settings={PASSTHROUGH: "bigdep"})
    assert result.returncode == 0, result.stderr
    assert "/files/bigdep-2.4.0-py3-none-any.whl" in build_index.requested_paths()
    lines = [
        line.strip() for line in result.stdout.splitlines() if "build-isolation-passthrough" in line
    ]
    assert lines == [
        "pt-c: build requirement bigdep is installed into the isolated build environment, "
        "not taken from the target environment (build-isolation-passthrough): the installed "
        "bigdep 2.5.0 does not satisfy bigdep==2.4.0"
    ]
    for entry in backend_logs(logs, "pt_c"):
        assert "pip-build-env-" in entry["imported_files"]["bigdep"]


def test_declared_passthrough_is_only_reported(
    fresh_plugin_env: PipEnv, build_index: IndexServer, tmp_path: Path
) -> None:
    """Pt-d declares build_isolation_passthrough, the setting is empty: stock behaviour
    plus one info line naming the setting."""
    env = fresh_plugin_env
    _host_with_bigdep(env, build_index, "2.4.0")
    build_index.clear_requests()
    result, logs = install(env, build_index, tmp_path, "pt-d")
    assert result.returncode == 0, result.stderr
    assert "/files/bigdep-2.4.0-py3-none-any.whl" in build_index.requested_paths()
    lines = [line for line in result.stdout.splitlines() if "declares" in line]
    assert len(lines) == 1, result.stdout
    assert "build-isolation-passthrough" in lines[0]
    assert "WHEELNEXT_PIP_BUILD_ISOLATION_PASSTHROUGH" in lines[0]
    for entry in backend_logs(logs, "pt_d"):
        assert "pip-build-env-" in entry["imported_files"]["bigdep"]


def test_passthrough_with_inprocess_build_deps(
    fresh_plugin_env: PipEnv, build_index: IndexServer, tmp_path: Path
) -> None:
    """pip 26.0+ in-process build dependency installs: the passthrough applies the same."""
    env = fresh_plugin_env
    if pip_release(env) < (26, 0):
        pytest.skip("--use-feature=inprocess-build-deps is new in pip 26.0")
    _host_with_bigdep(env, build_index, "2.4.0")
    build_index.clear_requests()
    result, logs = install(
        env,
        build_index,
        tmp_path,
        "--use-feature=inprocess-build-deps",
        "pt-c",
        settings={PASSTHROUGH: "bigdep"},
    )
    assert result.returncode == 0, result.stderr
    assert build_index.project_requests("bigdep") == []
    site = site_packages_of(env)
    for entry in backend_logs(logs, "pt_c"):
        assert entry["probe_imports"]["bigdep"] == os.path.join(site, "bigdep", "__init__.py")
        assert entry["probe_imports"]["unrelated"] is None


def test_passthrough_looks_in_the_install_target_first(
    fresh_plugin_env: PipEnv, build_index: IndexServer, tmp_path: Path
) -> None:
    """Which host: with --target, the framework installed there is the host copy."""
    env = fresh_plugin_env
    target = tmp_path / "target"
    env.pip(
        "install", "--index-url", build_index.index_url, "--target", str(target),
        "bigdep==2.4.0", check=True,
    )  # fmt: skip
    build_index.clear_requests()
    result, logs = install(
        env, build_index, tmp_path, "--target", str(target), "pt-c",
        settings={PASSTHROUGH: "bigdep"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "pt-c: build requirement bigdep 2.4.0 taken from the target environment" in (
        result.stdout
    )
    assert build_index.project_requests("bigdep") == []
    for entry in backend_logs(logs, "pt_c"):
        assert entry["probe_imports"]["bigdep"] == os.path.join(
            os.path.realpath(target), "bigdep", "__init__.py"
        )

"""The foundation's contract, through real pip, on every pip of the matrix."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from tests._lib.builders import make_sdist
from tests._lib.index import IndexServer
from tests._lib.pipenv import PipEnv, hermetic_environ, modules_imported_by_pip

pytestmark = [pytest.mark.pipmatrix, pytest.mark.python_sensitive]

REPORT_KEYS = {"variant_label", "variant_properties", "index_group", "index_url", "default_extras"}


def events(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


def dry_run_report(pip_env: PipEnv, index: IndexServer, *extra: str, **kwargs: object):
    return pip_env.pip(
        "install",
        "--dry-run",
        "--quiet",
        "--report",
        "-",
        "--index-url",
        index.index_url,
        "alpha",
        *extra,
        **kwargs,
    )


def test_off_is_byte_identical_to_stock(
    plugin_env: PipEnv, stock_env: PipEnv, small_index: IndexServer
) -> None:
    stock = dry_run_report(stock_env, small_index)
    assert stock.returncode == 0, stock.stderr
    for off in (None, "", "0", "off", "False"):
        ours = dry_run_report(plugin_env, small_index, wheelnext=off)
        assert ours.returncode == 0, ours.stderr
        assert ours.stdout == stock.stdout
        assert ours.stderr == stock.stderr


def test_on_report_items_carry_a_wheelnext_object(
    plugin_env: PipEnv, small_index: IndexServer
) -> None:
    result = dry_run_report(plugin_env, small_index, wheelnext="1")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    report = json.loads(result.stdout)
    assert [item["metadata"]["name"] for item in report["install"]] == ["alpha", "beta"]
    for item in report["install"]:
        assert item["wheelnext"] == {
            "variant_label": None,
            "variant_properties": [],
            "index_group": None,
            "index_url": None,
            "default_extras": [],
        }


def test_doctor_json_lists_every_patch_as_applied(plugin_env: PipEnv) -> None:
    result = plugin_env.run(["-m", "wheelnext_pip", "doctor", "--json"], wheelnext="1")
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] is True
    assert report["pip"]["version"] == plugin_env.pip_version
    assert report["pip"]["support"] == "supported"
    assert report["activation"]["on"] is True
    assert {Path(f["path"]).name for f in report["activation"]["start_files"]} == {
        "wheelnext_pip.pth",
        "wheelnext_pip.start",
    }
    points = [point for entry in report["patch_sets"] for point in entry["points"]]
    assert points, report
    for point in points:  # optional points may be absent from (or not needed by) this pip
        assert point["state"] == "applied" or not point["required"], point
    assert all(entry["active"] for entry in report["patch_sets"])
    assert set(report["settings"]["values"]) >= {"index-groups", "symlink-fallback"}


def test_doctor_human_output_and_failing_exit(plugin_env: PipEnv) -> None:
    result = plugin_env.run(["-m", "wheelnext_pip", "doctor"], wheelnext="1")
    assert result.returncode == 0
    assert "applied   cli.base_command:Command.main" in result.stdout
    bad = plugin_env.run(
        ["-m", "wheelnext_pip", "doctor"],
        wheelnext="1",
        env={"WHEELNEXT_PIP_INDEX_STRATEGY": "newest"},
    )
    assert bad.returncode == 1
    assert "index-strategy (from environment variable WHEELNEXT_PIP_INDEX_STRATEGY)" in bad.stdout


def test_unknown_switch_value_stops_pip_with_one_line(
    plugin_env: PipEnv, small_index: IndexServer
) -> None:
    small_index.clear_requests()
    result = dry_run_report(plugin_env, small_index, wheelnext="variantz")
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("ERROR: wheelnext-pip: WHEELNEXT_PIP (from environment): ")
    assert "unknown value 'variantz'" in lines[0]
    assert "variants, default-extras, index-groups, symlinks, build-isolation" in lines[0]
    assert small_index.project_requests("alpha") == []  # stopped before resolving


def test_pip_config_only_warns_so_a_bad_setting_can_be_removed(
    plugin_env: PipEnv, tmp_path: Path
) -> None:
    config = tmp_path / "pip.conf"
    config.write_text("[wheelnext]\nindex-strategy = newest\n")
    listed = plugin_env.pip("config", "list", wheelnext="1", config_file=config)
    assert listed.returncode == 0, listed.stderr
    assert "wheelnext.index-strategy='newest'" in listed.stdout
    assert "WARNING: wheelnext-pip: index-strategy (from config file" in listed.stderr
    installed = plugin_env.pip("install", "--dry-run", "nothing", wheelnext="1", config_file=config)
    assert installed.returncode == 1
    assert installed.stderr.strip() == (
        f"ERROR: wheelnext-pip: index-strategy (from config file {config} [wheelnext] "
        "index-strategy): invalid value 'newest' (expected one of: first-match, fallthrough)"
    )


def test_settings_come_through_pip_config_scopes(plugin_env: PipEnv, tmp_path: Path) -> None:
    """User config is honoured, ``--isolated`` skips it, the environment wins over it."""
    user_config = tmp_path / "xdg" / "pip" / "pip.conf"
    user_config.parent.mkdir(parents=True)
    user_config.write_text("[wheelnext]\nsymlink-fallback = sideways\n")
    env = {"XDG_CONFIG_HOME": str(tmp_path / "xdg"), "HOME": str(tmp_path)}
    missing = tmp_path / "no-such-pip.conf"  # lets pip read the user file
    args = ("install", "--dry-run", "--no-index", "nothing-at-all")
    broken = plugin_env.pip(*args, wheelnext="1", env=env, config_file=missing)
    assert broken.returncode == 1
    assert f"symlink-fallback (from config file {user_config}" in broken.stderr
    isolated = plugin_env.pip("--isolated", *args, wheelnext="1", env=env, config_file=missing)
    assert "wheelnext-pip" not in isolated.stderr
    overridden = plugin_env.pip(
        *args,
        wheelnext="1",
        config_file=missing,
        env={**env, "WHEELNEXT_PIP_SYMLINK_FALLBACK": "copy"},
    )
    assert "wheelnext-pip" not in overridden.stderr
    doctor = plugin_env.run(
        ["-m", "wheelnext_pip", "doctor", "--json"],
        wheelnext="1",
        config_file=missing,
        env={**env, "WHEELNEXT_PIP_SYMLINK_FALLBACK": "copy"},
    )
    values = json.loads(doctor.stdout)["settings"]["values"]
    assert values["symlink-fallback"] == {
        "value": "copy",
        "source": "environment variable WHEELNEXT_PIP_SYMLINK_FALLBACK",
    }


def test_hooks_apply_once_although_the_pth_runs_twice(
    plugin_env: PipEnv, small_index: IndexServer, tmp_path: Path
) -> None:
    log = tmp_path / "events.jsonl"
    result = dry_run_report(
        plugin_env, small_index, wheelnext="1", env={"WHEELNEXT_PIP_EVENT_LOG": str(log)}
    )
    assert result.returncode == 0, result.stderr
    seen = events(log)
    assert [event["event"] for event in seen] == ["activate", "cli", "command"]
    command = seen[-1]
    assert command["command"] == "install"
    assert len(command["applied"]) == len(set(command["applied"]))
    assert (
        "report/models.installation_report:InstallationReport._install_req_to_dict"
        in command["applied"]
    )


def test_pip_console_script_is_detected(plugin_env: PipEnv, tmp_path: Path) -> None:
    clone = plugin_env.clone(tmp_path / "venv")
    script = clone.write_pip_script("pip3")
    log = tmp_path / "events.jsonl"
    result = clone.run(
        ["list"], executable=script, wheelnext="1", env={"WHEELNEXT_PIP_EVENT_LOG": str(log)}
    )
    assert result.returncode == 0, result.stderr
    assert [event["event"] for event in events(log)] == ["activate", "cli", "command"]


def test_non_pip_processes_import_nothing(plugin_env: PipEnv) -> None:
    code = (
        "import sys; print(sorted(m for m in sys.modules if m.startswith(('wheelnext', 'wrapt'))))"
    )
    off = plugin_env.run(["-c", code])
    assert off.stdout.strip() == "[]"
    on = plugin_env.run(["-c", code], wheelnext="1")
    assert on.stdout.strip() == "[]"
    assert on.stderr == ""
    # An off value reaches the bootstrap (the start-up line only looks the variable up),
    # which leaves nothing behind, in pip too.
    for value in ("0", "off", " FALSE ", ""):
        assert plugin_env.run(["-c", code], wheelnext=value).stdout.strip() == "[]", value
        pip_run = plugin_env.run(["-c", f"import pip._internal.cli.main; {code}"], wheelnext=value)
        assert pip_run.stdout.strip() == "[]", (value, pip_run.stderr)
    importtime = plugin_env.run(["-X", "importtime", "-c", "pass"], wheelnext="1")
    imported = {line.rsplit("|", 1)[-1].strip() for line in importtime.stderr.splitlines()}
    assert "wheelnext_pip._activate" not in imported
    assert not any(name.startswith("wrapt") for name in imported)


def test_stale_pth_after_the_package_is_gone_is_silent(plugin_env: PipEnv, tmp_path: Path) -> None:
    clone = plugin_env.clone(tmp_path / "venv")
    for path in clone.site_packages.glob("wheelnext_pip*"):
        if path.is_dir():
            shutil.rmtree(path)
    assert (clone.site_packages / "wheelnext_pip.pth").exists()
    for code in (["-c", "print('ok')"], ["-m", "pip", "--version"]):
        result = clone.run(code, wheelnext="1")
        assert result.returncode == 0
        assert result.stderr == ""
    assert clone.run(["-c", "print('ok')"], wheelnext="1").stdout == "ok\n"


def test_uninstall_removes_the_start_files(plugin_env: PipEnv, tmp_path: Path) -> None:
    clone = plugin_env.clone(tmp_path / "venv")
    result = clone.pip("uninstall", "-y", "wheelnext-pip", wheelnext="1")
    assert result.returncode == 0, result.stderr
    assert not (clone.site_packages / "wheelnext_pip.pth").exists()
    assert not (clone.site_packages / "wheelnext_pip.start").exists()
    after = clone.pip("--version", wheelnext="1")
    assert after.returncode == 0 and after.stderr == ""


def test_real_install_with_import_guard_and_clean_build_backend(
    plugin_env: PipEnv, small_index: IndexServer, tmp_path: Path
) -> None:
    """An sdist with a build requirement: pip's __pip-runner__ child activates, the
    isolated backend stays clean, and pip 26.1+'s import guard has nothing to say."""
    clone = plugin_env.clone(tmp_path / "venv")
    sdist = make_sdist(tmp_path / "dist", "gamma", "1.0", build_requires=["wnp-build-helper"])
    backend_log = tmp_path / "backend"
    backend_log.mkdir()
    log = tmp_path / "events.jsonl"
    result = clone.pip(
        "install",
        "--index-url",
        small_index.index_url,
        str(sdist),
        "alpha",
        wheelnext="1",
        env={"WHEELNEXT_PIP_EVENT_LOG": str(log), "WNP_TEST_BACKEND_LOG": str(backend_log)},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Unexpected import" not in result.stderr
    assert "BlockedImportError" not in result.stderr + result.stdout
    assert "Successfully installed alpha-2.0 beta-2.1 gamma-1.0" in result.stdout

    commands = [e for e in events(log) if e["event"] == "command"]
    main_pid = commands[0]["pid"]  # the parent starts its command before the child exists
    children = [e for e in commands if e["pid"] != main_pid and "--prefix" in e["argv"]]
    assert len(children) == 1, commands  # the build-dependency installer (__pip-runner__)
    assert children[0]["command"] == "install"
    has_eager_list = tuple(map(int, plugin_env.pip_version.split(".")[:2])) >= (26, 3)
    assert {e["eager_imports_registered"] for e in commands} == {has_eager_list}

    records = [json.loads(p.read_text()) for p in backend_log.glob("gamma-*.json")]
    assert records
    for record in records:
        leaked = [m for m in record["modules"] if m.startswith(("wheelnext_pip", "wrapt"))]
        assert leaked == []


def test_python_m_wheelnext_pip_install_needs_no_pth(
    plugin_env: PipEnv, small_index: IndexServer, tmp_path: Path
) -> None:
    clone = plugin_env.clone(tmp_path / "venv")
    (clone.site_packages / "wheelnext_pip.pth").unlink()
    (clone.site_packages / "wheelnext_pip.start").unlink()
    for command in (["-m", "wheelnext_pip"], [str(clone.root / "bin" / "wheelnext-pip")]):
        args = [
            *command,
            "install",
            "--dry-run",
            "-q",
            "--report",
            "-",
            "--index-url",
            small_index.index_url,
            "alpha",
        ]
        is_module = command[0] == "-m"
        result = clone.run(args) if is_module else clone.run(args[1:], executable=args[0])
        assert result.returncode == 0, result.stderr
        report = json.loads(result.stdout)
        assert set(report["install"][0]["wheelnext"]) == REPORT_KEYS


def test_unsupported_pip_warns_once_then_runs_stock(
    plugin_env: PipEnv, small_index: IndexServer, tmp_path: Path
) -> None:
    clone = plugin_env.clone(tmp_path / "venv")
    init = clone.site_packages / "pip" / "__init__.py"
    text = init.read_text()
    init.unlink()  # a clone shares pip's files with its template (hard links): a new file
    init.write_text(re.sub(r'__version__ = "[^"]+"', '__version__ = "27.0"', text))
    result = dry_run_report(clone, small_index, wheelnext="1")
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == [
        "WARNING: wheelnext-pip: pip 27.0 is outside the supported range "
        "(23.0 to 26.x, 22.3 best effort); pip runs as stock pip"
    ]
    assert "wheelnext" not in json.loads(result.stdout)["install"][0]
    quiet = dry_run_report(clone, small_index, "-q", wheelnext="1")
    assert quiet.stderr == ""


def test_sitecustomize_on_pythonpath_activates_and_chains(
    stock_env: PipEnv,
    small_index: IndexServer,
    project_wheel: Path,
    wheelhouse: Path,
    tmp_path: Path,
) -> None:
    target = tmp_path / "target"
    stock_env.pip(
        "install",
        "--no-index",
        "--find-links",
        wheelhouse,
        "--target",
        target,
        project_wheel,
        check=True,
    )
    other = tmp_path / "other"
    other.mkdir()
    marker = tmp_path / "chained"
    (other / "sitecustomize.py").write_text(f"open({str(marker)!r}, 'w').close()\n")
    pythonpath = f"{target / 'wheelnext_pip' / '_sitecustomize'}:{other}"
    result = dry_run_report(stock_env, small_index, wheelnext="1", env={"PYTHONPATH": pythonpath})
    assert result.returncode == 0, result.stderr
    assert set(json.loads(result.stdout)["install"][0]["wheelnext"]) == REPORT_KEYS
    assert marker.exists()
    marker.unlink()
    off = dry_run_report(stock_env, small_index, env={"PYTHONPATH": pythonpath})
    assert "wheelnext" not in json.loads(off.stdout)["install"][0]
    assert marker.exists()


@pytest.mark.shared_cases
@pytest.mark.parametrize(
    "groups",
    [
        "corp = https://alice:s3cret@corp.invalid/simple",  # valid: doctor lists it
        "corp = https://alice:s3cret@corp.invalid:99x/simple",  # malformed port
        "corp = ftp://alice:s3cret@corp.invalid/simple",  # not http(s)
        "https://alice:s3cret@corp.invalid/simple",  # no NAME =
        "a = https://tok3n-s3cret@corp.invalid/simple; b = https://tok3n-s3cret@corp.invalid/simple",
    ],
)
def test_index_passwords_are_never_printed(plugin_env: PipEnv, groups: str) -> None:
    """Issue 17 item 3: settings errors, ``doctor`` and ``doctor --json`` show index URLs
    as pip does, with the password (or a lone token) as ``****``."""
    settings = {"WHEELNEXT_PIP_INDEX_GROUPS": groups}
    runs = [
        plugin_env.run(["-m", "wheelnext_pip", "doctor"], wheelnext="1", env=settings),
        plugin_env.run(["-m", "wheelnext_pip", "doctor", "--json"], wheelnext="1", env=settings),
        plugin_env.pip("install", "--dry-run", "--no-index", "x", wheelnext="1", env=settings),
    ]
    for result in runs:
        output = result.stdout + result.stderr
        assert "s3cret" not in output, output
        assert "corp.invalid" in output  # the URL itself is still named
    assert "****@corp.invalid" in runs[0].stdout + runs[0].stderr


@pytest.mark.shared_cases
@pytest.mark.parametrize("section", ["WheelNext", "WHEELNEXT", " wheelnext"])
def test_a_misspelt_wheelnext_section_is_an_error_naming_the_file(
    plugin_env: PipEnv, tmp_path: Path, section: str
) -> None:
    """Issue 17 item 6: a section pip would silently ignore stops pip; ``pip config`` only
    warns, so the file can still be mended with it."""
    config = tmp_path / "pip.conf"
    config.write_text(f"[{section}]\nindex-pins = corp-utils=corp\n")
    installed = plugin_env.pip("install", "--dry-run", "nothing", wheelnext="1", config_file=config)
    assert installed.returncode == 1
    lines = installed.stderr.strip().splitlines()
    assert len(lines) == 1, installed.stderr
    assert str(config) in lines[0] and "reads only [wheelnext]" in lines[0]
    listed = plugin_env.pip("config", "list", wheelnext="1", config_file=config)
    assert listed.returncode == 0, listed.stderr
    assert "reads only [wheelnext]" in listed.stderr
    stock = plugin_env.pip("install", "--dry-run", "--no-index", "nothing", config_file=config)
    assert "wheelnext" not in stock.stderr  # the variable unset: pip is stock pip


@pytest.mark.shared_cases
@pytest.mark.parametrize(
    "content",
    [
        "[x86_64\nlevel = ['v3']\n",  # invalid TOML
        "[x86_64]\nlevel = " + "[" * 3000 + "]" * 3000 + "\n",  # nested thousands deep
        "[x86_64]\nlevel = 3\n",  # not an array of strings
    ],
    ids=["invalid", "deep", "wrong-type"],
)
def test_a_broken_properties_file_stops_the_command_at_its_start(
    plugin_env: PipEnv, small_index: IndexServer, tmp_path: Path, content: str
) -> None:
    """Issue 17 items 4 and 6: also when nothing installed has variant wheels; one line
    naming the setting, no traceback, no request to the index."""
    properties = tmp_path / "machine.toml"
    properties.write_text(content)
    small_index.clear_requests()
    result = plugin_env.pip(
        "install", "--dry-run", "--index-url", small_index.index_url, "alpha",
        wheelnext="1", env={"WHEELNEXT_PIP_VARIANT_PROPERTIES_FILE": str(properties)},
    )  # fmt: skip
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"ERROR: wheelnext-pip: variant-properties-file ({properties})")
    assert small_index.project_requests("alpha") == []


def test_no_password_in_verbose_output_report_or_explain(
    plugin_env: PipEnv, small_index: IndexServer, tmp_path: Path
) -> None:
    """Issue 17 item 3: an index group whose URL carries a password; it never appears in
    ``-v`` output, ``--report`` or ``explain`` (pip's own lines show ``****``, as ours)."""
    secret_url = small_index.index_url.replace("http://", "http://alice:s3cret@")
    settings = {
        "WHEELNEXT_PIP_INDEX_GROUPS": f"corp = {secret_url}",
        "WHEELNEXT_PIP_INDEX_PINS": "alpha=corp",
    }
    report = tmp_path / "report.json"
    result = plugin_env.pip(
        "install", "--dry-run", "-v", "--report", report, "--index-url", small_index.index_url,
        "alpha",
        wheelnext="1", env=settings,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    explained = plugin_env.run(
        ["-m", "wheelnext_pip", "explain", "alpha", "--index-url", small_index.index_url],
        wheelnext="1",
        env=settings,
    )
    for text in (
        result.stdout,
        result.stderr,
        report.read_text(),
        explained.stdout + explained.stderr,
    ):
        assert "s3cret" not in text
    assert "index group 'corp'" in result.stdout


def test_doctor_says_what_is_true(plugin_env: PipEnv, tmp_path: Path) -> None:
    """Issue 16 item 3: off when the variable is unset; NOT OK (exit 1) for a broken
    properties file or override variable; each problem listed once."""
    unset = plugin_env.run(["-m", "wheelnext_pip", "doctor", "--json"])
    report = json.loads(unset.stdout)
    assert not any(feature["active"] for feature in report["features"])
    human = plugin_env.run(["-m", "wheelnext_pip", "doctor"]).stdout
    assert "variants         off (WHEELNEXT_PIP is not set)" in human
    assert "(not requested)" not in human and " active (" not in human

    broken = tmp_path / "machine.toml"
    broken.write_text("[x86_64\n")
    for env in (
        {"WHEELNEXT_PIP_VARIANT_PROPERTIES_FILE": str(broken)},
        {"NV_VARIANT_PROVIDER_FORCE_CUDA_DRIVER_VERSION": "twelve"},
    ):
        result = plugin_env.run(["-m", "wheelnext_pip", "doctor"], wheelnext="1", env=env)
        assert result.returncode == 1, result.stdout
        assert result.stdout.rstrip().endswith("NOT OK")
        problems = result.stdout.split("problems:\n", 1)[1].splitlines()[:-1]
        assert len(problems) == 1, problems

    typo = plugin_env.run(["-m", "wheelnext_pip", "doctor"], wheelnext="variantz")
    assert typo.returncode == 1
    problems = typo.stdout.split("problems:\n", 1)[1].splitlines()[:-1]
    assert len(problems) == 1, problems


_DEACTIVATE_SCRIPT = r"""
import gc, logging, sys, types
from wheelnext_pip import _activate
from wheelnext_pip._pip import registry

STAMP = "__wheelnext_pip_point__"

def ours(function):
    for _ in range(16):
        if function is None:
            return False
        if getattr(function, STAMP, None):
            return True
        function = getattr(function, "__wrapped__", None)
    return False

def stamped():
    found = set()
    for name, module in list(sys.modules.items()):
        if not name.startswith("pip") or not isinstance(module, types.ModuleType):
            continue
        for attribute, value in list(vars(module).items()):
            # Only functions and classes: other objects (six's lazy modules) import on access.
            if isinstance(value, types.FunctionType) and ours(value):
                found.add(f"{name}:{attribute}")
            if isinstance(value, type) and value.__module__ == name:
                for member, raw in vars(value).items():
                    if isinstance(raw, (classmethod, staticmethod)):
                        raw = raw.__func__
                    if isinstance(raw, types.FunctionType) and ours(raw):
                        found.add(f"{name}:{attribute}.{member}")
    return found

def our_filters():
    loggers = [logging.getLogger()] + [
        logger for logger in logging.Logger.manager.loggerDict.values()
        if isinstance(logger, logging.Logger)
    ]
    return sorted(
        f"{logger.name}:{type(f).__name__}" for logger in loggers for f in logger.filters
        if type(f).__module__.startswith("wheelnext_pip")
    )

_activate.activate()
from pip._internal.cli.main import main as pip_main
status = pip_main(sys.argv[1:])
before = stamped()
filters_before = our_filters()
_activate.deactivate()
after = stamped()
print("status", status)
print("before", len(before), len(filters_before))
print("after", sorted(after), our_filters())
"""


def test_deactivate_leaves_pip_as_stock(plugin_env: PipEnv, small_index: IndexServer) -> None:
    """Every patched function, the ``--python`` guard and every logging filter go."""
    result = plugin_env.run(
        [
            "-c",
            _DEACTIVATE_SCRIPT,
            "install",
            "--dry-run",
            "--quiet",
            "--index-url",
            small_index.index_url,
            "alpha",
        ],
        wheelnext="1",
    )
    assert result.returncode == 0, result.stderr
    lines = dict(line.split(" ", 1) for line in result.stdout.splitlines() if " " in line)
    assert lines["status"] == "0"
    patched, filters = (int(value) for value in lines["before"].split())
    assert patched >= 10, result.stdout  # the test sees the patches it expects to vanish
    assert filters >= 1
    assert lines["after"] == "[] []"


def _imported_modules(pip_env: PipEnv, index: IndexServer, wheelnext: str | None) -> set[str]:
    """The modules a dry run of ordinary wheels imports."""
    command = ("install", "--dry-run", "--quiet", "--index-url", index.index_url, "alpha")
    extra = {"WHEELNEXT_PIP": wheelnext} if wheelnext is not None else None
    return modules_imported_by_pip(pip_env.python, command, hermetic_environ(extra))


#: Rules that only a wheel or a command with WheelNext content needs.
RULES_NOT_NEEDED_HERE = (
    "wheelnext_pip.symlinks",
    "wheelnext_pip.build_isolation",
    "wheelnext_pip.variants.markers",
    "wheelnext_pip.variants.metadata",
    "wheelnext_pip.variants.judgment",
    "wheelnext_pip.variants.properties",
    "wheelnext_pip.variants.abi_dependency",
    "wheelnext_pip.variants.lock",
    "wheelnext_pip._pip.variant_machine",
)


def test_a_plain_dry_run_loads_no_rules_it_does_not_use(
    plugin_env: PipEnv, small_index: IndexServer
) -> None:
    """With every feature on, a dry run of wheels without WheelNext metadata imports the
    patch layer and none of the rules only such metadata needs, nor pip's wheel installer
    where pip itself imports it only to install (pip 26.3): issue 14's "a feature nobody's
    metadata uses costs nothing". What it does import defines its records with
    ``wheelnext_pip._record``: a dataclass compiles its methods at import."""
    off = _imported_modules(plugin_env, small_index, None)
    on = _imported_modules(plugin_env, small_index, "1")
    assert not {name for name in off if name.startswith("wheelnext_pip")}  # off: nothing
    ours = {name for name in on if name.startswith("wheelnext_pip")}
    assert "wheelnext_pip._pip.default_extras" in ours  # the listing sees the patch modules
    assert not set(RULES_NOT_NEEDED_HERE) & ours
    installer = "pip._internal.operations.install.wheel"
    if installer not in off:
        assert installer not in on
    for name in sorted(ours):
        relative = Path(*name.split("."))
        source = plugin_env.site_packages / relative.with_suffix(".py")
        if not source.exists():
            source = plugin_env.site_packages / relative / "__init__.py"
        assert "from dataclasses import" not in source.read_text(), name

#!/usr/bin/env python3
"""Run pip's own unit and functional tests with wheelnext-pip installed, off and on.

    python3 scripts/pip_testsuite.py              # all of tests/unit and tests/functional
    python3 scripts/pip_testsuite.py --tests tests/unit tests/functional/test_freeze.py
    python3 scripts/pip_testsuite.py --tests tests/functional -k "install and not editable"
    python3 scripts/pip_testsuite.py --tests tests/functional --runs on --reuse OLD/results

pip's tests live in its Git repository, not in its sdist, so this is run by hand (CI has no
Git access). Steps:

1. the release tag (``--tag``, default 26.2.1) is exported from ``--pip-repo`` into a work
   folder; a runner venv gets pip from that checkout and pip's ``test`` dependency group,
   and ``tests/data/common_wheels`` is filled from the ``test-common-wheels`` group (as
   pip's ``nox -s test`` does; cached per tag and Python in the test cache folder);
2. wheelnext-pip's wheel is built from this checkout;
3. the selected tests run three times: ``stock`` (wheelnext-pip nowhere), ``off`` (installed
   in the runner and, by the ``_pip_testsuite_plugin`` pytest plugin, in pip's template
   virtualenv that every functional test's venv is copied from; ``WHEELNEXT_PIP`` unset)
   and ``on`` (the same with ``WHEELNEXT_PIP=1``, which pip's harness passes on to every pip
   it runs; each activation is logged, and the run fails if none happened);
4. a table: outcome counts per run, then every test that passed in ``stock`` and failed or
   errored in ``off`` or ``on``, with the one-line reason of the failure.

Network tests (``-m network``) are deselected unless ``--network``: they reach hosts other
than PyPI. Exit status: 0 when no test passes on stock and fails with wheelnext-pip, 1 when
some do, 2 for a setup failure (one ``error:`` line).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import venv
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests._lib.pipenv import (  # noqa: E402
    build_project_wheel,
    cache_dir,
    fill_wheelhouse,
    pip_needs_python,
)

DEFAULT_PIP_REPO = Path("/work/.mirror/pypa+pip/repo")
DEFAULT_TAG = "26.2.1"
DEFAULT_TESTS = ("tests/unit", "tests/functional")
PLUGIN = Path(__file__).resolve().parent / "_pip_testsuite_plugin.py"
RUNS = ("stock", "off", "on")
FAILED = ("failed", "error")
#: Outcome order: a test reported twice (a teardown error after a pass) keeps the worst.
SEVERITY = {"passed": 0, "skipped": 1, "xfailed": 1, "failed": 2, "error": 3}
REASON_WIDTH = 200


class SetupError(Exception):
    """A step before the tests could run failed; the message is the one line printed."""


@dataclass
class Outcome:
    status: str
    reason: str = ""


@dataclass
class RunResult:
    name: str
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    seconds: float = 0.0
    exit_code: int = 0
    activations: int | None = None

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(("passed", "failed", "error", "skipped", "xfailed"), 0)
        for outcome in self.outcomes.values():
            counts[outcome.status] = counts.get(outcome.status, 0) + 1
        return counts


# --- setting up ---------------------------------------------------------------------------


#: Not passed to the tests: ``CI`` makes pip's suite re-run failures, and requests prefers
#: a CA bundle named here over pip's ``--cert`` (pip's TLS tests use their own CA).
DROPPED = (
    "PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV", "CI",
    "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE",
)  # fmt: skip


def clean_environ(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """This machine's environment without its pip settings, wheelnext-pip's or CI's."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PIP_", "WHEELNEXT_PIP")) and key not in DROPPED
    }
    env.update(extra or {})
    return env


def setup_environ() -> dict[str, str]:
    """For installs during set-up: PyPI only (no config files: no local indexes or caps),
    through this machine's CA bundle if it names one (an older bundled pip needs it)."""
    env = clean_environ({"PIP_CONFIG_FILE": os.devnull, "PIP_DISABLE_PIP_VERSION_CHECK": "1"})
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        if name in os.environ:
            env[name] = os.environ[name]
    return env


def run_step(
    what: str, command: Sequence[str | os.PathLike[str]], log: Path, **kwargs: object
) -> None:
    """Run one set-up command; on failure keep its output in ``log`` and raise SetupError
    with its last error line."""
    try:
        result = subprocess.run(
            [os.fspath(part) for part in command],
            capture_output=True,
            text=True,
            check=False,
            **kwargs,  # type: ignore[call-overload]
        )
    except OSError as exc:
        raise SetupError(f"{what}: {exc}") from None
    if result.returncode != 0:
        output = result.stderr + result.stdout
        log.write_text(output, encoding="utf-8")
        lines = [line.strip() for line in output.splitlines() if line.strip()]
        errors = [line for line in lines if line.lower().startswith("error")]
        last = (errors or lines or ["no output"])[-1]
        raise SetupError(
            f"{what} failed (exit {result.returncode}): {last} (output: {log}; --keep keeps it)"
        )


def export_tag(pip_repo: Path, tag: str, dest: Path) -> Path:
    """Export ``tag`` of the pip repository into ``dest`` (no work tree of the repo is touched)."""
    if not pip_repo.exists():
        raise SetupError(f"pip repository {pip_repo} does not exist (see --pip-repo)")
    git = ["git", f"--git-dir={pip_repo / '.git' if (pip_repo / '.git').exists() else pip_repo}"]
    check = subprocess.run(
        [*git, "rev-parse", "--verify", "--quiet", f"{tag}^{{commit}}"],
        capture_output=True,
        text=True,
        check=False,
    )
    if check.returncode != 0:
        raise SetupError(f"{pip_repo} has no tag or commit {tag!r} (see --tag)")
    dest.mkdir(parents=True)
    with subprocess.Popen([*git, "archive", "--format=tar", tag], stdout=subprocess.PIPE) as proc:
        assert proc.stdout is not None
        with tarfile.open(fileobj=proc.stdout, mode="r|") as archive:
            if hasattr(tarfile, "data_filter"):
                archive.extractall(dest, filter="data")
            else:  # Python < 3.11.4: our own repository's archive, trusted
                archive.extractall(dest)
    if proc.returncode != 0 or not (dest / "tests" / "conftest.py").is_file():
        raise SetupError(f"exporting {tag} from {pip_repo} gave no pip test suite")
    return dest


def venv_python(root: Path) -> Path:
    return root / "bin" / "python"


def prepare_runner(checkout: Path, work: Path, tag: str) -> Path:
    """A venv with pip from the checkout, pip's test dependencies and its common wheels."""
    runner = work / "runner"
    print(f"creating the runner venv {runner} ...", flush=True)
    venv.EnvBuilder(with_pip=True).create(runner)
    python = venv_python(runner)
    env = setup_environ()
    log = work / "setup-failure.log"
    print("installing pip from the checkout and pip's test dependency group ...", flush=True)
    run_step(
        "installing pip from the checkout",
        [python, "-m", "pip", "install", "-q", checkout],
        log,
        env=env,
    )
    run_step(
        "installing pip's test dependencies",
        # --upgrade: the venv's bundled setuptools (65.5 on Python 3.11) has no bdist_wheel
        # command; pip's test environments start without it and get the newest.
        [
            python,
            "-m",
            "pip",
            "install",
            "-q",
            "--upgrade",
            "--group",
            f"{checkout / 'pyproject.toml'}:test",
        ],
        log,
        env=env,
    )
    release = f"{sys.version_info[0]}.{sys.version_info[1]}"
    cached = cache_dir() / f"pip-common-wheels-{tag}-py{release}"
    if not (cached / ".complete").exists():
        print("building pip's common wheels (test-common-wheels group) ...", flush=True)
        shutil.rmtree(cached, ignore_errors=True)
        run_step(
            "building pip's common wheels",
            [
                python, "-m", "pip", "wheel", "-q", "-w", cached,
                "--group", f"{checkout / 'pyproject.toml'}:test-common-wheels",
            ],
            log,
            env=env,
        )  # fmt: skip
        (cached / ".complete").touch()
    target = checkout / "tests" / "data" / "common_wheels"
    target.mkdir(parents=True, exist_ok=True)
    for wheel in cached.glob("*.whl"):
        shutil.copy2(wheel, target / wheel.name)
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    shutil.copy2(PLUGIN, Path(site) / PLUGIN.name)
    return python


def prepare_wheelnext(work: Path) -> tuple[Path, Path]:
    """wheelnext-pip's wheel built from this checkout, and a wheelhouse with its dependencies."""
    print("building the wheelnext-pip wheel ...", flush=True)
    try:
        wheel = build_project_wheel(work / "dist", REPO)
        wheelhouse = fill_wheelhouse(work / "wheelhouse")
    except (subprocess.CalledProcessError, ValueError) as exc:
        raise SetupError(
            f"building wheelnext-pip's wheel or its wheelhouse failed: {exc}"
        ) from None
    shutil.copy2(wheel, wheelhouse / wheel.name)
    return wheelhouse / wheel.name, wheelhouse


# --- running ------------------------------------------------------------------------------


def pytest_command(
    python: Path, args: argparse.Namespace, junit: Path, basetemp: Path
) -> list[str]:
    command = [
        str(python), "-m", "pytest", *args.tests,
        "-p", "no:cacheprovider",
        "-o", "junit_family=xunit1",
        f"--junitxml={junit}",
        f"--basetemp={basetemp}",
        "-q", "--color=no",
    ]  # fmt: skip
    if args.workers > 0:
        command += ["-n", str(args.workers)]
    if not args.network:
        command += ["-m", "not network"]
    if args.k:
        command += ["-k", args.k]
    return command


def run_tests(
    name: str, python: Path, args: argparse.Namespace, work: Path, plugin: Sequence[str]
) -> RunResult:
    results = work / "results"
    results.mkdir(exist_ok=True)
    junit = results / f"{name}.xml"
    log = results / f"{name}.log"
    events = results / f"events-{name}"
    home = work / "home"
    xdg = work / "xdg-config"
    home.mkdir(exist_ok=True)
    xdg.mkdir(exist_ok=True)
    extra = {
        # The machine's user and system pip configuration stay out of session-level
        # set-up too (pip's own ``isolate`` fixture does this per test).
        "HOME": str(home),
        "XDG_CONFIG_DIRS": str(xdg),
        "LC_CTYPE": "C.UTF-8",
    }
    command = pytest_command(python, args, junit, work / f"tmp-{name}")
    if plugin:
        command += ["-p", PLUGIN.stem, *plugin]
    if name == "on":
        extra["WHEELNEXT_PIP"] = "1"
        shutil.rmtree(events, ignore_errors=True)
        events.mkdir()
        command += [f"--wnp-event-dir={events}"]
    print(f"run {name}: {' '.join(command[1:])}", flush=True)
    start = time.monotonic()
    with log.open("w", encoding="utf-8") as stream:
        code = subprocess.run(
            command,
            cwd=args.checkout,
            env=clean_environ(extra),
            stdout=stream,
            stderr=subprocess.STDOUT,
            check=False,
        ).returncode
    result = RunResult(name, seconds=time.monotonic() - start, exit_code=code)
    if code not in (0, 1) or not junit.exists():
        raise SetupError(f"pytest run {name!r} ended with exit status {code}; see {log}")
    result.outcomes = parse_junit(junit)
    if name == "on":
        result.activations = count_activations(events)
    print(
        f"run {name}: {summary_text(result.counts())} in {result.seconds / 60:.1f} min",
        flush=True,
    )
    return result


def reused_run(name: str, folder: Path) -> RunResult:
    """A run of an earlier invocation, from its ``results`` folder (``--reuse``)."""
    junit = folder / f"{name}.xml"
    if not junit.is_file():
        raise SetupError(f"--reuse: {junit} does not exist")
    result = RunResult(name, outcomes=parse_junit(junit))
    root = ElementTree.parse(junit).getroot()
    suite = root if root.tag == "testsuite" else root.find("testsuite")
    if suite is not None:
        result.seconds = float(suite.get("time", "0") or 0)
    if name == "on":
        result.activations = count_activations(folder / "events-on")
    print(f"run {name} (reused from {folder}): {summary_text(result.counts())}", flush=True)
    return result


def count_activations(events: Path) -> int:
    """pip processes (and pytest processes) in which wheelnext-pip's patches were applied."""
    count = 0
    for path in events.glob("*.jsonl"):
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if entry.get("event") == "cli" and entry.get("applied"):
                count += 1
    return count


# --- results ------------------------------------------------------------------------------


def test_id(case: ElementTree.Element) -> str:
    """``tests/x/test_y.py::Class::name`` from a JUnit (xunit1) test case."""
    name = case.get("name", "")
    classname = case.get("classname", "")
    file = case.get("file")
    if file:
        module = file[: -len(".py")].replace("/", ".") if file.endswith(".py") else file
        rest = classname[len(module) :].lstrip(".") if classname.startswith(module) else ""
        return "::".join(part for part in (file, rest, name) if part)
    return f"{classname}::{name}"


#: Lines wheelnext-pip prints (its messages, a decision it made).
OUR_LINE = re.compile(r"wheelnext-pip: |default extras \[.*\] added|: variant \S+ chosen")


def shorten(line: str) -> str:
    line = line.strip()
    return line if len(line) <= REASON_WIDTH else line[: REASON_WIDTH - 3] + "..."


def one_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    return shorten(lines[0]) if lines else ""


def failure_reason(message: str, details: str) -> str:
    """The most telling line of a failure: a line of wheelnext-pip's, else pip's own
    ``ERROR:`` line, else the failing ``assert``, else the exception message."""
    explained = [line.strip()[1:].strip() for line in details.splitlines() if line.startswith("E ")]
    for wanted in (OUR_LINE.search, re.compile(r"ERROR: ").match, re.compile("assert ").match):
        for line in explained:
            if wanted(line):
                return shorten(line)
    return one_line(message) or one_line(details)


def case_outcome(case: ElementTree.Element) -> Outcome:
    for tag, status in (("error", "error"), ("failure", "failed")):
        node = case.find(tag)
        if node is not None:
            return Outcome(status, failure_reason(node.get("message", ""), node.text or ""))
    skipped = case.find("skipped")
    if skipped is not None:
        kind = "xfailed" if skipped.get("type") == "pytest.xfail" else "skipped"
        return Outcome(kind, one_line(skipped.get("message", "")))
    return Outcome("passed")


def parse_junit(path: Path) -> dict[str, Outcome]:
    try:
        root = ElementTree.parse(path).getroot()
    except ElementTree.ParseError as exc:
        raise SetupError(f"cannot read {path}: {exc}") from None
    outcomes: dict[str, Outcome] = {}
    for case in root.iter("testcase"):
        key = test_id(case)
        outcome = case_outcome(case)
        known = outcomes.get(key)
        if known is None or SEVERITY[outcome.status] > SEVERITY[known.status]:
            outcomes[key] = outcome
    return outcomes


def summary_text(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{count} {status}" for status, count in counts.items() if count)


def differences(results: Mapping[str, RunResult]) -> list[tuple[str, Outcome, Outcome]]:
    """Tests that pass on stock pip and fail or error in ``off`` or ``on``."""
    stock, off, on = results["stock"], results["off"], results["on"]
    missing = Outcome("missing")
    found = []
    for key, outcome in sorted(stock.outcomes.items()):
        if outcome.status != "passed":
            continue
        with_off = off.outcomes.get(key, missing)
        with_on = on.outcomes.get(key, missing)
        if with_off.status in FAILED or with_on.status in FAILED:
            found.append((key, with_off, with_on))
    return found


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return lines


def report(results: Mapping[str, RunResult], args: argparse.Namespace) -> list[str]:
    statuses = ("passed", "failed", "error", "skipped", "xfailed")
    rows = []
    for name in RUNS:
        result = results[name]
        counts = result.counts()
        note = {
            "stock": "wheelnext-pip not installed",
            "off": "installed, WHEELNEXT_PIP unset",
            "on": f"installed, WHEELNEXT_PIP=1 ({result.activations} activations)",
        }[name]
        rows.append(
            [f"{name}: {note}", *(str(counts[s]) for s in statuses), f"{result.seconds / 60:.0f}"]
        )
    lines = [
        f"pip {args.tag}, Python {sys.version_info[0]}.{sys.version_info[1]}, "
        f"tests: {' '.join(args.tests)}" + (f" -k {args.k!r}" if args.k else ""),
        "",
        *markdown_table(["run", *statuses, "minutes"], rows),
        "",
    ]
    found = differences(results)
    if not found:
        lines.append("No test that passes on stock pip fails with wheelnext-pip installed.")
        return lines
    lines.append(f"{len(found)} tests pass on stock pip and fail with wheelnext-pip:")
    lines.append("")
    table = []
    for key, with_off, with_on in found:
        failing = with_on if with_on.status in FAILED else with_off
        table.append([f"`{key}`", with_off.status, with_on.status, failing.reason])
    lines += markdown_table(["test", "off", "on", "reason (first failing run)"], table)
    return lines


# --- main ---------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Run pip's unit and functional tests stock, with wheelnext-pip off, and on."
    )
    parser.add_argument(
        "--pip-repo",
        type=Path,
        default=DEFAULT_PIP_REPO,
        help=f"pip's Git repository (default {DEFAULT_PIP_REPO})",
    )
    parser.add_argument(
        "--tag", default=DEFAULT_TAG, help=f"pip release tag (default {DEFAULT_TAG})"
    )
    parser.add_argument(
        "--tests",
        nargs="+",
        default=list(DEFAULT_TESTS),
        metavar="PATH",
        help="test paths or node ids inside pip's checkout (default: tests/unit tests/functional)",
    )
    parser.add_argument("-k", help="pytest -k expression to select tests")
    parser.add_argument(
        "--workers", type=int, default=2, help="pytest-xdist workers (default 2; 0: no xdist)"
    )
    parser.add_argument("--network", action="store_true", help="also run pip's network tests")
    parser.add_argument(
        "--runs",
        default=",".join(RUNS),
        help="only these runs, comma-separated (stock,off,on); the table needs all three",
    )
    parser.add_argument(
        "--reuse",
        type=Path,
        metavar="RESULTS",
        help="the results folder of an earlier --keep run: runs not named in --runs are "
        "taken from it (to redo one run after a change, with the same tests)",
    )
    parser.add_argument("--workdir", type=Path, help="work folder (default: a temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument("--output", type=Path, help="also write the result table to this file")
    args = parser.parse_args(argv)
    if args.workers < 0:
        parser.error("--workers must be 0 or more")
    args.runs = [run.strip() for run in args.runs.split(",") if run.strip()]
    unknown = sorted(set(args.runs) - set(RUNS))
    if unknown or not args.runs:
        parser.error(f"--runs takes a comma list of {', '.join(RUNS)}")
    for path in args.tests:
        if os.path.isabs(path.split("::")[0]):
            parser.error(f"--tests paths are relative to pip's checkout: {path}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    # A tag that is no release number (a commit) is checked by pip's own requires-python.
    needed = pip_needs_python(args.tag) if re.match(r"\d+\.\d+", args.tag) else (0, 0)
    if sys.version_info[:2] < needed:
        print(f"error: pip {args.tag} needs Python >= {needed[0]}.{needed[1]}", file=sys.stderr)
        return 2
    if args.workdir:
        work = args.workdir.resolve()
        if work.exists() and any(work.iterdir()):
            print(f"error: work folder {work} exists and is not empty", file=sys.stderr)
            return 2
        work.mkdir(parents=True, exist_ok=True)
    else:
        work = Path(tempfile.mkdtemp(prefix="wnp-pip-testsuite-"))
    try:
        return _main(args, work)
    except SetupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 2
    finally:
        if args.keep:
            print(f"work folder kept: {work}", flush=True)
        else:
            shutil.rmtree(work, ignore_errors=True)


def _main(args: argparse.Namespace, work: Path) -> int:
    print(f"exporting pip {args.tag} from {args.pip_repo} ...", flush=True)
    args.checkout = export_tag(args.pip_repo, args.tag, work / "pip")
    for path in args.tests:
        if not (args.checkout / path.split("::")[0]).exists():
            raise SetupError(f"--tests: {path} does not exist in pip {args.tag}")
    python = prepare_runner(args.checkout, work, args.tag)
    wheel, wheelhouse = prepare_wheelnext(work)
    plugin = [f"--wnp-wheel={wheel}", f"--wnp-wheelhouse={wheelhouse}"]
    results: dict[str, RunResult] = {}
    installed = False
    for name in RUNS:
        if name not in args.runs:
            if args.reuse is not None:
                results[name] = reused_run(name, args.reuse)
            continue
        if name != "stock" and not installed:
            installed = True
            print("installing wheelnext-pip into the runner venv ...", flush=True)
            run_step(
                "installing wheelnext-pip into the runner",
                [
                    python,
                    "-m",
                    "pip",
                    "install",
                    "-q",
                    "--no-index",
                    "--find-links",
                    wheelhouse,
                    wheel,
                ],
                work / "setup-failure.log",
                env=setup_environ(),
            )
        results[name] = run_tests(name, python, args, work, plugin if name != "stock" else [])
    if results.get("on") is not None and not results["on"].activations:
        raise SetupError("WHEELNEXT_PIP=1 reached no pip process (no activation was logged)")
    if len(results) < len(RUNS):
        for result in results.values():
            print(f"{result.name}: {summary_text(result.counts())}")
        return 0
    lines = report(results, args)
    print()
    print("\n".join(lines))
    if args.output:
        args.output.write_text("\n".join(lines) + "\n", encoding="utf-8")
    summary = {
        name: {key: [o.status, o.reason] for key, o in result.outcomes.items()}
        for name, result in results.items()
    }
    (work / "results" / "outcomes.json").write_text(json.dumps(summary, indent=1), encoding="utf-8")
    return 1 if differences(results) else 0


if __name__ == "__main__":
    sys.exit(main())

"""Ranked index groups through real pip and three local HTTP indexes, on every pip of the matrix.

Indexes A and B are the named groups ``a`` and ``b`` (in that order), C is pip's own
``--index-url`` (the ``default`` group). Request logs show what was never asked.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests._lib.builders import make_sdist, make_wheel
from tests._lib.index import SIMPLE_JSON, IndexServer, write_simple_index
from tests._lib.pipenv import PipEnv

pytestmark = pytest.mark.pipmatrix

INCOMPATIBLE = "py3-none-nonexistent_platform"


@dataclass
class Indexes:
    a: IndexServer
    a2: IndexServer
    b: IndexServer
    c: IndexServer

    def groups(self, *, two_urls_in_a: bool = False) -> str:
        a_urls = self.a.index_url + (f" {self.a2.index_url}" if two_urls_in_a else "")
        return f"a = {a_urls}; b = {self.b.index_url}"


@pytest.fixture(scope="session")
def index_roots(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("group-indexes")
    dists = {name: root / "dists" / name for name in ("a", "a2", "b", "c")}

    def wheel(where: str, name: str, version: str, **kwargs: object) -> Path:
        return make_wheel(dists[where], name, version, **kwargs)  # type: ignore[arg-type]

    content = {
        "a": [
            wheel("a", "foo", "1.0"),
            wheel("a", "bar", "1.0"),
            wheel("a", "plat", "1.0", tag=INCOMPATIBLE),
            wheel("a", "yk", "1.0"),
            wheel("a", "pinned", "2.0"),
            wheel("a", "bdep", "1.0"),
            make_sdist(dists["a"], "withbdep", "1.0", build_requires=["bdep"]),
        ],
        "a2": [wheel("a2", "foo", "1.5")],
        "b": [wheel("b", "pinned", "1.0")],
        "c": [
            wheel("c", "foo", "1.0"),
            wheel("c", "foo", "2.0"),
            wheel("c", "bar", "2.0"),
            wheel("c", "plat", "1.0"),
            wheel("c", "yk", "2.0"),
            wheel("c", "onlyc", "1.0"),
            wheel("c", "pinned", "3.0"),
            wheel("c", "bdep", "9.0"),
            wheel("c", "needsfoo2", "1.0", requires_dist=["foo>=2"]),
            wheel("c", "setuptools", "99.0"),  # for the sdist's default build requirement
            wheel("c", "wheel", "99.0"),
        ],
    }
    roots = {}
    for name, files in content.items():
        yanked = {"yk-1.0-py3-none-any.whl": "broken"} if name == "a" else None
        roots[name] = root / "www" / name
        write_simple_index(roots[name], files, yanked=yanked)
    return roots


@pytest.fixture
def indexes(index_roots: dict[str, Path]) -> Iterator[Indexes]:
    """Fresh servers per test: clean request logs and no faults left over."""
    servers = {name: IndexServer(root).start() for name, root in index_roots.items()}
    try:
        yield Indexes(**servers)
    finally:
        for server in servers.values():
            server.stop()


def run_pip(
    env: PipEnv,
    indexes: Indexes,
    *args: str,
    wheelnext: str | None = "1",
    groups: str | None = None,
    extra_env: dict[str, str] | None = None,
    command: str = "install",
):
    settings = {"WHEELNEXT_PIP_INDEX_GROUPS": groups if groups is not None else indexes.groups()}
    settings.update(extra_env or {})
    pip_args = [command]
    if command in ("install", "download", "wheel", "index"):
        pip_args += ["--index-url", indexes.c.index_url, "--retries", "0", "--timeout", "5"]
    return env.pip(*pip_args, *args, wheelnext=wheelnext, env=settings)


def dry_run(env: PipEnv, indexes: Indexes, *args: str, **kwargs: object):
    """``pip install --dry-run --report -``: (exit code, {name: version}, report, stderr)."""
    result = run_pip(env, indexes, "--dry-run", "--report", "-", "-q", *args, **kwargs)  # type: ignore[arg-type]
    if result.returncode != 0:
        return result.returncode, {}, None, result.stderr
    report = json.loads(result.stdout)
    versions = {i["metadata"]["name"]: i["metadata"]["version"] for i in report["install"]}
    return 0, versions, report, result.stderr


def test_private_group_wins_and_lower_groups_are_never_asked(
    plugin_env: PipEnv, indexes: Indexes
) -> None:
    """Stock pip takes the attacker's higher version; groups take A's, C's
    /foo/ page is never requested; a project absent from A and B comes from C; the search
    restarts at the top for every project."""
    code, versions, _, _ = dry_run(plugin_env, indexes, "foo", wheelnext=None)
    assert code == 0 and versions == {"foo": "2.0"}  # stock: version priority

    indexes.c.clear_requests()
    code, versions, report, stderr = dry_run(plugin_env, indexes, "foo", "onlyc", "bar")
    assert code == 0, stderr
    assert versions == {"foo": "1.0", "onlyc": "1.0", "bar": "1.0"}
    assert indexes.c.project_requests("foo") == []
    assert indexes.c.project_requests("bar") == []
    assert indexes.c.project_requests("onlyc") != []
    assert indexes.a.project_requests("onlyc") and indexes.b.project_requests("onlyc")
    items = {i["metadata"]["name"]: i["wheelnext"] for i in report["install"]}
    assert items["foo"]["index_group"] == "a"
    assert items["foo"]["index_url"] == indexes.a.index_url
    assert items["onlyc"]["index_group"] == "default"
    assert items["onlyc"]["index_url"] == indexes.c.index_url


def test_info_lines_and_verbose_classification(plugin_env: PipEnv, indexes: Indexes) -> None:
    """One summary line, one line per project from a named group; -v shows each group."""
    result = run_pip(plugin_env, indexes, "--dry-run", "foo", "onlyc")
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("wheelnext-pip: index groups, first-match: 1. a") == 1
    assert f"foo: index group 'a' ({indexes.a.index_url})" in result.stdout
    assert "onlyc: index group" not in result.stdout
    verbose = run_pip(plugin_env, indexes, "--dry-run", "-v", "onlyc")
    assert "onlyc: index group 'a': absent (HTTP 404)" in verbose.stdout
    assert "onlyc: index group 'default': has files" in verbose.stdout


@pytest.mark.shared_cases
@pytest.mark.parametrize("strategy", ["first-match", "fallthrough"])
def test_incompatible_absent_and_yanked_files(
    plugin_env: PipEnv, indexes: Indexes, strategy: str
) -> None:
    """A's only file is for another platform / too old / yanked. first-match stays
    on A and fails, naming group a; fallthrough takes the next group's file."""
    env = {"WHEELNEXT_PIP_INDEX_STRATEGY": strategy}
    outcomes = {
        args: dry_run(plugin_env, indexes, *args, extra_env=env)
        for args in (("plat",), ("foo>=2",), ("yk",))
    }
    if strategy == "first-match":
        for args, (code, _, _, stderr) in outcomes.items():
            assert code != 0, args
            assert "No matching distribution" in stderr
            assert "index group 'a'" in stderr
            assert "index-strategy=fallthrough would" in stderr
        code, versions, _, stderr = dry_run(plugin_env, indexes, "yk==1.0", extra_env=env)
        assert code == 0 and versions == {"yk": "1.0"}, stderr  # a pinned yanked file
    else:
        assert outcomes[("plat",)][1] == {"plat": "1.0"}
        assert outcomes[("foo>=2",)][1] == {"foo": "2.0"}
        assert outcomes[("yk",)][1] == {"yk": "2.0"}
        result = run_pip(plugin_env, indexes, "--dry-run", "foo>=2", extra_env=env)
        assert "foo: no candidate in group 'a' satisfies foo>=2; using group 'default'" in (
            result.stdout
        )


@pytest.mark.parametrize("strategy", ["first-match", "fallthrough"])
def test_backtracking_across_groups(plugin_env: PipEnv, indexes: Indexes, strategy: str) -> None:
    """Foo on A (1.0) and C (1.0, 2.0), needsfoo2 requires foo>=2."""
    env = {"WHEELNEXT_PIP_INDEX_STRATEGY": strategy}
    code, versions, _, stderr = dry_run(plugin_env, indexes, "foo", "needsfoo2", extra_env=env)
    if strategy == "first-match":
        assert code != 0
    else:
        assert code == 0 and versions == {"foo": "2.0", "needsfoo2": "1.0"}, stderr


@pytest.mark.parametrize(
    ("fault", "shown"),
    [(503, "HTTP 503"), (401, "HTTP 401"), (403, "HTTP 403"), ("type", "Content-Type")],
)
def test_unreachable_group_stops_pip(
    plugin_env: PipEnv, indexes: Indexes, fault: int | str, shown: str
) -> None:
    """An error on A stops pip naming group a and its URL; B and C are never asked."""
    if fault == "type":
        indexes.a.serve_content_type("/simple/foo/", "application/octet-stream")
    else:
        indexes.a.fail("/simple/foo/", int(fault))
    result = run_pip(plugin_env, indexes, "--dry-run", "foo")
    assert result.returncode != 0
    (line,) = [line for line in result.stderr.splitlines() if line.startswith("ERROR:")]
    assert f"index group 'a' ({indexes.a.index_url}) is unreachable for 'foo'" in line
    assert shown in line
    assert "Traceback" not in result.stderr
    assert indexes.b.project_requests("foo") == []
    assert indexes.c.project_requests("foo") == []


def test_refused_connection_stops_pip_and_next_skips_it(
    plugin_env: PipEnv, indexes: Indexes
) -> None:
    """A group that refuses connections stops pip; with index-on-error=next it is
    skipped with one warning and the project comes from the next group."""
    # Bound but not listening: connections are refused, and no other test can take the port.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}/simple/"
        _refused_then_skipped(plugin_env, indexes, dead)


def _refused_then_skipped(plugin_env: PipEnv, indexes: Indexes, dead: str) -> None:
    groups = f"a = {dead}; b = {indexes.b.index_url}"
    result = run_pip(plugin_env, indexes, "--dry-run", "onlyc", groups=groups)
    assert result.returncode != 0
    assert f"index group 'a' ({dead}) is unreachable for 'onlyc'" in result.stderr
    assert indexes.c.project_requests("onlyc") == []

    env = {"WHEELNEXT_PIP_INDEX_ON_ERROR": "next"}
    code, versions, _, stderr = dry_run(plugin_env, indexes, "onlyc", groups=groups, extra_env=env)
    assert code == 0 and versions == {"onlyc": "1.0"}, stderr
    assert stderr.count("skipping it (index-on-error=next)") == 1


def test_pins(plugin_env: PipEnv, indexes: Indexes) -> None:
    """A pinned project comes only from its group; missing there or the group down is an
    error, even with index-on-error=next."""
    pin = {"WHEELNEXT_PIP_INDEX_PINS": "pinned=b"}
    code, versions, _, stderr = dry_run(plugin_env, indexes, "pinned", extra_env=pin)
    assert code == 0 and versions == {"pinned": "1.0"}, stderr

    missing = {"WHEELNEXT_PIP_INDEX_PINS": "foo=b"}
    code, _, _, stderr = dry_run(plugin_env, indexes, "foo", extra_env=missing)
    assert code != 0
    assert "'foo' is pinned to index group 'b' (index-pins), which has no files for it" in stderr
    assert indexes.a.project_requests("foo") == [] and indexes.c.project_requests("foo") == []

    indexes.b.fail("/simple/pinned/", 503)
    code, _, _, stderr = dry_run(
        plugin_env, indexes, "pinned", extra_env={**pin, "WHEELNEXT_PIP_INDEX_ON_ERROR": "next"}
    )
    assert code != 0 and "index-pins takes 'pinned' only from it" in stderr


def test_group_with_two_urls_merges_them(plugin_env: PipEnv, indexes: Indexes) -> None:
    """Inside a group pip's rules hold: the best version across A and A2 wins."""
    groups = indexes.groups(two_urls_in_a=True)
    code, versions, report, stderr = dry_run(plugin_env, indexes, "foo", groups=groups)
    assert code == 0 and versions == {"foo": "1.5"}, stderr
    assert indexes.c.project_requests("foo") == []
    (item,) = report["install"]
    assert item["wheelnext"] == {**item["wheelnext"], "index_group": "a"}
    assert item["wheelnext"]["index_url"] == indexes.a2.index_url


def test_build_dependencies_obey_groups(
    plugin_env: PipEnv, indexes: Indexes, tmp_path: Path
) -> None:
    """The sdist's build requirement comes from A (1.0), not C's 9.0, in pip's child."""
    result = run_pip(
        plugin_env, indexes, "--no-deps", "-w", str(tmp_path), "withbdep", command="wheel"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "/files/bdep-1.0-py3-none-any.whl" in indexes.a.requested_paths()
    assert indexes.c.project_requests("bdep") == []


def test_credentials_never_reach_the_report(plugin_env: PipEnv, indexes: Indexes) -> None:
    """A group URL with credentials: the report's index_url has none."""
    with_credentials = indexes.a.index_url.replace("http://", "http://user:s3cret@")
    groups = f"a = {with_credentials}; b = {indexes.b.index_url}"
    code, versions, report, stderr = dry_run(plugin_env, indexes, "foo", groups=groups)
    assert code == 0 and versions == {"foo": "1.0"}, stderr
    (item,) = report["install"]
    assert item["wheelnext"]["index_url"] == indexes.a.index_url
    assert "s3cret" not in json.dumps(report)


def test_no_index_uses_find_links_only(
    plugin_env: PipEnv, indexes: Indexes, index_roots: dict[str, Path]
) -> None:
    """--no-index drops every index, named groups included."""
    find_links = index_roots["c"] / "files"
    result = plugin_env.pip(
        "install", "--dry-run", "--report", "-", "-q", "--no-index",
        "--find-links", str(find_links), "foo",
        wheelnext="1", env={"WHEELNEXT_PIP_INDEX_GROUPS": indexes.groups()},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    (item,) = json.loads(result.stdout)["install"]
    assert item["metadata"]["version"] == "2.0"
    assert indexes.a.requests == [] and indexes.b.requests == []


def test_malformed_setting_stops_pip(plugin_env: PipEnv, indexes: Indexes) -> None:
    result = run_pip(plugin_env, indexes, "--dry-run", "foo", groups="a=")
    assert result.returncode == 1
    assert "WHEELNEXT_PIP_INDEX_GROUPS" in result.stderr and "group 'a' is empty" in result.stderr
    assert indexes.c.requests == []


def test_only_default_is_stock(plugin_env: PipEnv, indexes: Indexes) -> None:
    """With only ``default`` pip keeps version priority and says nothing more."""
    stock = dry_run(plugin_env, indexes, "foo", "onlyc", wheelnext=None, groups="default")
    only_default = run_pip(plugin_env, indexes, "--dry-run", "foo", "onlyc", groups="default")
    assert stock[1] == {"foo": "2.0", "onlyc": "1.0"}
    assert only_default.returncode == 0
    assert "index group" not in only_default.stdout + only_default.stderr


def test_download_and_index_versions_obey_groups(
    plugin_env: PipEnv, indexes: Indexes, tmp_path: Path
) -> None:
    """pip download and pip index versions use the same ranking."""
    result = run_pip(plugin_env, indexes, "-d", str(tmp_path), "foo", command="download")
    assert result.returncode == 0, result.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["foo-1.0-py3-none-any.whl"]
    versions = run_pip(plugin_env, indexes, "versions", "foo", command="index")
    assert versions.returncode == 0, versions.stderr
    assert "foo (1.0)" in versions.stdout
    assert indexes.c.project_requests("foo") == []


def test_venv_isolation_is_refused(plugin_env: PipEnv, indexes: Indexes, tmp_path: Path) -> None:
    """pip 26.2+'s venv isolation would install build dependencies without us."""
    release = tuple(int(part) for part in plugin_env.pip_version.split(".")[:2])
    if release < (26, 2):
        pytest.skip(f"pip {plugin_env.pip_version} has no venv-isolation")
    result = run_pip(plugin_env, indexes, "--use-feature=venv-isolation", "--dry-run", "withbdep")
    assert result.returncode != 0
    assert "--use-feature=inprocess-build-deps" in result.stderr
    assert indexes.c.project_requests("bdep") == []


def test_explain_and_doctor_show_the_groups(plugin_env: PipEnv, indexes: Indexes) -> None:
    """Explain lists the groups, what each answered, the files and the decision."""
    env = {"WHEELNEXT_PIP_INDEX_GROUPS": indexes.groups()}
    explain = ["-m", "wheelnext_pip", "explain", "foo", "--index-url", indexes.c.index_url]
    result = plugin_env.run(explain, wheelnext="1", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    text = result.stdout
    assert f"1. a ({indexes.a.index_url})" in text
    assert "  a: has files (1 file)" in text
    assert "foo 1.0  foo-1.0-py3-none-any.whl  <- chosen" in text
    assert "  b: never asked (a higher group answered)" in text
    assert "decision: group 'a', the highest group that has files for it" in text
    assert indexes.c.project_requests("foo") == []

    doctor = plugin_env.run(["-m", "wheelnext_pip", "doctor", "--json"], wheelnext="1", env=env)
    section = json.loads(doctor.stdout)["index-groups"]
    assert section["active"] is True
    assert [group["name"] for group in section["groups"]] == ["a", "b", "default"]
    assert section["sources"]["index-groups"] == "environment variable WHEELNEXT_PIP_INDEX_GROUPS"
    text = plugin_env.run(["-m", "wheelnext_pip", "doctor"], wheelnext="1", env=env).stdout
    assert "index-groups:\n  index groups, first-match: 1. a" in text


def test_python_option_needs_wheelnext_pip_there(
    plugin_env: PipEnv, stock_env: PipEnv, indexes: Indexes
) -> None:
    """pip --python X re-runs pip under X; without wheelnext-pip there, groups would be
    ignored, so pip stops; with it, the ranking holds in the re-run pip."""
    refused = plugin_env.pip(
        "--python", str(stock_env.python), "install", "--dry-run", "--index-url",
        indexes.c.index_url, "foo", wheelnext="1",
        env={"WHEELNEXT_PIP_INDEX_GROUPS": indexes.groups()},
    )  # fmt: skip
    assert refused.returncode == 1
    assert f"--python {stock_env.python} has no wheelnext-pip" in refused.stderr
    assert indexes.c.project_requests("foo") == []
    accepted = plugin_env.pip(
        "--python", str(plugin_env.python), "install", "--dry-run", "--index-url",
        indexes.c.index_url, "foo", wheelnext="1",
        env={"WHEELNEXT_PIP_INDEX_GROUPS": indexes.groups()},
    )  # fmt: skip
    assert accepted.returncode == 0, accepted.stderr
    assert "Would install foo-1.0" in accepted.stdout


# -- an outage never looks like absence ------------------------------------------------------

#: What a login (SSO) page or a captive portal answers instead of the project's page: HTML
#: with a form or a link, but no file of the project.
LOGIN_PAGE = (
    b"<!DOCTYPE html><html><head><title>Sign in</title></head><body>"
    b'<form method="post" action="/login"><input name="user">'
    b'<input type="password" name="password"></form></body></html>'
)
PORTAL_PAGE = (
    b"<html><body><h1>Welcome to the guest network</h1>"
    b'<a href="http://portal.invalid/accept">Accept the terms</a></body></html>'
)
EMPTY_PAGES = {
    "empty-body": (b"", "text/html"),
    "login-page": (LOGIN_PAGE, "text/html; charset=utf-8"),
    "captive-portal": (PORTAL_PAGE, "text/html"),
}


@pytest.mark.shared_cases
@pytest.mark.parametrize("page", sorted(EMPTY_PAGES))
def test_page_without_files_warns_when_a_lower_group_serves(
    plugin_env: PipEnv, indexes: Indexes, page: str
) -> None:
    """A 2xx page that lists no files still means "absent" (the project comes from C),
    but pip says so, naming the group and its page without credentials: an outage of A that
    answers with a login page must not silently look like absence."""
    body, content_type = EMPTY_PAGES[page]
    indexes.a.serve_body("/simple/onlyc/", body, content_type)
    with_credentials = indexes.a.index_url.replace("http://", "http://user:s3cret@")
    groups = f"a = {with_credentials}; b = {indexes.b.index_url}"
    code, versions, _, stderr = dry_run(plugin_env, indexes, "onlyc", groups=groups)
    assert code == 0 and versions == {"onlyc": "1.0"}, stderr
    (line,) = [line for line in stderr.splitlines() if "listed no files" in line]
    assert line.startswith("WARNING: wheelnext-pip: index group 'a'")
    assert f"{indexes.a.index_url}onlyc/" in line and "'onlyc'" in line
    assert "group 'default'" in line
    assert "s3cret" not in stderr


@pytest.mark.parametrize("strategy", ["first-match", "fallthrough"])
def test_page_without_files_warns_once_per_group_and_project(
    plugin_env: PipEnv, indexes: Indexes, strategy: str
) -> None:
    """One warning per group and project, however often pip asks again for foo (here foo,
    then foo>=2 for needsfoo2); a 404 (B for onlyc) says nothing."""
    indexes.a.serve_body("/simple/foo/", LOGIN_PAGE, "text/html")
    indexes.b.serve_body("/simple/foo/", b"", "text/html")
    env = {"WHEELNEXT_PIP_INDEX_STRATEGY": strategy}
    code, versions, _, stderr = dry_run(
        plugin_env, indexes, "foo", "needsfoo2", "onlyc", extra_env=env
    )
    assert code == 0 and versions == {"foo": "2.0", "needsfoo2": "1.0", "onlyc": "1.0"}, stderr
    lines = [line for line in stderr.splitlines() if "listed no files" in line]
    assert len(lines) == 2, stderr
    assert "index group 'a'" in lines[0] and "index group 'b'" in lines[1]
    assert all("'foo'" in line for line in lines)


def test_page_without_files_warns_when_no_group_serves(
    plugin_env: PipEnv, indexes: Indexes
) -> None:
    """A login page on A and the project nowhere else: pip's "no matching distribution" is
    preceded by the warning, since A may well have had it."""
    indexes.a.serve_body("/simple/nowhere/", LOGIN_PAGE, "text/html")
    result = run_pip(plugin_env, indexes, "--dry-run", "nowhere")
    assert result.returncode == 1
    (line,) = [line for line in result.stderr.splitlines() if "listed no files" in line]
    assert f"index group 'a' answered HTTP 200 for 'nowhere' at {indexes.a.index_url}" in line
    assert "no lower group served 'nowhere' either" in line
    assert "No matching distribution found for nowhere" in result.stderr


NOT_INDEX_PAGES = {
    "text-plain": (b"Service temporarily unavailable\n", "text/plain"),
    "octet-stream": (b"\x00\x01\x02", "application/octet-stream"),
    "json-not-pep691": (b'{"detail": "Authentication required"}', "application/json"),
    "pep691-type-not-pep691-body": (
        b'{"detail": "Authentication required"}',
        "application/vnd.pypi.simple.v1+json",
    ),
    "pep691-type-html-body": (LOGIN_PAGE, "application/vnd.pypi.simple.v1+json"),
}


@pytest.mark.shared_cases
@pytest.mark.parametrize("page", sorted(NOT_INDEX_PAGES))
def test_answer_that_is_no_index_page_is_an_index_error(
    plugin_env: PipEnv, indexes: Indexes, page: str
) -> None:
    """A 2xx answer that is not a simple-index page (neither HTML nor PEP 691 JSON)
    is an index error: pip stops with one line naming group, URL and project; with
    index-on-error=next the group is skipped with a warning."""
    body, content_type = NOT_INDEX_PAGES[page]
    indexes.a.serve_body("/simple/foo/", body, content_type)
    result = run_pip(plugin_env, indexes, "--dry-run", "foo")
    assert result.returncode == 1, result.stdout + result.stderr
    (line,) = [line for line in result.stderr.splitlines() if line.startswith("ERROR:")]
    assert f"index group 'a' ({indexes.a.index_url}) is unreachable for 'foo'" in line
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    assert indexes.b.project_requests("foo") == [] and indexes.c.project_requests("foo") == []

    env = {"WHEELNEXT_PIP_INDEX_ON_ERROR": "next"}
    code, versions, _, stderr = dry_run(plugin_env, indexes, "foo", extra_env=env)
    assert code == 0 and versions == {"foo": "2.0"}, stderr
    assert stderr.count("index group 'a'") == 1
    assert stderr.count("skipping it (index-on-error=next)") == 1


def test_no_index_page_in_the_lowest_group_is_named(plugin_env: PipEnv, indexes: Indexes) -> None:
    """Nothing below the lowest group: pip's own handling goes on ("no matching
    distribution"), after one warning naming the page pip itself could not judge."""
    indexes.c.serve_body("/simple/onlyc/", b'{"detail": "maintenance"}', SIMPLE_JSON)
    result = run_pip(plugin_env, indexes, "--dry-run", "onlyc")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    (line,) = [line for line in result.stderr.splitlines() if "skipping" in line]
    assert f"skipping {indexes.c.index_url}onlyc/ for 'onlyc': not a PEP 691 page" in line
    assert "No matching distribution found for onlyc" in result.stderr


def test_redirects_are_shown_at_verbose(plugin_env: PipEnv, indexes: Indexes) -> None:
    """A group is the configured URL, not where it redirects; -v shows each redirect
    with both URLs, without credentials (to another group's page, or anywhere else)."""
    target = indexes.c.url.replace("http://", "http://robot:t0ken@") + "/simple/foo/"
    indexes.a.redirect("/simple/foo/", target)
    indexes.a.redirect("/simple/onlyc/", indexes.b.url + "/moved/onlyc/")
    with_credentials = indexes.a.index_url.replace("http://", "http://user:s3cret@")
    groups = f"a = {with_credentials}; b = {indexes.b.index_url}"
    quiet = run_pip(plugin_env, indexes, "--dry-run", "foo", "onlyc", groups=groups)
    assert quiet.returncode == 0, quiet.stderr
    assert "redirected" not in quiet.stdout + quiet.stderr
    result = run_pip(plugin_env, indexes, "--dry-run", "-v", "foo", "onlyc", groups=groups)
    assert result.returncode == 0, result.stderr
    assert "Would install foo-2.0 onlyc-1.0" in result.stdout  # foo: A's answer, C's file
    lines = [line for line in result.stdout.splitlines() if "redirected" in line]
    assert len(lines) == 2, result.stdout
    foo, onlyc = sorted(lines)
    assert f"{indexes.a.index_url}foo/ redirected to {indexes.c.index_url}foo/" in foo
    assert "group 'default'" in foo
    assert f"{indexes.a.index_url}onlyc/ redirected to {indexes.b.url}/moved/onlyc/" in onlyc
    output = result.stdout + result.stderr
    assert "s3cret" not in output and "t0ken" not in output

"""Tests of the test harness itself: artefact builders and the local index server."""

from __future__ import annotations

import base64
import csv
import hashlib
import http.client
import io
import json
import os
import re
import socket
import stat
import subprocess
import sys
import tarfile
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterator
from email.parser import BytesParser
from email.policy import compat32
from pathlib import Path

import pytest

from tests._lib import pipenv
from tests._lib.builders import (
    BACKEND_LOG_ENV,
    canonical_name,
    make_sdist,
    make_wheel,
    normalize_dist_name,
)
from tests._lib.index import (
    SIMPLE_JSON,
    IndexServer,
    prefers_json,
    read_wheel_metadata,
    write_simple_index,
)

PIP_ACCEPT = (
    "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html; q=0.1, "
    "text/html; q=0.01"
)


def _urlsafe_sha256(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode("ascii")


def verify_wheel(path: Path) -> dict[str, bytes]:
    """Check the zip and every RECORD row; return the archive's contents."""
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
        names = archive.namelist()
        contents = {name: archive.read(name) for name in names}
    record_names = [name for name in names if name.endswith(".dist-info/RECORD")]
    assert len(record_names) == 1
    record_name = record_names[0]
    assert names[-1] == record_name, "RECORD must be the last entry"

    rows = list(csv.reader(io.StringIO(contents[record_name].decode("utf-8"))))
    assert sorted(row[0] for row in rows) == sorted(names)
    for arcname, digest, size in rows:
        if arcname == record_name:
            assert (digest, size) == ("", "")
            continue
        assert digest == "sha256=" + _urlsafe_sha256(contents[arcname])
        assert int(size) == len(contents[arcname])
    return contents


def _headers(data: bytes) -> list[tuple[str, str]]:
    return list(BytesParser(policy=compat32).parsebytes(data).items())


# --- builders ----------------------------------------------------------------------------------


def test_name_normalization() -> None:
    assert canonical_name("Foo__Bar.baz-Qux") == "foo-bar-baz-qux"
    assert normalize_dist_name("Foo__Bar.baz-Qux") == "foo_bar_baz_qux"


def test_make_wheel_defaults_and_metadata(tmp_path: Path) -> None:
    wheel = make_wheel(
        tmp_path,
        "My.Pkg",
        "1.0",
        requires_dist=["dep>=1", "extra-dep; extra == 'x'"],
        provides_extra=["x"],
        requires_python=">=3.8",
        extra_metadata=[("Summary", "a package"), ("Project-URL", "home, https://e.invalid")],
    )

    assert wheel == tmp_path / "my_pkg-1.0-py3-none-any.whl"
    contents = verify_wheel(wheel)
    assert list(contents) == [
        "my_pkg/__init__.py",
        "my_pkg-1.0.dist-info/METADATA",
        "my_pkg-1.0.dist-info/WHEEL",
        "my_pkg-1.0.dist-info/RECORD",
    ]
    assert contents["my_pkg/__init__.py"] == b'__version__ = "1.0"\n'
    assert _headers(contents["my_pkg-1.0.dist-info/METADATA"]) == [
        ("Metadata-Version", "2.1"),
        ("Name", "My.Pkg"),
        ("Version", "1.0"),
        ("Requires-Dist", "dep>=1"),
        ("Requires-Dist", "extra-dep; extra == 'x'"),
        ("Provides-Extra", "x"),
        ("Requires-Python", ">=3.8"),
        ("Summary", "a package"),
        ("Project-URL", "home, https://e.invalid"),
    ]
    assert _headers(contents["my_pkg-1.0.dist-info/WHEEL"]) == [
        ("Wheel-Version", "1.0"),
        ("Generator", "wnp-test-harness"),
        ("Root-Is-Purelib", "true"),
        ("Tag", "py3-none-any"),
    ]
    with zipfile.ZipFile(wheel) as archive:
        assert {info.compress_type for info in archive.infolist()} == {zipfile.ZIP_DEFLATED}
    assert read_wheel_metadata(wheel) == contents["my_pkg-1.0.dist-info/METADATA"]


def test_make_wheel_tags_build_and_files(tmp_path: Path) -> None:
    wheel = make_wheel(
        tmp_path,
        "pkg",
        "2.0",
        tag="py2.py3-none-any",
        build_tag="1",
        wheel_version="2.0",
        files={"pkg/data.bin": b"\x00\x01", "pkg/__init__.py": "x = 1\n"},
        extra_dist_info={"entry_points.txt": "[console_scripts]\n"},
    )
    assert wheel.name == "pkg-2.0-1-py2.py3-none-any.whl"
    contents = verify_wheel(wheel)
    assert contents["pkg/data.bin"] == b"\x00\x01"
    assert contents["pkg-2.0.dist-info/entry_points.txt"] == b"[console_scripts]\n"
    wheel_headers = _headers(contents["pkg-2.0.dist-info/WHEEL"])
    assert ("Wheel-Version", "2.0") in wheel_headers
    assert [value for key, value in wheel_headers if key == "Tag"] == [
        "py2-none-any",
        "py3-none-any",
    ]
    assert ("Build", "1") in wheel_headers

    platlib = make_wheel(tmp_path, "pkg", "2.0", tag="cp311-cp311-manylinux1_x86_64.linux_x86_64")
    wheel_text = verify_wheel(platlib)["pkg-2.0.dist-info/WHEEL"].decode()
    assert "Root-Is-Purelib: false" in wheel_text
    assert wheel_text.count("Tag: ") == 2


def test_make_wheel_symlink_entries(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path, "pkg", "1.0", symlink_entries={"pkg/link.py": "__init__.py"})
    contents = verify_wheel(wheel)
    assert contents["pkg/link.py"] == b"__init__.py"
    with zipfile.ZipFile(wheel) as archive:
        link = archive.getinfo("pkg/link.py")
        regular = archive.getinfo("pkg/__init__.py")
    assert link.create_system == 3
    assert stat.S_ISLNK(link.external_attr >> 16)
    assert stat.S_IMODE(link.external_attr >> 16) == 0o777
    assert stat.S_ISREG(regular.external_attr >> 16)


def test_make_wheel_odd_filename_and_broken_variants(tmp_path: Path) -> None:
    variant = make_wheel(tmp_path, "pkg", "1.0", filename="pkg-1.0-py3-none-any-cu12.whl")
    assert variant.name == "pkg-1.0-py3-none-any-cu12.whl"
    verify_wheel(variant)

    unrecorded = make_wheel(tmp_path / "broken", "pkg", "1.0", record=False)
    with zipfile.ZipFile(unrecorded) as archive:
        assert not [name for name in archive.namelist() if name.endswith("RECORD")]

    overridden = make_wheel(
        tmp_path / "override", "pkg", "1.0", extra_dist_info={"WHEEL": "Wheel-Version: 9.0\n"}
    )
    contents = verify_wheel(overridden)
    assert contents["pkg-1.0.dist-info/WHEEL"] == b"Wheel-Version: 9.0\n"


def _extract_sdist(sdist: Path, destination: Path) -> Path:
    with tarfile.open(sdist) as archive:
        if hasattr(tarfile, "data_filter"):
            archive.extractall(destination, filter="data")
        else:  # pragma: no cover - Python without extraction filters
            archive.extractall(destination)
    return destination


def test_make_sdist_layout(tmp_path: Path) -> None:
    sdist = make_sdist(
        tmp_path,
        "My-Pkg",
        "1.0",
        build_requires=["setuptools>=40"],
        requires_dist=["dep"],
        extra_pyproject='description = "extra"\n',
    )
    assert sdist.name == "my_pkg-1.0.tar.gz"
    with tarfile.open(sdist) as archive:
        assert sorted(archive.getnames()) == [
            "my_pkg-1.0",
            "my_pkg-1.0/PKG-INFO",
            "my_pkg-1.0/pyproject.toml",
            "my_pkg-1.0/wnp_test_backend.py",
        ]
    root = _extract_sdist(sdist, tmp_path / "src") / "my_pkg-1.0"
    pyproject = (root / "pyproject.toml").read_text(encoding="utf-8")
    if sys.version_info >= (3, 11):
        import tomllib

        parsed = tomllib.loads(pyproject)
        assert parsed["build-system"] == {
            "requires": ["setuptools>=40"],
            "build-backend": "wnp_test_backend",
            "backend-path": ["."],
        }
        assert parsed["project"] == {
            "name": "My-Pkg",
            "version": "1.0",
            "dependencies": ["dep"],
            "description": "extra",
        }
    assert _headers((root / "PKG-INFO").read_bytes()) == [
        ("Metadata-Version", "2.1"),
        ("Name", "My-Pkg"),
        ("Version", "1.0"),
        ("Requires-Dist", "dep"),
    ]
    backend = (root / "wnp_test_backend.py").read_text(encoding="utf-8")
    assert "tests._lib" not in backend


def _run_backend(source: Path, code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=source,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_sdist_backend_builds_wheel_and_logs(tmp_path: Path) -> None:
    sdist = make_sdist(
        tmp_path, "pkg", "3.0", requires_dist=["dep>=2"], import_build_requires=["json"]
    )
    source = _extract_sdist(sdist, tmp_path / "src") / "pkg-3.0"
    out, logs = tmp_path / "out", tmp_path / "logs"
    out.mkdir()
    logs.mkdir()
    env = {**os.environ, BACKEND_LOG_ENV: str(logs), "PIP_BUILD_TRACKER": str(tmp_path)}

    code = (
        "import sys, wnp_test_backend as b\n"
        "assert b.get_requires_for_build_wheel() == []\n"
        "assert b.get_requires_for_build_sdist() == []\n"
        "assert not hasattr(b, 'prepare_metadata_for_build_wheel')\n"
        "print(b.build_wheel(sys.argv[1]))\n"
        "print(b.build_sdist(sys.argv[1]))\n"
    ).replace("sys.argv[1]", repr(str(out)))
    result = _run_backend(source, code, env)
    assert result.returncode == 0, result.stderr
    wheel_name, sdist_name = result.stdout.split()
    assert (wheel_name, sdist_name) == ("pkg-3.0-py3-none-any.whl", "pkg-3.0.tar.gz")

    contents = verify_wheel(out / wheel_name)
    assert contents["pkg/__init__.py"] == b'__version__ = "3.0"\n'
    assert ("Requires-Dist", "dep>=2") in _headers(contents["pkg-3.0.dist-info/METADATA"])
    with tarfile.open(out / sdist_name) as archive:
        assert "pkg-3.0/wnp_test_backend.py" in archive.getnames()

    (log_file,) = logs.iterdir()
    assert re.fullmatch(r"pkg-\d+\.json", log_file.name)
    log = json.loads(log_file.read_text(encoding="utf-8"))
    assert log["name"] == "pkg"
    assert log_file.name == f"pkg-{log['pid']}.json"
    assert log["executable"] == sys.executable
    assert log["prefix"] == sys.prefix
    assert isinstance(log["sys_path"], list)
    assert "json" in log["modules"]
    assert log["modules"] == sorted(log["modules"])
    assert log["imported_files"]["json"].endswith("__init__.py")
    assert log["import_errors"] == {}
    assert log["pip_build_tracker"] is True


def test_sdist_backend_fails_on_missing_build_requirement(tmp_path: Path) -> None:
    sdist = make_sdist(tmp_path, "pkg", "1.0", import_build_requires=["wnp_no_such_module"])
    source = _extract_sdist(sdist, tmp_path / "src") / "pkg-1.0"
    logs = tmp_path / "logs"
    logs.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PIP_BUILD_TRACKER"}
    env[BACKEND_LOG_ENV] = str(logs)

    result = _run_backend(
        source, f"import wnp_test_backend as b; b.build_wheel({str(tmp_path)!r})", env
    )
    assert result.returncode != 0
    assert "wnp_no_such_module" in result.stderr
    (log_file,) = logs.iterdir()
    log = json.loads(log_file.read_text(encoding="utf-8"))
    assert list(log["import_errors"]) == ["wnp_no_such_module"]
    assert log["pip_build_tracker"] is False
    assert not list(tmp_path.glob("*.whl"))


# --- index tree --------------------------------------------------------------------------------


def test_write_simple_index(tmp_path: Path) -> None:
    dists = tmp_path / "dists"
    wheel = make_wheel(dists, "Pkg_A", "1.0", requires_python="<4,>=3.8")
    old_wheel = make_wheel(dists, "pkg-a", "0.9")
    sdist = make_sdist(dists, "pkg-a", "1.0")
    other = make_wheel(dists, "other", "2.0")
    variants = dists / "pkg_a-1.0-variants.json"
    variants.write_text('{"variants": {}}', encoding="utf-8")

    simple = write_simple_index(
        tmp_path / "index",
        [wheel, old_wheel, sdist, other],
        extra_files={"Pkg.A": [variants]},
        yanked={old_wheel.name: "broken <build>"},
    )
    assert simple == tmp_path / "index" / "simple"
    files = tmp_path / "index" / "files"
    for source in (wheel, old_wheel, sdist, other, variants):
        assert (files / source.name).read_bytes() == source.read_bytes()
    metadata = read_wheel_metadata(wheel)
    assert (files / (wheel.name + ".metadata")).read_bytes() == metadata
    assert not (files / (sdist.name + ".metadata")).exists()
    assert not (files / (variants.name + ".metadata")).exists()

    root_html = (simple / "index.html").read_text(encoding="utf-8")
    assert 'href="other/"' in root_html
    assert 'href="pkg-a/"' in root_html
    root_json = json.loads((simple / "index.json").read_text(encoding="utf-8"))
    assert root_json == {
        "meta": {"api-version": "1.0"},
        "projects": [{"name": "other"}, {"name": "pkg-a"}],
    }

    page = (simple / "pkg-a" / "index.html").read_text(encoding="utf-8")
    anchors = {text: attrs for attrs, text in re.findall(r"<a ([^>]*)>([^<]*)</a>", page)}
    assert sorted(anchors) == sorted([wheel.name, old_wheel.name, sdist.name, variants.name])
    wheel_sha = hashlib.sha256(wheel.read_bytes()).hexdigest()
    metadata_sha = hashlib.sha256(metadata).hexdigest()
    wheel_attrs = anchors[wheel.name]
    assert f'href="../../files/{wheel.name}#sha256={wheel_sha}"' in wheel_attrs
    assert 'data-requires-python="&lt;4,&gt;=3.8"' in wheel_attrs
    assert f'data-dist-info-metadata="sha256={metadata_sha}"' in wheel_attrs
    assert f'data-core-metadata="sha256={metadata_sha}"' in wheel_attrs
    assert "data-yanked" not in wheel_attrs
    assert 'data-yanked="broken &lt;build&gt;"' in anchors[old_wheel.name]
    for plain in (sdist.name, variants.name):
        assert "metadata" not in anchors[plain]
        assert "data-requires-python" not in anchors[plain]

    project_json = json.loads((simple / "pkg-a" / "index.json").read_text(encoding="utf-8"))
    assert project_json["meta"] == {"api-version": "1.0"}
    assert project_json["name"] == "pkg-a"
    by_name = {entry["filename"]: entry for entry in project_json["files"]}
    assert by_name[wheel.name] == {
        "filename": wheel.name,
        "url": f"../../files/{wheel.name}",
        "hashes": {"sha256": wheel_sha},
        "requires-python": "<4,>=3.8",
        "core-metadata": {"sha256": metadata_sha},
        "yanked": False,
    }
    assert by_name[old_wheel.name]["yanked"] == "broken <build>"
    assert "core-metadata" not in by_name[sdist.name]
    assert by_name[variants.name]["hashes"] == {
        "sha256": hashlib.sha256(variants.read_bytes()).hexdigest()
    }


def test_write_simple_index_without_metadata_files(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path / "dists", "pkg", "1.0")
    simple = write_simple_index(tmp_path / "index", [wheel], metadata_files=False)
    assert not (tmp_path / "index" / "files" / (wheel.name + ".metadata")).exists()
    assert "metadata" not in (simple / "pkg" / "index.html").read_text(encoding="utf-8")


# --- server ------------------------------------------------------------------------------------


@pytest.fixture
def server(tmp_path: Path) -> Iterator[IndexServer]:
    wheel = make_wheel(tmp_path / "dists", "pkg", "1.0")
    write_simple_index(tmp_path / "index", [wheel])
    with IndexServer(tmp_path / "index") as running:
        yield running


def _request(
    server: IndexServer, path: str, *, method: str = "GET", accept: str | None = None
) -> tuple[int, dict[str, str], bytes]:
    port = int(server.url.rsplit(":", 1)[1])
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        headers = {"Accept": accept} if accept is not None else {}
        connection.request(method, path, headers=headers)
        response = connection.getresponse()
        body = response.read()
        return response.status, dict(response.getheaders()), body
    finally:
        connection.close()


def test_prefers_json() -> None:
    assert prefers_json(PIP_ACCEPT)
    assert prefers_json(SIMPLE_JSON)
    assert not prefers_json(None)
    assert not prefers_json("text/html")
    assert not prefers_json("*/*")
    assert not prefers_json(f"{SIMPLE_JSON}; q=0.1, text/html")


def test_server_serves_html_or_json_by_accept(server: IndexServer) -> None:
    assert server.index_url == server.url + "/simple/"
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", server.url)

    status, headers, body = _request(server, "/simple/pkg/", accept=PIP_ACCEPT)
    assert (status, headers["Content-Type"]) == (200, SIMPLE_JSON)
    assert json.loads(body)["name"] == "pkg"
    assert headers["Content-Length"] == str(len(body))

    for accept in (None, "text/html", f"{SIMPLE_JSON}; q=0.01, text/html"):
        status, headers, body = _request(server, "/simple/pkg/", accept=accept)
        assert (status, headers["Content-Type"]) == (200, "text/html")
        assert b"pkg-1.0-py3-none-any.whl" in body

    status, headers, body = _request(server, "/files/pkg-1.0-py3-none-any.whl")
    assert (status, headers["Content-Type"]) == (200, "application/octet-stream")
    assert body == (server.root / "files" / "pkg-1.0-py3-none-any.whl").read_bytes()

    status, headers, body = _request(server, "/files/pkg-1.0-py3-none-any.whl.metadata")
    assert (status, headers["Content-Type"]) == (200, "application/octet-stream")
    assert body.startswith(b"Metadata-Version: 2.1")

    status, headers, body = _request(server, "/simple/pkg/index.json")
    assert (status, headers["Content-Type"]) == (200, "application/json")

    status, headers, body = _request(server, "/simple/pkg/", method="HEAD")
    assert status == 200
    assert int(headers["Content-Length"]) > 0
    assert body == b""

    status, headers, _ = _request(server, "/simple/pkg")
    assert (status, headers["Location"]) == (301, "/simple/pkg/")


def test_server_logs_requests(server: IndexServer) -> None:
    _request(server, "/simple/")
    _request(server, "/simple/Pkg/")
    _request(server, "/simple/pkg/", method="HEAD")
    _request(server, "/files/missing.whl")

    assert [(r.method, r.path, r.status) for r in server.requests] == [
        ("GET", "/simple/", 200),
        ("GET", "/simple/Pkg/", 404),
        ("HEAD", "/simple/pkg/", 200),
        ("GET", "/files/missing.whl", 404),
    ]
    assert server.requested_paths()[0] == "/simple/"
    assert server.project_requests("PKG") == ["/simple/pkg/"]
    server.clear_requests()
    assert server.requests == []


def test_server_rejects_missing_and_escaping_paths(server: IndexServer, tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("secret", encoding="utf-8")
    for path in (
        "/files/nope.whl",
        "/simple/nope/",
        "/files/pkg-1.0-py3-none-any.whl/",
        "/../secret.txt",
        "/simple/../../secret.txt",
        "/simple/%2e%2e/%2e%2e/secret.txt",
        "/files/..%2f..%2fsecret.txt",
    ):
        status, _, body = _request(server, path)
        assert status == 404, path
        assert b"secret" not in body


def test_server_faults(server: IndexServer) -> None:
    server.fail("/simple/", 503)
    server.fail("/simple/pkg/", 401)
    for path, code in (("/simple/", 503), ("/simple/pkg/", 401)):
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(server.url + path, timeout=2)
        caught.value.close()
        assert caught.value.code == code
    assert _request(server, "/simple/pkg/")[1]["WWW-Authenticate"].startswith("Basic")

    server.reset_faults()
    server.drop("/files/")
    with pytest.raises(OSError) as dropped:
        urllib.request.urlopen(server.url + "/files/pkg-1.0-py3-none-any.whl", timeout=2)
    assert not isinstance(dropped.value, urllib.error.HTTPError)
    assert server.requests[-1].status == 0

    server.reset_faults()
    with urllib.request.urlopen(server.index_url, timeout=2) as response:
        assert response.status == 200


def test_server_delay_and_bounded_stop(tmp_path: Path) -> None:
    (tmp_path / "simple").mkdir()
    (tmp_path / "simple" / "index.html").write_text("<html></html>", encoding="utf-8")
    server = IndexServer(tmp_path).start()
    try:
        server.delay("/simple/", 0.05)
        with urllib.request.urlopen(server.index_url, timeout=2) as response:
            assert response.read() == b"<html></html>"

        server.delay("/simple/", 30)
        started = time.monotonic()
        with pytest.raises(OSError):
            urllib.request.urlopen(server.index_url, timeout=0.3)
        assert time.monotonic() - started < 2
        assert server.requests[-1].path == "/simple/"
    finally:
        started = time.monotonic()
        server.stop()
        assert time.monotonic() - started < 2

    port = int(server.url.rsplit(":", 1)[1])
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        pass
    server.stop()  # a second stop is harmless


def test_shared_cases_run_whole_on_the_bounds_and_in_turn_between() -> None:
    """Issue 14 item 9: a ``shared_cases`` test keeps every case on the oldest and the
    newest pip and on the edge runs; the pips between share the cases out, each case on
    exactly one of them."""
    own = [pipenv.MatrixEntry("python3.11", v, (3, 11)) for v in pipenv.DEFAULT_PIPS]
    edge = pipenv.MatrixEntry("python3.9", "23.0.1", (3, 9))
    cases = {f"case{n}": n for n in range(10)}
    for entry in (own[0], own[-1], edge):
        assert pipenv.share_cases(cases, entry, own) == cases
    middle = [pipenv.share_cases(cases, entry, own) for entry in own[1:-1]]
    assert all(part for part in middle)
    assert sorted(key for part in middle for key in part) == sorted(cases)
    assert pipenv.share_cases(list(range(10)), own[1], own) == [0, 4, 8]
    # Fewer cases than pips between: each of those pips still runs one.
    assert [pipenv.share_cases(["a", "b"], entry, own) for entry in own[1:-1]] == [
        ["a"],
        ["b"],
        ["a"],
        ["b"],
    ]
    # Two pips only (WHEELNEXT_TEST_PIPS): nothing is between them.
    assert pipenv.share_cases(cases, own[0], own[:1] + own[-1:]) == cases

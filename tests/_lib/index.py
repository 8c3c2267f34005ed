"""PEP 503 / PEP 691 package index trees on disk, and a local HTTP server with fault injection."""

from __future__ import annotations

import hashlib
import html
import json
import re
import shutil
import sys
import threading
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from email.parser import BytesParser
from email.policy import compat32
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import TypeVar
from urllib.parse import quote, unquote, urlsplit

from .builders import canonical_name

__all__ = [
    "SIMPLE_HTML",
    "SIMPLE_JSON",
    "IndexServer",
    "Request",
    "prefers_json",
    "project_of_filename",
    "read_wheel_metadata",
    "write_simple_index",
]

SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"
SIMPLE_HTML = "application/vnd.pypi.simple.v1+html"

_JSON_TYPES = frozenset({SIMPLE_JSON, "application/vnd.pypi.simple.latest+json"})
_HTML_TYPES = frozenset({SIMPLE_HTML, "application/vnd.pypi.simple.latest+html", "text/html"})
_HTML_OR_ANY_TYPES = _HTML_TYPES | {"text/*", "*/*"}
_SDIST_SUFFIXES = (".tar.gz", ".zip", ".tar.bz2", ".tgz")
_METADATA_ENTRY = re.compile(r"^([^/]+)\.dist-info/METADATA$")

_V = TypeVar("_V")


def read_wheel_metadata(path: Path) -> bytes:
    """Return the bytes of the wheel's top-level ``*.dist-info/METADATA``.

    Raises ``ValueError`` when the wheel has none, or several that its name cannot tell apart.
    """
    with zipfile.ZipFile(path) as archive:
        found = {
            match.group(1): name
            for name in archive.namelist()
            if (match := _METADATA_ENTRY.match(name))
        }
        if len(found) > 1:
            project = project_of_filename(path.name)
            found = {
                dist_info: name
                for dist_info, name in found.items()
                if canonical_name(dist_info.split("-", 1)[0]) == project
            }
        if len(found) != 1:
            raise ValueError(
                f"{path.name}: expected one .dist-info/METADATA, found {sorted(found)}"
            )
        return archive.read(next(iter(found.values())))


def project_of_filename(filename: str) -> str:
    """Return the canonical project name encoded in a wheel or sdist filename."""
    if filename.endswith(".whl"):
        return canonical_name(filename.split("-", 1)[0])
    for suffix in _SDIST_SUFFIXES:
        if filename.endswith(suffix):
            # Legacy sdists may have dashes in the name; the version never does.
            return canonical_name(filename[: -len(suffix)].rsplit("-", 1)[0])
    raise ValueError(f"cannot tell the project of {filename!r}")


@dataclass(frozen=True)
class _IndexFile:
    filename: str
    sha256: str
    requires_python: str | None = None
    metadata_sha256: str | None = None
    yanked: str | None = None

    @property
    def href(self) -> str:
        return "../../files/" + quote(self.filename)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _wheel_details(path: Path, *, metadata_files: bool) -> tuple[str | None, str | None]:
    """Return (requires_python, metadata_sha256); writes ``<file>.metadata`` when asked."""
    try:
        metadata = read_wheel_metadata(path)
    except (ValueError, zipfile.BadZipFile):
        # Broken wheels are still listed, just without metadata attributes.
        return None, None
    requires_python = BytesParser(policy=compat32).parsebytes(metadata).get("Requires-Python")
    if not metadata_files:
        return requires_python, None
    path.with_name(path.name + ".metadata").write_bytes(metadata)
    return requires_python, _sha256(metadata)


def _anchor(entry: _IndexFile) -> str:
    attributes = [f'href="{html.escape(entry.href + "#sha256=" + entry.sha256)}"']
    if entry.requires_python is not None:
        attributes.append(f'data-requires-python="{html.escape(entry.requires_python)}"')
    if entry.metadata_sha256 is not None:
        value = f"sha256={entry.metadata_sha256}"
        attributes.append(f'data-dist-info-metadata="{value}"')
        attributes.append(f'data-core-metadata="{value}"')
    if entry.yanked is not None:
        attributes.append(f'data-yanked="{html.escape(entry.yanked)}"')
    return f"    <a {' '.join(attributes)}>{html.escape(entry.filename)}</a><br>"


def _html_page(title: str, anchors: Iterable[str]) -> str:
    lines = [
        "<!DOCTYPE html>",
        "<html>",
        "  <head>",
        '    <meta name="pypi:repository-version" content="1.0">',
        f"    <title>{html.escape(title)}</title>",
        "  </head>",
        "  <body>",
        f"    <h1>{html.escape(title)}</h1>",
        *anchors,
        "  </body>",
        "</html>",
    ]
    return "\n".join(lines) + "\n"


def _json_file(entry: _IndexFile) -> dict[str, object]:
    data: dict[str, object] = {
        "filename": entry.filename,
        "url": entry.href,
        "hashes": {"sha256": entry.sha256},
    }
    if entry.requires_python is not None:
        data["requires-python"] = entry.requires_python
    if entry.metadata_sha256 is not None:
        # PEP 714's key only: pip 23.0.x crashes on a hash dict under the old
        # "dist-info-metadata" key in JSON pages (PyPI stopped serving it for that reason).
        data["core-metadata"] = {"sha256": entry.metadata_sha256}
    # PEP 691: a yank reason must be a non-empty string, otherwise plain true.
    data["yanked"] = (entry.yanked or True) if entry.yanked is not None else False
    return data


def _write_json(path: Path, data: object) -> None:
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def write_simple_index(
    root: Path,
    dists: Iterable[Path],
    *,
    metadata_files: bool = True,
    extra_files: Mapping[str, Iterable[Path]] | None = None,
    yanked: Mapping[str, str] | None = None,
) -> Path:
    """Write a static index below ``root`` (files in ``root/files``) and return ``root/simple``.

    ``extra_files`` maps a project name to further files (such as variant JSON files) that are
    copied and linked from that project's page; ``yanked`` maps filenames to a yank reason.
    """
    files_dir = root / "files"
    simple_dir = root / "simple"
    files_dir.mkdir(parents=True, exist_ok=True)
    simple_dir.mkdir(parents=True, exist_ok=True)
    yanked = yanked or {}

    projects: dict[str, dict[str, _IndexFile]] = {}

    def add(project: str, source: Path, *, is_dist: bool) -> None:
        target = files_dir / source.name
        if source.resolve() != target.resolve():
            shutil.copyfile(source, target)
        requires_python = metadata_sha256 = None
        if is_dist and target.name.endswith(".whl"):
            requires_python, metadata_sha256 = _wheel_details(target, metadata_files=metadata_files)
        projects.setdefault(project, {})[target.name] = _IndexFile(
            filename=target.name,
            sha256=_sha256(target.read_bytes()),
            requires_python=requires_python,
            metadata_sha256=metadata_sha256,
            yanked=yanked.get(target.name),
        )

    for dist in dists:
        add(project_of_filename(dist.name), dist, is_dist=True)
    for project, paths in (extra_files or {}).items():
        for path in paths:
            add(canonical_name(project), path, is_dist=False)

    names = sorted(projects)
    root_anchors = [f'    <a href="{quote(name)}/">{html.escape(name)}</a><br>' for name in names]
    (simple_dir / "index.html").write_text(
        _html_page("Simple index", root_anchors), encoding="utf-8"
    )
    _write_json(
        simple_dir / "index.json",
        {"meta": {"api-version": "1.0"}, "projects": [{"name": name} for name in names]},
    )

    for name in names:
        entries = [projects[name][filename] for filename in sorted(projects[name])]
        project_dir = simple_dir / name
        project_dir.mkdir(exist_ok=True)
        (project_dir / "index.html").write_text(
            _html_page(f"Links for {name}", [_anchor(entry) for entry in entries]),
            encoding="utf-8",
        )
        _write_json(
            project_dir / "index.json",
            {
                "meta": {"api-version": "1.0"},
                "name": name,
                "files": [_json_file(entry) for entry in entries],
            },
        )
    return simple_dir


@dataclass(frozen=True)
class Request:
    """One request the server saw; ``status`` is 0 for a dropped connection."""

    method: str
    path: str
    status: int


def _accept_qualities(accept: str) -> dict[str, float]:
    qualities: dict[str, float] = {}
    for item in accept.split(","):
        media_type, *params = (part.strip() for part in item.split(";"))
        if not media_type:
            continue
        quality = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        media_type = media_type.lower()
        qualities[media_type] = max(quality, qualities.get(media_type, 0.0))
    return qualities


def prefers_json(accept: str | None) -> bool:
    """Tell whether an Accept header ranks the PEP 691 JSON form strictly above HTML."""
    if not accept:
        return False
    qualities = _accept_qualities(accept)
    json_q = max(qualities.get(media_type, 0.0) for media_type in _JSON_TYPES)
    html_q = max(qualities.get(media_type, 0.0) for media_type in _HTML_OR_ANY_TYPES)
    return json_q > html_q


@dataclass(frozen=True)
class _Response:
    status: int
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"
    headers: tuple[tuple[str, str], ...] = ()


def _content_type(path: Path) -> str:
    if path.suffix == ".html":
        return "text/html"
    if path.suffix == ".json":
        return "application/json"
    return "application/octet-stream"


def _longest_prefix(faults: Mapping[str, _V], path: str) -> _V | None:
    matches = [prefix for prefix in faults if path.startswith(prefix)]
    return faults[max(matches, key=len)] if matches else None


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    # server_close() must not wait for a handler that sleeps in an injected delay.
    block_on_close = False

    def __init__(self, owner: IndexServer) -> None:
        self.owner = owner
        super().__init__(("127.0.0.1", 0), _Handler)

    def handle_error(self, request: object, client_address: object) -> None:
        # Clients that time out or hang up mid-answer are expected in fault tests.
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]


class _Handler(BaseHTTPRequestHandler):
    server: _HTTPServer
    server_version = "wnp-test-index/1.0"

    def log_message(self, format: str, *args: object) -> None:
        """Keep the test output free of per-request access logs."""

    def do_GET(self) -> None:
        self._answer(send_body=True)

    def do_HEAD(self) -> None:
        self._answer(send_body=False)

    def _answer(self, *, send_body: bool) -> None:
        owner = self.server.owner
        path = unquote(urlsplit(self.path).path)
        delay, dropped, failure = owner._faults_for(path)
        with owner._lock:
            replacement = _longest_prefix(owner._replacements, path)
        if dropped:
            response = None
        elif failure is not None:
            response = _failure_response(failure)
        elif replacement is not None:
            response = replacement
        else:
            response = self._resolve(owner.root, path)
            with owner._lock:
                content_type = _longest_prefix(owner._content_types, path)
            if content_type is not None and response.status == 200:
                response = _Response(200, response.body, content_type, response.headers)
        owner._record(Request(self.command, path, 0 if response is None else response.status))

        if delay:
            owner._stopping.wait(delay)
        if response is None:
            self.close_connection = True
            return
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers:
            self.send_header(name, value)
        self.end_headers()
        if send_body:
            self.wfile.write(response.body)

    def _resolve(self, root: Path, path: str) -> _Response:
        segments = path.split("/")
        if not path.startswith("/") or "\\" in path or "\0" in path or ".." in segments:
            return _not_found()
        root = root.resolve()
        target = root.joinpath(*(part for part in segments if part not in ("", ".")))
        try:
            target = target.resolve()
        except OSError:
            return _not_found()
        if target != root and root not in target.parents:
            return _not_found()

        if target.is_dir():
            if not path.endswith("/"):
                return _Response(301, headers=(("Location", quote(path) + "/"),))
            if prefers_json(self.headers.get("Accept")) and (target / "index.json").is_file():
                return _Response(200, (target / "index.json").read_bytes(), SIMPLE_JSON)
            target = target / "index.html"
        elif path.endswith("/"):
            return _not_found()
        if not target.is_file():
            return _not_found()
        return _Response(200, target.read_bytes(), _content_type(target))


def _not_found() -> _Response:
    return _Response(404, b"404 not found\n")


def _failure_response(status: int) -> _Response:
    headers: tuple[tuple[str, str], ...] = ()
    if status == 401:
        headers = (("WWW-Authenticate", 'Basic realm="wnp-test-index"'),)
    return _Response(status, f"{status} injected by the test\n".encode(), headers=headers)


class IndexServer:
    """Serve the files below ``root`` over HTTP on 127.0.0.1, with injectable faults.

    Faults match on the decoded request path by prefix (the longest matching prefix wins);
    a delay combines with a failure, a drop, a replaced body or a redirect; a drop or a
    failure wins over a replaced body or a redirect.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._lock = threading.Lock()
        self._requests: list[Request] = []
        self._failures: dict[str, int] = {}
        self._delays: dict[str, float] = {}
        self._drops: dict[str, bool] = {}
        self._content_types: dict[str, str] = {}
        self._replacements: dict[str, _Response] = {}
        self._stopping = threading.Event()
        self._server: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._port: int | None = None

    @property
    def url(self) -> str:
        if self._port is None:
            raise RuntimeError("the index server has not been started")
        return f"http://127.0.0.1:{self._port}"

    @property
    def index_url(self) -> str:
        return self.url + "/simple/"

    @property
    def requests(self) -> list[Request]:
        """A snapshot of the requests seen so far, in arrival order."""
        with self._lock:
            return list(self._requests)

    def clear_requests(self) -> None:
        with self._lock:
            self._requests.clear()

    def requested_paths(self) -> list[str]:
        return [request.path for request in self.requests]

    def project_requests(self, project: str) -> list[str]:
        prefix = f"/simple/{canonical_name(project)}/"
        return [path for path in self.requested_paths() if path.startswith(prefix)]

    def fail(self, prefix: str, status: int) -> None:
        if not 100 <= status <= 599:
            raise ValueError(f"not an HTTP status: {status}")
        with self._lock:
            self._failures[prefix] = status

    def delay(self, prefix: str, seconds: float) -> None:
        with self._lock:
            self._delays[prefix] = seconds

    def drop(self, prefix: str) -> None:
        with self._lock:
            self._drops[prefix] = True

    def serve_content_type(self, prefix: str, content_type: str) -> None:
        """Answer successful requests below ``prefix`` with this Content-Type."""
        with self._lock:
            self._content_types[prefix] = content_type

    def serve_body(self, prefix: str, body: bytes, content_type: str) -> None:
        """Answer requests below ``prefix`` with 200 and this body instead of the index's page
        (an empty page, a login or captive-portal page, a file that is no index page)."""
        with self._lock:
            self._replacements[prefix] = _Response(200, body, content_type)

    def redirect(self, prefix: str, location: str, status: int = 302) -> None:
        """Answer requests below ``prefix`` with a redirect to ``location`` (any URL)."""
        if not 300 <= status < 400:
            raise ValueError(f"not a redirect status: {status}")
        with self._lock:
            self._replacements[prefix] = _Response(
                status, b"", "text/html", headers=(("Location", location),)
            )

    def reset_faults(self) -> None:
        with self._lock:
            self._replacements.clear()
            self._content_types.clear()
            self._failures.clear()
            self._delays.clear()
            self._drops.clear()

    def start(self) -> IndexServer:
        if self._thread is not None:
            raise RuntimeError("the index server is already running")
        self._stopping.clear()
        server = _HTTPServer(self)
        self._server = server
        self._port = server.server_address[1]
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"wnp-index-server-{self._port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Shut the server down; wakes delayed handlers and waits at most ``timeout``."""
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is None or thread is None:
            return
        self._stopping.set()
        if thread.is_alive():
            server.shutdown()
        server.server_close()
        thread.join(timeout)

    def __enter__(self) -> IndexServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _record(self, request: Request) -> None:
        with self._lock:
            self._requests.append(request)

    def _faults_for(self, path: str) -> tuple[float, bool, int | None]:
        with self._lock:
            delay = _longest_prefix(self._delays, path) or 0.0
            dropped = _longest_prefix(self._drops, path) or False
            failure = _longest_prefix(self._failures, path)
        return delay, dropped, failure

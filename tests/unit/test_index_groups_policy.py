"""The pure policy of ranked index groups: classification, merging, decisions, layout."""

from __future__ import annotations

import pytest

from wheelnext_pip._settings import IndexGroup, normalize_index_url
from wheelnext_pip.index_groups import (
    GroupLayout,
    GroupOutcome,
    PageOutcome,
    classify_page,
    combine_outcomes,
    first_match_step,
    is_distribution_file,
    listed_nothing_line,
    redact_url,
    redirect_line,
    simple_json_problem,
)


@pytest.mark.parametrize(
    ("status", "failure", "files", "kind", "detail"),
    [
        (200, None, 3, "files", "3 files"),
        (200, None, 1, "files", "1 file"),
        (200, None, 0, "absent", "no files listed, HTTP 200"),
        (203, None, 0, "absent", "no files listed, HTTP 203"),
        (404, None, 0, "absent", "HTTP 404"),
        (503, None, 0, "error", "HTTP 503"),
        (401, None, 0, "error", "HTTP 401"),
        (403, None, 0, "error", "HTTP 403"),
        (410, None, 0, "error", "HTTP 410"),
        (429, None, 0, "error", "HTTP 429"),
        (None, "ConnectionError", 0, "error", "ConnectionError"),
        (None, "ConnectTimeout", 0, "error", "ConnectTimeout"),
        (200, "unsupported Content-Type application/octet-stream", 0, "error", "unsupported"),
        (None, None, 0, "absent", "no files"),  # never fetched (a VCS URL): nothing there
    ],
)
def test_classify_page(
    status: int | None, failure: str | None, files: int, kind: str, detail: str
) -> None:
    outcome = classify_page(status=status, failure=failure, file_count=files)
    assert outcome.kind == kind
    assert outcome.detail.startswith(detail)
    # Only a 2xx page that answered yet listed nothing calls for the "looks like absence"
    # warning: not a 404, not an error, not a location never fetched.
    assert outcome.listed_nothing is (kind == "absent" and status is not None and status != 404)


def test_any_error_makes_the_group_an_error() -> None:
    pages = [
        ("http://a/simple/", PageOutcome("files", "2 files")),
        ("http://a2/simple/", PageOutcome("error", "HTTP 503")),
    ]
    assert combine_outcomes("a", pages) == GroupOutcome(
        "a", "error", "HTTP 503", "http://a2/simple/"
    )
    files_and_absent = [pages[0], ("http://a2/simple/", PageOutcome("absent", "HTTP 404"))]
    assert combine_outcomes("a", files_and_absent).kind == "files"
    assert combine_outcomes("a", []).kind == "absent"


@pytest.mark.parametrize(
    ("kind", "pinned", "last", "on_error", "action", "says"),
    [
        ("files", False, False, "stop", "choose", None),
        ("files", True, True, "stop", "choose", None),
        ("absent", False, False, "stop", "next", None),
        ("absent", True, True, "stop", "stop", "pinned to index group 'a'"),
        ("error", False, False, "stop", "stop", "not falling back to lower groups"),
        ("error", False, False, "next", "next", "skipping it (index-on-error=next)"),
        ("error", False, True, "stop", "next", None),  # nothing below: pip's own handling
        ("error", True, True, "next", "stop", "index-pins takes 'foo' only from it"),
    ],
)
def test_first_match_step(
    kind: str, pinned: bool, last: bool, on_error: str, action: str, says: str | None
) -> None:
    outcome = GroupOutcome("a", kind, "HTTP 503", "http://u:pw@a.example/simple/")  # type: ignore[arg-type]
    step = first_match_step("foo", outcome, pinned=pinned, last=last, on_error=on_error)
    assert step.action == action
    if says is None:
        assert step.message is None
    else:
        assert step.message is not None and says in step.message
        assert "pw" not in step.message


def test_error_message_names_group_url_project_and_cause() -> None:
    outcome = GroupOutcome("private", "error", "HTTP 503", "https://pkgs.example/simple/")
    step = first_match_step("confpkg", outcome, pinned=False, last=False, on_error="stop")
    assert step.message == (
        "index group 'private' (https://pkgs.example/simple/) is unreachable for 'confpkg' "
        "(HTTP 503); not falling back to lower groups (set index-on-error=next to skip it)"
    )


def test_layout_places_pip_locations_in_default_and_pins_narrow_the_order() -> None:
    layout = GroupLayout.create(
        (IndexGroup("a", ("HTTP://A.example:80/simple",)), IndexGroup("b", ("http://b/s/",))),
        {"foo": "b"},
    )
    assert [group.name for group in layout.groups] == ["a", "b", "default"]
    assert layout.active
    assert layout.group_of("http://a.example/simple/") == "a"
    assert layout.group_of("https://pypi.org/simple/") == "default"
    assert layout.order_for("Foo") == ("b",)
    assert layout.order_for("bar") == ("a", "b", "default")
    assert layout.urls_to_add(["https://pypi.org/simple", "http://b/s"]) == [
        "HTTP://A.example:80/simple"
    ]
    assert not GroupLayout.create((IndexGroup("default", ()),)).active


def test_describe_is_one_line_without_credentials() -> None:
    layout = GroupLayout.create((IndexGroup("private", ("https://me:tok@p.example/simple/",)),))
    text = layout.describe()
    assert "\n" not in text and "tok" not in text
    assert text.startswith("index groups, first-match: 1. private (https://p.example/simple/)")


@pytest.mark.parametrize(
    ("url", "normalized"),
    [
        ("HTTPS://User:Pw@PyPI.org:443/simple", "https://pypi.org/simple/"),
        ("http://host:8080/Simple/#frag", "http://host:8080/Simple/"),
        ("http://[::1]:80/x/", "http://[::1]/x/"),
        ("file:///srv/index", "file:///srv/index/"),
    ],
)
def test_normalize_index_url(url: str, normalized: str) -> None:
    assert normalize_index_url(url) == normalized


@pytest.mark.parametrize(
    ("filename", "counts"),
    [
        ("foo-1.0-py3-none-any.whl", True),
        ("Foo_Bar-1.0.tar.gz", False),  # another project on the page of foo
        ("foo-1.0.tar.gz", True),
        ("foo-1.0.zip", True),
        ("foo-1.0-py3-none-any.whl.metadata", False),
        ("foo-1.0-variants.json", False),
        ("foo-1.0-py3-none-any-cu12.whl", True),
        ("foobar-1.0.tar.gz", False),
    ],
)
def test_is_distribution_file(filename: str, counts: bool) -> None:
    assert is_distribution_file(filename, "foo") is counts


def test_redact_url() -> None:
    assert redact_url("https://u:p@h/simple/") == "https://h/simple/"
    assert redact_url("https://h/simple/") == "https://h/simple/"


@pytest.mark.parametrize(
    ("groups", "pins"),
    [
        ((), {}),
        ((IndexGroup("default", ()),), {}),
        ((IndexGroup("default", ()),), {"foo": "default"}),
        ((IndexGroup("a", ("http://a/s/",)),), {}),
        ((IndexGroup("a", ("http://a/s/",)), IndexGroup("default", ())), {}),
    ],
)
def test_settings_know_whether_groups_change_anything(
    groups: tuple[IndexGroup, ...], pins: dict[str, str]
) -> None:
    """pip start-up decides from the settings alone whether to load the index-groups hooks;
    that must agree with the layout the hooks build."""
    from wheelnext_pip._features import parse_switch
    from wheelnext_pip._settings import Settings

    settings = Settings(parse_switch("1"), index_groups=groups, index_pins=pins)
    assert settings.ranks_indexes == GroupLayout.create(groups, pins).active


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b'{"meta": {"api-version": "1.0"}, "name": "foo", "files": []}', None),
        (b'{"meta": {"api-version": "1.1"}, "files": [{"filename": "f", "url": "u"}]}', None),
        (b"", "the body is not JSON"),
        (b"<html><body>Sign in</body></html>", "the body is not JSON"),
        (b"\xff\xfe", "the body is not JSON"),
        (b"[]", "JSON list, not an object"),
        (b'{"detail": "Authentication required"}', "no meta.api-version"),
        (b'{"meta": {"api-version": 1}, "files": []}', "no meta.api-version"),
        (b'{"meta": {"api-version": "1.0"}, "projects": []}', "no list of files"),
        (b'{"meta": {"api-version": "1.0"}, "files": ["foo-1.0.tar.gz"]}', "no list of files"),
    ],
)
def test_simple_json_problem(body: bytes, problem: str | None) -> None:
    """A body served as PEP 691 JSON that is not a PEP 691 project page is an index error
    (pip would read it as "no files", or crash on it)."""
    found = simple_json_problem(body)
    if problem is None:
        assert found is None
    else:
        assert found is not None and problem in found and "\n" not in found


def test_listed_nothing_line_names_group_page_and_where_the_project_came_from() -> None:
    line = listed_nothing_line("foo", "private", ["https://me:tok@p.example/simple/foo/"], 200, "b")
    assert line == (
        "index group 'private' answered HTTP 200 for 'foo' at https://p.example/simple/foo/, "
        "but the page listed no files; taking 'foo' from group 'b' "
        "(a login page or an outage looks the same)"
    )
    two = listed_nothing_line(
        "foo", "a", ["http://u:pw@a/simple/foo/", "http://a2/s/foo/"], 200, None
    )
    assert "at http://a/simple/foo/, http://a2/s/foo/, but the pages listed no files" in two
    assert "no lower group served 'foo' either" in two
    assert "pw" not in two and "\n" not in two


def test_redirect_line_names_both_urls_without_credentials() -> None:
    line = redirect_line(
        "foo", "a", "http://u:pw@a/simple/foo/", "https://r:tok@c/simple/foo/", "default"
    )
    assert line == (
        "foo: index group 'a': http://a/simple/foo/ redirected to https://c/simple/foo/, "
        "a page of group 'default'; its answer counts for group 'a'"
    )
    elsewhere = redirect_line("foo", "a", "http://a/simple/foo/", "http://login/sso", None)
    assert elsewhere.endswith("redirected to http://login/sso; its answer counts for group 'a'")

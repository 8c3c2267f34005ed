"""The pure link planner: every rule of PEP 778 links as wheelnext-pip applies them, with
hostile inputs.

Every refusal is checked for one line naming the wheel, the link's source and the rule.
"""

from __future__ import annotations

import base64
import hashlib
import stat
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Callable

import pytest

from wheelnext_pip.errors import WheelnextPipError
from wheelnext_pip.symlinks import (
    MAX_CHAIN,
    RULES,
    LinkError,
    LinkPlan,
    PlannedLink,
    check_links_recorded,
    is_zip_symlink,
    link_inputs,
    parse_links_file,
    parse_record,
    parse_wheel_version,
    plan_links,
    read_links,
    wheel_version_problem,
    zip_link_target,
)

WHEEL = "pkg-1.0-cp312-cp312-linux_x86_64.whl"
DIST_INFO = "pkg-1.0.dist-info"
LINKS_PATH = f"{DIST_INFO}/LINKS"
MEMBERS = (
    "pkg/",
    "pkg/__init__.py",
    "pkg/libfoo.so.3.1.4",
    "pkg/real/__init__.py",
    "pkg/real/mod.py",
    "pkg/libs/lib.so.1",
    "pkg/lib/libfoo.so.1",
    "pkg/empty/",
    "pkg_b/__init__.py",
    "pkg_b/data.bin",
    "six.py",
    f"{DIST_INFO}/METADATA",
    f"{DIST_INFO}/WHEEL",
    f"{DIST_INFO}/RECORD",
    "pkg-1.0.data/scripts/tool",
    "pkg-1.0.data/headers/foo.h",
)

Row = tuple[str, str]


def plan(
    *rows: Row,
    members: Sequence[str] = MEMBERS,
    zip_links: Mapping[str, str] | None = None,
) -> LinkPlan:
    all_members = [*members, *(zip_links or {})]
    return plan_links(wheel=WHEEL, members=all_members, link_rows=rows, zip_links=zip_links)


def shown(path: str) -> str:
    return "".join(char if char.isprintable() else ascii(char)[1:-1] for char in path)


def refused(call: Callable[[], object], source: str, rule: str) -> LinkError:
    """Run ``call``, expect a LinkError for ``source`` and ``rule``, check its message."""
    with pytest.raises(LinkError) as caught:
        call()
    error = caught.value
    message = str(error)
    assert (error.rule, error.source) == (rule, source), message
    assert "\n" not in message and "\r" not in message
    assert message.startswith(f"{WHEEL}: ")
    assert shown(source) in message
    assert f": {rule}" in message
    assert rule in RULES
    return error


def refused_plan(rows: Sequence[Row], source: str, rule: str, **kwargs: object) -> LinkError:
    error = refused(lambda: plan(*rows, **kwargs), source, rule)  # type: ignore[arg-type]
    assert str(error).startswith(f"{WHEEL}: link {shown(source)} -> ")
    return error


# -- valid plans ------------------------------------------------------------------------


def test_the_pep_example_with_source_the_link_and_target_the_file() -> None:
    """The link is made relative to its folder and ends at the real file."""
    result = plan(("pkg/libfoo.so.3", "pkg/libfoo.so.3.1.4"))
    assert result.links == (
        PlannedLink(
            source="pkg/libfoo.so.3",
            target="pkg/libfoo.so.3.1.4",
            relative="libfoo.so.3.1.4",
            is_dir=False,
            final_target="pkg/libfoo.so.3.1.4",
            origin="LINKS",
        ),
    )


def test_the_pep_example_read_the_other_way_round() -> None:
    # The PEP's rows, in a wheel whose real file is libfoo.so.3.1.4: the first row would
    # replace the real file with a link, and its target is not in the wheel.
    error = refused_plan(
        [("pkg/libfoo.so.3.1.4", "pkg/libfoo.so.3")],
        "pkg/libfoo.so.3.1.4",
        "collides with a file of the wheel",
    )
    assert str(error) == (
        f"{WHEEL}: link pkg/libfoo.so.3.1.4 -> pkg/libfoo.so.3: collides with a file of the wheel"
    )
    # Where the source is free, the target that is not a member makes it dangling.
    refused_plan(
        [("pkg/libfoo.so.3.1.4", "pkg/libfoo.so.3")],
        "pkg/libfoo.so.3.1.4",
        "dangling target (not in the wheel)",
        members=["pkg/__init__.py"],
    )
    # The same rows are fine in our direction when the wheel ships the file they end at.
    links = plan(
        ("pkg/libfoo.so.3.1.4", "pkg/libfoo.so.3"),
        ("pkg/libfoo.so.3", "pkg/libfoo.so"),
        members=["pkg/__init__.py", "pkg/libfoo.so"],
    ).by_source()
    assert links["pkg/libfoo.so.3.1.4"].final_target == "pkg/libfoo.so"
    assert links["pkg/libfoo.so.3.1.4"].relative == "libfoo.so.3"


@pytest.mark.parametrize(
    ("rows", "source", "relative", "is_dir", "final"),
    [
        # Directory link.
        ([("pkg/alias", "pkg/real")], "pkg/alias", "real", True, "pkg/real"),
        # Nested folders: relative to the link's own folder.
        (
            [("pkg/sub/lib.so", "pkg/libs/lib.so.1")],
            "pkg/sub/lib.so",
            "../libs/lib.so.1",
            False,
            "pkg/libs/lib.so.1",
        ),
        (
            [("pkg/a/b/c.py", "pkg/real/mod.py")],
            "pkg/a/b/c.py",
            "../../real/mod.py",
            False,
            "pkg/real/mod.py",
        ),
        ([("pkg/real/m2.py", "pkg/real/mod.py")], "pkg/real/m2.py", "mod.py", False, None),
        # Multi-package wheels: any package of the wheel is in scope.
        (
            [("pkg_b/lib.so", "pkg/libs/lib.so.1")],
            "pkg_b/lib.so",
            "../pkg/libs/lib.so.1",
            False,
            "pkg/libs/lib.so.1",
        ),
        ([("pkg/b", "pkg_b")], "pkg/b", "../pkg_b", True, "pkg_b"),
        ([("pkg/six_alias.py", "six.py")], "pkg/six_alias.py", "../six.py", False, "six.py"),
        # A chain ending at a directory is a directory link.
        (
            [("pkg/alias2", "pkg/alias"), ("pkg/alias", "pkg/real")],
            "pkg/alias2",
            "alias",
            True,
            "pkg/real",
        ),
        # A directory link inside a folder it does not point back to.
        ([("pkg/real/libs", "pkg/libs")], "pkg/real/libs", "../libs", True, "pkg/libs"),
        # A 3-link chain.
        (
            [
                ("pkg/libfoo.so", "pkg/libfoo.so.3"),
                ("pkg/libfoo.so.3", "pkg/libfoo.so.3.1"),
                ("pkg/libfoo.so.3.1", "pkg/libfoo.so.3.1.4"),
            ],
            "pkg/libfoo.so",
            "libfoo.so.3",
            False,
            "pkg/libfoo.so.3.1.4",
        ),
    ],
)
def test_valid_links(
    rows: list[Row], source: str, relative: str, is_dir: bool, final: str | None
) -> None:
    link = plan(*rows).by_source()[source]
    assert (link.relative, link.is_dir, link.origin) == (relative, is_dir, "LINKS")
    assert link.final_target == (final or link.target)


def test_a_chain_of_exactly_max_chain_links_is_accepted() -> None:
    """40 links from the first source to the file."""
    assert MAX_CHAIN == 40
    rows = [(f"pkg/c{i}", f"pkg/c{i + 1}") for i in range(MAX_CHAIN - 1)]
    rows.append((f"pkg/c{MAX_CHAIN - 1}", "pkg/libfoo.so.3.1.4"))
    links = plan(*rows).by_source()
    assert len(links) == MAX_CHAIN
    assert links["pkg/c0"].final_target == "pkg/libfoo.so.3.1.4"
    assert links["pkg/c0"].relative == "c1"


def test_a_chain_of_41_links_is_refused() -> None:
    rows = [(f"pkg/c{i}", f"pkg/c{i + 1}") for i in range(MAX_CHAIN)]
    rows.append((f"pkg/c{MAX_CHAIN}", "pkg/libfoo.so.3.1.4"))
    refused_plan(rows, "pkg/c0", "chain longer than 40 links")


def test_plan_order_is_links_rows_then_zip_links_by_member_path() -> None:
    result = plan(
        ("pkg/z", "pkg/libfoo.so.3.1.4"),
        ("pkg/a", "pkg/libfoo.so.3.1.4"),
        zip_links={"pkg/lib/y.so": "libfoo.so.1", "pkg/lib/b.so": "libfoo.so.1"},
    )
    assert [(link.source, link.origin) for link in result.links] == [
        ("pkg/z", "LINKS"),
        ("pkg/a", "LINKS"),
        ("pkg/lib/b.so", "zip"),
        ("pkg/lib/y.so", "zip"),
    ]
    assert list(result.by_source()) == ["pkg/z", "pkg/a", "pkg/lib/b.so", "pkg/lib/y.so"]


def test_a_wheel_without_links_plans_nothing() -> None:
    result = plan()
    assert result == LinkPlan(()) and not result and result.by_source() == {}
    assert plan(("pkg/x", "pkg/real/mod.py"))


# -- path syntax and scope -----------------------------------------------------------------

GOOD = "pkg/libfoo.so.3.1.4"


@pytest.mark.parametrize(
    ("path", "rule"),
    [
        ("../../../etc/passwd", "path escapes with '..'"),
        ("pkg/../../etc", "path escapes with '..'"),
        ("..", "path escapes with '..'"),
        ("pkg/../pkg/real", "'..' segment in path"),
        ("/etc/passwd", "absolute path"),
        ("//server/share/x", "absolute path"),
        ("C:/x", "absolute path"),
        ("c:x", "absolute path"),
        ("pkg\\x", "backslash in path"),
        ("pkg\\..\\..\\etc", "backslash in path"),
        ("pkg/./libfoo.so.3.1.4", "'.' segment in path"),
        ("./pkg/x", "'.' segment in path"),
        ("pkg//x", "empty segment in path"),
        ("pkg/real/", "empty segment in path"),
        ("pkg/x\x00", "NUL in path"),
        ("", "empty path"),
        ("etc/passwd", "outside the wheel's packages"),
        ("pkg-1.0.dist-info/METADATA", "inside .dist-info or .data"),
        ("pkg-1.0.data/scripts/tool", "inside .dist-info or .data"),
        ("other-2.0.dist-info/RECORD", "inside .dist-info or .data"),
    ],
)
@pytest.mark.parametrize("end", ["source", "target"])
def test_path_rules_apply_to_both_ends(path: str, rule: str, end: str) -> None:
    row = (path, GOOD) if end == "source" else ("pkg/evil", path)
    error = refused_plan([row], row[0], rule)
    assert error.target == row[1]


def test_a_dangling_target_that_exists_on_disk_is_still_dangling(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only the wheel's own members count; the file system is never consulted."""
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "planted.so").write_bytes(b"x")
    (tmp_path / "etc").mkdir()
    monkeypatch.chdir(tmp_path / "pkg")
    refused_plan([("pkg/evil", "pkg/planted.so")], "pkg/evil", "dangling target (not in the wheel)")
    refused_plan([("pkg/evil", "pkg/../../etc")], "pkg/evil", "path escapes with '..'")
    refused_plan([("pkg/evil", "pkg/../etc")], "pkg/evil", "'..' segment in path")


@pytest.mark.parametrize(
    ("rows", "source", "rule", "detail"),
    [
        # Dangling, directly or at the end of a chain.
        ([("pkg/evil", "pkg/not-there")], "pkg/evil", "dangling target (not in the wheel)", ""),
        (
            [("pkg/x", "pkg/y"), ("pkg/y", "pkg/gone")],
            "pkg/x",
            "dangling target (not in the wheel)",
            "the chain ends at pkg/gone",
        ),
        # A folder entry without files is not something the wheel installs.
        ([("pkg/evil", "pkg/empty")], "pkg/evil", "dangling target (not in the wheel)", ""),
        # A file used as a folder exists nowhere.
        (
            [("pkg/evil", "pkg/real/mod.py/x")],
            "pkg/evil",
            "dangling target (not in the wheel)",
            "",
        ),
        # Case matters for what exists: refuse rather than rely on the file system.
        ([("pkg/evil", "pkg/REAL/mod.py")], "pkg/evil", "dangling target (not in the wheel)", ""),
        # Cycles, including a link to itself.
        ([("pkg/a", "pkg/b"), ("pkg/b", "pkg/a")], "pkg/a", "cycle", "pkg/a -> pkg/b -> pkg/a"),
        ([("pkg/a", "pkg/a")], "pkg/a", "cycle", "pkg/a -> pkg/a"),
        (
            [("pkg/x", "pkg/a"), ("pkg/a", "pkg/b"), ("pkg/b", "pkg/a")],
            "pkg/x",
            "cycle",
            "pkg/a -> pkg/b -> pkg/a",
        ),
        # Directory loops: a link inside the folder it ends at.
        ([("pkg/real/up", "pkg")], "pkg/real/up", "cycle", "directory loop: pkg/real/up -> pkg"),
        ([("pkg/real/me", "pkg/real")], "pkg/real/me", "cycle", None),
        (
            [("pkg/real/x", "pkg/libs"), ("pkg/libs/y", "pkg/real")],
            "pkg/real/x",
            "cycle",
            "directory loop: pkg/real/x -> pkg/libs, pkg/libs/y -> pkg/real",
        ),
        ([("pkg/real/up", "pkg/a"), ("pkg/a", "pkg")], "pkg/real/up", "cycle", None),
        # The source is a member, a folder of the wheel, or lies inside a file.
        ([("pkg/real/mod.py", GOOD)], "pkg/real/mod.py", "collides with a file of the wheel", ""),
        (
            [("pkg/LIBFOO.so.3.1.4", "pkg/real/mod.py")],
            "pkg/LIBFOO.so.3.1.4",
            "collides with a file of the wheel",
            "pkg/libfoo.so.3.1.4",
        ),
        (
            [("pkg/real/mod.py/x", GOOD)],
            "pkg/real/mod.py/x",
            "collides with a file of the wheel",
            "pkg/real/mod.py is a file",
        ),
        ([("six.py", GOOD)], "six.py", "collides with a file of the wheel", ""),
        (
            [("pkg/real", "pkg/libs")],
            "pkg/real",
            "collides with a folder of the wheel",
            "pkg/real/__init__.py",
        ),
        ([("pkg", "pkg_b")], "pkg", "collides with a folder of the wheel", None),
        (
            [("pkg/empty", "pkg/real")],
            "pkg/empty",
            "collides with a folder of the wheel",
            "pkg/empty/",
        ),
        # Duplicate sources, also when they differ only in case.
        ([("pkg/a", GOOD), ("pkg/a", "pkg/real")], "pkg/a", "duplicate source", ""),
        (
            [("pkg/a", GOOD), ("pkg/A", GOOD)],
            "pkg/A",
            "duplicate source",
            "same path as pkg/a ignoring case",
        ),
        # A row through a directory link, at either end.
        (
            [("pkg/d", "pkg/real"), ("pkg/d/f", "pkg/real/mod.py")],
            "pkg/d/f",
            "passes through another link",
            "pkg/d/f is under link pkg/d",
        ),
        (
            [("pkg/d/f", "pkg/real/mod.py"), ("pkg/d", "pkg/real")],
            "pkg/d/f",
            "passes through another link",
            None,
        ),
        (
            [("pkg/d", "pkg/real"), ("pkg/e", "pkg/d/mod.py")],
            "pkg/e",
            "passes through another link",
            "pkg/d/mod.py is under link pkg/d",
        ),
        (
            [("pkg/d", "pkg/real"), ("pkg/D/f", "pkg/real/mod.py")],
            "pkg/D/f",
            "passes through another link",
            "pkg/D/f is under link pkg/d",
        ),
        # The S5 attack of the spec: each row alone looks harmless.
        (
            [("pkg/x", "pkg/real"), ("pkg/x/passwd", "pkg/libfoo.so.3.1.4")],
            "pkg/x/passwd",
            "passes through another link",
            None,
        ),
    ],
)
def test_hostile_rows_are_refused_with_one_line(
    rows: list[Row], source: str, rule: str, detail: str | None
) -> None:
    error = refused_plan(rows, source, rule)
    if detail is not None:
        assert error.detail == detail
        assert str(error).endswith(f": {rule} ({detail})" if detail else f": {rule}")


def test_a_member_behind_a_directory_link_is_refused() -> None:
    """Member ``pkg/d/evil`` would be written wherever the link ``pkg/d`` points."""
    error = refused_plan(
        [("pkg/d", "pkg/real")],
        "pkg/d",
        "collides with a folder of the wheel",
        members=[*MEMBERS, "pkg/d/evil"],
    )
    assert str(error) == (
        f"{WHEEL}: link pkg/d -> pkg/real: collides with a folder of the wheel (pkg/d/evil)"
    )
    # Differing only in case does not help on macOS or Windows.
    refused_plan(
        [("pkg/d", "pkg/real")],
        "pkg/d",
        "collides with a folder of the wheel",
        members=[*MEMBERS, "pkg/D/evil"],
    )


def test_a_zip_link_member_behind_a_directory_link_is_refused() -> None:
    refused_plan(
        [("pkg/d", "pkg/libs")],
        "pkg/d/lib.so",
        "passes through another link",
        zip_links={"pkg/d/lib.so": "../libs/lib.so.1"},
    )


def test_links_never_read_the_file_system(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Planning works from a deleted working directory: nothing calls os.getcwd().
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()
    assert plan(("pkg/sub/lib.so", "pkg/libs/lib.so.1")).links[0].relative == "../libs/lib.so.1"


def test_hostile_names_are_escaped_in_the_one_line_message() -> None:
    # A newline in a path must not forge a second log line.
    error = refused(
        lambda: plan(("pkg/a\nb", "pkg/x\x00")), "pkg/a\nb", "control character in path"
    )
    assert "pkg/a\\nb" in str(error) and "pkg/x\\x00" in str(error)
    # Undecodable zip link text arrives with lone surrogates; the message stays printable.
    error = refused(
        lambda: plan(zip_links={"pkg/x": "lib\udcff.so"}),
        "pkg/x",
        "dangling target (not in the wheel)",
    )
    assert "lib\\udcff.so" in str(error)
    str(error).encode("utf-8")


# -- zip symlink members -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("member", "text", "target"),
    [
        ("pkg/lib/libfoo.so", "libfoo.so.1", "pkg/lib/libfoo.so.1"),
        ("pkg/lib/libfoo.so", "./libfoo.so.1", "pkg/lib/libfoo.so.1"),
        ("pkg/sub/lib.so", "../libs/lib.so.1", "pkg/libs/lib.so.1"),
        ("pkg/a/b/c", "../../real/", "pkg/real"),
        ("pkg/a", "../pkg_b/data.bin", "pkg_b/data.bin"),
        ("pkg/a", "x//y", "pkg/x/y"),
    ],
)
def test_zip_link_target(member: str, text: str, target: str) -> None:
    assert zip_link_target(member, text) == target


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("/abs", "absolute path"),
        ("/etc/passwd", "absolute path"),
        ("C:/Windows", "absolute path"),
        ("..\\..\\etc\\x", "backslash in path"),
        ("../../etc/x", "path escapes with '..'"),
        ("../../pkg/libs/lib.so.1", "path escapes with '..'"),
        ("..", "empty path"),
        ("", "empty path"),
        ("lib\x00", "NUL in path"),
    ],
)
def test_zip_link_text_that_is_absolute_or_escapes_is_refused(text: str, rule: str) -> None:
    error = refused(lambda: zip_link_target("pkg/x", text, wheel=WHEEL), "pkg/x", rule)
    assert error.target == text
    # The same text inside a wheel refuses the whole plan.
    refused(lambda: plan(zip_links={"pkg/x": text}), "pkg/x", rule)


def test_zip_links_are_planned_like_rows() -> None:
    result = plan(zip_links={"pkg/lib/libfoo.so": "libfoo.so.1"})
    assert result.links == (
        PlannedLink(
            source="pkg/lib/libfoo.so",
            target="pkg/lib/libfoo.so.1",
            relative="libfoo.so.1",
            is_dir=False,
            final_target="pkg/lib/libfoo.so.1",
            origin="zip",
        ),
    )
    # A directory zip link, and a chain through a zip link from a LINKS row.
    links = plan(
        ("pkg/x.so", "pkg/lib/libfoo.so"),
        zip_links={"pkg/lib/libfoo.so": "libfoo.so.1", "pkg/alias": "real"},
    ).by_source()
    assert links["pkg/alias"].is_dir and links["pkg/alias"].relative == "real"
    assert links["pkg/x.so"].final_target == "pkg/lib/libfoo.so.1"


DANGLING = "dangling target (not in the wheel)"


@pytest.mark.parametrize(
    ("rows", "zip_links", "source", "rule"),
    [
        ([], {"pkg/lib/libfoo.so": "gone.so"}, "pkg/lib/libfoo.so", DANGLING),
        # A zip link member is a link, not a file: pointing at it alone proves nothing.
        ([], {"pkg/a": "b", "pkg/b": "a"}, "pkg/a", "cycle"),
        ([("pkg/x", "pkg/z")], {"pkg/z": "nowhere"}, "pkg/x", DANGLING),
        (
            [("pkg/lib/libfoo.so", GOOD)],
            {"pkg/lib/libfoo.so": "x"},
            "pkg/lib/libfoo.so",
            "duplicate source",
        ),
        ([], {f"{DIST_INFO}/x": "METADATA"}, f"{DIST_INFO}/x", "inside .dist-info or .data"),
        ([], {"pkg/evil": "../../etc/x"}, "pkg/evil", "path escapes with '..'"),
        ([], {"pkg/evil": "../etc/x"}, "pkg/evil", "outside the wheel's packages"),
        ([], {"lonely/link": "x"}, "lonely/link", "outside the wheel's packages"),
        ([], {"pkg/real/mod.py": "x"}, "pkg/real/mod.py", DANGLING),
        ([], {"pkg/real/up": ".."}, "pkg/real/up", "cycle"),
    ],
)
def test_hostile_zip_links(
    rows: list[Row], zip_links: dict[str, str], source: str, rule: str
) -> None:
    refused(lambda: plan(*rows, zip_links=zip_links), source, rule)


def test_is_zip_symlink() -> None:
    assert is_zip_symlink((stat.S_IFLNK | 0o777) << 16)
    assert is_zip_symlink((stat.S_IFLNK | 0o755) << 16 | 0x10)
    assert not is_zip_symlink((stat.S_IFREG | 0o644) << 16)
    assert not is_zip_symlink((stat.S_IFDIR | 0o755) << 16 | 0x10)
    assert not is_zip_symlink(0)
    assert not is_zip_symlink(stat.S_IFLNK)  # the low bits are MS-DOS attributes


# -- parsing LINKS -------------------------------------------------------------------------


def test_parse_links_file() -> None:
    data = (
        b"pkg/a,pkg/b\r\n"
        b"\r\n"
        b"   \n"
        b'"pkg/with,comma",pkg/d\n'
        b" pkg/spaced , pkg/kept\n"
        b"pkg/\xc3\xa9,pkg/\xe2\x82\xac"
    )
    assert parse_links_file(data, wheel=WHEEL) == [
        ("pkg/a", "pkg/b"),
        ("pkg/with,comma", "pkg/d"),
        (" pkg/spaced ", " pkg/kept"),
        ("pkg/\u00e9", "pkg/\u20ac"),
    ]
    assert parse_links_file(b"", wheel=WHEEL) == []


@pytest.mark.parametrize(
    ("data", "source", "rule", "detail"),
    [
        (b"pkg/a\n", "LINKS line 1 'pkg/a'", "malformed row", "1 field, expected source,target"),
        (
            b"pkg/x,pkg/y\npkg/a,pkg/b,pkg/c\n",
            "LINKS line 2 'pkg/a,pkg/b,pkg/c'",
            "malformed row",
            "3 fields, expected source,target",
        ),
        (b"pkg/ok,pkg/y\n\xff\xfe,x\n", "LINKS line 2", "malformed row", "not UTF-8"),
        (b'"pkg/a,pkg/b\n', "LINKS line 1 'pkg/a,pkg/b\\n'", "malformed row", None),
        (b"pkg/a,pkg/b\npkg/a,pkg/c\n", "pkg/a", "duplicate source", "LINKS lines 1 and 2"),
    ],
)
def test_malformed_links_files_are_refused(
    data: bytes, source: str, rule: str, detail: str | None
) -> None:
    error = refused(lambda: parse_links_file(data, wheel=WHEEL), source, rule)
    if detail is not None:
        assert error.detail == detail


def test_parse_names_the_links_file_it_was_given() -> None:
    with pytest.raises(LinkError, match=f"^{WHEEL}: {LINKS_PATH} line 1 'x': malformed row"):
        parse_links_file(b"x\n", wheel=WHEEL, path=LINKS_PATH)


def test_parsed_rows_still_go_through_the_path_rules() -> None:
    # An empty field is a row: parsing keeps it, planning refuses it.
    rows = parse_links_file(b",\n", wheel=WHEEL)
    assert rows == [("", "")]
    refused(lambda: plan(*rows), "", "empty path")
    # NUL: csv refuses it before Python 3.11, planning afterwards; refused either way.
    with pytest.raises(LinkError, match=f"^{WHEEL}: .*NUL"):
        plan(*parse_links_file(b"pkg/a,pkg/b\x00\n", wheel=WHEEL))


# -- LINKS in RECORD -----------------------------------------------------------------------

DATA = b"pkg/libfoo.so.3,pkg/libfoo.so.3.1.4\n"
DIGEST = base64.urlsafe_b64encode(hashlib.sha256(DATA).digest()).rstrip(b"=").decode()


def record(*rows: list[str]) -> list[list[str]]:
    return [[f"{DIST_INFO}/METADATA", "sha256=abc", "10"], *rows, [f"{DIST_INFO}/RECORD", "", ""]]


@pytest.mark.parametrize(
    "rows",
    [
        [[LINKS_PATH, f"sha256={DIGEST}", str(len(DATA))]],
        [[LINKS_PATH, f"sha256={DIGEST}="]],  # padding some tools write
    ],
)
def test_links_recorded_with_the_right_hash(rows: list[list[str]]) -> None:
    check_links_recorded(record(*rows), LINKS_PATH, DATA, wheel=WHEEL)


@pytest.mark.parametrize(
    ("rows", "rule"),
    [
        ([], "not listed in RECORD"),
        ([[f"./{LINKS_PATH}", f"sha256={DIGEST}", "37"]], "not listed in RECORD"),
        ([[LINKS_PATH, "sha256=" + "A" * len(DIGEST), "37"]], "hash does not match RECORD"),
        ([[LINKS_PATH, "", ""]], "hash does not match RECORD"),
        ([[LINKS_PATH]], "hash does not match RECORD"),
        ([[LINKS_PATH, "md5=1B2M2Y8AsgTpgAmY7PhCfg", "37"]], "hash does not match RECORD"),
        (
            [[LINKS_PATH, f"sha256={DIGEST}", "37"], [LINKS_PATH, "sha256=AAAA", "37"]],
            "hash does not match RECORD",
        ),
    ],
)
def test_links_not_recorded_or_with_a_wrong_hash_is_refused(
    rows: list[list[str]], rule: str
) -> None:
    error = refused(
        lambda: check_links_recorded(record(*rows), LINKS_PATH, DATA, wheel=WHEEL),
        LINKS_PATH,
        rule,
    )
    assert error.target is None
    assert str(error).startswith(f"{WHEEL}: {LINKS_PATH}: {rule}")


def test_a_tampered_links_file_fails_its_record_hash() -> None:
    rows = record([LINKS_PATH, f"sha256={DIGEST}", str(len(DATA))])
    refused(
        lambda: check_links_recorded(rows, LINKS_PATH, DATA + b"pkg/x,/etc\n", wheel=WHEEL),
        LINKS_PATH,
        "hash does not match RECORD",
    )


# -- the error and plan types -----------------------------------------------------------


def test_link_error_is_a_wheelnext_pip_value_error() -> None:
    error = LinkError(WHEEL, "pkg/a", "pkg/b", "cycle", "pkg/a -> pkg/b -> pkg/a")
    assert isinstance(error, WheelnextPipError) and isinstance(error, ValueError)
    assert (error.wheel, error.source, error.target, error.rule) == (
        WHEEL,
        "pkg/a",
        "pkg/b",
        "cycle",
    )
    assert str(error) == f"{WHEEL}: link pkg/a -> pkg/b: cycle (pkg/a -> pkg/b -> pkg/a)"
    assert str(LinkError(WHEEL, "pkg/a", "", "empty path")) == (
        f"{WHEEL}: link pkg/a -> : empty path"
    )


def test_rule_strings_are_unique() -> None:
    assert len(set(RULES)) == len(RULES)
    assert "chain longer than 40 links" in RULES


# -- control characters -------------------------------------------------------------------

CONTROLS = ["\n", "\r", "\t", "\x01", "\x1b", "\x1c", "\x1f", "\x7f", "\x85", "\u2028", "\u2029"]


@pytest.mark.parametrize("char", CONTROLS, ids=[f"U+{ord(c):04X}" for c in CONTROLS])
@pytest.mark.parametrize("end", ["source", "target"])
def test_control_characters_are_refused_at_either_end(char: str, end: str) -> None:
    """pip reads an installed RECORD line by line (str.splitlines): a link whose name
    holds a line break would be recorded but never uninstalled, and the rest are
    invisible in a terminal. Refused before anything is written, the character named."""
    bad = f"pkg/ev{char}il"
    row = (bad, GOOD) if end == "source" else ("pkg/evil", bad)
    error = refused_plan([row], row[0], "control character in path")
    assert error.detail == f"U+{ord(char):04X}"


def test_nul_keeps_its_own_rule() -> None:
    refused_plan([("pkg/a\x00", GOOD)], "pkg/a\x00", "NUL in path")


@pytest.mark.parametrize("char", ["\n", "\x1b", "\x7f"])
def test_control_characters_in_zip_link_text_and_names_are_refused(char: str) -> None:
    refused(
        lambda: plan(zip_links={"pkg/x": f"lib{char}.so"}), "pkg/x", "control character in path"
    )
    refused(
        lambda: plan(zip_links={f"pkg/x{char}": "libs/lib.so.1"}),
        f"pkg/x{char}",
        "control character in path",
    )


def test_printable_unicode_is_not_a_control_character() -> None:
    links = plan(("pkg/caf\u00e9 \u00a0x", GOOD), ("pkg/\u20ac", GOOD)).by_source()
    assert set(links) == {"pkg/caf\u00e9 \u00a0x", "pkg/\u20ac"}


# -- RECORD -------------------------------------------------------------------------------

RECORD_PATH = f"{DIST_INFO}/RECORD"


def test_parse_record() -> None:
    data = f'{LINKS_PATH},sha256={DIGEST},37\r\n"pkg/a,b.py",,\n\n{RECORD_PATH},,\n'.encode()
    rows = parse_record(data, wheel=WHEEL, path=RECORD_PATH)
    assert rows == [
        [LINKS_PATH, f"sha256={DIGEST}", "37"],
        ["pkg/a,b.py", "", ""],
        [RECORD_PATH, "", ""],
    ]
    check_links_recorded(rows, LINKS_PATH, DATA, wheel=WHEEL)


@pytest.mark.parametrize(
    ("data", "where", "detail"),
    [
        (b"pkg/a.py,,\npkg/caf\xe9.py,,\n", f"{RECORD_PATH} line 2", "not UTF-8"),
        (b"pkg/a.py,,\n\xff\xfe,,\n", f"{RECORD_PATH} line 2", "not UTF-8"),
    ],
)
def test_a_record_that_is_not_utf8_is_refused(data: bytes, where: str, detail: str | None) -> None:
    error = refused(
        lambda: parse_record(data, wheel=WHEEL, path=RECORD_PATH), where, "malformed row"
    )
    if detail is not None:
        assert error.detail == detail
    assert str(error).startswith(f"{WHEEL}: {RECORD_PATH} line 2: malformed row")


# -- large inputs: the linear algorithms agree with the obvious ones ----------------------


def reference_outcome(rows: Sequence[Row], members: Sequence[str]) -> object:
    """Chains and directory loops decided the straightforward (quadratic) way, following
    each chain alone and each directory link into every link below its folder."""
    targets = dict(rows)
    files = {m for m in members if not m.endswith("/")}
    folders = {"/".join(f.split("/")[:i]) for f in files for i in range(1, f.count("/") + 1)}
    finals = {}
    for source, target in rows:
        visited, current = [source], target
        while current in targets:
            if current in visited:
                return (source, "cycle")
            if len(visited) >= MAX_CHAIN:
                return (source, f"chain longer than {MAX_CHAIN} links")
            visited.append(current)
            current = targets[current]
        if current not in files and current not in folders:
            return (source, "dangling target (not in the wheel)")
        finals[source] = current
    dir_links = [s for s, _ in rows if finals[s] in folders]
    edges = {s: [t for t in dir_links if t.startswith(finals[s] + "/")] for s in dir_links}
    # A loop exists iff some directory link reaches itself.
    for start in dir_links:
        seen, todo = set(), list(edges[start])
        while todo:
            node = todo.pop()
            if node == start:
                return ("loop", "cycle")
            if node not in seen:
                seen.add(node)
                todo.extend(edges[node])
    return {s: (finals[s], finals[s] in folders) for s, _ in rows}


def test_chains_and_directory_loops_agree_with_the_reference_on_random_wheels() -> None:
    import random

    folders = ["pkg", "pkg/a", "pkg/b", "pkg/a/c", "pkg/b/d"]
    members = [f"{folder}/__init__.py" for folder in folders]
    names = [f"{folder}/l{i}" for folder in folders for i in range(3)]
    generator = random.Random(778)
    outcomes = set()
    for _ in range(3000):
        sources = generator.sample(names, generator.randint(1, 6))
        ends = [*folders, *names, "pkg/__init__.py", "pkg/gone"]
        rows = [(source, generator.choice(ends)) for source in sources]
        expected = reference_outcome(rows, members)
        try:
            result = plan(*rows, members=members)
        except LinkError as error:
            if error.rule == "passes through another link":
                continue  # a rule the reference does not model
            source = "loop" if (error.detail or "").startswith("directory loop") else error.source
            assert (source, error.rule) == expected, (rows, str(error))
            outcomes.add(error.rule)
            continue
        got = {link.source: (link.final_target, link.is_dir) for link in result.links}
        assert got == expected, rows
        outcomes.add("ok")
    assert {"ok", "cycle", "dangling target (not in the wheel)"} <= outcomes


def test_directory_links_fanning_out_into_directory_links() -> None:
    """2 x 3,000 rows: every first-level link exposes all second-level ones (the shape
    that was quadratic; scripts/bench_symlinks.py --validate times it at 2 x 50,000)."""
    members = ["pkg/a/__init__.py", "pkg/b/__init__.py", "pkg/c/__init__.py"]
    rows = [(f"pkg/a/l{i}", "pkg/b") for i in range(3000)]
    rows += [(f"pkg/b/m{i}", "pkg/c") for i in range(3000)]
    links = plan(*rows, members=members).links
    assert len(links) == 6000 and all(link.is_dir for link in links)
    # One row more closes a loop through all of them.
    error = refused_plan([*rows, ("pkg/c/back", "pkg/a")], "pkg/a/l0", "cycle", members=members)
    assert error.detail == (
        "directory loop: pkg/a/l0 -> pkg/b, pkg/b/m0 -> pkg/c, pkg/c/back -> pkg/a"
    )


def test_a_long_chain_into_a_cycle_and_deep_paths() -> None:
    # 50 links leading into a 2-link cycle: the first is refused for its length.
    rows = [(f"pkg/c{i}", f"pkg/c{i + 1}") for i in range(50)] + [("pkg/c50", "pkg/c49")]
    refused_plan(rows, "pkg/c0", f"chain longer than {MAX_CHAIN} links")
    # Within the cap, the cycle is named from where the chain enters it.
    error = refused_plan(rows[45:], "pkg/c45", "cycle")
    assert error.detail == "pkg/c49 -> pkg/c50 -> pkg/c49"
    # A path of 2,000 folders costs one step per folder.
    deep = "pkg/" + "/".join(["d"] * 2000)
    link = plan((f"{deep}/x", f"{deep}/f.so"), members=[f"{deep}/f.so"]).links[0]
    assert link.relative == "f.so" and link.final_target == f"{deep}/f.so"


# -- the one reader of a wheel's links, and the one Wheel-Version rule ------------------


def _recorded(links: bytes, folder: str = DIST_INFO) -> bytes:
    digest = base64.urlsafe_b64encode(hashlib.sha256(links).digest()).rstrip(b"=").decode()
    return f"{folder}/LINKS,sha256={digest},{len(links)}\n{folder}/RECORD,,\n".encode()


def test_link_inputs_name_each_links_file_and_the_record_beside_it() -> None:
    other = "pkg_b-1.0.dist-info"
    members = [*MEMBERS, LINKS_PATH, f"{other}/LINKS", f"{other}/METADATA", "pkg/LINKS"]
    assert link_inputs(members) == [LINKS_PATH, f"{DIST_INFO}/RECORD", f"{other}/LINKS"]
    assert link_inputs(MEMBERS) == []


def test_read_links_checks_record_then_plans_rows_and_zip_links() -> None:
    links = b"pkg/libfoo.so.3,pkg/libfoo.so.3.1.4\n"
    members = [*MEMBERS, LINKS_PATH, "pkg/libfoo.so"]
    contents = {LINKS_PATH: links, f"{DIST_INFO}/RECORD": _recorded(links)}
    found = read_links(
        wheel=WHEEL, members=members, contents=contents, zip_links={"pkg/libfoo.so": b"libfoo.so.3"}
    )
    assert [(link.source, link.target, link.origin) for link in found.links] == [
        ("pkg/libfoo.so.3", "pkg/libfoo.so.3.1.4", "LINKS"),
        ("pkg/libfoo.so", "pkg/libfoo.so.3", "zip"),
    ]
    # No links at all: an empty plan, whatever the members.
    assert read_links(wheel=WHEEL, members=MEMBERS, contents={}, zip_links={}) == LinkPlan(())


def test_read_links_refuses_links_that_record_does_not_vouch_for() -> None:
    links = b"pkg/libfoo.so.3,pkg/libfoo.so.3.1.4\n"
    members = [*MEMBERS, LINKS_PATH]
    for record in (None, _recorded(b"other")):
        contents = {LINKS_PATH: links}
        if record is not None:
            contents[f"{DIST_INFO}/RECORD"] = record
        with pytest.raises(LinkError) as caught:
            read_links(wheel=WHEEL, members=members, contents=contents, zip_links={})
        assert caught.value.rule in ("not listed in RECORD", "hash does not match RECORD")


@pytest.mark.parametrize(
    ("text", "version"),
    [
        ("2.0", (2, 0)),
        (" 1.0 ", (1, 0)),
        ("2.1.3", (2, 1, 3)),
        ("2", (2,)),
        ("two", None),
        ("", None),
    ],
)
def test_parse_wheel_version(text: str, version: tuple[int, ...] | None) -> None:
    assert parse_wheel_version(text) == version


@pytest.mark.parametrize(
    ("version", "has_links", "problem"),
    [
        ((1, 0), False, None),
        ((1, 9), False, None),
        ((2, 0), True, None),
        ((2, 1), True, None),  # a newer minor version: accepted (the caller warns)
        ((1, 0), True, "LINKS needs Wheel-Version 2.0 but WHEEL says 1.0"),
        ((2, 0), False, "it uses Wheel-Version 2 features that wheelnext-pip does not know"),
        ((3, 0), True, "Wheel-Version 3.0 is not supported"),
        ((3, 0), False, "Wheel-Version 3.0 is not supported"),
    ],
)
def test_one_wheel_version_rule(
    version: tuple[int, ...], has_links: bool, problem: str | None
) -> None:
    found = wheel_version_problem(version, has_links=has_links)
    if problem is None:
        assert found is None
    else:
        assert found is not None and found.startswith(problem) and "\n" not in found


def test_the_installers_shortcut_agrees_with_the_rule() -> None:
    """The installer skips the policy for a wheel below Wheel-Version 2 without LINKS (so a
    run of ordinary wheels never imports it): the rule must find no problem there."""
    from wheelnext_pip._pip.symlinks import _LINKS_MAJOR
    from wheelnext_pip.symlinks import LINKS_WHEEL_VERSION

    assert LINKS_WHEEL_VERSION[0] == _LINKS_MAJOR
    for minor in range(10):
        assert wheel_version_problem((_LINKS_MAJOR - 1, minor), has_links=False) is None

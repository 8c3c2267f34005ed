"""``wheelnext-pip relink``: identical shared-library aliases become LINKS rows."""

from __future__ import annotations

import csv
import io
import random
import stat
import zipfile
from collections.abc import Mapping
from pathlib import Path

import pytest

from tests._lib.builders import make_wheel, record_hash
from wheelnext_pip import relink
from wheelnext_pip.relink import RelinkError, check_wheel, format_size, main, relink_wheel
from wheelnext_pip.symlinks import LinkError

WHEEL_NAME = "pkg-1.0-py3-none-any.whl"
DIST_INFO = "pkg-1.0.dist-info"
# Incompressible, so removing a copy visibly shrinks the wheel.
LIB = random.Random(778).getrandbits(8 * 20_000).to_bytes(20_000, "little")
OTHER = random.Random(779).getrandbits(8 * 20_000).to_bytes(20_000, "little")


def versioned_wheel(directory: Path, extra: Mapping[str, bytes | str] | None = None) -> Path:
    files: dict[str, bytes | str] = {
        "pkg/__init__.py": "",
        "pkg/lib/libfoo.so": LIB,
        "pkg/lib/libfoo.so.1": LIB,
        "pkg/lib/libfoo.so.1.2.3": LIB,
        "pkg/lib/libbar.so": OTHER,
    }
    files.update(extra or {})
    return make_wheel(directory, "pkg", "1.0", files=files)


def members(wheel: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(wheel) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def record_rows(wheel: Path) -> list[list[str]]:
    text = members(wheel)[f"{DIST_INFO}/RECORD"].decode("utf-8")
    return list(csv.reader(io.StringIO(text)))


def assert_record_complete(wheel: Path) -> None:
    """Every member has a RECORD row with its hash and size; RECORD itself is last, unhashed."""
    contents = members(wheel)
    rows = record_rows(wheel)
    assert rows[-1] == [f"{DIST_INFO}/RECORD", "", ""]
    by_path = {row[0]: row for row in rows[:-1]}
    assert len(by_path) == len(rows) - 1
    assert set(by_path) == set(contents) - {f"{DIST_INFO}/RECORD"}
    for path, row in by_path.items():
        assert row[1:] == [record_hash(contents[path]), str(len(contents[path]))], path


def replace_member(wheel: Path, name: str, data: bytes) -> None:
    """Change one member's bytes in place, leaving RECORD as it was."""
    with zipfile.ZipFile(wheel) as archive:
        entries = [(info, archive.read(info)) for info in archive.infolist()]
    with zipfile.ZipFile(wheel, "w") as archive:
        for info, content in entries:
            archive.writestr(info, data if info.filename == name else content)


def test_identical_so_aliases_become_links(tmp_path: Path) -> None:
    wheel = versioned_wheel(tmp_path / "in")
    result = relink_wheel(wheel, tmp_path / "out")

    real = "pkg/lib/libfoo.so.1.2.3"
    assert result.output == tmp_path / "out" / WHEEL_NAME
    assert result.links == (("pkg/lib/libfoo.so", real), ("pkg/lib/libfoo.so.1", real))
    assert result.payload_saved == 2 * len(LIB)
    assert result.bytes_before == wheel.stat().st_size
    assert result.bytes_after == result.output.stat().st_size
    assert result.bytes_after < result.bytes_before - len(LIB)

    contents = members(result.output)
    assert "pkg/lib/libfoo.so" not in contents
    assert "pkg/lib/libfoo.so.1" not in contents
    assert contents[real] == LIB
    assert contents["pkg/lib/libbar.so"] == OTHER
    assert contents[f"{DIST_INFO}/LINKS"] == (
        b"pkg/lib/libfoo.so,pkg/lib/libfoo.so.1.2.3\npkg/lib/libfoo.so.1,pkg/lib/libfoo.so.1.2.3\n"
    )
    old_wheel = members(wheel)[f"{DIST_INFO}/WHEEL"].decode()
    new_wheel = contents[f"{DIST_INFO}/WHEEL"].decode()
    assert new_wheel == old_wheel.replace("Wheel-Version: 1.0", "Wheel-Version: 2.0")
    assert_record_complete(result.output)
    plan = check_wheel(result.output)
    assert sorted((link.source, link.target) for link in plan.links) == list(result.links)


def test_kept_members_keep_date_mode_and_compression(tmp_path: Path) -> None:
    wheel = versioned_wheel(tmp_path / "in", {"pkg/stored.bin": b"x" * 100})
    with zipfile.ZipFile(wheel) as archive:
        entries = [(info, archive.read(info)) for info in archive.infolist()]
    # One member stored and with an odd mode and date, to see them carried over.
    with zipfile.ZipFile(wheel, "w") as archive:
        for info, content in entries:
            if info.filename == "pkg/stored.bin":
                info.compress_type = zipfile.ZIP_STORED
                info.external_attr = 0o100755 << 16
                info.date_time = (2001, 2, 3, 4, 5, 6)
            archive.writestr(info, content)

    output = relink_wheel(wheel, tmp_path / "out").output
    with zipfile.ZipFile(wheel) as before, zipfile.ZipFile(output) as after:
        kept = {info.filename: info for info in after.infolist()}
        for old in before.infolist():
            if old.filename not in kept:
                continue
            new = kept[old.filename]
            assert (new.date_time, new.external_attr, new.compress_type) == (
                old.date_time,
                old.external_attr,
                old.compress_type,
            ), old.filename
        order = [info.filename for info in after.infolist()]
    assert order[-2:] == [f"{DIST_INFO}/LINKS", f"{DIST_INFO}/RECORD"]


def test_dylib_aliases(tmp_path: Path) -> None:
    wheel = make_wheel(
        tmp_path,
        "pkg",
        "1.0",
        files={
            "pkg/__init__.py": "",
            "pkg/.dylibs/libfoo.dylib": LIB,
            "pkg/.dylibs/libfoo.1.dylib": LIB,
            "pkg/.dylibs/libfoo.1.2.3.dylib": LIB,
        },
    )
    result = relink_wheel(wheel, tmp_path / "out")
    real = "pkg/.dylibs/libfoo.1.2.3.dylib"
    assert result.links == (
        ("pkg/.dylibs/libfoo.1.dylib", real),
        ("pkg/.dylibs/libfoo.dylib", real),
    )
    check_wheel(result.output)


def test_highest_version_wins_among_equally_long_names(tmp_path: Path) -> None:
    wheel = make_wheel(
        tmp_path,
        "pkg",
        "1.0",
        files={"pkg/libfoo.so.1.9": LIB, "pkg/libfoo.so.1.10": LIB, "pkg/libfoo.so": LIB},
    )
    result = relink_wheel(wheel, tmp_path / "out")
    assert result.links == (
        ("pkg/libfoo.so", "pkg/libfoo.so.1.10"),
        ("pkg/libfoo.so.1.9", "pkg/libfoo.so.1.10"),
    )


def test_only_identical_aliases_are_linked(tmp_path: Path) -> None:
    same_size = bytes(reversed(LIB))
    wheel = make_wheel(
        tmp_path,
        "pkg",
        "1.0",
        files={
            "pkg/libfoo.so": OTHER,  # differs: stays a file
            "pkg/libfoo.so.1": same_size,  # same size, other bytes: stays a file
            "pkg/libfoo.so.1.2": LIB,
            "pkg/libfoo.so.1.2.3": LIB,
            "pkg/other/libfoo.so": LIB,  # another folder: never an alias
            "pkg/libbaz.so": LIB,  # another stem
            "pkg/libfoo.dylib": LIB,  # another naming convention
            "pkg/_ext.cpython-312-x86_64-linux-gnu.so": LIB,  # not a library name
            "pkg/_ext.so": LIB,
        },
    )
    result = relink_wheel(wheel, tmp_path / "out")
    assert result.links == (("pkg/libfoo.so.1.2", "pkg/libfoo.so.1.2.3"),)
    assert result.payload_saved == len(LIB)
    assert_record_complete(result.output)


def test_zip_link_members_are_kept_and_checked(tmp_path: Path) -> None:
    wheel = make_wheel(
        tmp_path,
        "pkg",
        "1.0",
        files={"pkg/libfoo.so.1": LIB, "pkg/libfoo.so.1.2": LIB},
        symlink_entries={"pkg/libfoo.so": "libfoo.so.1"},
    )
    result = relink_wheel(wheel, tmp_path / "out")
    assert result.links == (("pkg/libfoo.so.1", "pkg/libfoo.so.1.2"),)
    with zipfile.ZipFile(result.output) as archive:
        link_member = archive.getinfo("pkg/libfoo.so")
        assert stat.S_ISLNK(link_member.external_attr >> 16)
        assert archive.read(link_member) == b"libfoo.so.1"
    plan = {link.source: link for link in check_wheel(result.output).links}
    assert plan["pkg/libfoo.so"].origin == "zip"
    assert plan["pkg/libfoo.so"].final_target == "pkg/libfoo.so.1.2"
    assert_record_complete(result.output)


def test_metadata_data_and_root_members_are_never_relinked(tmp_path: Path) -> None:
    wheel = make_wheel(
        tmp_path,
        "pkg",
        "1.0",
        files={
            "pkg/__init__.py": "",
            "pkg-1.0.data/data/lib/libfoo.so": LIB,
            "pkg-1.0.data/data/lib/libfoo.so.1": LIB,
            "libroot.so": LIB,  # at the root: no package to hold a link
            "libroot.so.1": LIB,
        },
        extra_dist_info={"libfoo.so": LIB, "libfoo.so.1": LIB},
    )
    with pytest.raises(RelinkError, match="no byte-identical shared-library aliases"):
        relink_wheel(wheel, tmp_path / "out")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            {"wheel_version": "2.0", "extra_dist_info": {"LINKS": "pkg/a,pkg/__init__.py\n"}},
            f"already has {DIST_INFO}/LINKS",
        ),
        ({"wheel_version": "2.0"}, "already has Wheel-Version 2.0"),
        ({"record": False}, f"{DIST_INFO}/RECORD is missing"),
    ],
    ids=["has-links", "wheel-version-2", "no-record"],
)
def test_refusals(tmp_path: Path, options: dict[str, object], message: str) -> None:
    files = {"pkg/__init__.py": "", "pkg/libfoo.so": LIB, "pkg/libfoo.so.1": LIB}
    wheel = make_wheel(tmp_path, "pkg", "1.0", files=files, **options)  # type: ignore[arg-type]
    with pytest.raises(RelinkError) as caught:
        relink_wheel(wheel, tmp_path / "out")
    assert str(caught.value) == f"{WHEEL_NAME}: {message}"
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_no_aliases_refused(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path, "pkg", "1.0", files={"pkg/libfoo.so": LIB})
    with pytest.raises(RelinkError, match=r"^pkg-1\.0-py3-none-any\.whl: no byte-identical"):
        relink_wheel(wheel, tmp_path / "out")


def test_output_never_overwrites_input(tmp_path: Path) -> None:
    wheel = versioned_wheel(tmp_path)
    with pytest.raises(RelinkError, match="would overwrite the input wheel"):
        relink_wheel(wheel, tmp_path)
    assert record_rows(wheel)[0][0] == "pkg/__init__.py"


def test_self_check_refuses_an_invalid_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(relink, "find_aliases", lambda archive: [("pkg/lib/libfoo.so", "pkg/x")])
    with pytest.raises(RelinkError) as caught:
        relink_wheel(versioned_wheel(tmp_path / "in"), tmp_path / "out")
    assert str(caught.value) == (
        f"{WHEEL_NAME}: the relinked wheel fails validation: link pkg/lib/libfoo.so -> pkg/x: "
        "dangling target (not in the wheel)"
    )
    assert list((tmp_path / "out").iterdir()) == []


def test_check_wheel_refuses_tampered_links(tmp_path: Path) -> None:
    output = relink_wheel(versioned_wheel(tmp_path / "in"), tmp_path / "out").output
    replace_member(output, f"{DIST_INFO}/LINKS", b"pkg/lib/libfoo.so,pkg/lib/libbar.so\n")
    with pytest.raises(LinkError) as caught:
        check_wheel(output)
    assert "\n" not in str(caught.value)


def test_check_wheel_refuses_links_in_a_version_1_wheel(tmp_path: Path) -> None:
    links = "pkg/libfoo.so,pkg/libfoo.so.1\n"
    wheel = make_wheel(
        tmp_path,
        "pkg",
        "1.0",
        files={"pkg/libfoo.so.1": LIB},
        extra_dist_info={"LINKS": links},
    )
    with pytest.raises(RelinkError, match=r"needs Wheel-Version 2\.0 but WHEEL says 1\.0"):
        check_wheel(wheel)


def test_check_wheel_without_links_is_empty(tmp_path: Path) -> None:
    assert check_wheel(versioned_wheel(tmp_path)).links == ()


def test_main_relinks_and_reports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    wheel = versioned_wheel(tmp_path / "in")
    out_dir = tmp_path / "dist"
    assert main([str(wheel), "-o", str(out_dir)]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    lines = captured.out.splitlines()
    assert lines[0].startswith(f"relinked {WHEEL_NAME}: 2 links, wheel ")
    assert "payload saved 40.0 kB" in lines[0]
    assert lines[0].endswith(f"-> {out_dir / WHEEL_NAME}")
    assert lines[1:] == [
        "  pkg/lib/libfoo.so -> pkg/lib/libfoo.so.1.2.3",
        "  pkg/lib/libfoo.so.1 -> pkg/lib/libfoo.so.1.2.3",
    ]

    assert main(["--check", str(out_dir / WHEEL_NAME), str(wheel)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"ok: 2 links in {WHEEL_NAME}",
        f"ok: 0 links in {WHEEL_NAME}",
    ]


def test_main_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plain = make_wheel(tmp_path, "pkg", "1.0")
    assert main([str(plain), "-o", str(tmp_path / "out")]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        f"wheelnext-pip relink: {WHEEL_NAME}: no byte-identical shared-library aliases\n"
    )

    assert main([str(tmp_path / "missing.whl"), "-o", str(tmp_path / "out")]) == 1
    assert capsys.readouterr().err.startswith("wheelnext-pip relink: missing.whl: no such file")

    assert main([str(plain)]) == 2
    assert capsys.readouterr().err == (
        "wheelnext-pip relink: -o/--out-dir is required (or use --check)\n"
    )


def test_main_check_flags_a_tampered_wheel(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = relink_wheel(versioned_wheel(tmp_path / "in"), tmp_path / "good").output
    bad_dir = tmp_path / "bad"
    bad_dir.mkdir()
    bad = bad_dir / good.name
    bad.write_bytes(good.read_bytes())
    replace_member(bad, f"{DIST_INFO}/LINKS", b"pkg/lib/libfoo.so,pkg/lib/libbar.so\n")

    assert main(["--check", str(bad), str(good)]) == 1
    captured = capsys.readouterr()
    assert captured.out == f"ok: 2 links in {WHEEL_NAME}\n"
    (error,) = captured.err.splitlines()
    assert error.startswith("wheelnext-pip relink: ")
    assert WHEEL_NAME in error


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (0, "0 B"),
        (999, "999 B"),
        (40_000, "40.0 kB"),
        (150_200_000, "150.2 MB"),
        (2e12, "2000.0 GB"),
    ],
)
def test_format_size(size: int, text: str) -> None:
    assert format_size(int(size)) == text

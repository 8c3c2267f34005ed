"""pip-tools (``pip-compile``, ``pip-sync``) with wheelnext-pip, through the real tools.

pip-tools drives pip's resolver inside its own process; these tests run its console
scripts from a venv that has the matrix pip, wheelnext-pip and the pip-tools release made
for that pip, against local indexes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests._lib import pipenv
from tests._lib.builders import make_wheel
from tests._lib.index import IndexServer, write_simple_index
from tests._lib.pipenv import PipEnv
from tests._lib.piptools import install_piptools

pytestmark = pytest.mark.pipmatrix

PLOTKIT_META = [
    ("Provides-Extra", "gui"),
    ("Provides-Extra", "web"),
    ("Default-Extra", "gui"),
]


@dataclass
class Tools:
    env: PipEnv
    version: str

    def script(self, name: str) -> Path:
        return self.env.root / "bin" / name


@pytest.fixture(scope="session")
def tools(
    plugin_env: PipEnv, entry: pipenv.MatrixEntry, tmp_path_factory: pytest.TempPathFactory
) -> Tools:
    """The plugin venv of this pip with pip-tools installed (shared: never changed)."""
    env = plugin_env.clone(tmp_path_factory.mktemp("piptools") / "venv")
    return Tools(env, install_piptools(env, entry.python_release))


@dataclass
class Indexes:
    public: IndexServer
    private: IndexServer
    private_sha256: str
    #: file name -> sha256 of every file of ``gpk`` 1.0 (variant wheels and a plain one).
    gpk_sha256: dict[str, str]


VARIANTS_SCHEMA = "https://variants-schema.wheelnext.dev/peps/850/v0.2.0.json"
GPK_VARIANTS = {
    "x8664v3": {"x86_64": {"level": ["v3"]}},
    "x8664v2": {"x86_64": {"level": ["v2"]}},
    "null": {},
}


def _variants_document(variants: dict[str, object]) -> str:
    return json.dumps(
        {
            "$schema": VARIANTS_SCHEMA,
            "default-priorities": {"namespace": ["x86_64"]},
            "providers": {"x86_64": {"requires": ["x86-64-variant-provider>=0.2.1,<1"]}},
            "variants": variants,
        }
    )


def _gpk_files(directory: Path) -> list[Path]:
    """``gpk`` 1.0: three variant wheels, a plain wheel and the release's variants.json."""
    files = [make_wheel(directory, "gpk", "1.0")]
    for label, properties in GPK_VARIANTS.items():
        files.append(
            make_wheel(
                directory,
                "gpk",
                "1.0",
                filename=f"gpk-1.0-py3-none-any-{label}.whl",
                extra_dist_info={"variant.json": _variants_document({label: properties})},
            )
        )
    metadata = directory / "gpk-1.0-variants.json"
    metadata.write_text(_variants_document(GPK_VARIANTS))
    return [*files, metadata]


@pytest.fixture(scope="session")
def indexes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Indexes]:
    root = tmp_path_factory.mktemp("piptools-indexes")
    public_dists, private_dists = root / "dists" / "public", root / "dists" / "private"
    public = [
        make_wheel(
            public_dists,
            "plotkit",
            "1.0",
            requires_dist=['qtgui; extra == "gui"', 'webgui; extra == "web"'],
            extra_metadata=PLOTKIT_META,
        ),
        make_wheel(public_dists, "qtgui", "6.0"),
        make_wheel(public_dists, "webgui", "1.0"),
        make_wheel(public_dists, "corp-utils", "99.0"),
        # Same name and version as the private release, other bytes: a decoy.
        make_wheel(public_dists, "corp-utils", "1.2", files={"corp_utils/__init__.py": "X = 1\n"}),
    ]
    private_wheel = make_wheel(private_dists, "corp-utils", "1.2")
    *gpk_wheels, gpk_metadata = _gpk_files(root / "dists" / "gpk")
    public += gpk_wheels
    write_simple_index(root / "www" / "public", public, extra_files={"gpk": [gpk_metadata]})
    write_simple_index(root / "www" / "private", [private_wheel])
    digest = hashlib.sha256(private_wheel.read_bytes()).hexdigest()
    with IndexServer(root / "www" / "public") as pub, IndexServer(root / "www" / "private") as priv:
        gpk = {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in gpk_wheels}
        yield Indexes(pub, priv, digest, gpk)


def compile_lines(
    tools: Tools,
    indexes: Indexes,
    tmp_path: Path,
    requirements: str,
    *,
    wheelnext: str | None,
    extra: tuple[str, ...] = (),
    env: dict[str, str] | None = None,
) -> list[str]:
    """``pip-compile`` of ``requirements``: the lines of the compiled file, comments dropped."""
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    source = work / "requirements.in"
    source.write_text(requirements)
    output = work / "requirements.txt"
    output.unlink(missing_ok=True)
    result = tools.env.run(
        [
            "--no-header",
            "--no-annotate",
            "--index-url",
            indexes.public.index_url,
            "--cache-dir",
            tmp_path / "piptools-cache",
            "-o",
            output,
            *extra,
            source,
        ],
        executable=tools.script("pip-compile"),
        wheelnext=wheelnext,
        env=env,
        cwd=work,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    text = output.read_text().replace(" \\\n    ", " ")
    return [line.strip() for line in text.splitlines() if line.strip() and line[0] != "#"]


def test_compile_adds_default_extras_and_pkg_brackets_keep_them_out(
    tools: Tools, indexes: Indexes, tmp_path: Path
) -> None:
    index_line = f"--index-url {indexes.public.index_url}"
    on = compile_lines(tools, indexes, tmp_path, "plotkit\n", wheelnext="1")
    assert on == [index_line, "plotkit==1.0", "qtgui==6.0"]
    opted_out = compile_lines(tools, indexes, tmp_path, "plotkit[]\n", wheelnext="1")
    # The brackets stay: installing the compiled file adds no defaults either.
    assert opted_out == [index_line, "plotkit[]==1.0"]
    named = compile_lines(tools, indexes, tmp_path, "plotkit[web]\n", wheelnext="1")
    assert named == [index_line, "plotkit[web]==1.0", "webgui==1.0"]
    only_defaults = compile_lines(tools, indexes, tmp_path, "plotkit\n", wheelnext="variants")
    assert only_defaults == [index_line, "plotkit==1.0"]
    # Unset: stock pip-tools on stock pip.
    for requirements in ("plotkit\n", "plotkit[]\n"):
        off = compile_lines(tools, indexes, tmp_path, requirements, wheelnext=None)
        assert off == [index_line, "plotkit==1.0"]


def test_compile_takes_a_private_name_from_its_group_only(
    tools: Tools, indexes: Indexes, tmp_path: Path
) -> None:
    groups = {"WHEELNEXT_PIP_INDEX_GROUPS": f"private = {indexes.private.index_url}"}
    indexes.public.clear_requests()
    lines = compile_lines(
        tools,
        indexes,
        tmp_path,
        "corp-utils\n",
        wheelnext="1",
        extra=("--generate-hashes",),
        env=groups,
    )
    assert lines == [
        f"--index-url {indexes.public.index_url}",
        # pip-tools records indexes per file: the group's URL is listed beside pip's own.
        f"--extra-index-url {indexes.private.index_url}",
        # One hash, the private file's: the pin names the file the group served.
        f"corp-utils==1.2 --hash=sha256:{indexes.private_sha256}",
    ]
    # Neither pip's finder nor pip-tools' JSON-API lookup for hashes asked the public index.
    assert [p for p in indexes.public.requested_paths() if "corp" in p] == []
    off = compile_lines(tools, indexes, tmp_path, "corp-utils\n", wheelnext=None, env=groups)
    assert off == [f"--index-url {indexes.public.index_url}", "corp-utils==99.0"]


def test_sync_installs_what_was_compiled(
    tools: Tools, indexes: Indexes, fresh_plugin_env: PipEnv, tmp_path: Path
) -> None:
    """pip-sync installs the pinned list through ``python -m pip install -r``: with the
    feature on that child adds each default again (already pinned), and ``pkg[]`` stays
    an opt-out, so the environment matches the compiled file both ways."""
    target = fresh_plugin_env

    def compiled(requirements: str, name: str) -> Path:
        lines = compile_lines(tools, indexes, tmp_path, requirements, wheelnext="1")
        path = tmp_path / name
        path.write_text("\n".join(lines) + "\n")
        return path

    def sync(path: Path) -> set[str]:
        result = tools.env.run(
            ["--python-executable", target.python, path],
            executable=tools.script("pip-sync"),
            wheelnext="1",
        )
        assert result.returncode == 0, result.stderr
        listed = target.pip("list", "--format=freeze", check=True).stdout.lower()
        return {line for line in listed.splitlines() if line.startswith(("plotkit", "qtgui"))}

    with_defaults = compiled("plotkit\n", "with.txt")
    without = compiled("plotkit[]\n", "without.txt")
    assert sync(without) == {"plotkit==1.0"}
    assert sync(with_defaults) == {"plotkit==1.0", "qtgui==6.0"}
    assert sync(without) == {"plotkit==1.0"}
    # pip-sync removes what the file does not list, but not the plugin it runs with.
    listed = target.pip("list", "--format=freeze", check=True).stdout.lower().splitlines()
    assert any(line.startswith("wheelnext-pip==") for line in listed), listed


def test_doctor_names_pip_tools_and_what_it_cannot_do(tools: Tools) -> None:
    result = tools.env.run(["-m", "wheelnext_pip", "doctor", "--json"], wheelnext="1")
    section = json.loads(result.stdout)["pip-tools"]
    assert section["installed"] == tools.version
    assert section["active"] is True, section
    text = "\n".join(section["lines"])
    for feature in ("default-extras", "index-groups", "variants", "symlinks", "build-isolation"):
        assert f"{feature}: " in text


def test_a_bad_setting_stops_pip_compile_with_one_line(
    tools: Tools, indexes: Indexes, tmp_path: Path
) -> None:
    source = tmp_path / "requirements.in"
    source.write_text("plotkit\n")
    result = tools.env.run(
        ["--index-url", indexes.public.index_url, "-o", tmp_path / "out.txt", source],
        executable=tools.script("pip-compile"),
        wheelnext="index_groups",
        cwd=tmp_path,
    )
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("ERROR:")]
    assert len(errors) == 1 and "WHEELNEXT_PIP" in errors[0], result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out.txt").exists()


def test_hashes_cover_every_variant_wheel_and_sync_installs_this_machines(
    tools: Tools, indexes: Indexes, fresh_plugin_env: PipEnv, tmp_path: Path
) -> None:
    """pip-compile pins the version; ``--generate-hashes`` lists every file of it, each variant
    wheel too (pip-tools hashes for any machine), so pip-sync in hash-checking mode installs
    the variant that fits the machine that installs."""
    properties = tmp_path / "machine.toml"
    properties.write_text('[x86_64]\nlevel = ["v2", "v1"]\n')
    machine = {"WHEELNEXT_PIP_VARIANT_PROPERTIES_FILE": str(properties)}
    lines = compile_lines(
        tools,
        indexes,
        tmp_path,
        "gpk\n",
        wheelnext="1",
        extra=("--generate-hashes",),
        env=machine,
    )
    everything = " ".join(f"--hash=sha256:{h}" for h in sorted(indexes.gpk_sha256.values()))
    assert lines[1:] == [f"gpk==1.0 {everything}"]
    stock = compile_lines(
        tools, indexes, tmp_path, "gpk\n", wheelnext=None, extra=("--generate-hashes",)
    )
    assert stock[1:] == [f"gpk==1.0 --hash=sha256:{indexes.gpk_sha256['gpk-1.0-py3-none-any.whl']}"]

    compiled = tmp_path / "requirements.txt"
    compiled.write_text("\n".join(lines) + "\n")
    result = tools.env.run(
        ["--python-executable", fresh_plugin_env.python, compiled],
        executable=tools.script("pip-sync"),
        wheelnext="1",
        env=machine,
    )
    assert result.returncode == 0, result.stderr
    (dist_info,) = fresh_plugin_env.site_packages.glob("gpk-1.0.dist-info")
    installed = json.loads((dist_info / "variant.json").read_text())
    assert list(installed["variants"]) == ["x8664v2"]


def test_activation_follows_the_variable_in_both_entry_points(
    tools: Tools, indexes: Indexes, tmp_path: Path
) -> None:
    """``pip-compile`` and ``python -m piptools compile`` start wheelnext-pip's command (one
    ``command`` event, for pip's install command); with the variable unset nothing loads."""
    source = tmp_path / "requirements.in"
    source.write_text("plotkit\n")
    index = ["--index-url", indexes.public.index_url, "--cache-dir", tmp_path / "cache"]
    runs = {
        "script": (tools.script("pip-compile"), []),
        "module": (tools.env.python, ["-m", "piptools", "compile"]),
    }
    for name, (executable, prefix) in runs.items():
        for wheelnext in ("1", None):
            log = tmp_path / f"events-{name}-{wheelnext}.jsonl"
            output = tmp_path / f"{name}-{wheelnext}.txt"
            result = tools.env.run(
                [*prefix, "-q", *index, "-o", output, source],
                executable=executable,
                wheelnext=wheelnext,
                env={"WHEELNEXT_PIP_EVENT_LOG": str(log)},
                cwd=tmp_path,
            )
            assert result.returncode == 0, result.stderr
            if wheelnext is None:
                assert not log.exists()
                assert "qtgui" not in output.read_text()
                continue
            events = [json.loads(line) for line in log.read_text().splitlines()]
            commands = [e for e in events if e["event"] == "command"]
            assert [e["command"] for e in commands] == ["install"], events
            assert "qtgui==6.0" in output.read_text()

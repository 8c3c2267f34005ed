"""pip-compile with wheelnext-pip: the README's pip-tools block, produced by real runs.

Builds wheelnext-pip, a venv with one pip release and the pip-tools release made for it
(from PyPI, cached), serves a public and a private index on 127.0.0.1, and runs
``pip-compile`` in a work folder with the variable unset and set.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests._lib import pipenv  # noqa: E402
from tests._lib.builders import make_wheel  # noqa: E402
from tests._lib.index import IndexServer, write_simple_index  # noqa: E402
from tests._lib.piptools import install_piptools  # noqa: E402


def public_wheels(dists: Path) -> list[Path]:
    return [
        make_wheel(
            dists,
            "plotkit",
            "1.0",
            requires_dist=['qtgui; extra == "gui"', 'webview; extra == "web"'],
            extra_metadata=[
                ("Provides-Extra", "gui"),
                ("Provides-Extra", "web"),
                ("Default-Extra", "gui"),
            ],
        ),
        make_wheel(dists, "qtgui", "6.0"),
        make_wheel(dists, "webview", "2.0"),
        make_wheel(dists, "corp-utils", "99.0"),  # the dependency-confusion upload
        make_wheel(dists, "corp-utils", "1.2", files={"corp_utils/__init__.py": "X = 1\n"}),
    ]


class Shell:
    def __init__(self, env: pipenv.PipEnv, workdir: Path) -> None:
        self.env = env
        self.workdir = workdir

    def run(
        self,
        words: Sequence[str],
        environment: dict[str, str] | None = None,
        *,
        then_cat: str | None = None,
    ) -> None:
        """Print ``$ VARS pip-compile ... [&& cat FILE]``, run it in the work folder, print
        what it printed (and the file when it succeeded)."""
        shown = [f"{key}={shlex.quote(value)}" for key, value in (environment or {}).items()]
        line = " ".join([*shown, *map(shlex.quote, words)])
        print(f"$ {line}" + (f" && cat {then_cat}" if then_cat else ""))
        tool = self.env.root / "bin" / words[0]
        result = self.env.run(words[1:], executable=tool, env=environment, cwd=self.workdir)
        for text in (result.stdout, result.stderr):
            if text.strip():
                print(text.rstrip())
        if result.returncode:
            print(f"(exit status {result.returncode})")
        elif then_cat:
            print((self.workdir / then_cat).read_text().rstrip())
        print()

    def write(self, name: str, text: str) -> None:
        (self.workdir / name).write_text(text)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pip", default="26.3", help="pip release (default: 26.3)")
    options = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="wheelnext-demo-") as temporary:
        root = Path(temporary)
        wheel = pipenv.build_project_wheel(root / "dist")
        env = pipenv.create_env(
            root / "venv",
            sys.executable,
            options.pip,
            plugin_wheel=wheel,
            wheelhouse=pipenv.fill_wheelhouse(root / "wheelhouse"),
        )
        release = (sys.version_info[0], sys.version_info[1])
        version = install_piptools(env, release)
        public_root = write_simple_index(root / "public", public_wheels(root / "dists" / "pub"))
        private_wheel = make_wheel(root / "dists" / "priv", "corp-utils", "1.2")
        private_root = write_simple_index(root / "private", [private_wheel])
        work = root / "work"
        work.mkdir()
        shell = Shell(env, work)
        with IndexServer(public_root.parent) as public, IndexServer(private_root.parent) as private:
            print(f"# pip {options.pip}, pip-tools {version}\n")
            shell.write("requirements.in", "plotkit\ncorp-utils\n")
            print("$ cat requirements.in")
            print((work / "requirements.in").read_text().rstrip() + "\n")
            index = ["--index-url", public.index_url]
            compile_words = ["pip-compile", "-q", "--no-header", "--no-strip-extras"]
            hashed = [*compile_words, "--generate-hashes", *index, "requirements.in"]
            shell.run(hashed, then_cat="requirements.txt")
            (work / "requirements.txt").unlink(missing_ok=True)
            groups = {
                "WHEELNEXT_PIP": "1",
                "WHEELNEXT_PIP_INDEX_GROUPS": f"private = {private.index_url}",
            }
            shell.run(hashed, groups, then_cat="requirements.txt")
            print("$ echo 'plotkit[]' > optout.in")
            shell.write("optout.in", "plotkit[]\n")
            optout = [*compile_words, *index, "optout.in"]
            shell.run(optout, {"WHEELNEXT_PIP": "1"}, then_cat="optout.txt")
            shell.run(
                ["pip-compile", "-q", *index, "requirements.in"], {"WHEELNEXT_PIP": "index_groups"}
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Real pip in throwaway virtual environments: one per (Python, pip version).

A template environment is made once per session: ``venv --without-pip`` plus the cached
pip wheel unzipped into site-packages (half a second instead of ten for ensurepip), then
wheelnext-pip's *built wheel* installed by that pip the normal way (never editable: an
editable install would not carry the start-up ``.pth``). Tests that change an
environment work on a copy. Every child process runs hermetically: the machine's
``PIP_*`` variables are removed and ``PIP_CONFIG_FILE`` points at ``/dev/null`` or at
the test's own file.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, Union

REPO = Path(__file__).resolve().parents[2]
DEFAULT_PIPS = ("23.0.1", "23.2.1", "24.2", "25.3", "26.2.1", "26.3")
#: Extra matrix runs on the oldest and newest Python: (Python release, pip version).
EDGE_RUNS = (((3, 9), "23.0.1"), ((3, 13), "26.3"))
RUNTIME_DEPENDENCIES = ("packaging", "nvidia-ml-py", "tomli")
_Cases = TypeVar("_Cases", bound=Union[dict[str, Any], list[Any]])


def cache_dir() -> Path:
    base = os.environ.get("WHEELNEXT_TEST_CACHE") or os.path.join(
        os.path.expanduser("~"), ".cache", "wheelnext-pip-tests"
    )
    path = Path(base)
    path.mkdir(parents=True, exist_ok=True)
    return path


def hermetic_environ(
    extra: Mapping[str, str] | None = None, *, config_file: str | os.PathLike[str] | None = None
) -> dict[str, str]:
    """The environment of a test child: the machine's pip settings removed."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PIP_", "WHEELNEXT_PIP"))
        and key not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME", "PYTHONSTARTUP")
    }
    env.update(
        PIP_CONFIG_FILE=os.fspath(config_file) if config_file else os.devnull,
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        PIP_NO_INPUT="1",
        PIP_NO_CACHE_DIR="1",
        PIP_ROOT_USER_ACTION="ignore",
        PYTHONNOUSERSITE="1",
        PYTHONDONTWRITEBYTECODE="1",
    )
    if extra:
        env.update(extra)
    return env


@dataclass(frozen=True)
class MatrixEntry:
    python: str
    pip_version: str
    python_release: tuple[int, int]

    @property
    def id(self) -> str:
        return f"py{self.python_release[0]}.{self.python_release[1]}-pip{self.pip_version}"


#: Runs pip and, at exit, writes the name of every module it imported to ``MODULES_OUT``.
_MODULE_LISTING_DRIVER = """\
import atexit, os, runpy, sys
def _write():
    with open(os.environ["MODULES_OUT"], "w") as out:
        out.write("\\n".join(sorted(sys.modules)))
atexit.register(_write)
runpy.run_module("pip", run_name="__main__", alter_sys=True)
"""


def modules_imported_by_pip(
    python: str | os.PathLike[str], pip_args: Sequence[str], environ: Mapping[str, str]
) -> set[str]:
    """Every module a pip command has imported when it exits. pip runs from a file named
    ``pip``, so that start-up activates as for pip's own script; ``-X importtime`` would
    miss what ``importlib.import_module`` loads (the feature patch modules)."""
    with tempfile.TemporaryDirectory() as folder:
        driver, listing = Path(folder) / "pip", Path(folder) / "modules.txt"
        driver.write_text(_MODULE_LISTING_DRIVER)
        result = subprocess.run(
            [os.fspath(python), os.fspath(driver), *pip_args],
            env={**environ, "MODULES_OUT": os.fspath(listing)},
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if result.returncode != 0:
            raise AssertionError(
                f"pip {' '.join(pip_args)} exited {result.returncode}\n{result.stderr}"
            )
        return set(listing.read_text().split())


def share_cases(cases: _Cases, entry: MatrixEntry, own_python: Sequence[MatrixEntry]) -> _Cases:
    """The cases one pip runs of a test whose cases vary our input, not pip's code path:
    all of them on the oldest and the newest pip of the tests' own Python (``own_python``,
    oldest first) and on the edge runs; on each pip between, its share in turn, so that
    every case still runs on three pips or more, and every pip runs one case or more."""
    middle = list(own_python[1:-1])
    if entry not in middle or not cases:
        return cases
    count = min(len(middle), len(cases))
    index = middle.index(entry) % count
    if isinstance(cases, dict):
        return {k: v for n, (k, v) in enumerate(cases.items()) if n % count == index}  # type: ignore[return-value]
    return [case for n, case in enumerate(cases) if n % count == index]  # type: ignore[return-value]


def python_release(python: str) -> tuple[int, int] | None:
    try:
        output = subprocess.run(
            [python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    major, minor = output.strip().split(".")
    return int(major), int(minor)


def find_python(release: tuple[int, int]) -> str | None:
    """An interpreter of that release that really runs (pyenv shims may not)."""
    name = f"python{release[0]}.{release[1]}"
    candidates = [shutil.which(name)]
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates += sorted(
        map(str, pyenv_root.glob(f"versions/{release[0]}.{release[1]}.*/bin/{name}"))
    )
    candidates += [f"/usr/bin/{name}", f"/usr/local/bin/{name}"]
    for candidate in candidates:
        if candidate and os.path.exists(candidate) and python_release(candidate) == release:
            return candidate
    return None


def pip_needs_python(pip_version: str) -> tuple[int, int]:
    release = tuple(int(part) for part in pip_version.split(".")[:2])
    if release >= (26, 1):
        return (3, 10)
    if release >= (25, 1):
        return (3, 9)
    return (3, 7)


def matrix() -> list[MatrixEntry]:
    """pip versions from ``WHEELNEXT_TEST_PIPS`` (comma list) or the default matrix.

    ``WHEELNEXT_TEST_EDGE=0`` drops the extra runs on the oldest and newest Python.
    """
    chosen = os.environ.get("WHEELNEXT_TEST_PIPS", "")
    versions = [v.strip() for v in chosen.split(",") if v.strip()] or list(DEFAULT_PIPS)
    own_release = (sys.version_info[0], sys.version_info[1])
    entries = [MatrixEntry(sys.executable, version, own_release) for version in versions]
    if os.environ.get("WHEELNEXT_TEST_EDGE", "1") != "0" and not chosen:
        for release, version in EDGE_RUNS:
            python = find_python(release)
            if python and release != own_release and release >= pip_needs_python(version):
                entries.append(MatrixEntry(python, version, release))
    return entries


def pip_wheel(version: str) -> Path:
    """The pip wheel of one release, downloaded once into the cache."""
    folder = cache_dir() / "pip-wheels"
    folder.mkdir(exist_ok=True)
    wheel = folder / f"pip-{version}-py3-none-any.whl"
    if not wheel.exists():
        # Downloads use the machine's own pip settings: they are what reaches the index here.
        # (Run before test workers start, see conftest, so no two processes race here.)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--only-binary",
                ":all:",
                "-q",
                "-d",
                str(folder),
                f"pip=={version}",
            ],
            check=True,
        )
    return wheel


def build_project_wheel(dest: Path, source: Path = REPO) -> Path:
    """Build wheelnext-pip's wheel from this checkout (or an unpacked sdist), as pip would."""
    dest.mkdir(parents=True, exist_ok=True)
    # Without hatchling here, let pip fetch it into an isolated build environment.
    isolation = [] if importlib.util.find_spec("hatchling") is None else ["--no-build-isolation"]
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            *isolation,
            "-q",
            "-w",
            str(dest),
            str(source),
        ],
        check=True,
    )
    (wheel,) = dest.glob("wheelnext_pip-*.whl")
    return wheel


def cached_wheelhouse() -> Path:
    """Runtime dependencies of wheelnext-pip for every Python of the matrix, downloaded once."""
    folder = cache_dir() / "wheelhouse"
    folder.mkdir(exist_ok=True)
    marker = folder / ".complete-v2"
    if not marker.exists():
        for python_version in ("3.9", "3.10", "3.11", "3.12", "3.13"):
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "pip",
                    "download",
                    "--only-binary",
                    ":all:",
                    "-q",
                    "--python-version",
                    python_version,
                    "-d",
                    str(folder),
                    *RUNTIME_DEPENDENCIES,
                ],
                check=True,
            )
        marker.touch()
    return folder


def fill_wheelhouse(dest: Path) -> Path:
    """A private wheelhouse holding wheelnext-pip's runtime dependencies."""
    dest.mkdir(parents=True, exist_ok=True)
    for wheel in cached_wheelhouse().glob("*.whl"):
        shutil.copy2(wheel, dest / wheel.name)
    return dest


@dataclass
class PipEnv:
    """A virtual environment with one pip release (and maybe wheelnext-pip)."""

    root: Path
    pip_version: str
    has_plugin: bool

    @property
    def python(self) -> Path:
        return self.root / "bin" / "python"

    @property
    def site_packages(self) -> Path:
        (path,) = (self.root / "lib").glob("python3*/site-packages")
        return path

    def run(
        self,
        args: Sequence[str | os.PathLike[str]],
        *,
        env: Mapping[str, str] | None = None,
        wheelnext: str | None = None,
        config_file: str | os.PathLike[str] | None = None,
        cwd: str | os.PathLike[str] | None = None,
        check: bool = False,
        timeout: float = 300,
        executable: str | os.PathLike[str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run ``python ARGS`` (or ``executable ARGS``) in this environment, hermetically."""
        extra = dict(env or {})
        if wheelnext is not None:
            extra["WHEELNEXT_PIP"] = wheelnext
        command = [os.fspath(executable or self.python), *map(os.fspath, args)]
        result = subprocess.run(
            command,
            env=hermetic_environ(extra, config_file=config_file),
            # Never the checkout: its flat-layout package would shadow the installed one.
            cwd=cwd or self.root,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"{' '.join(command)} exited {result.returncode}\n"
                f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
            )
        return result

    def pip(
        self, *args: str | os.PathLike[str], **kwargs: object
    ) -> subprocess.CompletedProcess[str]:
        return self.run(["-m", "pip", *args], **kwargs)  # type: ignore[arg-type]

    def write_pip_script(self, name: str = "pip") -> Path:
        """A console script like the one pip's installer writes (unzipped pip has none)."""
        script = self.root / "bin" / name
        script.write_text(
            f"#!{self.python}\nimport sys\nfrom pip._internal.cli.main import main\n"
            "if __name__ == '__main__':\n    sys.exit(main())\n"
        )
        script.chmod(0o755)
        return script

    def clone(self, dest: Path) -> PipEnv:
        """A private copy. pip's own files (a third of a second to copy, many times a
        run) are hard links, shared with this environment: pip removes a file by
        unlinking it, which leaves this environment's link in place, and a test that
        changes one of pip's files must write a new file (unlink it first)."""
        pip_package = os.fspath(self.site_packages / "pip") + os.sep

        def copy(source: str, target: str) -> object:
            if source.startswith(pip_package):
                os.link(source, target)
                return target
            return shutil.copy2(source, target)

        shutil.copytree(self.root, dest, symlinks=True, copy_function=copy)
        return PipEnv(dest, self.pip_version, self.has_plugin)


def create_env(
    root: Path, python: str, pip_version: str, *, plugin_wheel: Path | None, wheelhouse: Path
) -> PipEnv:
    subprocess.run([python, "-m", "venv", "--without-pip", str(root)], check=True)
    env = PipEnv(root, pip_version, has_plugin=plugin_wheel is not None)
    purelib = subprocess.run(
        [str(env.python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    with zipfile.ZipFile(pip_wheel(pip_version)) as archive:
        archive.extractall(purelib)
    if plugin_wheel is not None:
        env.pip("install", "--no-index", "--find-links", wheelhouse, plugin_wheel, check=True)
    # Children never write bytecode (PYTHONDONTWRITEBYTECODE), and an unzipped pip has none:
    # compile once here, or every pip run in the tests recompiles pip from source.
    subprocess.run(
        [str(env.python), "-m", "compileall", "-q", "-j", "0", purelib],
        check=True,
        capture_output=True,
    )
    return env

#!/usr/bin/env python3
"""A self-contained tour of wheelnext-pip through real pip.

    python3 scripts/demo.py [--pip VERSION] [--scene NAME ...] [--keep DIR]

Builds wheelnext-pip's wheel from this checkout, installs it into a temporary virtual
environment next to a pip release (by default the one this Python has), serves a
generated package index on 127.0.0.1, and runs each scene: the command it types and what
pip really prints. Each feature adds its scene to ``SCENES``.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests._lib import pipenv  # noqa: E402
from tests._lib.builders import make_sdist, make_wheel  # noqa: E402
from tests._lib.index import IndexServer, write_simple_index  # noqa: E402


@dataclass
class Stage:
    """What every scene gets: the environment with wheelnext-pip and the local index."""

    env: pipenv.PipEnv
    index: IndexServer
    workdir: Path

    def dry_run_report(self) -> list[str]:
        """``pip install --dry-run --report -`` against the demo index (add requirements)."""
        return [
            "-m",
            "pip",
            "install",
            "--dry-run",
            "--quiet",
            "--report",
            "-",
            "--index-url",
            self.index.index_url,
        ]

    def show(
        self,
        command: Sequence[str],
        *,
        wheelnext: str | None = None,
        env: dict[str, str] | None = None,
        stdout_filter: Callable[[str], str] | None = None,
        display: Sequence[str] | None = None,
    ) -> None:
        """Print a command as a user would type it, run it, print what it printed.

        ``display`` replaces the words shown (e.g. a short path for a temporary one).
        """
        shown = [
            f"{key}={shlex.quote(value)}"
            for key, value in {
                **({"WHEELNEXT_PIP": wheelnext} if wheelnext is not None else {}),
                **(env or {}),
            }.items()
        ]
        words = (
            ["pip", *command[2:]] if list(command[:2]) == ["-m", "pip"] else ["python", *command]
        )
        if display is not None:
            words = list(display)
        print(f"$ {' '.join([*shown, *map(shlex.quote, words)])}")
        result = self.env.run(command, wheelnext=wheelnext, env=env)
        output = stdout_filter(result.stdout) if stdout_filter else result.stdout
        for text in (output, result.stderr):
            if text.strip():
                print(text.rstrip())
        if result.returncode:
            print(f"(exit status {result.returncode})")
        print()


def summarize_report(stdout: str) -> str:
    """The interesting part of ``--report -``: what would be installed, and our object."""
    report = json.loads(stdout)
    lines = []
    for item in report["install"]:
        meta = item["metadata"]
        extra = f"  wheelnext={json.dumps(item['wheelnext'])}" if "wheelnext" in item else ""
        lines.append(f"  {meta['name']} {meta['version']}{extra}")
    return "report.install:\n" + "\n".join(lines)


def scene_doctor(stage: Stage) -> None:
    """What is hooked in this interpreter, and the effective settings."""
    stage.show(["-m", "wheelnext_pip", "doctor"], wheelnext="1")


def scene_stock_vs_on(stage: Stage) -> None:
    """Stock pip and pip with wheelnext-pip on, side by side; a typo is an error."""
    command = [*stage.dry_run_report(), "alpha"]
    print("# WHEELNEXT_PIP unset: byte-for-byte stock pip")
    stage.show(command, stdout_filter=summarize_report)
    print("# WHEELNEXT_PIP=1: report items carry the decisions features made")
    stage.show(command, wheelnext="1", stdout_filter=summarize_report)
    print("# a typo never silently switches a protection off")
    stage.show(command, wheelnext="varaints")


def scene_symlinks(stage: Stage) -> None:
    """A wheel that duplicates a shared library behind its aliases, relinked and installed."""
    library = os.urandom(2 * 1024 * 1024)
    aliases = ("libdemo.so", "libdemo.so.1", "libdemo.so.1.2")
    files = {"demolib/__init__.py": "", "demolib/libdemo.so.1.2.3": library}
    files.update({f"demolib/{alias}": library for alias in aliases})
    wheel = make_wheel(stage.workdir / "symlinks", "demolib", "1.0", files=files)
    relinked = stage.workdir / "symlinks" / "relinked"
    print("# four byte-identical copies of one library: relink records the aliases as links")
    stage.show(
        ["-m", "wheelnext_pip", "relink", str(wheel), "-o", str(relinked)],
        display=["wheelnext-pip", "relink", wheel.name, "-o", "relinked/"],
    )
    installed = relinked / wheel.name
    display = ["pip", "install", f"relinked/{wheel.name}"]
    print("# stock pip cannot install it; with wheelnext-pip the links are created")
    stage.show(["-m", "pip", "install", "--no-index", str(installed)], display=display)
    stage.show(
        ["-m", "pip", "install", "--no-index", str(installed)], wheelnext="1", display=display
    )
    package = stage.env.site_packages / "demolib"
    print(f"$ ls -l {package.relative_to(stage.env.root)}")
    for entry in sorted(package.iterdir()):
        if entry.is_symlink():
            print(f"  {entry.name} -> {os.readlink(entry)}")
        elif entry.is_file():
            print(f"  {entry.name}  {entry.stat().st_size:,} bytes")
    print()
    stage.show(["-m", "pip", "uninstall", "-y", "demolib"], wheelnext="1")


def scene_default_extras(stage: Stage) -> None:
    """A package whose default backend comes with it, unless the user opts out with [] ."""
    command = stage.dry_run_report()
    print("# plotkit declares Default-Extra: gui (PEP 771); stock pip ignores it")
    stage.show([*command, "plotkit"], stdout_filter=summarize_report)
    print("# with wheelnext-pip the default extra comes along ...")
    stage.show([*command, "plotkit"], wheelnext="1", stdout_filter=summarize_report)
    print("# ... naming another extra replaces it, and [] means none")
    stage.show([*command, "plotkit[web]"], wheelnext="1", stdout_filter=summarize_report)
    stage.show([*command, "plotkit[]"], wheelnext="1", stdout_filter=summarize_report)


def keep_decision_lines(stdout: str) -> str:
    """pip's own output minus the download chatter: our lines and pip's verdict."""
    wanted = ("wheelnext-pip", "Would install", "ERROR")
    return "\n".join(line for line in stdout.splitlines() if line.startswith(wanted))


def scene_index_groups(stage: Stage) -> None:
    """A public upload cannot shadow a private package once the private index ranks first."""
    private_root = stage.workdir / "private-index"
    wheels = [make_wheel(private_root / "dists", "corp-utils", "1.2")]
    with IndexServer(write_simple_index(private_root / "www", wheels).parent) as private:
        public = stage.index.index_url
        install = ["-m", "pip", "install", "--dry-run", "--index-url", public]
        print("# corp-utils 1.2 lives on the private index; someone uploaded 99.0 publicly")
        stage.show(
            [*install, "--extra-index-url", private.index_url, "corp-utils"],
            stdout_filter=keep_decision_lines,
        )
        groups = {"WHEELNEXT_PIP_INDEX_GROUPS": f"private = {private.index_url}"}
        print("# rank the private index first: it is the only one asked for corp-utils")
        stage.index.clear_requests()
        stage.show(
            [*install, "corp-utils", "beta"],
            wheelnext="1",
            env=groups,
            stdout_filter=keep_decision_lines,
        )
        asked = len(stage.index.project_requests("corp-utils"))
        print(f"# requests for corp-utils the public index got in that run: {asked}\n")
        stage.show(
            ["-m", "wheelnext_pip", "explain", "corp-utils", "--index-url", public],
            wheelnext="1",
            env=groups,
        )


def build_isolation_dists(dists: Path) -> list[Path]:
    """A framework (a stand-in for torch) and extensions that compile against it."""
    payload = os.urandom(20 * 1000 * 1000)  # 20 MB, incompressible: a download you notice
    framework = [
        make_wheel(
            dists,
            "fakefw",
            version,
            requires_dist=["fakefw-core>=1"],
            files={"fakefw/__init__.py": "import fakefw_core\n", "fakefw/libfw.so": payload},
        )
        for version in ("2.4.0", "2.5.0")
    ]
    return [
        *framework,
        make_wheel(dists, "fakefw-core", "1.0"),
        # An extension built against the framework's ABI: it wants exactly 2.4.0.
        make_sdist(
            dists,
            "fw-ext",
            "1.0",
            build_requires=["fakefw==2.4.0"],
            import_build_requires=["fakefw"],
        ),
        # An extension whose build also needs a tool the environment does not have.
        make_sdist(
            dists,
            "fw-ext-cy",
            "1.0",
            build_requires=["fakefw==2.4.0", "fakecython>=3"],
            import_build_requires=["fakefw"],
        ),
    ]


def scene_build_isolation(stage: Stage) -> None:
    """Build a framework extension against the framework you have (the PyTorch case)."""
    index_url = ["--index-url", stage.index.index_url]
    install = ["-m", "pip", "install", *index_url]
    uninstall = ["-m", "pip", "uninstall", "-y", "-q", "fw-ext"]

    def framework_bytes() -> str:
        sent = 0
        for request in stage.index.requests:
            if request.path.startswith("/files/fakefw-2"):
                sent += (stage.index.root / request.path.lstrip("/")).stat().st_size
        stage.index.clear_requests()
        return f"# the index sent {sent / 1e6:.1f} MB of fakefw for this build\n"

    print("# the framework is installed; fw-ext compiles against fakefw==2.4.0")
    stage.show([*install, "-q", "fakefw==2.4.0"])
    stage.index.clear_requests()
    print("# stock pip downloads the framework again into an isolated build environment")
    stage.show([*install, "fw-ext"])
    print(framework_bytes())
    stage.show(uninstall)
    print("# your consent: take fakefw from this environment when its version fits")
    passthrough = {"WHEELNEXT_PIP_BUILD_ISOLATION_PASSTHROUGH": "fakefw"}
    stage.show([*install, "fw-ext"], wheelnext="1", env=passthrough)
    print(framework_bytes())
    stage.show(uninstall)
    print("# a version that does not fit is installed isolated as usual, with a line saying why")
    stage.show([*install, "-q", "fakefw==2.5.0"])
    stage.index.clear_requests()
    stage.show([*install, "fw-ext"], wheelnext="1", env=passthrough)
    print(framework_bytes())
    stage.show(uninstall)
    stage.show([*install, "-q", "fakefw==2.4.0"])
    print("# or build that one project without isolation, in this environment (uv's setting)")
    no_isolation = {"WHEELNEXT_PIP_NO_BUILD_ISOLATION_PACKAGE": "fw-ext,fw-ext-cy"}
    stage.show([*install, "fw-ext"], wheelnext="1", env=no_isolation)
    print("# missing build requirements: one line, not a backend traceback")
    stage.show([*install, "fw-ext-cy"], wheelnext="1", env=no_isolation)
    stage.index.clear_requests()


def variant_dists(dists: Path) -> list[Path]:
    """gpukit 1.0: CUDA 12 and 13 builds, x86-64-v3 and baseline CPU builds, null, ordinary."""
    schema = "https://variants-schema.wheelnext.dev/peps/850/v0.2.0.json"
    providers = {
        "nvidia": {
            "requires": ["nvidia-variant-provider>=0.0.1,<1"],
            "plugin-api": "nvidia_variant_provider.plugin:NvidiaVariantPlugin",
        },
        "x86_64": {"requires": ["x86-64-variant-provider>=0.2.1,<1"]},
    }
    labels = {
        "cu13": {"nvidia": {"cuda_version_lower_bound": ["13.0"]}},
        "cu12": {"nvidia": {"cuda_version_lower_bound": ["12.0"]}},
        "x8664v3": {"x86_64": {"level": ["v3"]}},
        "null": {},
    }

    def document(variants: dict[str, object]) -> str:
        return json.dumps(
            {
                "$schema": schema,
                "default-priorities": {"namespace": ["nvidia", "x86_64"]},
                "providers": providers,
                "variants": variants,
            }
        )

    wheels = [
        make_wheel(
            dists,
            "gpukit",
            "1.0",
            filename=f"gpukit-1.0-py3-none-any-{label}.whl",
            extra_dist_info={"variant.json": document({label: properties})},
        )
        for label, properties in labels.items()
    ]
    metadata = dists / "gpukit-1.0-variants.json"
    metadata.write_text(document(labels))
    return [*wheels, make_wheel(dists, "gpukit", "1.0"), metadata]


def scene_variants(stage: Stage) -> None:
    """pip installs the variant wheel that fits this machine, never one that does not."""
    command = ["-m", "pip", "install", "--dry-run", "--index-url", stage.index.index_url]
    print("# gpukit 1.0 ships cu13, cu12, x8664v3 and null variant wheels beside a plain wheel")
    stage.show([*command, "gpukit"], stdout_filter=keep_decision_lines)
    print("# a machine with a CUDA 12.8 driver (forced here: this one has no GPU)")
    cuda = {"NV_VARIANT_PROVIDER_FORCE_CUDA_DRIVER_VERSION": "12.8"}
    stage.show([*command, "gpukit"], wheelnext="1", env=cuda, stdout_filter=keep_decision_lines)
    print("# no GPU: the CPU level detected on this machine decides")
    stage.show([*command, "gpukit"], wheelnext="1", stdout_filter=keep_decision_lines)
    explain = ["-m", "wheelnext_pip", "explain", "gpukit", "--index-url", stage.index.index_url]
    stage.show(explain, wheelnext="1", env=cuda)


SCENES: dict[str, Callable[[Stage], None]] = {
    "doctor": scene_doctor,
    "stock-vs-on": scene_stock_vs_on,
    "variants": scene_variants,
    "default-extras": scene_default_extras,
    "symlinks": scene_symlinks,
    "index-groups": scene_index_groups,
    "build-isolation": scene_build_isolation,
}


def build_index(root: Path) -> Path:
    dists = root / "dists"
    wheels = [
        make_wheel(dists, "alpha", "1.0", requires_dist=["beta>=1"]),
        make_wheel(dists, "beta", "1.2"),
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
        make_wheel(dists, "corp-utils", "99.0"),  # the dependency-confusion upload
        make_wheel(dists, "webview", "2.0"),
    ]
    wheels += build_isolation_dists(dists)
    *variant_wheels, variant_metadata = variant_dists(dists)
    wheels += variant_wheels
    extra = {"gpukit": [variant_metadata]}
    return write_simple_index(root / "www", wheels, extra_files=extra).parent


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--pip",
        default=metadata.version("pip"),
        help="pip release for the demo environment (default: this Python's)",
    )
    parser.add_argument(
        "--scene", action="append", choices=sorted(SCENES), help="run only these scenes"
    )
    parser.add_argument("--keep", type=Path, help="build everything in this folder and keep it")
    options = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="wheelnext-demo-") as temporary:
        workdir = options.keep or Path(temporary)
        workdir.mkdir(parents=True, exist_ok=True)
        print(f"building wheelnext-pip and a venv with pip {options.pip} in {workdir} ...")
        wheelhouse = pipenv.fill_wheelhouse(workdir / "wheelhouse")
        wheel = pipenv.build_project_wheel(workdir / "dist")
        env = pipenv.create_env(
            workdir / "venv", sys.executable, options.pip, plugin_wheel=wheel, wheelhouse=wheelhouse
        )
        with IndexServer(build_index(workdir / "index")) as index:
            print(f"serving a generated index at {index.index_url}\n")
            stage = Stage(env, index, workdir)
            for name in options.scene or SCENES:
                scene = SCENES[name]
                print(f"=== {name}: {(scene.__doc__ or '').strip()}\n")
                scene(stage)
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""A self-contained tour of wheelnext-pip through real pip.

    python3 scripts/demo.py [--pip VERSION] [--scene NAME ...] [--keep DIR]
    python3 scripts/demo.py --update-readme     # rewrite README.md's generated blocks
    python3 scripts/demo.py --check-readme      # exit 1 when a README block is stale

Builds wheelnext-pip's wheel from this checkout, installs it into a temporary virtual
environment next to a pip release (by default the one this Python has), serves a
generated package index on 127.0.0.1, and runs each scene: the command it types and what
pip really prints. Each feature adds its scene to ``SCENES``.

Every console block of README.md that shows output is a scene's output: a marker line
``<!-- demo:SCENE -->`` stands right before its fence. ``--update-readme`` runs the marked
scenes with pip ``README_PIP`` and writes their output into those blocks, with the local
index's ports numbered from 8000 in order of appearance and temporary folders shortened,
so that the text is the same on every run. ``--check-readme`` runs them the same way and
compares, ignoring what legitimately differs between machines and releases (Python, pip
and wheelnext-pip versions, the detected x86-64 level); an output block without a marker
is an error too.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import io
import json
import os
import re
import shlex
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
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
    #: Variables every command of a scene gets (a scene prints the ``export`` it stands for).
    exported: dict[str, str] = field(default_factory=dict)

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
        result = self.env.run(command, wheelnext=wheelnext, env={**self.exported, **(env or {})})
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
    command = ["-m", "pip", "install", "--dry-run", "--index-url", stage.index.index_url]
    print("# plotkit declares Default-Extra: gui (PEP 771); stock pip ignores it")
    stage.show([*command, "plotkit"], stdout_filter=keep_decision_lines)
    print("# with wheelnext-pip the default extra comes along ...")
    stage.show([*command, "plotkit"], wheelnext="1", stdout_filter=keep_decision_lines)
    print("# ... naming an extra replaces the defaults, and empty brackets mean none")
    stage.show([*command, "plotkit[web]"], wheelnext="1", stdout_filter=keep_decision_lines)
    stage.show([*command, "plotkit[]"], wheelnext="1", stdout_filter=keep_decision_lines)


def keep_decision_lines(stdout: str) -> str:
    """pip's own output minus the download chatter: our lines and pip's verdict."""
    wanted = ("wheelnext-pip", "Would install", "ERROR", "WARNING")
    return "\n".join(
        line
        for line in stdout.splitlines()
        if line.startswith(wanted) or "(PEP 771)" in line or line.startswith("  wheelnext-pip")
    )


_PROGRESS = re.compile(
    r"^\s*(\S.*: (started|finished with status '\w+')|Created wheel for |Stored in directory: "
    r"|Building wheels? for collected|Successfully built |Installing collected packages)"
)


def trim_progress(stdout: str) -> str:
    """pip's build and install progress lines, each run of them shown as one ``  ...``."""
    lines: list[str] = []
    for line in stdout.splitlines():
        if _PROGRESS.match(line):
            if not lines or lines[-1] != "  ...":
                lines.append("  ...")
        else:
            lines.append(line)
    return "\n".join(lines)


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


def scene_help(stage: Stage) -> None:
    """What the command line offers, and one command's help."""
    stage.show(["-m", "wheelnext_pip", "--help"])
    stage.show(["-m", "wheelnext_pip", "doctor", "--help"])


def scene_settings(stage: Stage) -> None:
    """A wrong setting or switch stops pip with one line, suggesting the valid value."""
    command = ["-m", "pip", "install", "--dry-run", "--index-url", stage.index.index_url, "alpha"]
    stage.show(command, wheelnext="1", env={"WHEELNEXT_PIP_INDEX_STRATEGY": "newest"})
    stage.show(command, wheelnext="1", env={"WHEELNEXT_PIP_INDEX_STRATEGY": "first_match"})
    stage.show(command, wheelnext="index_groups")
    stage.show(command, wheelnext="yes")
    stage.show(command, wheelnext="variants,,symlinks")
    config = stage.workdir / "settings" / "pip.conf"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text("[wheelnext]\nindex-stratgy = fallthrough\n")
    print("# pip.conf holds a [wheelnext] section with a misspelt key")
    stage.show(command, wheelnext="1", env={"PIP_CONFIG_FILE": str(config)})


def keep_section(name: str) -> Callable[[str], str]:
    """Only the ``name:`` section of ``doctor``'s output (and its verdict)."""

    def only(stdout: str) -> str:
        kept, inside = [], False
        for line in stdout.splitlines():
            if not line.startswith(" "):
                inside = line == f"{name}:"
            if inside or line in ("ok", "NOT OK"):
                kept.append(line)
        return "\n".join(kept)

    return only


MACHINE_TOML = """\
# the machine the wheels are for: a CUDA 12.8 driver, a compute capability 9.0 GPU,
# an x86-64-v2 CPU and no TPU
[nvidia]
cuda_version_lower_bound = ["12.8", "12.6", "12.4", "12.0", "12"]
sm_arch = ["90_real", "90_virtual"]

[x86_64]
level = ["v2", "v1"]

[tpu]
present = ["false"]
"""


def scene_properties_file(stage: Stage) -> None:
    """Install for another machine: a variant-properties-file describes it."""
    folder = stage.workdir / "properties"
    folder.mkdir(parents=True, exist_ok=True)
    machine = folder / "machine.toml"
    machine.write_text(MACHINE_TOML)
    print(f"$ cat {machine}")
    print(MACHINE_TOML)
    use = {"WHEELNEXT_PIP_VARIANT_PROPERTIES_FILE": str(machine)}
    stage.show(
        ["-m", "wheelnext_pip", "doctor"],
        wheelnext="1",
        env=use,
        stdout_filter=keep_section("variants"),
    )
    command = ["-m", "pip", "install", "--dry-run", "--index-url", stage.index.index_url]
    stage.show([*command, "gpukit"], wheelnext="1", env=use, stdout_filter=keep_decision_lines)
    driver_only = folder / "driver-only.toml"
    driver_only.write_text('[nvidia]\ncuda_version_lower_bound = ["12.8", "12.0", "12"]\n')
    print("# a file with the CUDA driver version but no GPU architecture says so in one line")
    stage.show(
        [*command, "gpukit"],
        wheelnext="1",
        env={"WHEELNEXT_PIP_VARIANT_PROPERTIES_FILE": str(driver_only)},
        stdout_filter=keep_decision_lines,
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
    install = ["-m", "pip", "install"]
    print(f"$ export PIP_INDEX_URL={stage.index.index_url}\n")
    stage.exported["PIP_INDEX_URL"] = stage.index.index_url
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
    stage.show([*install, "fw-ext"], stdout_filter=trim_progress)
    print(framework_bytes())
    stage.show(uninstall)
    print("# your consent: take fakefw from this environment when its version fits")
    passthrough = {"WHEELNEXT_PIP_BUILD_ISOLATION_PASSTHROUGH": "fakefw"}
    stage.show([*install, "fw-ext"], wheelnext="1", env=passthrough, stdout_filter=trim_progress)
    print(framework_bytes())
    stage.show(uninstall)
    print("# a version that does not fit is installed isolated as usual, with a line saying why")
    stage.show([*install, "-q", "fakefw==2.5.0"])
    stage.index.clear_requests()
    stage.show([*install, "fw-ext"], wheelnext="1", env=passthrough, stdout_filter=trim_progress)
    print(framework_bytes())
    stage.show(uninstall)
    stage.show([*install, "-q", "fakefw==2.4.0"])
    print("# or build that one project without isolation, in this environment (uv's setting)")
    no_isolation = {"WHEELNEXT_PIP_NO_BUILD_ISOLATION_PACKAGE": "fw-ext,fw-ext-cy"}
    stage.show([*install, "fw-ext"], wheelnext="1", env=no_isolation, stdout_filter=trim_progress)
    print("# missing build requirements: one line, not a backend traceback")
    stage.show([*install, "fw-ext-cy"], wheelnext="1", env=no_isolation)
    stage.index.clear_requests()
    stage.exported.clear()


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


MARKER_REQUIRES = [
    'nvidia-cuda-runtime-cu12; "nvidia :: cuda_version_lower_bound :: 12.0" in variant_properties',
    'mlkit-cpu-kernels; variant_label == "null"',
]


def marker_dists(dists: Path) -> list[Path]:
    """mlkit 1.0: cu12 and null variant wheels and a plain wheel, whose dependencies use
    variant markers (PEP 825)."""
    schema = "https://variants-schema.wheelnext.dev/peps/850/v0.2.0.json"
    labels: dict[str, object] = {"cu12": {"nvidia": {"cuda_version_lower_bound": ["12.0"]}}}
    labels["null"] = {}

    def document(variants: dict[str, object]) -> str:
        return json.dumps(
            {
                "$schema": schema,
                "default-priorities": {"namespace": ["nvidia"]},
                "providers": {
                    "nvidia": {
                        "requires": ["nvidia-variant-provider>=0.0.1,<1"],
                        "plugin-api": "nvidia_variant_provider.plugin:NvidiaVariantPlugin",
                    }
                },
                "variants": variants,
            }
        )

    wheels = [
        make_wheel(
            dists,
            "mlkit",
            "1.0",
            filename=f"mlkit-1.0-py3-none-any-{label}.whl",
            requires_dist=MARKER_REQUIRES,
            extra_dist_info={"variant.json": document({label: properties})},
        )
        for label, properties in labels.items()
    ]
    wheels.append(make_wheel(dists, "mlkit", "1.0", requires_dist=MARKER_REQUIRES))
    wheels.append(make_wheel(dists, "nvidia-cuda-runtime-cu12", "1.0"))
    wheels.append(make_wheel(dists, "mlkit-cpu-kernels", "1.0"))
    metadata = dists / "mlkit-1.0-variants.json"
    metadata.write_text(document(labels))
    return [*wheels, metadata]


def scene_variant_markers(stage: Stage) -> None:
    """A dependency that depends on the variant installed (PEP 825 markers)."""
    command = ["-m", "pip", "install", "--dry-run", "--index-url", stage.index.index_url, "mlkit"]
    print("# stock pip: it cannot parse the metadata of the release")
    stage.show(command)
    cuda = {"NV_VARIANT_PROVIDER_FORCE_CUDA_DRIVER_VERSION": "12.8"}
    print("# a CUDA 12.8 driver (forced here: this machine has no GPU)")
    stage.show(command, wheelnext="1", env=cuda)
    print("# no GPU")
    stage.show(command, wheelnext="1")


def scene_explicit_target(stage: Stage) -> None:
    """Installing for another machine: the target's baseline, never this machine's hardware."""
    target = ["--target", "/tmp/for-aarch64", "--only-binary=:all:"]
    command = ["-m", "pip", "install", "--dry-run", "--index-url", stage.index.index_url]
    cuda = {"NV_VARIANT_PROVIDER_FORCE_CUDA_DRIVER_VERSION": "12.8"}
    print("# an Armv8-A baseline: neither the x86-64-v3 build nor a GPU build (the forced")
    print("# driver version stands for this machine's GPU)")
    stage.show(
        [*command, *target, "--platform", "manylinux_2_28_aarch64", "gpukit"],
        wheelnext="1",
        env=cuda,
        stdout_filter=keep_decision_lines,
    )
    print("# the real target, described in a properties file: a CUDA 12.8 node")
    machine = stage.workdir / "gpu-node.toml"
    machine.write_text(
        '[nvidia]\ncuda_version_lower_bound = ["12.8", "12.0", "12"]\nsm_arch = ["90_real"]\n'
    )
    stage.show(
        [*command, *target, "--platform", "manylinux_2_28_aarch64", "gpukit"],
        wheelnext="1",
        env={"WHEELNEXT_PIP_VARIANT_PROPERTIES_FILE": str(machine)},
        stdout_filter=keep_decision_lines,
    )


#: Shows the lock's file names and the start of its inlined metadata (``grep`` stands for it).
_LOCK_SUMMARY = (
    "import re, sys\n"
    "for line in open(sys.argv[1]):\n"
    "    if re.match(r'name = |\\[packages\\.variants-json', line): print(line.rstrip())"
)


def scene_variant_lock(stage: Stage) -> None:
    """A lock made on one machine installs, on another, the variant that fits there."""
    pylock = stage.workdir / "pylock.toml"
    dists = stage.workdir / "index" / "dists"
    print("# machine A, a CUDA 13 driver (forced here: this machine has no GPU), locks gpukit")
    print("# from a folder of wheels (no hashes there: each variant wheel is hashed)")
    locking = ["-m", "pip", "lock", "-o", str(pylock), "--no-index", "--find-links", str(dists)]
    stage.show(
        [*locking, "gpukit"],
        wheelnext="1",
        env={"NV_VARIANT_PROVIDER_FORCE_CUDA_DRIVER_VERSION": "13.0"},
        stdout_filter=keep_decision_lines,
    )
    stage.show(
        ["-c", _LOCK_SUMMARY, str(pylock)],
        display=["grep", "-E", r"^(name = |\[packages\.variants-json)", str(pylock)],
    )
    print("# machine B, a CUDA 12.8 driver; the index named does not exist (.invalid):")
    print("# the lock alone decides")
    command = ["-m", "pip", "install", "--dry-run", "--index-url", "http://index.invalid/simple/"]
    stage.show(
        [*command, "-r", str(pylock)],
        wheelnext="1",
        env={"NV_VARIANT_PROVIDER_FORCE_CUDA_DRIVER_VERSION": "12.8"},
        stdout_filter=keep_decision_lines,
    )
    print("# stock pip cannot read the variant file names of the lock")
    stage.show([*command, "-r", str(pylock)], stdout_filter=keep_decision_lines)


def abi_dists(dists: Path) -> list[Path]:
    """visionkit 1.0: builds against torchlike 2.8 and 2.9 (PEP 850 ``abi_dependency``),
    and null; torchlike 2.8.0 and 2.9.0."""
    labels: dict[str, dict[str, object]] = {
        "tl28": {"abi_dependency": {"torchlike": ["2.8"]}},
        "tl29": {"abi_dependency": {"torchlike": ["2.9"]}},
        "null": {},
    }

    def document(variants: dict[str, dict[str, object]]) -> str:
        return json.dumps(
            {
                "$schema": "https://variants-schema.wheelnext.dev/peps/850/v0.2.0.json",
                "default-priorities": {"namespace": ["abi_dependency"]},
                "providers": {"abi_dependency": {"builtin": "abi_dependency"}},
                "variants": variants,
            }
        )

    wheels = [make_wheel(dists, "torchlike", version) for version in ("2.8.0", "2.9.0")]
    for label, properties in labels.items():
        wheels.append(
            make_wheel(
                dists,
                "visionkit",
                "1.0",
                filename=f"visionkit-1.0-py3-none-any-{label}.whl",
                extra_dist_info={"variant.json": document({label: properties})},
            )
        )
    metadata = dists / "visionkit-1.0-variants.json"
    metadata.write_text(document(labels))
    return [*wheels, metadata]


def scene_abi_dependency(stage: Stage) -> None:
    """A build chosen by the version of the distribution it was built against."""
    command = ["-m", "pip", "install", "--dry-run", "--index-url", stage.index.index_url]
    print("# a CI image that will run torchlike 2.8")
    stage.show(
        [*command, "visionkit"],
        wheelnext="1",
        env={"VARIANT_ABI_DEPENDENCY": "torchlike==2.8.0"},
        stdout_filter=keep_decision_lines,
    )
    print("# the same command installs torchlike 2.9.0")
    stage.show(
        [*command, "visionkit", "torchlike==2.9.0"],
        wheelnext="1",
        stdout_filter=keep_decision_lines,
    )
    print("# torchlike unpinned and not installed: pip has not chosen its version yet")
    stage.show(
        [*command, "visionkit", "torchlike"], wheelnext="1", stdout_filter=keep_decision_lines
    )


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


def scene_piptools(stage: Stage) -> None:
    """pip-compile with the variable unset and set (the sibling ``demo_piptools.py``, which
    makes its own venv with pip-tools and two indexes)."""
    import importlib.util

    path = Path(__file__).with_name("demo_piptools.py")
    spec = importlib.util.spec_from_file_location("demo_piptools", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        module.main([])
    # The versions line is for someone running the script by hand.
    print(
        "\n".join(
            line for line in buffer.getvalue().splitlines() if not line.startswith("# pip ")
        ).strip()
    )


SCENES: dict[str, Callable[[Stage], None]] = {
    "piptools": scene_piptools,
    "variant-markers": scene_variant_markers,
    "explicit-target": scene_explicit_target,
    "variant-lock": scene_variant_lock,
    "abi-dependency": scene_abi_dependency,
    "doctor": scene_doctor,
    "stock-vs-on": scene_stock_vs_on,
    "variants": scene_variants,
    "default-extras": scene_default_extras,
    "symlinks": scene_symlinks,
    "index-groups": scene_index_groups,
    "build-isolation": scene_build_isolation,
    "settings": scene_settings,
    "help": scene_help,
    "properties-file": scene_properties_file,
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
    *marker_wheels, marker_metadata = marker_dists(dists)
    wheels += marker_wheels
    *abi_wheels, abi_metadata = abi_dists(dists)
    wheels += abi_wheels
    extra = {"gpukit": [variant_metadata], "mlkit": [marker_metadata], "visionkit": [abi_metadata]}
    return write_simple_index(root / "www", wheels, extra_files=extra).parent


# -- README blocks ----------------------------------------------------------------------

#: The pip release the README's generated blocks show.
README_PIP = "26.3"
README = REPO / "README.md"
MARKER = re.compile(r"^<!-- demo:([a-z0-9-]+) -->$")
FENCE = "```"


@dataclass
class Block:
    """A fenced block of the README: its first and last line numbers (0-based, the fences)."""

    start: int
    end: int
    language: str
    scene: str | None  # from the marker line right above, if any

    def body(self, lines: list[str]) -> list[str]:
        return lines[self.start + 1 : self.end]


def readme_blocks(lines: list[str]) -> list[Block]:
    blocks = []
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.startswith(FENCE):
            end = index + 1
            while end < len(lines) and lines[end].rstrip() != FENCE:
                end += 1
            if end == len(lines):
                raise SystemExit(f"README.md:{index + 1}: a fence that is never closed")
            marker = MARKER.match(lines[index - 1].strip()) if index else None
            language = line[len(FENCE) :].strip()
            blocks.append(Block(index, end, language, marker.group(1) if marker else None))
            index = end
        index += 1
    return blocks


def shows_output(block: Block, lines: list[str]) -> bool:
    """A console block with a line that is neither a command, a comment nor empty."""
    if block.language != "console":
        return False
    return any(line.strip() and not line.startswith(("$ ", "#")) for line in block.body(lines))


def stable_text(text: str, workdir: Path) -> str:
    """What a scene printed, made the same on every run: the local index's ports numbered
    from 8000 in order of appearance, temporary folders shortened."""
    text = text.replace(str(workdir), "/tmp/wheelnext-demo")
    text = re.sub(r"/tmp/(pip-[a-z-]+?)-[a-z0-9_]{8}\b", r"/tmp/\1-XXXXXXXX", text)
    ports: dict[str, str] = {}

    def number(match: re.Match[str]) -> str:
        port = ports.setdefault(match.group(1), str(8000 + len(ports)))
        return f"127.0.0.1:{port}"

    text = re.sub(r"127\.0\.0\.1:(\d+)", number, text)
    return "\n".join(line.rstrip() for line in text.strip("\n").splitlines())


#: What may differ between the README and a fresh run: (pattern, replacement).
_VOLATILE = [
    (r"\bpython3\.\d+\b", "python3.X"),
    (r"(\n  python +)\d+\.\d+\.\d+\S*", r"\1X.Y.Z"),
    (r"(\n  pip +)\S+", r"\1X"),
    (r"(wheelnext[-_]pip[- ])\d+(\.\d+)+([a-z]+\d*)?(\.dev\d+)?\b", r"\1X"),
    (r"(x86_64: level = )[^\[]*(\[detected\])", r"\1... \2"),
    (r"(instead of detected: level = )[^)]*", r"\1..."),
]


def comparable(text: str) -> str:
    for pattern, replacement in _VOLATILE:
        text = re.sub(pattern, replacement, text, flags=re.MULTILINE)
    return text


def run_scenes_captured(stage: Stage, names: Sequence[str]) -> dict[str, str]:
    outputs = {}
    for name in names:
        print(f"running scene {name} ...", file=sys.stderr, flush=True)
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            SCENES[name](stage)
        outputs[name] = stable_text(buffer.getvalue(), stage.workdir)
    return outputs


def readme_problems(lines: list[str]) -> tuple[list[Block], list[str]]:
    """The marked blocks, and the output blocks without a marker or with an unknown scene."""
    marked = []
    problems = []
    seen: set[str] = set()
    for block in readme_blocks(lines):
        if block.scene is None:
            if shows_output(block, lines):
                problems.append(
                    f"README.md:{block.start + 1}: a console block shows output but has no "
                    "`<!-- demo:SCENE -->` marker: make a scene print it"
                )
            continue
        if block.scene not in SCENES:
            problems.append(f"README.md:{block.start + 1}: unknown scene {block.scene!r}")
        elif block.scene in seen:
            problems.append(f"README.md:{block.start + 1}: scene {block.scene!r} is shown twice")
        else:
            seen.add(block.scene)
            marked.append(block)
    return marked, problems


def sync_readme(stage: Stage, readme: Path, *, update: bool) -> int:
    lines = readme.read_text().splitlines()
    marked, problems = readme_problems(lines)
    outputs = run_scenes_captured(stage, [block.scene for block in marked if block.scene])
    stale = []
    for block in reversed(marked):  # from the end, so earlier line numbers stay valid
        assert block.scene is not None
        fresh = outputs[block.scene].splitlines()
        if comparable("\n".join(block.body(lines))) != comparable("\n".join(fresh)):
            stale.append(block.scene)
            if not update:
                diff = difflib.unified_diff(
                    block.body(lines),
                    fresh,
                    f"README.md (demo:{block.scene})",
                    f"scripts/demo.py --scene {block.scene}",
                    lineterm="",
                )
                print("\n".join(diff))
        if update:
            lines[block.start + 1 : block.end] = fresh
    if update:
        readme.write_text("\n".join(lines) + "\n")
        print(f"{readme}: {len(marked)} generated blocks, {len(stale)} rewritten")
    for problem in problems:
        print(problem)
    if not update and stale:
        print(
            f"stale README blocks: {', '.join(reversed(stale))} "
            "(run: python3 scripts/demo.py --update-readme)"
        )
    return 1 if problems or (stale and not update) else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--pip",
        help="pip release for the demo environment (default: this Python's; "
        f"{README_PIP} with --update-readme/--check-readme)",
    )
    parser.add_argument(
        "--scene", action="append", choices=sorted(SCENES), help="run only these scenes"
    )
    parser.add_argument("--keep", type=Path, help="build everything in this folder and keep it")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--update-readme", action="store_true", help="rewrite the README's generated blocks"
    )
    mode.add_argument(
        "--check-readme",
        action="store_true",
        help="exit 1 (with a diff) when a generated README block is stale",
    )
    parser.add_argument("--readme", type=Path, default=README, help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    readme_mode = options.update_readme or options.check_readme
    pip_version = options.pip or (README_PIP if readme_mode else metadata.version("pip"))
    if readme_mode and options.scene:
        parser.error("--scene cannot be combined with the README modes")

    with tempfile.TemporaryDirectory(prefix="wheelnext-demo-") as temporary:
        workdir = (options.keep or Path(temporary)).resolve()
        workdir.mkdir(parents=True, exist_ok=True)
        note = sys.stderr if readme_mode else sys.stdout
        print(
            f"building wheelnext-pip and a venv with pip {pip_version} in {workdir} ...", file=note
        )
        wheelhouse = pipenv.fill_wheelhouse(workdir / "wheelhouse")
        wheel = pipenv.build_project_wheel(workdir / "dist")
        env = pipenv.create_env(
            workdir / "venv", sys.executable, pip_version, plugin_wheel=wheel, wheelhouse=wheelhouse
        )
        with IndexServer(build_index(workdir / "index")) as index:
            stage = Stage(env, index, workdir)
            if readme_mode:
                return sync_readme(stage, options.readme, update=options.update_readme)
            print(f"serving a generated index at {index.index_url}\n")
            for name in options.scene or SCENES:
                scene = SCENES[name]
                print(f"=== {name}: {(scene.__doc__ or '').strip()}\n")
                scene(stage)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Command line: ``doctor``, ``explain``, ``relink``, and pip commands run with wheelnext-pip on.

python -m wheelnext_pip doctor [--json] [--isolated]
python -m wheelnext_pip explain PROJECT [pip options]
python -m wheelnext_pip install ...      (also: download, wheel)
wheelnext-pip install ...
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from typing import Any

from wheelnext_pip import __version__

PIP_COMMANDS = ("install", "download", "wheel")


def run_pip(command: str, arguments: list[str]) -> int:
    """Run one of pip's own commands in this process with the patches applied."""
    os.environ.setdefault("WHEELNEXT_PIP", "all")
    from wheelnext_pip._activate import activate

    activate()
    from pip._internal.cli.main import main as pip_main

    return int(pip_main([command, *arguments]))


def _explain(arguments: list[str]) -> int:
    if not arguments or arguments[0].startswith("-"):
        sys.stderr.write(
            "usage: wheelnext-pip explain PROJECT [pip install options]"
            " (wheelnext-pip explain --help tells more)\n"
        )
        return 2
    os.environ.setdefault("WHEELNEXT_PIP", "all")
    from wheelnext_pip._activate import activate

    activate()
    import pip._internal.cli.base_command  # noqa: F401 - applies the command-layer hooks

    from wheelnext_pip._pip import explain

    return explain.explain(arguments[0], arguments[1:])


def _doctor(arguments: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m wheelnext_pip doctor",
        description="Show how wheelnext-pip runs here; exit 0 when all that is asked for works.",
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument(
        "--isolated", action="store_true", help="read pip's config files as `pip --isolated` does"
    )
    options = parser.parse_args(arguments)
    from wheelnext_pip import _doctor

    report = _doctor.collect(isolated=options.isolated)
    if options.json:
        print(json.dumps(report, indent=2, sort_keys=False))
    else:
        print(_doctor.render(report))
    return 0 if report["ok"] else 1


USAGE = f"""\
wheelnext-pip {__version__}: WheelNext features for the pip you already have.

Install wheelnext-pip beside pip and set WHEELNEXT_PIP=1: plain `pip` then installs the
variant wheel that fits the machine (PEP 825/850), default extras (PEP 771), ranked index
groups (PEP 766), symlinks in wheels (PEP 778) and per-package build isolation. Unset the
variable and pip is stock pip again. This command is for the rest:

  doctor      how wheelnext-pip runs here: pip, hooks, settings, detected hardware
  explain     why pip would pick what it picks for one project
  install, download, wheel
              pip's own command with every feature on, even without the start-up hook
  relink      turn duplicated shared libraries in a wheel into PEP 778 links

usage (both forms are the same program):
  wheelnext-pip COMMAND [options]          python -m wheelnext_pip COMMAND [options]
  wheelnext-pip COMMAND --help             python -m wheelnext_pip COMMAND --help
  wheelnext-pip --version

It is not on PyPI yet; install it from its source:
  pip install /path/to/wheelnext-pip                    (a clone)
  pip install "wheelnext-pip @ git+https://HOST/OWNER/wheelnext-pip.git"
  pip install wheelnext_pip-{__version__}-py3-none-any.whl   (a wheel built from a clone)
Once published: pip install wheelnext-pip

example:
  WHEELNEXT_PIP=1 wheelnext-pip doctor
"""

_PIP_COMMAND_HELP = """\
wheelnext-pip {command}: pip's own `pip {command}`, run in this process with every
WheelNext feature on (WHEELNEXT_PIP=all unless the variable names a selection). Use it
where the start-up hook cannot run (frozen or locked-down environments); the options are
pip's, listed below.

usage:
  wheelnext-pip {command} [pip {command} options]
  python -m wheelnext_pip {command} [pip {command} options]
"""

_PIP_COMMAND_EXAMPLE = {
    "install": "wheelnext-pip install --dry-run 'plotkit[]'",
    "download": "wheelnext-pip download -d wheels/ torch",
    "wheel": "wheelnext-pip wheel -w wheels/ ./my-ext",
}

HELP = {
    "doctor": """\
wheelnext-pip doctor: how wheelnext-pip runs in this interpreter. It shows Python and pip
(and whether that pip is in the supported range), how activation happens (start-up files,
the WHEELNEXT_PIP variable), every hook point of every patch set and whether it applied,
each feature, the effective settings and where each came from, the index groups, the
build-isolation modes, and each variant provider's answer on this machine (detected,
forced by an override variable, or replaced by your variant-properties-file). Exit status
0 only when everything asked for works: use it as a gate in CI.

usage:
  wheelnext-pip doctor [--json] [--isolated]
  python -m wheelnext_pip doctor [--json] [--isolated]

options:
  --json      the report as JSON
  --isolated  read pip's configuration as `pip --isolated` does

example:
  WHEELNEXT_PIP=1 wheelnext-pip doctor || exit 1
""",
    "explain": """\
wheelnext-pip explain: why pip would pick what it picks for one project. It builds pip's
own finder from the pip install options given and asks it for PROJECT with every feature
on. First line: the winner, or "not found" (no index or find-links location has a file of
it) or "nothing fits" (files exist, with pip's reason for each). Then the index groups
asked, what each answered and which were never asked; the releases, newest first (the
five newest unless --all); the variant wheels of each in preference order, with why the
others do not fit; and the default extras a bare requirement of the winner adds.

usage:
  wheelnext-pip explain PROJECT [--all] [pip install options]
  python -m wheelnext_pip explain PROJECT [--all] [pip install options]

example:
  WHEELNEXT_PIP=1 wheelnext-pip explain torch --index-url https://download.pytorch.org/whl/cu128
""",
    "relink": """\
wheelnext-pip relink: turn byte-identical shared-library aliases in a wheel (libfoo.so,
libfoo.so.1, libfoo.so.1.2.3) into PEP 778 links: it writes a Wheel-Version 2.0 wheel
with .dist-info/LINKS, which pip installs with WHEELNEXT_PIP=1 (or symlinks). --check
validates the links of wheels without changing them.

usage:
  wheelnext-pip relink WHEEL [WHEEL ...] -o OUTDIR
  wheelnext-pip relink --check WHEEL [WHEEL ...]
  python -m wheelnext_pip relink WHEEL [WHEEL ...] -o OUTDIR

example:
  wheelnext-pip relink dist/mylib-1.0-cp312-cp312-manylinux_2_28_x86_64.whl -o relinked/
""",
}
HELP_FLAGS = ("-h", "--help")


def _pip_command_help(command: str) -> int:
    print(_PIP_COMMAND_HELP.format(command=command), flush=True)
    from pip._internal.cli.main import main as pip_main

    # optparse's --help exits; the example still follows.
    with contextlib.suppress(SystemExit):
        pip_main([command, "--help"])
    sys.stdout.flush()
    print(f"\nexample:\n  {_PIP_COMMAND_EXAMPLE[command]}")
    return 0


def command_help(command: str) -> int:
    """Print the help of a subcommand: what it does, both forms, one example."""
    if command in PIP_COMMANDS:
        return _pip_command_help(command)
    print(HELP[command], end="")
    return 0


def main(argv: list[str] | None = None) -> int:
    arguments: list[Any] = list(sys.argv[1:] if argv is None else argv)
    if not arguments or arguments[0] in ("-h", "--help") or arguments == ["help"]:
        print(USAGE, end="")
        return 0 if arguments else 2
    if arguments[0] == "--version":
        print(f"wheelnext-pip {__version__}")
        return 0
    command, rest = arguments[0], arguments[1:]
    if rest[:1] and rest[0] in HELP_FLAGS and (command in HELP or command in PIP_COMMANDS):
        return command_help(command)
    if command == "help" and rest[:1] and (rest[0] in HELP or rest[0] in PIP_COMMANDS):
        return command_help(rest[0])
    if command == "doctor":
        return _doctor(rest)
    if command == "explain":
        return _explain(rest)
    if command in PIP_COMMANDS:
        return run_pip(command, rest)
    if command == "relink":
        from wheelnext_pip import relink

        return relink.main(rest)
    from wheelnext_pip._features import did_you_mean

    hint = did_you_mean(command, [*HELP, *PIP_COMMANDS])
    sys.stderr.write(f"wheelnext-pip: unknown command {command!r}{hint}\n\n{USAGE}")
    return 2


if __name__ == "__main__":
    sys.exit(main())

"""Command line: ``doctor``, and pip commands run with wheelnext-pip on.

python -m wheelnext_pip doctor [--json]
python -m wheelnext_pip explain PROJECT [pip options]
python -m wheelnext_pip install ...      (also: download, wheel)
wheelnext-pip install ...
"""

from __future__ import annotations

import argparse
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
        sys.stderr.write("usage: python -m wheelnext_pip explain PROJECT [pip install options]\n")
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

usage:
  python -m wheelnext_pip doctor [--json] [--isolated]
  python -m wheelnext_pip explain PROJECT [pip install options ...]
  python -m wheelnext_pip install|download|wheel [pip options ...]
  python -m wheelnext_pip relink IN.whl -o OUTDIR | relink --check WHEEL ...

Most users never call this: install wheelnext-pip beside pip and `export WHEELNEXT_PIP=1`
make plain `pip` WheelNext-aware. It is not on PyPI yet; install it from its source:
  pip install /path/to/wheelnext-pip                    (a clone)
  pip install "wheelnext-pip @ git+https://HOST/OWNER/wheelnext-pip.git"
  pip install wheelnext_pip-{__version__}-py3-none-any.whl   (a wheel built from a clone)
Once published: pip install wheelnext-pip
"""


def main(argv: list[str] | None = None) -> int:
    arguments: list[Any] = list(sys.argv[1:] if argv is None else argv)
    if not arguments or arguments[0] in ("-h", "--help", "help"):
        print(USAGE, end="")
        return 0 if arguments else 2
    if arguments[0] == "--version":
        print(f"wheelnext-pip {__version__}")
        return 0
    command, rest = arguments[0], arguments[1:]
    if command == "doctor":
        return _doctor(rest)
    if command == "explain":
        return _explain(rest)
    if command in PIP_COMMANDS:
        return run_pip(command, rest)
    if command == "relink":
        from wheelnext_pip import relink

        return relink.main(rest)
    sys.stderr.write(f"wheelnext-pip: unknown command {command!r}\n\n{USAGE}")
    return 2


if __name__ == "__main__":
    sys.exit(main())

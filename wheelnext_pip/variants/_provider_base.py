"""What the built-in providers share: the shape of an answer, the CPU machine names, and the
two CPU boundaries (``/proc/cpuinfo`` and macOS ``sysctl``) that several providers read.

Private: :mod:`wheelnext_pip.variants.detect` is the public door to the providers.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from wheelnext_pip.variants.properties import NamespaceProperties

#: Path of a file in Linux ``/proc/cpuinfo`` format that the CPU providers read instead of this
#: machine's CPU description (on any OS): fakes the CPU at the lowest layer, for CI and tests.
FORCE_CPUINFO = "VARIANT_PROVIDER_FORCE_CPUINFO"
X86_64_MACHINES = frozenset({"x86_64", "amd64", "x64"})
AARCH64_MACHINES = frozenset({"aarch64", "arm64"})


@dataclass(frozen=True)
class Detection:
    """What a built-in provider found: properties (``None`` = unsupported) and notes to log."""

    properties: NamespaceProperties | None
    notes: tuple[str, ...] = ()


# -- the boundary to this machine (I/O) --------------------------------------------------------


def cpuinfo_path(environ: Mapping[str, str] | None = None) -> str:
    """``/proc/cpuinfo``, or the file that :data:`FORCE_CPUINFO` names."""
    environ = os.environ if environ is None else environ
    return environ.get(FORCE_CPUINFO) or "/proc/cpuinfo"


def read_cpuinfo(environ: Mapping[str, str] | None = None) -> str | None:
    """The text of :func:`cpuinfo_path`; ``None`` if unreadable."""
    try:
        return Path(cpuinfo_path(environ)).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def sysctl(*names: str) -> str | None:
    """The output of macOS ``sysctl -n NAMES``; ``None`` when it cannot run or fails."""
    import subprocess

    try:
        completed = subprocess.run(
            ["sysctl", "-n", *names], capture_output=True, text=True, timeout=5, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return completed.stdout if completed.returncode == 0 else None

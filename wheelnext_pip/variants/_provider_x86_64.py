"""The built-in ``x86_64`` provider as uv vendors it (``x86-64-variant-provider``): the
x86-64 micro-architecture level (``v1`` to ``v4``) that the CPU flags reach.

The algorithm (:func:`x86_64_level`, :func:`x86_64_properties`) is pure; the readers of
``/proc/cpuinfo`` and macOS ``sysctl`` below, and :func:`detect_x86_64` that feeds them to it,
are the boundary to the real machine.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from wheelnext_pip.variants._provider_base import (
    FORCE_CPUINFO,
    X86_64_MACHINES,
    Detection,
    cpuinfo_path,
    sysctl,
)
from wheelnext_pip.variants.properties import NamespaceProperties

_X86_64_LEVEL_FLAGS = (
    (2, frozenset({"cx16", "lahf_lm", "popcnt", "sse3", "ssse3", "sse4_1", "sse4_2"})),
    (3, frozenset({"avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "lzcnt", "movbe"})),
    (4, frozenset({"avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"})),
)
# Linux /proc/cpuinfo and macOS sysctl spell some flags differently from the level lists.
_FLAG_ALIASES = {
    "pni": "sse3",
    "abm": "lzcnt",
    "lahf": "lahf_lm",
    "sse4.1": "sse4_1",
    "sse4.2": "sse4_2",
    "avx1.0": "avx",
    "avx2.0": "avx2",
}
#: Level assumed when the CPU flags cannot be read.
_X86_64_UNKNOWN_LEVEL = 2


def normalize_cpu_flags(flags: Iterable[str]) -> frozenset[str]:
    """Lower-case the flags and map the Linux/macOS aliases to the level-list names."""
    normalized = set()
    for flag in flags:
        lowered = flag.lower()
        normalized.add(_FLAG_ALIASES.get(lowered, lowered))
    return frozenset(normalized)


def x86_64_level(flags: Iterable[str]) -> int:
    """The x86-64 micro-architecture level (1 to 4) that the flags reach; levels are cumulative."""
    available = normalize_cpu_flags(flags)
    level = 1
    for candidate, required in _X86_64_LEVEL_FLAGS:
        if not required <= available:
            break
        level = candidate
    return level


def x86_64_properties(machine: str, level: int | None) -> NamespaceProperties:
    """``level = [vN … v1]`` on x86_64 (``None`` = unknown CPU -> v2); no features elsewhere."""
    if machine.lower() not in X86_64_MACHINES:
        return NamespaceProperties("x86_64")
    top = _X86_64_UNKNOWN_LEVEL if level is None else level
    return NamespaceProperties.of("x86_64", [("level", [f"v{n}" for n in range(top, 0, -1)])])


# -- the boundary to this machine (I/O) --------------------------------------------------------


def read_linux_cpu_flags(cpuinfo: str | Path | None = None) -> frozenset[str] | None:
    """The ``flags`` of the first processor in ``/proc/cpuinfo`` (or the file that
    :data:`FORCE_CPUINFO` names); ``None`` if unreadable."""
    cpuinfo = cpuinfo_path() if cpuinfo is None else cpuinfo
    try:
        with open(cpuinfo, encoding="utf-8", errors="replace") as stream:
            for line in stream:
                key, sep, value = line.partition(":")
                if sep and key.strip() == "flags":
                    return frozenset(value.split())
    except OSError:
        return None
    return None


def read_macos_cpu_features() -> frozenset[str] | None:
    """macOS ``machdep.cpu.features`` and ``leaf7_features``; ``None`` if unavailable."""
    text = sysctl("machdep.cpu.features", "machdep.cpu.leaf7_features")
    return None if text is None else frozenset(text.split())


def detect_x86_64(machine: str | None = None, system: str | None = None) -> Detection:
    """The ``x86_64`` namespace of this machine (arguments default to the running one)."""
    import platform

    machine = machine if machine is not None else platform.machine()
    system = system if system is not None else platform.system()
    if machine.lower() not in X86_64_MACHINES:
        return Detection(x86_64_properties(machine, None), (f"x86_64: machine is {machine}",))
    flags: frozenset[str] | None = None
    if system == "Linux" or os.environ.get(FORCE_CPUINFO):
        flags = read_linux_cpu_flags()
    elif system == "Darwin":
        flags = read_macos_cpu_features()
    level = x86_64_level(flags) if flags is not None else None
    notes = () if flags is not None else ("x86_64: CPU flags unknown here, assuming v2",)
    return Detection(x86_64_properties(machine, level), notes)

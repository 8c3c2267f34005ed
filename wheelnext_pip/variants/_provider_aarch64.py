"""The built-in ``aarch64`` provider as uv vendors it (``aarch64-variant-provider``): the
Arm architecture version (``8a`` to ``8.4a``) that every core implements.

The algorithm (:func:`aarch64_version_from_cpuinfo` and friends) is pure; :func:`detect_aarch64`
below reads ``/proc/cpuinfo`` or macOS ``sysctl``, the boundary to the real machine.
"""

from __future__ import annotations

import os
import re

from wheelnext_pip.variants._provider_base import (
    AARCH64_MACHINES,
    FORCE_CPUINFO,
    Detection,
    read_cpuinfo,
    sysctl,
)
from wheelnext_pip.variants.properties import NamespaceProperties

#: Versions in increasing order; 8.4a is the highest the provider reports.
AARCH64_VERSIONS = ("8a", "8.1a", "8.2a", "8.3a", "8.4a")
_AARCH64_STEP_FEATURES = {
    "8.1a": frozenset({"fp", "asimd", "crc32", "atomics", "asimdrdm"}),
    "8.2a": frozenset({"dcpop"}),
    "8.3a": frozenset({"jscvt", "fcma", "lrcpc", "paca", "pacg"}),
    "8.4a": frozenset(
        {"fphp", "asimdhp", "asimddp", "asimdfhm", "dit", "uscat", "ilrcpc", "flagm"}
    ),
}
# (implementer, part) -> highest version the core implements.
_AARCH64_CORE_CEILINGS = {
    (0x41, 0xD0C): "8.2a",
    (0x41, 0xD40): "8.4a",
    (0x41, 0xD49): "8.4a",
    (0x41, 0xD4F): "8.4a",
    (0x41, 0xD83): "8.4a",
    (0x6D, 0xD49): "8.4a",
    (0x42, 0x516): "8.1a",
    (0x43, 0x0AF): "8.1a",
    (0x46, 0x001): "8.2a",
    (0xC0, 0xAC3): "8.4a",
    (0xC0, 0xAC4): "8.4a",
}
_APPLE_M_BRAND = re.compile(r"^Apple M[1-5]\b")


def aarch64_ceiling(implementer: int, part: int) -> str:
    """Highest version a core implements; unknown cores (Apple parts included) -> 8a."""
    return _AARCH64_CORE_CEILINGS.get((implementer, part), "8a")


def aarch64_version_from_cpuinfo(text: str) -> str:
    """Version from Linux ``/proc/cpuinfo``: the lowest core ceiling, then stepped up from
    8a only while the ``Features`` common to all cores include each step's features."""
    ceilings: list[str] = []
    features: frozenset[str] | None = None
    implementer: int | None = None
    for line in [*text.splitlines(), ""]:
        key, sep, value = (part.strip() for part in line.partition(":"))
        if key == "CPU implementer" and sep:
            implementer = _int_or_none(value)
        elif key == "CPU part" and sep:
            part = _int_or_none(value)
            if implementer is not None and part is not None:
                ceilings.append(aarch64_ceiling(implementer, part))
            else:
                ceilings.append("8a")
            implementer = None
        elif key == "Features" and sep:
            core_features = frozenset(value.split())
            features = core_features if features is None else features & core_features
    if not ceilings:
        return "8a"
    ceiling = min(ceilings, key=AARCH64_VERSIONS.index)
    version = "8a"
    for step in AARCH64_VERSIONS[1 : AARCH64_VERSIONS.index(ceiling) + 1]:
        if features is None or not _AARCH64_STEP_FEATURES[step] <= features:
            break
        version = step
    return version


def _int_or_none(text: str) -> int | None:
    try:
        return int(text, 0)
    except ValueError:
        return None


def aarch64_version_from_macos_brand(brand: str) -> str:
    """``Apple M1`` … ``Apple M5`` -> 8.4a; anything else -> 8a."""
    return "8.4a" if _APPLE_M_BRAND.match(brand.strip()) else "8a"


def aarch64_properties(machine: str, version: str) -> NamespaceProperties:
    """``version = [detected … 8a]`` on aarch64; no features elsewhere."""
    if machine.lower() not in AARCH64_MACHINES:
        return NamespaceProperties("aarch64")
    top = AARCH64_VERSIONS.index(version)
    return NamespaceProperties.of("aarch64", [("version", AARCH64_VERSIONS[top::-1])])


# -- the boundary to this machine (I/O) --------------------------------------------------------


def detect_aarch64(machine: str | None = None, system: str | None = None) -> Detection:
    """The ``aarch64`` namespace of this machine (arguments default to the running one)."""
    import platform

    machine = machine if machine is not None else platform.machine()
    system = system if system is not None else platform.system()
    if machine.lower() not in AARCH64_MACHINES:
        return Detection(aarch64_properties(machine, "8a"), (f"aarch64: machine is {machine}",))
    version = "8a"
    if system == "Linux" or os.environ.get(FORCE_CPUINFO):
        text = read_cpuinfo()
        if text is not None:
            version = aarch64_version_from_cpuinfo(text)
    elif system == "Darwin":
        version = aarch64_version_from_macos_brand(sysctl("machdep.cpu.brand_string") or "")
    return Detection(aarch64_properties(machine, version))

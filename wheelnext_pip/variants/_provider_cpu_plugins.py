"""Stand-ins for the CPU provider plugins that published metadata names
(``provider-variant-x86-64``, ``provider-variant-aarch64``): what they answer on this machine,
without installing or running them.

The plugins ask ``archspec`` for the host micro-architecture; the table and its matching rules
are the pure :mod:`wheelnext_pip.variants.microarch`. This module is the boundary that
describes this machine's CPU to it (``/proc/cpuinfo``, macOS ``sysctl``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from wheelnext_pip.variants import microarch
from wheelnext_pip.variants._provider_base import (
    AARCH64_MACHINES,
    FORCE_CPUINFO,
    X86_64_MACHINES,
    Detection,
    read_cpuinfo,
    sysctl,
)
from wheelnext_pip.variants.properties import NamespaceProperties


def read_cpu_description(
    family: str, *, system: str | None = None, environ: Mapping[str, str] | None = None
) -> microarch.CpuDescription | None:
    """This machine's CPU as the plugins' ``archspec`` reads it; ``None`` if unavailable.

    Linux (or any OS when :data:`FORCE_CPUINFO` is set): the first processor of
    ``/proc/cpuinfo``. macOS: ``sysctl`` (flags and vendor on x86-64, the model on Apple
    silicon). Windows: ``None`` (the plugins read CPUID there, which Python cannot).
    """
    import platform

    environ = os.environ if environ is None else environ
    system = system if system is not None else platform.system()
    if system == "Linux" or environ.get(FORCE_CPUINFO):
        text = read_cpuinfo(environ)
        if text is None:
            return None
        return microarch.parse_cpuinfo(text, family)
    if system == "Darwin":
        if family == "aarch64":
            brand = sysctl("machdep.cpu.brand_string")
            if brand is None:
                return None
            return microarch.CpuDescription("Apple", model=microarch.darwin_arm_model(brand))
        features = sysctl("machdep.cpu.features")
        leaf7 = sysctl("machdep.cpu.leaf7_features")
        vendor = sysctl("machdep.cpu.vendor")
        if features is None or vendor is None:
            return None
        return microarch.CpuDescription(
            vendor.strip(), microarch.darwin_x86_64_flags(features, leaf7 or "")
        )
    return None


def _cpu_family(machine: str, system: str) -> str | None:
    lowered = machine.lower()
    # archspec's check for an x86-64 interpreter on Apple silicon (Rosetta).
    rosetta = system == "Darwin" and lowered in X86_64_MACHINES
    if rosetta and "Apple" in (sysctl("machdep.cpu.brand_string") or ""):
        return "aarch64"
    if lowered in X86_64_MACHINES:
        return "x86_64"
    if lowered in AARCH64_MACHINES:
        return "aarch64"
    return None


def detect_cpu_plugin(
    namespace: str,
    *,
    machine: str | None = None,
    system: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> Detection:
    """What ``provider-variant-x86-64`` (``x86_64``) or ``provider-variant-aarch64``
    (``aarch64``) answers on this machine, without installing or running it.

    Windows x86-64 has no CPU description here: the baseline ``x86_64_v2`` host is assumed
    (the properties file or :data:`FORCE_CPUINFO` describe a better CPU).
    """
    import platform

    machine = machine if machine is not None else platform.machine()
    system = system if system is not None else platform.system()
    environ = os.environ if environ is None else environ
    family = _cpu_family(machine, system)
    if family != namespace:
        # The plugin asks archspec for the host and finds no level of its family: no answer.
        empty = NamespaceProperties(namespace)
        return Detection(empty, (f"{namespace}: machine is {machine}",))
    cpu = read_cpu_description(family, system=system, environ=environ)
    if cpu is None and family == "x86_64":
        host = microarch.microarchitectures("x86_64")["x86_64_v2"]
        note = f"{namespace}: CPU description unavailable here, assuming x86_64_v2"
        return Detection(microarch.x86_64_plugin_properties(host), (note,))
    darwin = system == "Darwin" and not environ.get(FORCE_CPUINFO)
    try:
        host = microarch.host_microarchitecture(
            family, cpu or microarch.CpuDescription(), darwin=darwin
        )
    except LookupError as exc:
        return Detection(None, (f"{namespace}: {exc}",))
    properties = (
        microarch.x86_64_plugin_properties(host)
        if family == "x86_64"
        else microarch.aarch64_plugin_properties(host)
    )
    return Detection(properties, (f"{namespace}: micro-architecture {host.name}",))

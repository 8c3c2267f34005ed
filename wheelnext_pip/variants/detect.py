"""The built-in hardware providers, one door: which namespaces they answer (``nvidia``,
``x86_64``, ``aarch64``, ``tpu``), which override variables force them, and what they answer
for an explicit target platform.

Each provider lives in its own private module, its pure algorithm apart from the functions
that read the machine (the way ``packaging`` keeps ``_manylinux``): :mod:`._provider_nvidia`,
:mod:`._provider_x86_64`, :mod:`._provider_aarch64`, :mod:`._provider_tpu` and the stand-ins
for the CPU provider plugins, :mod:`._provider_cpu_plugins`. This module reads nothing itself;
it dispatches. Missing hardware, drivers or libraries mean "nothing supported", never an error.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from wheelnext_pip.variants import microarch
from wheelnext_pip.variants._provider_aarch64 import aarch64_properties, detect_aarch64
from wheelnext_pip.variants._provider_base import (
    AARCH64_MACHINES,
    FORCE_CPUINFO,
    X86_64_MACHINES,
    Detection,
)
from wheelnext_pip.variants._provider_cpu_plugins import detect_cpu_plugin
from wheelnext_pip.variants._provider_nvidia import (
    FORCE_CUDA_DRIVER_VERSION,
    FORCE_SM_ARCH,
    NvmlReader,
    PynvmlReader,
    detect_nvidia,
    forced_variable_problem,
)
from wheelnext_pip.variants._provider_tpu import FORCE_TPU_PRESENT, detect_tpu
from wheelnext_pip.variants._provider_x86_64 import detect_x86_64, x86_64_properties
from wheelnext_pip.variants.properties import NamespaceProperties, SupportedFeature

__all__ = [
    "FORCE_CPUINFO",
    "FORCE_CUDA_DRIVER_VERSION",
    "FORCE_SM_ARCH",
    "FORCE_TPU_PRESENT",
    "STANDIN_PREFIX",
    "TARGET_AARCH64_VERSION",
    "TARGET_X86_64_LEVEL",
    "Detection",
    "NvmlReader",
    "detect_builtin",
    "forced_namespaces",
    "forced_variable_problem",
    "machine_of_platform_tag",
]

#: Prefix of the features that carry the plugin stand-ins' answer inside the combined answer
#: of a CPU namespace (see :func:`detect_builtin`).
STANDIN_PREFIX = "plugin__"


# -- dispatch ----------------------------------------------------------------------------------


def forced_namespaces(environ: Mapping[str, str]) -> frozenset[str]:
    """The built-in namespaces whose answer an override variable sets (or shapes) here."""
    forced = set()
    if FORCE_CUDA_DRIVER_VERSION in environ or FORCE_SM_ARCH in environ:
        forced.add("nvidia")
    if FORCE_TPU_PRESENT in environ:
        forced.add("tpu")
    if environ.get(FORCE_CPUINFO):
        forced.update(("x86_64", "aarch64"))
    return frozenset(forced)


def _combined(uv_style: Detection, standin: Detection) -> Detection:
    """One answer for a CPU namespace that serves both built-ins: the uv-vendored provider's
    features as they are, then the plugin stand-in's under :data:`STANDIN_PREFIX`."""
    if uv_style.properties is None:
        return uv_style
    features = list(uv_style.properties.features)
    if standin.properties is not None:
        features += [
            SupportedFeature(STANDIN_PREFIX + feature.name, feature.values)
            for feature in standin.properties.features
        ]
    return Detection(
        NamespaceProperties(uv_style.properties.namespace, tuple(features)),
        tuple(dict.fromkeys((*uv_style.notes, *standin.notes))),
    )


#: With an explicit target (``--platform`` …) the host cannot be probed: the target is taken to
#: be the baseline the reference installer (uv) assumes, x86-64-v2 and Armv8-A, so both tools
#: pick the same wheel for the same target (PEP 825: installing for another system is a
#: matter of overriding which properties count as supported; a properties file does that).
TARGET_X86_64_LEVEL = 2
TARGET_AARCH64_VERSION = "8a"

#: Architecture suffixes of platform tags (PEP 425, PEP 600, PEP 656), longest first.
_TAG_MACHINES = ("x86_64", "aarch64", "amd64", "arm64", "i686", "armv7l", "ppc64le", "s390x")


def machine_of_platform_tag(tag: str) -> str:
    """The machine a platform tag is for: ``manylinux_2_28_aarch64`` -> ``aarch64``,
    ``win_amd64`` -> ``amd64``, ``macosx_11_0_arm64`` -> ``arm64``; the tag itself when it
    names no known architecture (``universal2``, ``any``: no CPU namespace fits it)."""
    text = tag.strip().lower().replace("-", "_").replace(".", "_")
    for machine in _TAG_MACHINES:
        if text == machine or text.endswith("_" + machine):
            return machine
    return text


def _standin_baseline(namespace: str, target_machine: str) -> NamespaceProperties:
    """What the plugin would answer on the baseline machine of an explicit target."""
    known_x86 = microarch.microarchitectures("x86_64")
    known_arm = microarch.microarchitectures("aarch64")
    machine = target_machine.lower()
    if namespace == "x86_64":
        host = known_x86.get(f"x86_64_v{TARGET_X86_64_LEVEL}", known_x86["x86_64"])
        return microarch.x86_64_plugin_properties(host if machine in X86_64_MACHINES else None)
    return microarch.aarch64_plugin_properties(
        known_arm["aarch64"] if machine in AARCH64_MACHINES else None
    )


def detect_builtin(
    namespace: str,
    *,
    environ: Mapping[str, str] | None = None,
    nvml: NvmlReader | None = None,
    target_machine: str | None = None,
    package: str | None = None,
) -> Detection:
    """Run the built-in provider of ``namespace`` on this machine, or for ``target_machine``.

    ``package`` names the provider package that the built-in stands in for. Two packages
    claim each CPU namespace: uv's vendored ``x86-64-variant-provider`` /
    ``aarch64-variant-provider`` and the ``provider-variant-x86-64`` /
    ``provider-variant-aarch64`` plugins that published metadata names. Without ``package``
    a CPU namespace gets both answers in one (see :func:`_combined`;
    :func:`wheelnext_pip.variants.providers.builtin_view` takes the right part).

    With a target, ``x86_64``/``aarch64`` report the architecture's baseline and ``nvidia``/
    ``tpu`` report unsupported (the ``variant-properties-file`` describes such targets).
    """
    environ = os.environ if environ is None else environ
    if namespace in ("x86_64", "aarch64") and package is None:
        return _combined(
            detect_builtin(namespace, environ=environ, target_machine=target_machine, package=""),
            detect_builtin(
                namespace,
                environ=environ,
                target_machine=target_machine,
                package=f"provider-variant-{namespace.replace('_', '-')}",
            ),
        )
    if package and package.startswith("provider-variant-"):
        if target_machine is not None:
            return Detection(
                _standin_baseline(namespace, target_machine),
                (f"{namespace}: the baseline of the explicit target platform",),
            )
        return detect_cpu_plugin(namespace, environ=environ)
    if target_machine is not None:
        if namespace == "x86_64":
            return Detection(x86_64_properties(target_machine, TARGET_X86_64_LEVEL))
        if namespace == "aarch64":
            return Detection(aarch64_properties(target_machine, TARGET_AARCH64_VERSION))
        return Detection(None, (f"{namespace}: not detected for an explicit target platform",))
    if namespace == "nvidia":
        return detect_nvidia(environ, nvml if nvml is not None else PynvmlReader())
    if namespace == "x86_64":
        return detect_x86_64()
    if namespace == "aarch64":
        return detect_aarch64()
    if namespace == "tpu":
        return detect_tpu(environ)
    return Detection(None, (f"{namespace}: no built-in provider",))

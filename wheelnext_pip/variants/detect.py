"""Built-in hardware providers: what this machine supports for ``nvidia``, ``x86_64``,
``aarch64`` and ``tpu``, with the same features and value orders as the provider packages.

Every algorithm is a pure function over injected inputs (environment, CPU flags, NVML
readings, PCI ids); the ``read_*`` functions and :class:`PynvmlReader` are the thin boundaries
to the real machine. Missing hardware, drivers or libraries mean "nothing supported", never an
error.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from wheelnext_pip.variants import microarch
from wheelnext_pip.variants.properties import NamespaceProperties, SupportedFeature

__all__ = [
    "AARCH64_VERSIONS",
    "CUDA_MAX_VALUES",
    "CUDA_RANGE",
    "FORCE_CPUINFO",
    "FORCE_CUDA_DRIVER_VERSION",
    "FORCE_SM_ARCH",
    "FORCE_TPU_PRESENT",
    "STANDIN_PREFIX",
    "TARGET_AARCH64_VERSION",
    "TARGET_X86_64_LEVEL",
    "TPU_PCI_DEVICES",
    "TPU_PCI_VENDOR",
    "Detection",
    "NvmlReader",
    "NvmlReading",
    "PynvmlReader",
    "aarch64_ceiling",
    "aarch64_properties",
    "aarch64_version_from_cpuinfo",
    "aarch64_version_from_macos_brand",
    "cuda_lower_bound_values",
    "cuda_upper_bound_values",
    "detect_aarch64",
    "detect_builtin",
    "detect_cpu_plugin",
    "detect_nvidia",
    "detect_tpu",
    "detect_x86_64",
    "forced_namespaces",
    "forced_variable_problem",
    "machine_of_platform_tag",
    "normalize_cpu_flags",
    "parse_cuda_version",
    "parse_forced_cuda_version",
    "read_cpu_description",
    "read_linux_cpu_flags",
    "read_macos_cpu_features",
    "read_pci_devices",
    "sm_arch_values",
    "tpu_present",
    "x86_64_level",
    "x86_64_properties",
]

FORCE_CUDA_DRIVER_VERSION = "NV_VARIANT_PROVIDER_FORCE_CUDA_DRIVER_VERSION"
FORCE_SM_ARCH = "NV_VARIANT_PROVIDER_FORCE_SM_ARCH"
FORCE_TPU_PRESENT = "TPU_VARIANT_PROVIDER_FORCE_PRESENT"
#: Path of a file in Linux ``/proc/cpuinfo`` format that the CPU providers read instead of this
#: machine's CPU description (on any OS): fakes the CPU at the lowest layer, for CI and tests.
FORCE_CPUINFO = "VARIANT_PROVIDER_FORCE_CPUINFO"
#: Prefix of the features that carry the plugin stand-ins' answer inside the combined answer
#: of a CPU namespace (see :func:`detect_builtin`).
STANDIN_PREFIX = "plugin__"


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


#: Detected CUDA driver versions the nvidia provider accepts, inclusive.
CUDA_RANGE = ((11, 0), (15, 20))
_CUDA_LOWEST_MAJOR = 11
_CUDA_HIGHEST_MAJOR = 15
_CUDA_HIGHEST_MINOR = 20
#: A forced CUDA version needing more ``cuda_version_lower_bound`` values than this makes the
#: namespace unsupported (uv 0.13.9 and the NVIDIA provider stop there too), so that a forced
#: ``12.99999999`` cannot make pip build a list of a hundred million values.
CUDA_MAX_VALUES = 1024
_MIN_COMPUTE_CAPABILITY = (5, 0)
_VERSION_TEXT = re.compile(r"^(\d+)(?:\.(\d+))?$")


@dataclass(frozen=True)
class Detection:
    """What a built-in provider found: properties (``None`` = unsupported) and notes to log."""

    properties: NamespaceProperties | None
    notes: tuple[str, ...] = ()


# -- nvidia ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NvmlReading:
    """What NVML reports: the CUDA driver version as ``1000 * major + 10 * minor`` and the
    compute capability ``(major, minor)`` of every device."""

    cuda_driver_version: int
    compute_capabilities: tuple[tuple[int, int], ...]

    @property
    def cuda_version(self) -> tuple[int, int]:
        return self.cuda_driver_version // 1000, (self.cuda_driver_version % 1000) // 10


class NvmlReader(Protocol):
    """The NVML boundary: ``None`` when there is no library, no driver or no device."""

    def read(self) -> NvmlReading | None: ...


class PynvmlReader:
    """Reads NVML through ``pynvml`` (from ``nvidia-ml-py``), imported only when called."""

    def read(self) -> NvmlReading | None:
        try:
            import pynvml  # type: ignore[import-not-found, import-untyped, unused-ignore]
        except ImportError:
            return None
        try:
            pynvml.nvmlInit()
        except Exception:  # NVMLError_LibraryNotFound, driver not loaded, ...: no GPU here
            return None
        try:
            count = int(pynvml.nvmlDeviceGetCount())
            if count == 0:
                return None
            version = int(pynvml.nvmlSystemGetCudaDriverVersion())
            capabilities = []
            for index in range(count):
                handle = pynvml.nvmlDeviceGetHandleByIndex(index)
                major, minor = pynvml.nvmlDeviceGetCudaComputeCapability(handle)
                capabilities.append((int(major), int(minor)))
            return NvmlReading(version, tuple(capabilities))
        except Exception:  # any NVMLError: treat like "no usable GPU"
            return None
        finally:
            with contextlib.suppress(Exception):  # a failed shutdown changes nothing we report
                pynvml.nvmlShutdown()


def parse_cuda_version(text: str) -> tuple[int, int] | None:
    """``"12.8"`` -> ``(12, 8)``, ``"13"`` -> ``(13, 0)``; ``None`` if malformed."""
    match = _VERSION_TEXT.match(text.strip())
    if not match:
        return None
    return int(match[1]), int(match[2] or 0)


def parse_forced_cuda_version(text: str) -> tuple[int, int] | None:
    """The forced CUDA driver version as NVIDIA's provider reads it: any version (PEP 440),
    of which major and minor count (``"12.8.1"`` -> ``(12, 8)``); ``None`` if not one."""
    from packaging.version import InvalidVersion, Version

    try:
        release = Version(text.strip()).release
    except InvalidVersion:
        return None
    return release[0], release[1] if len(release) > 1 else 0


def forced_variable_problem(environ: Mapping[str, str]) -> str | None:
    """One line naming an override variable whose value is not usable, or None."""
    forced_cuda = environ.get(FORCE_CUDA_DRIVER_VERSION, "")
    if forced_cuda and parse_forced_cuda_version(forced_cuda) is None:
        return f"{FORCE_CUDA_DRIVER_VERSION}={forced_cuda!r} is not a version (for example 12.8)"
    forced_sm = environ.get(FORCE_SM_ARCH, "")
    if forced_sm and ("." not in forced_sm or parse_cuda_version(forced_sm) is None):
        return f"{FORCE_SM_ARCH}={forced_sm!r} is not a compute capability (for example 9.0)"
    return None


def _major_values(major: int, minors: Iterable[int]) -> list[str]:
    return [f"{major}.{minor}" for minor in minors]


def _lower_bound_count(major: int, minor: int) -> int:
    """How many values :func:`cuda_lower_bound_values` gives, without making them."""
    if major < _CUDA_LOWEST_MAJOR:
        return 0
    return minor + 2 + (major - _CUDA_LOWEST_MAJOR) * (_CUDA_HIGHEST_MINOR + 2)


def cuda_lower_bound_values(major: int, minor: int) -> tuple[str, ...]:
    """``M.m … M.0, M``, then ``k.20 … k.0, k`` for each lower major down to 11."""
    if major < _CUDA_LOWEST_MAJOR:
        return ()
    values = [*_major_values(major, range(minor, -1, -1)), str(major)]
    for lower in range(major - 1, _CUDA_LOWEST_MAJOR - 1, -1):
        values += [*_major_values(lower, range(_CUDA_HIGHEST_MINOR, -1, -1)), str(lower)]
    return tuple(values)


def cuda_upper_bound_values(major: int, minor: int) -> tuple[str, ...]:
    """``k.20 … k.0, k`` for majors 15 down to M+1, then ``M.20 … M.(m+1)``."""
    values: list[str] = []
    for higher in range(_CUDA_HIGHEST_MAJOR, major, -1):
        values += [*_major_values(higher, range(_CUDA_HIGHEST_MINOR, -1, -1)), str(higher)]
    values += _major_values(major, range(_CUDA_HIGHEST_MINOR, minor, -1))
    return tuple(values)


def sm_arch_values(major: int, minor: int) -> tuple[str, ...]:
    """``{a}{b}_real … {a}0_real, {a}0_virtual``; nothing below compute capability 5.0."""
    if (major, minor) < _MIN_COMPUTE_CAPABILITY:
        return ()
    return (*(f"{major}{m}_real" for m in range(minor, -1, -1)), f"{major}0_virtual")


def detect_nvidia(environ: Mapping[str, str], nvml: NvmlReader) -> Detection:
    """The ``nvidia`` namespace from the override variables, else from NVML."""
    notes: list[str] = []
    reading: NvmlReading | None = None
    forced_cuda = environ.get(FORCE_CUDA_DRIVER_VERSION, "")
    if forced_cuda:
        cuda = parse_forced_cuda_version(forced_cuda)
        if cuda is None:
            return Detection(
                None, (f"nvidia: invalid {FORCE_CUDA_DRIVER_VERSION}={forced_cuda!r}",)
            )
        if _lower_bound_count(*cuda) > CUDA_MAX_VALUES:
            return Detection(
                None,
                (
                    f"nvidia: {FORCE_CUDA_DRIVER_VERSION}={forced_cuda!r} exceeds the limit of "
                    f"{CUDA_MAX_VALUES} variant values",
                ),
            )
        notes.append(f"nvidia: CUDA driver version {forced_cuda} from {FORCE_CUDA_DRIVER_VERSION}")
    else:
        reading = nvml.read()
        if reading is None:
            return Detection(None, ("nvidia: no NVIDIA driver or GPU found",))
        cuda = reading.cuda_version
        if not CUDA_RANGE[0] <= cuda <= CUDA_RANGE[1]:
            return Detection(
                None, (f"nvidia: CUDA driver version {cuda[0]}.{cuda[1]} is out of range",)
            )
    forced_sm = environ.get(FORCE_SM_ARCH, "")
    capability: tuple[int, int] | None
    if forced_sm:
        capability = parse_cuda_version(forced_sm) if "." in forced_sm else None
        if capability is None:
            return Detection(None, (*notes, f"nvidia: invalid {FORCE_SM_ARCH}={forced_sm!r}"))
    else:
        if reading is None:
            reading = nvml.read()
        capability = (
            max(reading.compute_capabilities) if reading and reading.compute_capabilities else None
        )
    features = [
        SupportedFeature("cuda_version_lower_bound", cuda_lower_bound_values(*cuda)),
        SupportedFeature("cuda_version_upper_bound", cuda_upper_bound_values(*cuda)),
    ]
    if capability is not None:
        features.append(SupportedFeature("sm_arch", sm_arch_values(*capability)))
    kept = tuple(feature for feature in features if feature.values)
    return Detection(NamespaceProperties("nvidia", kept), tuple(notes))


# -- x86_64 ------------------------------------------------------------------------------------

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
_X86_64_MACHINES = frozenset({"x86_64", "amd64", "x64"})
_AARCH64_MACHINES = frozenset({"aarch64", "arm64"})
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
    if machine.lower() not in _X86_64_MACHINES:
        return NamespaceProperties("x86_64")
    top = _X86_64_UNKNOWN_LEVEL if level is None else level
    return NamespaceProperties.of("x86_64", [("level", [f"v{n}" for n in range(top, 0, -1)])])


def _cpuinfo_path(environ: Mapping[str, str] | None = None) -> str:
    """``/proc/cpuinfo``, or the file that :data:`FORCE_CPUINFO` names."""
    environ = os.environ if environ is None else environ
    return environ.get(FORCE_CPUINFO) or "/proc/cpuinfo"


def read_linux_cpu_flags(cpuinfo: str | Path | None = None) -> frozenset[str] | None:
    """The ``flags`` of the first processor in ``/proc/cpuinfo`` (or the file that
    :data:`FORCE_CPUINFO` names); ``None`` if unreadable."""
    cpuinfo = _cpuinfo_path() if cpuinfo is None else cpuinfo
    try:
        with open(cpuinfo, encoding="utf-8", errors="replace") as stream:
            for line in stream:
                key, sep, value = line.partition(":")
                if sep and key.strip() == "flags":
                    return frozenset(value.split())
    except OSError:
        return None
    return None


def _sysctl(*names: str) -> str | None:
    import subprocess

    try:
        completed = subprocess.run(
            ["sysctl", "-n", *names], capture_output=True, text=True, timeout=5, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return completed.stdout if completed.returncode == 0 else None


def read_macos_cpu_features() -> frozenset[str] | None:
    """macOS ``machdep.cpu.features`` and ``leaf7_features``; ``None`` if unavailable."""
    text = _sysctl("machdep.cpu.features", "machdep.cpu.leaf7_features")
    return None if text is None else frozenset(text.split())


def detect_x86_64(machine: str | None = None, system: str | None = None) -> Detection:
    """The ``x86_64`` namespace of this machine (arguments default to the running one)."""
    import platform

    machine = machine if machine is not None else platform.machine()
    system = system if system is not None else platform.system()
    if machine.lower() not in _X86_64_MACHINES:
        return Detection(x86_64_properties(machine, None), (f"x86_64: machine is {machine}",))
    flags: frozenset[str] | None = None
    if system == "Linux" or os.environ.get(FORCE_CPUINFO):
        flags = read_linux_cpu_flags()
    elif system == "Darwin":
        flags = read_macos_cpu_features()
    level = x86_64_level(flags) if flags is not None else None
    notes = () if flags is not None else ("x86_64: CPU flags unknown here, assuming v2",)
    return Detection(x86_64_properties(machine, level), notes)


# -- aarch64 -----------------------------------------------------------------------------------

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
    if machine.lower() not in _AARCH64_MACHINES:
        return NamespaceProperties("aarch64")
    top = AARCH64_VERSIONS.index(version)
    return NamespaceProperties.of("aarch64", [("version", AARCH64_VERSIONS[top::-1])])


def detect_aarch64(machine: str | None = None, system: str | None = None) -> Detection:
    """The ``aarch64`` namespace of this machine (arguments default to the running one)."""
    import platform

    machine = machine if machine is not None else platform.machine()
    system = system if system is not None else platform.system()
    if machine.lower() not in _AARCH64_MACHINES:
        return Detection(aarch64_properties(machine, "8a"), (f"aarch64: machine is {machine}",))
    version = "8a"
    if system == "Linux" or os.environ.get(FORCE_CPUINFO):
        with contextlib.suppress(OSError):
            version = aarch64_version_from_cpuinfo(
                Path(_cpuinfo_path()).read_text(encoding="utf-8", errors="replace")
            )
    elif system == "Darwin":
        version = aarch64_version_from_macos_brand(_sysctl("machdep.cpu.brand_string") or "")
    return Detection(aarch64_properties(machine, version))


# -- tpu ---------------------------------------------------------------------------------------

TPU_PCI_VENDOR = 0x1AE0
TPU_PCI_DEVICES = frozenset(
    {0x0027, 0x0056, 0x005E, 0x0062, 0x0063, 0x006F, 0x0076, 0x0083, 0x007C}
)
_TRUE_WORDS = frozenset({"1", "true", "yes"})


def tpu_present(
    environ: Mapping[str, str], system: str, pci_devices: Sequence[tuple[int, int]]
) -> bool:
    """Override variable first; else a TPU PCI id among ``(vendor, device)``, Linux only."""
    forced = environ.get(FORCE_TPU_PRESENT)
    if forced is not None:
        return forced.strip().lower() in _TRUE_WORDS
    if system != "Linux":
        return False
    return any(
        vendor == TPU_PCI_VENDOR and device in TPU_PCI_DEVICES for vendor, device in pci_devices
    )


def read_pci_devices(root: str | Path = "/sys/bus/pci/devices") -> list[tuple[int, int]]:
    """``(vendor, device)`` ids of every PCI device under ``root``; empty if unreadable."""
    devices = []
    try:
        entries = sorted(Path(root).iterdir())
    except OSError:
        return []
    for entry in entries:
        try:
            vendor = int((entry / "vendor").read_text().strip(), 16)
            device = int((entry / "device").read_text().strip(), 16)
        except (OSError, ValueError):
            continue
        devices.append((vendor, device))
    return devices


def detect_tpu(environ: Mapping[str, str] | None = None, system: str | None = None) -> Detection:
    """The ``tpu`` namespace: ``present = ["true"]`` or ``["false"]``."""
    import platform

    environ = os.environ if environ is None else environ
    system = system if system is not None else platform.system()
    devices = read_pci_devices() if system == "Linux" and FORCE_TPU_PRESENT not in environ else []
    present = tpu_present(environ, system, devices)
    return Detection(NamespaceProperties.of("tpu", [("present", ["true" if present else "false"])]))


# -- the plugin stand-ins (provider-variant-x86-64, provider-variant-aarch64) ------------------


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
        try:
            text = Path(_cpuinfo_path(environ)).read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None
        return microarch.parse_cpuinfo(text, family)
    if system == "Darwin":
        if family == "aarch64":
            brand = _sysctl("machdep.cpu.brand_string")
            if brand is None:
                return None
            return microarch.CpuDescription("Apple", model=microarch.darwin_arm_model(brand))
        features = _sysctl("machdep.cpu.features")
        leaf7 = _sysctl("machdep.cpu.leaf7_features")
        vendor = _sysctl("machdep.cpu.vendor")
        if features is None or vendor is None:
            return None
        return microarch.CpuDescription(
            vendor.strip(), microarch.darwin_x86_64_flags(features, leaf7 or "")
        )
    return None


def _cpu_family(machine: str, system: str) -> str | None:
    lowered = machine.lower()
    # archspec's check for an x86-64 interpreter on Apple silicon (Rosetta).
    rosetta = system == "Darwin" and lowered in _X86_64_MACHINES
    if rosetta and "Apple" in (_sysctl("machdep.cpu.brand_string") or ""):
        return "aarch64"
    if lowered in _X86_64_MACHINES:
        return "x86_64"
    if lowered in _AARCH64_MACHINES:
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


# -- dispatch ----------------------------------------------------------------------------------

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
        return microarch.x86_64_plugin_properties(host if machine in _X86_64_MACHINES else None)
    return microarch.aarch64_plugin_properties(
        known_arm["aarch64"] if machine in _AARCH64_MACHINES else None
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

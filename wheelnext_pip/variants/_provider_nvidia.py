"""The built-in ``nvidia`` provider: CUDA driver version and compute capability, with the
features and value orders of NVIDIA's provider package.

The algorithm (:func:`detect_nvidia`) is a pure function of the environment and an NVML
reading; :class:`PynvmlReader` and :func:`read_nvidia_driver_state` below are the boundary to
the real machine. No driver, no GPU or no library means "nothing supported", never an error.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from wheelnext_pip.variants._provider_base import Detection
from wheelnext_pip.variants.properties import NamespaceProperties, SupportedFeature

FORCE_CUDA_DRIVER_VERSION = "NV_VARIANT_PROVIDER_FORCE_CUDA_DRIVER_VERSION"
FORCE_SM_ARCH = "NV_VARIANT_PROVIDER_FORCE_SM_ARCH"


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


# -- the boundary to this machine (I/O) --------------------------------------------------------


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


def read_nvidia_driver_state(
    root: str | Path = "/proc/driver/nvidia",
) -> tuple[str | None, tuple[str, ...]]:
    """Cheap Linux view of the NVIDIA driver (no NVML): its version line and GPU bus ids."""
    base = Path(root)
    try:
        version_text = (base / "version").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None, ()
    first_line = version_text.splitlines()[0].strip() if version_text.strip() else ""
    try:
        gpus = tuple(sorted(entry.name for entry in (base / "gpus").iterdir()))
    except OSError:
        gpus = ()
    return first_line or None, gpus

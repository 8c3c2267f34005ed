"""On-disk cache of built-in provider detection, keyed by what would change its answer.
Private: it reads the machine and writes pip's cache folder.

The key is a hash of an invalidation fingerprint: NVIDIA driver version and GPU list, a hash of
the CPU flags, machine, OS and the override variables. Reading a stale, foreign or damaged file
is a cache miss, never an error; writing is best effort and atomic.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from wheelnext_pip.variants._provider_nvidia import read_nvidia_driver_state
from wheelnext_pip.variants._provider_x86_64 import read_linux_cpu_flags
from wheelnext_pip.variants.detect import (
    FORCE_CPUINFO,
    FORCE_CUDA_DRIVER_VERSION,
    FORCE_SM_ARCH,
    FORCE_TPU_PRESENT,
)
from wheelnext_pip.variants.properties import (
    NamespaceProperties,
    SupportedFeature,
    is_valid_feature,
    is_valid_namespace,
    is_valid_value,
)

__all__ = [
    "CACHE_FILENAME",
    "DETECTION_VERSION",
    "detection_cache_key",
    "fingerprint_inputs",
    "load_detection_cache",
    "machine_fingerprint",
    "store_detection_cache",
]

CACHE_FILENAME = "variant-detection.json"
#: Bumped whenever a detection algorithm changes, so old answers are not reused.
DETECTION_VERSION = "2"  # 2: CPU namespaces also answer for the plugin stand-ins
_FORMAT = 1
_OVERRIDE_VARIABLES = (FORCE_CUDA_DRIVER_VERSION, FORCE_SM_ARCH, FORCE_TPU_PRESENT)


def fingerprint_inputs(
    *,
    machine: str,
    system: str,
    environ: Mapping[str, str],
    nvidia_driver: str | None,
    gpus: Sequence[str],
    cpu_flags: Iterable[str] | None,
) -> dict[str, str]:
    """Everything a detection result depends on, as text."""
    flags_hash = (
        hashlib.sha256(" ".join(sorted(set(cpu_flags))).encode()).hexdigest()
        if cpu_flags is not None
        else "unknown"
    )
    inputs = {
        "detection-version": DETECTION_VERSION,
        "machine": machine,
        "system": system,
        "nvidia-driver": nvidia_driver or "none",
        "gpus": ",".join(sorted(gpus)),
        "cpu-flags": flags_hash,
    }
    for variable in _OVERRIDE_VARIABLES:
        inputs[variable] = environ.get(variable, "<unset>")
    forced_cpuinfo = environ.get(FORCE_CPUINFO)
    inputs[FORCE_CPUINFO] = "<unset>"
    if forced_cpuinfo:
        # The whole file counts (vendor, ARM part numbers), not only the x86 flags.
        try:
            content = hashlib.sha256(Path(forced_cpuinfo).read_bytes()).hexdigest()
        except OSError:
            content = "unreadable"
        inputs[FORCE_CPUINFO] = f"{forced_cpuinfo} {content}"
    return inputs


def machine_fingerprint(environ: Mapping[str, str]) -> dict[str, str]:
    """:func:`fingerprint_inputs` of this machine: a cheap look at the NVIDIA driver and the
    CPU flags (no NVML), the machine and OS, and the override variables in ``environ``."""
    import platform

    driver, gpus = read_nvidia_driver_state()
    return fingerprint_inputs(
        machine=platform.machine(),
        system=platform.system(),
        environ=environ,
        nvidia_driver=driver,
        gpus=gpus,
        cpu_flags=read_linux_cpu_flags(),
    )


def detection_cache_key(inputs: Mapping[str, str]) -> str:
    """A stable hash of the fingerprint inputs."""
    text = "\n".join(f"{key}={inputs[key]}" for key in sorted(inputs))
    return hashlib.sha256(text.encode()).hexdigest()


def _encode(results: Mapping[str, NamespaceProperties | None]) -> dict[str, object]:
    return {
        namespace: None
        if properties is None
        else [{"feature": f.name, "values": list(f.supported_values)} for f in properties]
        for namespace, properties in results.items()
    }


def _decode(namespaces: object) -> dict[str, NamespaceProperties | None] | None:
    if not isinstance(namespaces, dict):
        return None
    results: dict[str, NamespaceProperties | None] = {}
    for namespace, features in namespaces.items():
        if not isinstance(namespace, str) or not is_valid_namespace(namespace):
            return None
        if features is None:
            results[namespace] = None
            continue
        if not isinstance(features, list):
            return None
        decoded = []
        for item in features:
            if not isinstance(item, dict):
                return None
            name, values = item.get("feature"), item.get("values")
            if not isinstance(name, str) or not is_valid_feature(name):
                return None
            if not isinstance(values, list) or not all(
                isinstance(value, str) and is_valid_value(value) for value in values
            ):
                return None
            decoded.append(SupportedFeature(name, tuple(values)))
        results[namespace] = NamespaceProperties(namespace, tuple(decoded))
    return results


def load_detection_cache(
    directory: str | Path, key: str
) -> dict[str, NamespaceProperties | None] | None:
    """The cached results for ``key``, or ``None`` (missing, other key, unreadable, damaged)."""
    import json

    try:
        document = json.loads((Path(directory) / CACHE_FILENAME).read_bytes())
        if not isinstance(document, dict):
            return None
        if document.get("format") != _FORMAT or document.get("key") != key:
            return None
        return _decode(document.get("namespaces"))
    except (OSError, ValueError, RecursionError, MemoryError, TypeError, AttributeError):
        # Damaged in any way (deeply nested JSON raises RecursionError): a cache miss.
        return None


def store_detection_cache(
    directory: str | Path, key: str, results: Mapping[str, NamespaceProperties | None]
) -> bool:
    """Write the results for ``key`` (replacing any other key); ``False`` if it failed."""
    import json
    import os
    import tempfile

    folder = Path(directory)
    document = {"format": _FORMAT, "key": key, "namespaces": _encode(results)}
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=".variant-detection-", dir=folder)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                json.dump(document, stream, indent=1, sort_keys=True)
            os.replace(temporary, folder / CACHE_FILENAME)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
    except OSError:
        return False
    return True

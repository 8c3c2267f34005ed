"""The built-in ``tpu`` provider: whether a Google TPU is attached (``present``), from the
override variable or the PCI ids of the machine's devices.

:func:`tpu_present` is pure; :func:`read_pci_devices` and :func:`detect_tpu` below are the
boundary to the real machine (Linux ``/sys/bus/pci``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from wheelnext_pip.variants._provider_base import Detection
from wheelnext_pip.variants.properties import NamespaceProperties

FORCE_TPU_PRESENT = "TPU_VARIANT_PROVIDER_FORCE_PRESENT"

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


# -- the boundary to this machine (I/O) --------------------------------------------------------


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

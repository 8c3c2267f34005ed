"""Built-in hardware providers (PEP 825 providers reimplemented) over injected inputs."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest

from wheelnext_pip.variants import detect
from wheelnext_pip.variants._provider_aarch64 import (
    aarch64_properties,
    aarch64_version_from_cpuinfo,
    aarch64_version_from_macos_brand,
)
from wheelnext_pip.variants._provider_nvidia import (
    NvmlReading,
    PynvmlReader,
    cuda_lower_bound_values,
    cuda_upper_bound_values,
    detect_nvidia,
    parse_cuda_version,
    sm_arch_values,
)
from wheelnext_pip.variants._provider_tpu import detect_tpu, read_pci_devices, tpu_present
from wheelnext_pip.variants._provider_x86_64 import (
    detect_x86_64,
    normalize_cpu_flags,
    read_linux_cpu_flags,
    x86_64_level,
    x86_64_properties,
)


class FakeNvml:
    def __init__(self, reading: NvmlReading | None) -> None:
        self.reading = reading
        self.calls = 0

    def read(self) -> NvmlReading | None:
        self.calls += 1
        return self.reading


def minors(major: int, high: int, low: int) -> list[str]:
    return [f"{major}.{minor}" for minor in range(high, low - 1, -1)]


def test_cuda_lower_bound_example() -> None:
    assert cuda_lower_bound_values(12, 7) == (*minors(12, 7, 0), "12", *minors(11, 20, 0), "11")
    assert cuda_lower_bound_values(11, 0) == ("11.0", "11")
    assert cuda_lower_bound_values(10, 2) == ()


def test_cuda_upper_bound_example() -> None:
    expected = (
        *minors(15, 20, 0),
        "15",
        *minors(14, 20, 0),
        "14",
        *minors(13, 20, 0),
        "13",
        *minors(12, 20, 8),
    )
    assert cuda_upper_bound_values(12, 7) == expected
    assert cuda_upper_bound_values(15, 20) == ()
    assert cuda_upper_bound_values(15, 19) == ("15.20",)


def test_sm_arch_values() -> None:
    assert sm_arch_values(8, 9) == (*[f"8{m}_real" for m in range(9, -1, -1)], "80_virtual")
    assert sm_arch_values(12, 0) == ("120_real", "120_virtual")
    assert sm_arch_values(10, 3) == ("103_real", "102_real", "101_real", "100_real", "100_virtual")
    assert sm_arch_values(3, 7) == ()


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("12.8", (12, 8)),
        ("13", (13, 0)),
        (" 12.10 ", (12, 10)),
        ("12.x", None),
        ("", None),
        ("v12", None),
    ],
)
def test_parse_cuda_version(text: str, parsed: tuple[int, int] | None) -> None:
    assert parse_cuda_version(text) == parsed


def test_nvidia_from_nvml_uses_highest_capability() -> None:
    nvml = FakeNvml(NvmlReading(12080, ((8, 6), (9, 0), (7, 5))))
    detection = detect_nvidia({}, nvml)
    assert detection.properties is not None
    assert [f.name for f in detection.properties] == [
        "cuda_version_lower_bound",
        "cuda_version_upper_bound",
        "sm_arch",
    ]
    assert detection.properties.features[0].values[:2] == ("12.8", "12.7")
    assert detection.properties.features[2].values == ("90_real", "90_virtual")
    assert nvml.calls == 1


@pytest.mark.parametrize("version", [10020, 15210, 16000])
def test_detected_cuda_out_of_range_is_unsupported(version: int) -> None:
    detection = detect_nvidia({}, FakeNvml(NvmlReading(version, ((9, 0),))))
    assert detection.properties is None
    assert "out of range" in detection.notes[0]


def test_no_gpu_is_unsupported_even_with_forced_sm() -> None:
    assert detect_nvidia({}, FakeNvml(None)).properties is None
    forced_sm = {detect.FORCE_SM_ARCH: "9.0"}
    assert detect_nvidia(forced_sm, FakeNvml(None)).properties is None


def test_forced_cuda_without_gpu() -> None:
    nvml = FakeNvml(None)
    detection = detect_nvidia({detect.FORCE_CUDA_DRIVER_VERSION: "12.8"}, nvml)
    assert detection.properties is not None
    assert [f.name for f in detection.properties] == [
        "cuda_version_lower_bound",
        "cuda_version_upper_bound",
    ]
    # Forced values are used as is: no range check.
    forced_old = detect_nvidia(
        {detect.FORCE_CUDA_DRIVER_VERSION: "10.2", detect.FORCE_SM_ARCH: "9.0"}, nvml
    )
    assert forced_old.properties is not None
    assert [f.name for f in forced_old.properties] == ["cuda_version_upper_bound", "sm_arch"]
    forced_new = detect_nvidia({detect.FORCE_CUDA_DRIVER_VERSION: "16"}, nvml)
    assert forced_new.properties is not None
    assert forced_new.properties.features[1].values[0] == "16.20"


def test_forced_sm_with_forced_cuda_skips_nvml() -> None:
    nvml = FakeNvml(NvmlReading(13010, ((12, 0),)))
    environ = {detect.FORCE_CUDA_DRIVER_VERSION: "13.1", detect.FORCE_SM_ARCH: "8.9"}
    detection = detect_nvidia(environ, nvml)
    assert detection.properties is not None
    assert detection.properties.features[2].values[0] == "89_real"
    assert nvml.calls == 0


def test_forced_cuda_reads_capability_from_nvml() -> None:
    detection = detect_nvidia(
        {detect.FORCE_CUDA_DRIVER_VERSION: "13.1"}, FakeNvml(NvmlReading(12020, ((12, 0),)))
    )
    assert detection.properties is not None
    assert detection.properties.features[0].values[0] == "13.1"
    assert detection.properties.features[2].values == ("120_real", "120_virtual")


@pytest.mark.parametrize(
    ("variable", "value"),
    [(detect.FORCE_CUDA_DRIVER_VERSION, "twelve"), (detect.FORCE_SM_ARCH, "90")],
)
def test_invalid_overrides_are_unsupported(variable: str, value: str) -> None:
    environ = {detect.FORCE_CUDA_DRIVER_VERSION: "12.8", variable: value}
    detection = detect_nvidia(environ, FakeNvml(None))
    assert detection.properties is None
    assert any(variable in note for note in detection.notes)


def test_empty_override_is_ignored() -> None:
    assert detect_nvidia({detect.FORCE_CUDA_DRIVER_VERSION: ""}, FakeNvml(None)).properties is None


class _NVMLError(Exception):
    pass


def _fake_pynvml(count: int, fail_init: bool = False) -> types.ModuleType:
    module = types.ModuleType("pynvml")
    calls: list[str] = []

    def init() -> None:
        calls.append("init")
        if fail_init:
            raise _NVMLError("NVML Shared Library Not Found")

    module.nvmlInit = init  # type: ignore[attr-defined]
    module.nvmlShutdown = lambda: calls.append("shutdown")  # type: ignore[attr-defined]
    module.nvmlDeviceGetCount = lambda: count  # type: ignore[attr-defined]
    module.nvmlSystemGetCudaDriverVersion = lambda: 12080  # type: ignore[attr-defined]
    module.nvmlDeviceGetHandleByIndex = lambda index: index  # type: ignore[attr-defined]
    module.nvmlDeviceGetCudaComputeCapability = lambda handle: (8, 6 + handle)  # type: ignore[attr-defined]
    module.calls = calls  # type: ignore[attr-defined]
    return module


def test_pynvml_reader(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = _fake_pynvml(2)
    monkeypatch.setitem(sys.modules, "pynvml", fake)
    assert PynvmlReader().read() == NvmlReading(12080, ((8, 6), (8, 7)))
    assert fake.calls == ["init", "shutdown"]  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "pynvml", _fake_pynvml(0))
    assert PynvmlReader().read() is None
    monkeypatch.setitem(sys.modules, "pynvml", _fake_pynvml(1, fail_init=True))
    assert PynvmlReader().read() is None
    monkeypatch.setitem(sys.modules, "pynvml", None)  # not installed
    assert PynvmlReader().read() is None


def test_importing_detect_does_not_import_pynvml() -> None:
    import subprocess

    code = "import sys, wheelnext_pip.variants.detect; print('pynvml' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert result.stdout.strip() == "False"


# -- x86_64 --------------------------------------------------------------------------------

V2 = {"cx16", "lahf_lm", "popcnt", "pni", "ssse3", "sse4_1", "sse4_2"}
V3 = {"avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "abm", "movbe"}
V4 = {"avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"}


@pytest.mark.parametrize(
    ("flags", "level"),
    [
        (set(), 1),
        (V2 - {"pni"}, 1),
        (V2, 2),
        (V2 | V3, 3),
        (V2 | V3 | V4, 4),
        (V2 | V4, 2),
        (V2 | V3 - {"abm"}, 2),
    ],
)
def test_x86_64_level(flags: set[str], level: int) -> None:
    assert x86_64_level(flags) == level


def test_macos_flag_aliases() -> None:
    features = "FPU SSE3 CX16 LAHF POPCNT SSSE3 SSE4.1 SSE4.2 AVX1.0 MOVBE F16C FMA AVX2"
    features += " BMI1 BMI2 LZCNT"
    flags = features.split(" ")
    assert {"sse3", "lahf_lm", "sse4_1", "sse4_2", "avx", "avx2"} <= normalize_cpu_flags(flags)
    assert x86_64_level(flags) == 3


def test_x86_64_properties() -> None:
    assert x86_64_properties("x86_64", 3).features[0].values == ("v3", "v2", "v1")
    assert x86_64_properties("AMD64", None).features[0].values == ("v2", "v1")
    assert x86_64_properties("arm64", 4).features == ()


def test_read_linux_cpu_flags(tmp_path: Path) -> None:
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(
        "processor\t: 0\nflags\t\t: fpu pni avx\n\nprocessor\t: 1\nflags\t\t: other\n"
    )
    assert read_linux_cpu_flags(cpuinfo) == {"fpu", "pni", "avx"}
    assert read_linux_cpu_flags(tmp_path / "missing") is None
    cpuinfo.write_text("processor: 0\n")
    assert read_linux_cpu_flags(cpuinfo) is None


def test_detect_x86_64_elsewhere() -> None:
    detection = detect_x86_64("aarch64", "Linux")
    assert detection.properties is not None and detection.properties.features == ()
    windows = detect_x86_64("AMD64", "Windows")
    assert windows.properties is not None
    assert windows.properties.features[0].values == ("v2", "v1")


# -- aarch64 -------------------------------------------------------------------------------

STEP_81 = "fp asimd crc32 atomics asimdrdm"
STEP_84 = f"{STEP_81} dcpop jscvt fcma lrcpc paca pacg"
STEP_84 += " fphp asimdhp asimddp asimdfhm dit uscat ilrcpc flagm"


def core(implementer: str, part: str, features: str) -> str:
    return (
        f"processor\t: 0\nFeatures\t: {features}\n"
        f"CPU implementer\t: {implementer}\nCPU part\t: {part}\n\n"
    )


@pytest.mark.parametrize(
    ("cpuinfo", "version"),
    [
        (core("0x41", "0xd40", STEP_84), "8.4a"),
        (core("0x41", "0xd0c", STEP_84), "8.2a"),  # Neoverse N1 ceiling
        (core("0x41", "0xd40", STEP_81), "8.1a"),  # features stop the climb
        (core("0x41", "0xd40", "fp asimd"), "8a"),
        (core("0x42", "0x516", STEP_84), "8.1a"),
        (core("0x61", "0x022", STEP_84), "8a"),  # Apple cores: unknown ceiling here
        (core("0x41", "0xd40", STEP_84) + core("0x41", "0xd0c", STEP_84), "8.2a"),  # lowest core
        (
            core("0x41", "0xd40", STEP_84) + core("0x41", "0xd49", STEP_81),
            "8.1a",
        ),  # common features
        ("", "8a"),
    ],
)
def test_aarch64_from_cpuinfo(cpuinfo: str, version: str) -> None:
    assert aarch64_version_from_cpuinfo(cpuinfo) == version


def test_aarch64_macos_and_properties() -> None:
    assert aarch64_version_from_macos_brand("Apple M3 Pro") == "8.4a"
    assert aarch64_version_from_macos_brand("Apple M10") == "8a"
    assert aarch64_version_from_macos_brand("Apple A14") == "8a"
    assert aarch64_properties("arm64", "8.2a").features[0].values == ("8.2a", "8.1a", "8a")
    assert aarch64_properties("x86_64", "8.4a").features == ()


# -- tpu -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "present"),
    [("1", True), ("TRUE", True), ("yes", True), ("0", False), ("", False), ("on", False)],
)
def test_tpu_override(value: str, present: bool) -> None:
    assert tpu_present({detect.FORCE_TPU_PRESENT: value}, "Darwin", []) is present
    detection = detect_tpu({detect.FORCE_TPU_PRESENT: value}, "Linux")
    assert detection.properties is not None
    assert detection.properties.features[0].values == ("true" if present else "false",)


def test_tpu_pci_ids(tmp_path: Path) -> None:
    for name, vendor, device in (
        ("0000:00:04.0", "0x1ae0", "0x0062"),
        ("0000:00:05.0", "0x8086", "0x0062"),
    ):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "vendor").write_text(vendor + "\n")
        (folder / "device").write_text(device + "\n")
    (tmp_path / "broken").mkdir()
    devices = read_pci_devices(tmp_path)
    assert devices == [(0x1AE0, 0x0062), (0x8086, 0x0062)]
    assert tpu_present({}, "Linux", devices)
    assert not tpu_present({}, "Linux", [(0x8086, 0x0062), (0x1AE0, 0x0001)])
    assert not tpu_present({}, "Windows", devices)
    assert read_pci_devices(tmp_path / "missing") == []


# -- dispatch ------------------------------------------------------------------------------


def test_detect_builtin_for_a_target() -> None:
    x86 = detect.detect_builtin("x86_64", target_machine="x86_64")
    assert x86.properties is not None and x86.properties.features[0].values == ("v2", "v1")
    arm = detect.detect_builtin("aarch64", target_machine="aarch64")
    assert arm.properties is not None and arm.properties.features[0].values == ("8a",)
    assert detect.detect_builtin("aarch64", target_machine="x86_64").properties == (
        aarch64_properties("x86_64", "8a")
    )
    for namespace in ("nvidia", "tpu"):
        assert detect.detect_builtin(namespace, target_machine="x86_64").properties is None


def test_detect_builtin_on_this_machine() -> None:
    forced = {detect.FORCE_CUDA_DRIVER_VERSION: "12.8", detect.FORCE_TPU_PRESENT: "1"}
    nvidia = detect.detect_builtin("nvidia", environ=forced, nvml=FakeNvml(None))
    assert nvidia.properties is not None and nvidia.properties.namespace == "nvidia"
    tpu = detect.detect_builtin("tpu", environ=forced)
    assert tpu.properties is not None and tpu.properties.features[0].values == ("true",)
    for namespace in ("x86_64", "aarch64"):
        detection = detect.detect_builtin(namespace, environ={})
        assert detection.properties is not None
        assert detection.properties.namespace == namespace
    assert detect.detect_builtin("other").properties is None


def test_forced_namespaces_name_the_overridden_builtins() -> None:
    assert detect.forced_namespaces({}) == frozenset()
    assert detect.forced_namespaces({detect.FORCE_SM_ARCH: "9.0"}) == {"nvidia"}
    both = {detect.FORCE_CUDA_DRIVER_VERSION: "12.8", detect.FORCE_TPU_PRESENT: "1"}
    assert detect.forced_namespaces(both) == {"nvidia", "tpu"}


@pytest.mark.parametrize(
    ("text", "parsed"),
    [("12.8.1", (12, 8)), ("12.8", (12, 8)), ("13", (13, 0)), ("12.8rc1", (12, 8)), ("x", None)],
)
def test_forced_cuda_version_is_read_as_a_version(
    text: str, parsed: tuple[int, int] | None
) -> None:
    """NVIDIA's provider parses the forced driver version as a version: 12.8.1 is 12.8."""
    from wheelnext_pip.variants._provider_nvidia import parse_forced_cuda_version

    assert parse_forced_cuda_version(text) == parsed


def test_a_forced_value_that_is_no_version_is_named() -> None:
    from wheelnext_pip.variants.detect import forced_variable_problem

    problem = forced_variable_problem({detect.FORCE_CUDA_DRIVER_VERSION: "twelve"})
    assert problem is not None and detect.FORCE_CUDA_DRIVER_VERSION in problem
    assert forced_variable_problem({detect.FORCE_CUDA_DRIVER_VERSION: "12.8.1"}) is None


def test_forced_cuda_version_needing_too_many_values_is_unsupported() -> None:
    """uv 0.13.9 (skip_excessive_nvidia_cuda_override): more than 1024 lower-bound values make
    the namespace unsupported instead of a huge list."""
    from wheelnext_pip.variants._provider_nvidia import CUDA_MAX_VALUES

    class NoGpu:
        def read(self) -> None:
            return None

    too_many = detect_nvidia({detect.FORCE_CUDA_DRIVER_VERSION: "12.2000"}, NoGpu())
    assert too_many.properties is None
    assert "exceeds the limit of 1024" in too_many.notes[0]
    at_limit = detect_nvidia({detect.FORCE_CUDA_DRIVER_VERSION: "12.1000"}, NoGpu()).properties
    assert at_limit is not None
    assert len(at_limit.features[0].values) == CUDA_MAX_VALUES
    huge = detect_nvidia({detect.FORCE_CUDA_DRIVER_VERSION: "12.999999999999"}, NoGpu())
    assert huge.properties is None


@pytest.mark.parametrize(
    ("tag", "machine"),
    [
        ("linux_x86_64", "x86_64"),
        ("manylinux_2_28_aarch64", "aarch64"),
        ("manylinux2014_x86_64", "x86_64"),
        ("musllinux_1_2_aarch64", "aarch64"),
        ("win_amd64", "amd64"),
        ("win_arm64", "arm64"),
        ("macosx_11_0_arm64", "arm64"),
        ("macosx_10_9_x86_64", "x86_64"),
        ("linux_i686", "i686"),
        ("macosx_11_0_universal2", "macosx_11_0_universal2"),
        ("any", "any"),
    ],
)
def test_machine_of_platform_tag(tag: str, machine: str) -> None:
    from wheelnext_pip.variants.detect import machine_of_platform_tag

    assert machine_of_platform_tag(tag) == machine


def test_an_explicit_target_answers_the_baseline_uv_assumes() -> None:
    from wheelnext_pip.variants.detect import detect_builtin

    x86 = detect_builtin("x86_64", environ={}, target_machine="x86_64", package="")
    assert x86.properties is not None
    assert [f.supported_values for f in x86.properties] == [("v2", "v1")]
    arm = detect_builtin("aarch64", environ={}, target_machine="aarch64", package="")
    assert arm.properties is not None
    assert [f.supported_values for f in arm.properties] == [("8a",)]
    forced = {"NV_VARIANT_PROVIDER_FORCE_CUDA_DRIVER_VERSION": "12.8"}
    assert detect_builtin("nvidia", environ=forced, target_machine="x86_64").properties is None

"""CPU micro-architectures as the ``provider-variant-x86-64`` and ``provider-variant-aarch64``
plugins see them, so that the built-in providers answer what those plugins answer (PEP 850
lets an installer reimplement a provider instead of running it).

Both plugins (0.0.1.post2) ask the ``archspec`` library (0.2.5, vendored by them) for the host's
micro-architecture and report its generic level (``x86_64_v3`` -> ``level = v3, v2, v1``;
``armv8.2a`` -> ``version = 8.2a, 8.1a, 8a``) followed by one ``{flag} = on`` feature per CPU
flag of the *named* micro-architecture (not of the raw CPU), among the flags the plugin knows,
in the plugin's preference order. The table below holds archspec's facts for the two families
(name, vendor, parents, ARM ``CPU part``, flags); the matching rules are re-stated in
:func:`host_microarchitecture`. Pure: the caller reads ``/proc/cpuinfo`` or ``sysctl``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache

from wheelnext_pip.variants.properties import NamespaceProperties, SupportedFeature

__all__ = [
    "AARCH64_PLUGIN_FEATURES",
    "ARM_VENDORS",
    "X86_64_PLUGIN_FEATURES",
    "CpuDescription",
    "Microarchitecture",
    "aarch64_plugin_properties",
    "darwin_arm_model",
    "darwin_x86_64_flags",
    "host_microarchitecture",
    "microarchitectures",
    "parse_cpuinfo",
    "x86_64_plugin_properties",
]

# (name, vendor, parents, ARM CPU part, flags): archspec 0.2.5 ``microarchitectures.json``,
# the x86_64 and aarch64 families, in the file's order (it breaks ties between equally deep
# candidates).
_X86_64_TABLE: tuple[tuple[str, str, tuple[str, ...], str, str], ...] = (
    (
        "x86_64",
        "generic",
        (),
        "",
        (""),
    ),
    (
        "x86_64_v2",
        "generic",
        ("x86_64",),
        "",
        ("cx16 lahf_lm mmx popcnt sse sse2 sse4_1 sse4_2 ssse3"),
    ),
    (
        "x86_64_v3",
        "generic",
        ("x86_64_v2",),
        "",
        (
            "abm avx avx2 bmi1 bmi2 cx16 f16c fma lahf_lm mmx movbe popcnt sse sse2 sse4_1 "
            "sse4_2 ssse3 xsave"
        ),
    ),
    (
        "x86_64_v4",
        "generic",
        ("x86_64_v3",),
        "",
        (
            "abm avx avx2 avx512bw avx512cd avx512dq avx512f avx512vl bmi1 bmi2 cx16 f16c fma "
            "lahf_lm mmx movbe popcnt sse sse2 sse4_1 sse4_2 ssse3 xsave"
        ),
    ),
    (
        "nocona",
        "GenuineIntel",
        ("x86_64",),
        "",
        ("mmx sse sse2 sse3"),
    ),
    (
        "core2",
        "GenuineIntel",
        ("nocona",),
        "",
        ("mmx sse sse2 ssse3"),
    ),
    (
        "nehalem",
        "GenuineIntel",
        ("core2", "x86_64_v2"),
        "",
        ("mmx popcnt sse sse2 sse4_1 sse4_2 ssse3"),
    ),
    (
        "westmere",
        "GenuineIntel",
        ("nehalem",),
        "",
        ("aes mmx pclmulqdq popcnt sse sse2 sse4_1 sse4_2 ssse3"),
    ),
    (
        "sandybridge",
        "GenuineIntel",
        ("westmere",),
        "",
        ("aes avx mmx pclmulqdq popcnt sse sse2 sse4_1 sse4_2 ssse3"),
    ),
    (
        "ivybridge",
        "GenuineIntel",
        ("sandybridge",),
        "",
        ("aes avx f16c mmx pclmulqdq popcnt rdrand sse sse2 sse4_1 sse4_2 ssse3"),
    ),
    (
        "haswell",
        "GenuineIntel",
        ("ivybridge", "x86_64_v3"),
        "",
        (
            "aes avx avx2 bmi1 bmi2 f16c fma mmx movbe pclmulqdq popcnt rdrand sse sse2 "
            "sse4_1 sse4_2 ssse3"
        ),
    ),
    (
        "broadwell",
        "GenuineIntel",
        ("haswell",),
        "",
        (
            "adx aes avx avx2 bmi1 bmi2 f16c fma mmx movbe pclmulqdq popcnt rdrand rdseed sse "
            "sse2 sse4_1 sse4_2 ssse3"
        ),
    ),
    (
        "skylake",
        "GenuineIntel",
        ("broadwell",),
        "",
        (
            "adx aes avx avx2 bmi1 bmi2 clflushopt f16c fma mmx movbe pclmulqdq popcnt rdrand "
            "rdseed sse sse2 sse4_1 sse4_2 ssse3 xsavec xsaveopt"
        ),
    ),
    (
        "mic_knl",
        "GenuineIntel",
        ("broadwell",),
        "",
        (
            "adx aes avx avx2 avx2 avx512cd avx512er avx512f avx512pf bmi1 bmi2 f16c fma mmx "
            "movbe pclmulqdq popcnt rdrand rdseed sse sse2 sse4_1 sse4_2 ssse3"
        ),
    ),
    (
        "skylake_avx512",
        "GenuineIntel",
        ("skylake", "x86_64_v4"),
        "",
        (
            "adx aes avx avx2 avx512bw avx512cd avx512dq avx512f avx512vl bmi1 bmi2 "
            "clflushopt clwb f16c fma mmx movbe pclmulqdq popcnt rdrand rdseed sse sse2 "
            "sse4_1 sse4_2 ssse3 xsavec xsaveopt"
        ),
    ),
    (
        "cannonlake",
        "GenuineIntel",
        ("skylake",),
        "",
        (
            "adx aes avx avx2 avx512bw avx512cd avx512dq avx512f avx512ifma avx512vbmi "
            "avx512vl bmi1 bmi2 clflushopt f16c fma mmx movbe pclmulqdq popcnt rdrand rdseed "
            "sha sse sse2 sse4_1 sse4_2 ssse3 xsavec xsaveopt"
        ),
    ),
    (
        "cascadelake",
        "GenuineIntel",
        ("skylake_avx512",),
        "",
        (
            "adx aes avx avx2 avx512_vnni avx512bw avx512cd avx512dq avx512f avx512vl bmi1 "
            "bmi2 clflushopt clwb f16c fma mmx movbe pclmulqdq popcnt rdrand rdseed sse sse2 "
            "sse4_1 sse4_2 ssse3 xsavec xsaveopt"
        ),
    ),
    (
        "icelake",
        "GenuineIntel",
        ("cascadelake", "cannonlake"),
        "",
        (
            "adx aes avx avx2 avx512_bitalg avx512_vbmi2 avx512_vnni avx512_vpopcntdq "
            "avx512bw avx512cd avx512dq avx512f avx512ifma avx512vbmi avx512vl bmi1 bmi2 "
            "clflushopt clwb f16c fma gfni mmx movbe pclmulqdq popcnt rdpid rdrand rdseed "
            "sha_ni sse sse2 sse4_1 sse4_2 ssse3 vaes vpclmulqdq xsavec xsaveopt"
        ),
    ),
    (
        "sapphirerapids",
        "GenuineIntel",
        ("icelake",),
        "",
        (
            "adx aes amx_bf16 amx_int8 amx_tile avx avx2 avx512_bf16 avx512_bitalg "
            "avx512_vbmi2 avx512_vnni avx512_vpopcntdq avx512bw avx512cd avx512dq avx512f "
            "avx512ifma avx512vbmi avx512vl bmi1 bmi2 cldemote clflushopt clwb f16c fma gfni "
            "mmx movbe movdir64b movdiri pclmulqdq popcnt rdpid rdrand rdseed serialize "
            "sha_ni sse sse2 sse4_1 sse4_2 ssse3 vaes vpclmulqdq waitpkg xsavec xsaveopt"
        ),
    ),
    (
        "k10",
        "AuthenticAMD",
        ("x86_64",),
        "",
        ("3dnow 3dnowext abm cx16 mmx sse sse2 sse4a"),
    ),
    (
        "bulldozer",
        "AuthenticAMD",
        ("x86_64_v2",),
        "",
        ("abm aes avx cx16 fma4 mmx pclmulqdq sse sse2 sse4_1 sse4_2 sse4a ssse3 xop"),
    ),
    (
        "piledriver",
        "AuthenticAMD",
        ("bulldozer",),
        "",
        (
            "abm aes avx bmi1 cx16 f16c fma fma4 mmx pclmulqdq sse sse2 sse4_1 sse4_2 sse4a "
            "ssse3 tbm xop"
        ),
    ),
    (
        "steamroller",
        "AuthenticAMD",
        ("piledriver",),
        "",
        (
            "abm aes avx bmi1 cx16 f16c fma fma4 fsgsbase mmx pclmulqdq sse sse2 sse4_1 "
            "sse4_2 sse4a ssse3 tbm xop"
        ),
    ),
    (
        "excavator",
        "AuthenticAMD",
        ("steamroller", "x86_64_v3"),
        "",
        (
            "abm aes avx avx2 bmi1 bmi2 cx16 f16c fma fma4 fsgsbase mmx movbe pclmulqdq sse "
            "sse2 sse4_1 sse4_2 sse4a ssse3 tbm xop"
        ),
    ),
    (
        "zen",
        "AuthenticAMD",
        ("x86_64_v3",),
        "",
        (
            "abm aes avx avx2 bmi1 bmi2 clflushopt clzero cx16 f16c fma fsgsbase mmx movbe "
            "pclmulqdq popcnt rdseed sse sse2 sse4_1 sse4_2 sse4a ssse3 xsavec xsaveopt"
        ),
    ),
    (
        "zen2",
        "AuthenticAMD",
        ("zen",),
        "",
        (
            "abm aes avx avx2 bmi1 bmi2 clflushopt clwb clzero cx16 f16c fma fsgsbase mmx "
            "movbe pclmulqdq popcnt rdseed sse sse2 sse4_1 sse4_2 sse4a ssse3 xsavec xsaveopt"
        ),
    ),
    (
        "zen3",
        "AuthenticAMD",
        ("zen2",),
        "",
        (
            "abm aes avx avx2 bmi1 bmi2 clflushopt clwb clzero cx16 f16c fma fsgsbase mmx "
            "movbe pclmulqdq pku popcnt rdseed sse sse2 sse4_1 sse4_2 sse4a ssse3 vaes "
            "vpclmulqdq xsavec xsaveopt"
        ),
    ),
    (
        "zen4",
        "AuthenticAMD",
        ("zen3", "x86_64_v4"),
        "",
        (
            "abm aes avx avx2 avx512_bf16 avx512_bitalg avx512_vbmi2 avx512_vnni "
            "avx512_vpopcntdq avx512bw avx512cd avx512dq avx512f avx512ifma avx512vbmi "
            "avx512vl bmi1 bmi2 clflushopt clwb clzero cx16 f16c flush_l1d fma fsgsbase gfni "
            "mmx movbe pclmulqdq pku popcnt rdseed sse sse2 sse4_1 sse4_2 sse4a ssse3 vaes "
            "vpclmulqdq xsavec xsaveopt"
        ),
    ),
    (
        "zen5",
        "AuthenticAMD",
        ("zen4",),
        "",
        (
            "abm aes avx avx2 avx512_bf16 avx512_bitalg avx512_vbmi2 avx512_vnni "
            "avx512_vp2intersect avx512_vpopcntdq avx512bw avx512cd avx512dq avx512f "
            "avx512ifma avx512vbmi avx512vl avx_vnni bmi1 bmi2 clflushopt clwb clzero cppc "
            "cx16 f16c flush_l1d fma fsgsbase gfni ibrs_enhanced mmx movbe movdir64b movdiri "
            "pclmulqdq popcnt rdseed sse sse2 sse4_1 sse4_2 sse4a ssse3 tsc_adjust vaes "
            "vpclmulqdq xsavec xsaveopt"
        ),
    ),
)
_AARCH64_TABLE: tuple[tuple[str, str, tuple[str, ...], str, str], ...] = (
    (
        "aarch64",
        "generic",
        (),
        "",
        (""),
    ),
    (
        "armv8.1a",
        "generic",
        ("aarch64",),
        "",
        (""),
    ),
    (
        "armv8.2a",
        "generic",
        ("armv8.1a",),
        "",
        (""),
    ),
    (
        "armv8.3a",
        "generic",
        ("armv8.2a",),
        "",
        (""),
    ),
    (
        "armv8.4a",
        "generic",
        ("armv8.3a",),
        "",
        (""),
    ),
    (
        "armv8.5a",
        "generic",
        ("armv8.4a",),
        "",
        (""),
    ),
    (
        "armv9.0a",
        "generic",
        ("armv8.5a",),
        "",
        (""),
    ),
    (
        "thunderx2",
        "Cavium",
        ("armv8.1a",),
        "0x0af",
        ("aes asimd asimdrdm atomics cpuid crc32 evtstrm fp pmull sha1 sha2"),
    ),
    (
        "a64fx",
        "Fujitsu",
        ("armv8.2a",),
        "0x001",
        ("asimd asimdhp asimdrdm atomics cpuid crc32 dcpop evtstrm fcma fp fphp sha1 sha2 sve"),
    ),
    (
        "cortex_a72",
        "ARM",
        ("aarch64",),
        "0xd08",
        ("aes asimd cpuid crc32 evtstrm fp pmull sha1 sha2"),
    ),
    (
        "neoverse_n1",
        "ARM",
        ("cortex_a72", "armv8.2a"),
        "0xd0c",
        (
            "aes asimd asimddp asimdhp asimdrdm atomics cpuid crc32 dcpop evtstrm fp fphp "
            "lrcpc pmull sha1 sha2"
        ),
    ),
    (
        "neoverse_v1",
        "ARM",
        ("neoverse_n1", "armv8.4a"),
        "0xd40",
        (
            "aes asimd asimddp asimdfhm asimdhp asimdrdm atomics bf16 cpuid crc32 dcpodp "
            "dcpop dgh dit evtstrm fcma flagm fp fphp i8mm ilrcpc jscvt lrcpc pmull rng sha1 "
            "sha2 sha3 sha512 sve svebf16 svei8mm uscat"
        ),
    ),
    (
        "neoverse_v2",
        "ARM",
        ("neoverse_n1", "armv9.0a"),
        "0xd4f",
        (
            "aes asimd asimddp asimdfhm asimdhp asimdrdm atomics bf16 cpuid crc32 dcpodp "
            "dcpop evtstrm fcma flagm flagm2 fp fphp frint i8mm ilrcpc jscvt lrcpc pmull sb "
            "sha1 sha2 sha3 sha512 sve sve2 svebf16 svei8mm uscat"
        ),
    ),
    (
        "neoverse_n2",
        "ARM",
        ("neoverse_n1", "armv9.0a"),
        "0xd49",
        (
            "aes asimd asimddp asimdfhm asimdhp asimdrdm atomics bf16 cpuid crc32 dcpodp "
            "dcpop evtstrm fcma flagm flagm2 fp fphp frint i8mm ilrcpc jscvt lrcpc pmull sb "
            "sha1 sha2 sha3 sha512 sve sve2 svebf16 svei8mm uscat"
        ),
    ),
    (
        "m1",
        "Apple",
        ("armv8.4a",),
        "0x022",
        (
            "aes asimd asimddp asimdfhm asimdhp asimdrdm atomics cpuid crc32 dcpodp dcpop dit "
            "evtstrm fcma flagm flagm2 fp fphp frint ilrcpc jscvt lrcpc paca pacg pmull sb "
            "sha1 sha2 sha3 sha512 ssbs uscat"
        ),
    ),
    (
        "m2",
        "Apple",
        ("m1", "armv8.5a"),
        "0x032",
        (
            "aes asimd asimddp asimdfhm asimdhp asimdrdm atomics bf16 bti cpuid crc32 dcpodp "
            "dcpop dit ecv evtstrm fcma flagm flagm2 fp fphp frint i8mm ilrcpc jscvt lrcpc "
            "paca pacg pmull sb sha1 sha2 sha3 sha512 ssbs uscat"
        ),
    ),
)

#: ``provider-variant-x86-64``'s flags, most preferred first; each is reported as ``{flag} = on``
#: when the host's micro-architecture has it.
X86_64_PLUGIN_FEATURES: tuple[str, ...] = tuple(
    [
        "avx_vnni",
        "cppc",
        "ibrs_enhanced",
        "tsc_adjust",
        "flush_l1d",
        "movdir64b",
        "movdiri",
        "avx512_bf16",
        "avx512_bitalg",
        "avx512_vbmi2",
        "avx512_vnni",
        "avx512_vp2intersect",
        "avx512_vpopcntdq",
        "avx512ifma",
        "avx512vbmi",
        "rdpid",
        "sha_ni",
        "vaes",
        "vpclmulqdq",
        "clwb",
        "clzero",
        "avx512bw",
        "avx512cd",
        "avx512dq",
        "avx512f",
        "avx512vl",
        "clflushopt",
        "gfni",
        "rdseed",
        "xsavec",
        "xsaveopt",
        "adx",
        "avx2",
        "avx",
        "bmi2",
        "bmi1",
        "abm",
        "f16c",
        "fma",
        "movbe",
        "xsave",
        "rdrand",
        "aes",
        "pclmulqdq",
        "sse4a",
        "fsgsbase",
        "sse4_2",
        "sse4_1",
        "ssse3",
        "sse3",
        "cx16",
        "lahf_lm",
        "popcnt",
        "sse2",
        "sse",
        "mmx",
    ]
)
#: ``provider-variant-aarch64``'s flags, most preferred first. Its list has two entries that
#: are two flags run together (``btiecv``, ``asimdrdmatomics``); they never match, so they are
#: never reported, exactly as the plugin behaves.
AARCH64_PLUGIN_FEATURES: tuple[str, ...] = tuple(
    [
        "sve2",
        "flagm2",
        "frint",
        "sb",
        "btiecv",
        "paca",
        "pacg",
        "ssbs",
        "asimdfhm",
        "bf16",
        "dcpodp",
        "dgh",
        "dit",
        "flagm",
        "i8mm",
        "ilrcpc",
        "jscvt",
        "rng",
        "sha3",
        "sha512",
        "svebf16",
        "svei8mm",
        "uscat",
        "asimddp",
        "lrcpc",
        "asimdhp",
        "dcpop",
        "fcma",
        "fphp",
        "sve",
        "asimdrdmatomics",
        "aes",
        "asimd",
        "cpuid",
        "crc32",
        "evtstrm",
        "fp",
        "pmull",
        "sha1",
        "sha2",
    ]
)
#: Highest level each plugin reports (``x86_64_v4``; ``armv9.0a``).
_X86_64_MAX_LEVEL = 4
_AARCH64_MAX_VERSION = "armv9.0a"

#: ARM ``CPU implementer`` codes -> vendor names (archspec's conversion table).
ARM_VENDORS: Mapping[str, str] = {
    "0x41": "ARM",
    "0x42": "Broadcom",
    "0x43": "Cavium",
    "0x44": "DEC",
    "0x46": "Fujitsu",
    "0x48": "HiSilicon",
    "0x49": "Infineon Technologies AG",
    "0x4d": "Motorola",
    "0x4e": "Nvidia",
    "0x50": "APM",
    "0x51": "Qualcomm",
    "0x53": "Samsung",
    "0x56": "Marvell",
    "0x61": "Apple",
    "0x66": "Faraday",
    "0x68": "HXT",
    "0x69": "Intel",
}
#: macOS ``sysctl`` spellings -> the Linux flags they stand for (added, not replacing).
_DARWIN_FLAGS = {
    "sse4.1": ("sse4_1",),
    "sse4.2": ("sse4_2",),
    "avx1.0": ("avx",),
    "clfsopt": ("clflushopt",),
    "xsave": ("xsavec", "xsaveopt"),
}


@dataclass(frozen=True)
class Microarchitecture:
    """One known micro-architecture."""

    name: str
    vendor: str
    parents: tuple[str, ...]
    cpu_part: str
    features: frozenset[str]
    #: Every ancestor, nearest first, each once.
    ancestors: tuple[str, ...]

    @property
    def generic(self) -> bool:
        return self.vendor == "generic"


@dataclass(frozen=True)
class CpuDescription:
    """What the operating system says about the CPU: vendor, flags, and on ARM the part
    number (Linux) or the model name (macOS: ``m1``, ``m2`` or ``unknown``)."""

    vendor: str = "generic"
    features: frozenset[str] = frozenset()
    cpu_part: str = ""
    model: str = ""


def _build(
    table: Iterable[tuple[str, str, tuple[str, ...], str, str]],
) -> dict[str, Microarchitecture]:
    rows = {row[0]: row for row in table}
    built: dict[str, Microarchitecture] = {}

    def make(name: str) -> Microarchitecture:
        if name in built:
            return built[name]
        _, vendor, parents, cpu_part, flags = rows[name]
        ancestors: list[str] = list(parents)
        for parent in parents:
            for ancestor in make(parent).ancestors:
                if ancestor not in ancestors:
                    ancestors.append(ancestor)
        built[name] = Microarchitecture(
            name, vendor, parents, cpu_part, frozenset(flags.split()), tuple(ancestors)
        )
        return built[name]

    return {name: make(name) for name in rows}


@cache
def microarchitectures(family: str) -> Mapping[str, Microarchitecture]:
    """The known micro-architectures of ``x86_64`` or ``aarch64``, in the table's order."""
    return _build(_X86_64_TABLE if family == "x86_64" else _AARCH64_TABLE)


def _depth(target: Microarchitecture) -> tuple[int, int]:
    return len(target.ancestors), len(target.features)


def _best(targets: list[Microarchitecture]) -> Microarchitecture:
    """The deepest target, then the one with most flags; the first in table order on a tie."""
    best = targets[0]
    for target in targets[1:]:
        if _depth(target) > _depth(best):
            best = target
    return best


def _compatible(family: str, cpu: CpuDescription, target: Microarchitecture, darwin: bool) -> bool:
    known = microarchitectures(family)
    if family == "aarch64":
        if target.generic and target.name != "aarch64":
            return False  # ARM architecture versions cannot be told from the flags
        if target.vendor not in (cpu.vendor, "generic"):
            return False
        if darwin:  # macOS gives the model, not the flags
            model = known.get(cpu.model)
            if model is None:
                raise LookupError(f"unknown Apple model {cpu.model!r}")
            return target.name == model.name or target.name in model.ancestors
        return target.features <= cpu.features
    return target.vendor in (cpu.vendor, "generic") and target.features <= cpu.features


def host_microarchitecture(
    family: str, cpu: CpuDescription, *, darwin: bool = False
) -> Microarchitecture:
    """The micro-architecture archspec names for this CPU.

    Among the known targets of the family the CPU is compatible with (same vendor or generic;
    every flag present), take the best generic one; on ARM prefer the targets with the CPU's
    part number; then the deepest target descending from that generic one (fewest missing
    niche flags cannot demote a CPU below its generic level), or the generic one itself.
    Raises ``LookupError`` where archspec fails (an unknown Apple model).
    """
    known = microarchitectures(family)
    candidates = [target for target in known.values() if _compatible(family, cpu, target, darwin)]
    best_generic = _best([target for target in candidates if target.generic])
    if cpu.cpu_part and any(target.cpu_part == cpu.cpu_part for target in candidates):
        candidates = [target for target in candidates if target.cpu_part == cpu.cpu_part]
    descendants = [target for target in candidates if best_generic.name in target.ancestors]
    return _best(descendants) if descendants else best_generic


def _generic_of(family: str, target: Microarchitecture) -> Microarchitecture:
    known = microarchitectures(family)
    lineage = [target, *(known[name] for name in target.ancestors)]
    return _best_by_ancestors([item for item in lineage if item.generic])


def _best_by_ancestors(targets: list[Microarchitecture]) -> Microarchitecture:
    best = targets[0]
    for target in targets[1:]:
        if len(target.ancestors) > len(best.ancestors):
            best = target
    return best


def _has(target: Microarchitecture, flag: str) -> bool:
    # archspec's one alias that concerns these plugins: ``sse3`` is implied by ``ssse3``.
    return flag in target.features or (flag == "sse3" and "ssse3" in target.features)


def _flag_features(target: Microarchitecture, flags: Iterable[str]) -> list[SupportedFeature]:
    return [SupportedFeature(flag, ("on",)) for flag in flags if _has(target, flag)]


def x86_64_plugin_properties(host: Microarchitecture | None) -> NamespaceProperties:
    """What ``provider-variant-x86-64`` answers for a host of this micro-architecture:
    ``level`` from its generic level (capped at v4), then its flags; nothing when the host
    is not an x86-64 of level 2 or more (the plugin has no ``v1`` host: archspec calls the
    baseline ``x86_64``)."""
    if host is None or host.name not in microarchitectures("x86_64"):
        return NamespaceProperties("x86_64")
    generic = _generic_of("x86_64", host)
    if not generic.name.startswith("x86_64_v"):
        return NamespaceProperties("x86_64")
    top = min(int(generic.name[len("x86_64_v") :]), _X86_64_MAX_LEVEL)
    level = SupportedFeature("level", tuple(f"v{n}" for n in range(top, 0, -1)))
    return NamespaceProperties("x86_64", (level, *_flag_features(host, X86_64_PLUGIN_FEATURES)))


def _arm_version(name: str) -> str:
    return "8a" if name == "aarch64" else name[len("armv") :]


def aarch64_plugin_properties(host: Microarchitecture | None) -> NamespaceProperties:
    """What ``provider-variant-aarch64`` answers for a host of this micro-architecture:
    ``version`` from its generic architecture version down to ``8a`` (capped at 9.0a), then
    its flags; nothing when the host is not an aarch64."""
    known = microarchitectures("aarch64")
    if host is None or host.name not in known:
        return NamespaceProperties("aarch64")
    generic = _generic_of("aarch64", host)
    if _AARCH64_MAX_VERSION in generic.ancestors:
        generic = known[_AARCH64_MAX_VERSION]
    versions = tuple(_arm_version(name) for name in (generic.name, *generic.ancestors))
    version = SupportedFeature("version", versions)
    return NamespaceProperties("aarch64", (version, *_flag_features(host, AARCH64_PLUGIN_FEATURES)))


def parse_cpuinfo(text: str, family: str) -> CpuDescription:
    """The first processor of a Linux ``/proc/cpuinfo``: ``vendor_id`` and ``flags`` on
    x86-64; the vendor of ``CPU implementer``, ``Features`` and ``CPU part`` on aarch64."""
    data: dict[str, str] = {}
    for line in text.splitlines():
        key, separator, value = line.partition(":")
        if separator != ":" and data:
            break  # the blank line after the first processor
        data[key.strip()] = value.strip()
    if family == "aarch64":
        implementer = data.get("CPU implementer")
        vendor = "generic" if implementer is None else ARM_VENDORS.get(implementer, implementer)
        return CpuDescription(
            vendor, frozenset(data.get("Features", "").split()), data.get("CPU part", "")
        )
    return CpuDescription(
        data.get("vendor_id", "generic"), frozenset(data.get("flags", "").split())
    )


def darwin_x86_64_flags(features: str, leaf7_features: str) -> frozenset[str]:
    """macOS ``machdep.cpu.features`` and ``leaf7_features`` as Linux flags."""
    flags = set(f"{features} {leaf7_features}".lower().split())
    for darwin, linux in _DARWIN_FLAGS.items():
        if darwin in flags:
            flags.update(linux)
    return frozenset(flags)


def darwin_arm_model(brand: str) -> str:
    """The Apple model archspec derives from ``machdep.cpu.brand_string``."""
    lowered = brand.lower()
    if "m2" in lowered:
        return "m2"
    if "m1" in lowered or "apple" in lowered:
        return "m1"
    return "unknown"

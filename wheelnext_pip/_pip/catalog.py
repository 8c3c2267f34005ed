"""Every patch set wheelnext-pip knows, infrastructure first, then one per feature.

A feature's patch module, and the policy modules behind it, are imported when a command
first asks for that feature's set: importing them is most of what wheelnext-pip adds to a
pip run, and a run pays only for the features it uses.
"""

from __future__ import annotations

import sys
from importlib import import_module

from wheelnext_pip._pip.registry import PatchSet
from wheelnext_pip._settings import Settings

#: Applied whenever wheelnext-pip is on, whatever features are requested: (patch module,
#: name of its set). Named, not imported, so that the command layer, which applies them,
#: can be imported by them without an import circle.
INFRASTRUCTURE_MODULES: tuple[tuple[str, str], ...] = (
    ("wheelnext_pip._pip.cli", "MESSAGES"),
    ("wheelnext_pip._pip.cli", "CORE"),
    ("wheelnext_pip._pip.cli", "OPTIONS"),
    ("wheelnext_pip._pip.cli", "IMPORT_GUARD"),
    ("wheelnext_pip._pip.report", "REPORT"),
)

#: feature name -> (patch module, name of its set). A feature issue adds its set here.
FEATURE_MODULES: dict[str, tuple[str, str]] = {
    "symlinks": ("wheelnext_pip._pip.symlinks", "SYMLINKS"),
    "default-extras": ("wheelnext_pip._pip.default_extras", "DEFAULT_EXTRAS"),
    "build-isolation": ("wheelnext_pip._pip.build_isolation", "BUILD_ISOLATION"),
    "index-groups": ("wheelnext_pip._pip.index_groups", "INDEX_GROUPS"),
    "variants": ("wheelnext_pip._pip.variants", "VARIANTS"),
}
#: feature name -> further sets of that feature, applied after its main set, each for the
#: commands it names (variant markers matter wherever pip reads dependencies; the symlinks
#: installer set waits until pip imports its wheel installer).
FEATURE_EXTRA_MODULES: dict[str, tuple[tuple[str, str], ...]] = {
    "symlinks": (("wheelnext_pip._pip.symlinks", "SYMLINKS_INSTALL"),),
    "variants": (
        ("wheelnext_pip._pip.variants", "VARIANTS_LISTING"),
        ("wheelnext_pip._pip.variant_markers", "VARIANT_MARKERS"),
        ("wheelnext_pip._pip.variant_lock", "VARIANT_LOCK"),
        ("wheelnext_pip._pip.variant_lock", "VARIANT_LOCK_INSTALL"),
    ),
}


def _named_set(module_name: str, attribute: str) -> PatchSet:
    patch_set = getattr(import_module(module_name), attribute)
    assert isinstance(patch_set, PatchSet)
    return patch_set


def infrastructure_sets() -> tuple[PatchSet, ...]:
    return tuple(_named_set(*names) for names in INFRASTRUCTURE_MODULES)


def feature_set(name: str) -> PatchSet:
    """A feature's patch set (its modules are imported on first use)."""
    return _named_set(*FEATURE_MODULES[name])


def feature_sets(name: str) -> tuple[PatchSet, ...]:
    """Every set of a feature: its main set first, then its further sets."""
    extras = tuple(_named_set(*names) for names in FEATURE_EXTRA_MODULES.get(name, ()))
    return (feature_set(name), *extras)


def may_change_anything(name: str, settings: Settings) -> bool:
    """False when the settings leave a feature nothing to do, decided without importing it
    (index groups with only ``default`` and no pins). The set's own ``needed`` has the last
    word once it is imported."""
    if name == "index-groups":
        return settings.ranks_indexes
    return True


def all_sets() -> tuple[PatchSet, ...]:
    return infrastructure_sets() + tuple(
        patch_set for name in FEATURE_MODULES for patch_set in feature_sets(name)
    )


def late_imports() -> list[str]:
    """Modules the loaded features' hooks import only when a run needs them (pip 26.3
    imports these before its install-time import guard, with ours that are loaded)."""
    names: list[str] = []
    modules = [*FEATURE_MODULES.values()]
    modules += [names for extras in FEATURE_EXTRA_MODULES.values() for names in extras]
    for module_name, _ in modules:
        module = sys.modules.get(module_name)
        names += getattr(module, "LATE_IMPORTS", ())
    return names

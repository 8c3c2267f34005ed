"""Every patch set wheelnext-pip knows, infrastructure first, then one per feature."""

from __future__ import annotations

from wheelnext_pip._pip import build, cli, finder, installer, report, resolver, variants
from wheelnext_pip._pip.registry import PatchSet

#: Applied whenever wheelnext-pip is on, whatever features are requested.
INFRASTRUCTURE: tuple[PatchSet, ...] = (cli.MESSAGES, cli.CORE, cli.OPTIONS, report.REPORT)

#: feature name -> its patch set. A feature issue adds its set here.
FEATURE_SETS: dict[str, PatchSet] = {
    installer.FEATURE: installer.SYMLINKS,
    resolver.FEATURE: resolver.DEFAULT_EXTRAS,
    build.FEATURE: build.BUILD_ISOLATION,
    finder.FEATURE: finder.INDEX_GROUPS,
    variants.FEATURE: variants.VARIANTS,
}


#: Modules the hooks import only when a run needs them (pip 26.3 imports these before its
#: install-time import guard, with ours that are already loaded).
LATE_IMPORTS: tuple[str, ...] = variants.LATE_IMPORTS + build.LATE_IMPORTS


def all_sets() -> tuple[PatchSet, ...]:
    return INFRASTRUCTURE + tuple(FEATURE_SETS.values())

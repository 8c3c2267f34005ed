"""Reading the ``[wheelnext]`` section through pip's own configuration loading.

So ``--isolated``, ``PIP_CONFIG_FILE`` (including ``/dev/null``) and the global, user,
site and environment-file scopes behave exactly as they do for pip's own options.
"""

from __future__ import annotations

import importlib

from wheelnext_pip._settings import FileEntry
from wheelnext_pip.errors import SettingsError

SECTION = "wheelnext"


def read_file_entries(isolated: bool) -> list[FileEntry]:
    """Every ``wheelnext.*`` value in pip's config files, lowest priority first."""
    configuration = importlib.import_module("pip._internal.configuration")
    config = configuration.Configuration(isolated=isolated)
    config.load()
    parsers = getattr(config, "_parsers", None)
    order = getattr(configuration, "OVERRIDE_ORDER", None)
    entries: list[FileEntry] = []
    if isinstance(parsers, dict) and order is not None:
        for variant in order:
            for file_name, parser in parsers.get(variant, ()):
                _refuse_misspelt_section(file_name, parser.sections())
                if parser.has_section(SECTION):
                    for key, value in parser.items(SECTION):
                        entries.append(FileEntry(_normalize(key), value, file_name))
        return entries
    # No per-file parsers in this pip: take the merged values without file names.
    for key, value in config.items():
        if isinstance(key, str) and key.startswith(SECTION + ".") and isinstance(value, str):
            entries.append(FileEntry(_normalize(key[len(SECTION) + 1 :]), value, "pip config"))
    return entries


def _normalize(key: str) -> str:
    return key.strip().lower().replace("_", "-")


def _refuse_misspelt_section(file_name: str, sections: list[str]) -> None:
    """``[WheelNext]`` would be silently ignored (section names are case-sensitive, as in
    pip's own ``[global]``/``[install]``): a protection must not vanish over a capital."""
    for section in sections:
        if section != SECTION and section.strip().lower() == SECTION:
            raise SettingsError(
                f"[{section}]",
                f"config file {file_name}",
                f"section names are case-sensitive: wheelnext-pip reads only [{SECTION}]",
            )

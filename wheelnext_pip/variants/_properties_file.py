"""Reads the ``variant-properties-file`` the user names (PEP 825: the supported properties
of another system, in place of detection). Private: the one file read of the variant
properties; parsing is :func:`wheelnext_pip.variants.properties.parse_properties_toml`.
"""

from __future__ import annotations

from pathlib import Path

from wheelnext_pip.variants.errors import VariantError
from wheelnext_pip.variants.properties import (
    PROPERTIES_FILE_SETTING,
    NamespaceProperties,
    parse_properties_toml,
)

__all__ = ["load_properties_file"]


def load_properties_file(path: str | Path) -> dict[str, NamespaceProperties]:
    """Read the ``variant-properties-file``; namespaces in the order written."""
    source = f"{PROPERTIES_FILE_SETTING} ({path})"
    try:
        text = Path(path).read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise VariantError(f"cannot read the file: {error}", source) from None
    return parse_properties_toml(text, source)

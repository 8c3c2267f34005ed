"""TOML reading in one place: ``tomllib`` (Python 3.11+) or its backport ``tomli``."""

from __future__ import annotations

import sys

__all__ = ["loads"]


def loads(text: str) -> dict[str, object]:
    """Parse a TOML document (imported on first use: few runs read one)."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python < 3.11
        import tomli as tomllib  # type: ignore[import-not-found, unused-ignore]
    loaded: dict[str, object] = tomllib.loads(text)
    return loaded

"""Project names compared as PEP 503 says, in one place.

Standard library only: the hooks that compare names run before pip has imported its
vendored ``packaging``, and importing our own copy would cost more than the comparison.
String methods rather than a regular expression: no pattern to compile at start-up, and
faster on the short names the hooks see.
"""

from __future__ import annotations

__all__ = ["canonicalize_name"]


def canonicalize_name(name: str) -> str:
    """The PEP 503 normalized form of a project (or extra, PEP 685) name: every run of
    ``-``, ``_`` and ``.`` becomes one ``-``, and letters are lower case."""
    text = name.lower().replace("_", "-").replace(".", "-")
    while "--" in text:
        text = text.replace("--", "-")
    return text

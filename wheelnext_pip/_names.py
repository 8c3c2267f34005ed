"""Project names compared as PEP 503 says, in one place.

Standard library only: the hooks that compare names run before pip has imported its
vendored ``packaging``, and importing our own copy would cost more than the comparison.
"""

from __future__ import annotations

import re

__all__ = ["canonicalize_name"]

_NAME_RUN = re.compile(r"[-_.]+")


def canonicalize_name(name: str) -> str:
    """The PEP 503 normalized form of a project (or extra, PEP 685) name."""
    return _NAME_RUN.sub("-", name).lower()

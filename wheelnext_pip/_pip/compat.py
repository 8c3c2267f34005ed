"""Facts about the running pip that more than one patch module needs."""

from __future__ import annotations

import sys
from collections.abc import Iterable

#: pip releases this version of wheelnext-pip activates for: [floor, ceiling).
SUPPORTED_FLOOR = (23, 0)
BEST_EFFORT_FLOOR = (22, 3)
CEILING = (27, 0)
SUPPORTED_TEXT = "23.0 to 26.x, 22.3 best effort"


def pip_version_text() -> str:
    pip = sys.modules.get("pip")
    return str(getattr(pip, "__version__", "unknown"))


def parse_release(text: str) -> tuple[int, ...]:
    """Leading numeric release of a version string: ``"26.1.2"`` -> ``(26, 1, 2)``."""
    numbers: list[int] = []
    for part in text.split("."):
        digits = ""
        for char in part:
            if not char.isdigit():
                break
            digits += char
        if not digits:
            break
        numbers.append(int(digits))
        if len(digits) != len(part):
            break
    return tuple(numbers)


def support_level(version_text: str) -> str:
    """``supported``, ``best-effort`` or ``unsupported``."""
    release = parse_release(version_text)
    if not release:
        return "unsupported"
    if SUPPORTED_FLOOR <= release < CEILING:
        return "supported"
    if BEST_EFFORT_FLOOR <= release < SUPPORTED_FLOOR:
        return "best-effort"
    return "unsupported"


def register_eager_imports(module_names: Iterable[str]) -> bool:
    """Tell pip 26.3+ which modules our hooks use during installation.

    pip 26.3 blocks every import that was not done before installation starts; modules
    listed in ``pip._EAGER_IMPORTS`` are imported before the block. Returns whether pip
    has that list.
    """
    eager = getattr(sys.modules.get("pip"), "_EAGER_IMPORTS", None)
    if not isinstance(eager, set):
        return False
    eager.update(module_names)
    return True


def our_module_names() -> list[str]:
    return sorted(
        name for name in sys.modules if name == "wheelnext_pip" or name.startswith("wheelnext_pip.")
    )

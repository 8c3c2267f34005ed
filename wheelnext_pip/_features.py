"""The feature names and the parsing of ``WHEELNEXT_PIP``."""

from __future__ import annotations

from dataclasses import dataclass

from wheelnext_pip.errors import SettingsError

__all__ = ["AVAILABLE", "FEATURES", "Switch", "parse_switch"]

#: Every feature the contract names, in the order documentation lists them.
FEATURES: tuple[str, ...] = (
    "variants",
    "default-extras",
    "index-groups",
    "symlinks",
    "build-isolation",
)

#: The features this version implements; ``WHEELNEXT_PIP=1`` means all of these.
AVAILABLE: frozenset[str] = frozenset(
    {"default-extras", "symlinks", "build-isolation", "index-groups", "variants"}
)

#: Test-only: a file to which activation appends one JSON line per event. The one
#: ``WHEELNEXT_PIP_*`` variable that is not a setting.
EVENT_LOG_VARIABLE = "WHEELNEXT_PIP_EVENT_LOG"

OFF_VALUES = frozenset({"", "0", "off", "false"})
ALL_VALUES = frozenset({"1", "on", "true", "all"})


def _valid_values_text() -> str:
    return (
        "valid values: 1, on, true, all (every feature); 0, off, false or unset (inert); "
        "or a comma-separated list of: " + ", ".join(FEATURES)
    )


@dataclass(frozen=True)
class Switch:
    """What ``WHEELNEXT_PIP`` asks for."""

    on: bool
    #: Features requested. ``1``/``all`` request every feature this version implements;
    #: a list may name one that is not implemented yet (reported, never silently dropped).
    features: frozenset[str]

    @property
    def unavailable(self) -> frozenset[str]:
        return self.features - AVAILABLE


def parse_switch(value: str | None) -> Switch:
    """Parse a ``WHEELNEXT_PIP`` value.

    Raises :class:`SettingsError` for anything that is not a valid value, so that a typo
    never silently switches a protection off.
    """
    text = (value or "").strip().lower()
    if text in OFF_VALUES:
        return Switch(on=False, features=frozenset())
    if text in ALL_VALUES:
        return Switch(on=True, features=AVAILABLE)
    names = [part.strip() for part in text.split(",")]
    unknown = [name for name in names if name not in FEATURES]
    if unknown or not any(names):
        shown = ", ".join(repr(name) for name in unknown) or repr(value)
        raise SettingsError(
            "WHEELNEXT_PIP", "environment", f"unknown value {shown}; {_valid_values_text()}"
        )
    return Switch(on=True, features=frozenset(names))

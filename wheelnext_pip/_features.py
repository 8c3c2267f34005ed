"""The feature names and the parsing of ``WHEELNEXT_PIP``."""

from __future__ import annotations

from collections.abc import Iterable

from wheelnext_pip._record import record
from wheelnext_pip.errors import SettingsError

__all__ = ["AVAILABLE", "FEATURES", "Switch", "closest", "did_you_mean", "parse_switch"]

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

#: Words people type for on and off that are not valid values; each gets a suggestion.
_SYNONYMS = {
    "yes": "1",
    "y": "1",
    "enable": "1",
    "enabled": "1",
    "everything": "all",
    "no": "0",
    "n": "0",
    "none": "0",
    "disable": "0",
    "disabled": "0",
}


def closest(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate closest to a mistyped ``word``, or None when none is close.

    ``_`` and ``-`` are interchangeable and case is ignored when comparing, so
    ``index_groups`` finds ``index-groups``.
    """
    import difflib  # only on the error path: pip's start-up never pays for it

    folded = {choice.lower().replace("_", "-"): choice for choice in candidates}
    key = word.strip().lower().replace("_", "-")
    if key in folded:
        return folded[key]
    close = difflib.get_close_matches(key, list(folded), n=1, cutoff=0.6)
    return folded[close[0]] if close else None


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """`` (did you mean X?)`` for the closest candidate, or ``""`` when none is close."""
    match = closest(word, candidates)
    return f" (did you mean {match}?)" if match else ""


def _valid_values_text() -> str:
    return (
        "valid values: 1, on, true, all (every feature); 0, off, false or unset (inert); "
        "or a comma-separated list of: " + ", ".join(FEATURES)
    )


@record(frozen=True)
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
    if "," in text and "" in names:
        position = names.index("") + 1
        raise SettingsError(
            "WHEELNEXT_PIP",
            "environment",
            f"item {position} of {value!r} is empty (a doubled, leading or trailing comma); "
            f"{_valid_values_text()}",
        )
    unknown = [name for name in names if name not in FEATURES]
    if unknown:
        word = unknown[0]
        hint = ""
        if len(names) == 1 and word in _SYNONYMS:
            hint = f" (did you mean {_SYNONYMS[word]}?)"
        elif len(names) == 1:
            hint = did_you_mean(word, [*FEATURES, *sorted(ALL_VALUES), *sorted(OFF_VALUES - {""})])
        else:
            hint = did_you_mean(word, FEATURES)
        shown = ", ".join(repr(name) for name in unknown)
        raise SettingsError(
            "WHEELNEXT_PIP",
            "environment",
            f"unknown value {shown}{hint}; {_valid_values_text()}",
        )
    return Switch(on=True, features=frozenset(names))

"""Every ``wheelnext`` setting: where it comes from, how it is parsed, what it means.

Pure: the caller hands in the environment and the ``[wheelnext]`` entries that pip's own
configuration loading found, so this module imports neither pip nor anything heavy.
The environment wins over files; every malformed value is a :class:`SettingsError`
naming the setting and its source.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from typing import Callable, Union
from urllib.parse import urlsplit

from wheelnext_pip._features import EVENT_LOG_VARIABLE, Switch, closest, did_you_mean, parse_switch
from wheelnext_pip._names import canonicalize_name
from wheelnext_pip._record import field, record
from wheelnext_pip.errors import SettingsError

__all__ = [
    "ENV_PREFIX",
    "EVENT_LOG_VARIABLE",
    "SETTING_KEYS",
    "FileEntry",
    "IndexGroup",
    "NameSelection",
    "Settings",
    "canonicalize_name",
    "env_variable",
    "normalize_index_url",
    "resolve_settings",
]

ENV_PREFIX = "WHEELNEXT_PIP_"
DEFAULT_GROUP = "default"

# Patterns, not compiled ones: ``re`` compiles each on first use (and keeps it), so a run
# whose settings name nothing pays nothing for them at start-up.
_PROJECT_NAME = r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$"  # with re.IGNORECASE
_GROUP_NAME = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
_NAMESPACE = r"^[a-z0-9_]+$"
_LABEL = r"^[a-z0-9_.]+$"  # PEP 825 v0.1.1 dropped the 16-character cap


_DEFAULT_PORTS = {"http": 80, "https": 443}


def normalize_index_url(url: str) -> str:
    """The identity of an index base URL: no credentials or fragment, lower-case scheme
    and host, no default port, one trailing ``/``. The path keeps its case."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = host if port is None or port == _DEFAULT_PORTS.get(scheme) else f"{host}:{port}"
    path = parts.path.rstrip("/") + "/"
    query = f"?{parts.query}" if parts.query else ""
    return f"{scheme}://{netloc}{path}{query}"


def env_variable(key: str) -> str:
    """``index-groups`` -> ``WHEELNEXT_PIP_INDEX_GROUPS``."""
    return ENV_PREFIX + key.upper().replace("-", "_")


@record(frozen=True)
class FileEntry:
    """One ``wheelnext.<key>`` value found by pip's configuration loading."""

    key: str
    value: str
    source: str


@record(frozen=True)
class IndexGroup:
    """A named, ranked set of simple-index URLs; ``default`` stands for pip's own indexes."""

    name: str
    urls: tuple[str, ...]

    @property
    def is_default(self) -> bool:
        return self.name == DEFAULT_GROUP


@record(frozen=True)
class NameSelection:
    """``:all:`` or a set of canonical project names."""

    everything: bool = False
    names: frozenset[str] = frozenset()

    def __contains__(self, project: object) -> bool:
        return isinstance(project, str) and (
            self.everything or canonicalize_name(project) in self.names
        )

    def __bool__(self) -> bool:
        return self.everything or bool(self.names)

    def __str__(self) -> str:
        return ":all:" if self.everything else ", ".join(sorted(self.names))


Value = Union[str, None, frozenset[str], tuple[IndexGroup, ...], Mapping[str, str], NameSelection]


@record(frozen=True)
class Settings:
    """The effective settings of one pip run."""

    switch: Switch
    index_groups: tuple[IndexGroup, ...] = (IndexGroup(DEFAULT_GROUP, ()),)
    index_strategy: str = "first-match"
    index_pins: Mapping[str, str] = field(default_factory=dict)
    index_on_error: str = "stop"
    variant_properties_file: str | None = None
    enable_providers: frozenset[str] = frozenset()
    disable_providers: frozenset[str] = frozenset()
    trust_providers: frozenset[str] = frozenset()
    variant_labels: Mapping[str, str] = field(default_factory=dict)
    no_default_extras: NameSelection = NameSelection()
    symlink_fallback: str = "error"
    no_build_isolation_package: frozenset[str] = frozenset()
    build_isolation_passthrough: frozenset[str] = frozenset()
    #: setting key -> where its value came from ("default" when not set anywhere).
    sources: Mapping[str, str] = field(default_factory=dict)

    @property
    def ranks_indexes(self) -> bool:
        """Whether index groups change anything: a group besides ``default``, or a pin."""
        return any(not group.is_default for group in self.index_groups) or bool(self.index_pins)

    def value(self, key: str) -> Value:
        result: Value = getattr(self, key.replace("-", "_"))
        return result


# -- value parsers: each takes the raw text and returns the typed value or raises ValueError


def _split_items(text: str, separators: str = ",") -> list[str]:
    pattern = "[" + re.escape(separators) + r"\n]"
    return [item.strip() for item in re.split(pattern, text) if item.strip()]


def _choice(*allowed: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        value = text.strip().lower()
        if value not in allowed:
            hint = did_you_mean(value, allowed)
            raise ValueError(
                f"invalid value {text.strip()!r}{hint} (expected one of: {', '.join(allowed)})"
            )
        return value

    return parse


def _project(name: str) -> str:
    if not re.match(_PROJECT_NAME, name, re.IGNORECASE):
        raise ValueError(f"{name!r} is not a valid project name")
    return canonicalize_name(name)


def _projects(text: str) -> frozenset[str]:
    return frozenset(_project(item) for item in _split_items(text, ", "))


def _namespaces(text: str) -> frozenset[str]:
    items = _split_items(text, ", ")
    for item in items:
        if not re.match(_NAMESPACE, item):
            raise ValueError(f"{item!r} is not a provider namespace (a-z, 0-9 and _)")
    return frozenset(items)


def _name_selection(text: str) -> NameSelection:
    items = _split_items(text, ", ")
    if ":all:" in items:
        if len(items) > 1:
            raise ValueError("':all:' cannot be combined with project names")
        return NameSelection(everything=True)
    return NameSelection(names=frozenset(_project(item) for item in items))


def _pairs(text: str, what: str) -> list[tuple[str, str]]:
    pairs = []
    for item in _split_items(text, ","):
        name, sep, value = item.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise ValueError(f"{item!r} is not of the form project={what}")
        pairs.append((_project(name.strip()), value.strip()))
    seen: set[str] = set()
    for name, _ in pairs:
        if name in seen:
            raise ValueError(f"project {name!r} is named twice")
        seen.add(name)
    return pairs


def _variant_labels(text: str) -> Mapping[str, str]:
    labels = dict(_pairs(text, "label"))
    for project, label in labels.items():
        if not re.match(_LABEL, label):
            raise ValueError(
                f"{label!r} (for {project}) is not a variant label (a-z, 0-9, _ and . only)"
            )
    return labels


def _index_pins(text: str) -> Mapping[str, str]:
    return dict(_pairs(text, "group"))


def _url(url: str, group: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https", "file") or (
        parts.scheme != "file" and not parts.hostname
    ):
        raise ValueError(f"group {group!r}: {url!r} is not an http(s) or file URL")
    try:
        parts.port  # noqa: B018 - a malformed port raises here
    except ValueError as exc:
        raise ValueError(f"group {group!r}: {url!r} has a malformed port") from exc
    return url


def _index_groups(text: str) -> tuple[IndexGroup, ...]:
    groups: list[IndexGroup] = []
    for item in _split_items(text, ";"):
        name, sep, urls_text = item.partition("=")
        name = name.strip()
        if not re.match(_GROUP_NAME, name):
            raise ValueError(f"{item!r}: expected NAME = URL [URL ...]")
        urls = tuple(_url(url, name) for url in urls_text.split())
        if name == DEFAULT_GROUP:
            if urls:
                raise ValueError(
                    "group 'default' stands for pip's own --index-url/--extra-index-url "
                    "and takes no URLs"
                )
        elif not sep or not urls:
            raise ValueError(f"group {name!r} is empty")
        if any(group.name == name for group in groups):
            raise ValueError(f"group {name!r} is defined twice")
        for url in urls:
            for group in groups:
                if any(normalize_index_url(url) == normalize_index_url(u) for u in group.urls):
                    raise ValueError(f"{url!r} is in both group {group.name!r} and {name!r}")
        groups.append(IndexGroup(name, urls))
    if not any(group.is_default for group in groups):
        groups.append(IndexGroup(DEFAULT_GROUP, ()))
    return tuple(groups)


def _path(text: str) -> str:
    path = os.path.expanduser(text.strip())
    if not path:
        raise ValueError("empty path")
    if not os.path.isfile(path):
        raise ValueError(f"{path!r} is not a file")
    return path


_PARSERS: dict[str, Callable[[str], Value]] = {
    "index-groups": _index_groups,
    "index-strategy": _choice("first-match", "fallthrough"),
    "index-pins": _index_pins,
    "index-on-error": _choice("stop", "next"),
    "variant-properties-file": _path,
    "enable-providers": _namespaces,
    "disable-providers": _namespaces,
    "trust-providers": _projects,
    "variant-labels": _variant_labels,
    "no-default-extras": _name_selection,
    "symlink-fallback": _choice("error", "copy"),
    "no-build-isolation-package": _projects,
    "build-isolation-passthrough": _projects,
}

#: Every setting key, in the order the README documents them.
SETTING_KEYS: tuple[str, ...] = tuple(_PARSERS)


def _check_unknown(environ: Mapping[str, str], entries: Iterable[FileEntry]) -> None:
    known_variables = {env_variable(key) for key in SETTING_KEYS} | {EVENT_LOG_VARIABLE}
    for name in sorted(environ):
        if name.startswith(ENV_PREFIX) and name not in known_variables:
            # Compare what follows the prefix: the shared prefix would make anything "close".
            match = closest(name[len(ENV_PREFIX) :], SETTING_KEYS)
            hint = f" (did you mean {env_variable(match)}?)" if match else ""
            raise SettingsError(name, "environment", "unknown setting" + hint)
    for entry in entries:
        if entry.key not in _PARSERS:
            raise SettingsError(
                f"wheelnext.{entry.key}",
                entry.source,
                "unknown setting" + did_you_mean(entry.key, SETTING_KEYS),
            )


def _check_consistency(values: dict[str, Value], sources: Mapping[str, str]) -> None:
    groups = values.get("index-groups")
    pins = values.get("index-pins")
    if isinstance(pins, Mapping):
        names = {group.name for group in groups} if isinstance(groups, tuple) else {DEFAULT_GROUP}
        for project, group in pins.items():
            if group not in names:
                raise SettingsError(
                    "index-pins",
                    sources["index-pins"],
                    f"{project} is pinned to group {group!r}, which index-groups does not "
                    f"define (groups: {', '.join(sorted(names))})",
                )


def resolve_settings(
    environ: Mapping[str, str],
    file_entries: Iterable[FileEntry] = (),
) -> Settings:
    """The effective settings from the environment and pip's configuration files.

    ``file_entries`` are listed lowest priority first (pip's override order), so a later
    entry for the same key wins; any environment variable wins over every file.
    """
    switch = parse_switch(environ.get("WHEELNEXT_PIP"))
    entries = list(file_entries)
    _check_unknown(environ, entries)

    raw: dict[str, tuple[str, str]] = {}
    for entry in entries:
        raw[entry.key] = (entry.value, f"config file {entry.source} [wheelnext] {entry.key}")
    for key in SETTING_KEYS:
        variable = env_variable(key)
        if variable in environ:
            raw[key] = (environ[variable], f"environment variable {variable}")

    values: dict[str, Value] = {}
    sources = {key: "default" for key in SETTING_KEYS}
    for key, (text, source) in raw.items():
        try:
            values[key] = _PARSERS[key](text)
        except ValueError as exc:
            raise SettingsError(key, source, str(exc)) from None
        sources[key] = source
    _check_consistency(values, sources)
    fields = {key.replace("-", "_"): value for key, value in values.items()}
    return Settings(switch=switch, sources=sources, **fields)  # type: ignore[arg-type]

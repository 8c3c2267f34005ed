"""Process-wide state of an activated wheelnext-pip: what was asked, applied and said.

Imports no pip. The patch layer writes here; ``doctor``, ``--report``, ``-v`` lines and
``explain`` read it. What one command learns is recorded through the named methods of
:class:`RunLedger`, never through attributes planted on pip's objects.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from typing import Any, Callable, TypeVar

from wheelnext_pip._features import EVENT_LOG_VARIABLE
from wheelnext_pip._record import field, record
from wheelnext_pip._settings import Settings, canonicalize_name
from wheelnext_pip.errors import SettingsError

logger = logging.getLogger("wheelnext_pip")

_Record = TypeVar("_Record")


@record
class PointStatus:
    """One hook point: ``applied``, ``skipped`` (with the reason) or ``reverted``."""

    key: str
    state: str
    reason: str = ""
    required: bool = True


@record
class PatchSetStatus:
    """All hook points of one feature (or infrastructure set): on only if all required applied."""

    name: str
    active: bool
    points: list[PointStatus] = field(default_factory=list)
    reason: str = ""


@record
class DefaultExtrasLedger:
    """What a run learns about default extras (PEP 771) while pip resolves.

    A project gets its defaults node only once one of its candidates is seen declaring
    ``Default-Extra``; a resolution that met such a project too late is run again with it
    known from the start (see ``_pip/default_extras.py``).
    """

    #: Projects that some candidate showed to declare a valid ``Default-Extra``. A fact
    #: about the projects, so it survives the resolver's restarts.
    declaring: set[str] = field(default_factory=set)
    #: Projects whose ``Default-Extra`` warning was given (once per project).
    warned_ignored: set[str] = field(default_factory=set)
    #: Projects named in the legacy resolver's "defaults not applied" warning.
    legacy_warned: set[str] = field(default_factory=set)
    #: (project, version) pairs whose "default extras added" line was printed.
    announced: set[tuple[str, str]] = field(default_factory=set)
    #: How often the resolution was run again (for ``-v`` and the benchmarks).
    restarts: int = 0
    #: id(requirement) -> requirement, for pip's Requirements parsed from ``name[]`` (the
    #: user's opt-out). The strong reference keeps the id from being reused; pip caches
    #: parsing, so this stays small.
    empty_brackets: dict[int, Any] = field(default_factory=dict)
    # Per attempt of the resolution:
    #: Projects first seen declaring defaults in this attempt.
    discovered_now: set[str] = field(default_factory=set)
    #: Projects named bare before they were known to declare defaults.
    bare_before: set[str] = field(default_factory=set)
    #: Requirements made from bare direct-URL requirements in that time.
    bare_links: list[Any] = field(default_factory=list)
    #: Project -> the requirements on its defaults node that its own candidates added.
    injected: dict[str, list[Any]] = field(default_factory=dict)

    def start_attempt(self) -> None:
        self.discovered_now.clear()
        self.bare_before.clear()
        self.bare_links.clear()
        self.injected.clear()


def _file_key(url: str) -> str:
    return url.split("#", 1)[0]


@record
class RunLedger:
    """What one pip command learns, in one place.

    Decisions are kept per project and per file (a file's URL without its fragment) in the
    shape of the ``wheelnext`` object of ``pip install --report``.
    """

    #: Keys of the messages already given (each is said once per run).
    said: set[str] = field(default_factory=set)
    #: canonical project name -> report fields decided for it.
    projects: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: file URL -> report fields that belong to that file (where it was listed, which
    #: variant it is).
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: Projects built against the target environment: their wheels are not cached.
    built_in_target: set[str] = field(default_factory=set)
    default_extras: DefaultExtrasLedger = field(default_factory=DefaultExtrasLedger)
    #: feature -> the working record its hooks keep for this run (variants: the judgment,
    #: sibling wheels, ranks), made on first use by the feature's own type.
    feature_records: dict[str, Any] = field(default_factory=dict)

    def feature_record(self, feature: str, make: Callable[[], _Record]) -> _Record:
        """The run's working record of ``feature``, made by ``make`` the first time."""
        record = self.feature_records.get(feature)
        if record is None:
            record = self.feature_records[feature] = make()
        return record

    def first_time(self, key: str) -> bool:
        """True the first time ``key`` is asked about in this run."""
        if key in self.said:
            return False
        self.said.add(key)
        return True

    def warn_once(self, key: str, message: str, level: int = logging.WARNING) -> None:
        if self.first_time(key):
            logger.log(level, "%s", message)

    def default_extras_added(self, project: str, defaults: list[str]) -> None:
        self.projects.setdefault(canonicalize_name(project), {})["default_extras"] = defaults

    def variant_chosen(self, url: str, label: str, properties: list[str]) -> None:
        fields = self.files.setdefault(_file_key(url), {})
        fields.update(variant_label=label, variant_properties=properties)

    def index_group_chosen(self, url: str, group: str, index_url: str) -> None:
        self.files.setdefault(_file_key(url), {}).update(index_group=group, index_url=index_url)

    def built_in_target_environment(self, project_key: str) -> None:
        self.built_in_target.add(project_key)

    def project_fields(self, project: str) -> dict[str, Any]:
        return self.projects.get(canonicalize_name(project), {})

    def file_fields(self, url: str) -> dict[str, Any]:
        return self.files.get(_file_key(url), {})


def _strings(value: object) -> tuple[str, ...]:
    return tuple(str(item) for item in value) if isinstance(value, (list, tuple)) else ()


@record(frozen=True)
class CommandContext:
    """What the command line of this pip run says, read once from pip's parsed options
    (when the command builds its index collector)."""

    #: pip's cache folder (None with ``--no-cache-dir``).
    cache_dir: str | None = None
    #: ``--require-hashes``.
    require_hashes: bool = False
    #: ``--target``, ``--prefix``, ``--user``: where pip installs, if not here.
    target_dir: str | None = None
    prefix: str | None = None
    user_site: bool = False
    #: The explicit target: ``--platform``, ``--python-version``, ``--implementation``,
    #: ``--abi`` (empty: this machine).
    platforms: tuple[str, ...] = ()
    python_version: tuple[int, ...] = ()
    implementation: str | None = None
    abis: tuple[str, ...] = ()

    @classmethod
    def from_options(cls, options: object) -> CommandContext:
        def text(name: str) -> str | None:
            value = getattr(options, name, None)
            return str(value) if value else None

        version = getattr(options, "python_version", None)
        return cls(
            cache_dir=text("cache_dir"),
            require_hashes=bool(getattr(options, "require_hashes", False)),
            target_dir=text("target_dir"),
            prefix=text("prefix_path"),
            user_site=bool(getattr(options, "use_user_site", False)),
            platforms=_strings(getattr(options, "platforms", None)),
            python_version=tuple(int(part) for part in version) if version else (),
            implementation=text("implementation"),
            abis=_strings(getattr(options, "abis", None)),
        )


@record
class State:
    settings: Settings | None = None
    settings_error: SettingsError | None = None
    patch_sets: dict[str, PatchSetStatus] = field(default_factory=dict)
    #: Patch sets whose hook raised an unexpected error: they fall back to stock pip.
    failed: set[str] = field(default_factory=set)
    #: Warnings held until pip has configured logging (so -q and --log apply).
    pending_warnings: list[str] = field(default_factory=list)
    logging_ready: bool = False
    #: The running command's parsed options (noted where pip builds its index collector):
    #: features read the cache folder, --require-hashes and the install target from here.
    command: CommandContext = field(default_factory=CommandContext)
    ledger: RunLedger = field(default_factory=RunLedger)

    @property
    def default_extras(self) -> DefaultExtrasLedger:
        return self.ledger.default_extras

    def is_live(self, name: str) -> bool:
        status = self.patch_sets.get(name)
        return status is not None and status.active and name not in self.failed


STATE = State()


def reset() -> None:
    global STATE
    STATE = State()


def record_event(event: str, **details: object) -> None:
    """Append one JSON line to the test-only event log, if one is configured."""
    path = os.environ.get(EVENT_LOG_VARIABLE)
    if not path:
        return
    entry = {"event": event, "pid": os.getpid(), "argv": sys.argv, "time": time.time()}
    entry.update(details)
    try:
        with open(path, "a", encoding="utf-8") as stream:
            stream.write(json.dumps(entry, default=str) + "\n")
    except OSError:
        pass

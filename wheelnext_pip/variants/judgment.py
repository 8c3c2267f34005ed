"""The judgment of releases with variant wheels (PEP 825 + PEP 850): pure policy.

A *release* is one version of one project as one source (an index page, or a
``--find-links`` folder) lists it. The source lists the release's ``-variants.json``; the
pages of one index group that list the same release are combined (PEP 825 "metadata
consistency"), ranked against what this machine supports, and each variant label gets
its place or the reason it is left out.

Everything the judgment needs from the world is handed in: fetching a metadata file, the
index group of a source, and the machine (its provider settings and its answer per
namespace). Nothing here imports pip or the run state, and nothing does I/O; the patch
layer decides when a release is judged (when pip's resolver first reaches it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Protocol

from wheelnext_pip.variants.errors import VariantError, VariantHashMismatch

if TYPE_CHECKING:
    from wheelnext_pip.variants.metadata import VariantMetadata
    from wheelnext_pip.variants.ordering import VariantRanking
    from wheelnext_pip.variants.properties import NamespaceProperties
    from wheelnext_pip.variants.providers import ProviderDecision, ProviderSettings

# The modules that parse, combine and rank are imported when a release is first judged:
# the patch layer imports this module with the feature, and most pip runs judge nothing.

__all__ = [
    "Judgment",
    "Machine",
    "MetadataPage",
    "ReleaseKey",
    "short",
]


@dataclass(frozen=True)
class ReleaseKey:
    """One release as one source lists it (the project name is canonical)."""

    project: str
    version: str
    #: The page (or ``--find-links`` folder) that lists the release's files.
    source: str


@dataclass(frozen=True)
class MetadataPage:
    """A ``-variants.json`` file one source lists for a release."""

    url: str
    #: What the injected fetch needs to get the file (the patch layer's link); opaque here.
    handle: Any = None


class Machine(Protocol):
    """What this machine supports, as the patch layer answers it."""

    @property
    def settings(self) -> ProviderSettings: ...

    def answer(self, decision: ProviderDecision) -> NamespaceProperties | None:
        """The properties a provider reports for one namespace (None: it cannot answer)."""

    def describe_origin(self, namespace: str, source: str) -> str:
        """Where a namespace's properties came from, in ``doctor``'s words."""


#: ``fetch(page)``: the parsed document, or the one-line reason it cannot be used.
Fetch = Callable[[MetadataPage], "VariantMetadata | str"]
#: ``warn(key, message)``: say ``message`` once per ``key`` in the run.
Warn = Callable[[str, str], None]


def short(text: str, limit: int = 200) -> str:
    """Untrusted text cut to a readable length, on one line."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _ignore_error(exc: BaseException) -> None:
    return None


@dataclass
class Judgment:
    """Every release judged in one run, with its injected I/O.

    ``ranking(key)`` judges a release on first use; the other methods read what was judged.
    """

    fetch: Fetch
    #: The index group of a source (sources of one group may describe a release together).
    group_of: Callable[[str], str]
    #: Builds the machine on first use; a broken setting raises from here (no release's fault).
    machine: Callable[[], Machine]
    #: ``variant-labels``: project -> the one label it must take.
    variant_labels: Mapping[str, str] = field(default_factory=dict)
    warn: Warn = lambda key, message: None
    #: Like ``warn``, for what only informs: where a namespace's properties came from when
    #: that was not detection (a provider off, not trusted, not declared).
    inform: Warn = lambda key, message: None
    #: Given the exception that made a release unusable (for a debug traceback).
    trace: Callable[[BaseException], None] = _ignore_error

    #: (project, version) -> source -> its metadata page, in the order pip listed sources.
    pages: dict[tuple[str, str], dict[str, MetadataPage]] = field(default_factory=dict)
    #: release -> its ranking, or why its variants are unusable.
    rankings: dict[ReleaseKey, VariantRanking | str] = field(default_factory=dict)
    #: release -> the (combined) document its ranking came from.
    documents: dict[ReleaseKey, VariantMetadata] = field(default_factory=dict)
    #: release -> namespace -> where its properties came from.
    provider_sources: dict[ReleaseKey, dict[str, str]] = field(default_factory=dict)
    #: release -> label -> why its wheels were left out (as pip met them).
    excluded: dict[ReleaseKey, dict[str, str]] = field(default_factory=dict)
    #: release -> the labels that have a wheel there.
    present_labels: dict[ReleaseKey, set[str]] = field(default_factory=dict)

    # -- what the sources list -----------------------------------------------------------

    def note_page(self, project: str, version: str, source: str, page: MetadataPage) -> None:
        """A source lists a release's ``-variants.json`` (the first listing of it counts)."""
        self.pages.setdefault((project, version), {}).setdefault(source, page)

    def note_labels(self, key: ReleaseKey, labels: Iterable[str]) -> None:
        """Wheels with these labels exist for the release."""
        self.present_labels.setdefault(key, set()).update(labels)

    def is_judged(self, key: ReleaseKey) -> bool:
        return key in self.rankings

    # -- judging ----------------------------------------------------------------------------

    def ranking(self, key: ReleaseKey) -> VariantRanking | str:
        """The release's ranking, judging it (and its group's pages) on first use; a string
        says why its variant wheels cannot be used."""
        if key not in self.rankings:
            pages = self.pages.get((key.project, key.version), {})
            if key.source in pages:
                self.machine()  # a broken setting stops pip (it is no fault of this release)
                try:
                    self._judge(key)
                except VariantHashMismatch:
                    raise  # pip checks hashes: never judge around a file that fails them
                except Exception as exc:
                    self._unusable(key, exc)
            else:
                reason = (
                    f"no {key.project}-{key.version}-variants.json is listed beside its "
                    "variant wheels"
                )
                self.warn(
                    f"missing:{(key.source, key.project, key.version)}",
                    f"{key.project} {key.version}: {reason}; its variant wheels are skipped",
                )
                self.rankings[key] = reason
        return self.rankings[key]

    def _judge(self, key: ReleaseKey) -> None:
        """Rank a release for every page of the source's index group that lists its metadata.

        PEP 825: documents of one release are combined; a page whose document disagrees with
        an earlier page (pip's order) has its variant wheels skipped. The pages that agree
        share one ranking, so their wheels compare in pip's sort.
        """
        from wheelnext_pip.index_groups import redact_url
        from wheelnext_pip.variants.metadata import combine_metadata
        from wheelnext_pip.variants.ordering import prefer_label, rank_variants
        from wheelnext_pip.variants.providers import resolve_supported_properties

        group = self.group_of(key.source)
        pages = self.pages.get((key.project, key.version), {})
        combined: VariantMetadata | None = None
        first_url = ""
        agreeing = []
        for source, page in pages.items():
            release = ReleaseKey(key.project, key.version, source)
            if release in self.rankings or self.group_of(source) != group:
                continue
            document = self.fetch(page)
            if isinstance(document, str):
                self.rankings[release] = document
                continue
            if combined is None:
                combined, first_url = document, page.url
            else:
                try:
                    combined = combine_metadata(combined, document)
                except VariantError as exc:
                    reason = (
                        f"{redact_url(page.url)} disagrees with {redact_url(first_url)}: "
                        f"{exc.problem}"
                    )
                    self.warn(
                        f"inconsistent:{page.url}", f"{reason}; its variant wheels are skipped"
                    )
                    self.rankings[release] = reason
                    continue
            agreeing.append(release)
        if combined is None:
            return
        machine = self.machine()
        supported, decisions = resolve_supported_properties(
            combined, machine.settings, machine.answer
        )
        origins = {}
        for namespace, decision in decisions.items():
            # Replacing detection is what the variant-properties-file is for: no warning.
            if decision.note and decision.source != "file":
                self.inform(f"note:{namespace}:{decision.note}", decision.note)
            origins[namespace] = machine.describe_origin(namespace, decision.source)
        ranking = rank_variants(combined.variants, combined.namespace_priorities, supported)
        abi = [ns for ns, decision in decisions.items() if decision.source == "abi-dependency"]
        if abi:
            ranking = _refuse_malformed_abi_values(ranking, combined, abi)
        label = self.variant_labels.get(key.project)
        if label is not None:
            ranking = prefer_label(ranking, label)
        for release in agreeing:
            self.rankings[release] = ranking
            self.documents[release] = combined
            self.provider_sources[release] = origins

    def _unusable(self, key: ReleaseKey, exc: Exception) -> None:
        """Anything that goes wrong while judging a release (a marker that parses but cannot
        be evaluated, a hostile document, a bug of ours) makes that release's variant wheels
        unusable, on every page of its group that was not judged yet; nothing else changes."""
        from wheelnext_pip.index_groups import redact_url

        pages = self.pages.get((key.project, key.version), {})
        page = pages.get(key.source)
        where = (
            redact_url(page.url)
            if page is not None
            else f"{key.project}-{key.version}-variants.json"
        )
        problem = exc.problem if isinstance(exc, VariantError) else f"{type(exc).__name__}: {exc}"
        reason = f"{where} could not be judged: {short(problem)}"
        group = self.group_of(key.source)
        for source in pages:
            release = ReleaseKey(key.project, key.version, source)
            if release not in self.rankings and self.group_of(source) == group:
                self.rankings[release] = reason
        self.rankings.setdefault(key, reason)
        self.warn(
            f"unjudged:{where}",
            f"{key.project} {key.version}: {reason}; its variant wheels are skipped",
        )
        self.trace(exc)

    # -- reading the judgment ------------------------------------------------------------

    def best_present_label(self, key: ReleaseKey) -> tuple[VariantRanking, str | None] | None:
        """The release's ranking (judging it on first use) and its best label that has a
        wheel; None when its variants cannot be judged."""
        ranking = self.ranking(key)
        if isinstance(ranking, str):
            return None
        present = self.present_labels.get(key, set())
        return ranking, next((name for name in ranking.labels if name in present), None)

    def may_take(self, key: ReleaseKey, label: str) -> bool:
        """Whether a wheel of this label is the one to take of the release (judging it):
        only the best eligible label that has a wheel. An eligible label that is not the
        best is just not taken; an ineligible one is noted with its reason."""
        judged = self.best_present_label(key)
        if judged is None:
            return False
        ranking, best = judged
        if label == best:
            return True
        if not ranking.is_eligible(label):
            self.exclude(key, ranking, label)
        return False

    def is_eligible(self, key: ReleaseKey, label: str | None) -> bool:
        """Whether the release's judgment lets this label (None: an ordinary file) be taken."""
        ranking = self.ranking(key)
        return not isinstance(ranking, str) and ranking.is_eligible(label)

    def exclusion_reason(self, key: ReleaseKey, ranking: VariantRanking, label: str) -> str:
        """Why a label of a judged release is left out."""
        if label in ranking.incompatible:
            return ranking.incompatible[label]
        document = self.documents.get(key)
        if document is not None and document.properties_of(label) is None:
            return "not listed in the variant metadata"
        wanted = self.variant_labels.get(key.project)
        return f"not the label variant-labels asks for ({wanted})"

    def exclude(self, key: ReleaseKey, ranking: VariantRanking, label: str) -> str:
        """Note that a label's wheels were left out; returns why."""
        reason = self.exclusion_reason(key, ranking, label)
        self.excluded.setdefault(key, {})[label] = reason
        return reason

    def properties_text(self, key: ReleaseKey, label: str) -> tuple[str, ...]:
        """The label's properties as text, sorted (empty when unknown)."""
        document = self.documents.get(key)
        properties = document.properties_of(label) if document is not None else None
        return tuple(sorted(str(prop) for prop in properties or ()))

    def exclusions(self) -> dict[ReleaseKey, dict[str, str]]:
        """label -> why it is left out, per judged release: the labels pip met and left
        out, and every label that has a wheel but is not ranked."""
        exclusions = {key: dict(value) for key, value in self.excluded.items()}
        for key, labels in self.present_labels.items():
            ranking = self.rankings.get(key)
            if ranking is not None and not isinstance(ranking, str):
                for label in labels - set(ranking.labels):
                    exclusions.setdefault(key, {}).setdefault(
                        label, self.exclusion_reason(key, ranking, label)
                    )
        return exclusions

    def releases_of(self, project: str, version: str) -> list[tuple[ReleaseKey, VariantRanking]]:
        """The judged, usable releases of one version of a project."""
        return [
            (key, ranking)
            for key, ranking in self.rankings.items()
            if key.project == project and key.version == version and not isinstance(ranking, str)
        ]


def _refuse_malformed_abi_values(
    ranking: VariantRanking, metadata: VariantMetadata, namespaces: list[str]
) -> VariantRanking:
    """PEP 850 ``abi_dependency`` values are one to three release components; a label with
    any other value is incompatible (as uv judges it), whatever its other values say."""
    from dataclasses import replace

    from wheelnext_pip.variants.abi_dependency import malformed_labels

    refused = malformed_labels(metadata.variants, namespaces)
    if not refused:
        return ranking
    return replace(
        ranking,
        labels=tuple(label for label in ranking.labels if label not in refused),
        incompatible={**ranking.incompatible, **refused},
    )

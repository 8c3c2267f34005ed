"""``python -m wheelnext_pip explain PROJECT [pip options]``: why pip would pick what it picks.

Builds pip's own finder from the given options (as ``pip install`` would), asks it for the
best candidate of PROJECT with every feature's hooks applied, and prints what the hooks
recorded: the index groups in order and what each answered, the files seen, the decision.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from wheelnext_pip import _state
from wheelnext_pip._pip import index_groups as index_group_hooks
from wheelnext_pip._pip import session, variant_run
from wheelnext_pip._pip import variants as variant_hooks
from wheelnext_pip._settings import canonicalize_name
from wheelnext_pip.extras import declared_defaults
from wheelnext_pip.index_groups import GroupLayout, is_distribution_file, layout_of, redact_url

_KIND = {"files": "has files", "absent": "absent", "error": "error"}


def _link_of(candidate: Any) -> Any:
    """The file pip would get: a variant representative stands for its best sibling."""
    if _state.STATE.is_live(variant_hooks.FEATURE):
        return variant_hooks.link_to_take(candidate.link)
    return candidate.link


def _describe_candidate(candidate: Any) -> str:
    text = f"{candidate.name} {candidate.version}  {_link_of(candidate).filename}"
    labels = []
    if _state.STATE.is_live(variant_hooks.FEATURE):
        labels = variant_hooks.sibling_labels(candidate.link)
    if len(labels) > 1:
        text += f" (the pick of {len(labels)} variant wheels: {', '.join(labels)})"
    return text


#: Releases shown without ``--all``.
NEWEST = 5


def _newest_first(candidates: list[Any], limit: int | None) -> tuple[list[Any], int]:
    """Candidates of the newest releases first (at most ``limit`` releases), and how many
    releases there were in all."""
    versions = sorted({c.version for c in candidates}, reverse=True)
    shown = set(versions if limit is None else versions[:limit])
    ordered = sorted(
        (c for c in candidates if c.version in shown), key=lambda c: c.version, reverse=True
    )
    return ordered, len(versions)


def _candidate_lines(candidates: list[Any], best: Any, limit: int | None, indent: str) -> list[str]:
    shown, releases = _newest_first(candidates, limit)
    lines = []
    for candidate in shown:
        mark = "  <- chosen" if best is not None and candidate is best else ""
        lines.append(f"{indent}{_describe_candidate(candidate)}{mark}")
    hidden = releases - len({c.version for c in shown})
    if hidden:
        lines.append(f"{indent}(and {hidden} older release(s); --all shows them)")
    return lines


def _group_lines(walk: Any, layout: GroupLayout, best: Any, limit: int | None) -> list[str]:
    lines = []
    for group in layout.groups:
        name = group.name
        if name not in walk.order:
            lines.append(f"  {name}: never asked (index-pins takes {walk.project} elsewhere)")
            continue
        outcome = walk.outcomes.get(name)
        if outcome is None:
            lines.append(f"  {name}: never asked (a higher group answered)")
            continue
        where = f" at {redact_url(outcome.url)}" if outcome.url else ""
        lines.append(f"  {name}: {_KIND[outcome.kind]} ({outcome.detail}){where}")
        lines += _candidate_lines(walk.by_group.get(name, []), best, limit, "      ")
    return lines


def _variant_lines(project: str, versions: set[str] | None) -> list[str]:
    """Per release with variant wheels, newest first: the labels in preference order and
    why the others are out."""
    lines = []
    exclusions = variant_run.run_exclusions()
    origins = variant_run.run_provider_sources()
    rankings = variant_run.run_rankings()
    releases = [r for r in rankings if r.project == project]
    releases.sort(key=lambda key: key.source)
    releases.sort(key=lambda key: _version_key(key.version), reverse=True)
    for release in releases:
        if versions is not None and release.version not in versions:
            continue
        ranking = rankings[release]
        where = redact_url(release.source)
        lines.append(f"variants of {project} {release.version} (metadata from {where}):")
        if isinstance(ranking, str):
            lines.append(f"  none usable: {ranking}")
            continue
        for namespace, origin in origins.get(release, {}).items():
            lines.append(f"  {namespace} properties: {origin}")
        for rank, label in enumerate(ranking.labels, 1):
            lines.append(f"  {rank}. {label}")
        reasons = {label: f"incompatible: {why}" for label, why in ranking.incompatible.items()}
        for label, why in exclusions.get(release, {}).items():
            reasons.setdefault(label, f"left out: {why}")
        for label, reason in sorted(reasons.items()):
            lines.append(f"  -  {label}: {reason}")
        if not ranking.ordinary_eligible:
            lines.append("  (variant-labels: ordinary wheels and sdists are not eligible)")
    return lines


class _SkippedLinks(logging.Handler):
    """The files pip's finder skipped, with pip's reason ("Skipping link: REASON: URL" at
    debug level): what tells "no file fits" from "no file at all"."""

    def __init__(self, project: str) -> None:
        super().__init__(logging.DEBUG)
        self.project = project
        self.reasons: list[str] = []
        self._logger = logging.getLogger("pip._internal.index.package_finder")
        self._saved = (self._logger.level, self._logger.propagate)

    def emit(self, record: logging.LogRecord) -> None:
        if record.msg == "Skipping link: %s: %s" and len(record.args or ()) == 2:
            detail, link = record.args  # type: ignore[misc]
            name = str(getattr(link, "filename", link))
            if is_distribution_file(name, self.project):  # not pages, not metadata files
                self.reasons.append(redact_url(f"{name}: {detail}"))

    def __enter__(self) -> _SkippedLinks:
        self._logger.addHandler(self)
        self._logger.setLevel(logging.DEBUG)
        self._logger.propagate = False  # pip's own handlers are not set up here
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._logger.removeHandler(self)
        self._logger.setLevel(self._saved[0])
        self._logger.propagate = self._saved[1]


def _version_key(version: str) -> Any:
    from pip._vendor.packaging.version import InvalidVersion, Version

    try:
        return (1, Version(version))
    except InvalidVersion:
        return (0, version)


def _default_extras_lines(finder: Any, best: Any) -> list[str]:
    """What a bare requirement of the winner adds (PEP 771), read from the metadata pip
    would read: the index's separate metadata file (PEP 658) or a local wheel."""
    if not _state.STATE.is_live("default-extras"):
        return []
    link = _link_of(best)
    name = f"{best.name} {best.version}"
    try:
        metadata = _metadata_of(finder, link)
    except Exception as exc:
        return [f"default extras: {name}'s metadata could not be read ({type(exc).__name__})"]
    if metadata is None:
        return [
            f"default extras: not known before download (the index serves no separate "
            f"metadata for {link.filename}; pip reads it when it installs)"
        ]
    values = metadata.get_all("Default-Extra") or []
    declared = declared_defaults(values, metadata.get_all("Provides-Extra") or [])
    if not declared.defaults:
        return [f"default extras: none ({name} declares no Default-Extra)"]
    listed = ", ".join(declared.defaults)
    lines = [
        f"default extras: {name} declares [{listed}] (Default-Extra in {link.filename}'s "
        f"metadata); `pip install {best.name}` adds them, `{best.name}[]` or naming any "
        "extra does not"
    ]
    if declared.ignored:
        lines.append(f"  ignored (no such Provides-Extra): {', '.join(declared.ignored)}")
    return lines


def _metadata_of(finder: Any, link: Any) -> Any:
    """The core metadata of a wheel link as an email message, or None if only a download of
    the whole file would tell."""
    from email.parser import BytesParser

    if link.is_file and link.is_wheel:
        import zipfile

        with zipfile.ZipFile(link.file_path) as wheel:
            names = [n for n in wheel.namelist() if n.endswith(".dist-info/METADATA")]
            if len(names) != 1:
                return None
            return BytesParser().parsebytes(wheel.read(names[0]))
    metadata_link = link.metadata_link() if hasattr(link, "metadata_link") else None
    if metadata_link is None:
        return None
    session = finder._link_collector.session
    response = session.get(metadata_link.url.split("#", 1)[0])
    response.raise_for_status()
    return BytesParser().parsebytes(response.content)


def explain(project: str, pip_arguments: list[str]) -> int:
    """Print the decision for PROJECT; exit status 0 when pip would find a candidate.

    ``--all`` (anywhere among the arguments) lists every release instead of the newest few.
    """
    from pip._internal.commands import create_command
    from pip._internal.exceptions import InstallationError

    show_all = "--all" in pip_arguments
    pip_arguments = [argument for argument in pip_arguments if argument != "--all"]
    limit = None if show_all else NEWEST

    command: Any = create_command("install")
    error = session.start_command("install", ["install", *pip_arguments])
    if error is not None:
        sys.stderr.write(f"ERROR: {error}\n")
        return 1
    options, _ = command.parse_args(list(pip_arguments))
    with command.main_context():
        pip_session = command.get_default_session(options)
        package_finder = command._build_package_finder(options=options, session=pip_session)
        failure = None
        result = None
        with _SkippedLinks(project) as skipped:
            try:
                result = package_finder.find_best_candidate(project)
            except InstallationError as exc:
                failure = str(exc)
    settings = _state.STATE.settings
    scope = package_finder.search_scope
    locations = [redact_url(url) for url in scope.index_urls] + list(scope.find_links)
    if result is not None and _state.STATE.is_live(variant_hooks.FEATURE):
        # The resolver judges each release's variants when it reaches it; judge them all now
        # and ask again, so the winner shown is the one pip would install.
        variant_hooks.judge_pending(project)
        evaluator = package_finder.make_candidate_evaluator(project_name=project)
        result = evaluator.compute_best_candidate(package_finder.find_all_candidates(project))
    best = getattr(result, "best_candidate", None)
    everything: list[Any] = []
    if result is not None:
        found = getattr(result, "all_candidates", None)  # pip < 24: only the private name
        everything = list(found if found is not None else result._candidates)
    print(f"explain {project}")
    if failure is not None:
        print(f"ERROR: {failure}")
    elif best is not None:
        print(f"winner: {best.name} {best.version} from {redact_url(_link_of(best).url)}")
    elif everything:
        releases = len({c.version for c in everything})
        print(
            f"nothing fits: {project} has {len(everything)} file(s) in {releases} release(s), "
            "none for this machine and these options (see below)"
        )
    if best is None and failure is None and not everything:
        if skipped.reasons:
            print(
                f"nothing fits: {project} has {len(skipped.reasons)} file(s) on "
                f"{', '.join(locations)}, none for this machine and these options:"
            )
            for line in skipped.reasons[: None if show_all else NEWEST]:
                print(f"  {line}")
            if not show_all and len(skipped.reasons) > NEWEST:
                print(f"  (and {len(skipped.reasons) - NEWEST} more; --all shows them)")
        else:
            print(f"not found: no file of {project} on {', '.join(locations) or 'no location'}")
    print(f"  pip's locations: {', '.join(map(redact_url, scope.index_urls)) or 'none'}")
    if scope.find_links:
        print(f"  find-links: {', '.join(scope.find_links)}")
    layout = None
    if settings is not None and _state.STATE.is_live(index_group_hooks.FEATURE):
        layout = layout_of(settings)
    walk = index_group_hooks.walk_of(package_finder, project)
    shown_versions: set[str] | None = None
    if layout is not None and walk is not None:
        print(layout.describe())
        for line in _group_lines(walk, layout, best, limit):
            print(line)
        if walk.chosen is not None:
            why = "the highest group that has files for it (first-match)"
        elif layout.strategy == "fallthrough" and best is not None:
            why = "the highest group with a candidate that satisfies the request (fallthrough)"
        else:
            why = None
        if why and best is not None:
            group = walk.origin.get(id(best), "default")
            print(f"decision: group {group!r}, {why}")
            never = [g.name for g in layout.groups if g.name not in walk.outcomes]
            if never:
                print(f"never asked: {', '.join(never)}")
    else:
        print("index groups: inactive (pip merges every location and takes the best version)")
        if everything:
            print("releases, newest first:")
            shown, _ = _newest_first(everything, limit)
            shown_versions = {str(c.version) for c in shown}
            for line in _candidate_lines(everything, best, limit, "      "):
                print(line)
    for line in _variant_lines(canonicalize_name(project), None if show_all else shown_versions):
        print(line)
    if best is not None:
        for line in _default_extras_lines(package_finder, best):
            print(line)
    return 0 if best is not None and failure is None else 1

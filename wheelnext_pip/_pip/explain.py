"""``python -m wheelnext_pip explain PROJECT [pip options]``: why pip would pick what it picks.

Builds pip's own finder from the given options (as ``pip install`` would), asks it for the
best candidate of PROJECT with every feature's hooks applied, and prints what the hooks
recorded: the index groups in order and what each answered, the files seen, the decision.
"""

from __future__ import annotations

import sys
from typing import Any

from wheelnext_pip import _state
from wheelnext_pip._pip import index_groups as index_group_hooks
from wheelnext_pip._pip import session, variant_run
from wheelnext_pip._pip import variants as variant_hooks
from wheelnext_pip._settings import canonicalize_name
from wheelnext_pip.index_groups import GroupLayout, layout_of, redact_url

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


def _group_lines(walk: Any, layout: GroupLayout, best: Any) -> list[str]:
    lines = []
    for group in layout.groups:
        name = group.name
        if name not in walk.order:
            lines.append(f"  {name}: not consulted (index-pins takes {walk.project} elsewhere)")
            continue
        outcome = walk.outcomes.get(name)
        if outcome is None:
            lines.append(f"  {name}: not consulted (a higher group answered)")
            continue
        where = f" at {redact_url(outcome.url)}" if outcome.url else ""
        lines.append(f"  {name}: {_KIND[outcome.kind]} ({outcome.detail}){where}")
        for candidate in walk.by_group.get(name, []):
            mark = "  <- chosen" if best is not None and candidate is best else ""
            lines.append(f"      {_describe_candidate(candidate)}{mark}")
    return lines


def _variant_lines(project: str) -> list[str]:
    """Per version with variant wheels: the labels in preference order and why others are out."""
    lines = []
    exclusions = variant_run.run_exclusions()
    origins = variant_run.run_provider_sources()
    rankings = variant_run.run_rankings()
    for release in sorted(rankings, key=lambda key: (key.source, key.project, key.version)):
        if release.project != project:
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


def explain(project: str, pip_arguments: list[str]) -> int:
    """Print the decision for PROJECT; exit status 0 when pip would find a candidate."""
    from pip._internal.commands import create_command
    from pip._internal.exceptions import InstallationError

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
        try:
            result = package_finder.find_best_candidate(project)
        except InstallationError as exc:
            failure = str(exc)
    settings = _state.STATE.settings
    print(f"explain {project}")
    scope = package_finder.search_scope
    print(f"  pip's locations: {', '.join(map(redact_url, scope.index_urls)) or 'none'}")
    if scope.find_links:
        print(f"  find-links: {', '.join(scope.find_links)}")
    if result is not None and _state.STATE.is_live(variant_hooks.FEATURE):
        # The resolver judges each release's variants when it reaches it; judge them all now
        # and ask again, so the winner shown is the one pip would install.
        variant_hooks.judge_pending(project)
        evaluator = package_finder.make_candidate_evaluator(project_name=project)
        result = evaluator.compute_best_candidate(package_finder.find_all_candidates(project))
    best = getattr(result, "best_candidate", None)
    layout = None
    if settings is not None and _state.STATE.is_live(index_group_hooks.FEATURE):
        layout = layout_of(settings)
    state = vars(package_finder).get("_wheelnext_index_groups")
    walk = getattr(state, "walks", {}).get(canonicalize_name(project))
    if layout is not None and walk is not None:
        print(layout.describe())
        for line in _group_lines(walk, layout, best):
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
    else:
        print("index groups: inactive (pip merges every location and takes the best version)")
        if result is not None:
            for candidate in getattr(result, "all_candidates", None) or result._candidates:
                mark = "  <- chosen" if candidate is best else ""
                print(f"      {_describe_candidate(candidate)}{mark}")
    for line in _variant_lines(canonicalize_name(project)):
        print(line)
    if failure is not None:
        print(f"ERROR: {failure}")
        return 1
    if best is None:
        print(f"no candidate of {project} fits this machine and these options")
        return 1
    print(f"winner: {best.name} {best.version} from {redact_url(_link_of(best).url)}")
    return 0

"""``pip install --report``: every item gains a ``"wheelnext"`` object that features fill in."""

from __future__ import annotations

from typing import Any, Callable

from wheelnext_pip._pip.registry import PatchPoint, PatchSet, hook_failed
from wheelnext_pip._settings import canonicalize_name
from wheelnext_pip.extras import PLACEHOLDER

#: canonical project name -> fields a feature decided for this run.
_ANNOTATIONS: dict[str, dict[str, Any]] = {}
#: file URL (no fragment) -> fields that belong to that file (where it was listed).
_LINK_ANNOTATIONS: dict[str, dict[str, Any]] = {}


def annotate(project: str, **fields: Any) -> None:
    """Record a decision for the report (``variant_label``, ``index_group``, ...)."""
    _ANNOTATIONS.setdefault(canonicalize_name(project), {}).update(fields)


def annotate_link(url: str, **fields: Any) -> None:
    """Record facts about one file (``index_group``, ``index_url``) for the report."""
    _LINK_ANNOTATIONS.setdefault(url.split("#", 1)[0], {}).update(fields)


def link_group(url: str) -> str | None:
    """The index group whose page listed this file, if index groups saw it."""
    group = _LINK_ANNOTATIONS.get(url.split("#", 1)[0], {}).get("index_group")
    return group if isinstance(group, str) else None


def _link_fields(ireq: Any) -> dict[str, Any]:
    for link in (getattr(ireq, "original_link", None), getattr(ireq, "link", None)):
        url = getattr(link, "url", None)
        if isinstance(url, str):
            fields = _LINK_ANNOTATIONS.get(url.split("#", 1)[0])
            if fields:
                return fields
    return {}


def wheelnext_entry(project: str) -> dict[str, Any]:
    """The report object for one project; all five keys are always present."""
    entry: dict[str, Any] = {
        "variant_label": None,
        "variant_properties": [],
        "index_group": None,
        "index_url": None,
        "default_extras": [],
    }
    entry.update(_ANNOTATIONS.get(canonicalize_name(project), {}))
    return entry


def _install_req_to_dict(
    original: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    result = original(*args, **kwargs)
    try:
        ireq = args[1] if len(args) > 1 else kwargs["ireq"]
        if isinstance(result, dict) and ireq.name:
            # The default-extras placeholder is ours alone: never let it reach the report.
            requested = result.get("requested_extras")
            if isinstance(requested, list) and PLACEHOLDER in requested:
                requested.remove(PLACEHOLDER)
                if not requested:
                    del result["requested_extras"]
            entry = wheelnext_entry(ireq.name)
            entry.update(_link_fields(ireq))
            result["wheelnext"] = entry
    except Exception as exc:
        hook_failed("report", exc)
    return result


REPORT = PatchSet(
    "report",
    (
        PatchPoint(
            "report",
            "pip._internal.models.installation_report",
            "InstallationReport._install_req_to_dict",
            _install_req_to_dict,
            params=("cls", "ireq"),
        ),
    ),
    commands=frozenset({"install"}),
)

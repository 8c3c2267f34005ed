"""``pip install --report``: every item gains a ``"wheelnext"`` object that features fill in."""

from __future__ import annotations

from typing import Any

from wheelnext_pip import _state
from wheelnext_pip._pip.registry import Call, PatchPoint, PatchSet
from wheelnext_pip.extras import PLACEHOLDER


def link_group(url: str) -> str | None:
    """The index group whose page listed this file, if index groups saw it."""
    group = _state.STATE.ledger.file_fields(url).get("index_group")
    return group if isinstance(group, str) else None


def _link_fields(ireq: Any) -> dict[str, Any]:
    for link in (getattr(ireq, "original_link", None), getattr(ireq, "link", None)):
        url = getattr(link, "url", None)
        if isinstance(url, str):
            fields = _state.STATE.ledger.file_fields(url)
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
    entry.update(_state.STATE.ledger.project_fields(project))
    return entry


def _install_req_to_dict(call: Call, result: Any) -> Any:
    ireq = call["ireq"]
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
            kind="after",
        ),
    ),
    commands=frozenset({"install"}),
)

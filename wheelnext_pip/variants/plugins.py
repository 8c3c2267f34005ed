"""Which variant provider plugins may run, and what their answer may hold (PEP 825
providers): the trust policy, with no I/O.

A plugin named by published metadata is installed and run only when every requirement of the
provider is a plain ``name[extras] specifier; marker`` naming a project in ``trust-providers``
(never a direct URL), and its ``plugin-api`` is a well-formed ``module:attribute``. Under
``--require-hashes`` no plugin runs (its install cannot be verified). Whatever a plugin
answers is validated against the property grammar before it is used: bad features and values
are dropped, each with a warning.

Installing and running a trusted plugin is :mod:`._plugin_env`'s business; this module only
decides.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from wheelnext_pip._names import canonicalize_name
from wheelnext_pip.variants.properties import (
    NamespaceProperties,
    SupportedFeature,
    is_valid_feature,
    is_valid_namespace,
    is_valid_value,
)

__all__ = [
    "answer_properties",
    "hashes_refusal",
    "one_line",
    "refusal",
    "requirement_names",
]

_PLUGIN_API = re.compile(
    r"^\s*[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*"
    r"(\s*:\s*[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*)?\s*$"
)


def one_line(text: str, limit: int = 300) -> str:
    """Untrusted text made fit for a log line."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def requirement_names(requirements: Sequence[str]) -> str:
    from packaging.requirements import InvalidRequirement, Requirement

    names = []
    for text in requirements:
        try:
            names.append(canonicalize_name(Requirement(text).name))
        except InvalidRequirement:
            names.append(repr(one_line(text, 80)))
    return ", ".join(names) or "(none)"


def refusal(
    requirements: Sequence[str], plugin_api: str, namespace: str, trusted: frozenset[str]
) -> str | None:
    """Why this provider must not be installed or run, or ``None`` when it may."""
    from packaging.requirements import InvalidRequirement, Requirement

    if not is_valid_namespace(namespace):
        return f"variant provider for namespace {one_line(namespace, 80)!r} not run: bad name"
    if not requirements:
        return f"{namespace}: provider plugin not run: it declares no package to install"
    trusted_names = {canonicalize_name(name) for name in trusted}
    for text in requirements:
        try:
            requirement = Requirement(text)
        except InvalidRequirement:
            return (
                f"{namespace}: provider plugin not run: invalid requirement {one_line(text, 80)!r}"
            )
        name = canonicalize_name(requirement.name)
        if requirement.url:
            # Trust is given to a name on the configured indexes, not to an arbitrary URL.
            return f"{namespace}: provider {name} not run: direct URL requirements are refused"
        if name not in trusted_names:
            return f"{namespace}: provider {name} not run: it is not in trust-providers"
    if _PLUGIN_API.match(plugin_api) is None:
        return (
            f"{namespace}: provider {requirement_names(requirements)} not run: invalid plugin-api "
            f"{one_line(plugin_api, 80)!r}"
        )
    return None


def hashes_refusal(requirements: Sequence[str], namespace: str) -> str:
    """Why no plugin runs under ``--require-hashes``: a provider cannot be verified."""
    return (
        f"{namespace}: provider {requirement_names(requirements)} not run: --require-hashes is "
        "in effect and a provider plugin cannot be verified; the namespace is unsupported"
    )


def answer_properties(
    answer: object, namespace: str, names: str
) -> tuple[NamespaceProperties | None, list[str]]:
    """Validate a plugin's answer against the property grammar: the properties kept (``None``
    when the answer is not a list) and one warning per feature or value dropped."""
    where = f"{namespace}: variant provider {names}"
    if not isinstance(answer, list):
        return None, [f"{where} answered something else than a list; ignored"]
    warnings: list[str] = []
    features: list[SupportedFeature] = []
    seen: set[str] = set()
    for item in answer:
        name = item.get("name") if isinstance(item, dict) else None
        values = item.get("values") if isinstance(item, dict) else None
        if not isinstance(name, str) or not is_valid_feature(name):
            shown = one_line(repr(name), 80)
            warnings.append(f"{where}: feature {shown} dropped: not made of a-z, 0-9 and _")
            continue
        if name in seen:
            warnings.append(f"{where}: feature {name!r} listed twice; first kept")
            continue
        if not isinstance(values, list):
            warnings.append(f"{where}: feature {name!r} dropped: its values are not a list")
            continue
        kept: list[str] = []
        for value in values:
            if not isinstance(value, str) or not is_valid_value(value):
                warnings.append(
                    f"{where}: value {one_line(repr(value), 80)} of feature {name!r} dropped: "
                    "not made of a-z, 0-9, _ and ."
                )
            elif value not in kept:
                kept.append(value)
        seen.add(name)
        features.append(SupportedFeature(name, tuple(kept)))
    return NamespaceProperties(namespace, tuple(features)), warnings

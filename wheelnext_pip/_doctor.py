"""``doctor``: how wheelnext-pip runs in this interpreter, as a JSON-ready report.

It imports the pip of this interpreter, applies every patch set the way a pip run would,
records what applied, and reverts. Features add their own sections through
:data:`SECTIONS`.
"""

from __future__ import annotations

import importlib
import os
import site
import sys
from collections.abc import Mapping
from typing import Any, Callable

from wheelnext_pip import __version__, _features, _state
from wheelnext_pip._settings import IndexGroup, NameSelection, Settings, resolve_settings
from wheelnext_pip.errors import SettingsError, redact_credentials

Report = dict[str, Any]
#: Extra sections: ``name -> function(settings or None) -> JSON-ready value``.
SECTIONS: dict[str, Callable[[Settings | None], Any]] = {}

START_FILES = ("wheelnext_pip.pth", "wheelnext_pip.start")


def _build_isolation_section(settings: Settings | None) -> Any:
    from wheelnext_pip._pip import build_isolation

    return build_isolation.doctor_section(settings)


SECTIONS["build-isolation"] = _build_isolation_section


def _index_groups_section(settings: Settings | None) -> Any:
    from wheelnext_pip.index_groups import GroupLayout, redact_url

    if settings is None:
        return {"active": False, "lines": ["settings could not be read"]}
    layout = GroupLayout.create(
        settings.index_groups,
        settings.index_pins,
        strategy=settings.index_strategy,
        on_error=settings.index_on_error,
    )
    keys = ("index-groups", "index-strategy", "index-pins", "index-on-error")
    sources = {key: settings.sources.get(key, "default") for key in keys}
    if not layout.active:
        text = ["inactive: only the 'default' group and no pins (pip's own version priority)"]
    else:
        text = [layout.describe(), f"on error: {layout.on_error}"]
    text += [f"{key} from {source}" for key, source in sources.items() if source != "default"]
    return {
        "active": layout.active,
        "strategy": layout.strategy,
        "on_error": layout.on_error,
        "groups": [
            {"name": group.name, "urls": [redact_url(url) for url in group.urls]}
            for group in layout.groups
        ],
        "pins": dict(layout.pins),
        "sources": sources,
        "lines": text,
    }


SECTIONS["index-groups"] = _index_groups_section


def _piptools_section(settings: Settings | None) -> Any:
    from wheelnext_pip._pip import piptools

    return piptools.doctor_section(settings)


SECTIONS["pip-tools"] = _piptools_section

BUILTIN_NAMESPACES = ("nvidia", "x86_64", "aarch64", "tpu")


def _first_values(values: tuple[str, ...], shown: int = 4) -> str:
    more = f", ... ({len(values)} values)" if len(values) > shown else ""
    return ", ".join(values[:shown]) + more


def _describe(properties: Any) -> str:
    if properties is None or not properties.features:
        return "none"
    return "; ".join(f"{f.name} = {_first_values(f.supported_values)}" for f in properties)


def _describe_builtin(namespace: str, properties: Any) -> str:
    """One provider answer; a CPU namespace's plugin stand-in part is summarized after ``|``."""
    from wheelnext_pip.variants.detect import STANDIN_PREFIX

    if properties is None or not properties.features:
        return "none"
    own = [f for f in properties if not f.name.startswith(STANDIN_PREFIX)]
    standin = [f for f in properties if f.name.startswith(STANDIN_PREFIX)]
    text = "; ".join(f"{f.name} = {_first_values(f.supported_values)}" for f in own) or "none"
    if standin:
        first, flags = standin[0], [f.name[len(STANDIN_PREFIX) :] for f in standin[1:]]
        package = f"provider-variant-{namespace.replace('_', '-')}"
        text += (
            f" | as {package}: {first.name[len(STANDIN_PREFIX) :]} = "
            f"{_first_values(first.supported_values)}; {len(flags)} flags"
            + (f" ({_first_values(tuple(flags))})" if flags else "")
        )
    return text


def _abi_dependency_doctor(user: dict[str, Any]) -> dict[str, Any]:
    """Where the PEP 850 ``abi_dependency`` provider takes each distribution's version."""
    from wheelnext_pip.variants.abi_dependency import (
        ABI_DEPENDENCY,
        OVERRIDE_VARIABLE,
        parse_override,
    )
    from wheelnext_pip.variants.errors import VariantError

    problem = None
    sources = []
    if ABI_DEPENDENCY in user:
        sources.append(f"variant-properties-file [{ABI_DEPENDENCY}] (replaces the rest)")
    try:
        override = parse_override(os.environ.get(OVERRIDE_VARIABLE, ""))
    except VariantError as exc:
        override, problem = {}, str(exc)
    if override:
        pins = ", ".join(f"{known.project} {known.version}" for known in override.values())
        sources.append(f"{OVERRIDE_VARIABLE} ({pins})")
    sources += [
        "the version this command installs (pinned by pip's resolver, or name==version in "
        "the command)",
        f"installed in the target environment (--target, --prefix, else {sys.prefix})",
    ]
    line = f"{ABI_DEPENDENCY} (PEP 850 built-in) takes each version from: "
    line += ", else ".join(sources)
    if problem:
        line += f"; {problem}"
    return {"line": line, "sources": sources, "problem": problem}


def _variant_providers_section(settings: Settings | None) -> Any:
    """Each built-in provider's answer here, where it came from, and what the user's
    ``variant-properties-file`` changes."""
    from wheelnext_pip.variants import detect
    from wheelnext_pip.variants._properties_file import load_properties_file
    from wheelnext_pip.variants.properties import properties_file_notes

    user: dict[str, Any] = {}
    lines = []
    problems = []
    file_notes: list[str] = []
    path = settings.variant_properties_file if settings is not None else None
    if path:
        try:
            user = dict(load_properties_file(path))
        except Exception as exc:
            lines.append(f"variant-properties-file: {exc}")
            problems.append(f"wheelnext-pip: {exc}")  # pip would stop on it: NOT OK
        else:
            replaced = [ns for ns in user if ns in BUILTIN_NAMESPACES]
            added = [ns for ns in user if ns not in BUILTIN_NAMESPACES]
            what = []
            if replaced:
                what.append(f"replaces detection of {', '.join(replaced)}")
            if added:
                what.append(f"supplies {', '.join(added)}")
            lines.append(f"variant-properties-file {path}: {'; '.join(what) or 'names nothing'}")
            file_notes = properties_file_notes(user)
            lines.extend(file_notes)
    forced_problem = detect.forced_variable_problem(os.environ)
    if forced_problem is not None:
        lines.append(forced_problem)
        problems.append(f"wheelnext-pip: {forced_problem}")
    forced = detect.forced_namespaces(os.environ)
    providers: dict[str, Any] = {}
    notes: tuple[str, ...]
    for namespace in dict.fromkeys([*BUILTIN_NAMESPACES, *user]):
        replaces = None
        if settings is not None and namespace in settings.disable_providers:
            source, properties, notes = "disabled (disable-providers)", None, ()
        elif namespace in user:
            source, properties, notes = "file (variant-properties-file)", user[namespace], ()
            if namespace in BUILTIN_NAMESPACES:
                detection = detect.detect_builtin(namespace, environ=os.environ)
                replaces = _describe(detection.properties)
        elif namespace in BUILTIN_NAMESPACES:
            detection = detect.detect_builtin(namespace, environ=os.environ)
            source = "forced (override variable)" if namespace in forced else "detected"
            properties, notes = detection.properties, detection.notes
        else:
            continue
        described = _describe_builtin(namespace, properties)
        providers[namespace] = {
            "source": source,
            "properties": described,
            "notes": list(notes),
            "replaces_detected": replaces,
        }
        note = f" ({'; '.join(notes)})" if notes else ""
        lines.append(f"{namespace}: {described} [{source}]{note}")
        if replaces is not None:
            lines.append(f"  (instead of detected: {replaces})")
    abi_dependency = _abi_dependency_doctor(user)
    lines.append(abi_dependency["line"])
    if abi_dependency["problem"]:
        problems.append(f"wheelnext-pip: {abi_dependency['problem']}")
    if settings is not None:
        for key in ("enable-providers", "trust-providers"):
            value = settings.value(key)
            if value:
                lines.append(f"{key}: {', '.join(sorted(value))}")  # type: ignore[arg-type]
    from wheelnext_pip.variants.detect import TARGET_AARCH64_VERSION, TARGET_X86_64_LEVEL

    explicit_target = (
        f"with --platform, --python-version, --implementation or --abi (an explicit "
        f"target) this machine is never asked: x86_64 answers level v{TARGET_X86_64_LEVEL} "
        f"and below, aarch64 {TARGET_AARCH64_VERSION}, nvidia and tpu nothing, unless the "
        "variant-properties-file names them"
    )
    lines.append(explicit_target)
    return {
        "explicit_target": explicit_target,
        "abi_dependency": abi_dependency,
        "providers": providers,
        "lines": lines,
        "problems": problems,
        "properties_file_notes": file_notes,
    }


SECTIONS["variants"] = _variant_providers_section


def sitecustomize_dir() -> str:
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "_sitecustomize")


def _site_dirs() -> list[str]:
    dirs: list[str] = []
    candidates = list(getattr(site, "getsitepackages", list)())
    if site.ENABLE_USER_SITE:
        candidates.append(site.getusersitepackages())
    candidates += sys.path
    for entry in candidates:
        path = os.path.abspath(entry or os.curdir)
        if path not in dirs:
            dirs.append(path)
    return dirs


def _activation(switch_text: str | None) -> Report:
    found = [
        {"kind": name.rsplit(".", 1)[1], "path": os.path.join(directory, name)}
        for directory in _site_dirs()
        for name in START_FILES
        if os.path.isfile(os.path.join(directory, name))
    ]
    pythonpath = os.environ.get("PYTHONPATH", "").split(os.pathsep)
    custom = sitecustomize_dir()
    return {
        "WHEELNEXT_PIP": switch_text,
        "start_files": found,
        "sitecustomize_dir": custom,
        "sitecustomize_on_pythonpath": any(
            entry and os.path.abspath(entry) == custom for entry in pythonpath
        ),
    }


def _render_value(value: Any) -> Any:
    if isinstance(value, tuple) and all(isinstance(item, IndexGroup) for item in value):
        return [
            {"name": group.name, "urls": [redact_credentials(url) for url in group.urls]}
            for group in value
        ]
    if isinstance(value, frozenset):
        return sorted(value)
    if isinstance(value, NameSelection):
        return [":all:"] if value.everything else sorted(value.names)
    if isinstance(value, Mapping):
        return dict(value)
    return value


def _settings_section(isolated: bool) -> tuple[Settings | None, Report]:
    from wheelnext_pip._pip import config

    try:
        settings = resolve_settings(os.environ, config.read_file_entries(isolated))
    except SettingsError as exc:
        return None, {"error": f"wheelnext-pip: {exc}", "values": {}}
    except Exception as exc:  # pip's own configuration error
        return None, {"error": f"pip configuration: {exc}", "values": {}}
    values = {
        key: {"value": _render_value(settings.value(key)), "source": source}
        for key, source in settings.sources.items()
    }
    return settings, {"error": None, "values": values}


def _patch_sets(requested: frozenset[str]) -> tuple[list[Report], list[Report]]:
    from wheelnext_pip._pip import catalog, registry

    sets = []
    features = []
    feature_set_names = {
        patch_set.name
        for name in catalog.FEATURE_MODULES
        for patch_set in catalog.feature_sets(name)
    }
    try:
        for patch_set in catalog.all_sets():
            status = registry.apply_set(patch_set)
            sets.append(
                {
                    "name": status.name,
                    "kind": "feature" if patch_set.name in feature_set_names else "core",
                    "active": status.active,
                    "reason": status.reason,
                    "points": [
                        {
                            "key": point.key,
                            "state": point.state,
                            "reason": point.reason,
                            "required": point.required,
                        }
                        for point in status.points
                    ],
                }
            )
    finally:
        registry.revert_all()
        _state.reset()
    active = {entry["name"]: entry for entry in sets}
    for name in _features.FEATURES:
        available = name in _features.AVAILABLE
        entry = active.get(name)
        features.append(
            {
                "name": name,
                "requested": name in requested,
                "available": available,
                "active": bool(entry and entry["active"]),
                "reason": (
                    entry["reason"] if entry else f"not implemented in wheelnext-pip {__version__}"
                ),
            }
        )
    return sets, features


def collect(isolated: bool = False) -> Report:
    problems: list[str] = []
    switch_text = os.environ.get("WHEELNEXT_PIP")
    try:
        switch = _features.parse_switch(switch_text)
    except SettingsError as exc:
        problems.append(f"wheelnext-pip: {exc}")
        switch = _features.Switch(on=False, features=frozenset())
    report: Report = {
        "wheelnext_pip": {"version": __version__, "location": os.path.dirname(__file__)},
        "python": {"version": sys.version.split()[0], "executable": sys.executable},
        "activation": {"on": switch.on, "features_requested": sorted(switch.features)},
    }
    report["activation"].update(_activation(switch_text))
    if not report["activation"]["start_files"]:
        problems.append("no wheelnext_pip.pth or .start in site-packages: plain pip is not hooked")

    try:
        pip = importlib.import_module("pip")
        importlib.import_module("pip._internal.cli.base_command")
    except Exception as exc:
        report["pip"] = {"version": None, "error": f"{type(exc).__name__}: {exc}"}
        problems.append("pip cannot be imported in this interpreter")
        pip = None
    if pip is not None:
        from wheelnext_pip._pip import compat

        version = compat.pip_version_text()
        level = compat.support_level(version)
        report["pip"] = {
            "version": version,
            "location": os.path.dirname(str(getattr(pip, "__file__", ""))),
            "support": level,
            "supported_range": compat.SUPPORTED_TEXT,
        }
        if level == "unsupported":
            problems.append(f"pip {version} is outside the supported range")

    settings, report["settings"] = _settings_section(isolated)
    if report["settings"]["error"]:
        problems.append(report["settings"]["error"])

    if pip is not None:
        report["patch_sets"], report["features"] = _patch_sets(switch.features)
        for entry in report["patch_sets"]:
            if entry["kind"] == "core" and not entry["active"]:
                problems.append(f"{entry['name']}: {entry['reason']}")
        for feature in report["features"]:
            if feature["requested"] and not feature["active"]:
                problems.append(f"feature {feature['name']}: {feature['reason']}")
        supported = report["pip"]["support"] != "unsupported"
        for feature in report["features"]:
            # What a pip run would really get: off when the variable is unset, when the
            # feature is not asked for, or on a pip outside the supported range.
            feature["active"] = bool(
                feature["active"] and switch.on and feature["requested"] and supported
            )
    for name, section in SECTIONS.items():
        try:
            report[name] = section(settings)
        except Exception as exc:
            report[name] = {"error": f"{type(exc).__name__}: {exc}"}
            problems.append(f"{name}: {exc}")
            continue
        if switch.on and name in switch.features and isinstance(report[name], dict):
            problems.extend(report[name].get("problems", ()))
    report["problems"] = list(dict.fromkeys(problems))  # each problem once
    report["ok"] = not problems
    return report


def render(report: Report) -> str:
    lines = [f"wheelnext-pip {report['wheelnext_pip']['version']}"]
    python = report["python"]
    lines.append(f"  python      {python['version']} ({python['executable']})")
    pip = report.get("pip", {})
    if pip.get("version"):
        lines.append(
            f"  pip         {pip['version']} ({pip['support']}; range {pip['supported_range']})"
        )
    else:
        lines.append(f"  pip         not importable: {pip.get('error')}")
    activation = report["activation"]
    state = "on" if activation["on"] else "off"
    requested = ", ".join(activation["features_requested"]) or "none"
    lines.append(
        f"  WHEELNEXT_PIP={activation['WHEELNEXT_PIP'] or ''}  ({state}; features: {requested})"
    )
    for start_file in activation["start_files"]:
        lines.append(f"  start file  {start_file['path']}")
    lines.append(f"  sitecustomize dir (for PYTHONPATH) {activation['sitecustomize_dir']}")
    if report.get("patch_sets"):
        lines.append("patches:")
        for entry in report["patch_sets"]:
            mark = "active" if entry["active"] else f"INACTIVE: {entry['reason']}"
            lines.append(f"  [{entry['kind']}] {entry['name']}: {mark}")
            for point in entry["points"]:
                reason = f" ({point['reason']})" if point["reason"] else ""
                lines.append(f"      {point['state']:<9} {point['key']}{reason}")
    if report.get("features"):
        lines.append("features:")
        switched_on = report["activation"]["on"]
        supported = pip.get("support") != "unsupported"
        for feature in report["features"]:
            if feature["active"]:
                mark = "active"
            elif not feature["available"]:
                mark = "not available yet"
            elif not switched_on:
                mark = "off (WHEELNEXT_PIP is not set)"
            elif not supported:
                mark = "off (this pip is outside the supported range)"
            elif not feature["requested"]:
                mark = "off (not requested)"
            else:
                mark = f"INACTIVE: {feature['reason']}"
            lines.append(f"  {feature['name']:<16} {mark}")
    settings = report["settings"]
    lines.append("settings:")
    if settings["error"]:
        lines.append(f"  ERROR {settings['error']}")
    for key, entry in settings["values"].items():
        lines.append(f"  {key} = {entry['value']!r}  [{entry['source']}]")
    for name in SECTIONS:
        section = report.get(name)
        if isinstance(section, dict) and isinstance(section.get("lines"), list):
            lines.append(f"{name}:")
            lines.extend(f"  {line}" for line in section["lines"])
        else:
            lines.append(f"{name}: {section!r}")
    if report["problems"]:
        lines.append("problems:")
        lines.extend(f"  - {problem}" for problem in report["problems"])
    lines.append("ok" if report["ok"] else "NOT OK")
    return "\n".join(lines)

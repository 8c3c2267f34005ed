"""The judgment of releases, table-driven: pages + settings + machine in, ranking and
reasons out. No pip, no network: the fetch, the index group of a page and the machine are
plain values handed in, as the patch layer hands in its own."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from wheelnext_pip.variants.errors import VariantError
from wheelnext_pip.variants.judgment import Judgment, MetadataPage, ReleaseKey
from wheelnext_pip.variants.metadata import VariantMetadata, parse_variant_metadata
from wheelnext_pip.variants.properties import NamespaceProperties
from wheelnext_pip.variants.providers import ProviderDecision, ProviderSettings

SCHEMA = "https://variants-schema.wheelnext.dev/peps/850/v0.2.0.json"
PROVIDERS = {
    "nvidia": {
        "requires": ["nvidia-variant-provider>=0.0.1,<1"],
        "plugin-api": "nvidia_variant_provider.plugin:NvidiaVariantPlugin",
    },
    "x86_64": {"requires": ["x86-64-variant-provider>=0.2.1,<1"]},
    "plug": {"requires": ["evil-provider>=1"]},
}
LABELS = {
    "cu12": {"nvidia": {"cuda_version_lower_bound": ["12.0"]}},
    "v4": {"x86_64": {"level": ["v4"]}},
    "v3": {"x86_64": {"level": ["v3"]}},
    "v2": {"x86_64": {"level": ["v2"]}},
    "plugged": {"plug": {"mode": ["on"]}},
    "null": {},
}
A = "https://a.example/simple/p/"
A2 = "https://a2.example/simple/p/"
B = "https://b.example/simple/p/"
KEY_A = ReleaseKey("p", "1.0", A)
KEY_A2 = ReleaseKey("p", "1.0", A2)
KEY_B = ReleaseKey("p", "1.0", B)


def doc(*labels: str, **changed: dict[str, Any]) -> dict[str, Any]:
    variants = {label: LABELS[label] for label in labels}
    variants.update(changed)
    return {
        "$schema": SCHEMA,
        "default-priorities": {"namespace": list(PROVIDERS)},
        "providers": PROVIDERS,
        "variants": variants,
    }


def x86(*levels: str) -> dict[str, NamespaceProperties]:
    return {"x86_64": NamespaceProperties.of("x86_64", [("level", levels)])}


CUDA_12 = NamespaceProperties.of("nvidia", [("cuda_version_lower_bound", ["12.0"])])


@dataclass
class FakeMachine:
    """Properties from the settings' file, and what the built-in detection would answer."""

    settings: ProviderSettings
    detected: dict[str, NamespaceProperties] = field(default_factory=dict)
    failing: frozenset[str] = frozenset()

    def answer(self, decision: ProviderDecision) -> NamespaceProperties | None:
        if decision.namespace in self.failing:
            raise RuntimeError("the provider fell over")
        return self.detected.get(decision.namespace)

    def describe_origin(self, namespace: str, source: str) -> str:
        return source


@dataclass
class World:
    """Everything the judgment is handed: pages, their groups, the machine, the settings."""

    #: source -> the document it lists (a string: the fetch fails with this reason).
    pages: dict[str, dict[str, Any] | str]
    groups: dict[str, str] = field(default_factory=dict)
    file: dict[str, NamespaceProperties] = field(default_factory=dict)
    detected: dict[str, NamespaceProperties] = field(default_factory=dict)
    failing: frozenset[str] = frozenset()
    disable: frozenset[str] = frozenset()
    variant_labels: dict[str, str] = field(default_factory=dict)
    #: source -> labels that have a wheel there (default: every label of its document).
    present: dict[str, list[str]] = field(default_factory=dict)
    fetched: list[str] = field(default_factory=list)
    warnings: dict[str, str] = field(default_factory=dict)

    def build(self) -> Judgment:
        machine = FakeMachine(
            ProviderSettings(disable_providers=self.disable, user_properties=self.file),
            self.detected,
            self.failing,
        )
        judgment = Judgment(
            fetch=self.fetch,
            group_of=lambda source: self.groups.get(source, ""),
            machine=lambda: machine,
            variant_labels=self.variant_labels,
            warn=self.warnings.setdefault,
        )
        for source, page in self.pages.items():
            judgment.note_page("p", "1.0", source, MetadataPage(f"{source}p-1.0-variants.json"))
            labels = self.present.get(source)
            if labels is None:
                labels = list(page["variants"]) if isinstance(page, dict) else []
            judgment.note_labels(ReleaseKey("p", "1.0", source), labels)
        return judgment

    def fetch(self, page: MetadataPage) -> VariantMetadata | str:
        self.fetched.append(page.url)
        source = page.url.rsplit("p-1.0-variants.json", 1)[0]
        content = self.pages[source]
        if isinstance(content, str):
            return content
        try:
            return parse_variant_metadata(json.dumps(content), page.url)
        except VariantError as exc:
            return str(exc)


def outcome(judgment: Judgment, key: ReleaseKey) -> tuple[str, ...] | str:
    ranking = judgment.ranking(key)
    return ranking if isinstance(ranking, str) else ranking.labels


# Each case: the world, the release judged first, then the expected ranking of each source
# (labels in order, or the start of the reason its variants are unusable), and the expected
# exclusion reasons (label -> start of the reason) of the release judged first.
CASES: dict[str, tuple[World, ReleaseKey, dict[ReleaseKey, Any], dict[str, str]]] = {
    "one page, the machine ranks": (
        World({A: doc("cu12", "v4", "v3", "v2", "null")}, file=x86("v3", "v2", "v1")),
        KEY_A,
        {KEY_A: ("v3", "v2", "null")},
        {"cu12": "", "v4": ""},
    ),
    "detection answers a namespace the file does not name": (
        World(
            {A: doc("cu12", "v3", "null")},
            file=x86("v3"),
            detected={"nvidia": CUDA_12},
        ),
        KEY_A,
        {KEY_A: ("cu12", "v3", "null")},
        {},
    ),
    "disable-providers drops a namespace the machine supports": (
        World(
            {A: doc("cu12", "v3", "null")},
            file=x86("v3"),
            detected={"nvidia": CUDA_12},
            disable=frozenset({"nvidia"}),
        ),
        KEY_A,
        {KEY_A: ("v3", "null")},
        {"cu12": ""},
    ),
    "the settings' order is the preference order": (
        World({A: doc("v3", "v2", "null")}, file=x86("v2", "v3")),
        KEY_A,
        {KEY_A: ("v2", "v3", "null")},
        {},
    ),
    "null variant only when nothing is supported": (
        World({A: doc("v3", "plugged", "null")}, file=x86()),
        KEY_A,
        {KEY_A: ("null",)},
        {"v3": "", "plugged": ""},
    ),
    "a label with a wheel but no metadata entry": (
        World({A: doc("v3", "null")}, file=x86("v3"), present={A: ["v3", "ghost", "null"]}),
        KEY_A,
        {KEY_A: ("v3", "null")},
        {"ghost": "not listed in the variant metadata"},
    ),
    "variant-labels: only the named label": (
        World({A: doc("v3", "v2", "null")}, file=x86("v3", "v2"), variant_labels={"p": "v2"}),
        KEY_A,
        {KEY_A: ("v2",)},
        {"v3": "not the label variant-labels asks for (v2)", "null": "not the label"},
    ),
    "variant-labels naming an unsupported label": (
        World({A: doc("v3", "v4", "null")}, file=x86("v3"), variant_labels={"p": "v4"}),
        KEY_A,
        {KEY_A: ()},
        {"v4": "", "v3": "not the label", "null": "not the label"},
    ),
    "several sources of one group are combined": (
        World(
            {A: doc("v2", "null"), A2: doc("v3")},
            groups={A: "a", A2: "a", B: "b"},
            file=x86("v3", "v2"),
        ),
        KEY_A,
        {KEY_A: ("v3", "v2", "null"), KEY_A2: ("v3", "v2", "null")},
        {},
    ),
    "a page of another group is not combined": (
        World(
            {A: doc("v2", "null"), B: doc("v3", "null")},
            groups={A: "a", B: "b"},
            file=x86("v3", "v2"),
        ),
        KEY_A,
        {KEY_A: ("v2", "null"), KEY_B: ("v3", "null")},
        {},
    ),
    "a disagreeing page has its variants skipped": (
        World(
            {A: doc("v3", "null"), A2: doc(v3={"x86_64": {"level": ["v2"]}})},
            file=x86("v3", "v2"),
        ),
        KEY_A,
        {KEY_A: ("v3", "null"), KEY_A2: f"{A2}p-1.0-variants.json disagrees with {A}"},
        {},
    ),
    "metadata that cannot be fetched": (
        World({A: "p-1.0-variants.json: cannot be fetched (ConnectionError: refused)"}),
        KEY_A,
        {KEY_A: "p-1.0-variants.json: cannot be fetched"},
        {},
    ),
    "metadata that is not valid": (
        World({A: {"$schema": SCHEMA, "variants": "nope"}}),
        KEY_A,
        {KEY_A: f"{A}p-1.0-variants.json: "},
        {},
    ),
    "a failing provider makes the group's pages unusable": (
        World(
            {A: doc("v3", "null"), A2: doc("v2"), B: doc("v3", "null")},
            groups={A: "a", A2: "a", B: "b"},
            failing=frozenset({"x86_64"}),
        ),
        KEY_A,
        {
            KEY_A: f"{A}p-1.0-variants.json could not be judged: RuntimeError: the provider",
            KEY_A2: f"{A}p-1.0-variants.json could not be judged",
        },
        {},
    ),
    "no -variants.json beside the variant wheels": (
        World({}),
        KEY_A,
        {KEY_A: "no p-1.0-variants.json is listed beside its variant wheels"},
        {},
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_judgment(name: str) -> None:
    world, first, rankings, excluded = CASES[name]
    judgment = world.build()
    outcome(judgment, first)
    for key, expected in rankings.items():
        got = outcome(judgment, key)
        if isinstance(expected, str):
            assert isinstance(got, str) and got.startswith(expected), (key, got)
        else:
            assert got == expected, key
    reasons = judgment.exclusions().get(first, {})
    assert set(reasons) == set(excluded), reasons
    for label, start in excluded.items():
        assert reasons[label].startswith(start), (label, reasons[label])
        if not start:  # incompatible: the reason names the property the machine lacks
            assert " :: " in reasons[label], reasons[label]


def test_only_the_group_of_the_release_judged_is_fetched() -> None:
    """Judging is lazy: a page of another group, and other releases, are not fetched."""
    world = World(
        {A: doc("v3", "null"), A2: doc("v3"), B: doc("v3", "null")},
        groups={A: "a", A2: "a", B: "b"},
        file=x86("v3"),
    )
    judgment = world.build()
    judgment.note_page("p", "2.0", A, MetadataPage(f"{A}p-2.0-variants.json"))
    judgment.ranking(KEY_A)
    judgment.ranking(KEY_A2)  # judged with KEY_A: no second fetch
    assert world.fetched == [f"{A}p-1.0-variants.json", f"{A2}p-1.0-variants.json"]
    assert not judgment.is_judged(KEY_B)
    assert not judgment.is_judged(ReleaseKey("p", "2.0", A))


def test_the_best_present_label_is_the_one_taken() -> None:
    """Of a release's labels only the best that has a wheel is taken; an ineligible label
    is left out with its reason, an eligible one that is not the best is just not taken."""
    world = World({A: doc("v4", "v3", "v2", "null")}, file=x86("v3", "v2"), present={A: []})
    judgment = world.build()
    judgment.note_labels(KEY_A, ["v2", "v4", "null"])
    assert judgment.best_present_label(KEY_A) == (judgment.ranking(KEY_A), "v2")
    assert judgment.may_take(KEY_A, "v2")
    assert not judgment.may_take(KEY_A, "null")
    assert not judgment.may_take(KEY_A, "v4")
    assert set(judgment.excluded[KEY_A]) == {"v4"}
    assert judgment.properties_text(KEY_A, "v2") == ("x86_64 :: level :: v2",)
    assert judgment.is_eligible(KEY_A, None)  # ordinary wheels stay eligible


def test_unusable_metadata_takes_nothing() -> None:
    world = World({A: "broken"})
    judgment = world.build()
    assert judgment.best_present_label(KEY_A) is None
    assert not judgment.may_take(KEY_A, "v3")
    assert not judgment.is_eligible(KEY_A, None)


def test_warnings_are_keyed_once() -> None:
    world = World({A: doc("v3", "null"), A2: doc(v3={"x86_64": {"level": ["v2"]}})})
    judgment = world.build()
    judgment.ranking(KEY_A)
    judgment.ranking(ReleaseKey("p", "9.0", A))
    skipped = {key: text for key, text in world.warnings.items() if not key.startswith("note:")}
    assert [key.split(":", 1)[0] for key in skipped] == ["inconsistent", "missing"]
    assert all(text.endswith("; its variant wheels are skipped") for text in skipped.values())


def test_a_broken_machine_setting_is_not_the_release_fault() -> None:
    """The machine is built on first use; its error stops pip instead of marking the release."""

    def broken() -> Any:
        raise VariantError("not a TOML file", "variants.toml")

    judgment = Judgment(fetch=lambda page: "unused", group_of=lambda source: "", machine=broken)
    judgment.note_page("p", "1.0", A, MetadataPage(f"{A}p-1.0-variants.json"))
    with pytest.raises(VariantError):
        judgment.ranking(KEY_A)
    assert not judgment.is_judged(KEY_A)


def test_release_key_is_a_named_value() -> None:
    key = ReleaseKey(project="p", version="1.0", source=A)
    assert key == KEY_A and hash(key) == hash(KEY_A)
    with pytest.raises(AttributeError):
        key.project = "q"  # type: ignore[misc]


def test_the_judgment_imports_no_pip_no_patch_layer_no_run_state() -> None:
    repo = Path(__file__).resolve().parents[2]
    code = (
        f"import sys; sys.path.insert(0, {str(repo)!r})\n"
        "import wheelnext_pip.variants.judgment as j\n"
        "j.Judgment(fetch=None, group_of=None, machine=None)\n"
        "bad = [m for m in sys.modules if m == 'pip' or m.startswith('pip.')\n"
        "       or m.startswith('wheelnext_pip._pip') or m == 'wheelnext_pip._state']\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-I", "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""

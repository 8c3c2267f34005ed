"""Provider selection per namespace (PEP 825 providers; the built-ins' matching rule)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from wheelnext_pip.variants.metadata import ProviderDeclaration, parse_variant_metadata
from wheelnext_pip.variants.properties import NamespaceProperties
from wheelnext_pip.variants.providers import (
    BUILTIN_PROVIDERS,
    ProviderDecision,
    ProviderSettings,
    match_builtin_provider,
    resolve_supported_properties,
    select_provider,
)

DATA = Path(__file__).parent / "data" / "variants"
LINUX = {"platform_system": "Linux", "platform_machine": "x86_64", "sys_platform": "linux"}
MACOS = {"platform_system": "Darwin", "platform_machine": "arm64", "sys_platform": "darwin"}

STATIC = ProviderDeclaration(
    "blas", "static", static_properties=(("provider", ("openblas", "mkl")),)
)
OPTIONAL_STATIC = ProviderDeclaration(
    "debug", "static", optional=True, static_properties=(("debug", ("on",)),)
)
PLUGIN = ProviderDeclaration("gpu", "plugin", requires=("gpu-provider>=1",))
NVIDIA = ProviderDeclaration(
    "nvidia",
    "plugin",
    requires=("nvidia-variant-provider>=0.0.2,<1.0.0",),
    plugin_api="nvidia_variant_provider.plugin:NvidiaVariantPlugin",
)
USER_FILE = {
    "blas": NamespaceProperties.of("blas", [("provider", ["mkl"])]),
    "nvidia": NamespaceProperties.of("nvidia", [("sm_arch", ["90_real"])]),
}


def test_disabled_wins_over_everything() -> None:
    settings = ProviderSettings(disable_providers=frozenset({"blas"}), user_properties=USER_FILE)
    decision = select_provider("blas", STATIC, settings)
    assert (decision.source, decision.properties) == ("disabled", None)
    assert "disable-providers" in decision.note


def test_user_file_replaces_static_builtin_and_plugins() -> None:
    settings = ProviderSettings(user_properties=USER_FILE)
    for namespace, declaration in (("blas", STATIC), ("nvidia", NVIDIA)):
        decision = select_provider(namespace, declaration, settings)
        assert decision.source == "file"
        assert decision.properties == USER_FILE[namespace]
        assert not decision.needs_answer
    # Naming a namespace in the file enables an optional provider, and works without provider.
    optional = ProviderSettings(user_properties={"debug": NamespaceProperties("debug")})
    assert select_provider("debug", OPTIONAL_STATIC, optional).source == "file"
    assert select_provider("debug", None, optional).source == "file"


def test_no_provider_declared() -> None:
    decision = select_provider("blas", None, ProviderSettings())
    assert decision.source == "no-provider"
    assert "variant-properties-file" in decision.note


def test_static() -> None:
    decision = select_provider("blas", STATIC, ProviderSettings())
    assert decision.source == "static"
    assert decision.properties == NamespaceProperties.of(
        "blas", [("provider", ["openblas", "mkl"])]
    )


def test_optional_needs_enable_providers() -> None:
    assert select_provider("debug", OPTIONAL_STATIC, ProviderSettings()).source == "optional-off"
    enabled = ProviderSettings(enable_providers=frozenset({"debug"}))
    assert select_provider("debug", OPTIONAL_STATIC, enabled).source == "static"
    optional_plugin = ProviderDeclaration(
        "gpu", "plugin", optional=True, requires=("gpu-provider",)
    )
    trusted = ProviderSettings(trust_providers=frozenset({"gpu-provider"}))
    assert select_provider("gpu", optional_plugin, trusted).source == "optional-off"


def test_the_abi_dependency_builtin_is_ours_and_other_builtins_are_not() -> None:
    decision = select_provider(
        "abi", ProviderDeclaration("abi", "builtin", builtin="abi_dependency"), ProviderSettings()
    )
    assert decision.source == "abi-dependency"
    assert decision.needs_answer
    other = select_provider(
        "abi", ProviderDeclaration("abi", "builtin", builtin="future_thing"), ProviderSettings()
    )
    assert other.source == "unsupported-builtin"
    assert "future_thing" in other.note


def test_the_reserved_abi_dependency_namespace_needs_no_declaration() -> None:
    assert select_provider("abi_dependency", None, ProviderSettings()).source == "abi-dependency"
    assert select_provider("abi", None, ProviderSettings()).source == "no-provider"


def test_legacy_enable_if() -> None:
    declaration = ProviderDeclaration(
        "nvidia",
        "plugin",
        requires=NVIDIA.requires,
        plugin_api=NVIDIA.plugin_api,
        enable_if="platform_system == 'Linux'",
    )
    assert select_provider("nvidia", declaration, ProviderSettings(), LINUX).source == "builtin"
    off = select_provider("nvidia", declaration, ProviderSettings(), MACOS)
    assert off.source == "enable-if-false"
    assert "platform_system" in off.note


def test_trusted_and_untrusted_plugins() -> None:
    untrusted = select_provider("gpu", PLUGIN, ProviderSettings())
    assert untrusted.source == "untrusted"
    assert "gpu-provider" in untrusted.note and "trust-providers" in untrusted.note
    assert not untrusted.needs_answer
    trusted = select_provider(
        "gpu", PLUGIN, ProviderSettings(trust_providers=frozenset({"GPU_Provider"}))
    )
    assert trusted.source == "trusted-plugin"
    assert trusted.requires == ("gpu-provider>=1",)
    assert trusted.plugin_api == "gpu_provider"
    assert trusted.needs_answer


def test_every_required_package_must_be_trusted() -> None:
    declaration = ProviderDeclaration(
        "gpu",
        "plugin",
        requires=(
            "gpu-provider",
            "helper; platform_system == 'Windows'",
            "other; platform_system == 'Linux'",
        ),
        plugin_api="gpu_provider.api:Plugin",
    )
    only_gpu = ProviderSettings(trust_providers=frozenset({"gpu-provider"}))
    assert select_provider("gpu", declaration, only_gpu, LINUX).source == "untrusted"
    both = ProviderSettings(trust_providers=frozenset({"gpu-provider", "other"}))
    decision = select_provider("gpu", declaration, both, LINUX)
    assert decision.source == "trusted-plugin"
    # Requirements whose marker is false for the target are neither needed nor installed.
    assert decision.requires == ("gpu-provider", "other; platform_system == 'Linux'")
    assert decision.plugin_api == "gpu_provider.api:Plugin"


def test_plugin_without_applicable_requirements_is_untrusted() -> None:
    declaration = ProviderDeclaration("gpu", "plugin", requires=())
    assert select_provider(
        "gpu", declaration, ProviderSettings(trust_providers=frozenset({"x"}))
    ).source == ("untrusted")


@pytest.mark.parametrize(
    ("namespace", "requires", "plugin_api", "package"),
    [
        (
            "nvidia",
            "nvidia-variant-provider>=0.0.2,<1.0.0",
            "nvidia_variant_provider.plugin:NvidiaVariantPlugin",
            "nvidia-variant-provider",
        ),
        (
            "nvidia",
            "nvidia-variant-provider>=0.0.1,<1",
            "nvidia_variant_provider.plugin:NvidiaVariantPlugin",
            "nvidia-variant-provider",
        ),
        (
            "nvidia",
            "nvidia-variant-provider==0.0.1",
            "nvidia_variant_provider.plugin:NvidiaVariantPlugin",
            "nvidia-variant-provider",
        ),
        (
            "nvidia",
            "Nvidia_Variant.Provider",
            "nvidia_variant_provider.plugin:NvidiaVariantPlugin",
            "nvidia-variant-provider",
        ),
        (
            "tpu",
            "tpu-variant-provider==0.1.0",
            "tpu_variant_provider.plugin:TpuVariantPlugin",
            "tpu-variant-provider",
        ),
        ("x86_64", "x86-64-variant-provider==0.2.1", None, "x86-64-variant-provider"),
        (
            "x86_64",
            "x86-64-variant-provider>=0.2",
            "x86_64_variant_provider",
            "x86-64-variant-provider",
        ),
        ("aarch64", "aarch64-variant-provider", None, "aarch64-variant-provider"),
    ],
)
def test_builtin_matches(
    namespace: str, requires: str, plugin_api: str | None, package: str
) -> None:
    declaration = ProviderDeclaration(
        namespace, "plugin", requires=(requires,), plugin_api=plugin_api
    )
    matched = match_builtin_provider(declaration)
    assert matched is not None and matched.package == package
    decision = select_provider(namespace, declaration, ProviderSettings())
    assert decision.source == "builtin"
    assert decision.builtin is matched
    assert decision.needs_answer


@pytest.mark.parametrize(
    ("namespace", "requires", "plugin_api"),
    [
        # wrong version, name, namespace, plugin-api, extras, markers, URL, several requirements
        (
            "nvidia",
            ("nvidia-variant-provider>=0.0.3",),
            "nvidia_variant_provider.plugin:NvidiaVariantPlugin",
        ),
        ("nvidia", ("nvidia-variant-provider",), None),
        ("nvidia", ("nvidia-variant-provider",), "nvidia_variant_provider"),
        ("gpu", ("nvidia-variant-provider",), "nvidia_variant_provider.plugin:NvidiaVariantPlugin"),
        ("x86_64", ("x86-64-variant-provider==0.2.0",), None),
        ("x86_64", ("x86-64-variant-provider",), "x86_64_variant_provider.plugin:Other"),
        ("x86_64", ("x86-64-variant-provider[extra]",), None),
        ("x86_64", ("x86-64-variant-provider; python_version > '3'",), None),
        ("x86_64", ("x86-64-variant-provider @ https://example.org/p.whl",), None),
        ("x86_64", ("x86-64-variant-provider", "other"), None),
        # The plugin stand-in: only with the plugin's own endpoint and a version it reproduces.
        ("x86_64", ("provider-variant-x86-64",), None),
        ("x86_64", ("provider-variant-x86-64>=0.1",), "provider_variant_x86_64.plugin:X8664Plugin"),
        ("aarch64", ("provider-variant-x86-64",), "provider_variant_x86_64.plugin:X8664Plugin"),
        ("tpu", ("tpu-variant-provider==0.2.0",), "tpu_variant_provider.plugin:TpuVariantPlugin"),
    ],
)
def test_builtin_does_not_match(
    namespace: str, requires: tuple[str, ...], plugin_api: str | None
) -> None:
    declaration = ProviderDeclaration(namespace, "plugin", requires=requires, plugin_api=plugin_api)
    assert match_builtin_provider(declaration) is None


def test_builtin_table_features() -> None:
    assert {p.package: p.features[:2] for p in BUILTIN_PROVIDERS} == {
        "nvidia-variant-provider": ("cuda_version_lower_bound", "cuda_version_upper_bound"),
        "tpu-variant-provider": ("present",),
        "x86-64-variant-provider": ("level",),
        "aarch64-variant-provider": ("version",),
        "provider-variant-x86-64": ("level", "avx_vnni"),
        "provider-variant-aarch64": ("version", "sve2"),
    }


def test_resolve_published_torch() -> None:
    name = "torch-2.9.0-variants.json"
    metadata = parse_variant_metadata((DATA / name).read_bytes(), name)
    asked: list[ProviderDecision] = []

    def answer(decision: ProviderDecision) -> NamespaceProperties | None:
        asked.append(decision)
        return NamespaceProperties.of(
            "nvidia", [("cuda_version_lower_bound", ["12.0"]), ("sm_arch", ["90_real"])]
        )

    supported, decisions = resolve_supported_properties(metadata, ProviderSettings(), answer, LINUX)
    assert {ns: d.source for ns, d in decisions.items()} == {
        "nvidia": "builtin",
        "intel": "untrusted",
        "amd": "untrusted",
        "priority": "static",
    }
    assert [d.namespace for d in asked] == ["nvidia"]
    assert supported["intel"] is None
    priority = supported["priority"]
    assert priority is not None and priority.features[0].values == ("1", "2", "3")
    _, on_mac = resolve_supported_properties(metadata, ProviderSettings(), answer, MACOS)
    assert on_mac["nvidia"].source == "enable-if-false"


def test_resolve_applies_legacy_priorities_but_not_to_the_user_file() -> None:
    document: dict[str, Any] = {
        "$schema": "https://variants-schema.wheelnext.dev/v0.0.3.json",
        "default-priorities": {
            "namespace": ["x86_64", "openmp"],
            "property": {
                "x86_64": {"level": ["v3", "v2", "v1"]},
                "openmp": {"provider": ["intel"]},
            },
        },
        "providers": {
            "x86_64": {"requires": ["x86-64-variant-provider"]},
            "openmp": {"install-time": False, "requires": []},
        },
        "static-properties": {"openmp": {"provider": ["gnu", "intel"]}},
        "variants": {"null": {}},
    }
    metadata = parse_variant_metadata(json.dumps(document), "x")
    v4 = NamespaceProperties.of("x86_64", [("level", ["v4", "v3", "v2", "v1"])])
    supported, _ = resolve_supported_properties(metadata, ProviderSettings(), lambda d: v4)
    x86, openmp = supported["x86_64"], supported["openmp"]
    assert x86 is not None and x86.features[0].values == ("v3", "v2", "v1", "v4")
    assert openmp is not None and openmp.features[0].values == ("intel", "gnu")
    user = ProviderSettings(user_properties={"x86_64": v4})
    supported, _ = resolve_supported_properties(metadata, user, lambda d: None)
    assert supported["x86_64"] == v4


def test_identity_is_the_memo_key() -> None:
    assert NVIDIA.identity == (
        "nvidia",
        "plugin",
        ("nvidia-variant-provider>=0.0.2,<1.0.0",),
        "nvidia_variant_provider.plugin:NvidiaVariantPlugin",
        None,
    )

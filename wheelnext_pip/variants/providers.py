"""Which source supplies the supported properties of each namespace (PEP 850 providers).

Pure selection policy, first rule that applies, per namespace:

1. ``disable-providers`` names it -> ``disabled``
2. the user's ``variant-properties-file`` names it -> ``file`` (replaces every other source)
3. the document has no provider for it (pure PEP 825) -> ``no-provider``, except the
   namespace reserved for the ABI dependency provider -> ``abi-dependency``
4. legacy ``enable-if`` is false for the target -> ``enable-if-false``
5. ``optional`` and not in ``enable-providers`` -> ``optional-off``
6. ``static-properties`` -> ``static``
7. a PEP 850 ``builtin`` provider: ``abi_dependency`` -> ``abi-dependency``; any other name
   -> ``unsupported-builtin``
8. ``requires`` matches one of our built-in reimplementations -> ``builtin``
9. every package of ``requires`` is in ``trust-providers`` -> ``trusted-plugin``
10. otherwise -> ``untrusted`` (never installed, never run)

Running detection or a plugin is the caller's job, injected into
:func:`resolve_supported_properties` as a callable.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Callable, Literal, Optional

from wheelnext_pip._names import canonicalize_name
from wheelnext_pip.variants.abi_dependency import ABI_DEPENDENCY
from wheelnext_pip.variants.errors import VariantError
from wheelnext_pip.variants.metadata import ProviderDeclaration, VariantMetadata, default_plugin_api
from wheelnext_pip.variants.microarch import AARCH64_PLUGIN_FEATURES, X86_64_PLUGIN_FEATURES
from wheelnext_pip.variants.ordering import reorder_by_priorities
from wheelnext_pip.variants.properties import NamespaceProperties

__all__ = [
    "BUILTIN_PROVIDERS",
    "BuiltinProvider",
    "DecisionSource",
    "ProviderAnswer",
    "ProviderDecision",
    "ProviderSettings",
    "builtin_view",
    "match_builtin_provider",
    "resolve_supported_properties",
    "select_provider",
]

DecisionSource = Literal[
    "disabled",
    "file",
    "no-provider",
    "enable-if-false",
    "optional-off",
    "static",
    "unsupported-builtin",
    "abi-dependency",
    "builtin",
    "trusted-plugin",
    "untrusted",
]


@dataclass(frozen=True)
class BuiltinProvider:
    """A provider package we reimplement instead of installing it (same answers, no code run)."""

    namespace: str
    #: Canonical project name.
    package: str
    #: Versions whose behaviour we reproduce; a requirement's specifier must admit one.
    versions: tuple[str, ...]
    #: The ``plugin-api`` it must declare; ``None``: absent or the default derived from the name.
    plugin_api: str | None
    #: Its features in preference order.
    features: tuple[str, ...]


BUILTIN_PROVIDERS: tuple[BuiltinProvider, ...] = (
    BuiltinProvider(
        "nvidia",
        "nvidia-variant-provider",
        ("0.0.1", "0.0.2"),
        "nvidia_variant_provider.plugin:NvidiaVariantPlugin",
        ("cuda_version_lower_bound", "cuda_version_upper_bound", "sm_arch"),
    ),
    BuiltinProvider(
        "tpu",
        "tpu-variant-provider",
        ("0.1.0",),
        "tpu_variant_provider.plugin:TpuVariantPlugin",
        ("present",),
    ),
    BuiltinProvider("x86_64", "x86-64-variant-provider", ("0.2.1",), None, ("level",)),
    BuiltinProvider("aarch64", "aarch64-variant-provider", ("0.2.0",), None, ("version",)),
    # The plugins that published numpy and scikit-learn metadata name (WheelNext's own;
    # answers: wheelnext_pip.variants.microarch).
    BuiltinProvider(
        "x86_64",
        "provider-variant-x86-64",
        ("0.0.1.post1", "0.0.1.post2"),
        "provider_variant_x86_64.plugin:X8664Plugin",
        ("level", *X86_64_PLUGIN_FEATURES),
    ),
    BuiltinProvider(
        "aarch64",
        "provider-variant-aarch64",
        ("0.0.1.post1", "0.0.1.post2"),
        "provider_variant_aarch64.plugin:AArch64Plugin",
        ("version", *AARCH64_PLUGIN_FEATURES),
    ),
)

#: Prefix of the stand-ins' features inside a combined CPU answer (the detection module's
#: ``STANDIN_PREFIX``; repeated here because this module imports no detection code).
_STANDIN_PREFIX = "plugin__"


def builtin_view(
    provider: BuiltinProvider, answer: NamespaceProperties | None
) -> NamespaceProperties | None:
    """The part of a built-in answer that belongs to ``provider``.

    A CPU namespace may be answered once for both of its built-ins (the uv-vendored
    provider's features, then the plugin stand-in's under a prefix); each built-in keeps its
    own. An answer without prefixed features is one provider's answer already.
    """
    if answer is None or not any(f.name.startswith(_STANDIN_PREFIX) for f in answer):
        return answer
    standin = provider.package.startswith("provider-variant-")
    kept = []
    for feature in answer:
        prefixed = feature.name.startswith(_STANDIN_PREFIX)
        if prefixed and standin:
            kept.append(replace(feature, name=feature.name[len(_STANDIN_PREFIX) :]))
        elif not prefixed and not standin:
            kept.append(feature)
    return NamespaceProperties(answer.namespace, tuple(kept))


@dataclass(frozen=True)
class ProviderSettings:
    """The settings that steer provider selection."""

    enable_providers: frozenset[str] = frozenset()
    disable_providers: frozenset[str] = frozenset()
    #: Project names (any spelling; compared canonicalized).
    trust_providers: frozenset[str] = frozenset()
    #: The parsed ``variant-properties-file``: namespace -> properties.
    user_properties: Mapping[str, NamespaceProperties] = field(default_factory=dict)


@dataclass(frozen=True)
class ProviderDecision:
    """Where one namespace's supported properties come from."""

    namespace: str
    source: DecisionSource
    #: Known at once for ``file`` and ``static``; otherwise ``None``.
    properties: NamespaceProperties | None = None
    #: For ``builtin``: the reimplementation to run.
    builtin: BuiltinProvider | None = None
    #: For ``trusted-plugin`` and ``untrusted``: the requirements that apply to the target.
    requires: tuple[str, ...] = ()
    #: For ``trusted-plugin``: the endpoint to call.
    plugin_api: str | None = None
    #: For ``abi-dependency``: the distributions (features) the document's labels name.
    features: tuple[str, ...] = ()
    #: One line for logs and ``explain``; empty when there is nothing to say.
    note: str = ""

    @property
    def needs_answer(self) -> bool:
        """Whether properties must still be obtained (detection or a plugin run)."""
        return self.source in ("builtin", "trusted-plugin", "abi-dependency")


def match_builtin_provider(declaration: ProviderDeclaration) -> BuiltinProvider | None:
    """The reimplementation that a plugin declaration asks for, if any.

    ``requires`` must be exactly one requirement without extras, markers or URL, naming the
    package for the same namespace; its specifier (if any) must admit one of the versions we
    reproduce, and ``plugin-api`` must be the one that package defines.
    """
    if declaration.kind != "plugin" or len(declaration.requires) != 1:
        return None
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        requirement = Requirement(declaration.requires[0])
    except InvalidRequirement:
        return None
    if requirement.extras or requirement.marker is not None or requirement.url:
        return None
    name = canonicalize_name(requirement.name)
    for provider in BUILTIN_PROVIDERS:
        if provider.namespace != declaration.namespace or provider.package != name:
            continue
        if requirement.specifier and not any(
            requirement.specifier.contains(version, prereleases=True)
            for version in provider.versions
        ):
            continue
        if provider.plugin_api is not None:
            api_ok = declaration.plugin_api == provider.plugin_api
        else:
            api_ok = declaration.plugin_api in (None, default_plugin_api(provider.package))
        if api_ok:
            return provider
    return None


def _marker_true(marker_text: str, environment: Mapping[str, str] | None) -> bool:
    """Evaluate a marker from index metadata. Markers that parse can still fail to evaluate
    (``python_version ~= '1'``, an undefined comparison, a 3,000-deep nesting): that is the
    document's fault, reported as such, never an error of the run."""
    from packaging.markers import Marker

    try:
        return bool(
            Marker(marker_text).evaluate(dict(environment) if environment is not None else None)
        )
    except Exception as exc:
        raise VariantError(
            f"marker {_quoted(marker_text)} cannot be evaluated ({type(exc).__name__})"
        ) from None


def _quoted(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")


def _applicable_requirements(
    requires: Iterable[str], environment: Mapping[str, str] | None
) -> list[tuple[str, str]]:
    """``(requirement text, canonical name)`` of the requirements whose marker holds."""
    from packaging.requirements import Requirement

    applicable = []
    for text in requires:
        try:
            requirement = Requirement(text)
        except Exception as exc:
            raise VariantError(
                f"provider requirement {_quoted(text)} cannot be read ({type(exc).__name__})"
            ) from None
        try:
            holds = requirement.marker is None or bool(
                requirement.marker.evaluate(dict(environment) if environment is not None else None)
            )
        except Exception as exc:
            raise VariantError(
                f"the marker of {_quoted(text)} cannot be evaluated ({type(exc).__name__})"
            ) from None
        if holds:
            applicable.append((text, canonicalize_name(requirement.name)))
    return applicable


def select_provider(
    namespace: str,
    declaration: ProviderDeclaration | None,
    settings: ProviderSettings,
    environment: Mapping[str, str] | None = None,
) -> ProviderDecision:
    """Apply the selection rules (module docstring) to one namespace.

    ``environment`` is the target's PEP 508 marker environment (``None``: this interpreter);
    it decides legacy ``enable-if`` and markers on ``requires``.
    """
    if namespace in settings.disable_providers:
        return ProviderDecision(
            namespace, "disabled", note=f"{namespace}: disabled by disable-providers"
        )
    if namespace in settings.user_properties:
        return ProviderDecision(
            namespace,
            "file",
            settings.user_properties[namespace],
            note=f"{namespace}: taken from variant-properties-file",
        )
    if declaration is None and namespace == ABI_DEPENDENCY:
        return ProviderDecision(namespace, "abi-dependency")
    if declaration is None:
        return ProviderDecision(
            namespace,
            "no-provider",
            note=f"{namespace}: no provider declared; only variant-properties-file can supply it",
        )
    if declaration.enable_if is not None and not _marker_true(declaration.enable_if, environment):
        return ProviderDecision(
            namespace,
            "enable-if-false",
            note=f"{namespace}: provider not enabled here (enable-if: {declaration.enable_if})",
        )
    if declaration.optional and namespace not in settings.enable_providers:
        return ProviderDecision(
            namespace,
            "optional-off",
            note=f"{namespace}: optional provider, off unless named in enable-providers",
        )
    if declaration.kind == "static":
        return ProviderDecision(namespace, "static", declaration.static_namespace_properties())
    if declaration.kind == "builtin" and declaration.builtin == ABI_DEPENDENCY:
        return ProviderDecision(namespace, "abi-dependency")
    if declaration.kind == "builtin":
        return ProviderDecision(
            namespace,
            "unsupported-builtin",
            note=f"{namespace}: built-in provider {declaration.builtin!r} is not implemented",
        )
    builtin = match_builtin_provider(declaration)
    if builtin is not None:
        return ProviderDecision(namespace, "builtin", builtin=builtin)
    applicable = _applicable_requirements(declaration.requires, environment)
    trust = {canonicalize_name(name) for name in settings.trust_providers}
    requires = tuple(text for text, _ in applicable)
    if applicable and all(name in trust for _, name in applicable):
        first_name = applicable[0][1]
        return ProviderDecision(
            namespace,
            "trusted-plugin",
            requires=requires,
            plugin_api=declaration.plugin_api or default_plugin_api(first_name),
        )
    names = ", ".join(name for _, name in applicable) or "none"
    return ProviderDecision(
        namespace,
        "untrusted",
        requires=requires,
        note=(
            f"{namespace}: provider package(s) {names} not run; "
            "add them to trust-providers to allow it"
        ),
    )


#: Obtains the properties of a ``builtin`` or ``trusted-plugin`` decision (``None``: nothing).
ProviderAnswer = Callable[[ProviderDecision], Optional[NamespaceProperties]]


def _features_of(metadata: VariantMetadata, namespace: str) -> tuple[str, ...]:
    features = (
        prop.feature
        for properties in metadata.variants.values()
        for prop in sorted(properties)
        if prop.namespace == namespace
    )
    return tuple(dict.fromkeys(features))


def resolve_supported_properties(
    metadata: VariantMetadata,
    settings: ProviderSettings,
    answer: ProviderAnswer,
    environment: Mapping[str, str] | None = None,
) -> tuple[dict[str, NamespaceProperties | None], dict[str, ProviderDecision]]:
    """Supported properties of every namespace of a document, with the decision behind each.

    Legacy ``default-priorities.feature/property`` reorder the providers' answers; the user's
    file is taken exactly as written.
    """
    supported: dict[str, NamespaceProperties | None] = {}
    decisions: dict[str, ProviderDecision] = {}
    namespaces = dict.fromkeys(metadata.namespace_priorities)
    for label_properties in metadata.variants.values():
        namespaces.update(dict.fromkeys(prop.namespace for prop in label_properties))
    for namespace in namespaces:
        decision = select_provider(
            namespace, metadata.providers.get(namespace), settings, environment
        )
        if decision.source == "abi-dependency":
            decision = replace(decision, features=_features_of(metadata, namespace))
        properties = answer(decision) if decision.needs_answer else decision.properties
        if decision.builtin is not None:
            properties = builtin_view(decision.builtin, properties)
        if (
            properties is not None
            and decision.source != "file"
            and (
                namespace in metadata.feature_priorities
                or namespace in metadata.property_priorities
            )
        ):
            properties = reorder_by_priorities(
                properties,
                metadata.feature_priorities.get(namespace, ()),
                metadata.property_priorities.get(namespace),
            )
        supported[namespace] = properties
        decisions[namespace] = decision
    return supported, decisions

"""Drive the pack through pulumi-policy's own analyzer service, with the data the engine sends.

What the engine does (pulumi/pulumi sdk/go/common/resource/plugin/analyzer_plugin.go):
- `Analyze`/`AnalyzeStack`: properties marshalled with MarshalOptions{KeepUnknowns, KeepSecrets,
  SkipInternalKeys} into a google.protobuf.Struct: every number is a double, a secret is
  {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "value": ...}, an
  unknown (a value computed at apply, at preview) is the string "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
  (pulumi/runtime/rpc.py UNKNOWN); `propertyDependencies` name the URNs each input came from.
- `Configure`: each policy's config (schema defaults filled per policy, pkg/resource/analyzer
  config reconciliation; pulumi/pulumi-policy tests/integration/config scenario 2) as a Struct.
- the stack's config reaches the pack as PULUMI_CONFIG (`constructEnv`): every value a string,
  structured values as JSON; pulumi-policy copies it into `pulumi.Config` before each call.
The servicer class is pulumi-policy's private `_PolicyAnalyzerServicer`, the object the real
`PolicyPack` serves over gRPC (its own SDK tests drive it the same way).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pulumi.runtime.config as runtime_config
from google.protobuf import struct_pb2
from pulumi.runtime import proto
from pulumi_policy import EnforcementLevel, ResourceValidationPolicy
from pulumi_policy.policy import _PolicyAnalyzerServicer

from auditkit.policies.crossguard.pack import PACK_NAME, all_policies

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
SIG = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
_LEVELS = {
    "advisory": proto.ADVISORY,
    "mandatory": proto.MANDATORY,
    "remediate": proto.REMEDIATE,
    "disabled": proto.DISABLED,
}
LEVEL_NAMES = {v: k for k, v in _LEVELS.items()}


class Unknown:
    """In a test resource: a value the engine computes at apply (sent as UNKNOWN at preview)."""


COMPUTED = Unknown()


@dataclass(frozen=True)
class Secret:
    value: Any


def engine_value(value: Any) -> Any:
    if isinstance(value, Unknown):
        return UNKNOWN
    if isinstance(value, Secret):
        return {SIG: SECRET_SIG, "value": engine_value(value.value)}
    if isinstance(value, Mapping):
        return {k: engine_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [engine_value(v) for v in value]
    return value


def struct(props: Mapping[str, Any]) -> struct_pb2.Struct:
    s = struct_pb2.Struct()
    s.update(engine_value(props))
    return s


@dataclass(frozen=True)
class EngineResource:
    type: str
    name: str
    props: Mapping[str, Any]
    # input name -> logical names of the plan resources it was computed from
    deps: Mapping[str, list[str]] = field(default_factory=dict)

    @property
    def urn(self) -> str:
        return f"urn:pulumi:dev::auditkit::{self.type}::{self.name}"


@dataclass(frozen=True)
class Diagnostic:
    policy: str
    level: str
    message: str
    urn: str

    @property
    def control(self) -> str:
        return self.message.split("\n", 1)[-1].split("]", 1)[0].lstrip("[")


def stack_config_env(config: Mapping[str, Any]) -> str:
    """A stack file's `config:` map as PULUMI_CONFIG: strings, with structured values as JSON."""

    def text(v: Any) -> str:
        if isinstance(v, str):
            return v
        return json.dumps(v)

    return json.dumps({k: text(v) for k, v in config.items()})


def reconciled(policy_config: Mapping[str, Any] | None) -> dict[str, proto.PolicyConfig]:
    """Each policy's config as the engine sends it: `all` level, per-policy level and properties,
    and the schema's defaults for whatever the file leaves out."""
    cfg = dict(policy_config or {})
    everyone = cfg.pop("all", None)
    out = {}
    for policy in all_policies():
        given = cfg.get(policy.name, {})
        level = everyone or policy.enforcement_level.value
        props = {k: v["default"] for k, v in policy.config_schema.properties.items() if "default" in v}
        if isinstance(given, str):
            level = given
        else:
            level = given.get("enforcementLevel", level)
            props.update({k: v for k, v in given.items() if k != "enforcementLevel"})
        out[policy.name] = proto.PolicyConfig(enforcementLevel=_LEVELS[level], properties=struct(props))
    return out


class Analyzer:
    """One analyzer process: configured once, then asked about a preview."""

    def __init__(self, policy_config: Mapping[str, Any] | None = None) -> None:
        self.servicer = _PolicyAnalyzerServicer(PACK_NAME, "0.0.1", all_policies(), EnforcementLevel.ADVISORY)
        self.servicer.Configure(proto.ConfigureAnalyzerRequest(policyConfig=reconciled(policy_config)), None)

    def analyze(self, r: EngineResource) -> list[Diagnostic]:
        request = proto.AnalyzeRequest(type=r.type, name=r.name, urn=r.urn, properties=struct(r.props))
        return _diagnostics(self.servicer.Analyze(request, None))

    def analyze_stack(self, resources: Iterable[EngineResource]) -> list[Diagnostic]:
        resources = list(resources)
        urns = {r.name: r.urn for r in resources}
        request = proto.AnalyzeStackRequest(
            resources=[
                proto.AnalyzerResource(
                    type=r.type,
                    name=r.name,
                    urn=r.urn,
                    properties=struct(r.props),
                    dependencies=sorted({urns[n] for names in r.deps.values() for n in names}),
                    propertyDependencies={
                        k: proto.AnalyzerPropertyDependencies(urns=[urns[n] for n in names])
                        for k, names in r.deps.items()
                    },
                )
                for r in resources
            ]
        )
        return _diagnostics(self.servicer.AnalyzeStack(request, None))

    def preview(self, resources: Iterable[EngineResource]) -> list[Diagnostic]:
        """Every resource's `Analyze`, then the stack's `AnalyzeStack`, as a preview runs them."""
        resources = list(resources)
        out = [d for r in resources for d in self.analyze(r)]
        return out + self.analyze_stack(resources)


def _diagnostics(response: proto.AnalyzeResponse) -> list[Diagnostic]:
    return [Diagnostic(d.policyName, LEVEL_NAMES[d.enforcementLevel], d.message, d.urn) for d in response.diagnostics]


@contextmanager
def stack_config(monkeypatch: Any, config: Mapping[str, Any] | None, stack: str = "dev") -> Iterator[None]:
    """The analyzer's environment for one stack; the runtime config it fills is emptied afterwards."""
    saved = dict(runtime_config.CONFIG.get())
    runtime_config.CONFIG.get().clear()
    if config is not None:
        monkeypatch.setenv("PULUMI_CONFIG", stack_config_env(config))
    monkeypatch.setenv("PULUMI_STACK", stack)
    try:
        yield
    finally:
        runtime_config.CONFIG.get().clear()
        runtime_config.CONFIG.get().update(saved)
        monkeypatch.delenv("PULUMI_CONFIG", raising=False)


def resource_policies() -> list[str]:
    return [p.name for p in all_policies() if isinstance(p, ResourceValidationPolicy)]


def preview_by_policy(
    monkeypatch: Any, resources: Iterable[EngineResource], config: Mapping[str, Any], prefix: str = ""
) -> dict[str, list[Diagnostic]]:
    """A stack's preview under its config: the diagnostics of the policies named `prefix...`, by policy."""
    with stack_config(monkeypatch, config):
        diagnostics = Analyzer().preview(resources)
    out: dict[str, list[Diagnostic]] = {}
    for d in diagnostics:
        if d.policy.startswith(prefix):
            out.setdefault(d.policy, []).append(d)
    return out


def levels(found: Mapping[str, list[Diagnostic]]) -> dict[str, set[str]]:
    return {p: {d.level for d in ds} for p, ds in found.items()}

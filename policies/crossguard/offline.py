"""Run the pack's policies without the Pulumi CLI: over a mock-rendered plan or an exported state.

The real pulumi_policy policy objects are called through the SDK's public args classes,
exactly as the policy analyzer would call them, so `auditkit plan --check` and
`pulumi preview --policy-pack policies` judge with the same code.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

from auditkit.policies.crossguard.pack import all_policies
from auditkit.policies.errors import ConfigError


@dataclass(frozen=True)
class Resource:
    type: str
    name: str
    urn: str
    inputs: Mapping[str, Any]
    outputs: Mapping[str, Any]


@dataclass(frozen=True)
class Violation:
    policy: str
    control: str
    enforcement: str
    message: str
    urn: str | None

    @property
    def mandatory(self) -> bool:
        return self.enforcement == EnforcementLevel.MANDATORY.value


class PlannedResource(Protocol):
    """A resource of a mock-rendered stack (components/plan.py), as far as the pack reads it."""

    @property
    def type(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def component(self) -> str | None: ...
    @property
    def inputs(self) -> Mapping[str, Any]: ...


class RenderedPlan(Protocol):
    @property
    def stack(self) -> str: ...
    @property
    def resources(self) -> Sequence[PlannedResource]: ...


def control_of(policy: ResourceValidationPolicy | StackValidationPolicy) -> str:
    """The control a pack policy judges: metadata() tags each policy with its control id first."""
    return policy.tags[0] if policy.tags else policy.name


def _opts() -> PolicyResourceOptions:
    return PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], None)


def _settle(result: Any) -> None:
    if asyncio.iscoroutine(result) or isinstance(result, asyncio.Future):
        asyncio.run(result)  # type: ignore[arg-type]


def _run(validate: Any, advisory: Any) -> None:
    """As the analyzer does: a value unknown before apply becomes an advisory, not a crash."""
    try:
        _settle(validate())
    except UnknownValueError as exc:
        advisory(exc.message)


def check(
    resources: Sequence[Resource], config: Mapping[str, Any], enforcement: Mapping[str, str] | None = None
) -> list[Violation]:
    """Every violation of every enabled policy. `enforcement` overrides levels per policy name."""
    out: list[Violation] = []
    for policy in all_policies():
        level = (enforcement or {}).get(policy.name) or policy.enforcement_level.value  # type: ignore[union-attr]
        if level == EnforcementLevel.DISABLED.value:
            continue
        control_id = control_of(policy)

        def report(
            message: str, urn: str | None = None, _p: str = policy.name, _c: str = control_id, _l: str = level
        ) -> None:
            out.append(Violation(_p, _c, _l, message, urn))

        def advisory(message: str, _p: str = policy.name, _c: str = control_id) -> None:
            out.append(Violation(_p, _c, EnforcementLevel.ADVISORY.value, message, None))

        if isinstance(policy, ResourceValidationPolicy):
            for r in resources:
                args = ResourceValidationArgs(r.type, r.inputs, r.urn, r.name, _opts(), None, config=dict(config))
                rep = lambda msg, urn=None, _r=r: report(msg, urn or _r.urn)  # noqa: E731
                _run(lambda p=policy, a=args, rp=rep: p.validate(a, rp), advisory)
        else:
            stack = [PolicyResource(r.type, r.outputs, r.urn, r.name, _opts(), None, None, [], {}) for r in resources]
            stack_args = StackValidationArgs(stack, config=dict(config))
            _run(lambda p=policy, a=stack_args: p.validate(a, report), advisory)
    return out


def urn_for(stack: str, type_chain: str, name: str, project: str = "auditkit") -> str:
    return f"urn:pulumi:{stack}::{project}::{type_chain}::{name}"


def plan_resources(plan: RenderedPlan) -> list[Resource]:
    """The plan's provider resources as the engine would hand them to the pack (components only parent them)."""
    types = {r.name: r.type for r in plan.resources}
    out = []
    for r in plan.resources:
        chain = f"{types[r.component]}${r.type}" if r.component else r.type
        if r.type.startswith("auditkit:"):
            continue
        out.append(Resource(r.type, r.name, urn_for(plan.stack, chain, r.name), r.inputs, r.inputs))
    return out


PROVIDER_CLOUDS = {
    "pulumi:providers:aws": "aws",
    "pulumi:providers:gcp": "gcp",
    "pulumi:providers:azure-native": "azure",
}


def declared_clouds(path: Path) -> list[str]:
    """The clouds an export declares: those it holds a provider resource for (default or explicit)."""
    found = {PROVIDER_CLOUDS.get(str(r.get("type"))) for r in _deployment(path).get("resources") or []}
    return sorted(c for c in found if c)


def _deployment(path: Path) -> Mapping[str, Any]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(
            "--state",
            str(path),
            "a JSON file written by `pulumi stack export`",
            f"not text: byte {exc.start} is not UTF-8",
        ) from None
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigError("--state", str(path), "a JSON file written by `pulumi stack export`", str(exc)) from None
    if not isinstance(doc, Mapping):
        raise ConfigError(
            "--state", str(path), "a `pulumi stack export` file (a JSON object)", f"found a JSON {type(doc).__name__}"
        )
    version = doc.get("version")
    deployment = doc.get("deployment")
    if version != 3 or not isinstance(deployment, Mapping):
        raise ConfigError(
            "--state", str(path), "a `pulumi stack export` file with version 3", f"found version {version!r}"
        )
    return deployment


def _resources(path: Path) -> list[Mapping[str, Any]]:
    resources = _deployment(path).get("resources") or []
    if not isinstance(resources, list) or not all(isinstance(r, Mapping) for r in resources):
        raise ConfigError("--state", str(path), "deployment.resources as a list of objects", "unexpected shape")
    return resources


def resources_from_state(path: Path) -> list[Resource]:
    """Resources of a `pulumi stack export` (deployment version 3), raw provider resources included."""
    out = []
    for r in _resources(path):
        rtype = str(r.get("type", ""))
        if rtype.startswith("pulumi:") or r.get("delete"):
            continue
        urn = str(r.get("urn", ""))
        out.append(
            Resource(
                rtype, urn.rsplit("::", 1)[-1], urn, r.get("inputs") or {}, r.get("outputs") or r.get("inputs") or {}
            )
        )
    return out

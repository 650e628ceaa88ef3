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
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
)

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


def _opts() -> PolicyResourceOptions:
    return PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], None)


def _settle(result: Any) -> None:
    if asyncio.iscoroutine(result) or isinstance(result, asyncio.Future):
        asyncio.run(result)  # type: ignore[arg-type]


def check(
    resources: Sequence[Resource], config: Mapping[str, Any], enforcement: Mapping[str, str] | None = None
) -> list[Violation]:
    """Every violation of every enabled policy. `enforcement` overrides levels per policy name."""
    out: list[Violation] = []
    for policy in all_policies():
        level = (enforcement or {}).get(policy.name) or policy.enforcement_level.value  # type: ignore[union-attr]
        if level == EnforcementLevel.DISABLED.value:
            continue
        control_id = policy.tags[0] if policy.tags else policy.name

        def report(
            message: str, urn: str | None = None, _p: str = policy.name, _c: str = control_id, _l: str = level
        ) -> None:
            out.append(Violation(_p, _c, _l, message, urn))

        if isinstance(policy, ResourceValidationPolicy):
            for r in resources:
                args = ResourceValidationArgs(r.type, r.inputs, r.urn, r.name, _opts(), None, config=dict(config))
                _settle(policy.validate(args, lambda msg, urn=None, _r=r: report(msg, urn or _r.urn)))
        else:
            stack = [PolicyResource(r.type, r.outputs, r.urn, r.name, _opts(), None, None, [], {}) for r in resources]
            _settle(policy.validate(StackValidationArgs(stack, config=dict(config)), report))
    return out


def urn_for(stack: str, type_chain: str, name: str, project: str = "auditkit") -> str:
    return f"urn:pulumi:{stack}::{project}::{type_chain}::{name}"


def resources_from_state(path: Path) -> list[Resource]:
    """Resources of a `pulumi stack export` (deployment version 3), raw provider resources included."""
    try:
        doc = json.loads(path.read_text())
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
    out = []
    resources = deployment.get("resources") or []
    if not isinstance(resources, list) or not all(isinstance(r, Mapping) for r in resources):
        raise ConfigError("--state", str(path), "deployment.resources as a list of objects", "unexpected shape")
    for r in resources:
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

"""Azure controls as CrossGuard stack policies over judge_azure_plan (raw resources or components alike)."""

from __future__ import annotations

from pulumi_policy import ReportViolation, StackValidationArgs, StackValidationPolicy

from policies.azure.plan_facts import AZURE_CONTROLS, judge_azure_plan
from policies.crossguard.aws_policies import metadata, policy_name
from policies.crossguard.pack_config import parse_pack_config
from policies.verdicts import PlanResource


def _stack_policy(control_id: str) -> StackValidationPolicy:
    def validate(args: StackValidationArgs, report: ReportViolation) -> None:
        config = parse_pack_config(args.get_config())
        azure = [r for r in args.resources if r.resource_type.startswith("azure-native:")]
        declared = "azure" in config.clouds
        if not declared and not azure:
            return
        plan = [PlanResource(r.resource_type, r.name, r.props) for r in azure]
        urns = {r.name: r.urn for r in azure}
        verdicts = judge_azure_plan(
            plan, config.required, config.azure_resources, config.azure_shared_key_access, declared
        )
        for v in verdicts:
            if v.control_id != control_id or v.passed:
                continue
            urn = next((urns[n] for n in v.resources if n in urns), None)
            for gap in v.gaps:
                report(f"[{control_id}] {gap}", urn)

    return StackValidationPolicy(name=policy_name(control_id), validate=validate, **metadata(control_id))


def azure_policies() -> list[StackValidationPolicy]:
    return [_stack_policy(c) for c in AZURE_CONTROLS]

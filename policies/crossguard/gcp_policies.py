"""GCP controls as CrossGuard stack policies over judge_gcp_plan (raw resources or components alike)."""

from __future__ import annotations

from pulumi_policy import ReportViolation, StackValidationArgs, StackValidationPolicy

from policies.crossguard.aws_policies import metadata, policy_name
from policies.crossguard.pack_config import parse_pack_config
from policies.gcp.plan_facts import GCP_CONTROLS, judge_gcp_plan
from policies.verdicts import PlanResource


def _stack_policy(control_id: str) -> StackValidationPolicy:
    def validate(args: StackValidationArgs, report: ReportViolation) -> None:
        config = parse_pack_config(args.get_config())
        gcp = [r for r in args.resources if r.resource_type.startswith("gcp:")]
        plan = [PlanResource(r.resource_type, r.name, r.props) for r in gcp]
        urns = {r.name: r.urn for r in gcp}
        for v in judge_gcp_plan(
            plan, config.required, config.gcp_exemptions, config.gcp_kms_key, "gcp" in config.clouds
        ):
            if v.control_id != control_id or v.passed:
                continue
            urn = next((urns[n] for n in v.resources if n in urns), None)
            for gap in v.gaps:
                report(f"[{control_id}] {gap}", urn)

    return StackValidationPolicy(name=policy_name(control_id), validate=validate, **metadata(control_id))


def gcp_policies() -> list[StackValidationPolicy]:
    return [_stack_policy(c) for c in GCP_CONTROLS]

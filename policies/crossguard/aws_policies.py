"""AWS controls as CrossGuard policies, one per control, over the shared judges.

Per-trail controls are resource policies (one trail decides). Coverage and the archive's
controls need the whole plan (which buckets are trail destinations, which trails exist),
so they are stack policies over judge_aws_plan: the same judgement `auditkit plan` shows
and the drift auditor applies to live state.
"""

from __future__ import annotations

from collections.abc import Callable

from pulumi_policy import (
    EnforcementLevel,
    PolicyComplianceFramework,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from policies.aws import judges
from policies.aws.facts import TrailFacts
from policies.aws.plan_facts import TRAIL, PlanResource, judge_aws_plan, trail_facts
from policies.catalog import control
from policies.controls import Control, Enforcement
from policies.crossguard.pack_config import SCHEMA, parse_pack_config

_SEVERITY = {"low": Severity.LOW, "medium": Severity.MEDIUM, "high": Severity.HIGH, "critical": Severity.CRITICAL}


def policy_name(control_id: str) -> str:
    """aws.trail.log_validation -> auditkit-aws-trail-log-validation"""
    return "auditkit-" + control_id.replace(".", "-").replace("_", "-")


def frameworks(c: Control) -> list[PolicyComplianceFramework]:
    """The control's citations as compliance-framework entries (HIPAA, SOC 2, NIST 800-53)."""
    cites = c.citations
    return [
        PolicyComplianceFramework("HIPAA Security Rule", "45 CFR Part 164 Subpart C", ", ".join(cites.hipaa), c.title),
        PolicyComplianceFramework("SOC 2", "2017 TSC (rev. 2022)", ", ".join(cites.soc2), c.title),
        PolicyComplianceFramework("NIST SP 800-53", "Rev. 5", ", ".join(cites.nist), c.title),
    ]


def metadata(control_id: str) -> dict:
    c = control(control_id)
    cites = c.citations
    return {
        "description": f"{c.title} [{c.id}]. {c.rationale}",
        "enforcement_level": EnforcementLevel.MANDATORY
        if c.enforcement is Enforcement.MANDATORY
        else EnforcementLevel.ADVISORY,
        "config_schema": SCHEMA,
        "display_name": f"{c.id}: {c.title}",
        "severity": _SEVERITY[c.severity.value],
        # The SDK takes one framework per policy: HIPAA here, SOC 2 and NIST as tags.
        "framework": frameworks(c)[0],
        "tags": [
            c.id,
            *(f"soc2:{x}" for x in cites.soc2),
            *(f"nist-800-53:{x}" for x in cites.nist),
            *(f"hipaa:{x}" for x in cites.hipaa),
        ],
        "remediation_steps": c.remediation,
    }


def _trail_policy(control_id: str, judge: Callable[[TrailFacts], list[str]]) -> ResourceValidationPolicy:
    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        if args.resource_type != TRAIL:
            return
        for gap in judge(trail_facts(args.props)):
            report(f"[{control_id}] {gap}", None)

    return ResourceValidationPolicy(name=policy_name(control_id), validate=validate, **metadata(control_id))


def _stack_policy(control_id: str) -> StackValidationPolicy:
    def validate(args: StackValidationArgs, report: ReportViolation) -> None:
        config = parse_pack_config(args.get_config())
        aws_resources = [r for r in args.resources if r.resource_type.startswith("aws:")]
        plan = [PlanResource(r.resource_type, r.name, r.props) for r in aws_resources]
        urns = {r.name: r.urn for r in aws_resources}
        verdicts = judge_aws_plan(
            plan, config.required, config.s3_scope, config.archive_buckets, "aws" in config.clouds
        )
        for v in verdicts:
            if v.control_id != control_id or v.passed:
                continue
            urn = next((urns[n] for n in v.resources if n in urns), None)
            for gap in v.gaps:
                report(f"[{control_id}] {gap}", urn)

    return StackValidationPolicy(name=policy_name(control_id), validate=validate, **metadata(control_id))


def aws_policies() -> list[ResourceValidationPolicy | StackValidationPolicy]:
    return [
        _trail_policy("aws.trail.logging", judges.logging),
        _trail_policy("aws.trail.log_validation", judges.log_validation),
        _trail_policy("aws.trail.kms", judges.kms),
        _trail_policy("aws.trail.cloudwatch", judges.cloudwatch),
        *(
            _stack_policy(c)
            for c in (
                "aws.trail.multi_region",
                "aws.trail.s3_data_events",
                "aws.trail.lambda_data_events",
                "aws.trail.dynamodb_data_events",
                "aws.bucket.object_lock",
                "aws.bucket.lifecycle",
                "aws.bucket.hardening",
            )
        ),
    ]

"""AWS controls as CrossGuard policies, one per control, over the shared judges.

Per-trail controls are resource policies (one trail decides). Coverage and the archive's
controls need the whole plan (which buckets are trail destinations, which trails exist),
so they are stack policies over judge_aws_plan: the same judgement `auditkit plan` shows
and the drift auditor applies to live state.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from pulumi_policy import ReportViolation, ResourceValidationArgs, ResourceValidationPolicy, StackValidationPolicy

from auditkit.policies.aws.facts import TrailFacts
from auditkit.policies.aws.plan_facts import TRAIL_JUDGES, judge_aws_plan, trail_facts
from auditkit.policies.aws.resource_types import TRAIL, canonical_type
from auditkit.policies.computed import judged
from auditkit.policies.crossguard.engine_values import before_apply, judged_safely, plain
from auditkit.policies.crossguard.metadata import metadata, policy_name
from auditkit.policies.crossguard.pack_config import PackConfig
from auditkit.policies.crossguard.stack_policy import stack_policy
from auditkit.policies.verdicts import PlanResource, Verdict

__all__ = ["aws_policies", "metadata", "policy_name"]


def _trail_policy(control_id: str, judge: Callable[[TrailFacts], list[str]]) -> ResourceValidationPolicy:
    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        if canonical_type(args.resource_type) != TRAIL:
            return
        with judged_safely(control_id, report):
            facts = trail_facts(plain(args.props))
            verdict = judged(control_id, (args.name,), lambda: judge(facts))
            for gap in verdict.gaps:
                report(f"[{control_id}] {gap}", None)
            if verdict.undetermined:
                raise before_apply(control_id, verdict.undetermined)

    return ResourceValidationPolicy(name=policy_name(control_id), validate=validate, **metadata(control_id))


def _judge(plan: Sequence[PlanResource], config: PackConfig) -> list[Verdict]:
    return judge_aws_plan(plan, config.required, config.s3_scope, config.archive_buckets, "aws" in config.clouds)


def aws_policies() -> list[ResourceValidationPolicy | StackValidationPolicy]:
    return [
        *(_trail_policy(control_id, judge) for control_id, judge in TRAIL_JUDGES.items()),
        *(
            stack_policy(c, "aws:", _judge)
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

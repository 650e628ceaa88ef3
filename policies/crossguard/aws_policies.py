"""AWS controls as CrossGuard policies, one per rule of the AWS rule table.

A rule judged per trail is a resource policy (one trail decides). Every other rule needs the whole
plan (which buckets are trail destinations, which trails exist), so it is a stack policy over
judge_aws_plan: the same judgement `auditkit plan` shows and the drift auditor applies to live state.
"""

from __future__ import annotations

from collections.abc import Sequence

from pulumi_policy import ReportViolation, ResourceValidationArgs, ResourceValidationPolicy, StackValidationPolicy

from auditkit.policies.aws import rules
from auditkit.policies.aws.plan_facts import judge_aws_plan, trail_facts
from auditkit.policies.aws.resource_types import TRAIL, canonical_type
from auditkit.policies.computed import judged
from auditkit.policies.crossguard.engine_values import before_apply, judged_safely, plain
from auditkit.policies.crossguard.metadata import metadata, policy_name
from auditkit.policies.crossguard.pack_config import PackConfig
from auditkit.policies.crossguard.stack_policy import stack_policy
from auditkit.policies.rule import Rule
from auditkit.policies.verdicts import PlanResource, Verdict


def _trail_policy(rule: Rule) -> ResourceValidationPolicy:
    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        if canonical_type(args.resource_type) != TRAIL:
            return
        with judged_safely(rule.control, report):
            facts = trail_facts(plain(args.props))
            verdict = judged(rule.control, (args.name,), lambda: rule.judge(facts))
            for gap in verdict.gaps:
                report(f"[{rule.control}] {gap}", None)
            if verdict.undetermined:
                raise before_apply(rule.control, verdict.undetermined)

    return ResourceValidationPolicy(name=policy_name(rule.control), validate=validate, **metadata(rule.control))


def _judge(plan: Sequence[PlanResource], config: PackConfig) -> list[Verdict]:
    return judge_aws_plan(
        plan, config.required, config.s3_scope, config.archive_buckets, "aws" in config.clouds, config.phi_buckets
    )


def aws_policies() -> list[ResourceValidationPolicy | StackValidationPolicy]:
    """Per-trail rules first, then the whole-plan ones; evidence rules have no policy (they judge delivered logs)."""
    judged_rules = [r for r in rules.RULES if isinstance(r, Rule)]
    return [
        *(_trail_policy(r) for r in judged_rules if r.per == "trail"),
        *(stack_policy(r.control, "aws:", _judge) for r in judged_rules if r.per != "trail"),
    ]

"""GCP controls as CrossGuard stack policies, one per rule of the GCP rule table, over judge_gcp_plan
(raw resources or components alike)."""

from __future__ import annotations

from collections.abc import Sequence

from pulumi_policy import StackValidationPolicy

from auditkit.policies.crossguard.pack_config import PackConfig
from auditkit.policies.crossguard.stack_policy import stack_policy
from auditkit.policies.gcp import rules
from auditkit.policies.gcp.plan_facts import judge_gcp_plan
from auditkit.policies.rule import Rule
from auditkit.policies.verdicts import PlanResource, Verdict


def _judge(plan: Sequence[PlanResource], config: PackConfig) -> list[Verdict]:
    return judge_gcp_plan(
        plan,
        config.required,
        config.gcp_exemptions,
        config.gcp_kms_key,
        "gcp" in config.clouds,
        config.gcp_phi_buckets,
    )


def gcp_policies() -> list[StackValidationPolicy]:
    return [stack_policy(r.control, "gcp:", _judge) for r in rules.RULES if isinstance(r, Rule)]

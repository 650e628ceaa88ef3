"""GCP controls as CrossGuard stack policies over judge_gcp_plan (raw resources or components alike)."""

from __future__ import annotations

from collections.abc import Sequence

from pulumi_policy import StackValidationPolicy

from auditkit.policies.crossguard.pack_config import PackConfig
from auditkit.policies.crossguard.stack_policy import stack_policy
from auditkit.policies.gcp.plan_facts import GCP_CONTROLS, judge_gcp_plan
from auditkit.policies.verdicts import PlanResource, Verdict


def _judge(plan: Sequence[PlanResource], config: PackConfig) -> list[Verdict]:
    return judge_gcp_plan(plan, config.required, config.gcp_exemptions, config.gcp_kms_key, "gcp" in config.clouds)


def gcp_policies() -> list[StackValidationPolicy]:
    return [stack_policy(c, "gcp:", _judge) for c in GCP_CONTROLS]

"""Azure controls as CrossGuard stack policies over judge_azure_plan (raw resources or components alike)."""

from __future__ import annotations

from collections.abc import Sequence

from pulumi_policy import StackValidationPolicy

from auditkit.policies.azure.plan_facts import AZURE_CONTROLS, judge_azure_plan
from auditkit.policies.crossguard.pack_config import PackConfig
from auditkit.policies.crossguard.stack_policy import stack_policy
from auditkit.policies.verdicts import PlanResource, Verdict


def _judge(plan: Sequence[PlanResource], config: PackConfig) -> list[Verdict]:
    declared = "azure" in config.clouds
    return judge_azure_plan(plan, config.required, config.azure_resources, config.azure_shared_key_access, declared)


def azure_policies() -> list[StackValidationPolicy]:
    return [stack_policy(c, "azure-native:", _judge) for c in AZURE_CONTROLS]

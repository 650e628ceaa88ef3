"""Azure controls as CrossGuard stack policies, one per rule of the Azure rule table, over judge_azure_plan
(raw resources or components alike)."""

from __future__ import annotations

from collections.abc import Sequence

from pulumi_policy import StackValidationPolicy

from auditkit.policies.azure import rules
from auditkit.policies.azure.plan_facts import judge_azure_plan
from auditkit.policies.crossguard.pack_config import PackConfig
from auditkit.policies.crossguard.stack_policy import stack_policy
from auditkit.policies.rule import Rule
from auditkit.policies.verdicts import PlanResource, Verdict


def _judge(plan: Sequence[PlanResource], config: PackConfig) -> list[Verdict]:
    declared = "azure" in config.clouds
    return judge_azure_plan(plan, config.required, config.azure_resources, config.azure_shared_key_access, declared)


def azure_policies() -> list[StackValidationPolicy]:
    return [stack_policy(r.control, "azure-native:", _judge) for r in rules.RULES if isinstance(r, Rule)]

"""One stack policy per control over a cloud's whole-plan judge: the loop every cloud shares."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from pulumi_policy import ReportViolation, StackValidationArgs, StackValidationPolicy

from auditkit.policies.crossguard.engine_values import before_apply, engine_plan, judged_safely
from auditkit.policies.crossguard.metadata import metadata, policy_name
from auditkit.policies.crossguard.pack_config import PackConfig, parse_pack_config, stack_settings
from auditkit.policies.verdicts import PlanResource, Verdict

PlanJudge = Callable[[Sequence[PlanResource], PackConfig], list[Verdict]]

# The engine runs every policy of the pack over the same plan, one after another, and each stack policy needs
# its cloud's whole-plan judgement: judged once per plan, the rest read it. Keyed by the plan's and the
# config's text (the judges are pure over that data); only the newest few plans are kept.
_JUDGED: dict[tuple[PlanJudge, str, str], list[Verdict]] = {}
_KEPT = 8


def _judged(judge: PlanJudge, plan: list[PlanResource], config: PackConfig) -> list[Verdict]:
    key = (judge, repr(plan), repr(config))
    found = _JUDGED.get(key)
    if found is None:
        if len(_JUDGED) >= _KEPT:
            _JUDGED.pop(next(iter(_JUDGED)))
        found = _JUDGED[key] = judge(plan, config)
    return found


def stack_policy(control_id: str, type_prefix: str, judge: PlanJudge) -> StackValidationPolicy:
    """Report each gap of `control_id` that `judge` finds among the plan's `type_prefix` resources.

    Gaps are reported first; fields computed at apply then end the policy with the analyzer's
    advisory "cannot judge before apply", naming them.
    """

    def validate(args: StackValidationArgs, report: ReportViolation) -> None:
        with judged_safely(control_id, report):
            config = parse_pack_config(args.get_config(), stack_settings())
            mine = [r for r in args.resources if r.resource_type.startswith(type_prefix)]
            urns = {r.name: r.urn for r in mine}
            undetermined: list[str] = []
            for v in _judged(judge, engine_plan(mine), config):
                if v.control_id != control_id:
                    continue
                urn = next((urns[n] for n in v.resources if n in urns), None)
                for gap in v.gaps:
                    report(f"[{control_id}] {gap}", urn)
                undetermined += v.undetermined
            if undetermined:
                raise before_apply(control_id, list(dict.fromkeys(undetermined)))

    return StackValidationPolicy(name=policy_name(control_id), validate=validate, **metadata(control_id))

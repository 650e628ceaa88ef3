"""One verdict per alert rule of a plan, the same loop for every cloud.

Each cloud builds its plan's alert wiring once (policies/<cloud>/plan_alerts.py) and says, per rule, the gaps
and the plan resources that prove the alert. A value computed at apply (NotYetKnown) leaves only the alerts
that read it undetermined; any other failure is that alert's gap, never a pass (policies/computed.judged).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial

from auditkit.policies.computed import judged
from auditkit.policies.rule import EvidenceRule, Rule, of_kind
from auditkit.policies.verdicts import Verdict

# (rule, alert id) -> (gaps, the plan resources that prove the alert)
Proven = Callable[[Rule, str], tuple[list[str], tuple[str, ...]]]


def alert_verdicts(
    rules: Iterable[Rule | EvidenceRule], proven: Proven, judged_resources: tuple[str, ...]
) -> list[Verdict]:
    """judged_resources: what a verdict names when no resource proves its alert (what was judged)."""
    verdicts = []
    for rule in of_kind(rules, "alert"):
        used: list[tuple[str, ...]] = []
        verdict = judged(rule.control, (), partial(_part, proven, rule, used))
        proof = used[0] if used else ()
        verdicts.append(Verdict(rule.control, proof or judged_resources, verdict.gaps, verdict.undetermined))
    return verdicts


def _part(proven: Proven, rule: Rule, used: list[tuple[str, ...]]) -> list[str]:
    gaps, proof = proven(rule, rule.control.rsplit(".", 1)[-1])
    used.append(proof)
    return gaps

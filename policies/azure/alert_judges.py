"""Azure alert judges: an alert holds when what is deployed would notice its events and tell someone.

Pure functions over plain data, shared by the live scan (auditors/azure/alerts.py), the plan and the pack
(policies/azure/plan_alerts.py). An activity-log alert holds when ENABLED activity log alerts, each with an
action group that is enabled and has at least one receiver that is not disabled (an email or SMS receiver
whose recipient unsubscribed reads "Disabled"), together match every must-match event of the alert's
corpus (bound to this subscription and its archive) and none of them a must-not-match event, judged by
what their conditions and scopes match (policies/alerts/activity_condition.py), never by their text. One
alert with `anyOf` and the CIS benchmark's one alert per operation are judged alike.

The failed-access burst is a scheduled log query (KQL), which AuditKit does not evaluate: it is judged by
its configuration only. It holds when an enabled scheduled query rule is scoped to an audit workspace (one
a diagnostic setting sends to), its query reads the three sources by name (Key Vault's AuditEvent, FHIR's
MicrosoftHealthcareApisAuditLogs, SQL's SQLSecurityAuditEvents), and an action group of it reaches someone.

What could not be read, or a condition the evaluator cannot read, is `Unjudged` (an ERROR naming it) unless
another alert already proves the alert.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from auditkit.policies.alerts.bindings import bound_once
from auditkit.policies.alerts.catalog import ALERTS_BY_ID
from auditkit.policies.alerts.corpus.azure import EXAMPLE_PARAMETERS
from auditkit.policies.alerts.model import CloudAlert, Corpus, Language
from auditkit.policies.alerts.semantics import FilterVerdict, Outcome, judge_condition
from auditkit.policies.computed import known

FAILED_ACCESS_BURST = "failed_access_burst"
# What the failed-access query must read, by the names Azure Monitor Logs gives them (see azure_alerts.py).
FAILED_ACCESS_SOURCES = (
    ("Key Vault", "AuditEvent"),
    ("FHIR", "MicrosoftHealthcareApisAuditLogs"),
    ("SQL", "SQLSecurityAuditEvents"),
)
# The archive first: its example id holds the example subscription, which is replaced second.
_EXAMPLES = dict(sorted(EXAMPLE_PARAMETERS.items(), key=lambda kv: kv[0] != "archive_account_id"))
# Alerts named in a FAIL message: the closest ones, so the finding names what they miss.
CLOSEST = 2
_UNNAMED = {
    "archive_account_id": "the archive storage account is not known (no Activity Log diagnostic setting names "
    "one), so no activity log alert can be shown to watch it",
}


class Unjudged(Exception):
    """A part of the alert could not be read or evaluated, and no other part proves it: an ERROR."""


@dataclass(frozen=True)
class ActivityLogAlert:
    name: str
    enabled: bool
    scopes: tuple[str, ...]
    condition: Any  # {allOf: [...]} as the API or the plan holds it; judged by the evaluator
    action_groups: tuple[str, ...]  # actionGroupId of each action


@dataclass(frozen=True)
class ActionGroup:
    name: str
    enabled: bool
    receivers: tuple[str, ...]  # "<kind> <name>" of each receiver that is not disabled


@dataclass(frozen=True)
class ScheduledQuery:
    name: str
    enabled: bool
    scopes: tuple[str, ...]
    queries: tuple[str, ...]  # criteria.allOf[].query
    action_groups: tuple[str, ...]


@dataclass(frozen=True)
class AzureAlertWiring:
    """One subscription's (or one plan's) alerting, as the judges see it.

    `action_groups` is keyed by the lower-cased id an action names (a plan also keys them by resource name);
    `workspaces` are the audit workspaces (what the diagnostic settings send to); `parameters` the
    subscription id and the archive account id the corpora are bound to.
    """

    subscription: str
    alerts: tuple[ActivityLogAlert, ...]
    action_groups: Mapping[str, ActionGroup]
    queries: tuple[ScheduledQuery, ...]
    workspaces: tuple[str, ...]
    parameters: Mapping[str, Any]  # str; a plan's value computed at apply is a Computed marker


@dataclass(frozen=True)
class AlertVerdict:
    gaps: tuple[str, ...]
    used: tuple[str, ...]  # what proves it (or was judged): alert or rule, action group
    summary: str


def variant(alert_id: str) -> CloudAlert:
    found = ALERTS_BY_ID[alert_id].on("azure")
    assert found is not None
    return found


def corpus_for(alert_id: str, parameters: Mapping[str, Any]) -> Corpus:
    """The corpus bound to the parameters the alert names (and the subscription every corpus is in): a plan's
    archive id computed at apply then waits for apply only in the alert that watches the archive."""
    found = variant(alert_id)
    assert found.corpus is not None
    used = {"subscription_id", *found.parameters}
    return bound_once(alert_id, found.corpus, _EXAMPLES, {k: v for k, v in parameters.items() if k in used})


def receivers(props: Mapping[str, Any]) -> tuple[str, ...]:
    """Every receiver of an action group (REST or plan shape: `emailReceivers`, `webhookReceivers`, ...)
    that is not disabled, as "<kind> <name>"."""
    found = []
    for key, items in props.items():
        if not key.endswith("Receivers") or not isinstance(items, list):
            continue
        kind = key.removesuffix("Receivers")
        for r in items:
            if isinstance(r, Mapping) and str(r.get("status") or "").casefold() != "disabled":
                found.append(f"{kind} {r.get('name')}")
    return tuple(found)


def _group(ident: str, wiring: AzureAlertWiring) -> ActionGroup | None:
    return wiring.action_groups.get(ident.casefold()) or wiring.action_groups.get(ident.rsplit("/", 1)[-1].casefold())


def _reach(owner: str, groups: Sequence[str], wiring: AzureAlertWiring) -> tuple[list[str], str | None, list[str]]:
    """(the action group and its receivers, why it reaches nobody, what could not be read)."""
    if not groups:
        return [], f"{owner} has no action group", []
    why, unread = [], []
    for ident in groups:
        group = _group(ident, wiring)
        if group is None:
            unread.append(f"{owner}'s action group {ident} is not among this subscription's action groups")
        elif not group.enabled:
            why.append(f"action group {group.name!r} is disabled")
        elif not group.receivers:
            why.append(f"action group {group.name!r} has no receiver that is not disabled")
        else:
            return [group.name, *group.receivers], None, []
    return [], f"{owner}: " + "; ".join(why) if why else None, unread


def _near(verdicts: list[tuple[ActivityLogAlert, FilterVerdict]], corpus: Corpus) -> tuple[str, list[str]]:
    """Why no alert matches the events: the closest alerts (fewest events missed or overmatched) and theirs."""
    failing = [(a, v) for a, v in verdicts if v.outcome is Outcome.FAIL and len(v.missed) < len(corpus.must_match)]
    if not failing:
        names = "; ".join(repr(e.name) for e in corpus.must_match[:3])
        return f"no activity log alert matches the alert's events (e.g. {names})", []
    best = min(len(v.missed) + len(v.overmatched) for _, v in failing)
    near = sorted(
        (av for av in failing if len(av[1].missed) + len(av[1].overmatched) == best), key=lambda av: av[0].name
    )
    text = "; ".join(v.message.replace("filter ", "activity log alert ", 1) for _, v in near[:CLOSEST])
    return f"no activity log alert matches the alert exactly: {text}", [a.name for a, _ in near[:CLOSEST]]


def _activity(alert_id: str, wiring: AzureAlertWiring) -> AlertVerdict:
    """Held when enabled alerts that reach someone match, together, every must-match event, and none of them
    a must-not-match event: one alert with an anyOf, or one alert per operation as the CIS benchmark lays out."""
    for name in variant(alert_id).parameters:
        if not wiring.parameters.get(name):
            return AlertVerdict((_UNNAMED.get(name, f"{name} is not known"),), (), "")
    corpus = corpus_for(alert_id, wiring.parameters)
    events = [e.name for e in corpus.must_match]
    verdicts = [(a, judge_condition(a.condition, a.scopes, corpus, a.name)) for a in wiring.alerts]
    errors = [v.message.replace("filter ", "activity log alert ", 1) for _, v in verdicts if v.outcome is Outcome.ERROR]
    clean = [(a, v) for a, v in verdicts if v.outcome is not Outcome.ERROR and not v.overmatched]
    clean = [(a, v) for a, v in clean if len(v.missed) < len(events)]
    gaps, unread, covering = [], [], []
    for a, v in clean:
        if not a.enabled:
            share = (
                "the alert's events"
                if not v.missed
                else f"{len(events) - len(v.missed)} of the alert's {len(events)} events"
            )
            gaps.append(f"activity log alert {a.name!r} matches {share} but is disabled")
            continue
        reached, why, cannot = _reach(f"activity log alert {a.name!r}", a.action_groups, wiring)
        if reached:
            covering.append((a, [e for e in events if e not in v.missed], reached))
        gaps += [why] if why else []
        unread += cannot
    missing = [e for e in events if not any(e in matched for _, matched, _ in covering)]
    if not missing:
        used = [(a, reached) for a, matched, reached in covering]
        return AlertVerdict((), tuple(x for a, r in used for x in (a.name, *r)), _covered_by(used))
    if errors or unread:
        raise Unjudged("; ".join(errors + unread + gaps))
    closest: list[str] = []
    if covering:
        gaps.append("no enabled activity log alert that reaches someone matches " + "; ".join(map(repr, missing)))
    if not clean:
        gap, closest = _near(verdicts, corpus)
        gaps.append(gap)
    judged = [a.name for a, _ in clean] + closest
    return AlertVerdict(tuple(gaps), tuple(dict.fromkeys(judged)), "")


def _covered_by(used: list[tuple[ActivityLogAlert, list[str]]]) -> str:
    if len(used) == 1:
        return _summary(f"activity log alert {used[0][0].name!r}", used[0][1])
    groups = sorted({r[0] for _, r in used})
    names = ", ".join(repr(a.name) for a, _ in used)
    return f"activity log alerts {names} together -> action group{'s' * (len(groups) != 1)} " + ", ".join(
        map(repr, groups)
    )


def _reads_sources(query: ScheduledQuery) -> list[str]:
    """The failed-access sources the rule's query does not name (case-insensitive)."""
    text = " ".join(query.queries).casefold()
    return [service for service, name in FAILED_ACCESS_SOURCES if name.casefold() not in text]


def _on_workspace(query: ScheduledQuery, workspaces: Sequence[str]) -> bool:
    mine = {w.strip("/").casefold() for w in workspaces}
    return any(s.strip("/").casefold() in mine for s in query.scopes)


def _scheduled(wiring: AzureAlertWiring) -> AlertVerdict:
    if not wiring.workspaces:
        return AlertVerdict(
            ("no diagnostic setting sends to a Log Analytics workspace, so no scheduled query can examine "
             "failed Key Vault, FHIR or SQL access",),
            (),
            "",
        )  # fmt: skip
    workspaces = tuple(known(wiring.workspaces))  # a plan's id computed at apply: this alert waits for it
    where = ", ".join(workspaces)
    on = [q for q in wiring.queries if _on_workspace(q, workspaces)]
    if not on:
        return AlertVerdict((f"no scheduled query rule is scoped to the audit workspace {where}",), (), "")
    gaps, unread = [], []
    for q in on:
        missing = _reads_sources(q)
        if missing:
            gaps.append(f"scheduled query rule {q.name!r} does not read {', '.join(missing)} failures")
            continue
        if not q.enabled:
            gaps.append(f"scheduled query rule {q.name!r} is disabled")
            continue
        reached, why, cannot = _reach(f"scheduled query rule {q.name!r}", q.action_groups, wiring)
        if reached:
            owner = f"scheduled query rule {q.name!r} (its KQL is judged by configuration only)"
            return AlertVerdict((), (q.name, *reached), _summary(owner, reached))
        gaps += [why] if why else []
        unread += cannot
    if unread:
        raise Unjudged("; ".join(unread + gaps))
    return AlertVerdict(tuple(gaps), tuple(q.name for q in on), "")


def assess_alert(alert_id: str, wiring: AzureAlertWiring) -> AlertVerdict:
    """The alert's verdict; raises Unjudged when it is not proven and something it rests on was unread."""
    if variant(alert_id).language is Language.KQL:
        return _scheduled(wiring)
    return _activity(alert_id, wiring)


def _summary(owner: str, reached: Sequence[str]) -> str:
    group, *names = reached
    return f"{owner} -> action group {group!r} ({len(names)} receiver{'s' * (len(names) != 1)})"


def alert_gaps(alert_id: str, wiring: AzureAlertWiring) -> list[str]:
    """The rule table's judge: the alert's gaps (raises Unjudged, see assess_alert)."""
    return list(assess_alert(alert_id, wiring).gaps)


def alert_summary(alert_id: str, wiring: AzureAlertWiring) -> str:
    """What a PASS shows: the alert (or query rule) and the action group that reaches someone."""
    return assess_alert(alert_id, wiring).summary

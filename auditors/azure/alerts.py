"""The live Azure alerts: collect the subscription's alerting, and judge each alert of the rule table.

Three paged listings per subscription, never one per alert: activity log alerts, action groups and
scheduled query rules (Microsoft.Insights, list by subscription, following each page's nextLink). The
judges are pure (policies/azure/alert_judges.py); a listing that could not be read turns every verdict
that rests on it ERROR, and only those.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from auditkit.auditors.azure.collect import AzureClients, AzureSnapshot, classify, every, rest
from auditkit.auditors.failures import Failure
from auditkit.auditors.findings import Finding, Status
from auditkit.policies.azure import rules
from auditkit.policies.azure.alert_judges import (
    ActionGroup,
    ActivityLogAlert,
    AzureAlertWiring,
    ScheduledQuery,
    Unjudged,
    receivers,
)
from auditkit.policies.rule import failed_reads, of_kind


@dataclass
class AlertRecord:
    """What the listings answered, in their REST shapes (properties lifted, id and name kept); None: unread."""

    alerts: list[dict[str, Any]] | None = None
    groups: list[dict[str, Any]] | None = None
    queries: list[dict[str, Any]] | None = None
    failures: list[Failure] = field(default_factory=list)


def collect_alerts(clients: AzureClients, subscription: str) -> AlertRecord:
    """The three listings, one after the other: the multi-API monitor client keeps one api-version in its
    shared configuration, set by each operation group it hands out, and a listing's next pages ask with
    whatever it holds then; read side by side, one listing's pages would ask with another's version."""
    sub = f"/subscriptions/{subscription}"
    # The scheduled query rules client pins an API version whose rules carry scopes and criteria (see scan.py).
    queries = clients.queries or clients.monitor
    calls: tuple[tuple[str, Callable[[], Any]], ...] = (
        (
            "ActivityLogAlerts.ListBySubscriptionId",
            lambda: clients.monitor.activity_log_alerts.list_by_subscription_id(),
        ),
        ("ActionGroups.ListBySubscriptionId", lambda: clients.monitor.action_groups.list_by_subscription_id()),
        ("ScheduledQueryRules.ListBySubscription", lambda: queries.scheduled_query_rules.list_by_subscription()),
    )
    answers, record = [], AlertRecord()
    for operation, listing in calls:
        found, failure = clients.read(partial(_listed, listing), operation, sub)
        answers.append(found)
        record.failures += [failure] if failure else []
    record.alerts, record.groups, record.queries = answers
    return record


def _listed(listing: Callable[[], Any]) -> list[dict[str, Any]]:
    return [rest(m) for m in every(listing())]


def _alert(a: Mapping[str, Any]) -> ActivityLogAlert:
    actions = (a.get("actions") or {}).get("actionGroups") or []
    return ActivityLogAlert(
        str(a.get("name") or a["id"]),
        a.get("enabled", True) is not False,
        tuple(str(s) for s in a.get("scopes") or ()),
        a.get("condition"),
        tuple(str(g["actionGroupId"]) for g in actions),
    )


def _query(q: Mapping[str, Any]) -> ScheduledQuery:
    criteria = (q.get("criteria") or {}).get("allOf") or []
    return ScheduledQuery(
        str(q.get("name") or q["id"]),
        q.get("enabled", True) is not False,
        tuple(str(s) for s in q.get("scopes") or ()),
        tuple(str(c.get("query") or "") for c in criteria),
        tuple(str(g) for g in (q.get("actions") or {}).get("actionGroups") or ()),
    )


def wiring(snap: AzureSnapshot, record: AlertRecord) -> AzureAlertWiring:
    """The record as the judges see it; a listing that was not read counts as empty (its rules are ERROR)."""
    groups = {
        str(g["id"]).casefold(): ActionGroup(str(g.get("name") or g["id"]), g.get("enabled") is True, receivers(g))
        for g in record.groups or ()
    }
    archive = next((str(s["storageAccountId"]) for s in snap.activity or () if s.get("storageAccountId")), "")
    parameters = {"subscription_id": snap.subscription, **({"archive_account_id": archive} if archive else {})}
    return AzureAlertWiring(
        snap.subscription,
        tuple(_alert(a) for a in record.alerts or ()),
        groups,
        tuple(_query(q) for q in record.queries or ()),
        tuple(sorted(snap.destinations("workspaceId"), key=str.casefold)),
        parameters,
    )


def assess_alerts(snap: AzureSnapshot, record: AlertRecord | None) -> list[Finding]:
    """One finding per alert rule, on the subscription: PASS, FAIL, or ERROR when what it rests on was unread."""
    if record is None:
        return []
    sub = f"/subscriptions/{snap.subscription}"
    failures = [
        (f.operation, f.describe()) for f in [*snap.failures, *snap.setting_failures.values(), *record.failures]
    ]
    findings = []
    try:
        live: AzureAlertWiring | None = wiring(snap, record)
        unreadable = ""
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        live, unreadable = None, "an alerting answer could not be read: {}: {}".format(*classify(exc))
    for rule in of_kind(rules.RULES, "alert"):
        failed = failed_reads(rule, failures)
        status, message = Status.ERROR, unreadable
        if live is not None:
            status, message = _judge(rule, live, failed)
        findings.append(Finding(rule.control, status, sub, snap.subscription, "", message))
    return findings


def _judge(rule: Any, live: AzureAlertWiring, failed: list[str]) -> tuple[Status, str]:
    try:
        gaps = rule.judge(live)
    except Unjudged as exc:
        return Status.ERROR, "; ".join([str(exc), *failed])
    except Exception as exc:  # an answer the judges did not expect: ERROR for this alert, never a crash
        code, text = classify(exc)
        return Status.ERROR, f"{code}: {text}"
    if gaps and failed:  # a gap found without what was unread is not a FAIL: it may be there
        return Status.ERROR, "; ".join(gaps + failed)
    if gaps:
        return Status.FAIL, "; ".join(gaps)
    return Status.PASS, rule.passed("", live)

"""The Azure alerts of a plan: its activity log alerts, action groups and scheduled query rules, as AzureAlertWiring.

Judged by the same judges as the live scan (policies/azure/alert_judges.py). An action named by id, by a
resolved URN or by the group's name is found among the plan's action groups. The archive and the audit
workspaces are what the plan's diagnostic settings write to. A value computed at apply that the wiring
needs (an action group id at a first preview) leaves the alerts undetermined, never passed.

The subscription the corpora are bound to is the stack's (`auditkit plan`); the pack, which is not told it,
takes the subscription the plan's subscription-scoped alerts name (so there the alerts are judged by
what they match, not by which subscription they sit in: the scan judges that).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from auditkit.policies.alerts.corpus.azure import EXAMPLE_PARAMETERS
from auditkit.policies.alerts.plan_verdicts import alert_verdicts as plan_alert_verdicts
from auditkit.policies.azure import rules
from auditkit.policies.azure.alert_judges import (
    ActionGroup,
    ActivityLogAlert,
    AzureAlertWiring,
    ScheduledQuery,
    assess_alert,
    receivers,
)
from auditkit.policies.computed import known, lazily
from auditkit.policies.rule import Rule
from auditkit.policies.verdicts import PlanResource, Verdict

ACTIVITY_LOG_ALERT = "azure-native:monitor:ActivityLogAlert"
ACTION_GROUP = "azure-native:monitor:ActionGroup"
SCHEDULED_QUERY_RULE = "azure-native:monitor:ScheduledQueryRule"
SUBSCRIPTION_SETTING = "azure-native:monitor:SubscriptionDiagnosticSetting"
WORKSPACE = "azure-native:operationalinsights:Workspace"
DIAGNOSTIC_SETTING = "azure-native:monitor:DiagnosticSetting"
ALERT_TYPES = (ACTIVITY_LOG_ALERT, ACTION_GROUP, SCHEDULED_QUERY_RULE)


def _names(value: str) -> str:
    """The name an action group reference ends with: an ARM id's last segment, or a resolved URN's resource."""
    return value.rsplit("::", 1)[-1] if value.startswith("urn:pulumi:") else value.rstrip("/").rsplit("/", 1)[-1]


def _groups(resources: Sequence[PlanResource]) -> dict[str, ActionGroup]:
    found = {}
    for r in resources:
        if r.type != ACTION_GROUP:
            continue
        group = ActionGroup(r.name, r.props.get("enabled", True) is not False, receivers(r.props))
        found[r.name.casefold()] = group
        name = r.props.get("actionGroupName")
        if isinstance(name, str) and name:
            found[name.casefold()] = group
    return found


def _action_ids(actions: Any) -> tuple[str, ...]:
    items = (actions or {}).get("actionGroups") or [] if isinstance(actions, Mapping) else []
    ids = [i.get("actionGroupId") if isinstance(i, Mapping) else i for i in items]
    return tuple(_names(str(known(i))) for i in ids)


def _subscription(alerts: Sequence[ActivityLogAlert], given: str | None) -> str:
    if given:
        return given
    scopes = [s.strip("/").split("/") for a in alerts for s in a.scopes]
    bare = [parts[1] for parts in scopes if len(parts) == 2 and parts[0].casefold() == "subscriptions"]
    return bare[0] if bare else str(EXAMPLE_PARAMETERS["subscription_id"])


def plan_wiring(resources: Sequence[PlanResource], subscription: str | None = None) -> AzureAlertWiring:
    """The plan's alerting. Raises NotYetKnown when a value it needs is computed at apply."""
    alerts = tuple(
        ActivityLogAlert(
            r.name,
            r.props.get("enabled", True) is not False,
            tuple(str(s) for s in known(r.props.get("scopes")) or ()),
            known(r.props.get("condition")),
            _action_ids(r.props.get("actions")),
        )
        for r in resources
        if r.type == ACTIVITY_LOG_ALERT
    )
    queries = tuple(
        ScheduledQuery(
            r.name,
            r.props.get("enabled", True) is not False,
            tuple(str(s) for s in known(r.props.get("scopes")) or ()),
            tuple(str(c.get("query") or "") for c in ((r.props.get("criteria") or {}).get("allOf") or [])),
            _action_ids(r.props.get("actions")),
        )
        for r in resources
        if r.type == SCHEDULED_QUERY_RULE
    )
    settings = [r for r in resources if r.type in (SUBSCRIPTION_SETTING, DIAGNOSTIC_SETTING)]
    archives = [a for r in settings if r.type == SUBSCRIPTION_SETTING and _given(a := r.props.get("storageAccountId"))]
    sub = _subscription(alerts, subscription)
    parameters = {"subscription_id": sub, **({"archive_account_id": archives[0]} if archives else {})}
    return AzureAlertWiring(sub, alerts, _groups(resources), queries, _workspaces(resources, settings), parameters)


def _given(value: Any) -> bool:
    """Set: text that is not empty, or a value computed at apply (compared with nothing, so it is not read)."""
    return (isinstance(value, str) and bool(value)) or (value is not None and not isinstance(value, str))


def _workspaces(resources: Sequence[PlanResource], settings: Sequence[PlanResource]) -> tuple[Any, ...]:
    """What the settings send to. A workspace id computed outside the plan is known at apply, unless the plan
    creates a workspace: that one is the audit workspace, named by the id its references resolve to."""
    sent = [w for r in settings if _given(w := r.props.get("workspaceId"))]
    known_ids = sorted({str(w) for w in sent if isinstance(w, str)}, key=str.casefold)
    pending = [w for w in sent if not isinstance(w, str)]
    created = [
        f"/subscriptions/(computed)/resourceGroups/{g if isinstance(g, str) else '(computed)'}"
        f"/providers/Microsoft.OperationalInsights/workspaces/{r.props.get('workspaceName')}"
        for r in resources
        if r.type == WORKSPACE and isinstance(r.props.get("workspaceName"), str)
        for g in [r.props.get("resourceGroupName")]
    ]
    return (*known_ids, *(created if pending and created else pending))


def alert_verdicts(resources: Sequence[PlanResource], subscription: str | None = None) -> list[Verdict]:
    """One verdict per alert rule; its resources are what proves it (alerts, action group), or what was judged."""
    mine = tuple(r.name for r in resources if r.type in ALERT_TYPES)
    named = {r.name for r in resources}
    # Built once for every alert; a value computed at apply leaves each alert that reads it undetermined.
    built = lazily(plan_wiring, resources, subscription)

    def proven(rule: Rule, alert_id: str) -> tuple[list[str], tuple[str, ...]]:
        gaps = rule.judge(built)
        return gaps, tuple(n for n in assess_alert(alert_id, built).used if n in named)

    return plan_alert_verdicts(rules.RULES, proven, mine)

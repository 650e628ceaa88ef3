"""High-risk activity alerts on Azure: the Activity Log and the audit workspace examined, not only kept.

Per activity-log alert of the alert catalog (policies/alerts/catalog.py): an activity log alert at
subscription scope (the archive's alert at the archive account's scope) with the catalog's condition, its
action the one action group whose email and webhook receivers come from stack settings. On the audit Log
Analytics workspace, a scheduled query rule for bursts of failed Key Vault, FHIR and SQL access (the
catalog's KQL, every 5 minutes). The scan, plan and pack judge what this deploys by what it matches.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi import Input, Output, ResourceOptions
from pulumi_azure_native import monitor

from auditkit.components.alert_recipients import recipient_name
from auditkit.policies.alerts.catalog import alerts_on
from auditkit.policies.alerts.model import Alert, Language
from auditkit.policies.errors import ConfigError
from auditkit.settings.alert_settings import EMAIL, HTTPS_URL
from auditkit.settings.azure_limits import check_resource_group

# Stand-ins that let every condition and scope be rendered (and so checked) before anything registers.
_STAND_IN_ACCOUNT = (
    "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/g/providers/Microsoft.Storage/storageAccounts/a"
)
_SNAKE = {"allOf": "all_of", "anyOf": "any_of", "containsAny": "contains_any"}
# The scheduled query's own `where Failures >= N` decides a burst: any row it returns is one.
QUERY_EVERY = "PT5M"


@dataclass
class HighRiskAlertsArgs:
    stack: str
    subscription_id: str
    resource_group_name: Input[str]
    # The archive storage account (ImmutableLogArchive.account.id) and the audit workspace, if any.
    archive_account_id: Input[str]
    workspace_id: Input[str] | None = None
    location: str = "eastus"  # the scheduled query rule's: its workspace's region
    email: Sequence[str] = ()
    webhook: Sequence[str] = ()
    tags: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if isinstance(self.resource_group_name, str):
            check_resource_group(self.resource_group_name)
        if not isinstance(self.subscription_id, str) or not self.subscription_id:
            raise ConfigError("azure-native:subscriptionId", self.subscription_id, "the subscription id")
        for key, values, pattern, allowed in (
            ("azure.alerts.email", self.email, EMAIL, "email addresses (name@example.com)"),
            ("azure.alerts.webhook", self.webhook, HTTPS_URL, "https:// URLs"),
        ):
            for v in values:
                if not isinstance(v, str) or not pattern.match(v):
                    raise ConfigError(key, v, allowed)
        archive = self.archive_account_id if isinstance(self.archive_account_id, str) else _STAND_IN_ACCOUNT
        for alert in self.alerts:  # a value the filters cannot carry is refused here (ConfigError), not at apply
            alert.variant("azure").render_condition(self.parameters(archive))
            alert.variant("azure").render_scopes(self.parameters(archive))

    @property
    def alerts(self) -> tuple[Alert, ...]:
        """The activity-log alerts (the failed-access query is registered on its own, on the workspace)."""
        return tuple(a for a in alerts_on("azure") if a.variant("azure").language is Language.ACTIVITY_LOG_CONDITION)

    @property
    def query(self) -> Alert | None:
        return next((a for a in alerts_on("azure") if a.variant("azure").language is Language.KQL), None)

    def parameters(self, archive: str) -> dict[str, str | Sequence[str]]:
        return {"subscription_id": self.subscription_id, "archive_account_id": archive}


def _snake(node: Any) -> Any:
    """The catalog's REST-shaped condition (allOf, anyOf, containsAny) as azure-native's input names."""
    if isinstance(node, Mapping):
        return {_SNAKE.get(k, k): _snake(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_snake(v) for v in node]
    return node


def _citations(alert: Alert) -> str:
    cites = "; ".join(alert.citations.hipaa + alert.citations.soc2 + alert.citations.nist)
    return f"{alert.title}. {alert.risk} ({cites})"[:2048]


class HighRiskAlerts(pulumi.ComponentResource):
    """Activity log alerts, one action group with receivers, and the failed-access scheduled query rule."""

    action_group: monitor.ActionGroup
    alerts: dict[str, monitor.ActivityLogAlert]
    query: monitor.ScheduledQueryRule | None

    def __init__(self, name: str, args: HighRiskAlertsArgs, opts: ResourceOptions | None = None) -> None:
        super().__init__("auditkit:azure:HighRiskAlerts", name, None, opts)
        child = ResourceOptions(parent=self)
        tags = {"auditkit-role": "high-risk-alerts", **args.tags}
        self.action_group = monitor.ActionGroup(
            f"{name}-action-group",
            action_group_name=f"auditkit-{args.stack}-alerts",
            resource_group_name=args.resource_group_name,
            location="Global",
            group_short_name="auditkit",
            enabled=True,
            email_receivers=[
                {"name": recipient_name("email", e), "email_address": e, "use_common_alert_schema": True}
                for e in args.email
            ],
            webhook_receivers=[
                {"name": recipient_name("webhook", u), "service_uri": u, "use_common_alert_schema": True}
                for u in args.webhook
            ],
            tags=tags,
            opts=child,
        )
        self.alerts = {a.id: self._alert(name, args, a, tags) for a in args.alerts}
        query, workspace = args.query, args.workspace_id
        self.query = self._query(name, args, query, workspace, tags) if query and workspace is not None else None
        self.register_outputs(
            {
                "action_group_id": self.action_group.id,
                "alerts": [a.name for a in self.alerts.values()],
                "query_rule_id": self.query.id if self.query else None,
            }
        )

    def _alert(
        self, name: str, args: HighRiskAlertsArgs, alert: Alert, tags: dict[str, str]
    ) -> monitor.ActivityLogAlert:
        variant = alert.variant("azure")
        rendered = Output.from_input(args.archive_account_id).apply(lambda a: args.parameters(a))
        return monitor.ActivityLogAlert(
            f"{name}-{alert.slug}",
            activity_log_alert_name=f"auditkit-{args.stack}-{alert.slug}",
            resource_group_name=args.resource_group_name,
            location="Global",
            scopes=rendered.apply(lambda p: list(variant.render_scopes(p))),
            condition=rendered.apply(lambda p: _snake(variant.render_condition(p))),
            actions={"action_groups": [{"action_group_id": self.action_group.id}]},
            enabled=True,
            description=_citations(alert),
            tags=tags,
            opts=ResourceOptions(parent=self),
        )

    def _query(
        self, name: str, args: HighRiskAlertsArgs, alert: Alert, workspace: Input[str], tags: dict[str, str]
    ) -> monitor.ScheduledQueryRule:
        variant = alert.variant("azure")
        criteria: Any = {
            "all_of": [
                {
                    "query": variant.render({}),
                    "time_aggregation": "Count",
                    "operator": "GreaterThan",
                    "threshold": 0,
                    "failing_periods": {"number_of_evaluation_periods": 1, "min_failing_periods_to_alert": 1},
                }
            ]
        }
        return monitor.ScheduledQueryRule(
            f"{name}-{alert.slug}",
            rule_name=f"auditkit-{args.stack}-{alert.slug}",
            resource_group_name=args.resource_group_name,
            location=args.location,
            kind="LogAlert",
            description=_citations(alert),
            severity=2,
            enabled=True,
            scopes=[workspace],
            evaluation_frequency=QUERY_EVERY,
            window_size=f"PT{variant.threshold.period_seconds // 60}M",
            criteria=criteria,
            actions={"action_groups": [self.action_group.id]},
            auto_mitigate=False,
            tags=tags,
            opts=ResourceOptions(parent=self),
        )

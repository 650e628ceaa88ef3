"""A subscription's alerting as Azure answers it: activity log alerts, action groups, scheduled query rules.

Every body keeps the shape of an example in Azure/azure-rest-api-specs (paths under
specification/monitor/resource-manager/Microsoft.Insights/):

  stable/2020-10-01/examples/ActivityLogAlertRule_ListBySubscriptionId.json: ids with a lower-case
      `microsoft.insights`, type `Microsoft.Insights/ActivityLogAlerts`, location `Global`, scopes without a
      leading slash, `actions.actionGroups[].actionGroupId` with `webhookProperties`
  stable/2023-01-01/examples/listActionGroups.json: `groupShortName`, `enabled`, email and SMS receivers
      with a read-only `status` (Enabled/Disabled), webhook receivers, and every other receiver list empty
  preview/2022-08-01-preview/examples/listScheduledQueryRulesBySubscription.json: `severity`, `enabled`,
      `evaluationFrequency`, `scopes`, `windowSize`, `criteria.allOf[].query`, `actions.actionGroups` (ids)

Only ids, names and the values a test turns are changed. The conditions are written here as a customer
following the CIS Microsoft Azure Foundations Benchmark (section 5.2: one alert per operation, category
Administrative) would write them, and the archive's as one alert with `containsAny`
(ActivityLogAlertRule_CreateOrUpdateRuleWithContainsAny.json); none is rendered by AuditKit.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.arm import FakeArm

INSIGHTS = "providers/microsoft.insights"
GROUP_NAME = "SampleActionGroup"

# (alert name, operationName) as CIS Azure 5.2.1-5.2.12 lays them out, then the alerts beyond CIS.
CIS_OPERATIONS = (
    ("create-policy-assignment", "Microsoft.Authorization/policyAssignments/write"),
    ("delete-policy-assignment", "Microsoft.Authorization/policyAssignments/delete"),
    ("create-update-nsg", "Microsoft.Network/networkSecurityGroups/write"),
    ("delete-nsg", "Microsoft.Network/networkSecurityGroups/delete"),
    ("create-update-nsg-rule", "Microsoft.Network/networkSecurityGroups/securityRules/write"),
    ("delete-nsg-rule", "Microsoft.Network/networkSecurityGroups/securityRules/delete"),
    ("create-update-security-solution", "Microsoft.Security/securitySolutions/write"),
    ("delete-security-solution", "Microsoft.Security/securitySolutions/delete"),
    ("create-update-sql-firewall-rule", "Microsoft.Sql/servers/firewallRules/write"),
    ("delete-sql-firewall-rule", "Microsoft.Sql/servers/firewallRules/delete"),
    ("create-update-public-ip", "Microsoft.Network/publicIPAddresses/write"),
    ("delete-public-ip", "Microsoft.Network/publicIPAddresses/delete"),
    ("delete-diagnostic-setting", "Microsoft.Insights/diagnosticSettings/delete"),
    ("create-role-assignment", "Microsoft.Authorization/roleAssignments/write"),
    ("key-vault-access-policy", "Microsoft.KeyVault/vaults/accessPolicies/write"),
)
ARCHIVE_OPERATIONS = [
    "Microsoft.Storage/storageAccounts/blobServices/containers/immutabilityPolicies/write",
    "Microsoft.Storage/storageAccounts/blobServices/containers/immutabilityPolicies/delete",
    "Microsoft.Storage/storageAccounts/managementPolicies/write",
    "Microsoft.Storage/storageAccounts/managementPolicies/delete",
]
# A customer's own failed-access query over the workspace (Azure Monitor Logs tables and columns).
FAILED_ACCESS_QUERY = """union
  (AzureDiagnostics | where Category == "AuditEvent" and httpStatusCode_d in (401, 403) | extend Source = "kv"),
  (MicrosoftHealthcareApisAuditLogs | where StatusCode in (401, 403) | extend Source = "fhir"),
  (AzureDiagnostics | where Category == "SQLSecurityAuditEvents" and succeeded_s == "false" | extend Source = "sql")
| summarize Failures = count() by Source, bin(TimeGenerated, 5m)"""


def group_id(sub: str, name: str = GROUP_NAME) -> str:
    return f"/subscriptions/{sub}/resourceGroups/Default-NotificationRules/{INSIGHTS}/actionGroups/{name}"


def activity_alert(sub: str, name: str, leaf: dict[str, Any], scopes: list[str] | None = None) -> dict[str, Any]:
    """ActivityLogAlertRule_ListBySubscriptionId.json's item, with `leaf` beside the Administrative category."""
    return {
        "id": f"/subscriptions/{sub}/resourceGroups/MyResourceGroup1/{INSIGHTS}/activityLogAlerts/{name}",
        "type": "Microsoft.Insights/ActivityLogAlerts",
        "name": name,
        "location": "Global",
        "tags": {},
        "properties": {
            "scopes": scopes or [f"subscriptions/{sub}"],
            "condition": {"allOf": [{"field": "category", "equals": "Administrative"}, leaf]},
            "actions": {
                "actionGroups": [
                    {
                        "actionGroupId": group_id(sub),
                        "webhookProperties": {"sampleWebhookProperty": "SamplePropertyValue"},
                    }
                ]
            },
            "enabled": True,
            "description": "Description of sample Activity Log Alert rule.",
        },
    }


def action_group(sub: str, name: str = GROUP_NAME, enabled: bool = True, email: str = "Enabled") -> dict[str, Any]:
    """listActionGroups.json's first item: an email receiver (its `status` a test turns) and no other receiver."""
    none: dict[str, list] = {
        f"{kind}Receivers": []
        for kind in ("sms", "webhook", "itsm", "azureAppPush", "automationRunbook", "voice", "logicApp")
        + ("azureFunction", "armRole", "eventHub")
    }
    receiver: dict[str, Any] = {"name": "John Doe's email", "emailAddress": "johndoe@email.com", "status": email}
    receiver["useCommonAlertSchema"] = True
    return {
        "id": group_id(sub, name),
        "type": "Microsoft.Insights/ActionGroups",
        "name": name,
        "location": "Global",
        "tags": {},
        "properties": {"groupShortName": "sample", "enabled": enabled, "emailReceivers": [receiver], **none},
    }


def scheduled_query(sub: str, name: str, query: str, scopes: list[str]) -> dict[str, Any]:
    """listScheduledQueryRulesBySubscription.json's second item ("heartbeat": a Count over the query)."""
    return {
        "id": f"/subscriptions/{sub}/resourcegroups/MyResourceGroupName2/{INSIGHTS}/scheduledqueryrules/{name}",
        "name": name,
        "type": "microsoft.insights/scheduledqueryrules",
        "location": "eastus",
        "tags": {},
        "properties": {
            "description": "Failed access to ePHI systems",
            "severity": 2,
            "enabled": True,
            "evaluationFrequency": "PT5M",
            "scopes": scopes,
            "windowSize": "PT5M",
            "criteria": {
                "allOf": [
                    {
                        "query": query,
                        "timeAggregation": "Count",
                        "dimensions": [],
                        "operator": "GreaterThanOrEqual",
                        "threshold": 10,
                        "failingPeriods": {"numberOfEvaluationPeriods": 1, "minFailingPeriodsToAlert": 1},
                    }
                ]
            },
            "muteActionsDuration": "PT30M",
            "actions": {"actionGroups": [group_id(sub)], "customProperties": {}},
            "autoMitigate": False,
            "skipQueryValidation": True,
        },
    }


@dataclass
class Alerting:
    """A subscription's alerting; by default the CIS layout plus the alerts beyond CIS, all reaching one group."""

    sub: str
    archive: str
    workspace: str
    alerts: list[dict[str, Any]] = field(default_factory=list)
    groups: list[dict[str, Any]] = field(default_factory=list)
    queries: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not (self.alerts or self.groups or self.queries):
            self.alerts = [
                activity_alert(self.sub, name, {"field": "operationName", "equals": op}) for name, op in CIS_OPERATIONS
            ]
            archive = {"field": "operationName", "containsAny": copy.copy(ARCHIVE_OPERATIONS)}
            self.alerts.append(activity_alert(self.sub, "archive-protection", archive, [self.archive]))
            self.groups = [action_group(self.sub)]
            self.queries = [scheduled_query(self.sub, "failed-access", FAILED_ACCESS_QUERY, [self.workspace])]

    def alert(self, name: str) -> dict[str, Any]:
        return next(a for a in self.alerts if a["name"] == name)

    def load(self, arm: FakeArm, page: int | None = None) -> None:
        base = f"/subscriptions/{self.sub}/{INSIGHTS}"
        arm.set(f"{base}/activityLogAlerts", self.alerts, page=page)
        arm.set(f"{base}/actionGroups", self.groups, page=page)
        arm.set(f"{base}/scheduledQueryRules", self.queries, page=page)

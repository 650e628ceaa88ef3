"""The Azure rule table: for each Azure control, its judge, the subject it is judged per, and what it reads.

`auditkit plan` and the pack (policies/azure/plan_facts.py, crossguard/azure_policies.py) and the live
scan (auditors/azure/assess.py) iterate this table. What each kind of subject is, and so what its judges take:

- subscription: the subscription's Activity Log diagnostic settings.
- resource: ePHI resources and what sends their audit logs (AuditedResources); live, one resource each.
- storage account: a storage account the settings write to (LogArchive).
- workspace: a Log Analytics workspace (WorkspaceFacts) and the retention required.
- alert: the subscription's high-risk activity alerting (AzureAlertWiring): activity log alerts, action
  groups, scheduled query rules, the audit workspaces and the archive.

Reads are the SDK operations as the collector records a failure (Failure.operation); each is granted by
auditors/azure/scan-role.json. A plan names a verdict's resources by the first of its reads it sets.
"""

from __future__ import annotations

from functools import partial

from auditkit.policies.alerts.catalog import alerts_on
from auditkit.policies.alerts.model import Alert
from auditkit.policies.azure import alert_judges, judges
from auditkit.policies.azure.seal_protection import seal_protection, seal_protection_summary
from auditkit.policies.rule import EvidenceRule, Rule

ACTIVITY_LOG = Rule(
    "azure.activity_log.export",
    judges.activity_log_export,
    per="subscription",
    reads=("SubscriptionDiagnosticSettings.List",),
    summary="all eight categories exported to the archive",
)
DIAGNOSTICS = Rule(
    "azure.diagnostics.resources",
    judges.diagnostics,
    per="resource",
    reads=(
        "Resources.List",
        "DiagnosticSettings.List",
        "DiagnosticSettingsCategory.List",
        "ExtendedServerBlobAuditingPolicies.Get",
        "ExtendedDatabaseBlobAuditingPolicies.Get",
    ),
    summary=judges.diagnostics_summary,
)
IMMUTABILITY = Rule(
    "azure.storage.immutability",
    judges.archive_immutability,
    per="storage account",
    reads=("BlobContainers.Get", "StorageAccounts.GetProperties", "BlobContainers.List"),
    summary=judges.immutability_summary,
)
LIFECYCLE = Rule(
    "azure.storage.lifecycle",
    judges.lifecycle,
    per="storage account",
    reads=("ManagementPolicies.Get", "StorageAccounts.GetProperties"),
    summary=judges.lifecycle_summary,
)
HARDENING = Rule(
    "azure.storage.hardening",
    judges.hardening,
    per="storage account",
    reads=("StorageAccounts.GetProperties",),
    summary="HTTPS only, TLS 1.2+, private, no shared keys",
)
WORKSPACE_RETENTION = Rule(
    "azure.workspace.retention",
    judges.workspace_retention,
    per="workspace",
    reads=("Workspaces.Get", "Tables.Get"),
    summary=judges.workspace_summary,
)

# The seals (`auditkit seal azure`) under a locked immutability policy, and the sealer unable to delete.
SEAL_PROTECTION = Rule(
    "azure.archive.seal_protection",
    seal_protection,
    per="storage account",
    reads=("RoleAssignments.ListForScope", "RoleDefinitions.Get", "StorageAccounts.GetProperties"),
    summary=seal_protection_summary,
)

RULES: tuple[Rule | EvidenceRule, ...] = (
    ACTIVITY_LOG,
    DIAGNOSTICS,
    IMMUTABILITY,
    LIFECYCLE,
    HARDENING,
    WORKSPACE_RETENTION,
    SEAL_PROTECTION,
)
# A subscription that could not be scanned at all is an ERROR of this control.
WHOLE_SUBSCRIPTION = ACTIVITY_LOG

# Judged over the sealed container by `auditkit verify azure` (auditors/seal/), never by the plan, pack or scan.
ARCHIVE_INTEGRITY = EvidenceRule(
    "azure.archive.integrity",
    judged_by="auditkit verify azure",
    per="seal chain",
    reads=("List Blobs", "Get Blob", "Get Key"),
)
RULES = (*RULES, ARCHIVE_INTEGRITY)

# High-risk activity alerts (policies/alerts/catalog.py), one control per alert, judged per "alert": the
# subscription's (or plan's) AzureAlertWiring, by what its activity log alert conditions match
# (policies/azure/alert_judges.py). The archive's id and the audit workspaces come from the diagnostic settings.
ALERT_READS = ("ActivityLogAlerts.ListBySubscriptionId", "ActionGroups.ListBySubscriptionId")
_PARAMETER_READS = {"archive_account_id": ("SubscriptionDiagnosticSettings.List",)}
QUERY_READS = (
    "ScheduledQueryRules.ListBySubscription",
    "ActionGroups.ListBySubscriptionId",
    "SubscriptionDiagnosticSettings.List",
    "DiagnosticSettings.List",
)


def _alert_reads(alert: Alert) -> tuple[str, ...]:
    variant = alert_judges.variant(alert.id)
    if alert.id == alert_judges.FAILED_ACCESS_BURST:
        return QUERY_READS
    return ALERT_READS + tuple(r for p in variant.parameters for r in _PARAMETER_READS.get(p, ()))


def _alert_rule(alert: Alert) -> Rule:
    return Rule(
        alert.control_id("azure"),
        partial(alert_judges.alert_gaps, alert.id),
        per="alert",
        reads=_alert_reads(alert),
        summary=partial(alert_judges.alert_summary, alert.id),
    )


ALERT_RULES: tuple[Rule, ...] = tuple(_alert_rule(a) for a in alerts_on("azure"))
RULES = (*RULES, *ALERT_RULES)

"""The Azure rule table: activity log alert conditions (subscription scope unless stated) and one scheduled query.

The CIS Microsoft Azure Foundations activity-log alert set (category Administrative, operationName equals
one of: policy assignments, network security groups and their rules, security solutions, SQL server firewall
rules, public IP addresses), plus diagnostic-setting deletes, immutability-policy and lifecycle changes on the
archive storage account, role assignment writes and Key Vault access-policy changes. The scheduled query on
the audit workspace (bursts of failed Key Vault / FHIR / SQL access) is KQL, judged by configuration only.
"""

from __future__ import annotations

import json
from typing import Any

from auditkit.policies.alerts.corpus.azure import CORPORA
from auditkit.policies.alerts.model import CloudAlert, Language, Threshold

_SUBSCRIPTION_SCOPE = ("/subscriptions/${subscription_id}",)
_CONTAINERS = "Microsoft.Storage/storageAccounts/blobServices/containers"


def _condition(*operations: str) -> dict[str, Any]:
    ops = [{"field": "operationName", "equals": op} for op in operations]
    return {"allOf": [{"field": "category", "equals": "Administrative"}, ops[0] if len(ops) == 1 else {"anyOf": ops}]}


def _alert(alert_id: str, *operations: str, cis: str = "", scopes: tuple[str, ...] = _SUBSCRIPTION_SCOPE) -> CloudAlert:
    condition = _condition(*operations)
    return CloudAlert(
        "azure",
        Language.ACTIVITY_LOG_CONDITION,
        json.dumps(condition),
        CORPORA[alert_id],
        benchmark=(f"CIS Microsoft Azure Foundations {cis}",) if cis else (),
        condition=condition,
        scopes=scopes,
    )


# Tables and columns: Azure Monitor Logs table reference (AzureDiagnostics for Key Vault AuditEvent and SQL
# SQLSecurityAuditEvents in the default AzureDiagnostics mode; MicrosoftHealthcareApisAuditLogs for FHIR).
FAILED_ACCESS_KQL = """union isfuzzy=true
  (AzureDiagnostics
    | where ResourceProvider == "MICROSOFT.KEYVAULT" and Category == "AuditEvent" and httpStatusCode_d in (401, 403)
    | project TimeGenerated, Service = "Key Vault", Caller = CallerIPAddress),
  (MicrosoftHealthcareApisAuditLogs
    | where StatusCode in (401, 403)
    | project TimeGenerated, Service = "FHIR", Caller = CallerIPAddress),
  (AzureDiagnostics
    | where Category == "SQLSecurityAuditEvents" and succeeded_s == "false"
    | project TimeGenerated, Service = "SQL", Caller = client_ip_s)
| summarize Failures = count() by Service, Caller, bin(TimeGenerated, 5m)
| where Failures >= 10"""

AZURE_ALERTS: dict[str, CloudAlert] = {
    "policy_assignment_changes": _alert(
        "policy_assignment_changes",
        "Microsoft.Authorization/policyAssignments/write",
        "Microsoft.Authorization/policyAssignments/delete",
        cis="5.2.1-5.2.2",
    ),
    "firewall_changes": _alert(
        "firewall_changes",
        "Microsoft.Network/networkSecurityGroups/write",
        "Microsoft.Network/networkSecurityGroups/delete",
        "Microsoft.Network/networkSecurityGroups/securityRules/write",
        "Microsoft.Network/networkSecurityGroups/securityRules/delete",
        cis="5.2.3-5.2.6",
    ),
    "security_solution_changes": _alert(
        "security_solution_changes",
        "Microsoft.Security/securitySolutions/write",
        "Microsoft.Security/securitySolutions/delete",
        cis="5.2.7-5.2.8",
    ),
    "sql_firewall_changes": _alert(
        "sql_firewall_changes",
        "Microsoft.Sql/servers/firewallRules/write",
        "Microsoft.Sql/servers/firewallRules/delete",
        cis="5.2.9-5.2.10",
    ),
    "public_ip_changes": _alert(
        "public_ip_changes",
        "Microsoft.Network/publicIPAddresses/write",
        "Microsoft.Network/publicIPAddresses/delete",
        cis="5.2.11-5.2.12",
    ),
    "audit_logging_changes": _alert("audit_logging_changes", "microsoft.insights/diagnosticSettings/delete"),
    "audit_archive_tampering": _alert(
        "audit_archive_tampering",
        f"{_CONTAINERS}/immutabilityPolicies/write",
        f"{_CONTAINERS}/immutabilityPolicies/delete",
        "Microsoft.Storage/storageAccounts/managementPolicies/write",
        "Microsoft.Storage/storageAccounts/managementPolicies/delete",
        scopes=("${archive_account_id}",),
    ),
    "role_assignment_changes": _alert("role_assignment_changes", "Microsoft.Authorization/roleAssignments/write"),
    "key_vault_access_policy_changes": _alert(
        "key_vault_access_policy_changes", "Microsoft.KeyVault/vaults/accessPolicies/write"
    ),
    "failed_access_burst": CloudAlert(
        "azure",
        Language.KQL,
        FAILED_ACCESS_KQL,
        None,
        Threshold(count=10),
        notes="A scheduled query rule on the audit workspace; AuditKit does not evaluate KQL.",
    ),
}

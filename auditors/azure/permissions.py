"""The read-only Azure RBAC actions the scan needs, and how ARM request paths map to them."""

from __future__ import annotations

import json
import re
from pathlib import Path

ROLE_FILE = Path(__file__).with_name("scan-role.json")

# (pattern over the lower-cased request path, RBAC action), most specific first.
_ACTIONS = (
    (r"/providers/microsoft\.insights/diagnosticsettings$", "Microsoft.Insights/diagnosticSettings/read"),
    (
        r"/providers/microsoft\.insights/diagnosticsettingscategories$",
        "Microsoft.Insights/DiagnosticSettingsCategories/Read",
    ),
    (
        r"^/subscriptions/[^/]+/providers/microsoft\.insights/activitylogalerts$",
        "Microsoft.Insights/activityLogAlerts/read",
    ),
    (r"^/subscriptions/[^/]+/providers/microsoft\.insights/actiongroups$", "Microsoft.Insights/actionGroups/read"),
    (
        r"^/subscriptions/[^/]+/providers/microsoft\.insights/scheduledqueryrules$",
        "Microsoft.Insights/scheduledQueryRules/read",
    ),
    (r"^/subscriptions/[^/]+/resources$", "Microsoft.Resources/subscriptions/resources/read"),
    (
        r"/storageaccounts/[^/]+/blobservices/default/containers(/[^/]+)?$",
        "Microsoft.Storage/storageAccounts/blobServices/containers/read",
    ),
    (r"/storageaccounts/[^/]+/managementpolicies/[^/]+$", "Microsoft.Storage/storageAccounts/managementPolicies/read"),
    (r"/providers/microsoft\.storage/storageaccounts/[^/]+$", "Microsoft.Storage/storageAccounts/read"),
    (r"/workspaces/[^/]+/tables/[^/]+$", "Microsoft.OperationalInsights/workspaces/tables/read"),
    (
        r"/microsoft\.sql/servers/[^/]+/databases/[^/]+/extendedauditingsettings/default$",
        "Microsoft.Sql/servers/databases/extendedAuditingSettings/read",
    ),
    (
        r"/microsoft\.sql/servers/[^/]+/extendedauditingsettings/default$",
        "Microsoft.Sql/servers/extendedAuditingSettings/read",
    ),
    (r"/providers/microsoft\.operationalinsights/workspaces/[^/]+$", "Microsoft.OperationalInsights/workspaces/read"),
    (r"/providers/microsoft\.authorization/roleassignments$", "Microsoft.Authorization/roleAssignments/read"),
    (r"/providers/microsoft\.authorization/roledefinitions/[^/]+$", "Microsoft.Authorization/roleDefinitions/read"),
)


def rbac_action(method: str, path: str) -> str:
    for pattern, action in _ACTIONS:
        if method == "GET" and re.search(pattern, path.lower()):
            return action
    return f"(unmapped) {method} {path}"


def role_actions() -> set[str]:
    return set(json.loads(ROLE_FILE.read_text())["Actions"])

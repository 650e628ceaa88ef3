"""Azure corpora: Activity Log events an activity log alert must match, and near misses it must not.

Shapes: corpus/activity_log.py. Operation names are Azure resource provider operations as the Activity Log
records them (learn.microsoft.com, "Azure resource provider operations"): e.g.
Microsoft.Network/networkSecurityGroups/write, microsoft.insights/diagnosticSettings/delete,
Microsoft.Storage/storageAccounts/blobServices/containers/immutabilityPolicies/delete.
"""

from __future__ import annotations

from auditkit.policies.alerts.corpus.activity_log import (
    OTHER_SUBSCRIPTION,
    SUBSCRIPTION,
    activity,
    event,
    resource_id,
)
from auditkit.policies.alerts.model import Corpus, CorpusEvent

ARCHIVE_ACCOUNT = resource_id("Microsoft.Storage/storageAccounts/auditkitarchive", "auditkit")
OTHER_ACCOUNT = resource_id("Microsoft.Storage/storageAccounts/clinicuploads")
EXAMPLE_PARAMETERS: dict[str, str | tuple[str, ...]] = {
    "subscription_id": SUBSCRIPTION,
    "archive_account_id": ARCHIVE_ACCOUNT,
}
_SUB = f"/subscriptions/{SUBSCRIPTION}"
_OTHER = f"/subscriptions/{OTHER_SUBSCRIPTION}"
_NSG = resource_id("Microsoft.Network/networkSecurityGroups/web-nsg")
_KV = resource_id("Microsoft.KeyVault/vaults/clinic-kv")
_IMMUTABILITY = "/blobServices/default/containers/insights-activity-logs/immutabilityPolicies/default"
_CONTAINERS = "Microsoft.Storage/storageAccounts/blobServices/containers"


def _c(must: list[CorpusEvent], must_not: list[CorpusEvent]) -> Corpus:
    return Corpus(tuple(must), tuple(must_not))


def _ops(pairs: list[tuple[str, str]]) -> list[CorpusEvent]:
    return [event(f"{op} on {res.removeprefix(_SUB)}", activity(op, res)) for op, res in pairs]


def _policy_assignments() -> Corpus:
    op = "Microsoft.Authorization/policyAssignments"
    sub_assignment = f"{_SUB}/providers/{op}/hipaa-hitrust"
    rg_assignment = f"{_SUB}/resourceGroups/clinic-prod/providers/{op}/require-tls"
    return _c(
        _ops([(f"{op}/write", sub_assignment), (f"{op}/delete", sub_assignment), (f"{op}/write", rg_assignment)]),
        _ops(
            [
                (
                    "Microsoft.Authorization/policyDefinitions/write",
                    f"{_SUB}/providers/Microsoft.Authorization/policyDefinitions/custom-tls",
                ),
                (
                    "Microsoft.Authorization/policyExemptions/write",
                    f"{_SUB}/providers/Microsoft.Authorization/policyExemptions/legacy-app",
                ),
            ]
        )
        + [
            event(
                "policy assignment deleted in another subscription",
                activity(f"{op}/delete", f"{_OTHER}/providers/{op}/hipaa-hitrust"),
            )
        ],
    )


def _nsg() -> Corpus:
    rules = f"{_NSG}/securityRules/allow-ssh"
    net = "Microsoft.Network/networkSecurityGroups"
    return _c(
        _ops(
            [
                (f"{net}/write", _NSG),
                (f"{net}/securityRules/write", rules),
                (f"{net}/delete", _NSG),
                (f"{net}/securityRules/delete", rules),
            ]
        ),
        _ops(
            [
                (
                    "Microsoft.Network/networkInterfaces/write",
                    resource_id("Microsoft.Network/networkInterfaces/web-nic"),
                ),
                (f"{net}/join/action", _NSG),
            ]
        )
        + [
            event(
                "NSG written in another subscription",
                activity(f"{net}/write", resource_id(f"{net}/web-nsg", subscription=OTHER_SUBSCRIPTION)),
            )
        ],
    )


def _security_solutions() -> Corpus:
    path = resource_id("Microsoft.Security/locations/eastus/securitySolutions/waf")
    return _c(
        _ops(
            [
                ("Microsoft.Security/securitySolutions/write", path),
                ("Microsoft.Security/securitySolutions/delete", path),
            ]
        )
        + [
            event(
                "second security solution written",
                activity("Microsoft.Security/securitySolutions/write", path.replace("waf", "ngfw")),
            )
        ],
        _ops(
            [
                (
                    "Microsoft.Security/securityContacts/write",
                    f"{_SUB}/providers/Microsoft.Security/securityContacts/default",
                ),
                ("Microsoft.Security/assessments/write", f"{_SUB}/providers/Microsoft.Security/assessments/4fb67663"),
                (
                    "Microsoft.Security/locations/alerts/dismiss/action",
                    f"{_SUB}/providers/Microsoft.Security/locations/eastus/alerts/2517",
                ),
            ]
        ),
    )


def _sql_firewall() -> Corpus:
    server = resource_id("Microsoft.Sql/servers/clinic-sql")
    rule = f"{server}/firewallRules"
    return _c(
        _ops(
            [
                ("Microsoft.Sql/servers/firewallRules/write", f"{rule}/AllowAllWindowsAzureIps"),
                ("Microsoft.Sql/servers/firewallRules/delete", f"{rule}/office"),
            ]
        )
        + [
            event(
                "firewall rule opened to the internet",
                activity("Microsoft.Sql/servers/firewallRules/write", f"{rule}/any"),
            )
        ],
        _ops(
            [
                ("Microsoft.Sql/servers/write", server),
                ("Microsoft.Sql/servers/databases/write", f"{server}/databases/ehr"),
                ("Microsoft.Sql/servers/virtualNetworkRules/write", f"{server}/virtualNetworkRules/app-subnet"),
            ]
        ),
    )


def _public_ips() -> Corpus:
    ip = resource_id("Microsoft.Network/publicIPAddresses/web-ip")
    return _c(
        _ops([("Microsoft.Network/publicIPAddresses/write", ip), ("Microsoft.Network/publicIPAddresses/delete", ip)])
        + [
            event(
                "second public IP created",
                activity("Microsoft.Network/publicIPAddresses/write", ip.replace("web-ip", "bastion-ip")),
            )
        ],
        _ops(
            [
                (
                    "Microsoft.Network/networkInterfaces/write",
                    resource_id("Microsoft.Network/networkInterfaces/web-nic"),
                ),
                (
                    "Microsoft.Network/publicIPPrefixes/write",
                    resource_id("Microsoft.Network/publicIPPrefixes/web-prefix"),
                ),
                ("Microsoft.Network/loadBalancers/write", resource_id("Microsoft.Network/loadBalancers/web-lb")),
            ]
        ),
    )


def _diagnostic_settings() -> Corpus:
    op = "microsoft.insights/diagnosticSettings"
    return _c(
        _ops(
            [
                (f"{op}/delete", f"{_KV}/providers/{op}/auditkit"),
                (f"{op}/delete", f"{_SUB}/providers/{op}/auditkit-activity"),
                (f"{op}/delete", f"{OTHER_ACCOUNT}/blobServices/default/providers/{op}/auditkit"),
            ]
        ),
        _ops(
            [
                (f"{op}/write", f"{_KV}/providers/{op}/auditkit"),
                (
                    "microsoft.insights/activityLogAlerts/write",
                    resource_id("microsoft.insights/activityLogAlerts/auditkit-nsg"),
                ),
                ("microsoft.insights/actionGroups/write", resource_id("microsoft.insights/actionGroups/auditkit")),
            ]
        ),
    )


def _archive_tampering() -> Corpus:
    return _c(
        _ops(
            [
                (f"{_CONTAINERS}/immutabilityPolicies/delete", ARCHIVE_ACCOUNT + _IMMUTABILITY),
                (f"{_CONTAINERS}/immutabilityPolicies/write", ARCHIVE_ACCOUNT + _IMMUTABILITY),
                (
                    "Microsoft.Storage/storageAccounts/managementPolicies/write",
                    f"{ARCHIVE_ACCOUNT}/managementPolicies/default",
                ),
                (
                    "Microsoft.Storage/storageAccounts/managementPolicies/delete",
                    f"{ARCHIVE_ACCOUNT}/managementPolicies/default",
                ),
            ]
        ),
        [
            event(
                "lifecycle policy written on another account",
                activity(
                    "Microsoft.Storage/storageAccounts/managementPolicies/write",
                    f"{OTHER_ACCOUNT}/managementPolicies/default",
                ),
            ),
            event(
                "immutability policy locked (protective)",
                activity(f"{_CONTAINERS}/immutabilityPolicies/lock/action", ARCHIVE_ACCOUNT + _IMMUTABILITY),
            ),
            event(
                "archive container written",
                activity(
                    f"{_CONTAINERS}/write", ARCHIVE_ACCOUNT + "/blobServices/default/containers/insights-activity-logs"
                ),
            ),
        ],
    )


def _role_assignments() -> Corpus:
    op = "Microsoft.Authorization/roleAssignments"
    guid = "abab1212-cdcd-3434-efef-565656787878"
    return _c(
        _ops(
            [
                (f"{op}/write", f"{_SUB}/providers/{op}/{guid}"),
                (f"{op}/write", f"{_SUB}/resourceGroups/clinic-prod/providers/{op}/{guid}"),
                (f"{op}/write", f"{_KV}/providers/{op}/{guid}"),
            ]
        ),
        _ops(
            [
                (f"{op}/delete", f"{_SUB}/providers/{op}/{guid}"),
                (
                    "Microsoft.Authorization/locks/write",
                    f"{_SUB}/resourceGroups/clinic-prod/providers/Microsoft.Authorization/locks/no-delete",
                ),
            ]
        )
        + [
            event("role assignment in another subscription", activity(f"{op}/write", f"{_OTHER}/providers/{op}/{guid}"))
        ],
    )


def _key_vault_access_policies() -> Corpus:
    op = "Microsoft.KeyVault/vaults/accessPolicies/write"
    second = _KV.replace("clinic-kv", "fhir-kv")
    return _c(
        _ops([(op, f"{_KV}/accessPolicies/add"), (op, f"{second}/accessPolicies/replace")])
        + [event("access policy removed", activity(op, f"{_KV}/accessPolicies/remove"))],
        _ops(
            [
                ("Microsoft.KeyVault/vaults/write", _KV),
                ("Microsoft.KeyVault/vaults/secrets/write", f"{_KV}/secrets/db-password"),
            ]
        )
        + [
            event(
                "access policy in another subscription",
                activity(
                    op,
                    resource_id(
                        "Microsoft.KeyVault/vaults/clinic-kv/accessPolicies/add", subscription=OTHER_SUBSCRIPTION
                    ),
                ),
            )
        ],
    )


CORPORA: dict[str, Corpus] = {
    "policy_assignment_changes": _policy_assignments(),
    "firewall_changes": _nsg(),
    "security_solution_changes": _security_solutions(),
    "sql_firewall_changes": _sql_firewall(),
    "public_ip_changes": _public_ips(),
    "audit_logging_changes": _diagnostic_settings(),
    "audit_archive_tampering": _archive_tampering(),
    "role_assignment_changes": _role_assignments(),
    "key_vault_access_policy_changes": _key_vault_access_policies(),
}

"""Fetch the live state of one subscription's audit logging (azure-mgmt-* clients), failures kept.

Calls: the subscription's Activity Log settings, one paged resource list for the types in
scope, the diagnostic settings of each such resource (concurrently), and for every storage
account and workspace those settings write to, its configuration.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ServiceRequestError,
    ServiceResponseError,
)

from auditkit.auditors.failures import Failure, fetch
from auditkit.policies.azure.facts import AUDIT_LOGS, resource_type

WORKSPACE_API = "2023-09-01"
SQL_API = "2021-11-01"
WORKSPACE_TABLES = ("AzureActivity", "AzureDiagnostics")
_TYPES = {
    "microsoft.keyvault/vaults": "Microsoft.KeyVault/vaults",
    "microsoft.storage/storageaccounts": "Microsoft.Storage/storageAccounts",
    "microsoft.sql/servers/databases": "Microsoft.Sql/servers/databases",
    "microsoft.healthcareapis/workspaces/fhirservices": "Microsoft.HealthcareApis/workspaces/fhirservices",
    "microsoft.healthcareapis/services": "Microsoft.HealthcareApis/services",
    "microsoft.documentdb/databaseaccounts": "Microsoft.DocumentDB/databaseAccounts",
}


def classify(exc: BaseException) -> tuple[str, str]:
    if isinstance(exc, HttpResponseError):
        code = getattr(getattr(exc, "error", None), "code", None) or f"HTTP{exc.status_code}"
        return str(code), str(getattr(getattr(exc, "error", None), "message", None) or exc.message or exc)
    if isinstance(exc, ClientAuthenticationError):
        return "AuthenticationFailed", str(exc)[:300]
    if isinstance(exc, ServiceResponseError):
        return "Timeout", str(exc)[:300]
    if isinstance(exc, ServiceRequestError):
        return "Unreachable", str(exc)[:300]
    return (
        "UnexpectedResponse"
        if isinstance(exc, (KeyError, TypeError, ValueError, AttributeError))
        else type(exc).__name__
    ), str(exc)[:300]


def get(
    call: Callable[[], Any], operation: str, resource: str, absent: tuple[str, ...] = ()
) -> tuple[Any, Failure | None]:
    return fetch(call, operation, "", resource, classify, absent)


def rest(model: Any) -> dict[str, Any]:
    """An SDK model in its REST shape (camelCase, properties nested) — the shape azure-native props share.

    msrest models (azure-mgmt-monitor 6) serialize(); TypeSpec models (azure-mgmt-storage 25) are
    mappings over the REST JSON already.
    """
    body = model.serialize(keep_readonly=True) if hasattr(model, "serialize") else model.as_dict()
    return {**(body.get("properties") or {}), "id": body.get("id"), "name": body.get("name")}


@dataclass
class AccountRecord:
    id: str
    name: str
    resource_group: str
    account: dict[str, Any] | None = None
    containers: list[dict[str, Any]] | None = None
    lifecycle: dict[str, Any] | None = None
    failures: dict[str, Failure] = field(default_factory=dict)


@dataclass
class WorkspaceRecord:
    id: str
    retention: int | None = None
    tables: dict[str, int | None] = field(default_factory=dict)
    failures: dict[str, Failure] = field(default_factory=dict)


@dataclass
class AzureSnapshot:
    subscription: str
    activity: list[dict[str, Any]] | None = None
    resources: list[str] | None = None
    settings: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)
    setting_failures: dict[str, Failure] = field(default_factory=dict)
    # SQL server id (lower) -> auditing properties, for the servers of SQL databases in scope
    sql_auditing: dict[str, dict[str, Any]] = field(default_factory=dict)
    sql_failures: dict[str, Failure] = field(default_factory=dict)
    accounts: dict[str, AccountRecord] = field(default_factory=dict)
    workspaces: dict[str, WorkspaceRecord] = field(default_factory=dict)

    def destinations(self, key: str) -> set[str]:
        settings = [*(self.activity or []), *(s for group in self.settings.values() for s in group)]
        return {str(s[key]) for s in settings if s.get(key)}


@dataclass
class AzureClients:
    monitor: Any
    storage: Any
    resources: Any


def _setting_uri(rid: str) -> str:
    return rid + AUDIT_LOGS[resource_type(rid)].get("suffix", "")


def collect_subscription(clients: AzureClients, subscription: str, pool: Executor) -> AzureSnapshot:
    snap = AzureSnapshot(subscription)
    sub = f"/subscriptions/{subscription}"
    snap.activity, failure = get(
        lambda: [rest(s) for s in clients.monitor.subscription_diagnostic_settings.list()],
        "SubscriptionDiagnosticSettings.List",
        sub,
    )
    if failure:
        snap.failures.append(failure)
    type_filter = " or ".join(f"resourceType eq '{t}'" for t in _TYPES.values())
    ids, failure = get(
        lambda: [
            str(r.id)
            for r in clients.resources.resources.list(filter=type_filter)
            if resource_type(str(r.id)) in _TYPES
        ],
        "Resources.List",
        sub,
    )
    if failure:
        snap.failures.append(failure)
    snap.resources = ids

    def settings(rid: str) -> tuple[str, Any, Failure | None]:
        uri = _setting_uri(rid)
        found, failure = get(
            lambda: [rest(s) for s in clients.monitor.diagnostic_settings.list(uri)], "DiagnosticSettings.List", uri
        )
        return rid, found, failure

    for rid, found, failure in pool.map(settings, ids or []):
        if failure:
            snap.setting_failures[rid] = failure
        else:
            snap.settings[rid] = [{**s, "resourceUri": _setting_uri(rid)} for s in found]
    servers = sorted(
        {
            rid.rsplit("/databases/", 1)[0]
            for rid in ids or []
            if resource_type(rid) == "microsoft.sql/servers/databases"
        }
    )
    for server in servers:
        props, failure = get(
            lambda s=server: (
                clients.resources.resources.get_by_id(
                    f"{s}/extendedAuditingSettings/default", api_version=SQL_API
                ).properties
            ),
            "ExtendedServerBlobAuditingPolicies.Get",
            server,
        )
        if failure:
            snap.sql_failures[server.lower()] = failure
        else:
            snap.sql_auditing[server.lower()] = props or {}
    for account_id in sorted(snap.destinations("storageAccountId"), key=str.lower):
        snap.accounts[account_id.lower()] = _account(clients, account_id)
    for ws in sorted(snap.destinations("workspaceId"), key=str.lower):
        snap.workspaces[ws.lower()] = _workspace(clients, ws)
    return snap


def _account(clients: AzureClients, account_id: str) -> AccountRecord:
    parts = account_id.strip("/").split("/")
    rec = AccountRecord(account_id, parts[-1], parts[3] if len(parts) > 3 else "")
    st = clients.storage
    rec.account, f1 = get(
        lambda: rest(st.storage_accounts.get_properties(rec.resource_group, rec.name)),
        "StorageAccounts.GetProperties",
        account_id,
    )
    rec.containers, f2 = get(
        lambda: [rest(c) for c in st.blob_containers.list(rec.resource_group, rec.name)],
        "BlobContainers.List",
        account_id,
    )
    # No management policy answers 404: "not configured", a gap rather than an error.
    rec.lifecycle, f3 = get(
        lambda: rest(st.management_policies.get(rec.resource_group, rec.name, "default")),
        "ManagementPolicies.Get",
        account_id,
        absent=("ManagementPolicyNotFound", "ResourceNotFound", "HTTP404"),
    )
    rec.failures = {k: f for k, f in (("account", f1), ("containers", f2), ("lifecycle", f3)) if f}
    return rec


def _workspace(clients: AzureClients, ws: str) -> WorkspaceRecord:
    rec = WorkspaceRecord(ws)
    res = clients.resources.resources
    body, failure = get(lambda: res.get_by_id(ws, api_version=WORKSPACE_API).properties, "Workspaces.Get", ws)
    if failure:
        rec.failures["workspace"] = failure
    else:
        rec.retention = (body or {}).get("retentionInDays")
    for table in WORKSPACE_TABLES:
        props, failure = get(
            lambda t=table: res.get_by_id(f"{ws}/tables/{t}", api_version=WORKSPACE_API).properties,
            "Tables.Get",
            f"{ws}/tables/{table}",
        )
        if failure:
            rec.failures[f"table:{table}"] = failure
        else:
            rec.tables[table] = (props or {}).get("totalRetentionInDays")
    return rec

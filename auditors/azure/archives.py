"""Read the archives the settings write to: storage accounts (in the subscription their id names) and workspaces."""

from __future__ import annotations

from concurrent.futures import Executor
from typing import Any

from auditkit.auditors.azure.collect import (
    WORKSPACE_API,
    WORKSPACE_TABLES,
    AccountRecord,
    AzureClients,
    AzureSnapshot,
    WorkspaceRecord,
    every,
    rest,
)
from auditkit.auditors.azure.seal_grants import read_grants
from auditkit.auditors.failures import Failure

LOG_CONTAINER_PREFIX = "insights-"
# Azure answers a missing management policy with this code (404); any other not-found is an ERROR.
NO_MANAGEMENT_POLICY = ("ManagementPolicyNotFound",)


def _parts(resource_id: str) -> tuple[str, str, str]:
    """(subscription, resource group, name) of '/subscriptions/S/resourceGroups/G/providers/.../storageAccounts/N'."""
    parts = resource_id.strip("/").split("/")
    if len(parts) < 8 or parts[0].lower() != "subscriptions" or parts[2].lower() != "resourcegroups":
        raise ValueError(f"not a storage account id: {resource_id}")
    return parts[1], parts[3], parts[-1]


def read_account(clients: AzureClients, account_id: str) -> AccountRecord:
    """The account, its containers (list, then Get for each log container: only Get carries the policy), lifecycle.

    Everything is read with a client for the account's own subscription; when the account cannot be
    read, nothing else about it is asked and every verdict on it is that ERROR.
    """
    try:
        subscription, group, name = _parts(account_id)
    except ValueError as exc:
        rec = AccountRecord(account_id, account_id.rsplit("/", 1)[-1], "")
        rec.failures["account"] = Failure(
            "StorageAccounts.GetProperties", "", account_id, "UnexpectedResponse", str(exc)
        )
        return rec
    rec = AccountRecord(account_id, name, group)
    st = clients.storage_for(subscription)
    rec.account, failure = clients.read(
        lambda: rest(st.storage_accounts.get_properties(group, name)), "StorageAccounts.GetProperties", account_id
    )
    if failure:
        rec.failures["account"] = failure
        return rec
    rec.containers, failure = clients.read(
        lambda: [rest(c) for c in every(st.blob_containers.list(group, name))], "BlobContainers.List", account_id
    )
    if failure:
        rec.failures["containers"] = failure
    for c in rec.containers or []:
        cname = str(c.get("name"))
        if not cname.startswith(LOG_CONTAINER_PREFIX):
            continue

        def container(n: str = cname) -> dict[str, Any]:
            return rest(st.blob_containers.get(group, name, n))

        detail, failure = clients.read(
            container, "BlobContainers.Get", f"{account_id}/blobServices/default/containers/{cname}"
        )
        if failure:
            rec.failures["containers"] = failure
        else:
            rec.details[cname] = detail
    rec.lifecycle, failure = clients.read(
        lambda: rest(st.management_policies.get(group, name, "default")),
        "ManagementPolicies.Get",
        account_id,
        absent=NO_MANAGEMENT_POLICY,
    )
    if failure:
        rec.failures["lifecycle"] = failure
    read_grants(clients, rec)
    return rec


def read_workspace(clients: AzureClients, ws: str) -> WorkspaceRecord:
    rec = WorkspaceRecord(ws)
    res = clients.resources.resources
    body, failure = clients.read(lambda: res.get_by_id(ws, api_version=WORKSPACE_API).properties, "Workspaces.Get", ws)
    if failure:
        rec.failures["workspace"] = failure
    else:
        rec.retention = (body or {}).get("retentionInDays")
    for table in WORKSPACE_TABLES:

        def table_properties(t: str = table) -> Any:
            return res.get_by_id(f"{ws}/tables/{t}", api_version=WORKSPACE_API).properties

        props, failure = clients.read(table_properties, "Tables.Get", f"{ws}/tables/{table}")
        if failure:
            rec.failures[f"table:{table}"] = failure
        else:
            rec.tables[table] = (props or {}).get("totalRetentionInDays")
    return rec


def _distinct(ids: set[str]) -> list[str]:
    """One id per resource (ARM ids are case-insensitive); of several spellings the same one every run."""
    chosen: dict[str, str] = {}
    for i in sorted(ids):
        chosen.setdefault(i.lower(), i)
    return sorted(chosen.values(), key=str.lower)


def read_archives(clients: AzureClients, snap: AzureSnapshot, pool: Executor) -> None:
    """Every storage account and workspace the subscription's settings write to."""
    for rec in pool.map(lambda a: read_account(clients, a), _distinct(snap.destinations("storageAccountId"))):
        snap.accounts[rec.id.lower()] = rec
    for ws in pool.map(lambda w: read_workspace(clients, w), _distinct(snap.destinations("workspaceId"))):
        snap.workspaces[ws.id.lower()] = ws

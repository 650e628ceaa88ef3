"""The `auditkit:azure` settings of a stack: the archive storage account, the Activity Log and resource log
exports, the Log Analytics workspace, sealing and alerts, each field checked before any resource is registered.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from auditkit.policies.errors import ConfigError
from auditkit.policies.retention import RetentionRequirement
from auditkit.settings.alert_settings import AzureAlertSettings, azure_alert_settings
from auditkit.settings.azure_limits import resource_group_choice
from auditkit.settings.pulumi_values import check_keys, flag, whole
from auditkit.settings.sealing_settings import AzureSealingSettings, azure_sealing

AZURE_DEFAULTS: dict[str, Any] = {
    "resourceGroup": "auditkit-audit",
    "createResourceGroup": None,  # None: create a group given by name; an id is always an existing group
    "storageAccountName": None,
    "sharedKeyAccess": False,
    "coolDays": 30,
    "coldDays": 90,
    "archiveDays": 180,
    "diagnosticResources": [],
    "workspace": None,
    "protect": True,
    "sealing": None,  # `auditkit seal azure`: false/absent none; true or a mapping (settings/sealing_settings.py)
    # High-risk activity alerts (components/azure/high_risk_alerts.py): `false` deploys none; email, webhook.
    "alerts": {},
}
WORKSPACE_KEYS = ("name", "retentionDays", "totalRetentionDays", "tables")


@dataclass(frozen=True)
class AzureWorkspaceSettings:
    name: str
    retention_days: int
    total_retention_days: int
    tables: tuple[str, ...]


@dataclass(frozen=True)
class AzureSettings:
    subscription_id: str
    location: str
    resource_group: str
    storage_account_name: str
    shared_key_access: bool
    cool_days: int
    cold_days: int
    archive_days: int
    diagnostic_resources: tuple[str, ...]
    workspace: AzureWorkspaceSettings | None
    protect: bool
    create_resource_group: bool = True
    sealing: AzureSealingSettings | None = None
    alerts: AzureAlertSettings | None = None

    @property
    def storage_account_id(self) -> str:
        """The archive account's id as ARM will give it (known before it exists: the settings name it)."""
        return (
            f"/subscriptions/{self.subscription_id}/resourceGroups/{self.resource_group}"
            f"/providers/Microsoft.Storage/storageAccounts/{self.storage_account_name}"
        )


def _diagnostic_resources(resources: Any) -> tuple[str, ...]:
    if not isinstance(resources, list) or not all(isinstance(r, str) for r in resources):
        raise ConfigError("azure.diagnosticResources", resources, "a list of resource ids")
    seen: set[str] = set()
    for rid in resources:
        if rid.lower() in seen:
            raise ConfigError("azure.diagnosticResources", rid, "each resource id once", "listed twice")
        seen.add(rid.lower())
    return tuple(resources)


def _workspace(w: Any, retention: RetentionRequirement) -> AzureWorkspaceSettings:
    if not isinstance(w, Mapping) or "name" not in w:
        raise ConfigError("azure.workspace", w, "a mapping with name, retentionDays, totalRetentionDays, tables")
    check_keys("azure.workspace.", w, WORKSPACE_KEYS)
    tables = w.get("tables", ["AzureActivity", "AzureDiagnostics"])
    if not isinstance(tables, list) or not tables or not all(isinstance(t, str) and t for t in tables):
        raise ConfigError(
            "azure.workspace.tables", tables, "a non-empty list of table names, e.g. [AzureActivity, AzureDiagnostics]"
        )
    if len({t.lower() for t in tables}) != len(tables):
        raise ConfigError("azure.workspace.tables", tables, "each table once (names are case-insensitive)")
    if not isinstance(w["name"], str) or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9-]{2,61}[A-Za-z0-9]", w["name"]):
        raise ConfigError(
            "azure.workspace.name", w["name"], "4-63 letters, digits and '-', starting and ending alphanumeric"
        )
    return AzureWorkspaceSettings(
        name=w["name"],
        retention_days=whole("azure.workspace.retentionDays", w.get("retentionDays", 90)),
        total_retention_days=whole(
            "azure.workspace.totalRetentionDays", w.get("totalRetentionDays", min(retention.days, 4383))
        ),
        tables=tuple(tables),
    )


def azure_settings(
    raw: Any, subscription: Any, location: Any, retention: RetentionRequirement, tenant: Any = None
) -> AzureSettings:
    if not isinstance(raw, Mapping):
        raise ConfigError("azure", raw, "a mapping of Azure settings with at least storageAccountName")
    check_keys("azure.", raw, list(AZURE_DEFAULTS))
    v = {**AZURE_DEFAULTS, **raw}
    if not isinstance(subscription, str) or not subscription:
        raise ConfigError(
            "azure-native:subscriptionId", subscription, "the subscription id whose Activity Log is exported"
        )
    create = v["createResourceGroup"]
    create = None if create is None else flag("azure.createResourceGroup", create)
    group, create_group = resource_group_choice(v["resourceGroup"], create, subscription)
    return AzureSettings(
        subscription_id=subscription,
        location=str(location or "eastus"),
        resource_group=group,
        create_resource_group=create_group,
        storage_account_name=v["storageAccountName"],
        shared_key_access=flag("azure.sharedKeyAccess", v["sharedKeyAccess"]),
        cool_days=whole("azure.coolDays", v["coolDays"]),
        cold_days=whole("azure.coldDays", v["coldDays"]),
        archive_days=whole("azure.archiveDays", v["archiveDays"]),
        diagnostic_resources=_diagnostic_resources(v["diagnosticResources"] or []),
        workspace=None if v["workspace"] is None else _workspace(v["workspace"], retention),
        protect=flag("azure.protect", v["protect"]),
        sealing=azure_sealing(v["sealing"], tenant),
        alerts=azure_alert_settings(v["alerts"]),
    )

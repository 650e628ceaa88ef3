"""A subscription as Azure answers it, built from Microsoft's published example responses.

Every body below keeps the shape (field names, nesting, extra fields, casing of ids) of an example in
Azure/azure-rest-api-specs; only ids, names and the values a test turns are changed. The source of
each shape is named next to it (paths under specification/):

  monitor/.../Microsoft.Insights/preview/2021-05-01-preview/examples/
      listSubscriptionDiagnosticSettings.json, listDiagnosticSettings.json, listDiagnosticSettingsCategories.json
  storage/.../Microsoft.Storage/stable/2024-01-01/examples/
      StorageAccountGetProperties.json, StorageAccountCreateWithImmutabilityPolicy.json (200 body),
      BlobContainersGet.json, BlobContainersGetWithAllowProtectedAppendWritesAll.json,
      StorageAccountGetManagementPolicy.json, StorageAccountSetManagementPolicyForBlockAndAppendBlobs.json
  storage/.../Microsoft.Storage/stable/2023-05-01/examples/BlobContainersList.json (list: no policy, nextLink)
  sql/.../Microsoft.Sql/stable/2021-11-01/examples/
      ExtendedServerBlobAuditingCreateMin.json (200 body), DatabaseExtendedAuditingSettingsList.json
  operationalinsights/.../Microsoft.OperationalInsights/stable/2023-09-01/examples/WorkspacesGet.json, TablesGet.json

The scanned subscription and the resource group come from listDiagnosticSettings.json, whose setting
writes to a storage account in another subscription (df602c9c-...): the archive lives there.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from auditkit.auditors.azure.scan import AzureScanOptions, scan_azure
from auditkit.auditors.findings import Report
from auditkit.policies.retention import RetentionRequirement, required_retention
from tests.fakes.arm import FakeArm, FakeCredential
from tests.fakes.arm_alerts import Alerting
from tests.fakes.arm_grants import Authorization

SUB = "1a66ce04-b633-4a0b-b2bc-a912ec8986a6"
ARCHIVE_SUB = "df602c9c-7aa0-407d-a6fb-eb20c8bd1192"
GROUP = f"/subscriptions/{SUB}/resourcegroups/viruela1/providers"
KV = f"{GROUP}/Microsoft.KeyVault/vaults/kv-phi"
BLOB = f"{GROUP}/Microsoft.Storage/storageAccounts/phiblobs"
SERVER = f"{GROUP}/Microsoft.Sql/servers/sqlphi"
SQL_DB = f"{SERVER}/databases/records"
FHIR = f"{GROUP}/Microsoft.HealthcareApis/workspaces/hds/fhirservices/fhir"
ACCOUNT = (
    f"/subscriptions/{ARCHIVE_SUB}/resourceGroups/apptest/providers/Microsoft.Storage/storageAccounts/appteststorage1"
)
WORKSPACE = f"/subscriptions/{SUB}/resourcegroups/apptest/providers/microsoft.operationalinsights/workspaces/test1"
INSIGHTS = "providers/microsoft.insights/diagnosticSettings"

# Log categories and their groups as diagnosticSettingsCategories lists them per type (Azure Monitor's
# "Supported categories for Azure Monitor resource logs" pages; FHIR has no `audit` group).
CATEGORIES: dict[str, dict[str, list[str]]] = {
    KV: {"AuditEvent": ["audit", "allLogs"], "AzurePolicyEvaluationDetails": ["allLogs"]},
    BLOB + "/blobServices/default": {c: ["audit", "allLogs"] for c in ("StorageRead", "StorageWrite", "StorageDelete")},
    SQL_DB: {
        "SQLSecurityAuditEvents": ["audit", "allLogs"],
        "DevOpsOperationsAudit": ["audit", "allLogs"],
        "SQLInsights": ["allLogs"],
    },
    FHIR: {"AuditLogs": ["allLogs"]},
}


def log(category: str | None = None, group: str | None = None, enabled: bool = True) -> dict[str, Any]:
    """One `logs` item as listDiagnosticSettings.json carries it (with the deprecated retentionPolicy)."""
    item: dict[str, Any] = {"enabled": enabled, "retentionPolicy": {"enabled": False, "days": 0}}
    item.update({"category": category} if category else {"categoryGroup": group})
    return item


def setting(uri: str, logs: list[dict], storage: str | None = ACCOUNT, workspace: str = "") -> dict[str, Any]:
    """listDiagnosticSettings.json item: lower-case `microsoft.insights`, an empty workspaceId, metrics too."""
    return {
        "id": f"{uri}/providers/microsoft.insights/diagnosticSettings/mysetting",
        "type": "Microsoft.Insights/diagnosticSettings",
        "name": "mysetting",
        "properties": {
            **({"storageAccountId": storage} if storage else {}),
            "eventHubAuthorizationRuleId": None,
            "workspaceId": workspace,
            "metrics": [{"category": "AllMetrics", "enabled": True, "retentionPolicy": {"enabled": False, "days": 0}}],
            "logs": logs,
        },
    }


def subscription_setting(name: str, logs: list[dict], storage: str | None, workspace: str | None) -> dict[str, Any]:
    """listSubscriptionDiagnosticSettings.json item: id without a leading slash, `type` null."""
    props: dict[str, Any] = {"logs": logs}
    if storage:
        props["storageAccountId"] = storage
    if workspace:
        props["workspaceId"] = workspace
    return {
        "id": f"subscriptions/{SUB}/providers/AzureResourceManager/diagnosticSettings/{name}",
        "type": None,
        "name": name,
        "properties": props,
    }


def immutability_policy(days: int, state: str = "Locked", append: str | None = "allowProtectedAppendWrites") -> dict:
    """BlobContainersGet.json's `immutabilityPolicy` (etag, properties, updateHistory of put/lock/extend)."""
    history = [
        {"update": u, "immutabilityPeriodSinceCreationInDays": d, "timestamp": "2018-03-26T05:06:11.431403Z"}
        for u, d in (("put", 3), ("lock", 3), ("extend", days))
    ]
    props: dict[str, Any] = {"immutabilityPeriodSinceCreationInDays": days, "state": state}
    if append:
        props[append] = True
    return {"etag": '"8d592d74cb3011a"', "properties": props, "updateHistory": history}


@dataclass
class PublishedWorld:
    """One scanned subscription and its archive (another subscription), every value a test can turn."""

    days: int
    resources: list[str] = field(default_factory=lambda: [KV, BLOB, SQL_DB, FHIR])
    activity: list[dict] = field(default_factory=list)
    settings: dict[str, list[dict]] = field(default_factory=dict)
    account: dict[str, Any] = field(default_factory=dict)
    containers: dict[str, dict | None] = field(default_factory=dict)  # name -> its immutabilityPolicy (Get)
    management_policy: dict[str, Any] | None = None
    server_auditing: dict[str, Any] = field(default_factory=dict)
    database_auditing: dict[str, Any] = field(default_factory=dict)
    workspace: dict[str, Any] = field(default_factory=dict)
    tables: dict[str, int] = field(default_factory=dict)
    categories: dict[str, dict[str, list[str]]] = field(default_factory=lambda: copy.deepcopy(CATEGORIES))
    # Activity log alerts, action groups, scheduled query rules (tests/fakes/arm_alerts.py names their sources).
    alerting: Alerting = field(default_factory=lambda: Alerting(SUB, ACCOUNT, WORKSPACE))
    authorization: Authorization = field(default_factory=Authorization)  # tests/fakes/arm_grants.py

    def __post_init__(self) -> None:
        self.activity = self.activity or [
            subscription_setting("ds4", [log(group="allLogs")], ACCOUNT.lower(), WORKSPACE),
        ]
        self.settings = self.settings or {
            KV: [setting(KV, [log(group="allLogs")], workspace=WORKSPACE)],
            BLOB + "/blobServices/default": [setting(BLOB + "/blobServices/default", [log(group="audit")])],
            SQL_DB: [setting(SQL_DB, [log(group="audit")])],
            SERVER + "/databases/master": [setting(SERVER + "/databases/master", [log("SQLSecurityAuditEvents")])],
            FHIR: [setting(FHIR, [log("AuditLogs")])],
        }
        self.account = self.account or _account(self.days)
        logs = ("activity-logs", "logs-auditevent", "logs-azurepolicyevaluationdetails", "logs-storageread")
        more = ("logs-storagewrite", "logs-storagedelete", "logs-sqlsecurityauditevents", "logs-devopsoperationsaudit")
        more += ("logs-auditlogs",)
        self.containers = self.containers or {f"insights-{c}": immutability_policy(self.days) for c in (*logs, *more)}
        self.containers.setdefault("olcmtestcontainer", None)
        if self.management_policy is None:
            self.management_policy = _management_policy(self.days)
        self.server_auditing = self.server_auditing or {
            "state": "Enabled",
            "storageEndpoint": "",
            "retentionDays": 0,
            "storageAccountSubscriptionId": "00000000-0000-0000-0000-000000000000",
            "isStorageSecondaryKeyInUse": False,
            "auditActionsAndGroups": [
                "SUCCESSFUL_DATABASE_AUTHENTICATION_GROUP",
                "FAILED_DATABASE_AUTHENTICATION_GROUP",
            ],
            "isAzureMonitorTargetEnabled": True,
        }
        self.database_auditing = self.database_auditing or {
            "state": "Disabled",
            "storageEndpoint": "",
            "retentionDays": 0,
            "auditActionsAndGroups": [],
            "storageAccountSubscriptionId": "00000000-0000-0000-0000-000000000000",
            "isStorageSecondaryKeyInUse": False,
            "predicateExpression": "statement = 'select 1'",
            "isAzureMonitorTargetEnabled": False,
            "isManagedIdentityInUse": False,
        }
        self.workspace = self.workspace or {
            "customerId": "5b02755b-5bf4-430c-9487-45502a2a7e62",
            "provisioningState": "Succeeded",
            "sku": {"name": "PerGB2018"},
            "retentionInDays": 90,
            "publicNetworkAccessForQuery": "Enabled",
            "publicNetworkAccessForIngestion": "Enabled",
        }
        self.tables = self.tables or {"AzureActivity": min(self.days, 4383), "AzureDiagnostics": min(self.days, 4383)}

    def load(self, arm: FakeArm, page: int = 2) -> None:
        arm.routes.clear()
        arm.pages.clear()
        arm.set(
            f"/subscriptions/{SUB}/resources",
            [{"id": r, "name": r.rsplit("/", 1)[-1], "type": _type(r), "location": "eastus"} for r in self.resources],
            page=page,
        )
        arm.set(f"/subscriptions/{SUB}/{INSIGHTS}", self.activity)
        for uri, found in self.settings.items():
            arm.set(f"{uri}/{INSIGHTS}", found)
        for uri in {*(r + ("/blobServices/default" if "storageaccounts" in r.lower() else "") for r in self.resources)}:
            arm.routes.setdefault(f"{uri}/{INSIGHTS}".lower(), [])
            arm.set(
                f"{uri}/providers/microsoft.insights/diagnosticSettingsCategories", _categories(uri, self.categories)
            )
        self._load_archive(arm, page)
        self.alerting.load(arm, page)
        arm.set(f"{SERVER}/extendedAuditingSettings/default", _sql(SERVER, "servers", self.server_auditing))
        arm.set(f"{SQL_DB}/extendedAuditingSettings/default", _sql(SQL_DB, "servers/databases", self.database_auditing))
        arm.set(
            WORKSPACE,
            {
                "properties": self.workspace,
                "id": WORKSPACE,
                "name": "test1",
                "type": "Microsoft.OperationalInsights/workspaces",
                "location": "eastus",
            },
        )
        for table, total in self.tables.items():
            arm.set(f"{WORKSPACE}/tables/{table}", _table(table, total))

    def _load_archive(self, arm: FakeArm, page: int) -> None:
        arm.set(ACCOUNT, self.account)
        items = []
        for name, policy in self.containers.items():
            body = _container(name, policy)
            arm.set(body["id"], body)
            listed = copy.deepcopy(body)
            for key in ("immutabilityPolicy", "legalHold", "immutableStorageWithVersioning"):
                listed["properties"].pop(key, None)  # the list carries only the has* flags
            items.append(listed)
        arm.set(f"{ACCOUNT}/blobServices/default/containers", items, page=page)
        if self.management_policy is not None:
            arm.set(f"{ACCOUNT}/managementPolicies/default", self.management_policy)
        self.authorization.load(arm, ACCOUNT, page)


def _type(rid: str) -> str:
    parts = rid.split("/providers/", 1)[1].split("/")
    return "/".join([parts[0], *parts[1::2]])


def _categories(uri: str, categories: dict[str, dict[str, list[str]]]) -> list[dict]:
    """listDiagnosticSettingsCategories.json: Logs with categoryGroups, Metrics without."""
    listed = next((v for k, v in categories.items() if k.lower() == uri.lower()), {})
    items = [
        {
            "id": f"{uri}/providers/microsoft.insights/diagnosticSettingsCategories/{name}",
            "type": "microsoft.insights/diagnosticSettingsCategories",
            "name": name,
            "properties": {"categoryType": "Logs", "categoryGroups": groups},
        }
        for name, groups in listed.items()
    ]
    metric = {"id": f"{uri}/providers/microsoft.insights/diagnosticSettingsCategories/AllMetrics", "name": "AllMetrics"}
    return [
        *items,
        {
            **metric,
            "type": "microsoft.insights/diagnosticSettingsCategories",
            "properties": {"categoryType": "Metrics"},
        },
    ]


def _account(days: int) -> dict[str, Any]:
    """StorageAccountGetProperties.json, hardened; immutableStorageWithVersioning absent (a test adds it)."""
    return {
        "id": ACCOUNT,
        "kind": "StorageV2",
        "location": "eastus2(stage)",
        "name": "appteststorage1",
        "properties": {
            "keyCreationTime": {"key1": "2021-03-18T04:42:22.4322836Z", "key2": "2021-03-18T04:42:22.4322836Z"},
            "isHnsEnabled": False,
            "creationTime": "2017-06-01T02:42:41.7633306Z",
            "networkAcls": {
                "bypass": "AzureServices",
                "defaultAction": "Allow",
                "ipRules": [],
                "virtualNetworkRules": [],
            },
            "primaryEndpoints": {"blob": "https://appteststorage1.blob.core.windows.net/"},
            "primaryLocation": "eastus2(stage)",
            "provisioningState": "Succeeded",
            "encryption": {
                "services": {"blob": {"keyType": "Account", "enabled": True}},
                "keySource": "Microsoft.Storage",
            },
            "statusOfPrimary": "available",
            "supportsHttpsTrafficOnly": True,
            "minimumTlsVersion": "TLS1_2",
            "allowBlobPublicAccess": False,
            "allowSharedKeyAccess": False,
            "isSkuConversionBlocked": False,
            "accountMigrationInProgress": False,
        },
        "sku": {"name": "Standard_GRS", "tier": "Standard"},
        "tags": {"key1": "value1"},
        "type": "Microsoft.Storage/storageAccounts",
    }


def _container(name: str, policy: dict | None) -> dict[str, Any]:
    """BlobContainersGet.json (the list item is this minus the policy and legal hold)."""
    props: dict[str, Any] = {
        "publicAccess": "None",
        "leaseStatus": "Unlocked",
        "leaseState": "Available",
        "lastModifiedTime": "2018-03-26T05:06:14Z",
        "hasImmutabilityPolicy": policy is not None,
        "hasLegalHold": False,
    }
    if policy is not None:
        props["immutabilityPolicy"] = policy
    return {
        "id": f"{ACCOUNT}/blobServices/default/containers/{name}",
        "name": name,
        "type": "Microsoft.Storage/storageAccounts/blobServices/containers",
        "etag": '"0x8D592D74CC20EBA"',
        "properties": props,
    }


def _management_policy(days: int) -> dict[str, Any]:
    """StorageAccountGetManagementPolicy.json: its id names another group and account than asked (as published)."""
    rules = [
        {
            "enabled": True,
            "name": "olcmtest",
            "type": "Lifecycle",
            "definition": {
                "filters": {"blobTypes": ["blockBlob"], "prefixMatch": ["olcmtestcontainer"]},
                "actions": {
                    "baseBlob": {
                        "tierToCool": {"daysAfterModificationGreaterThan": 30},
                        "tierToArchive": {"daysAfterModificationGreaterThan": 90},
                        "delete": {"daysAfterModificationGreaterThan": 1000},
                    },
                    "snapshot": {"delete": {"daysAfterCreationGreaterThan": 30}},
                },
            },
        },
        {
            "enabled": True,
            "name": "log-expiry",
            "type": "Lifecycle",
            "definition": {
                "filters": {"blobTypes": ["appendBlob"], "prefixMatch": ["insights-"]},
                "actions": {"baseBlob": {"delete": {"daysAfterModificationGreaterThan": days}}},
            },
        },
    ]
    return {
        "id": "/subscriptions/{subscription-id}/resourceGroups/res7231/providers/Microsoft.Storage/storageAccounts/sto288/managementPolicies/default",
        "name": "DefaultManagementPolicy",
        "type": "Microsoft.Storage/storageAccounts/managementPolicies",
        "properties": {"policy": {"rules": rules}, "lastModifiedTime": "2018-06-08T03:01:55.7168089Z"},
    }


def _sql(rid: str, kind: str, props: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": f"{rid}/extendedAuditingSettings/default",
        "name": "default",
        "type": f"Microsoft.Sql/{kind}/extendedAuditingSettings",
        "properties": props,
    }


def _table(name: str, total: int) -> dict[str, Any]:
    """TablesGet.json, trimmed of its schema columns."""
    return {
        "systemData": {"createdBy": "00000000-0000-0000-0000-00000000000", "createdAt": "2020-02-03T04:05:06Z"},
        "properties": {
            "schema": {"name": name, "tableType": "Microsoft", "columns": [], "solutions": ["LogManagement"]},
            "provisioningState": "Succeeded",
            "retentionInDays": 90,
            "totalRetentionInDays": total,
            "archiveRetentionInDays": max(total - 90, 0),
            "retentionInDaysAsDefault": False,
            "totalRetentionInDaysAsDefault": False,
            "plan": "Analytics",
        },
        "id": f"{WORKSPACE}/tables/{name}",
        "name": name,
    }


def scan(arm: FakeArm, world: PublishedWorld | None, required: RetentionRequirement | None = None) -> Report:
    """Load the published world (if given) into the fake ARM and scan subscription SUB with the real clients."""
    if world is not None:
        world.load(arm)
    options = AzureScanOptions(required or required_retention(["US"]), (SUB,), arm_endpoint=arm.endpoint)
    return scan_azure(options, FakeCredential())

"""Plain data about Azure audit logging, from a plan or from live state; and the audit categories per type."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from auditkit.policies.azure.grants import ArchiveGrants
from auditkit.policies.retention import RetentionRequirement

ACTIVITY_LOG_CATEGORIES = (
    "Administrative",
    "Security",
    "ServiceHealth",
    "Alert",
    "Recommendation",
    "Policy",
    "Autoscale",
    "ResourceHealth",
)
# Resource types holding ePHI: how their audit logs are asked for (category group, else categories),
# and the sub-resource the setting attaches to (Storage logs live on the blob service).
AUDIT_LOGS: dict[str, dict] = {
    "microsoft.keyvault/vaults": {"group": "audit", "categories": ("AuditEvent",)},
    "microsoft.storage/storageaccounts": {
        "group": "audit",
        "categories": ("StorageRead", "StorageWrite", "StorageDelete"),
        "suffix": "/blobServices/default",
    },
    "microsoft.sql/servers/databases": {
        "group": "audit",
        "categories": ("SQLSecurityAuditEvents", "DevOpsOperationsAudit"),
    },
    "microsoft.healthcareapis/workspaces/fhirservices": {"group": None, "categories": ("AuditLogs",)},
    "microsoft.healthcareapis/services": {"group": None, "categories": ("AuditLogs",)},
    "microsoft.documentdb/databaseaccounts": {
        "group": "audit",
        "categories": ("DataPlaneRequests", "ControlPlaneRequests"),
    },
}


def resource_type(resource_id: str) -> str:
    """'/subscriptions/s/resourceGroups/g/providers/Microsoft.Sql/servers/a/databases/b' -> 'microsoft.sql/servers/databases'"""
    parts = resource_id.strip("/").split("/")
    lowered = [p.lower() for p in parts]
    if "providers" not in lowered:
        return ""
    i = len(lowered) - 1 - lowered[::-1].index("providers")
    rest = parts[i + 1 :]
    if len(rest) < 3:
        return ""
    types = [rest[0]] + rest[1::2]
    return "/".join(types).lower()


@dataclass(frozen=True)
class LogSetting:
    category: str | None
    category_group: str | None
    enabled: bool


@dataclass(frozen=True)
class DiagnosticSettingFacts:
    name: str
    resource_uri: str
    logs: tuple[LogSetting, ...]
    storage_account_id: str | None
    workspace_id: str | None

    def enabled_categories(self) -> set[str]:
        return {x.category for x in self.logs if x.enabled and x.category}

    def enabled_groups(self) -> set[str]:
        return {x.category_group.lower() for x in self.logs if x.enabled and x.category_group}


@dataclass(frozen=True)
class ImmutabilityFacts:
    container: str  # the container, or "account <name>" for an account-level (version) policy
    days: int | None
    state: str | None  # Locked | Unlocked | Disabled (account level) | None when a plan cannot know
    allow_protected_append_writes: bool


@dataclass(frozen=True)
class LifecycleActionFacts:
    rule: str
    blob_types: tuple[str, ...]  # empty: the rule names no blob type
    tier_to: str | None  # Cool | Cold | Archive | None for delete
    days: float | None
    delete: bool = False
    prefixes: tuple[str, ...] = ()  # prefixMatch: "container/blob-prefix"; empty matches every blob
    condition: str = "daysAfterModificationGreaterThan"


@dataclass(frozen=True)
class CategoryFacts:
    """What Azure lists for one resource (diagnosticSettingsCategories): log category -> its category groups."""

    logs: dict[str, tuple[str, ...]]

    def in_group(self, group: str) -> set[str]:
        return {c for c, groups in self.logs.items() if group.lower() in (g.lower() for g in groups)}


@dataclass(frozen=True)
class AuditingFacts:
    """SQL extendedAuditingSettings (server or database): only state and the Azure Monitor target matter here."""

    state: str | None
    azure_monitor_target: bool | None

    @property
    def to_azure_monitor(self) -> bool:
        return str(self.state or "").lower() == "enabled" and bool(self.azure_monitor_target)


@dataclass(frozen=True)
class StorageAccountFacts:
    name: str
    https_only: bool | None
    minimum_tls: str | None
    allow_blob_public_access: bool | None
    allow_shared_key_access: bool | None


@dataclass(frozen=True)
class WorkspaceFacts:
    name: str
    retention_days: int | None
    total_retention: dict[str, int | None] = field(default_factory=dict)


@dataclass(frozen=True)
class AuditedResources:
    """ePHI resources and what should send their audit logs to the archive: the diagnostic settings (every
    one read: a SQL server's master database carries its databases' audit events), the log categories Azure
    lists per resource id (lower-case; None: the built-in table), and for each SQL database the auditing
    of its server and its own."""

    resource_ids: tuple[str, ...]
    settings: tuple[DiagnosticSettingFacts, ...]
    categories: Mapping[str, CategoryFacts] | None = None
    sql: Mapping[str, tuple[AuditingFacts | None, AuditingFacts | None]] = field(default_factory=dict)


@dataclass(frozen=True)
class ContainerProtection:
    """What protects an archive's log containers: their own policies, the account-level (version) policy,
    the containers the settings write, and what cannot be known in advance."""

    policies: tuple[ImmutabilityFacts, ...]
    containers: frozenset[str]
    account_policy: ImmutabilityFacts | None = None
    unknown: tuple[str, ...] = ()


@dataclass(frozen=True)
class LogArchive:
    """A storage account the diagnostic settings write to, as the archive controls judge it."""

    account: StorageAccountFacts
    required: RetentionRequirement
    protection: ContainerProtection
    lifecycle: tuple[LifecycleActionFacts, ...] = ()
    shared_key_allowed: bool = False
    # The role assignments reaching the account (azure.archive.seal_protection)
    grants: ArchiveGrants = field(default_factory=ArchiveGrants)

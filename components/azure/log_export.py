"""Activity Log export and resource diagnostic settings, and the optional Log Analytics workspace."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
from pulumi import Input, ResourceOptions
from pulumi_azure_native import monitor, operationalinsights, sql

from auditkit.policies.azure.facts import ACTIVITY_LOG_CATEGORIES, AUDIT_LOGS, resource_type
from auditkit.settings.azure_limits import check_resource_group, check_resource_id, check_workspace

# Microsoft's default audit action groups for SQL auditing.
SQL_AUDIT_GROUPS = [
    "SUCCESSFUL_DATABASE_AUTHENTICATION_GROUP",
    "FAILED_DATABASE_AUTHENTICATION_GROUP",
    "BATCH_COMPLETED_GROUP",
]


def sql_servers(resource_ids: tuple[str, ...]) -> list[str]:
    """The SQL servers of the listed databases (auditing is a server setting)."""
    servers = {
        rid.rsplit("/databases/", 1)[0]
        for rid in resource_ids
        if resource_type(rid) == "microsoft.sql/servers/databases"
    }
    return sorted(servers, key=str.lower)


def monitor_containers(resource_ids: tuple[str, ...]) -> tuple[str, ...]:
    """The containers Azure Monitor will write: activity log, then one per exported category."""
    categories = sorted({c for rid in resource_ids for c in AUDIT_LOGS[resource_type(rid)]["categories"]})
    return ("insights-activity-logs", *(f"insights-logs-{c.lower()}" for c in categories))


@dataclass
class AuditLogExportArgs:
    storage_account_id: Input[str]
    resource_ids: tuple[str, ...] = ()
    workspace_id: Input[str] | None = None
    setting_name: str = "auditkit-audit"

    def __post_init__(self) -> None:
        for rid in self.resource_ids:
            check_resource_id(rid)


class AuditLogExport(pulumi.ComponentResource):
    """Every Activity Log category, and each ePHI resource's audit category group, to the archive (and workspace)."""

    def __init__(self, name: str, args: AuditLogExportArgs, opts: ResourceOptions | None = None) -> None:
        super().__init__("auditkit:azure:AuditLogExport", name, None, opts)
        monitor.SubscriptionDiagnosticSetting(
            f"{name}-activity-log",
            name=f"{args.setting_name}-activity-log",
            logs=[{"category": c, "enabled": True} for c in ACTIVITY_LOG_CATEGORIES],
            storage_account_id=args.storage_account_id,
            workspace_id=args.workspace_id,
            opts=ResourceOptions(parent=self),
        )
        # SQLSecurityAuditEvents stays empty unless the server audits to Azure Monitor.
        for server_id in sql_servers(args.resource_ids):
            parts = server_id.strip("/").split("/")
            sql.ExtendedServerBlobAuditingPolicy(
                f"{name}-sql-auditing-{parts[-1].lower()}",
                resource_group_name=parts[3],
                server_name=parts[-1],
                blob_auditing_policy_name="default",
                state=sql.BlobAuditingPolicyState.ENABLED,
                is_azure_monitor_target_enabled=True,
                audit_actions_and_groups=SQL_AUDIT_GROUPS,
                opts=ResourceOptions(parent=self),
            )
            # Server-level audit events reach Azure Monitor through the master database's setting
            # (ExtendedServerBlobAuditingPolicy spec, isAzureMonitorTargetEnabled).
            monitor.DiagnosticSetting(
                f"{name}-sql-master-{parts[-1].lower()}",
                name=args.setting_name,
                resource_uri=f"{server_id}/databases/master",
                logs=[{"category": "SQLSecurityAuditEvents", "enabled": True}],
                storage_account_id=args.storage_account_id,
                workspace_id=args.workspace_id,
                opts=ResourceOptions(parent=self),
            )
        for i, rid in enumerate(args.resource_ids):
            spec = AUDIT_LOGS[resource_type(rid)]
            logs: list[monitor.DiagnosticsLogSettingsArgsDict] = (
                [{"category_group": spec["group"], "enabled": True}]
                if spec["group"]
                else [{"category": c, "enabled": True} for c in spec["categories"]]
            )
            monitor.DiagnosticSetting(
                f"{name}-{i}-{rid.rstrip('/').rsplit('/', 1)[-1].lower()}",
                name=args.setting_name,
                resource_uri=rid + spec.get("suffix", ""),
                logs=logs,
                storage_account_id=args.storage_account_id,
                workspace_id=args.workspace_id,
                opts=ResourceOptions(parent=self),
            )
        self.register_outputs({})


@dataclass
class AuditWorkspaceArgs:
    # A name from the settings (checked); the stack swaps in the group's Output when it creates the group.
    resource_group_name: Input[str]
    location: str
    workspace_name: str
    retention_days: int = 90
    total_retention_days: int = 2557
    tables: tuple[str, ...] = ("AzureActivity", "AzureDiagnostics")
    tags: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_resource_group(self.resource_group_name)
        check_workspace(self.retention_days, self.total_retention_days)


class AuditWorkspace(pulumi.ComponentResource):
    """Log Analytics workspace for queries and alerts; its audit tables keep logs for the total retention."""

    workspace: operationalinsights.Workspace

    def __init__(self, name: str, args: AuditWorkspaceArgs, opts: ResourceOptions | None = None) -> None:
        super().__init__("auditkit:azure:AuditWorkspace", name, None, opts)
        self.workspace = operationalinsights.Workspace(
            f"{name}-workspace",
            workspace_name=args.workspace_name,
            resource_group_name=args.resource_group_name,
            location=args.location,
            sku={"name": "PerGB2018"},
            retention_in_days=args.retention_days,
            tags=args.tags,
            opts=ResourceOptions(parent=self),
        )
        for table in args.tables:
            operationalinsights.Table(
                f"{name}-{table.lower()}",
                resource_group_name=args.resource_group_name,
                workspace_name=self.workspace.name,
                table_name=table,
                retention_in_days=args.retention_days,
                total_retention_in_days=args.total_retention_days,
                opts=ResourceOptions(parent=self),
            )
        self.register_outputs({"workspace_id": self.workspace.id})

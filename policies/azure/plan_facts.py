"""Azure facts from a Pulumi plan (engine props), and the whole-plan Azure judgement."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from auditkit.policies.azure import judges
from auditkit.policies.azure.facts import (
    AUDIT_LOGS,
    DiagnosticSettingFacts,
    ImmutabilityFacts,
    LifecycleActionFacts,
    LogSetting,
    StorageAccountFacts,
    WorkspaceFacts,
    resource_type,
)
from auditkit.policies.retention import RetentionRequirement
from auditkit.policies.verdicts import PlanResource, Verdict

SUBSCRIPTION_SETTING = "azure-native:monitor:SubscriptionDiagnosticSetting"
DIAGNOSTIC_SETTING = "azure-native:monitor:DiagnosticSetting"
ACCOUNT = "azure-native:storage:StorageAccount"
CONTAINER = "azure-native:storage:BlobContainer"
IMMUTABILITY = "azure-native:storage:BlobContainerImmutabilityPolicy"
MANAGEMENT_POLICY = "azure-native:storage:ManagementPolicy"
WORKSPACE = "azure-native:operationalinsights:Workspace"
TABLE = "azure-native:operationalinsights:Table"
SQL_AUDITING = "azure-native:sql:ExtendedServerBlobAuditingPolicy"
AZURE_CONTROLS = (
    "azure.activity_log.export",
    "azure.diagnostics.resources",
    "azure.storage.immutability",
    "azure.storage.lifecycle",
    "azure.storage.hardening",
    "azure.workspace.retention",
)
_TIERS = {"tierToCool": "Cool", "tierToCold": "Cold", "tierToArchive": "Archive"}


def setting_facts(r: PlanResource) -> DiagnosticSettingFacts:
    p = r.props
    logs = tuple(
        LogSetting(x.get("category"), x.get("categoryGroup"), bool(x.get("enabled", False)))
        for x in p.get("logs") or ()
    )
    return DiagnosticSettingFacts(
        name=str(p.get("name") or r.name),
        resource_uri=str(p.get("resourceUri") or ""),
        logs=logs,
        storage_account_id=p.get("storageAccountId") or None,
        workspace_id=p.get("workspaceId") or None,
    )


def lifecycle_facts(props: Mapping[str, Any]) -> list[LifecycleActionFacts]:
    out = []
    for rule in (props.get("policy") or {}).get("rules") or ():
        if rule.get("enabled") is False:
            continue
        definition = rule.get("definition") or {}
        types = tuple((definition.get("filters") or {}).get("blobTypes") or ())
        base = (definition.get("actions") or {}).get("baseBlob") or {}
        for key, tier in _TIERS.items():
            if key in base:
                out.append(
                    LifecycleActionFacts(
                        str(rule.get("name")), types, tier, base[key].get("daysAfterModificationGreaterThan")
                    )
                )
        if "delete" in base:
            days = base["delete"].get(
                "daysAfterModificationGreaterThan", base["delete"].get("daysAfterCreationGreaterThan")
            )
            out.append(LifecycleActionFacts(str(rule.get("name")), types, None, days, delete=True))
    return out


def account_facts(props: Mapping[str, Any]) -> StorageAccountFacts:
    return StorageAccountFacts(
        name=str(props.get("accountName")),
        https_only=props.get("enableHttpsTrafficOnly"),
        minimum_tls=props.get("minimumTlsVersion"),
        allow_blob_public_access=props.get("allowBlobPublicAccess"),
        allow_shared_key_access=props.get("allowSharedKeyAccess"),
    )


def _groups(resource_ids: Sequence[str], group: Any) -> set[str]:
    """'/subscriptions/S/resourceGroups/G' prefixes of the resources in scope that live in `group`."""
    out = set()
    for rid in resource_ids:
        parts = rid.strip("/").split("/")
        if len(parts) > 3 and parts[3].lower() == str(group).lower():
            out.add(f"/subscriptions/{parts[1]}/resourcegroups/{parts[3]}".lower())
    return out


def _account_name(resource_id: str | None) -> str:
    parts = (resource_id or "").rstrip("/").split("/")
    return parts[-1] if len(parts) > 1 and parts[-2].lower() == "storageaccounts" else ""


def judge_azure_plan(
    resources: Sequence[PlanResource],
    required: RetentionRequirement,
    resource_ids: Sequence[str] = (),
    shared_key_allowed: bool = False,
    require_activity_log: bool = True,
) -> list[Verdict]:
    of = lambda t: [r for r in resources if r.type == t]  # noqa: E731
    sub_settings = [(r.name, setting_facts(r)) for r in of(SUBSCRIPTION_SETTING)]
    settings = [(r.name, setting_facts(r)) for r in of(DIAGNOSTIC_SETTING)]
    verdicts = []
    if sub_settings or require_activity_log:
        verdicts.append(
            Verdict(
                "azure.activity_log.export",
                tuple(n for n, _ in sub_settings),
                tuple(judges.activity_log_export([s for _, s in sub_settings])),
            )
        )
    # Every resource the stack names, and every resource the plan already sends logs from.
    from_settings = [s.resource_uri[: len(s.resource_uri.lower().split("/blobservices/")[0])] for _, s in settings]
    audited = [rid for rid in from_settings if resource_type(rid) in AUDIT_LOGS]
    in_scope = list(dict.fromkeys(r.lower() for r in (*resource_ids, *audited)))
    in_scope = [next(x for x in (*resource_ids, *audited) if x.lower() == r) for r in in_scope]
    if in_scope:
        auditing = [
            r
            for r in of(SQL_AUDITING)
            if str(r.props.get("state", "")).lower() == "enabled" and r.props.get("isAzureMonitorTargetEnabled")
        ]
        servers = {
            f"{g}/providers/microsoft.sql/servers/{r.props.get('serverName')}".lower()
            for r in auditing
            for g in _groups(in_scope, r.props.get("resourceGroupName"))
        }
        gaps = judges.resource_diagnostics(in_scope, [s for _, s in settings]) + judges.sql_auditing(in_scope, servers)
        names = tuple(n for n, _ in settings) + tuple(r.name for r in auditing)
        verdicts.append(Verdict("azure.diagnostics.resources", names, tuple(gaps)))
    archives = {_account_name(s.storage_account_id) for _, s in (*sub_settings, *settings)} - {""}
    for account in of(ACCOUNT):
        name = str(account.props.get("accountName"))
        if name not in archives:
            continue
        declared = {str(c.props.get("containerName")) for c in of(CONTAINER) if c.props.get("accountName") == name}
        writing = [s for _, s in settings if _account_name(s.storage_account_id) == name]
        activity = any(_account_name(s.storage_account_id) == name for _, s in sub_settings)
        needed, unknown = judges.monitor_containers(writing, activity)
        containers = declared | needed
        policies = [
            ImmutabilityFacts(
                str(p.props.get("containerName")),
                p.props.get("immutabilityPeriodSinceCreationInDays"),
                p.props.get("state"),
                bool(p.props.get("allowProtectedAppendWrites") or p.props.get("allowProtectedAppendWritesAll")),
            )
            for p in of(IMMUTABILITY)
            if p.props.get("accountName") == name
        ]
        policy_names = tuple(p.name for p in of(IMMUTABILITY) if p.props.get("accountName") == name)
        verdicts.append(
            Verdict(
                "azure.storage.immutability",
                policy_names,
                tuple(judges.immutability(policies, containers, required) + unknown),
            )
        )
        lifecycles = [m for m in of(MANAGEMENT_POLICY) if m.props.get("accountName") == name]
        actions = [a for m in lifecycles for a in lifecycle_facts(m.props)]
        verdicts.append(
            Verdict(
                "azure.storage.lifecycle", tuple(m.name for m in lifecycles), tuple(judges.lifecycle(actions, required))
            )
        )
        verdicts.append(
            Verdict(
                "azure.storage.hardening",
                (account.name,),
                tuple(judges.hardening(account_facts(account.props), shared_key_allowed)),
            )
        )
    for ws in of(WORKSPACE):
        wname = str(ws.props.get("workspaceName"))
        tables = {
            str(t.props.get("tableName")): t.props.get("totalRetentionInDays")
            for t in of(TABLE)
            if t.props.get("workspaceName") == wname
        }
        facts = WorkspaceFacts(wname, ws.props.get("retentionInDays"), tables)
        table_names = tuple(t.name for t in of(TABLE) if t.props.get("workspaceName") == wname)
        verdicts.append(
            Verdict("azure.workspace.retention", (ws.name, *table_names), tuple(judges.workspace_retention(facts)))
        )
    return verdicts

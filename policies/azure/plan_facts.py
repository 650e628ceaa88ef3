"""Azure facts from a Pulumi plan (engine props), and the whole-plan Azure judgement."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from auditkit.policies.azure import judges
from auditkit.policies.azure.facts import (
    AUDIT_LOGS,
    AuditingFacts,
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
SQL_DATABASE_AUDITING = "azure-native:sql:ExtendedDatabaseBlobAuditingPolicy"
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


_CONDITIONS = ("daysAfterModificationGreaterThan", "daysAfterCreationGreaterThan", "daysAfterLastAccessTimeGreaterThan")


def _condition(action: Mapping[str, Any]) -> tuple[str, Any]:
    """Which of Azure's three base-blob conditions an action uses, and its days (None: none we know)."""
    for key in _CONDITIONS:
        if action.get(key) is not None:
            return key, action[key]
    return _CONDITIONS[0], None


def lifecycle_facts(props: Mapping[str, Any]) -> list[LifecycleActionFacts]:
    """Base-blob actions of the enabled rules (a management policy's REST or engine props: both camelCase)."""
    out = []
    for rule in (props.get("policy") or {}).get("rules") or ():
        if rule.get("enabled") is False:
            continue
        definition = rule.get("definition") or {}
        filters = definition.get("filters") or {}
        types = tuple(filters.get("blobTypes") or ())
        prefixes = tuple(filters.get("prefixMatch") or ())
        base = (definition.get("actions") or {}).get("baseBlob") or {}
        name = str(rule.get("name"))
        for key, tier in _TIERS.items():
            if key in base:
                condition, days = _condition(base[key] or {})
                out.append(LifecycleActionFacts(name, types, tier, days, False, prefixes, condition))
        if "delete" in base:
            condition, days = _condition(base["delete"] or {})
            out.append(LifecycleActionFacts(name, types, None, days, True, prefixes, condition))
    return out


def account_immutability(props: Mapping[str, Any], name: str) -> ImmutabilityFacts | None:
    """An account-level (version-level WORM) policy, if the account has one enabled."""
    versioned = props.get("immutableStorageWithVersioning") or {}
    policy = versioned.get("immutabilityPolicy")
    if not versioned.get("enabled") or not policy:
        return None
    return ImmutabilityFacts(
        f"account {name}",
        policy.get("immutabilityPeriodSinceCreationInDays"),
        policy.get("state") or "Unlocked",
        bool(policy.get("allowProtectedAppendWrites")),
    )


def auditing_facts(props: Mapping[str, Any] | None) -> AuditingFacts | None:
    if props is None:
        return None
    return AuditingFacts(props.get("state"), props.get("isAzureMonitorTargetEnabled"))


def account_facts(props: Mapping[str, Any]) -> StorageAccountFacts:
    return StorageAccountFacts(
        name=str(props.get("accountName")),
        https_only=props.get("enableHttpsTrafficOnly"),
        minimum_tls=props.get("minimumTlsVersion"),
        allow_blob_public_access=props.get("allowBlobPublicAccess"),
        allow_shared_key_access=props.get("allowSharedKeyAccess"),
    )


def _server_key(group: Any, server: Any) -> tuple[str, str]:
    return str(group).lower(), str(server).lower()


def is_master(resource_id: str) -> bool:
    """A server's `master` database carries server-level audit events; it is no ePHI resource of its own."""
    return resource_id.rstrip("/").lower().endswith("/databases/master")


def _sql_gaps(resources: Sequence[PlanResource], in_scope: Sequence[str], settings: list) -> tuple[list[str], tuple]:
    servers = {
        _server_key(r.props.get("resourceGroupName"), r.props.get("serverName")): r
        for r in resources
        if r.type == SQL_AUDITING
    }
    databases = {
        (
            *_server_key(r.props.get("resourceGroupName"), r.props.get("serverName")),
            str(r.props.get("databaseName")).lower(),
        ): r
        for r in resources
        if r.type == SQL_DATABASE_AUDITING
    }
    gaps, used = [], []
    for rid in in_scope:
        if resource_type(rid) != "microsoft.sql/servers/databases":
            continue
        parts = rid.strip("/").split("/")
        key = _server_key(parts[3], parts[-3])
        server, database = servers.get(key), databases.get((*key, parts[-1].lower()))
        used += [r.name for r in (server, database) if r is not None]
        gaps += judges.sql_auditing(
            rid,
            auditing_facts(server.props if server else None),
            auditing_facts(database.props if database else None),
            settings,
        )
    return gaps, tuple(dict.fromkeys(used))


def _account_name(resource_id: str | None) -> str:
    parts = (resource_id or "").rstrip("/").split("/")
    return parts[-1] if len(parts) > 1 and parts[-2].lower() == "storageaccounts" else ""


def _diagnostics(resources: Sequence[PlanResource], resource_ids: Sequence[str], settings: list) -> list[Verdict]:
    # Every resource the stack names, and every resource the plan already sends logs from.
    from_settings = [s.resource_uri[: len(s.resource_uri.lower().split("/blobservices/")[0])] for _, s in settings]
    audited = [rid for rid in from_settings if resource_type(rid) in AUDIT_LOGS and not is_master(rid)]
    candidates = (*resource_ids, *audited)
    in_scope = [next(x for x in candidates if x.lower() == r) for r in dict.fromkeys(r.lower() for r in candidates)]
    if not in_scope:
        return []
    facts = [s for _, s in settings]
    sql_gaps, sql_names = _sql_gaps(resources, in_scope, facts)
    gaps = judges.resource_diagnostics(in_scope, facts) + sql_gaps
    return [Verdict("azure.diagnostics.resources", tuple(n for n, _ in settings) + sql_names, tuple(gaps))]


def _archive(
    resources: Sequence[PlanResource],
    account: PlanResource,
    sub_settings: list,
    settings: list,
    required: RetentionRequirement,
    shared_key_allowed: bool,
) -> list[Verdict]:
    of = lambda t: [r for r in resources if r.type == t and r.props.get("accountName") == name]  # noqa: E731
    name = str(account.props.get("accountName"))
    declared = {str(c.props.get("containerName")) for c in of(CONTAINER)}
    writing = [s for _, s in settings if _account_name(s.storage_account_id) == name]
    activity = any(_account_name(s.storage_account_id) == name for _, s in sub_settings)
    needed, unknown = judges.monitor_containers(writing, activity)
    policies = [
        ImmutabilityFacts(
            str(p.props.get("containerName")),
            p.props.get("immutabilityPeriodSinceCreationInDays"),
            p.props.get("state"),
            bool(p.props.get("allowProtectedAppendWrites") or p.props.get("allowProtectedAppendWritesAll")),
        )
        for p in of(IMMUTABILITY)
    ]
    # A plan cannot see a lock made after deployment: an account policy's recorded state is judged as recorded.
    account_policy = account_immutability(account.props, name)
    gaps = judges.immutability(policies, declared | needed, required, account_policy, unknown)
    lifecycles = of(MANAGEMENT_POLICY)
    actions = [a for m in lifecycles for a in lifecycle_facts(m.props)]
    return [
        Verdict("azure.storage.immutability", tuple(p.name for p in of(IMMUTABILITY)) or (account.name,), tuple(gaps)),
        Verdict(
            "azure.storage.lifecycle", tuple(m.name for m in lifecycles), tuple(judges.lifecycle(actions, required))
        ),
        Verdict(
            "azure.storage.hardening",
            (account.name,),
            tuple(judges.hardening(account_facts(account.props), shared_key_allowed)),
        ),
    ]


def _workspaces(resources: Sequence[PlanResource], required: RetentionRequirement) -> list[Verdict]:
    verdicts = []
    for ws in (r for r in resources if r.type == WORKSPACE):
        wname = str(ws.props.get("workspaceName"))
        tables = [t for t in resources if t.type == TABLE and t.props.get("workspaceName") == wname]
        totals = {str(t.props.get("tableName")): t.props.get("totalRetentionInDays") for t in tables}
        facts = WorkspaceFacts(wname, ws.props.get("retentionInDays"), totals)
        names = (ws.name, *(t.name for t in tables))
        verdicts.append(Verdict("azure.workspace.retention", names, tuple(judges.workspace_retention(facts, required))))
    return verdicts


def judge_azure_plan(
    resources: Sequence[PlanResource],
    required: RetentionRequirement,
    resource_ids: Sequence[str] = (),
    shared_key_allowed: bool = False,
    require_activity_log: bool = True,
) -> list[Verdict]:
    sub_settings = [(r.name, setting_facts(r)) for r in resources if r.type == SUBSCRIPTION_SETTING]
    settings = [(r.name, setting_facts(r)) for r in resources if r.type == DIAGNOSTIC_SETTING]
    verdicts = []
    if sub_settings or require_activity_log:
        gaps = judges.activity_log_export([s for _, s in sub_settings])
        verdicts.append(Verdict("azure.activity_log.export", tuple(n for n, _ in sub_settings), tuple(gaps)))
    verdicts += _diagnostics(resources, resource_ids, settings)
    archives = {_account_name(s.storage_account_id) for _, s in (*sub_settings, *settings)} - {""}
    for account in (r for r in resources if r.type == ACCOUNT):
        if str(account.props.get("accountName")) in archives:
            verdicts += _archive(resources, account, sub_settings, settings, required, shared_key_allowed)
    return verdicts + _workspaces(resources, required)

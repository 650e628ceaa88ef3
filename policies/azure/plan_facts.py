"""Azure facts from a Pulumi plan (engine props), and the whole-plan Azure judgement."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from auditkit.policies.azure import judges, rules
from auditkit.policies.azure.facts import (
    AUDIT_LOGS,
    AuditedResources,
    AuditingFacts,
    ContainerProtection,
    DiagnosticSettingFacts,
    ImmutabilityFacts,
    LifecycleActionFacts,
    LogArchive,
    LogSetting,
    StorageAccountFacts,
    WorkspaceFacts,
    resource_type,
)
from auditkit.policies.azure.plan_alerts import ALERT_TYPES, alert_verdicts
from auditkit.policies.azure.plan_grants import plan_grants
from auditkit.policies.computed import Computed, NotYetKnown, flag, judged, known, lazily, optional, text
from auditkit.policies.retention import RetentionRequirement
from auditkit.policies.rule import Rule, of_kind
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
_TIERS = {"tierToCool": "Cool", "tierToCold": "Cold", "tierToArchive": "Archive"}


def _logs(props: Mapping[str, Any]) -> tuple[LogSetting, ...]:
    return tuple(
        LogSetting(x.get("category"), x.get("categoryGroup"), flag(x.get("enabled"), False))
        for x in known(props.get("logs")) or ()
    )


def setting_facts(r: PlanResource) -> DiagnosticSettingFacts:
    """A setting's facts; a value computed at apply stays a marker for the judges that read it."""
    p = r.props
    return DiagnosticSettingFacts(
        name=text(p.get("name"), r.name),
        resource_uri=text(p.get("resourceUri")),
        logs=lazily(_logs, p),
        storage_account_id=optional(p.get("storageAccountId")),
        workspace_id=optional(p.get("workspaceId")),
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
        if known(rule.get("enabled")) is False:
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


def _sql_pairs(resources: Sequence[PlanResource], in_scope: Sequence[str]) -> list[tuple[str, Any, Any]]:
    """Each in-scope SQL database with the server and database auditing policies the plan sets for it."""
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
    pairs = []
    for rid in in_scope:
        if resource_type(rid) != "microsoft.sql/servers/databases":
            continue
        parts = rid.strip("/").split("/")
        key = _server_key(parts[3], parts[-3])
        pairs.append((rid, servers.get(key), databases.get((*key, parts[-1].lower()))))
    return pairs


def _sql_auditing(pairs: list[tuple[str, Any, Any]]) -> dict[str, tuple[AuditingFacts | None, AuditingFacts | None]]:
    """Each in-scope SQL database's server and database auditing, as the plan sets them."""
    return {
        rid: (
            auditing_facts(server.props if server else None),
            auditing_facts(database.props if database else None),
        )
        for rid, server, database in pairs
    }


def _account_name(resource_id: str | None) -> str:
    parts = (resource_id or "").rstrip("/").split("/")
    return parts[-1] if len(parts) > 1 and parts[-2].lower() == "storageaccounts" else ""


def _named(value: Any, wanted: Any) -> bool:
    """Whether a plan resource names `wanted`; used to say which resources a verdict is about, never to judge."""
    return isinstance(value, str) and isinstance(wanted, str) and value == wanted


def _in_scope(resource_ids: Sequence[str], settings: list[tuple[str, DiagnosticSettingFacts]]) -> list[str]:
    """Every resource the stack names, and every audited resource the plan already sends logs from."""
    from_settings = [s.resource_uri[: len(s.resource_uri.lower().split("/blobservices/")[0])] for _, s in settings]
    audited = [rid for rid in from_settings if resource_type(rid) in AUDIT_LOGS and not is_master(rid)]
    candidates = (*resource_ids, *audited)
    return [next(x for x in candidates if x.lower() == r) for r in dict.fromkeys(r.lower() for r in candidates)]


def _diagnostics(
    resources: Sequence[PlanResource], resource_ids: Sequence[str], settings: list[tuple[str, DiagnosticSettingFacts]]
) -> list[Verdict]:
    """The resource kind: one verdict over every ePHI resource the plan names or already sends logs from."""
    names = tuple(n for n, _ in settings)
    try:
        in_scope = _in_scope(resource_ids, settings)
    except NotYetKnown as exc:
        # A setting on a resource created in this plan: which resources are covered is known at apply.
        return [Verdict(rule.control, names, (), (exc.field,)) for rule in of_kind(rules.RULES, "resource")]
    if not in_scope:
        return []
    try:
        sql_names = tuple(r.name for _, *pair in _sql_pairs(resources, in_scope) for r in pair if r is not None)
    except NotYetKnown:
        sql_names = tuple(r.name for r in resources if r.type in (SQL_AUDITING, SQL_DATABASE_AUDITING))
    audited = AuditedResources(
        tuple(in_scope),
        tuple(s for _, s in settings),
        sql=lazily(lambda: _sql_auditing(_sql_pairs(resources, in_scope))),
    )
    return [
        judged(
            rule.control,
            names + tuple(dict.fromkeys(sql_names)),
            *(partial(part, audited) for part in rule.parts().values()),
        )
        for rule in of_kind(rules.RULES, "resource")
    ]


@dataclass(frozen=True)
class _Destinations:
    """Where the plan's settings send logs: accounts named literally, and fields known only at apply."""

    sub_settings: list[tuple[str, DiagnosticSettingFacts]]
    settings: list[tuple[str, DiagnosticSettingFacts]]

    def _targets(self) -> list[Any]:
        """Each setting's storage account id: text, or a marker computed at apply."""
        return [s.storage_account_id for _, s in (*self.sub_settings, *self.settings)]

    def named(self) -> set[str]:
        return {_account_name(t) for t in self._targets() if not isinstance(t, Computed)} - {""}

    def pending(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(t.field for t in self._targets() if isinstance(t, Computed)))


def _archives(
    resources: Sequence[PlanResource], to: _Destinations, required: RetentionRequirement, shared_key_allowed: bool
) -> list[Verdict]:
    """Each storage account the settings write to is an archive; one they may write to waits for apply."""
    named, pending = to.named(), to.pending()
    out = []
    for account in (r for r in resources if r.type == ACCOUNT):
        name = account.props.get("accountName")
        if isinstance(name, str) and name in named:
            out += _archive(resources, account, to, required, shared_key_allowed)
        elif pending or isinstance(name, Computed):
            fields = pending or (name.field,)  # type: ignore[union-attr]  # a Computed when nothing is pending
            out += [Verdict(r.control, (account.name,), (), fields) for r in of_kind(rules.RULES, "storage account")]
    return out


def _protection(resources: Sequence[PlanResource], name: str, to: _Destinations) -> ContainerProtection:
    of = [r for r in resources if r.props.get("accountName") == name]
    declared = {str(c.props.get("containerName")) for c in of if c.type == CONTAINER}
    writing = [s for _, s in to.settings if _account_name(s.storage_account_id) == name]
    activity = any(_account_name(s.storage_account_id) == name for _, s in to.sub_settings)
    needed, unknown = judges.monitor_containers(writing, activity)
    policies = [
        ImmutabilityFacts(
            str(p.props.get("containerName")),
            p.props.get("immutabilityPeriodSinceCreationInDays"),
            p.props.get("state"),
            bool(p.props.get("allowProtectedAppendWrites") or p.props.get("allowProtectedAppendWritesAll")),
        )
        for p in of
        if p.type == IMMUTABILITY
    ]
    # A plan cannot see a lock made after deployment: an account policy's recorded state is judged as recorded.
    account = next(r for r in resources if r.type == ACCOUNT and _named(r.props.get("accountName"), name))
    return ContainerProtection(
        tuple(policies), frozenset(declared | needed), account_immutability(account.props, name), tuple(unknown)
    )


# Which plan resource sets what each storage-account read returns live.
_SETS = {
    "BlobContainers.Get": IMMUTABILITY,
    "ManagementPolicies.Get": MANAGEMENT_POLICY,
    "StorageAccounts.GetProperties": ACCOUNT,
}


def _named_by(rule: Rule, of: list[PlanResource]) -> tuple[str, ...]:
    """A verdict's resources: those that set the first of the rule's reads the plan sets."""
    for read in rule.reads:
        named = tuple(r.name for r in of if r.type == _SETS.get(read))
        if named:
            return named
    return ()


def _archive(
    resources: Sequence[PlanResource],
    account: PlanResource,
    to: _Destinations,
    required: RetentionRequirement,
    shared_key_allowed: bool,
) -> list[Verdict]:
    name = str(account.props.get("accountName"))
    of = [account, *(r for r in resources if r.type != ACCOUNT and _named(r.props.get("accountName"), name))]
    lifecycles = [r for r in of if r.type == MANAGEMENT_POLICY]
    archive = LogArchive(
        lazily(account_facts, account.props),
        required,
        lazily(_protection, resources, name, to),
        lazily(lambda: tuple(a for m in lifecycles for a in lifecycle_facts(m.props))),
        shared_key_allowed,
        lazily(plan_grants, resources, account.props),
    )
    return [
        judged(rule.control, _named_by(rule, of), partial(rule.judge, archive))
        for rule in of_kind(rules.RULES, "storage account")
    ]


def _workspace(ws: PlanResource, resources: Sequence[PlanResource]) -> WorkspaceFacts:
    wname = ws.props.get("workspaceName")
    tables = [t for t in resources if t.type == TABLE and t.props.get("workspaceName") == wname]
    totals = {str(t.props.get("tableName")): t.props.get("totalRetentionInDays") for t in tables}
    return WorkspaceFacts(str(ws.props.get("workspaceName")), ws.props.get("retentionInDays"), totals)


def _workspaces(resources: Sequence[PlanResource], required: RetentionRequirement) -> list[Verdict]:
    verdicts = []
    for ws in (r for r in resources if r.type == WORKSPACE):
        wname = ws.props.get("workspaceName")
        tables = [t.name for t in resources if t.type == TABLE and _named(t.props.get("workspaceName"), wname)]
        verdicts += [
            judged(
                rule.control,
                (ws.name, *tables),
                partial(rule.judge, lazily(_workspace, ws, resources), required),
            )
            for rule in of_kind(rules.RULES, "workspace")
        ]
    return verdicts


def judge_azure_plan(
    resources: Sequence[PlanResource],
    required: RetentionRequirement,
    resource_ids: Sequence[str] = (),
    shared_key_allowed: bool = False,
    require_activity_log: bool = True,
    subscription: str | None = None,
) -> list[Verdict]:
    """Every Azure rule over a whole plan. A value computed at apply leaves undetermined only the
    controls that read it (policies/computed.py); every literal input is judged."""
    to = _Destinations(
        [(r.name, setting_facts(r)) for r in resources if r.type == SUBSCRIPTION_SETTING],
        [(r.name, setting_facts(r)) for r in resources if r.type == DIAGNOSTIC_SETTING],
    )
    verdicts = []
    if to.sub_settings or require_activity_log:
        verdicts += [
            judged(
                rule.control,
                tuple(n for n, _ in to.sub_settings),
                partial(rule.judge, [s for _, s in to.sub_settings]),
            )
            for rule in of_kind(rules.RULES, "subscription")
        ]
    verdicts += _diagnostics(resources, resource_ids, to.settings)
    verdicts += _archives(resources, to, required, shared_key_allowed)
    if require_activity_log or any(r.type in ALERT_TYPES for r in resources):
        verdicts += alert_verdicts(resources, subscription)
    return verdicts + _workspaces(resources, required)

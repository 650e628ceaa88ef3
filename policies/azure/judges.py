"""The Azure judges: pure functions from facts to gaps. An empty list means compliant.

Only the immutable archive (a storage account) keeps audit logs for the legal retention: a Log
Analytics workspace alone is neither immutable nor able to keep more than 12 years, so a log
counts as exported only when a setting sends it to a storage account.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from auditkit.policies.azure.facts import (
    ACTIVITY_LOG_CATEGORIES,
    AUDIT_LOGS,
    AuditedResources,
    AuditingFacts,
    CategoryFacts,
    DiagnosticSettingFacts,
    ImmutabilityFacts,
    LifecycleActionFacts,
    LogArchive,
    WorkspaceFacts,
    resource_type,
)
from auditkit.policies.retention import RetentionRequirement
from auditkit.policies.rule import Parts

WORKSPACE_RETENTION = (30, 730)
TOTAL_RETENTION_MAX = 4383
TIERS = ("Cool", "Cold", "Archive")
SQL_AUDIT_CATEGORY = "sqlsecurityauditevents"
# Azure Monitor writes every log as an append blob in an `insights-*` container.
LOG_CONTAINER_PREFIX = "insights-"
LOG_BLOB_TYPE = "appendblob"


def _archived(s: DiagnosticSettingFacts) -> bool:
    return bool(s.storage_account_id)


def activity_log_export(settings: Iterable[DiagnosticSettingFacts]) -> list[str]:
    """The union of the categories sent to each archive: categories may be split over several settings."""
    settings = list(settings)
    archived = [s for s in settings if _archived(s)]
    if not archived:
        if any(s.workspace_id for s in settings):
            return [
                "the Activity Log goes only to a Log Analytics workspace (not immutable): no setting sends it to the archive"
            ]
        return ["no subscription diagnostic setting exports the Activity Log (Azure keeps it 90 days)"]
    wanted = set(ACTIVITY_LOG_CATEGORIES)
    by_archive: dict[str, set[str]] = {}
    for s in archived:
        covered = wanted if "alllogs" in s.enabled_groups() else s.enabled_categories()
        by_archive.setdefault(str(s.storage_account_id).lower(), set()).update(covered & wanted)
    best = max(by_archive.values(), key=len)
    if best >= wanted:
        return []
    missing = [c for c in ACTIVITY_LOG_CATEGORIES if c not in best]
    return [f"Activity Log categories not exported: {', '.join(missing)}"]


def audit_categories(rtype: str, categories: CategoryFacts | None = None) -> set[str]:
    """The categories a type's audit logs are in: what Azure lists in its `audit` group, else our table, else all."""
    known = {c.lower() for c in AUDIT_LOGS.get(rtype, {}).get("categories", ())}
    if categories is None:
        return known
    audit = {c.lower() for c in categories.in_group("audit")}
    listed = {c.lower() for c in categories.logs}
    return audit or (known & listed) or listed


def _covered(setting: DiagnosticSettingFacts, rtype: str, categories: CategoryFacts | None) -> set[str]:
    """The (lower-case) categories a setting enables, its category groups expanded."""
    groups = setting.enabled_groups()
    covered = {c.lower() for c in setting.enabled_categories()}
    if categories is not None:
        for group in groups:
            covered |= {c.lower() for c in categories.in_group(group)}
        return covered
    spec = AUDIT_LOGS.get(rtype)
    if spec and ("alllogs" in groups or (spec["group"] and spec["group"] in groups)):
        covered |= {c.lower() for c in spec["categories"]}
    return covered


def audits(setting: DiagnosticSettingFacts, rtype: str, categories: CategoryFacts | None = None) -> bool:
    required = audit_categories(rtype, categories)
    return bool(required) and required <= _covered(setting, rtype, categories)


def resource_diagnostics(
    resource_ids: Iterable[str],
    settings: Iterable[DiagnosticSettingFacts],
    categories: Mapping[str, CategoryFacts] | None = None,
) -> list[str]:
    """Each resource needs a setting on it (Storage: on its blob service) sending its audit logs to the archive.

    `categories` (resource id, lower-case -> what Azure lists) replaces the built-in table when known.
    SQL databases are judged by sql_auditing instead.
    """
    settings = list(settings)
    known = {k.lower(): v for k, v in (categories or {}).items()}
    gaps = []
    for rid in resource_ids:
        rtype = resource_type(rid)
        if rtype == "microsoft.sql/servers/databases":
            continue
        listed = known.get(rid.lower())
        if rtype not in AUDIT_LOGS and listed is None:
            gaps.append(f"{rid}: resource type {rtype or '?'} has no known audit categories")
            continue
        uri = (rid + AUDIT_LOGS.get(rtype, {}).get("suffix", "")).lower().rstrip("/")
        mine = [s for s in settings if s.resource_uri.lower().rstrip("/") == uri]
        auditing = [s for s in mine if audits(s, rtype, listed)]
        if any(_archived(s) for s in auditing):
            continue
        if auditing:
            why = "its audit logs go only to a Log Analytics workspace, not to the immutable archive"
        elif mine:
            missing = sorted(audit_categories(rtype, listed) - set().union(*(_covered(s, rtype, listed) for s in mine)))
            why = f"its diagnostic settings do not send the audit categories ({', '.join(missing)})"
        else:
            why = "no diagnostic setting"
        gaps.append(f"{rid}: {why}")
    return gaps


def _sends_sql_audit(settings: Iterable[DiagnosticSettingFacts], uri: str) -> bool:
    rtype = "microsoft.sql/servers/databases"
    return any(
        s.resource_uri.lower().rstrip("/") == uri.lower()
        and _archived(s)
        and SQL_AUDIT_CATEGORY in _covered(s, rtype, None)
        for s in settings
    )


def sql_auditing(
    database_id: str,
    server: AuditingFacts | None,
    database: AuditingFacts | None,
    settings: Iterable[DiagnosticSettingFacts],
) -> list[str]:
    """A SQL database is audited to the archive by either path Azure defines (ExtendedServerBlobAuditingPolicy spec):

    server level: the server audits to Azure Monitor and the `master` database's diagnostic setting sends
    SQLSecurityAuditEvents; database level: the database audits to Azure Monitor and its own setting sends them.
    """
    settings = list(settings)
    server_id = database_id.rsplit("/databases/", 1)[0]
    server_ok = bool(server and server.to_azure_monitor)
    master = _sends_sql_audit(settings, f"{server_id}/databases/master")
    database_ok = bool(database and database.to_azure_monitor)
    own = _sends_sql_audit(settings, database_id)
    if (server_ok and master) or (database_ok and own):
        return []
    name = server_id.rsplit("/", 1)[-1]
    server_why = (
        f"server {name} does not audit to Azure Monitor"
        if not server_ok
        else "no diagnostic setting on the master database sends SQLSecurityAuditEvents to the archive"
    )
    database_why = (
        "the database does not audit to Azure Monitor"
        if not database_ok
        else "its diagnostic setting does not send SQLSecurityAuditEvents to the archive"
    )
    return [
        f"{database_id}: SQLSecurityAuditEvents reach no archive: server level: {server_why}; database level: {database_why}"
    ]


def _exported(resources: AuditedResources) -> list[str]:
    return resource_diagnostics(resources.resource_ids, resources.settings, resources.categories)


def _sql_audited(resources: AuditedResources) -> list[str]:
    return [
        gap
        for rid, (server, database) in resources.sql.items()
        for gap in sql_auditing(rid, server, database, resources.settings)
    ]


# azure.diagnostics.resources: every resource's audit logs reach the archive; a SQL database's by either path.
diagnostics = Parts({"DiagnosticSettings.List": _exported, "ExtendedServerBlobAuditingPolicies.Get": _sql_audited})


def diagnostics_summary(resources: AuditedResources) -> str:
    return "SQLSecurityAuditEvents exported to the archive" if resources.sql else "audit logs exported to the archive"


def monitor_containers(
    settings: Iterable[DiagnosticSettingFacts], activity: bool, categories: Mapping[str, CategoryFacts] | None = None
) -> tuple[set[str], list[str]]:
    """The containers Azure Monitor will write for these settings, and what cannot be known in advance."""
    known = {k.lower(): v for k, v in (categories or {}).items()}
    containers = {"insights-activity-logs"} if activity else set()
    unknown = []
    for s in settings:
        rid = s.resource_uri.lower().split("/blobservices/")[0]
        rtype, listed = resource_type(rid), known.get(rid)
        spec = AUDIT_LOGS.get(rtype)
        for log in s.logs:
            if not log.enabled:
                continue
            group = (log.category_group or "").lower()
            if log.category:
                containers.add(f"insights-logs-{log.category.lower()}")
            elif listed is not None and listed.in_group(group):
                containers.update(f"insights-logs-{c.lower()}" for c in listed.in_group(group))
            elif spec and group == (spec["group"] or ""):
                containers.update(f"insights-logs-{c.lower()}" for c in spec["categories"])
            else:
                unknown.append(
                    f"{s.resource_uri}: category group {log.category_group} writes containers that cannot be protected in advance"
                )
    return containers, unknown


def _policy_gaps(p: ImmutabilityFacts, required: RetentionRequirement, what: str) -> list[str]:
    gaps = []
    if p.days is None or p.days < required.days:
        gaps.append(f"{what} retention {p.days} days < required {required.describe()}")
    if p.state is not None and p.state.lower() != "locked":
        gaps.append(
            f"{what} immutability policy is {p.state}: it can still be shortened or deleted (run the lock step)"
        )
    if not p.allow_protected_append_writes:
        gaps.append(f"{what} does not allow protected append writes: Azure Monitor's append blobs would fail")
    return gaps


def immutability(
    policies: Iterable[ImmutabilityFacts],
    containers: Iterable[str],
    required: RetentionRequirement,
    account: ImmutabilityFacts | None = None,
    unknown: Iterable[str] = (),
) -> list[str]:
    """Each log container is protected by its own policy, else by the account-level (version) policy.

    A locked account-level policy of the required days also protects containers Azure Monitor creates
    later, so containers that cannot be known in advance (`unknown`) are then no gap.
    """
    by_container = {p.container: p for p in policies}
    account_gaps = _policy_gaps(account, required, account.container) if account else None
    covers_all = account_gaps == []
    gaps = [] if covers_all else list(unknown)
    containers = sorted(set(containers))
    unknowable = bool(gaps)
    if not containers and account is None:
        gaps.append("no log container to protect: diagnostic settings write to containers with no immutability policy")
    relies_on_account = account is not None and (unknowable or not containers)
    for c in containers:
        p = by_container.get(c)
        if p is not None:
            gaps += _policy_gaps(p, required, f"container {c}")
        elif account is None:
            gaps.append(f"container {c} has no time-based retention policy")
        else:
            relies_on_account = True
    if relies_on_account and account_gaps:
        gaps += account_gaps
    return gaps


def archive_immutability(archive: LogArchive) -> list[str]:
    p = archive.protection
    return immutability(p.policies, p.containers, archive.required, p.account_policy, p.unknown)


def immutability_summary(archive: LogArchive) -> str:
    account = archive.protection.account_policy
    scope = f"account-level policy ({account.days} days, {account.state})" if account else "container policies"
    return f"log containers protected for {archive.required.describe()} by {scope}"


def _may_hold_logs(a: LifecycleActionFacts) -> bool:
    """Whether a rule's filters can match Azure Monitor's log blobs (append blobs in insights-* containers)."""
    types = {t.lower() for t in a.blob_types}
    if types and LOG_BLOB_TYPE not in types:
        return False
    prefixes = [p.lower() for p in a.prefixes]
    return not prefixes or any(
        LOG_CONTAINER_PREFIX.startswith(p) or p.startswith(LOG_CONTAINER_PREFIX) for p in prefixes
    )


def lifecycle(archive: LogArchive) -> list[str]:
    """A delete counts only if it can match the log blobs; append blobs are never tiered, so tiering is not judged."""
    actions, required = archive.lifecycle, archive.required
    return [
        f"rule {a.rule!r} deletes {'/'.join(a.blob_types) or 'all blob types'}"
        f"{' under ' + ', '.join(a.prefixes) if a.prefixes else ''} {a.days} days after "
        f"{a.condition.removeprefix('daysAfter').removesuffix('GreaterThan')} < required {required.describe()}"
        for a in actions
        if a.delete and _may_hold_logs(a) and (a.days is None or a.days < required.days)
    ]


def lifecycle_summary(archive: LogArchive) -> str:
    """The PASS text: what the rules do to log blobs, never a claim that logs are tiered."""
    actions, required = archive.lifecycle, archive.required
    deletes = [a for a in actions if a.delete and _may_hold_logs(a)]
    when = f"deleted after {min(a.days or 0 for a in deletes):g} days" if deletes else "never deleted by a rule"
    return (
        f"log blobs (append blobs, which lifecycle management can delete but never tier) are {when}; "
        f"required {required.describe()}"
    )


def hardening(archive: LogArchive) -> list[str]:
    account, shared_key_allowed = archive.account, archive.shared_key_allowed
    gaps = []
    if account.https_only is False:
        gaps.append("HTTP (non-TLS) requests are allowed")
    if (account.minimum_tls or "TLS1_0") not in ("TLS1_2", "TLS1_3"):
        gaps.append(f"minimum TLS version is {account.minimum_tls or 'TLS1_0 (default)'}; TLS1_2 is required")
    if account.allow_blob_public_access is not False:
        gaps.append("anonymous public blob access is not disabled")
    if not shared_key_allowed and account.allow_shared_key_access is not False:
        gaps.append("shared-key (account key) access is not disabled")
    return gaps


def workspace_target(required: RetentionRequirement) -> tuple[int, str]:
    """The total retention a workspace table can be asked for: the requirement, capped at Azure's 12-year maximum."""
    if required.days <= TOTAL_RETENTION_MAX:
        return required.days, required.describe()
    return TOTAL_RETENTION_MAX, (
        f"{TOTAL_RETENTION_MAX} days (the 12-year maximum; {required.describe()} must come from the immutable archive)"
    )


def workspace_summary(ws: WorkspaceFacts, required: RetentionRequirement) -> str:
    return f"audit tables keep {workspace_target(required)[1]}"


def workspace_retention(ws: WorkspaceFacts, required: RetentionRequirement) -> list[str]:
    """Each audit table's total retention (-1 or absent: the workspace's) must reach the capped requirement."""
    low, high = WORKSPACE_RETENTION
    target, described = workspace_target(required)
    gaps = []
    if ws.retention_days is None or not low <= ws.retention_days <= high:
        gaps.append(f"workspace {ws.name} interactive retention {ws.retention_days} days not set within {low}-{high}")
    if not ws.total_retention:
        gaps.append(f"workspace {ws.name}: no audit table has a total retention set")
    for table, total in ws.total_retention.items():
        effective = total if total is not None and total > 0 else ws.retention_days
        if effective is None:
            gaps.append(f"table {table}: total retention not set")
        elif effective > TOTAL_RETENTION_MAX:
            gaps.append(
                f"table {table}: total retention {effective} days > {TOTAL_RETENTION_MAX} (12 years); keep longer in the archive"
            )
        elif effective < target:
            gaps.append(f"table {table}: total retention {effective} days < required {described}")
    return gaps

"""The Azure judges: pure functions from facts to gaps. An empty list means compliant."""

from __future__ import annotations

from collections.abc import Iterable

from auditkit.policies.azure.facts import (
    ACTIVITY_LOG_CATEGORIES,
    AUDIT_LOGS,
    DiagnosticSettingFacts,
    ImmutabilityFacts,
    LifecycleActionFacts,
    StorageAccountFacts,
    WorkspaceFacts,
    resource_type,
)
from auditkit.policies.retention import RetentionRequirement

WORKSPACE_RETENTION = (30, 730)
TOTAL_RETENTION_MAX = 4383
TIERS = ("Cool", "Cold", "Archive")


def _has_destination(s: DiagnosticSettingFacts) -> bool:
    return bool(s.storage_account_id or s.workspace_id)


def activity_log_export(settings: Iterable[DiagnosticSettingFacts]) -> list[str]:
    settings = [s for s in settings if _has_destination(s)]
    if not settings:
        return ["no subscription diagnostic setting exports the Activity Log (Azure keeps it 90 days)"]
    best: set[str] = set()
    for s in settings:
        covered = set(ACTIVITY_LOG_CATEGORIES) if "alllogs" in s.enabled_groups() else s.enabled_categories()
        if covered >= set(ACTIVITY_LOG_CATEGORIES):
            return []
        best = max(best, covered & set(ACTIVITY_LOG_CATEGORIES), key=len)
    missing = [c for c in ACTIVITY_LOG_CATEGORIES if c not in best]
    return [f"Activity Log categories not exported: {', '.join(missing)}"]


def audits(setting: DiagnosticSettingFacts, rtype: str) -> bool:
    spec = AUDIT_LOGS.get(rtype)
    if spec is None or not setting.logs:
        return False
    groups = setting.enabled_groups()
    if "alllogs" in groups or (spec["group"] and spec["group"] in groups):
        return True
    return set(spec["categories"]) <= setting.enabled_categories()


def resource_diagnostics(resource_ids: Iterable[str], settings: Iterable[DiagnosticSettingFacts]) -> list[str]:
    """Each resource needs a setting on it (Storage: on its blob service) that sends its audit logs somewhere kept."""
    settings = list(settings)
    gaps = []
    for rid in resource_ids:
        rtype = resource_type(rid)
        if rtype not in AUDIT_LOGS:
            gaps.append(f"{rid}: resource type {rtype or '?'} has no known audit categories")
            continue
        uri = (rid + AUDIT_LOGS[rtype].get("suffix", "")).lower().rstrip("/")
        mine = [s for s in settings if s.resource_uri.lower().rstrip("/") == uri]
        if not any(audits(s, rtype) and _has_destination(s) for s in mine):
            why = (
                "no diagnostic setting" if not mine else "its diagnostic settings do not send the audit category group"
            )
            gaps.append(f"{rid}: {why}")
    return gaps


def monitor_containers(settings: Iterable[DiagnosticSettingFacts], activity: bool) -> tuple[set[str], list[str]]:
    """The containers Azure Monitor will write for these settings, and what cannot be known in advance."""
    containers = {"insights-activity-logs"} if activity else set()
    unknown = []
    for s in settings:
        rtype = resource_type(s.resource_uri.lower().split("/blobservices/")[0])
        spec = AUDIT_LOGS.get(rtype)
        for log in s.logs:
            if not log.enabled:
                continue
            if log.category:
                containers.add(f"insights-logs-{log.category.lower()}")
            elif spec and log.category_group and log.category_group.lower() == (spec["group"] or ""):
                containers.update(f"insights-logs-{c.lower()}" for c in spec["categories"])
            else:
                unknown.append(
                    f"{s.resource_uri}: category group {log.category_group} writes containers that cannot be protected in advance"
                )
    return containers, unknown


def sql_auditing(database_ids: Iterable[str], enabled_servers: Iterable[str]) -> list[str]:
    """SQL databases: the diagnostic setting only carries SQLSecurityAuditEvents when the server audits to Azure Monitor."""
    enabled = {s.lower().rstrip("/") for s in enabled_servers}
    gaps = []
    for rid in database_ids:
        if resource_type(rid) != "microsoft.sql/servers/databases":
            continue
        server = rid.rsplit("/databases/", 1)[0]
        if server.lower() not in enabled:
            gaps.append(
                f"{rid}: server {server.rsplit('/', 1)[-1]} does not audit to Azure Monitor (SQLSecurityAuditEvents stays empty)"
            )
    return gaps


def immutability(
    policies: Iterable[ImmutabilityFacts], containers: Iterable[str], required: RetentionRequirement
) -> list[str]:
    by_container = {p.container: p for p in policies}
    gaps = []
    if not containers:
        gaps.append("no log container to protect: diagnostic settings write to containers with no immutability policy")
    for c in sorted(containers):
        p = by_container.get(c)
        if p is None:
            gaps.append(f"container {c} has no time-based retention policy")
            continue
        if p.days is None or p.days < required.days:
            gaps.append(f"container {c} retention {p.days} days < required {required.describe()}")
        if p.state is not None and p.state.lower() != "locked":
            gaps.append(
                f"container {c} immutability policy is {p.state}: it can still be shortened or deleted (run the lock step)"
            )
        if not p.allow_protected_append_writes:
            gaps.append(
                f"container {c} does not allow protected append writes: Azure Monitor's append blobs would fail"
            )
    return gaps


def lifecycle(actions: Iterable[LifecycleActionFacts], required: RetentionRequirement) -> list[str]:
    actions = list(actions)
    gaps = [
        f"rule {a.rule!r} deletes {'/'.join(a.blob_types) or 'blobs'} after {a.days} days < required {required.describe()}"
        for a in actions
        if a.delete and (a.days is None or a.days < required.days)
    ]
    if not any(a.tier_to in TIERS for a in actions):
        gaps.append("no rule tiers blobs to cool, cold or archive")
    return gaps


def hardening(account: StorageAccountFacts, shared_key_allowed: bool = False) -> list[str]:
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


def workspace_retention(ws: WorkspaceFacts) -> list[str]:
    low, high = WORKSPACE_RETENTION
    gaps = []
    if ws.retention_days is None or not low <= ws.retention_days <= high:
        gaps.append(f"workspace {ws.name} interactive retention {ws.retention_days} days not set within {low}-{high}")
    if not ws.total_retention:
        gaps.append(f"workspace {ws.name}: no audit table has a total retention set")
    for table, total in ws.total_retention.items():
        if total is None or total < 0:
            gaps.append(f"table {table}: total retention not set")
        elif total > TOTAL_RETENTION_MAX:
            gaps.append(
                f"table {table}: total retention {total} days > {TOTAL_RETENTION_MAX} (12 years); keep longer in the archive"
            )
    return gaps

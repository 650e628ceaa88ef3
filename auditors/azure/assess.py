"""Judge one subscription's snapshot: pure, offline, fail-closed. Same converters and judges as the plan."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from auditkit.auditors.azure.collect import AccountRecord, AzureSnapshot, WorkspaceRecord, classify
from auditkit.auditors.findings import Finding, Status
from auditkit.policies.azure import judges
from auditkit.policies.azure.facts import (
    CategoryFacts,
    DiagnosticSettingFacts,
    ImmutabilityFacts,
    StorageAccountFacts,
    WorkspaceFacts,
    resource_type,
)
from auditkit.policies.azure.plan_facts import account_immutability, auditing_facts, lifecycle_facts, setting_facts
from auditkit.policies.retention import RetentionRequirement
from auditkit.policies.verdicts import PlanResource


def _settings(props: list[dict]) -> list[DiagnosticSettingFacts]:
    return [setting_facts(PlanResource("azure-native:monitor:DiagnosticSetting", str(p.get("name")), p)) for p in props]


class _Judge:
    def __init__(self, snap: AzureSnapshot, required: RetentionRequirement) -> None:
        self.snap = snap
        self.required = required
        self.findings: list[Finding] = []
        self.all_settings = _settings([x for group in snap.settings.values() for x in group])
        self.categories = {k: CategoryFacts(v) for k, v in snap.categories.items()}

    def add(self, control: str, status: Status, resource: str, message: str) -> None:
        self.findings.append(Finding(control, status, resource, self.snap.subscription, "", message))

    def guarded(self, control: str, resource: str, judge: Callable[[], list[str]], ok: str | Callable[[], str]) -> None:
        try:
            gaps = judge()
            self.add(
                control,
                Status.FAIL if gaps else Status.PASS,
                resource,
                "; ".join(gaps) or (ok if isinstance(ok, str) else ok()),
            )
        except Exception as exc:  # an unexpected shape: ERROR, never a guess
            code, message = classify(exc)
            self.add(control, Status.ERROR, resource, f"{code}: {message}")


def _container_policy(name: str, detail: dict[str, Any]) -> ImmutabilityFacts | None:
    """Get Container's immutabilityPolicy (time-based, or the container's version-level default policy)."""
    p = detail.get("immutabilityPolicy") or {}
    props = p.get("properties", p)
    if props.get("immutabilityPeriodSinceCreationInDays") is None:
        return None
    return ImmutabilityFacts(
        name,
        props.get("immutabilityPeriodSinceCreationInDays"),
        props.get("state") or "Unlocked",
        bool(props.get("allowProtectedAppendWrites") or props.get("allowProtectedAppendWritesAll")),
    )


def _immutability(j: _Judge, rec: AccountRecord) -> list[str]:
    logs = {str(c["name"]) for c in rec.containers or [] if str(c.get("name", "")).startswith("insights-")}
    policies = [p for name, d in rec.details.items() if (p := _container_policy(name, d)) is not None]
    writing = [s for s in j.all_settings if (s.storage_account_id or "").lower() == rec.id.lower()]
    activity = any(str(a.get("storageAccountId", "")).lower() == rec.id.lower() for a in j.snap.activity or [])
    needed, unknown = judges.monitor_containers(writing, activity, j.categories)
    account = account_immutability(rec.account or {}, rec.name)
    return judges.immutability(policies, logs | needed, j.required, account, unknown)


def _archive(j: _Judge, rec: AccountRecord, shared_key_allowed: bool) -> None:
    if "account" in rec.failures:  # nothing about an unreadable account is judged
        for control in ("azure.storage.hardening", "azure.storage.immutability", "azure.storage.lifecycle"):
            j.add(control, Status.ERROR, rec.id, rec.failures["account"].describe())
        return
    a = rec.account or {}
    facts = StorageAccountFacts(
        rec.name,
        a.get("supportsHttpsTrafficOnly"),
        a.get("minimumTlsVersion"),
        a.get("allowBlobPublicAccess"),
        a.get("allowSharedKeyAccess"),
    )
    j.guarded(
        "azure.storage.hardening",
        rec.id,
        lambda: judges.hardening(facts, shared_key_allowed),
        "HTTPS only, TLS 1.2+, private, no shared keys",
    )
    if "containers" in rec.failures:
        j.add("azure.storage.immutability", Status.ERROR, rec.id, rec.failures["containers"].describe())
    else:
        account = account_immutability(a, rec.name)
        scope = f"account-level policy ({account.days} days, {account.state})" if account else "container policies"
        j.guarded(
            "azure.storage.immutability",
            rec.id,
            lambda: _immutability(j, rec),
            f"log containers protected for {j.required.describe()} by {scope}",
        )
    if "lifecycle" in rec.failures:
        j.add("azure.storage.lifecycle", Status.ERROR, rec.id, rec.failures["lifecycle"].describe())
    else:
        actions = lambda: lifecycle_facts(rec.lifecycle or {})  # noqa: E731
        j.guarded(
            "azure.storage.lifecycle",
            rec.id,
            lambda: judges.lifecycle(actions(), j.required),
            lambda: judges.lifecycle_summary(actions(), j.required),
        )


def _workspace(j: _Judge, rec: WorkspaceRecord) -> None:
    if rec.failures:
        j.add("azure.workspace.retention", Status.ERROR, rec.id, "; ".join(f.describe() for f in rec.failures.values()))
        return
    name = rec.id.rstrip("/").rsplit("/", 1)[-1]
    _, target = judges.workspace_target(j.required)
    j.guarded(
        "azure.workspace.retention",
        rec.id,
        lambda: judges.workspace_retention(WorkspaceFacts(name, rec.retention, dict(rec.tables)), j.required),
        f"audit tables keep {target}",
    )


def _sql_failure(snap: AzureSnapshot, rid: str) -> str | None:
    server = rid.rsplit("/databases/", 1)[0]
    for key in (server.lower(), rid.lower()):
        if key in snap.sql_failures:
            return snap.sql_failures[key].describe()
    master = next((k for k in snap.setting_failures if k.lower() == f"{server}/databases/master".lower()), None)
    return snap.setting_failures[master].describe() if master else None


def _resource(j: _Judge, rid: str) -> None:
    snap = j.snap
    if rid in snap.setting_failures:
        j.add("azure.diagnostics.resources", Status.ERROR, rid, snap.setting_failures[rid].describe())
        return
    if resource_type(rid) != "microsoft.sql/servers/databases":
        j.guarded(
            "azure.diagnostics.resources",
            rid,
            lambda: judges.resource_diagnostics([rid], _settings(snap.settings.get(rid, [])), j.categories),
            "audit logs exported to the archive",
        )
        return
    failure = _sql_failure(snap, rid)
    if failure:
        j.add("azure.diagnostics.resources", Status.ERROR, rid, failure)
        return
    server = rid.rsplit("/databases/", 1)[0].lower()
    j.guarded(
        "azure.diagnostics.resources",
        rid,
        lambda: judges.sql_auditing(
            rid,
            auditing_facts(snap.sql_auditing.get(server)),
            auditing_facts(snap.sql_auditing.get(rid.lower())),
            j.all_settings,
        ),
        "SQLSecurityAuditEvents exported to the archive",
    )


def assess(snap: AzureSnapshot, required: RetentionRequirement, shared_key_allowed: bool = False) -> list[Finding]:
    j = _Judge(snap, required)
    sub = f"/subscriptions/{snap.subscription}"
    failures = {f.operation: f for f in snap.failures}
    if snap.activity is None:
        j.add(
            "azure.activity_log.export", Status.ERROR, sub, failures["SubscriptionDiagnosticSettings.List"].describe()
        )
    else:
        j.guarded(
            "azure.activity_log.export",
            sub,
            lambda: judges.activity_log_export(_settings(snap.activity or [])),
            "all eight categories exported to the archive",
        )
    if snap.resources is None:
        j.add("azure.diagnostics.resources", Status.ERROR, sub, failures["Resources.List"].describe())
    for rid in snap.resources or []:
        _resource(j, rid)
    for rec in snap.accounts.values():
        _archive(j, rec, shared_key_allowed)
    for ws in snap.workspaces.values():
        _workspace(j, ws)
    return j.findings

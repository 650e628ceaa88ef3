"""Judge one subscription's snapshot by the Azure rule table: pure, offline, fail-closed. Same converters
and judges as the plan.

A verdict whose reads (the rule's SDK operations) did not all succeed for its subject is ERROR; so is one
the judge could not judge (an unexpected shape). Nothing unread is ever judged as unset.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

from auditkit.auditors.azure.alerts import assess_alerts
from auditkit.auditors.azure.collect import AccountRecord, AzureSnapshot, WorkspaceRecord, classify
from auditkit.auditors.azure.seal_grants import grant_facts
from auditkit.auditors.failures import Failure
from auditkit.auditors.findings import Finding, Status
from auditkit.policies.azure import judges, rules
from auditkit.policies.azure.facts import (
    AuditedResources,
    CategoryFacts,
    ContainerProtection,
    DiagnosticSettingFacts,
    ImmutabilityFacts,
    LogArchive,
    StorageAccountFacts,
    WorkspaceFacts,
    resource_type,
)
from auditkit.policies.azure.plan_facts import account_immutability, auditing_facts, lifecycle_facts, setting_facts
from auditkit.policies.computed import lazily
from auditkit.policies.retention import RetentionRequirement
from auditkit.policies.rule import Rule, failed_reads, of_kind
from auditkit.policies.verdicts import PlanResource

SQL_DATABASE = "microsoft.sql/servers/databases"


def _settings(props: list[dict]) -> list[DiagnosticSettingFacts]:
    return [setting_facts(PlanResource("azure-native:monitor:DiagnosticSetting", str(p.get("name")), p)) for p in props]


def _failures(found: Iterable[Failure | None]) -> list[tuple[str, str]]:
    return [(f.operation, f.describe()) for f in found if f is not None]


class _Judge:
    def __init__(self, snap: AzureSnapshot, required: RetentionRequirement) -> None:
        self.snap = snap
        self.required = required
        self.findings: list[Finding] = []
        self.all_settings = _settings([x for group in snap.settings.values() for x in group])
        self.categories = {k: CategoryFacts(v) for k, v in snap.categories.items()}

    def add(self, rule: Rule, status: Status, resource: str, message: str) -> None:
        self.findings.append(Finding(rule.control, status, resource, self.snap.subscription, "", message))

    def judge(
        self,
        rule: Rule,
        resource: str,
        failures: list[tuple[str, str]],
        gaps: Callable[[], list[str]],
        ok: Callable[[], str],
    ) -> None:
        failed = failed_reads(rule, failures)
        if failed:
            self.add(rule, Status.ERROR, resource, "; ".join(failed))
            return
        try:
            found = gaps()
            self.add(rule, Status.FAIL if found else Status.PASS, resource, "; ".join(found) or ok())
        except Exception as exc:  # an unexpected shape: ERROR, never a guess
            code, message = classify(exc)
            self.add(rule, Status.ERROR, resource, f"{code}: {message}")


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


def _protection(j: _Judge, rec: AccountRecord) -> ContainerProtection:
    logs = {str(c["name"]) for c in rec.containers or [] if str(c.get("name", "")).startswith("insights-")}
    policies = [p for name, d in rec.details.items() if (p := _container_policy(name, d)) is not None]
    writing = [s for s in j.all_settings if (s.storage_account_id or "").lower() == rec.id.lower()]
    activity = any(str(a.get("storageAccountId", "")).lower() == rec.id.lower() for a in j.snap.activity or [])
    needed, unknown = judges.monitor_containers(writing, activity, j.categories)
    account = account_immutability(rec.account or {}, rec.name)
    return ContainerProtection(tuple(policies), frozenset(logs | needed), account, tuple(unknown))


def _archive(j: _Judge, rec: AccountRecord, shared_key_allowed: bool) -> None:
    """A storage account the settings write to; nothing about an unreadable account is judged."""
    a = rec.account or {}
    facts = StorageAccountFacts(
        rec.name,
        a.get("supportsHttpsTrafficOnly"),
        a.get("minimumTlsVersion"),
        a.get("allowBlobPublicAccess"),
        a.get("allowSharedKeyAccess"),
    )
    archive = LogArchive(
        facts,
        j.required,
        lazily(_protection, j, rec),
        lazily(lambda: tuple(lifecycle_facts(rec.lifecycle or {}))),
        shared_key_allowed,
        lazily(grant_facts, rec),
    )
    failures = _failures(rec.failures.values())
    for rule in of_kind(rules.RULES, "storage account"):
        j.judge(rule, rec.id, failures, partial(rule.judge, archive), partial(rule.passed, "", archive))


def _workspace(j: _Judge, rec: WorkspaceRecord) -> None:
    name = rec.id.rstrip("/").rsplit("/", 1)[-1]
    facts = WorkspaceFacts(name, rec.retention, dict(rec.tables))
    failures = _failures(rec.failures.values())
    for rule in of_kind(rules.RULES, "workspace"):
        gaps, ok = partial(rule.judge, facts, j.required), partial(rule.passed, "", facts, j.required)
        j.judge(rule, rec.id, failures, gaps, ok)


def _resource_failures(snap: AzureSnapshot, rid: str) -> list[tuple[str, str]]:
    """The reads about one resource that failed: its settings and categories; a SQL database's auditing
    (the server's and its own) and its server's master database settings."""
    found = [snap.setting_failures.get(rid)]
    if resource_type(rid) == SQL_DATABASE:
        server = rid.rsplit("/databases/", 1)[0]
        found += [snap.sql_failures.get(server.lower()), snap.sql_failures.get(rid.lower())]
        master = next((k for k in snap.setting_failures if k.lower() == f"{server}/databases/master".lower()), None)
        found.append(snap.setting_failures[master] if master else None)
    return _failures(found)


def _resource(j: _Judge, rid: str) -> None:
    snap = j.snap
    sql = {}
    if resource_type(rid) == SQL_DATABASE:
        server = rid.rsplit("/databases/", 1)[0].lower()
        sql[rid] = (auditing_facts(snap.sql_auditing.get(server)), auditing_facts(snap.sql_auditing.get(rid.lower())))
    audited = AuditedResources((rid,), tuple(j.all_settings), j.categories, sql)
    for rule in of_kind(rules.RULES, "resource"):
        gaps, ok = partial(rule.judge, audited), partial(rule.passed, "", audited)
        j.judge(rule, rid, _resource_failures(snap, rid), gaps, ok)


def assess(snap: AzureSnapshot, required: RetentionRequirement, shared_key_allowed: bool = False) -> list[Finding]:
    j = _Judge(snap, required)
    sub = f"/subscriptions/{snap.subscription}"
    listed = _failures(snap.failures)  # the subscription's own reads: its Activity Log settings, its resources
    settings = _settings(snap.activity or [])
    for rule in of_kind(rules.RULES, "subscription"):
        j.judge(rule, sub, listed, partial(rule.judge, settings), partial(rule.passed, "", settings))
    for rule in of_kind(rules.RULES, "resource"):
        failed = failed_reads(rule, listed)
        if failed:  # the resources in scope could not be listed: none can be judged
            j.add(rule, Status.ERROR, sub, "; ".join(failed))
    for rid in snap.resources or []:
        _resource(j, rid)
    for rec in snap.accounts.values():
        _archive(j, rec, shared_key_allowed)
    for ws in snap.workspaces.values():
        _workspace(j, ws)
    return j.findings + assess_alerts(snap, snap.alerts)


def subscription_error(subscription: str, message: str) -> Finding:
    """A subscription that could not be scanned at all: one ERROR, so the exit code says so."""
    control = rules.WHOLE_SUBSCRIPTION.control
    return Finding(control, Status.ERROR, f"/subscriptions/{subscription}", subscription, "", message)

"""Judge one subscription's snapshot: pure, offline, fail-closed. Same converters and judges as the plan."""

from __future__ import annotations

from auditkit.auditors.azure.collect import AccountRecord, AzureSnapshot, WorkspaceRecord, classify
from auditkit.auditors.findings import Finding, Status
from auditkit.policies.azure import judges
from auditkit.policies.azure.facts import ImmutabilityFacts, StorageAccountFacts, WorkspaceFacts
from auditkit.policies.azure.plan_facts import lifecycle_facts, setting_facts
from auditkit.policies.retention import RetentionRequirement
from auditkit.policies.verdicts import PlanResource


def _settings(props: list[dict]) -> list:
    return [setting_facts(PlanResource("azure-native:monitor:DiagnosticSetting", str(p.get("name")), p)) for p in props]


class _Judge:
    def __init__(self, snap: AzureSnapshot) -> None:
        self.snap = snap
        self.findings: list[Finding] = []

    def add(self, control: str, status: Status, resource: str, message: str) -> None:
        self.findings.append(Finding(control, status, resource, self.snap.subscription, "", message))

    def verdict(self, control: str, gaps: list[str], resource: str, ok: str) -> None:
        self.add(control, Status.FAIL if gaps else Status.PASS, resource, "; ".join(gaps) or ok)

    def guarded(self, control: str, resource: str, judge, ok: str) -> None:  # type: ignore[no-untyped-def]
        try:
            self.verdict(control, judge(), resource, ok)
        except Exception as exc:  # an unexpected shape: ERROR, never a guess
            code, message = classify(exc)
            self.add(control, Status.ERROR, resource, f"{code}: {message}")


def _archive(
    j: _Judge, rec: AccountRecord, required: RetentionRequirement, shared_key_allowed: bool, snap: AzureSnapshot
) -> None:
    def failed(control: str, key: str) -> bool:
        if key in rec.failures:
            j.add(control, Status.ERROR, rec.id, rec.failures[key].describe())
            return True
        return False

    if not failed("azure.storage.hardening", "account"):
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
    if not failed("azure.storage.immutability", "containers"):
        logs = [c for c in rec.containers or [] if str(c.get("name", "")).startswith("insights-")]

        def immutability() -> list[str]:
            policies = []
            for c in logs:
                p = c.get("immutabilityPolicy") or {}
                props = p.get("properties", p)
                if props.get("immutabilityPeriodSinceCreationInDays") is not None:
                    policies.append(
                        ImmutabilityFacts(
                            str(c["name"]),
                            props.get("immutabilityPeriodSinceCreationInDays"),
                            props.get("state") or "Unlocked",
                            bool(props.get("allowProtectedAppendWrites") or props.get("allowProtectedAppendWritesAll")),
                        )
                    )
            writing = [
                s
                for s in _settings([x for group in snap.settings.values() for x in group])
                if (s.storage_account_id or "").lower() == rec.id.lower()
            ]
            activity = any(str(a.get("storageAccountId", "")).lower() == rec.id.lower() for a in snap.activity or [])
            needed, unknown = judges.monitor_containers(writing, activity)
            return judges.immutability(policies, {str(c["name"]) for c in logs} | needed, required) + unknown

        j.guarded(
            "azure.storage.immutability",
            rec.id,
            immutability,
            f"{len(logs)} log containers locked for {required.describe()}",
        )
    if not failed("azure.storage.lifecycle", "lifecycle"):
        j.guarded(
            "azure.storage.lifecycle",
            rec.id,
            lambda: judges.lifecycle(lifecycle_facts(rec.lifecycle or {}), required),
            "tiered; nothing deleted early",
        )


def _workspace(j: _Judge, rec: WorkspaceRecord) -> None:
    if rec.failures:
        j.add("azure.workspace.retention", Status.ERROR, rec.id, "; ".join(f.describe() for f in rec.failures.values()))
        return
    name = rec.id.rstrip("/").rsplit("/", 1)[-1]
    j.guarded(
        "azure.workspace.retention",
        rec.id,
        lambda: judges.workspace_retention(WorkspaceFacts(name, rec.retention, dict(rec.tables))),
        "retention set",
    )


def _auditing_servers(snap: AzureSnapshot) -> set[str]:
    return {
        s
        for s, p in snap.sql_auditing.items()
        if str(p.get("state", "")).lower() == "enabled" and p.get("isAzureMonitorTargetEnabled")
    }


def assess(snap: AzureSnapshot, required: RetentionRequirement, shared_key_allowed: bool = False) -> list[Finding]:
    j = _Judge(snap)
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
            "all eight categories exported",
        )
    if snap.resources is None:
        j.add("azure.diagnostics.resources", Status.ERROR, sub, failures["Resources.List"].describe())
    for rid in snap.resources or []:
        if rid in snap.setting_failures:
            j.add("azure.diagnostics.resources", Status.ERROR, rid, snap.setting_failures[rid].describe())
            continue
        server = rid.rsplit("/databases/", 1)[0].lower()
        if server in snap.sql_failures:
            j.add("azure.diagnostics.resources", Status.ERROR, rid, snap.sql_failures[server].describe())
            continue
        j.guarded(
            "azure.diagnostics.resources",
            rid,
            lambda r=rid: (
                judges.resource_diagnostics([r], _settings(snap.settings.get(r, [])))
                + judges.sql_auditing([r], _auditing_servers(snap))
            ),
            "audit logs exported",
        )
    for rec in snap.accounts.values():
        _archive(j, rec, required, shared_key_allowed, snap)
    for ws in snap.workspaces.values():
        _workspace(j, ws)
    return j.findings

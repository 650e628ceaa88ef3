"""GCP facts from a Pulumi plan (engine props), and the whole-plan GCP judgement."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from auditkit.policies.gcp import judges
from auditkit.policies.gcp.facts import (
    AuditConfigFacts,
    BindingFacts,
    GcsBucketFacts,
    LifecycleRuleFacts,
    SinkFacts,
)
from auditkit.policies.retention import RetentionRequirement
from auditkit.policies.verdicts import PlanResource, Verdict

AUDIT_CONFIGS = {
    "gcp:organizations/iamAuditConfig:IamAuditConfig": "orgId",
    "gcp:folder/iamAuditConfig:IamAuditConfig": "folder",
    "gcp:projects/iAMAuditConfig:IAMAuditConfig": "project",
}
SINKS = {
    "gcp:logging/organizationSink:OrganizationSink": "orgId",
    "gcp:logging/folderSink:FolderSink": "folder",
    "gcp:logging/projectSink:ProjectSink": "project",
}
BUCKET = "gcp:storage/bucket:Bucket"
BUCKET_MEMBER = "gcp:storage/bucketIAMMember:BucketIAMMember"
BUCKET_BINDING = "gcp:storage/bucketIAMBinding:BucketIAMBinding"
GCP_CONTROLS = (
    "gcp.audit.data_access",
    "gcp.sink.export",
    "gcp.bucket.retention_lock",
    "gcp.bucket.lifecycle",
    "gcp.bucket.hardening",
)


def audit_config_facts(r: PlanResource) -> AuditConfigFacts:
    p = r.props
    log_types = {str(c.get("logType")): tuple(c.get("exemptedMembers") or ()) for c in p.get("auditLogConfigs") or ()}
    return AuditConfigFacts(
        f"{AUDIT_CONFIGS[r.type]}:{_bare(p.get(AUDIT_CONFIGS[r.type]))}", str(p.get("service")), log_types
    )


def _bare(value: Any) -> str:
    """folders/123 and 123 name the same folder."""
    return str(value).rsplit("/", 1)[-1]


def sink_facts(r: PlanResource) -> SinkFacts:
    p = r.props
    exclusions = tuple(str(e.get("filter")) for e in p.get("exclusions") or () if not e.get("disabled"))
    return SinkFacts(
        name=str(p.get("name") or r.name),
        scope=f"{SINKS[r.type]}:{_bare(p.get(SINKS[r.type]))}",
        destination=str(p.get("destination") or ""),
        filter=str(p.get("filter") or ""),
        disabled=bool(p.get("disabled", False)),
        include_children=bool(p.get("includeChildren", False)),
        exclusions=exclusions,
        writer_identity=p.get("writerIdentity"),
        intercept_children=bool(p.get("interceptChildren", False)),
    )


def _int(v: Any) -> int | None:
    return None if v in (None, "") else int(v)


# pulumi-gcp lifecycle condition names -> the Cloud Storage JSON API's (the names the live judges read)
_CONDITION_NAMES = {
    "matchesPrefixes": "matchesPrefix",
    "matchesSuffixes": "matchesSuffix",
    "matchesStorageClasses": "matchesStorageClass",
}
_WITH_STATE = {"LIVE": True, "ARCHIVED": False}


def lifecycle_rule_facts(rule: Mapping[str, Any]) -> LifecycleRuleFacts:
    action, cond = rule.get("action") or {}, dict(rule.get("condition") or {})
    condition: dict[str, Any] = {}
    for key, value in cond.items():
        if key == "withState":
            if value in _WITH_STATE:
                condition["isLive"] = _WITH_STATE[value]
        elif key == "age" or key.startswith("days") or key == "numNewerVersions":
            if value not in (None, ""):
                condition[key] = int(value)
        elif value not in (None, False, [], "") and key != "sendAgeIfZero":
            condition[_CONDITION_NAMES.get(key, key)] = value
    return LifecycleRuleFacts(str(action.get("type")), action.get("storageClass"), condition)


def _binding(m: PlanResource) -> BindingFacts:
    granted = m.props.get("members") if m.type == BUCKET_BINDING else [m.props.get("member")]
    condition = (m.props.get("condition") or {}).get("expression")
    return BindingFacts(str(m.props.get("role")), tuple(str(x) for x in granted or ()), condition)


def bucket_facts(r: PlanResource, members: Sequence[PlanResource]) -> GcsBucketFacts:
    p = r.props
    retention = p.get("retentionPolicy") or {}
    return GcsBucketFacts(
        name=str(p.get("name") or r.name),
        retention_seconds=_int(retention.get("retentionPeriod")),
        retention_locked=bool(retention.get("isLocked", False)),
        lifecycle=tuple(lifecycle_rule_facts(rule) for rule in p.get("lifecycleRules") or ()),
        uniform_access=bool(p.get("uniformBucketLevelAccess", False)),
        public_access_prevention=p.get("publicAccessPrevention"),
        kms_key=(p.get("encryption") or {}).get("defaultKmsKeyName"),
        versioning=bool((p.get("versioning") or {}).get("enabled", False)),
        bindings=tuple(_binding(m) for m in members if m.props.get("bucket") == p.get("name")),
        storage_class=str(p.get("storageClass") or "STANDARD"),
        autoclass=bool((p.get("autoclass") or {}).get("enabled", False)),
    )


def judge_gcp_plan(
    resources: Sequence[PlanResource],
    required: RetentionRequirement,
    allowed_exemptions: Mapping[str, str] | None = None,
    kms_key: str | None = None,
    require_audit: bool = True,
) -> list[Verdict]:
    """require_audit: False for stacks that do not declare GCP audit logging themselves."""
    configs = [(r.name, audit_config_facts(r)) for r in resources if r.type in AUDIT_CONFIGS]
    sinks = [(r.name, sink_facts(r)) for r in resources if r.type in SINKS]
    members = [r for r in resources if r.type in (BUCKET_MEMBER, BUCKET_BINDING)]
    if not require_audit and not configs and not sinks:
        return []
    buckets = {str(r.props.get("name") or r.name): r for r in resources if r.type == BUCKET}
    scopes = sorted({s.scope for _, s in sinks})
    data_access = judges.data_access([c for _, c in configs], allowed_exemptions, scopes)
    verdicts = [Verdict("gcp.audit.data_access", tuple(n for n, _ in configs), tuple(data_access))]
    archives = sorted(
        {s.destination.split("/", 1)[1] for _, s in sinks if s.destination.startswith("storage.googleapis.com/")}
    )
    if not archives:
        verdicts.append(
            Verdict(
                "gcp.sink.export",
                tuple(n for n, _ in sinks),
                ("no sink exports audit logs to a Cloud Storage archive",),
            )
        )
    for name in archives:
        bucket = buckets.get(name)
        facts = bucket_facts(bucket, members) if bucket else None
        to_it = [(n, s) for n, s in sinks if s.destination == f"storage.googleapis.com/{name}"]
        parent = any(not s.scope.startswith("project:") for _, s in to_it)
        writers = tuple(m.name for m in members if m.props.get("bucket") == name)
        verdicts.append(
            Verdict(
                "gcp.sink.export",
                tuple(n for n, _ in to_it) + writers,
                tuple(judges.sink_export([s for _, s in to_it], facts, parent)),
            )
        )
        if facts is None or bucket is None:
            continue  # the archive is managed by another stack: judged live by the auditor
        verdicts += [
            Verdict("gcp.bucket.retention_lock", (bucket.name,), tuple(judges.retention_lock(facts, required))),
            Verdict("gcp.bucket.lifecycle", (bucket.name,), tuple(judges.lifecycle(facts, required))),
            Verdict("gcp.bucket.hardening", (bucket.name,), tuple(judges.hardening(facts, kms_key))),
        ]
    return verdicts

"""The GCP judges: pure functions from facts to gaps. An empty list means compliant."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from policies.gcp.facts import AuditConfigFacts, GcsBucketFacts, SinkFacts
from policies.retention import RetentionRequirement

REQUIRED_LOG_TYPES = ("ADMIN_READ", "DATA_READ", "DATA_WRITE")
AUDIT_TERM = re.compile(r'^logName\s*:\s*"?cloudaudit\.googleapis\.com"?$')
WRITER_ROLE = "roles/storage.objectCreator"
COLD = {"NEARLINE", "COLDLINE", "ARCHIVE"}


def data_access(configs: Iterable[AuditConfigFacts], allowed_exemptions: Mapping[str, str] | None = None) -> list[str]:
    """allServices must log all three types; exemptions only for members the stack lists with a reason."""
    allowed = allowed_exemptions or {}
    configs = list(configs)
    every = [c for c in configs if c.service == "allServices"]
    if not every:
        return ["no audit config for allServices: Data Access logs are off (GCP's default)"]
    merged: dict[str, set[str]] = {}
    for c in every:
        for log_type, exempted in c.log_types.items():
            merged.setdefault(log_type, set()).update(exempted)
    gaps = [f"{t} is not logged for allServices" for t in REQUIRED_LOG_TYPES if t not in merged]
    for c in configs:  # exemptions anywhere (a per-service config too) silence those members
        for log_type, exempted in c.log_types.items():
            for member in exempted:
                if member not in allowed:
                    gaps.append(f"{member} is exempted from {log_type} on {c.service} without a recorded reason")
    return gaps


def exports_every_audit_log(sink: SinkFacts) -> list[str]:
    """Whether the sink's filter lets every Cloud Audit log through (no AND, NOT or exclusions)."""
    text = " ".join(sink.filter.split())
    if not text:
        terms_ok = True
    elif re.search(r"\bAND\b|\bNOT\b|(^|\s)-", text):
        terms_ok = False
    else:
        terms_ok = any(AUDIT_TERM.match(t.strip().strip("()")) for t in re.split(r"\bOR\b", text))
    gaps = []
    if not terms_ok:
        gaps.append(
            f'sink {sink.name} filter {sink.filter!r} does not export every audit log (logName:"cloudaudit.googleapis.com")'
        )
    if sink.exclusions:
        gaps.append(f"sink {sink.name} has exclusions {list(sink.exclusions)} that may drop audit logs")
    if sink.disabled:
        gaps.append(f"sink {sink.name} is disabled")
    return gaps


def sink_export(sinks: Iterable[SinkFacts], archive: GcsBucketFacts | None, scope_is_parent: bool) -> list[str]:
    """A sink to the archive with the audit filter, children included at org/folder scope, writer create-only."""
    sinks = list(sinks)
    if archive is None:
        return ["no archive bucket to judge the sinks against"]
    destination = f"storage.googleapis.com/{archive.name}"
    to_archive = [s for s in sinks if s.destination == destination]
    if not to_archive:
        return [f"no sink exports audit logs to {destination}"]
    problems: list[list[str]] = []
    for s in to_archive:
        gaps = exports_every_audit_log(s)
        if scope_is_parent and not s.include_children:
            gaps.append(f"sink {s.name} at {s.scope} does not include child projects")
        if s.writer_identity:
            roles = [r for r, members in archive.bindings.items() if s.writer_identity in members]
            if roles != [WRITER_ROLE]:
                gaps.append(
                    f"sink {s.name} writer {s.writer_identity} holds {roles or 'no role'} on the archive; only {WRITER_ROLE}"
                )
        if not gaps:
            return []
        problems.append(gaps)
    return [g for gaps in problems for g in gaps]


def retention_lock(bucket: GcsBucketFacts, required: RetentionRequirement) -> list[str]:
    if bucket.retention_seconds is None:
        return [f"bucket {bucket.name} has no retention policy"]
    gaps = []
    if bucket.retention_seconds < required.seconds:
        gaps.append(f"retention {bucket.retention_seconds} s < required {required.seconds} s ({required.describe()})")
    if not bucket.retention_locked:
        gaps.append(f"retention policy of {bucket.name} is not locked (it can be shortened or removed)")
    return gaps


def lifecycle(bucket: GcsBucketFacts, required: RetentionRequirement) -> list[str]:
    gaps = []
    for r in bucket.lifecycle:
        if r.action != "Delete":
            continue
        if r.age is None or r.age < required.days or r.other_conditions:
            when = f"age {r.age}" if r.age is not None else "no age"
            extra = f" with {', '.join(r.other_conditions)}" if r.other_conditions else ""
            gaps.append(
                f"a Delete rule ({when}{extra}) can delete logs before {required.days} days ({required.describe()})"
            )
    if not any(r.action == "SetStorageClass" and r.storage_class in COLD for r in bucket.lifecycle):
        gaps.append("no SetStorageClass rule to NEARLINE/COLDLINE/ARCHIVE: logs are never tiered")
    return gaps


def hardening(bucket: GcsBucketFacts, kms_key_configured: str | None = None) -> list[str]:
    gaps = []
    if not bucket.uniform_access:
        gaps.append("uniform bucket-level access is off (object ACLs can grant access)")
    if bucket.public_access_prevention != "enforced":
        gaps.append(f"public access prevention is {bucket.public_access_prevention or 'inherited'}, not enforced")
    if kms_key_configured and bucket.kms_key != kms_key_configured:
        gaps.append(f"default KMS key is {bucket.kms_key or 'Google-managed'}, not the configured {kms_key_configured}")
    # GCS forbids versioning on a bucket with a retention policy; the policy itself prevents overwrite.
    if not bucket.versioning and bucket.retention_seconds is None:
        gaps.append("neither versioning nor a retention policy protects objects from overwrite")
    return gaps

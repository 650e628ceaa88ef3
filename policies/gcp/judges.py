"""The GCP judges: pure functions from facts to gaps. An empty list means compliant."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from auditkit.policies.gcp.facts import AuditConfigFacts, GcsBucketFacts, SinkFacts
from auditkit.policies.retention import RetentionRequirement

REQUIRED_LOG_TYPES = ("ADMIN_READ", "DATA_READ", "DATA_WRITE")
AUDIT_TERM = re.compile(r'^logName\s*:\s*"?cloudaudit\.googleapis\.com"?$')
WRITER_ROLE = "roles/storage.objectCreator"
COLD = {"NEARLINE", "COLDLINE", "ARCHIVE"}


def data_access(
    configs: Iterable[AuditConfigFacts],
    allowed_exemptions: Mapping[str, str] | None = None,
    scopes: Iterable[str] = (),
    ancestors: Mapping[str, Iterable[str]] | None = None,
) -> list[str]:
    """allServices must log all three types at each exported scope (or the organization above it);
    exemptions only for members the stack lists with a reason."""
    allowed = {m: r for m, r in (allowed_exemptions or {}).items() if str(r).strip()}
    configs = list(configs)
    wanted = list(scopes) or sorted({c.scope for c in configs}) or ["(no scope)"]
    gaps = []
    for scope in wanted:
        # A plan cannot know the hierarchy: any organization config counts there. A live scan knows it.
        above = set(ancestors.get(scope, ())) if ancestors is not None else None
        every = [
            c
            for c in configs
            if c.service == "allServices"
            and (c.scope == scope or (c.scope in above if above is not None else c.scope.startswith("orgId:")))
        ]
        if not every:
            gaps.append(f"no audit config for allServices at {scope}: Data Access logs are off (GCP's default)")
            continue
        merged = {t for c in every for t in c.log_types}
        gaps += [f"{t} is not logged for allServices at {scope}" for t in REQUIRED_LOG_TYPES if t not in merged]
    for c in configs:  # exemptions anywhere (a per-service config too) silence those members
        for log_type, exempted in c.log_types.items():
            for member in exempted:
                if member not in allowed:
                    gaps.append(f"{member} is exempted from {log_type} on {c.service} without a recorded reason")
    return gaps


_COMPARISON = re.compile(r'^[A-Za-z_][\w.]*\s*(:|=|!=|>=|<=|>|<)\s*("[^"]*"|[^\s()"]+)$')


def _or_terms(text: str) -> list[str] | None:
    """The terms of a filter that is nothing but `a OR b OR c` (one optional outer pair of parentheses).

    Logging ANDs terms separated by whitespace and binds OR tighter than AND, so anything else
    (AND, NOT, '-', a second parenthesised group, a bare extra term) may narrow the export: None.
    """
    text = text.strip()
    if text.startswith("(") and text.endswith(")") and text.count("(") == 1 and text.count(")") == 1:
        text = text[1:-1].strip()
    if "(" in text or ")" in text:
        return None
    terms = [t.strip() for t in re.split(r"\s+OR\s+", text)]
    if not all(_COMPARISON.match(t) for t in terms):
        return None
    return terms


def exports_every_audit_log(sink: SinkFacts) -> list[str]:
    """Whether the sink's filter lets every Cloud Audit log through (no narrowing, no exclusions)."""
    text = " ".join(sink.filter.split())
    terms = _or_terms(text) if text else []
    ok = terms is not None and (not text or any(AUDIT_TERM.match(t) for t in terms))
    gaps = []
    if not ok:
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


def log_buckets(buckets: Mapping[str, tuple[int | None, bool]]) -> list[str]:
    """Cloud Logging buckets that receive audit logs must be locked (their <=3650-day retention is for
    queries; the locked GCS archive carries the legal retention)."""
    return [
        f"log bucket {name} (retention {days} days) is not locked: its retention can be shortened or the bucket deleted"
        for name, (days, locked) in sorted(buckets.items())
        if not locked
    ]


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

"""The GCP judges: pure functions from facts to gaps. An empty list means compliant."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from auditkit.policies.gcp import filters
from auditkit.policies.gcp.facts import AuditConfigFacts, GcsBucketFacts, LogArchive, SinkFacts
from auditkit.policies.gcp.iam import writer_gaps
from auditkit.policies.gcp.lifecycle import early_deletes, lifecycle
from auditkit.policies.gcp.routes import Route

REQUIRED_LOG_TYPES = ("ADMIN_READ", "DATA_READ", "DATA_WRITE")


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


def exports_every_audit_log(sink: SinkFacts) -> list[str]:
    """Whether the sink is enabled and its filter, after its exclusions, keeps every Cloud Audit log."""
    kept = filters.audit_types_kept(sink.filter)
    gaps = []
    if kept is None or set(filters.AUDIT_TYPES) - kept:
        missing = "" if kept is None else f" (misses {sorted(set(filters.AUDIT_TYPES) - kept)})"
        gaps.append(
            f"sink {sink.name} filter {sink.filter!r} does not export every audit log{missing}; "
            'keep logName:"cloudaudit.googleapis.com"'
        )
    risky = [e for e in sink.exclusions if not filters.excludes_no_audit_log(e)]
    if risky:
        gaps.append(f"sink {sink.name} has exclusions {risky} that may drop audit logs")
    if sink.disabled:
        gaps.append(f"sink {sink.name} is disabled")
    return gaps


def route_gaps(route: Route, archive: GcsBucketFacts | None, scope_is_parent: bool, now: datetime) -> list[str]:
    """Every sink on the route keeps every audit log; the last one's writer may create objects and no more.

    `archive` None: a bucket outside the plan, whose grants only a live scan can read; they are not judged here.
    """
    gaps = [g for s in route.sinks for g in exports_every_audit_log(s)]
    first, last = route.sinks[0], route.sinks[-1]
    if scope_is_parent and not first.include_children:
        gaps.append(f"sink {first.name} at {first.scope} does not include child projects")
    if last.writer_identity and archive is not None:
        gaps += writer_gaps(last.name, last.writer_identity, archive.bindings, now)
    return gaps


def reaches(route: Route, *_: object) -> str:
    """What a PASS of a route shows: where every audit log goes."""
    return f"every audit log reaches {route.describe()}"


def retention_lock(archive: LogArchive) -> list[str]:
    bucket, required = archive.bucket, archive.required
    if bucket.retention_seconds is None:
        return [f"bucket {bucket.name} has no retention policy"]
    gaps = []
    if bucket.retention_seconds < required.seconds:
        gaps.append(f"retention {bucket.retention_seconds} s < required {required.seconds} s ({required.describe()})")
    if not bucket.retention_locked:
        gaps.append(f"retention policy of {bucket.name} is not locked (it can be shortened or removed)")
    return gaps


def archive_lifecycle(archive: LogArchive) -> list[str]:
    """No lifecycle rule removes log objects before the retention (policies/gcp/lifecycle.py)."""
    return lifecycle(archive.bucket, archive.required)


def lifecycle_summary(archive: LogArchive) -> str:
    """What a PASS shows: the retention it holds for, and the advisory notes on rules that only look early."""
    _, notes = early_deletes(archive.bucket, archive.required)
    return "; ".join([f"holds for {archive.required.describe()}", *notes])


def hardening(archive: LogArchive) -> list[str]:
    bucket, kms_key_configured = archive.bucket, archive.kms_key
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

"""Judge a GCP snapshot per scanned organization, folder or project: pure, offline, fail-closed."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone

from auditkit.auditors.findings import Finding, Status
from auditkit.auditors.gcp.collect import GcpSnapshot, scope_key
from auditkit.policies.gcp import judges
from auditkit.policies.gcp.facts import SinkFacts
from auditkit.policies.gcp.routes import Route, covering_sinks, follow
from auditkit.policies.retention import RetentionRequirement

BUCKET_CONTROLS = ("gcp.bucket.retention_lock", "gcp.bucket.lifecycle", "gcp.bucket.hardening")


def _add(findings: list[Finding], control: str, status: Status, resource: str, message: str) -> None:
    findings.append(Finding(control, status, resource, resource.split("/")[-1], "", message))


def _verdict(findings: list[Finding], control: str, gaps: list[str], unread: list[str], resource: str, ok: str) -> None:
    """FAIL becomes ERROR when something unread could have closed the gap."""
    if gaps and unread:
        _add(findings, control, Status.ERROR, resource, "; ".join(gaps + unread))
    else:
        _add(findings, control, Status.FAIL if gaps else Status.PASS, resource, "; ".join(gaps) or ok)


def _routes(snap: GcpSnapshot, chain: list[str]) -> tuple[list[Route], str]:
    def sinks_of(project: str) -> tuple[list[SinkFacts] | None, str | None]:
        if project in snap.sinks:
            return snap.sinks[project], None
        return None, "; ".join(snap.unread([f"sinks:{project}"])) or f"the sinks of {project} were not read"

    covering, note = covering_sinks(chain, snap.sinks)
    return [r for s in covering for r in follow(s, sinks_of)], note


def _sink_export(findings: list[Finding], snap: GcpSnapshot, target: str, chain: list[str], now: datetime) -> list[str]:
    """A sink counts if it is enabled, keeps every audit log and its route ends in a Cloud Storage archive
    its writer can write to and not delete from. Returns the archives the target's routes end in."""
    routes, note = _routes(snap, chain)
    # Unread sinks up the hierarchy could intercept the logs of every route: no route proves anything then.
    chain_unread = snap.unread([f"node:{n}" for n in chain] + [f"sinks:{n}" for n in chain])
    passed, gaps, others, unread = [], [], [], list(chain_unread)
    for r in routes:
        if r.unread:
            unread.append(f"route {r.describe()}: {r.unread}")
        elif r.problem:
            gaps.append(f"route {r.describe()}: {r.problem}")
        elif r.archive is None:
            others.append(r.describe())  # a log bucket, BigQuery or Pub/Sub: not an archive, not a gap
        elif r.archive not in snap.buckets:
            unread.append(f"route {r.describe()}: " + "; ".join(snap.unread([f"gs://{r.archive}"])))
        elif route_gaps := judges.route_gaps(r, snap.buckets[r.archive], not target.startswith("projects/"), now):
            gaps += [f"route {r.describe()}: {g}" for g in route_gaps]
        elif iam_unread := snap.unread([f"archive-iam:{r.archive}"]):
            unread.append(f"route {r.describe()}: the writer's grants on the archive's project: {iam_unread[0]}")
        else:
            passed.append(r)
    if passed and not chain_unread:  # an unread route elsewhere cannot undo a proven one
        _add(findings, "gcp.sink.export", Status.PASS, target, f"every audit log reaches {passed[0].describe()}")
    elif unread:  # what could not be read might have been the route that holds
        _add(findings, "gcp.sink.export", Status.ERROR, target, "; ".join(unread + gaps + ([note] if note else [])))
    else:
        if not gaps:
            seen = f" (routes seen: {'; '.join(others)})" if others else ""
            gaps.append(f"no enabled sink routes every audit log to a Cloud Storage archive{seen}")
        _add(findings, "gcp.sink.export", Status.FAIL, target, "; ".join(gaps + ([note] if note else [])))
    return sorted({r.archive for r in routes if r.archive})


def _bucket_findings(findings: list[Finding], snap: GcpSnapshot, bucket: str, required, kms_key) -> None:
    resource = f"gs://{bucket}"
    facts = snap.buckets.get(bucket)
    if facts is None:
        for control in BUCKET_CONTROLS:
            _add(findings, control, Status.ERROR, resource, "; ".join(snap.unread([resource])))
        return
    _, notes = judges.early_deletes(facts, required)
    for control, gaps in (
        ("gcp.bucket.retention_lock", judges.retention_lock(facts, required)),
        ("gcp.bucket.lifecycle", judges.lifecycle(facts, required)),
        ("gcp.bucket.hardening", judges.hardening(facts, kms_key)),
    ):
        ok = "; ".join([f"holds for {required.describe()}"] + (notes if control == "gcp.bucket.lifecycle" else []))
        _add(findings, control, Status.FAIL if gaps else Status.PASS, resource, "; ".join(gaps) or ok)


def assess(
    snap: GcpSnapshot,
    required: RetentionRequirement,
    exemptions: Mapping[str, str] | None = None,
    kms_key: str | None = None,
    now: datetime | None = None,
) -> list[Finding]:
    now = now or datetime.now(timezone.utc)
    findings: list[Finding] = []
    judged_buckets: set[str] = set()
    for target in snap.targets:
        chain = snap.chain(target)
        scope = scope_key(target)
        configs = [c for n in chain for c in snap.configs.get(n, [])]
        _verdict(
            findings,
            "gcp.audit.data_access",
            judges.data_access(configs, exemptions, [scope], {scope: [scope_key(n) for n in chain[1:]]}),
            snap.unread([f"node:{n}" for n in chain] + [f"iam:{n}" for n in chain]),
            target,
            "DATA_READ, DATA_WRITE and ADMIN_READ on for allServices",
        )
        for bucket in _sink_export(findings, snap, target, chain, now):
            if bucket not in judged_buckets:
                judged_buckets.add(bucket)
                _bucket_findings(findings, snap, bucket, required, kms_key)
    return findings

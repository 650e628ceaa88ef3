"""Judge a GCP snapshot per scanned organization, folder or project: pure, offline, fail-closed."""

from __future__ import annotations

from collections.abc import Mapping

from auditkit.auditors.findings import Finding, Status
from auditkit.auditors.gcp.collect import GcpSnapshot, scope_key
from auditkit.policies.gcp import judges
from auditkit.policies.retention import RetentionRequirement


def _add(findings: list[Finding], control: str, status: Status, resource: str, message: str) -> None:
    findings.append(Finding(control, status, resource, resource.split("/")[-1], "", message))


def _verdict(findings: list[Finding], control: str, gaps: list[str], unread: list[str], resource: str, ok: str) -> None:
    """FAIL becomes ERROR when something unread (up the hierarchy) could have closed the gap."""
    if gaps and unread:
        _add(findings, control, Status.ERROR, resource, "; ".join(gaps + unread))
    else:
        _add(findings, control, Status.FAIL if gaps else Status.PASS, resource, "; ".join(gaps) or ok)


def assess(
    snap: GcpSnapshot,
    required: RetentionRequirement,
    exemptions: Mapping[str, str] | None = None,
    kms_key: str | None = None,
) -> list[Finding]:
    findings: list[Finding] = []
    judged_buckets: set[str] = set()
    for target in snap.targets:
        chain = snap.chain(target)
        unread = [f.describe() for n in chain for f in snap.failures.get(n, [])]
        scope = scope_key(target)
        configs = [c for n in chain for c in snap.configs.get(n, [])]
        ancestors = {scope: [scope_key(n) for n in chain[1:]]}
        _verdict(
            findings,
            "gcp.audit.data_access",
            judges.data_access(configs, exemptions, [scope], ancestors),
            unread,
            target,
            "DATA_READ, DATA_WRITE and ADMIN_READ on for allServices",
        )
        covering = list(snap.sinks.get(target, [])) + [
            s for n in chain[1:] for s in snap.sinks.get(n, []) if s.include_children
        ]
        destinations = sorted(
            {s.destination.split("/", 1)[1] for s in covering if s.destination.startswith("storage.googleapis.com/")}
        )
        results, bucket_unread = [], []
        for bucket in destinations:
            facts = snap.buckets.get(bucket)
            if facts is None:
                bucket_unread += [f.describe() for f in snap.failures.get(f"gs://{bucket}", [])]
                continue
            to_it = [s for s in covering if s.destination == f"storage.googleapis.com/{bucket}"]
            results.append(judges.sink_export(to_it, facts, not target.startswith("projects/")))
        gaps = (
            []
            if any(r == [] for r in results)
            else [g for r in results for g in r] or ["no sink exports audit logs to a Cloud Storage archive"]
        )
        hot = sorted(
            {s.destination.split("/", 1)[1] for s in covering if s.destination.startswith("logging.googleapis.com/")}
        )
        gaps += judges.log_buckets({h: snap.log_buckets[h] for h in hot if h in snap.log_buckets})
        bucket_unread += [f.describe() for h in hot if h not in snap.log_buckets for f in snap.failures.get(h, [])]
        _verdict(
            findings,
            "gcp.sink.export",
            gaps,
            unread + bucket_unread,
            target,
            "every audit log exported to a locked archive",
        )
        for bucket in destinations:
            if bucket in judged_buckets:
                continue
            judged_buckets.add(bucket)
            resource = f"gs://{bucket}"
            if bucket not in snap.buckets:
                for control in ("gcp.bucket.retention_lock", "gcp.bucket.lifecycle", "gcp.bucket.hardening"):
                    _add(
                        findings,
                        control,
                        Status.ERROR,
                        resource,
                        "; ".join(f.describe() for f in snap.failures.get(resource, [])),
                    )
                continue
            facts = snap.buckets[bucket]
            for control, gaps in (
                ("gcp.bucket.retention_lock", judges.retention_lock(facts, required)),
                ("gcp.bucket.lifecycle", judges.lifecycle(facts, required)),
                ("gcp.bucket.hardening", judges.hardening(facts, kms_key)),
            ):
                _add(
                    findings,
                    control,
                    Status.FAIL if gaps else Status.PASS,
                    resource,
                    "; ".join(gaps) or f"holds for {required.describe()}",
                )
    return findings

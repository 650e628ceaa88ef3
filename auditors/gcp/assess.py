"""Judge a GCP snapshot by the GCP rule table, per scanned organization, folder or project: pure, offline,
fail-closed.

What a verdict could not read is derived from the rule's reads (the failure families of collect.py):
a scope's or a route's gap is ERROR when something it reads could not be read (it might have closed
the gap); a proven route stands unless the sinks up the scope's own hierarchy were unread; a bucket
whose reads failed is ERROR.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timezone
from functools import partial

from auditkit.auditors.findings import Finding, Status
from auditkit.auditors.gcp.alerts import assess_alerts
from auditkit.auditors.gcp.calls import classify
from auditkit.auditors.gcp.collect import GcpSnapshot, scope_key
from auditkit.policies.gcp import rules
from auditkit.policies.gcp.facts import LogArchive, SinkFacts
from auditkit.policies.gcp.routes import Route, covering_sinks, follow
from auditkit.policies.retention import RetentionRequirement
from auditkit.policies.rule import Rule, failed_reads, of_kind

# Failure families keyed by a resource-manager node, and by an archive bucket (auditors/gcp/collect.py).
NODE_READS = ("node", "iam", "sinks")
Failures = list[tuple[str, str]]


def _failures(
    snap: GcpSnapshot, nodes: Iterable[str] = (), bucket: str | None = None, families: Iterable[str] = NODE_READS
) -> Failures:
    """What could not be read about these nodes (in `families`) or this archive bucket, as (read, description)."""
    nodes = list(nodes)
    keys = [(family, f"{family}:{n}") for family in families for n in nodes]
    if bucket is not None:
        keys += [("gs", f"gs://{bucket}"), ("archive-iam", f"archive-iam:{bucket}")]
    return [(family, f.describe()) for family, key in keys for f in snap.failures.get(key, [])]


def _add(findings: list[Finding], rule: Rule, status: Status, resource: str, message: str) -> None:
    findings.append(Finding(rule.control, status, resource, resource.split("/")[-1], "", message))


def _covered(findings: list[Finding], rule: Rule, resource: str, gaps: list[str], unread: list[str], ok: str) -> None:
    """FAIL becomes ERROR when something unread could have closed the gap."""
    if gaps and unread:
        _add(findings, rule, Status.ERROR, resource, "; ".join(gaps + unread))
    else:
        _add(findings, rule, Status.FAIL if gaps else Status.PASS, resource, "; ".join(gaps) or ok)


def _judged(findings: list[Finding], rule: Rule, resource: str, gaps: Callable[[], list[str]], ok: str) -> None:
    try:
        found = gaps()
    except Exception as exc:  # an unexpected shape: ERROR, never a guess
        code, message = classify(exc)
        _add(findings, rule, Status.ERROR, resource, f"{code}: {message}")
        return
    _add(findings, rule, Status.FAIL if found else Status.PASS, resource, "; ".join(found) or ok)


def _routes(snap: GcpSnapshot, rule: Rule, chain: list[str]) -> tuple[list[Route], str]:
    def sinks_of(project: str) -> tuple[list[SinkFacts] | None, str | None]:
        if project in snap.sinks:
            return snap.sinks[project], None
        unread = failed_reads(rule, _failures(snap, [project], families=("sinks",)))
        return None, "; ".join(unread) or f"the sinks of {project} were not read"

    covering, note = covering_sinks(chain, snap.sinks)
    return [r for s in covering for r in follow(s, sinks_of)], note


def _any_route(findings: list[Finding], snap: GcpSnapshot, rule: Rule, target: str, chain: list[str], now: datetime):
    """A route counts if every sink on it keeps every audit log and it ends in a Cloud Storage archive its
    writer can write to and not delete from. Returns the archives the target's routes end in."""
    routes, note = _routes(snap, rule, chain)
    # Unread sinks up the hierarchy could intercept the logs of every route: no route proves anything then.
    chain_unread = failed_reads(rule, _failures(snap, chain))
    passed, gaps, others, unread = [], [], [], list(chain_unread)
    for r in routes:
        archive_unread = failed_reads(rule, _failures(snap, bucket=r.archive)) if r.archive else []
        if r.unread:
            unread.append(f"route {r.describe()}: {r.unread}")
        elif r.problem:
            gaps.append(f"route {r.describe()}: {r.problem}")
        elif r.archive is None:
            others.append(r.describe())  # a log bucket, BigQuery or Pub/Sub: not an archive, not a gap
        elif r.archive not in snap.buckets:
            unread.append(f"route {r.describe()}: " + "; ".join(archive_unread))
        elif route_gaps := rule.judge(r, snap.buckets[r.archive], not target.startswith("projects/"), now):
            gaps += [f"route {r.describe()}: {g}" for g in route_gaps]
        elif archive_unread:
            unread.append(f"route {r.describe()}: the writer's grants on the archive's project: {archive_unread[0]}")
        else:
            passed.append(r)
    if passed and not chain_unread:  # an unread route elsewhere cannot undo a proven one
        _add(findings, rule, Status.PASS, target, rule.passed(f"{target} passes", passed[0]))
    elif unread:  # what could not be read might have been the route that holds
        _add(findings, rule, Status.ERROR, target, "; ".join(unread + gaps + ([note] if note else [])))
    else:
        if not gaps:
            seen = f" (routes seen: {'; '.join(others)})" if others else ""
            gaps.append(f"no enabled sink routes every audit log to a Cloud Storage archive{seen}")
        _add(findings, rule, Status.FAIL, target, "; ".join(gaps + ([note] if note else [])))
    return sorted({r.archive for r in routes if r.archive})


def _bucket(findings: list[Finding], snap: GcpSnapshot, bucket: str, required, kms_key) -> None:
    resource = f"gs://{bucket}"
    failures = _failures(snap, bucket=bucket)
    for rule in of_kind(rules.RULES, "bucket"):
        failed = failed_reads(rule, failures)
        if failed or bucket not in snap.buckets:
            _add(findings, rule, Status.ERROR, resource, "; ".join(failed) or f"{resource} was not read")
            continue
        archive = LogArchive(snap.buckets[bucket], required, kms_key)
        ok = rule.passed(f"holds for {required.describe()}", archive)
        _judged(findings, rule, resource, partial(rule.judge, archive), ok)


def assess(
    snap: GcpSnapshot,
    required: RetentionRequirement,
    exemptions: Mapping[str, str] | None = None,
    kms_key: str | None = None,
    now: datetime | None = None,
    alert_parameters: Mapping[str, str | tuple[str, ...]] | None = None,
) -> list[Finding]:
    """alert_parameters: the stack's archive project and bucket and PHI buckets (auditors/gcp/alerts.py)."""
    now = now or datetime.now(timezone.utc)
    findings: list[Finding] = []
    judged_buckets: set[str] = set()
    for target in snap.targets:
        chain = snap.chain(target)
        scope = scope_key(target)
        configs = [c for n in chain for c in snap.configs.get(n, [])]
        for rule in of_kind(rules.RULES, "scope"):
            args = (configs, exemptions, [scope], {scope: [scope_key(n) for n in chain[1:]]})
            gaps = rule.judge(*args)
            unread = failed_reads(rule, _failures(snap, chain))
            _covered(findings, rule, target, gaps, unread, rule.passed(f"{target} passes", *args))
        for rule in of_kind(rules.RULES, "any route"):
            for bucket in _any_route(findings, snap, rule, target, chain, now):
                if bucket not in judged_buckets:
                    judged_buckets.add(bucket)
                    _bucket(findings, snap, bucket, required, kms_key)
        if snap.alerts is not None:
            findings += assess_alerts(snap, snap.alerts, target, alert_parameters or {})
    return findings


def target_error(target: str, message: str) -> Finding:
    """A scan target that could not be scanned at all: one ERROR, so the exit code says so."""
    return Finding(rules.WHOLE_TARGET.control, Status.ERROR, target, target.split("/")[-1], "", message)

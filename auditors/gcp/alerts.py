"""The live GCP alerts: where each target's audit logs are counted, what alerting those projects have, and
one finding per alert of the rule table.

Where a target's audit logs are counted (`Source`): its own project (a project target), and every log bucket
a route from the sinks covering it ends in (`logging.googleapis.com/projects/P/locations/L/buckets/B`).
Calls grow with those projects, never with alerts: per project, projects.metrics.list, alertPolicies.list
and notificationChannels.list (each paged); and GetProject once per archive project number, for the
archive's project id the archive-IAM alert watches. Failures are kept as data under "metrics:",
"alert-policies:", "channels:" and "archive-project:" (the rule table's reads); the judges are pure
(policies/gcp/alert_judges.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field, replace
from functools import partial
from typing import TYPE_CHECKING, Any

from auditkit.auditors.failures import Failure
from auditkit.auditors.findings import Finding, Status
from auditkit.auditors.gcp.calls import classify
from auditkit.policies.gcp import rules
from auditkit.policies.gcp.alert_judges import (
    AlertPolicy,
    AlertWiring,
    Channel,
    LogMetric,
    Source,
    Unjudged,
    metric_types,
    route_admits,
)
from auditkit.policies.gcp.plan_alerts import log_bucket
from auditkit.policies.gcp.routes import covering_sinks, follow
from auditkit.policies.rule import failed_reads, of_kind

if TYPE_CHECKING:
    from auditkit.auditors.gcp.collect import GcpClients, GcpSnapshot

# The families a target's alert verdicts rest on, by what they are keyed with.
NODE_FAMILIES = ("node", "sinks")
PROJECT_FAMILIES = ("metrics", "alert-policies", "channels")


@dataclass
class AlertRecord:
    """What the collector read, as the REST APIs answered (camelCase JSON), per project read."""

    metrics: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    policies: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    channels: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # archive bucket -> its project's id (GetProject of projects/NUMBER)
    archive_projects: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class TargetRoutes:
    sources: tuple[Source, ...]  # where the target's audit logs are counted
    unread: tuple[str, ...]  # projects on its routes whose sinks could not be read
    archives: tuple[str, ...]  # the Cloud Storage archives its routes end in


def target_routes(snap: GcpSnapshot, target: str) -> TargetRoutes:
    """Where the target's audit logs are counted (its project, and the log buckets its routes end in), what
    could not be followed, and the archives the routes reach."""
    found = [Source(target)] if target.startswith("projects/") else []
    unread: list[str] = []
    archives: list[str] = []

    def sinks_of(project: str) -> tuple[Any, str | None]:
        return (snap.sinks[project], None) if project in snap.sinks else (None, f"the sinks of {project}")

    covering, _ = covering_sinks(snap.chain(target), snap.sinks)
    for sink in covering:
        for route in follow(sink, sinks_of):
            if route.unread:
                unread.append(route.end.removeprefix("logging.googleapis.com/"))
            elif not route.problem and not any(s.disabled for s in route.sinks):
                if (bucket := log_bucket(route.end)) is not None:
                    found.append(Source(*bucket, route_admits(route.sinks)))
                archives += [route.archive] if route.archive else []
    return TargetRoutes(tuple(dict.fromkeys(found)), tuple(dict.fromkeys(unread)), tuple(sorted(set(archives))))


def _read_project(clients: GcpClients, project: str) -> tuple[tuple[Any, Failure | None], ...]:
    """(metrics, alert policies, channels) of one project, each an answer or its failure."""
    return (
        clients.read(partial(clients.logging.list_metrics, project), "ListLogMetrics", project),
        clients.read(partial(clients.monitoring.list_alert_policies, project), "ListAlertPolicies", project),
        clients.read(
            partial(clients.monitoring.list_notification_channels, project), "ListNotificationChannels", project
        ),
    )


def collect_alerts(clients: GcpClients, snap: GcpSnapshot, pool: Executor) -> AlertRecord:
    record = AlertRecord()
    projects = sorted({s.project for t in snap.targets for s in target_routes(snap, t).sources})
    answers = pool.map(lambda p: _read_project(clients, p), projects)
    for project, ((metrics, no_metrics), (policies, no_policies), (channels, no_channels)) in zip(
        projects, answers, strict=True
    ):
        if no_metrics:
            snap.fail(f"metrics:{project}", no_metrics)
        else:
            record.metrics[project] = list(metrics or [])
        if no_policies:
            snap.fail(f"alert-policies:{project}", no_policies)
        else:
            record.policies[project] = list(policies or [])
        if no_channels:
            snap.fail(f"channels:{project}", no_channels)
        else:
            record.channels[project] = list(channels or [])
    numbered = {b: f"projects/{f.project_number}" for b, f in snap.buckets.items() if f.project_number}

    def project_id(bucket: str) -> tuple[str, Any, Failure | None]:
        get = partial(clients.projects.get_project, name=numbered[bucket], timeout=clients.timeout, retry=None)
        return bucket, *clients.read(get, "GetProject", numbered[bucket])

    for bucket, project, failure in pool.map(project_id, sorted(numbered)):
        if failure is not None or project is None:
            failure = failure or Failure("GetProject", "", numbered[bucket], "UnexpectedResponse", "empty")
            snap.fail(f"archive-project:{bucket}", failure)
        else:
            record.archive_projects[bucket] = str(project.project_id)
    return record


def _enabled(value: Any) -> bool | None:
    """A BoolValue as REST JSON: true, false, or absent (the answer did not say)."""
    return value if isinstance(value, bool) else None


def _channel_key(name: str) -> str:
    """A channel by its id: `projects/[PROJECT_ID_OR_NUMBER]/...` names one channel either way."""
    return name.rsplit("/notificationChannels/", 1)[-1]


def wiring(
    snap: GcpSnapshot, record: AlertRecord, target: str, parameters: Mapping[str, str | tuple[str, ...]]
) -> AlertWiring:
    """The target's alerting as the judges see it. Raises KeyError/TypeError on an answer nobody documented."""
    sources = target_routes(snap, target).sources
    projects = sorted({s.project for s in sources})
    metrics = tuple(
        LogMetric(
            str(m["name"]), p, str(m.get("filter", "")), str(m.get("bucketName") or ""), m.get("disabled") is True
        )
        for p in projects
        for m in record.metrics.get(p, ())
    )
    policies = tuple(
        AlertPolicy(
            str(a["name"]),
            p,
            _enabled(a.get("enabled")),
            tuple(
                t
                for c in a.get("conditions") or ()
                for t in metric_types(str((c.get("conditionThreshold") or {}).get("filter", "")))
            ),
            tuple(str(n) for n in a.get("notificationChannels") or ()),
        )
        for p in projects
        for a in record.policies.get(p, ())
    )
    channels: dict[str, Channel | None] = {}
    listed: dict[tuple[str, str], str] = {}  # (project, channel id) -> the channel's name as listed
    for p in projects:
        for c in record.channels.get(p, ()):
            name = str(c["name"])
            listed[(p, _channel_key(name))] = name
            channels[name] = Channel(
                name, str(c.get("type", "")), _enabled(c.get("enabled")), str(c.get("verificationStatus", ""))
            )
    # A policy names a channel by projects/[PROJECT_ID_OR_NUMBER]/...: matched to the listed one by its id.
    policies = tuple(
        replace(a, channels=tuple(listed.get((a.project, _channel_key(c)), c) for c in a.channels)) for a in policies
    )
    for a in policies:
        for ref in a.channels:
            # Unread (its project's channels failed, or it names another project the scan does not list):
            # the channel is unknown, never missing.
            if ref not in channels and (a.project not in record.channels or not ref.startswith(f"{a.project}/")):
                channels[ref] = None
    return AlertWiring(sources, metrics, policies, channels, parameters)


def scan_parameters(
    snap: GcpSnapshot, record: AlertRecord, target: str, given: Mapping[str, str | tuple[str, ...]]
) -> dict[str, str | tuple[str, ...]]:
    """The stack's archive and PHI buckets when the scan has them, else the archive the target's sinks reach."""
    out = dict(given)
    if "archive_bucket" not in out:
        archives = target_routes(snap, target).archives
        if archives:
            out["archive_bucket"] = archives[0]
    bucket = out.get("archive_bucket")
    if "archive_project" not in out and isinstance(bucket, str) and bucket in record.archive_projects:
        out["archive_project"] = record.archive_projects[bucket]
    return out


def _failures(snap: GcpSnapshot, target: str, sources: Sequence[Source], bucket: Any) -> list[tuple[str, str]]:
    """What the target's alerts rest on that could not be read: its hierarchy and the sinks of the projects its
    routes pass, the alerting of the projects its logs are counted in, the archive project's id."""
    routed = target_routes(snap, target).unread
    keys = [(f, f"{f}:{n}") for f in NODE_FAMILIES for n in (*snap.chain(target), *routed)]
    keys += [(f, f"{f}:{s.project}") for f in PROJECT_FAMILIES for s in sources]
    archives = [bucket] if isinstance(bucket, str) else sorted(snap.buckets)
    keys += [("archive-project", f"archive-project:{b}") for b in archives]
    return [(family, f.describe()) for family, key in dict.fromkeys(keys) for f in snap.failures.get(key, [])]


def assess_alerts(
    snap: GcpSnapshot, record: AlertRecord, target: str, given: Mapping[str, str | tuple[str, ...]]
) -> list[Finding]:
    """One finding per alert rule, on the target: PASS, FAIL, or ERROR when what it rests on was unread."""
    account = target.split("/")[-1]
    try:
        live = wiring(snap, record, target, scan_parameters(snap, record, target, given))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        code, message = classify(exc)
        unreadable = f"an alerting answer could not be read: {code}: {message}"
        return [
            Finding(r.control, Status.ERROR, target, account, "", unreadable) for r in of_kind(rules.RULES, "alert")
        ]
    failures = _failures(snap, target, live.sources, live.parameters.get("archive_bucket"))
    findings = []
    for rule in of_kind(rules.RULES, "alert"):
        failed = failed_reads(rule, failures)
        try:
            gaps = rule.judge(live)
        except Unjudged as exc:
            findings.append(Finding(rule.control, Status.ERROR, target, account, "", "; ".join([str(exc), *failed])))
            continue
        except Exception as exc:  # an answer the judges did not expect: ERROR for this alert, never a crash
            code, text = classify(exc)
            findings.append(Finding(rule.control, Status.ERROR, target, account, "", f"{code}: {text}"))
            continue
        status = Status.ERROR if gaps and failed else Status.FAIL if gaps else Status.PASS
        message = "; ".join(gaps + failed) if gaps else rule.passed("", live)
        findings.append(Finding(rule.control, status, target, account, "", message))
    return findings

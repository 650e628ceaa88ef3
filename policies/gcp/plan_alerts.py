"""The GCP alerts of a plan: its log-based metrics, alert policies and notification channels, as AlertWiring.

Judged by the same judges as the live scan (policies/gcp/alert_judges.py). Which metrics see the audit logs
follows the plan's sinks: a project sink's project (its own logs), and the log bucket an organization or
folder sink routes to (`logging.googleapis.com/projects/P/locations/L/buckets/B`, logging_config.proto
LogSink.destination). A planned channel cannot be verified yet (Monitoring sends the verification after
apply), so it counts as reaching someone and the scan checks it. A value computed at apply that the wiring
needs (a channel's name at a first preview) leaves the alerts undetermined, never passed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from auditkit.policies.alerts.plan_verdicts import alert_verdicts as plan_alert_verdicts
from auditkit.policies.computed import Computed, NotYetKnown, known, lazily
from auditkit.policies.gcp import rules
from auditkit.policies.gcp.alert_judges import (
    AlertPolicy,
    AlertWiring,
    Channel,
    LogMetric,
    Source,
    assess_alert,
    metric_types,
    route_admits,
)
from auditkit.policies.gcp.facts import SinkFacts
from auditkit.policies.rule import Rule
from auditkit.policies.verdicts import PlanResource, Verdict

METRIC = "gcp:logging/metric:Metric"
ALERT_POLICY = "gcp:monitoring/alertPolicy:AlertPolicy"
CHANNEL = "gcp:monitoring/notificationChannel:NotificationChannel"
ALERT_TYPES = (METRIC, ALERT_POLICY, CHANNEL)
LOG_BUCKET_ROUTE = re.compile(r"^logging\.googleapis\.com/((projects/[^/]+)/locations/[^/]+/buckets/[^/]+)$")


def log_bucket(destination: str) -> tuple[str, str] | None:
    """(project, bucket) of a sink destination that is a log bucket in a project; None otherwise."""
    m = LOG_BUCKET_ROUTE.match(destination)
    return (m.group(2), m.group(1)) if m else None


def plan_sources(sinks: Sequence[SinkFacts]) -> tuple[tuple[Source, ...], tuple[str, ...]]:
    """Where the plan's audit logs are counted, and the destinations computed at apply that may add to it."""
    found: list[Source] = []
    pending: list[str] = []
    for s in sinks:
        fields: tuple[Any, ...] = (s.destination, s.disabled, s.filter, s.exclusions)  # markers at preview
        computed = [v for v in fields if isinstance(v, Computed)]
        if isinstance(s.scope, Computed):
            pending.append(s.scope.field)
        elif s.scope.startswith("project:"):
            # A project's metrics count the logs that arrive in it, whatever its sinks do with them.
            found.append(Source(f"projects/{s.scope.split(':', 1)[1]}"))
        elif computed:
            pending.append(computed[0].field)
        elif not s.disabled and (bucket := log_bucket(s.destination)) is not None:
            found.append(Source(*bucket, route_admits([s])))
    return tuple(dict.fromkeys(found)), tuple(dict.fromkeys(pending))


def _urn_name(value: str) -> str | None:
    return value.rsplit("::", 1)[-1] if value.startswith("urn:pulumi:") else None


def _channels(resources: Sequence[PlanResource]) -> tuple[dict[str, Channel | None], dict[str, str]]:
    """The plan's channels by their Monitoring name (or logical name), and each reference -> resource name."""
    found: dict[str, Channel | None] = {}
    names: dict[str, str] = {}
    for r in resources:
        if r.type != CHANNEL:
            continue
        name = r.props.get("name")
        key = name if isinstance(name, str) and name else r.name
        enabled = r.props.get("enabled", True)
        found[key] = Channel(key, str(r.props.get("type")), enabled is not False, "planned")
        names[key] = r.name
    return found, names


def _reference(value: Any, resources: Sequence[PlanResource]) -> str:
    """A policy's channel reference as a key of _channels: a resolved URN names the channel resource."""
    text = str(known(value))
    logical = _urn_name(text)
    if logical is None:
        return text
    channel = next((r for r in resources if r.type == CHANNEL and r.name == logical), None)
    name = channel.props.get("name") if channel else None
    return name if isinstance(name, str) and name else logical


def _metric_types(conditions: Any) -> tuple[str, ...]:
    out: list[str] = []
    for c in conditions or ():
        threshold = c.get("conditionThreshold") if isinstance(c, Mapping) else None
        if isinstance(threshold, Mapping):
            out += metric_types(str(known(threshold.get("filter"))))
    return tuple(out)


def plan_wiring(
    resources: Sequence[PlanResource], sinks: Sequence[SinkFacts], parameters: Mapping[str, str | tuple[str, ...]]
) -> tuple[AlertWiring, dict[str, str], tuple[str, ...]]:
    """The plan's alerting, the plan resource each channel stands for, and what is computed at apply."""
    sources, pending = plan_sources(sinks)
    metrics = tuple(
        LogMetric(
            str(known(r.props.get("name")) or r.name),
            f"projects/{known(r.props.get('project'))}",
            str(known(r.props.get("filter"))),
            str(known(r.props.get("bucketName")) or ""),
            r.props.get("disabled") is True,
        )
        for r in resources
        if r.type == METRIC
    )
    channels, names = _channels(resources)
    policies = tuple(
        AlertPolicy(
            r.name,
            f"projects/{known(r.props.get('project'))}",
            r.props.get("enabled", True) is not False,
            _metric_types(known(r.props.get("conditions"))),
            tuple(_reference(c, resources) for c in r.props.get("notificationChannels") or ()),
        )
        for r in resources
        if r.type == ALERT_POLICY
    )
    for ref in {c for p in policies for c in p.channels} - set(channels):
        # A channel outside the plan (another stack's, or one that exists already): the plan cannot see it;
        # the scan reads whether it exists, is enabled and is verified.
        channels[ref] = Channel(ref, "", True, "outside the plan")
    return AlertWiring(sources, metrics, policies, channels, parameters), names, pending


def alert_verdicts(
    resources: Sequence[PlanResource],
    sinks: Sequence[tuple[str, SinkFacts]],
    parameters: Mapping[str, Any],
    archive_pending: tuple[str, ...] = (),
) -> list[Verdict]:
    """One verdict per alert rule; its resources are what proves it (metric, policy, channel) or was judged.
    archive_pending: sink destinations computed at apply, which may name the archive the parameters lack."""
    # Built once for every alert; a value computed at apply leaves each alert that reads it undetermined.
    built = lazily(plan_wiring, resources, [s for _, s in sinks], parameters)

    def proven(rule: Rule, alert_id: str) -> tuple[list[str], tuple[str, ...]]:
        wiring, names, pending = built
        gaps = rule.judge(wiring)
        waiting = pending + (archive_pending if "archive_bucket" not in parameters else ())
        if gaps and waiting:
            raise NotYetKnown(waiting[0])  # a sink computed at apply may route where a metric counts
        metric_names = {m.path: r.name for m, r in _metric_resources(resources, wiring)}
        return gaps, tuple(names.get(n, metric_names.get(n, n)) for n in assess_alert(alert_id, wiring).used)

    return plan_alert_verdicts(rules.RULES, proven, tuple(n for n, _ in sinks))


def _metric_resources(resources: Sequence[PlanResource], wiring: AlertWiring) -> list[tuple[LogMetric, PlanResource]]:
    plan_metrics = [r for r in resources if r.type == METRIC]
    return list(zip(wiring.metrics, plan_metrics, strict=True))

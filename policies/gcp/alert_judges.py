"""GCP alert judges: an alert holds when a log-based metric counts its events and a policy tells someone.

Pure functions over plain data, shared by the live scan (auditors/gcp/alerts.py), the plan and the pack
(policies/gcp/plan_alerts.py). An alert holds when some log-based metric that sees the scope's audit logs
matches every must-match event of the alert's corpus and no must-not-match event (judged by what its
filter matches, never by its text: policies/alerts/semantics.py), AND an enabled alert policy has a
threshold condition on that metric (`metric.type="logging.googleapis.com/user/NAME"`), AND one of the
policy's notification channels is enabled and not UNVERIFIED (google/monitoring/v3/notification.proto:
"If the value is UNVERIFIED, then it indicates that the channel is non-functioning").

Which metrics see a scope's audit logs (`Source`): a metric without a bucket counts the logs that arrive in
its own project; a bucket-scoped metric (LogMetric.bucketName) counts what is routed into that log bucket,
from any project (google/logging/v2/logging_metrics.proto, LogMetric.bucket_name), and so only what the
sinks on the way let through (`_Required` never receives Data Access logs).

What could not be read, a filter the evaluator cannot parse, or an `enabled` the API left out ("clients
should not make any assumption about the state if it has not been populated", AlertPolicy.enabled) is
`Unjudged` (an ERROR naming it) unless another metric already proves the alert.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from auditkit.policies.alerts.bindings import bound_once
from auditkit.policies.alerts.catalog import ALERTS_BY_ID
from auditkit.policies.alerts.corpus.gcp import EXAMPLE_PARAMETERS
from auditkit.policies.alerts.logging_query import LoggingQueryError, compile_query
from auditkit.policies.alerts.model import Corpus
from auditkit.policies.alerts.semantics import FilterVerdict, Outcome, judge_matcher, judge_query
from auditkit.policies.gcp.facts import SinkFacts

USER_METRIC = "logging.googleapis.com/user/"
# metric.type = "..." inside a Monitoring filter (cloud.google.com/monitoring/api/v3/filters).
_METRIC_TYPE = re.compile(r'metric\.type\s*=\s*"([^"]+)"')
# Filters named in a FAIL message: the closest ones (fewest events missed or overmatched).
CLOSEST = 2
_UNNAMED = {
    "archive_project": "the archive's project is not known, so no metric can be shown to watch its IAM",
    "archive_bucket": "the archive bucket is not known, so no metric can be shown to watch its IAM",
    "phi_buckets": "no PHI bucket is named (auditkit:gcp.alerts.phiBuckets, scanned with --stack), "
    "so no metric can be shown to count reads of PHI",
}


class Unjudged(Exception):
    """A part of the alert could not be read or parsed, and no other part proves it: an ERROR."""


@dataclass(frozen=True)
class Source:
    """Where a metric must live to see the scope's audit logs: a project's own logs, or a log bucket."""

    project: str  # projects/P
    bucket: str = ""  # projects/P/locations/L/buckets/B; "": the logs that arrive in `project`
    # What the route into the bucket lets through, as one Logging query (its sinks' filters, their exclusions
    # negated); "": every entry. A bucket-scoped metric counts only what its bucket receives.
    admits: str = ""

    def describe(self) -> str:
        return self.bucket or f"{self.project} (its own logs)"


@dataclass(frozen=True)
class LogMetric:
    name: str  # LogMetric.name: the metric id
    project: str  # projects/P
    filter: str
    bucket: str = ""  # LogMetric.bucketName
    disabled: bool = False

    @property
    def path(self) -> str:
        return f"{self.project}/metrics/{self.name}"

    @property
    def metric_type(self) -> str:
        return f"{USER_METRIC}{self.name}"

    def sees(self, source: Source) -> bool:
        return not self.disabled and self.project == source.project and self.bucket == source.bucket


def route_admits(sinks: Sequence[SinkFacts]) -> str:
    """What a route's sinks let through, as one Logging query: every sink's filter (an empty one keeps every
    entry) and none of its exclusions (LogSink.filter and exclusions, google/logging/v2/logging_config.proto)."""
    parts = [f"({s.filter})" for s in sinks if s.filter.strip()]
    parts += [f"NOT ({e})" for s in sinks for e in s.exclusions if e.strip()]
    return " AND ".join(parts)


@dataclass(frozen=True)
class AlertPolicy:
    name: str  # projects/P/alertPolicies/ID (the plan: the resource's name)
    project: str
    enabled: bool | None  # None: the answer left it out
    metric_types: tuple[str, ...]  # metric.type of each threshold condition's filter
    channels: tuple[str, ...]


@dataclass(frozen=True)
class Channel:
    name: str
    type: str
    enabled: bool | None  # None: the answer left it out
    verification: str  # VERIFIED | UNVERIFIED | VERIFICATION_STATUS_UNSPECIFIED | planned


@dataclass(frozen=True)
class AlertWiring:
    """One scope's (or one plan's) alerting, as the judges see it.

    `channels` maps a channel name to the channel, None when its project's channels could not be read.
    `parameters` are the deployment's archive project and bucket and PHI buckets.
    """

    sources: tuple[Source, ...]
    metrics: tuple[LogMetric, ...]
    policies: tuple[AlertPolicy, ...]
    channels: Mapping[str, Channel | None]
    parameters: Mapping[str, str | tuple[str, ...]]


@dataclass(frozen=True)
class AlertVerdict:
    gaps: tuple[str, ...]
    used: tuple[str, ...]  # what proves it (or was judged): metric, policy, channel
    summary: str


def metric_types(condition_filter: str) -> tuple[str, ...]:
    return tuple(_METRIC_TYPE.findall(condition_filter))


def corpus_for(alert_id: str, parameters: Mapping[str, str | tuple[str, ...]]) -> Corpus:
    variant = ALERTS_BY_ID[alert_id].on("gcp")
    assert variant is not None and variant.corpus is not None
    return bound_once(alert_id, variant.corpus, EXAMPLE_PARAMETERS, parameters)


@lru_cache(maxsize=4096)
def _judged(
    query: str, admits: tuple[str, ...], alert_id: str, parameters: tuple[tuple[str, tuple[str, ...]], ...]
) -> FilterVerdict:
    """The metric's filter over what reaches it: an event its bucket never receives is one it misses."""
    corpus = corpus_for(alert_id, dict(parameters))
    if "" in admits:
        return judge_query(query, corpus)
    try:
        metric = compile_query(query)
    except LoggingQueryError as err:
        return FilterVerdict("", query, Outcome.ERROR, error=str(err))
    try:
        routes = [compile_query(a) for a in admits]
    except LoggingQueryError as err:
        return FilterVerdict("", query, Outcome.ERROR, error=f"the sinks that fill its bucket: {err}")
    return judge_matcher(lambda e: any(r.matches(e) for r in routes) and metric.matches(e), corpus, "", query)


def _frozen(parameters: Mapping[str, str | tuple[str, ...]]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    return tuple(sorted((k, (v,) if isinstance(v, str) else tuple(v)) for k, v in parameters.items()))


def _missing_parameter(alert_id: str, wiring: AlertWiring) -> str | None:
    variant = ALERTS_BY_ID[alert_id].on("gcp")
    for name in variant.parameters if variant else ():
        if not wiring.parameters.get(name):
            return _UNNAMED.get(name, f"{name} is not known, so no metric can be shown to watch it")
    return None


@dataclass(frozen=True)
class MetricMatch:
    good: list[LogMetric]  # the metrics that satisfy the alert
    gaps: list[str]  # why none does
    closest: list[str]  # the metrics the gap names
    errors: list[str]  # the metrics whose filter could not be parsed


def _named(v: FilterVerdict, m: LogMetric) -> FilterVerdict:
    return FilterVerdict(m.path, v.filter_text, v.outcome, v.missed, v.overmatched, v.error)


def matching_metrics(alert_id: str, wiring: AlertWiring) -> MetricMatch:
    """The log-based metrics that see the scope's audit logs and satisfy the alert, or why none does."""
    where = "; ".join(dict.fromkeys(s.describe() for s in wiring.sources))
    reach = {m: tuple(sorted({s.admits for s in wiring.sources if m.sees(s)})) for m in wiring.metrics}
    mine = [m for m in wiring.metrics if reach[m]]
    if not mine:
        return MetricMatch([], [f"no log-based metric counts the audit logs in {where}"], [], [])
    frozen = _frozen(wiring.parameters)
    verdicts = [(m, _named(_judged(m.filter, reach[m], alert_id, frozen), m)) for m in mine]
    good = [m for m, v in verdicts if v.passed]
    errors = [v.message for _, v in verdicts if v.outcome is Outcome.ERROR]
    if good:
        return MetricMatch(good, [], [], errors)
    corpus = corpus_for(alert_id, wiring.parameters)
    near = [(m, v) for m, v in verdicts if v.outcome is Outcome.FAIL and len(v.missed) < len(corpus.must_match)]
    if not near:
        names = "; ".join(repr(e.name) for e in corpus.must_match[:4])
        return MetricMatch(
            [], [f"no log-based metric on {where} matches the alert's events (e.g. {names})"], [], errors
        )
    distance = {m.path: len(v.missed) + len(v.overmatched) for m, v in near}
    closest = sorted((mv for mv in near if distance[mv[0].path] == min(distance.values())), key=lambda mv: mv[0].path)
    text = "; ".join(v.message for _, v in closest[:CLOSEST])
    gap = f"no log-based metric on {where} matches the alert exactly: {text}"
    return MetricMatch([], [gap], [m.path for m, _ in closest[:CLOSEST]], errors)


def _reach(policy: AlertPolicy, wiring: AlertWiring) -> tuple[list[str], str | None, list[str]]:
    """(the channel the policy reaches, why it reaches nobody, what could not be read or was left out)."""
    if policy.enabled is None:
        return [], None, [f"alert policy {policy.name} does not say whether it is enabled"]
    if not policy.enabled:
        return [], f"alert policy {policy.name} is disabled", []
    if not policy.channels:
        return [], f"alert policy {policy.name} has no notification channel", []
    why, unread = [], []
    for name in policy.channels:
        if name not in wiring.channels:
            why.append(f"its channel {name} does not exist")
            continue
        channel = wiring.channels[name]
        if channel is None:
            unread.append(f"the notification channel {name} was not read")
        elif channel.enabled is None:
            unread.append(f"the notification channel {name} does not say whether it is enabled")
        elif not channel.enabled:
            why.append(f"its channel {name} is disabled")
        elif channel.verification == "UNVERIFIED":
            why.append(f"its channel {name} is UNVERIFIED (it requires verification and lacks it)")
        else:
            return [channel.name], None, []
    return [], (f"alert policy {policy.name}: " + "; ".join(why)) if why else None, unread


def _policy_chain(good: list[LogMetric], wiring: AlertWiring) -> tuple[list[str], list[str], list[str]]:
    """(names proving the chain, gaps, unread) from the satisfying metrics to a channel."""
    gaps, unread = [], []
    for m in good:
        watching = [p for p in wiring.policies if p.project == m.project and m.metric_type in p.metric_types]
        if not watching:
            gaps.append(f"metric {m.path} feeds {m.metric_type}, which no alert policy watches")
            continue
        for p in watching:
            reached, why, cannot = _reach(p, wiring)
            if reached:
                return [m.path, p.name, *reached], [], []
            gaps += [why] if why else []
            unread += cannot
    return [], gaps, unread


def assess_alert(alert_id: str, wiring: AlertWiring) -> AlertVerdict:
    """The alert's verdict; raises Unjudged when it is not proven and something it rests on was unread."""
    if not wiring.sources:
        return AlertVerdict(("no Cloud Logging project or log bucket receives the scope's audit logs",), (), "")
    missing = _missing_parameter(alert_id, wiring)
    if missing:
        return AlertVerdict((missing,), (), "")
    match = matching_metrics(alert_id, wiring)
    chain, gaps, unread = _policy_chain(match.good, wiring) if match.good else ([], match.gaps, [])
    if chain:
        metric, policy, channel = chain
        return AlertVerdict((), tuple(chain), f"metric {metric} -> alert policy {policy} -> channel {channel}")
    if match.errors or unread:
        raise Unjudged("; ".join(match.errors + unread + gaps))
    judged = match.closest + [m.path for m in match.good]
    judged += [p.name for p in wiring.policies for m in match.good if m.metric_type in p.metric_types]
    return AlertVerdict(tuple(gaps), tuple(dict.fromkeys(judged)), "")


def alert_gaps(alert_id: str, wiring: AlertWiring) -> list[str]:
    """The rule table's judge: the alert's gaps (raises Unjudged, see assess_alert)."""
    return list(assess_alert(alert_id, wiring).gaps)


def alert_summary(alert_id: str, wiring: AlertWiring) -> str:
    """What a PASS shows: the chain from metric to channel."""
    return assess_alert(alert_id, wiring).summary

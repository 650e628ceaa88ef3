"""AWS alert judges: an alert holds when what is deployed would notice its events and tell someone.

Pure functions over plain data, shared by the live scan (auditors/aws/alerts.py), the plan and the pack
(policies/aws/plan_facts.py). An alert holds when some metric filter on a trail's CloudWatch log group
matches every must-match event of the alert's corpus and no must-not-match event (judged by what the
pattern matches, never by its text: policies/alerts/semantics.py), AND an alarm watches that filter's
metric (name and namespace), counting events (Sum) so that the alert's burst in one period fires it, with
actions enabled and an ALARM action, AND that action reaches someone:
an SNS topic with at least one confirmed subscription (ListSubscriptionsByTopic answers
"PendingConfirmation" until the recipient confirms). The PHI read-volume alert also needs a GuardDuty
detector with S3 Protection (feature S3_DATA_EVENTS) on, for the anomalous access a threshold cannot see.

What could not be read, or a pattern the evaluator cannot parse, is `Unjudged` (an ERROR naming it)
unless another filter already proves the alert.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from auditkit.policies.alerts.bindings import bound_corpus
from auditkit.policies.alerts.catalog import ALERTS_BY_ID
from auditkit.policies.alerts.corpus.aws import EXAMPLE_PARAMETERS
from auditkit.policies.alerts.model import Corpus, Threshold
from auditkit.policies.alerts.semantics import FilterVerdict, Outcome, judge_pattern

S3_PROTECTION = "S3_DATA_EVENTS"
PHI_READ_VOLUME = "phi_read_volume"
# SubscriptionArn values that are not a subscription yet (SNS API reference, ListSubscriptionsByTopic).
UNCONFIRMED = ("PendingConfirmation", "Deleted", "")
# Filters named in a FAIL message: the closest ones (fewest events missed or overmatched), so the
# finding names what they miss; at most this many when several are as close.
CLOSEST = 2


_UNNAMED = {
    "archive_bucket": "the trail's archive bucket is not known, so no filter can be shown to watch it",
    "phi_buckets": "no PHI bucket is named (a stack's auditkit:aws.alerts.phiBuckets; a scan's buckets in scope), "
    "so no filter can be shown to count reads of PHI",
}


class Unjudged(Exception):
    """A part of the alert could not be read or parsed, and no other part proves it: an ERROR."""


@dataclass(frozen=True)
class MetricFilter:
    name: str
    log_group: str
    pattern: str
    metrics: tuple[tuple[str, str], ...]  # (metricName, metricNamespace) of each transformation


@dataclass(frozen=True)
class Alarm:
    name: str
    metric: str | None  # None: a metric-math alarm, which watches no single metric
    namespace: str | None
    actions_enabled: bool
    actions: tuple[str, ...]  # AlarmActions: what runs when the alarm enters ALARM
    # How it counts (PutMetricAlarm): Statistic, Period, EvaluationPeriods, DatapointsToAlarm, Threshold,
    # ComparisonOperator; None where the alarm does not say (metric math, an extended statistic).
    statistic: str | None = None
    period: int | None = None
    evaluation_periods: int | None = None
    datapoints_to_alarm: int | None = None
    threshold: float | None = None
    comparison: str | None = None


# Statistics that count a metric filter's datapoints: each matching event puts the value 1.
COUNTING = ("Sum", "SampleCount")
# count -> whether `count` events in one period breach a threshold t (CloudWatch's ComparisonOperator).
BREACHES = {
    "GreaterThanOrEqualToThreshold": lambda count, t: count >= t,
    "GreaterThanThreshold": lambda count, t: count > t,
}


def counting_gap(alarm: Alarm, need: Threshold) -> str | None:
    """Why the alarm would stay quiet through the alert's burst (`need.count` events in
    `need.period_seconds`), or None when one such burst inside one period is enough to fire it.

    A burst that straddles two periods is split between them: CloudWatch evaluates whole periods, so no
    alarm on a metric filter sees a sliding window (the component's alarms share this limit)."""
    name, per = repr(alarm.name), f"{need.count} event{'s' * (need.count != 1)} in {need.period_seconds} s"
    if alarm.statistic not in COUNTING:
        what = alarm.statistic or "an extended statistic or metric math"
        return f"alarm {name} watches {what} of the metric, not the number of events (Sum), so {per} may not fire it"
    if alarm.period is None or alarm.period > need.period_seconds:
        return f"alarm {name} counts over {alarm.period} s; the alert needs {per} to fire it"
    in_a_row = alarm.datapoints_to_alarm or alarm.evaluation_periods or 1
    if in_a_row > 1:
        return f"alarm {name} needs {in_a_row} breaching periods in a row; {per} (one period) does not fire it"
    breaches = BREACHES.get(alarm.comparison or "")
    if breaches is None or alarm.threshold is None or not breaches(need.count, alarm.threshold):
        return f"alarm {name} fires on {alarm.comparison} {alarm.threshold:g}; {per} does not fire it"
    return None


@dataclass(frozen=True)
class Subscription:
    name: str  # the SubscriptionArn live; the plan resource's name in a plan
    protocol: str
    endpoint: str
    # confirmed | pending | planned (a plan: confirmation happens after apply, by the recipient)
    status: str


@dataclass(frozen=True)
class Detector:
    name: str
    region: str
    enabled: bool
    features: Mapping[str, bool]  # feature name -> ENABLED


@dataclass(frozen=True)
class AlertWiring:
    """One account's (or one plan's) alerting, as the judges see it.

    `topics` maps a topic ARN to its subscriptions, None when they could not be read; `detectors` is
    None when GuardDuty could not be read. `parameters` are the deployment's archive and PHI buckets.
    Reads that failed outright (a log group's filters, an alarm page) are the caller's to weigh: a gap
    found without them is an ERROR there (failed_reads of the rule).
    """

    log_groups: tuple[str, ...]
    filters: tuple[MetricFilter, ...]
    alarms: tuple[Alarm, ...]
    topics: Mapping[str, tuple[Subscription, ...] | None]
    detectors: tuple[Detector, ...] | None
    parameters: Mapping[str, str | tuple[str, ...]]
    # The regions GuardDuty is expected in (the trails' log groups'), for messages.
    regions: tuple[str, ...] = ()


@dataclass(frozen=True)
class AlertVerdict:
    gaps: tuple[str, ...]
    used: tuple[str, ...]  # what proves it (or was judged): filter, alarm, topic, subscription, detector
    summary: str


@lru_cache(maxsize=4096)
def _judged(pattern: str, alert_id: str, parameters: tuple[tuple[str, tuple[str, ...]], ...]) -> FilterVerdict:
    return judge_pattern(pattern, corpus_for(alert_id, dict(parameters)))


def corpus_for(alert_id: str, parameters: Mapping[str, str | tuple[str, ...]]) -> Corpus:
    variant = ALERTS_BY_ID[alert_id].on("aws")
    assert variant is not None and variant.corpus is not None
    return bound_corpus(variant.corpus, EXAMPLE_PARAMETERS, parameters)


def _frozen(parameters: Mapping[str, str | tuple[str, ...]]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    return tuple(sorted((k, (v,) if isinstance(v, str) else tuple(v)) for k, v in parameters.items()))


def _missing_parameter(alert_id: str, wiring: AlertWiring) -> str | None:
    variant = ALERTS_BY_ID[alert_id].on("aws")
    for name in variant.parameters if variant else ():
        if not wiring.parameters.get(name):
            return _UNNAMED.get(name, f"{name} is not known, so no filter can be shown to watch it")
    return None


def _filter_gap(
    verdicts: list[tuple[MetricFilter, FilterVerdict]], corpus: Corpus, groups: str
) -> tuple[str, list[str]]:
    """Why no filter satisfies the alert, naming the closest filters and what they miss; and their names."""
    failing = [(f, v) for f, v in verdicts if v.outcome is Outcome.FAIL]
    near = [(f, v) for f, v in failing if len(v.missed) < len(corpus.must_match)]
    if not near:
        names = "; ".join(repr(e.name) for e in corpus.must_match[:4])
        return f"no metric filter on {groups} matches the alert's events (e.g. {names})", []
    distance = {f.name: len(v.missed) + len(v.overmatched) for f, v in near}
    best = min(distance.values())
    closest = sorted((fv for fv in near if distance[fv[0].name] == best), key=lambda fv: fv[0].name)[:CLOSEST]
    text = "; ".join(v.message for _, v in closest)
    return f"no metric filter on {groups} matches the alert exactly: {text}", [f.name for f, _ in closest]


def _named(v: FilterVerdict, f: MetricFilter) -> FilterVerdict:
    return FilterVerdict(f.name, v.filter_text, v.outcome, v.missed, v.overmatched, v.error)


@dataclass(frozen=True)
class FilterMatch:
    good: list[MetricFilter]  # the filters that satisfy the alert
    gaps: list[str]  # why none does
    closest: list[str]  # the names of the filters the gap names
    errors: list[str]  # the filters the evaluator could not parse


def matching_filters(alert_id: str, wiring: AlertWiring) -> FilterMatch:
    """The filters on the trails' log groups that satisfy the alert, or why none does."""
    groups = ", ".join(wiring.log_groups)
    mine = [f for f in wiring.filters if f.log_group in wiring.log_groups]
    if not mine:
        return FilterMatch([], [f"no metric filter on the trail's log group {groups}"], [], [])
    frozen = _frozen(wiring.parameters)
    verdicts = [(f, _named(_judged(f.pattern, alert_id, frozen), f)) for f in mine]
    good = [f for f, v in verdicts if v.passed]
    errors = [v.message for _, v in verdicts if v.outcome is Outcome.ERROR]
    if good:
        return FilterMatch(good, [], [], errors)
    gap, closest = _filter_gap(verdicts, corpus_for(alert_id, wiring.parameters), groups)
    return FilterMatch([], [gap], closest, errors)


def _reach(alarm: Alarm, wiring: AlertWiring) -> tuple[list[str], str | None, list[str]]:
    """(what the alarm reaches: topic + subscriptions, why it reaches nobody, what could not be read)."""
    if not alarm.actions_enabled:
        return [], f"alarm {alarm.name!r} has its actions disabled", []
    if not alarm.actions:
        return [], f"alarm {alarm.name!r} has no ALARM action", []
    why, unread = [], []
    for action in alarm.actions:
        if ":sns:" not in action and action not in wiring.topics:
            why.append(f"its action {action} is not an SNS topic AuditKit can follow to a recipient")
            continue
        subs = wiring.topics.get(action)
        if subs is None:
            unread.append(f"the subscriptions of topic {action} could not be read")
            continue
        reached = [s for s in subs if s.status in ("confirmed", "planned")]
        if reached:
            return [action, *(s.name for s in reached)], None, []
        pending = sum(1 for s in subs if s.status == "pending")
        why.append(
            f"topic {action} has no confirmed subscription"
            + (f" ({pending} pending confirmation)" if pending else " (no subscription)")
        )
    return [], f"alarm {alarm.name!r}: " + "; ".join(why) if why else None, unread


def _alarm_chain(
    good: list[MetricFilter], wiring: AlertWiring, need: Threshold
) -> tuple[list[str], list[str], list[str]]:
    """(names proving the chain, gaps, unread) from the satisfying filters through an alarm that fires on
    the alert's burst to a recipient."""
    gaps, unread = [], []
    for f in good:
        watching = [a for a in wiring.alarms if (a.metric, a.namespace) in f.metrics]
        if not watching:
            metrics = ", ".join(f"{ns}/{m}" for m, ns in f.metrics) or "no metric"
            gaps.append(f"filter {f.name!r} feeds {metrics}, which no alarm watches")
            continue
        for a in watching:
            quiet = counting_gap(a, need)
            if quiet:
                gaps.append(quiet)
                continue
            reached, why, cannot = _reach(a, wiring)
            if reached:
                return [f.name, a.name, *reached], [], []
            gaps += [why] if why else []
            unread += cannot
    return [], gaps, unread


def _guard_duty(wiring: AlertWiring) -> tuple[list[str], list[str]]:
    """(the detector proving S3 Protection, gaps). Unread GuardDuty is Unjudged."""
    if wiring.detectors is None:
        raise Unjudged("GuardDuty could not be read")
    where = ", ".join(wiring.regions) or "the trail's region"
    on = [d for d in wiring.detectors if d.enabled and d.features.get(S3_PROTECTION)]
    if on:
        return [on[0].name], []
    if not wiring.detectors:
        return [], [f"no GuardDuty detector in {where}: anomalous S3 access (S3 Protection) is not watched"]
    off = wiring.detectors[0]
    state = "is disabled" if not off.enabled else f"has S3 Protection ({S3_PROTECTION}) off"
    return [], [f"GuardDuty detector {off.name} in {off.region} {state}"]


def assess_alert(alert_id: str, wiring: AlertWiring) -> AlertVerdict:
    """The alert's verdict; raises Unjudged when it is not proven and something it rests on was unread."""
    missing = _missing_parameter(alert_id, wiring)
    if not wiring.log_groups:
        return AlertVerdict(("no trail delivers to CloudWatch Logs, so no metric filter sees its events",), (), "")
    if missing:
        return AlertVerdict((missing,), (), "")
    match = matching_filters(alert_id, wiring)
    good, errors = match.good, match.errors
    variant = ALERTS_BY_ID[alert_id].on("aws")
    assert variant is not None
    chain, chain_gaps, unread = _alarm_chain(good, wiring, variant.threshold) if good else ([], match.gaps, [])
    try:
        detector, detector_gaps = _guard_duty(wiring) if alert_id == PHI_READ_VOLUME else ([], [])
    except Unjudged as exc:
        raise Unjudged("; ".join([*([] if chain else chain_gaps), *errors, *unread, str(exc)])) from None
    if not chain and (errors or unread):
        raise Unjudged("; ".join(errors + unread + chain_gaps))
    gaps = chain_gaps + detector_gaps if not chain else detector_gaps
    if not gaps:
        return AlertVerdict((), tuple(chain + detector), _summary(chain, detector))
    judged = match.closest + [f.name for f in good]
    judged += [a.name for a in wiring.alarms for f in good if (a.metric, a.namespace) in f.metrics]
    return AlertVerdict(tuple(gaps), tuple(dict.fromkeys(chain + judged + detector)), "")


def _summary(chain: Sequence[str], detector: Sequence[str]) -> str:
    flt, alarm, topic, *subs = chain
    text = f"filter {flt!r} -> alarm {alarm!r} -> topic {topic} ({len(subs)} subscription{'s' * (len(subs) != 1)})"
    return text + (f"; GuardDuty S3 Protection on (detector {detector[0]})" if detector else "")


def alert_gaps(alert_id: str, wiring: AlertWiring) -> list[str]:
    """The rule table's judge: the alert's gaps (raises Unjudged, see assess_alert)."""
    return list(assess_alert(alert_id, wiring).gaps)


def alert_summary(alert_id: str, wiring: AlertWiring) -> str:
    """What a PASS shows: the chain from filter to recipient."""
    return assess_alert(alert_id, wiring).summary

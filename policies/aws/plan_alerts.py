"""The AWS alerts of a plan: its metric filters, alarms, topics, subscriptions and GuardDuty, as AlertWiring.

Judged by the same judges as the live scan (policies/aws/alert_judges.py). A plan cannot hold a confirmed
subscription (the recipient confirms after apply), so a planned subscription counts as reaching someone and
the scan checks the confirmation. A value computed at apply that the wiring needs (an alarm's topic ARN at
a first preview) leaves the alerts undetermined, never passed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from auditkit.policies.alerts.plan_verdicts import alert_verdicts as plan_alert_verdicts
from auditkit.policies.aws import rules
from auditkit.policies.aws.alert_judges import (
    S3_PROTECTION,
    Alarm,
    AlertWiring,
    Detector,
    MetricFilter,
    Subscription,
    assess_alert,
)
from auditkit.policies.aws.facts import TrailFacts
from auditkit.policies.aws.resource_types import (
    GUARDDUTY_DETECTOR,
    GUARDDUTY_FEATURE,
    LOG_GROUP,
    METRIC_ALARM,
    METRIC_FILTER,
    SNS_SUBSCRIPTION,
    SNS_TOPIC,
)
from auditkit.policies.computed import known, lazily
from auditkit.policies.rule import Rule
from auditkit.policies.verdicts import PlanResource, Verdict


def _urn_name(value: str) -> str | None:
    """A reference the pack resolved to the URN of a plan resource: that resource's logical name."""
    return value.rsplit("::", 1)[-1] if value.startswith("urn:pulumi:") else None


def log_group_key(value: Any, resources: Sequence[PlanResource]) -> str | None:
    """Which log group a trail ARN (`...:log-group:NAME:*`), a filter's name or a resolved URN names.

    A group named at apply is keyed by its logical name, so a filter on the same resource still matches.
    """
    text = known(value)
    if not isinstance(text, str) or not text:
        return None
    logical = _urn_name(text)
    if logical is None:
        return text.split(":log-group:", 1)[1].removesuffix(":*") if ":log-group:" in text else text
    group = next((r for r in resources if r.type == LOG_GROUP and r.name == logical), None)
    name = group.props.get("name") if group else None
    return name if isinstance(name, str) and name else f"<log group {logical}, named at apply>"


def _is_topic(value: str, topic: PlanResource) -> bool:
    """An alarm action or a subscription's topic names this topic: by ARN, by the name ending it, or by URN."""
    if _urn_name(value) is not None:
        return _urn_name(value) == topic.name
    name = topic.props.get("name")
    return value == topic.props.get("arn") or (isinstance(name, str) and value.rsplit(":", 1)[-1] == name)


def _topics(resources: Sequence[PlanResource], actions: set[str]) -> tuple[dict[str, Any], dict[str, str]]:
    """Each alarm action's subscriptions when it names a topic of the plan; the topic resource it names."""
    topics = [r for r in resources if r.type == SNS_TOPIC]
    subs = [r for r in resources if r.type == SNS_SUBSCRIPTION]
    found: dict[str, Any] = {}
    names: dict[str, str] = {}
    for action in actions:
        topic = next((t for t in topics if _is_topic(action, t)), None)
        if topic is None:
            continue
        names[action] = topic.name
        found[action] = tuple(
            Subscription(s.name, str(s.props.get("protocol")), str(s.props.get("endpoint")), "planned")
            for s in subs
            if _is_topic(str(known(s.props.get("topic"))), topic)
        )
    return found, names


def _names_detector(value: Any, detector: PlanResource, ident: str) -> bool:
    return isinstance(value, str) and (value == ident or _urn_name(value) == detector.name)


def _detectors(resources: Sequence[PlanResource]) -> tuple[Detector, ...]:
    detectors = [r for r in resources if r.type == GUARDDUTY_DETECTOR]
    features = [r for r in resources if r.type == GUARDDUTY_FEATURE]
    out = []
    for d in detectors:
        ident = str(d.props.get("arn") or "").rsplit("/", 1)[-1]
        mine = [
            f for f in features if len(detectors) == 1 or _names_detector(known(f.props.get("detectorId")), d, ident)
        ]
        legacy = ((d.props.get("datasources") or {}).get("s3Logs") or {}).get("enable")
        s3 = any(known(f.props.get("name")) == S3_PROTECTION and f.props.get("status") == "ENABLED" for f in mine)
        out.append(Detector(d.name, "", d.props.get("enable", True) is not False, {S3_PROTECTION: s3 or bool(legacy)}))
    return tuple(out)


def _features_of(resources: Sequence[PlanResource], used: Sequence[str]) -> tuple[str, ...]:
    """The detector features that turned S3 Protection on, for a detector that proves an alert."""
    detectors = [r for r in resources if r.type == GUARDDUTY_DETECTOR and r.name in used]
    return tuple(f.name for f in resources if f.type == GUARDDUTY_FEATURE and detectors)


def plan_wiring(
    resources: Sequence[PlanResource], trails: Sequence[TrailFacts], phi_buckets: Sequence[str] | None
) -> tuple[AlertWiring, dict[str, str]]:
    """The plan's alerting, and the plan resource each topic ARN stands for. Raises NotYetKnown."""
    groups = tuple(g for g in (log_group_key(t.cloudwatch_log_group_arn, resources) for t in trails) if g)
    filters = tuple(
        MetricFilter(
            r.name,
            str(log_group_key(r.props.get("logGroupName"), resources)),
            str(known(r.props.get("pattern"))),
            _metrics(r.props.get("metricTransformation")),
        )
        for r in resources
        if r.type == METRIC_FILTER
    )
    alarms = tuple(
        Alarm(
            r.name,
            r.props.get("metricName"),
            r.props.get("namespace"),
            r.props.get("actionsEnabled", True) is not False,
            tuple(str(known(a)) for a in r.props.get("alarmActions") or ()),
            r.props.get("statistic"),
            _number(r.props.get("period")),
            _number(r.props.get("evaluationPeriods")),
            _number(r.props.get("datapointsToAlarm")),
            _number(r.props.get("threshold"), float),
            r.props.get("comparisonOperator"),
        )
        for r in resources
        if r.type == METRIC_ALARM
    )
    topics, names = _topics(resources, {a for alarm in alarms for a in alarm.actions})
    archive = next((str(t.bucket) for t in trails if isinstance(t.bucket, str) and t.bucket), "")
    parameters: dict[str, str | tuple[str, ...]] = {"archive_bucket": archive} if archive else {}
    if phi_buckets:
        parameters["phi_buckets"] = tuple(phi_buckets)
    return AlertWiring(groups, filters, alarms, topics, _detectors(resources), parameters), names


def _metrics(transformation: Any) -> tuple[tuple[str, str], ...]:
    items = transformation if isinstance(transformation, list) else [transformation]
    return tuple((str(known(t.get("name"))), str(known(t.get("namespace")))) for t in items if isinstance(t, Mapping))


def alert_verdicts(
    resources: Sequence[PlanResource],
    trails: Sequence[tuple[str, TrailFacts]],
    phi_buckets: Sequence[str] | None,
) -> list[Verdict]:
    """One verdict per alert rule; its resources are what proves it (filter, alarm, topic, subscriptions),
    or what was judged; the trails when nothing on their log group comes near."""
    # Built once for every alert; a value computed at apply leaves each alert that reads it undetermined.
    built = lazily(plan_wiring, resources, [t for _, t in trails], phi_buckets)

    def proven(rule: Rule, alert_id: str) -> tuple[list[str], tuple[str, ...]]:
        wiring, topics = built
        gaps = rule.judge(wiring)
        proof = assess_alert(alert_id, wiring).used
        return gaps, tuple(topics.get(n, n) for n in proof) + _features_of(resources, proof)

    return plan_alert_verdicts(rules.RULES, proven, tuple(n for n, _ in trails))


def _number(value: object, kind: type = int) -> Any:
    """A known number of a plan property (the engine sends numbers as floats); None when absent."""
    value = known(value)
    return None if value is None else kind(value)

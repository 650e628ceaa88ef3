"""The live AWS alerts: collect what alerting the account has, and judge each alert of the rule table.

Calls grow with log groups, alarm pages and topics, never with alerts: DescribeMetricFilters once per
trail log group (paged), DescribeAlarms per page in the log groups' regions, ListSubscriptionsByTopic once
per topic an alarm on those filters' metrics notifies, and GuardDuty ListDetectors/GetDetector per region.
The judges are pure (policies/aws/alert_judges.py); what could not be read turns a verdict that is not
proven into ERROR.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

from auditkit.auditors.aws.clients import AccountSession, classify
from auditkit.auditors.failures import Failure, pages
from auditkit.auditors.findings import Finding, Status
from auditkit.policies.aws import rules
from auditkit.policies.aws.alert_judges import (
    S3_PROTECTION,
    UNCONFIRMED,
    Alarm,
    AlertWiring,
    Detector,
    MetricFilter,
    Subscription,
    Unjudged,
)
from auditkit.policies.aws.event_selectors import UnknownShape
from auditkit.policies.rule import failed_reads, of_kind

if TYPE_CHECKING:
    from auditkit.auditors.aws.collect import AccountSnapshot


@dataclass(frozen=True)
class LogGroupRef:
    arn: str
    account: str
    region: str
    name: str


@dataclass
class AlertRecord:
    """What the collector read, as the APIs answered (boto3 shapes), and what it could not read."""

    log_groups: list[LogGroupRef] = field(default_factory=list)
    filters: list[dict[str, Any]] = field(default_factory=list)
    alarms: list[dict[str, Any]] = field(default_factory=list)
    topics: dict[str, list[dict[str, Any]] | None] = field(default_factory=dict)
    # region -> GetDetector answers (with their DetectorId); None: GuardDuty could not be read there.
    detectors: dict[str, list[dict[str, Any]] | None] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)
    # The PHI buckets a stack names (scan --stack); None: the buckets in scope are the PHI buckets.
    phi_buckets: tuple[str, ...] | None = None


def log_group_ref(arn: str) -> LogGroupRef | None:
    """`arn:PARTITION:logs:REGION:ACCOUNT:log-group:NAME:*` (CloudTrail's CloudWatchLogsLogGroupArn)."""
    parts = arn.split(":", 6)
    if len(parts) < 7 or parts[2] != "logs" or parts[5] != "log-group":
        return None
    return LogGroupRef(arn, parts[4], parts[3], parts[6].removesuffix(":*"))


def _pages(call: Callable[..., dict[str, Any]], key: str, token: str) -> list[Any]:
    """Every item of a paged listing, through the one pager (a repeated token or too many pages is a failed read)."""
    return [item for page in pages(call, token) for item in page.get(key) or []]


def _filters(acct: AccountSession, group: LogGroupRef) -> tuple[list[dict[str, Any]] | None, Failure | None]:
    logs = acct.client("logs", group.region)
    return acct.read(
        lambda: _pages(partial(logs.describe_metric_filters, logGroupName=group.name), "metricFilters", "nextToken"),
        "DescribeMetricFilters",
        group.region,
        group.arn,
    )


def _alarms(
    acct: AccountSession, region: str, snap: AccountSnapshot
) -> tuple[list[dict[str, Any]] | None, Failure | None]:
    cw = acct.client("cloudwatch", region)
    return acct.read(
        lambda: _pages(partial(cw.describe_alarms, MaxRecords=100), "MetricAlarms", "NextToken"),
        "DescribeAlarms",
        region,
        f"arn:{snap.partition}:cloudwatch:{region}:{snap.account}:alarm:*",
    )


def _subscriptions(acct: AccountSession, topic: str) -> tuple[list[dict[str, Any]] | None, Failure | None]:
    sns = acct.client("sns", topic.split(":")[3])
    return acct.read(
        lambda: _pages(partial(sns.list_subscriptions_by_topic, TopicArn=topic), "Subscriptions", "NextToken"),
        "ListSubscriptionsByTopic",
        topic.split(":")[3],
        topic,
    )


def _detectors(acct: AccountSession, region: str) -> tuple[list[dict[str, Any]] | None, list[Failure]]:
    gd = acct.client("guardduty", region)
    ids, failure = acct.read(
        lambda: _pages(gd.list_detectors, "DetectorIds", "NextToken"),
        "ListDetectors",
        region,
        f"guardduty detectors in {region}",
    )
    if failure or ids is None:
        return None, [failure] if failure else []
    found, failures = [], []
    for detector_id in ids:
        resp, failure = acct.read(
            partial(gd.get_detector, DetectorId=detector_id), "GetDetector", region, str(detector_id)
        )
        if failure:
            failures.append(failure)
            continue
        found.append({**(resp or {}), "DetectorId": detector_id})
    return (None if failures else found), failures


def _watched_topics(record: AlertRecord) -> set[str]:
    """The SNS topics notified by alarms on the metrics the trails' filters feed: only those are read."""
    metrics = {
        (t.get("metricName"), t.get("metricNamespace"))
        for f in record.filters
        for t in f.get("metricTransformations") or ()
    }
    return {
        action
        for a in record.alarms
        if (a.get("MetricName"), a.get("Namespace")) in metrics
        for action in a.get("AlarmActions") or ()
        if isinstance(action, str) and action.split(":")[2:3] == ["sns"]
    }


def collect_alerts(acct: AccountSession, snap: AccountSnapshot, pool: Executor) -> AlertRecord:
    record = AlertRecord()
    arns = {str(t.description.get("CloudWatchLogsLogGroupArn") or "") for t in snap.trails}
    record.log_groups = sorted((g for g in map(log_group_ref, arns) if g), key=lambda g: g.arn)
    own = [g for g in record.log_groups if g.account == snap.account]
    for (items, failure), group in zip(pool.map(lambda g: _filters(acct, g), own), own, strict=True):
        record.filters += [{**f, "logGroupName": f.get("logGroupName") or group.name} for f in items or ()]
        record.failures += [failure] if failure else []
    regions = sorted({g.region for g in own})
    for items, failure in pool.map(lambda r: _alarms(acct, r, snap), regions):
        record.alarms += items or []
        record.failures += [failure] if failure else []
    topics = sorted(_watched_topics(record))
    for topic, (subs, failure) in zip(topics, pool.map(lambda t: _subscriptions(acct, t), topics), strict=True):
        record.topics[topic] = subs
        record.failures += [failure] if failure else []
    for region, (detectors, failures) in zip(regions, pool.map(lambda r: _detectors(acct, r), regions), strict=True):
        record.detectors[region] = detectors
        record.failures += failures
    return record


def _subscription(s: Mapping[str, Any]) -> Subscription:
    arn = str(s.get("SubscriptionArn") or "")
    status = "pending" if arn in UNCONFIRMED else "confirmed"
    return Subscription(arn or "(no SubscriptionArn)", str(s.get("Protocol", "")), str(s.get("Endpoint", "")), status)


def _detector(region: str, d: Mapping[str, Any]) -> Detector:
    features = {str(f.get("Name")): f.get("Status") == "ENABLED" for f in d.get("Features") or ()}
    # Detectors created before features existed report S3 Protection as the S3Logs data source.
    legacy = ((d.get("DataSources") or {}).get("S3Logs") or {}).get("Status") == "ENABLED"
    features[S3_PROTECTION] = features.get(S3_PROTECTION, False) or legacy
    return Detector(str(d["DetectorId"]), region, d.get("Status") == "ENABLED", features)


def wiring(snap: AccountSnapshot, record: AlertRecord) -> AlertWiring:
    """The record as the judges see it. Raises UnknownShape on an answer nobody documented."""
    own = [g for g in record.log_groups if g.account == snap.account]
    filters = tuple(
        MetricFilter(
            str(f["filterName"]),
            str(f["logGroupName"]),
            str(f.get("filterPattern", "")),
            tuple((str(t["metricName"]), str(t["metricNamespace"])) for t in f.get("metricTransformations") or ()),
        )
        for f in record.filters
    )
    alarms = tuple(
        Alarm(
            str(a["AlarmName"]),
            a.get("MetricName"),
            a.get("Namespace"),
            bool(a.get("ActionsEnabled", False)),
            tuple(str(x) for x in a.get("AlarmActions") or ()),
            a.get("Statistic"),
            a.get("Period"),
            a.get("EvaluationPeriods"),
            a.get("DatapointsToAlarm"),
            a.get("Threshold"),
            a.get("ComparisonOperator"),
        )
        for a in record.alarms
    )
    topics = {t: None if subs is None else tuple(_subscription(s) for s in subs) for t, subs in record.topics.items()}
    detectors = None
    if all(d is not None for d in record.detectors.values()):
        detectors = tuple(_detector(r, d) for r, ds in record.detectors.items() for d in ds or ())
    parameters = _parameters(snap)
    if record.phi_buckets:
        parameters["phi_buckets"] = tuple(record.phi_buckets)
    return AlertWiring(
        tuple(g.name for g in own), filters, alarms, topics, detectors, parameters, tuple(g.region for g in own)
    )


def _parameters(snap: AccountSnapshot) -> dict[str, str | tuple[str, ...]]:
    """The archive the trails write to, and the buckets in scope (the PHI buckets the scan was pointed at)."""
    own = [t for t in snap.trails if t.arn.split(":")[4:5] == [snap.account]]
    archive = next((str(t.description.get("S3BucketName")) for t in own if t.description.get("S3BucketName")), "")
    params: dict[str, str | tuple[str, ...]] = {"archive_bucket": archive} if archive else {}
    excluded = set(snap.trail_buckets)
    for d in snap.destinations.values():
        excluded.add(str(((d.responses.get("logging") or {}).get("LoggingEnabled") or {}).get("TargetBucket", "")))
    phi = tuple(b.name for b in snap.buckets or () if b.name not in excluded)
    if phi:
        params["phi_buckets"] = phi
    return params


def _elsewhere(snap: AccountSnapshot, record: AlertRecord) -> bool:
    """Every trail delivers to another account's log group (a member account's view of an organization
    trail): its filters and alarms are that account's, judged when it is scanned, as its archive is."""
    return bool(record.log_groups) and all(g.account != snap.account for g in record.log_groups)


def assess_alerts(snap: AccountSnapshot) -> list[Finding]:
    """One finding per alert rule, on the account: PASS, FAIL, or ERROR when what it rests on was unread."""
    record: AlertRecord | None = getattr(snap, "alerts", None)
    resource = f"arn:{snap.partition}:iam::{snap.account}:root"
    if record is None or _elsewhere(snap, record):
        return []
    # The destinations' reads too: which buckets are the archive's access logs decides the PHI scope.
    destinations = [f for d in snap.destinations.values() for f in d.failures.values()]
    failures = [(f.operation, f.describe()) for f in [*snap.failures, *destinations, *record.failures]]
    live, unreadable = None, ""
    try:
        live = wiring(snap, record)
    except (KeyError, TypeError, ValueError, UnknownShape) as exc:
        code, message = classify(exc)
        unreadable = f"an alerting answer could not be read: {code}: {message}"
    findings = []
    for rule in of_kind(rules.RULES, "alert"):
        failed = failed_reads(rule, failures)
        if live is None:
            findings.append(Finding(rule.control, Status.ERROR, resource, snap.account, "", unreadable))
            continue
        try:
            gaps = rule.judge(live)
        except Unjudged as exc:
            findings.append(
                Finding(rule.control, Status.ERROR, resource, snap.account, "", "; ".join([str(exc), *failed]))
            )
            continue
        except Exception as exc:  # an answer the judges did not expect: ERROR for this alert, never a crash
            code, text = classify(exc)
            findings.append(Finding(rule.control, Status.ERROR, resource, snap.account, "", f"{code}: {text}"))
            continue
        status = Status.ERROR if gaps and failed else Status.FAIL if gaps else Status.PASS
        message = "; ".join(gaps + failed) if gaps else rule.passed("", live)
        findings.append(Finding(rule.control, status, resource, snap.account, "", message))
    return findings

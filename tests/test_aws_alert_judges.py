"""The alert judges over API answers the emulator cannot give, shaped as AWS documents them.

Sources:
- DescribeMetricFilters: Amazon CloudWatch Logs API Reference, DescribeMetricFilters (metricFilters[]: filterName,
  filterPattern, metricTransformations[metricName, metricNamespace, metricValue], logGroupName).
- DescribeAlarms: Amazon CloudWatch API Reference, DescribeAlarms / MetricAlarm (AlarmName, ActionsEnabled,
  AlarmActions, MetricName, Namespace; metric-math alarms carry Metrics[] and no MetricName).
- ListSubscriptionsByTopic: Amazon SNS API Reference (Subscriptions[]: SubscriptionArn, Owner, Protocol, Endpoint,
  TopicArn); an unconfirmed subscription's SubscriptionArn is "PendingConfirmation" (SNS Developer Guide,
  "Confirm your subscription"; CIS AWS Foundations v3.0.0 section 4 audit steps).
- GetDetector: Amazon GuardDuty API Reference (Status, Features[Name, Status], DataSources.S3Logs.Status).
moto 5.2 never answers "PendingConfirmation" and cannot stage the others, so these are judged as data.
"""

from __future__ import annotations

import pytest

from auditkit.auditors.aws.alerts import AlertRecord, LogGroupRef, wiring
from auditkit.auditors.aws.collect import AccountSnapshot, BucketRef, TrailRecord
from auditkit.policies.alerts.bindings import bound_corpus
from auditkit.policies.alerts.catalog import ALERTS_BY_ID
from auditkit.policies.alerts.corpus.aws import CORPORA, EXAMPLE_PARAMETERS, OTHER_BUCKET, PHI
from auditkit.policies.aws.alert_judges import Unjudged, assess_alert

ACCOUNT, REGION = "111122223333", "us-east-1"
GROUP = "aws-cloudtrail-logs-111122223333-6f3a"
GROUP_ARN = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{GROUP}:*"
TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT}:security-alerts"
ROOT = '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }'
DETECTOR = "12abc34d567e8fa901bc2d34e56789f0"


def metric_filter(name: str, pattern: str, metric: str) -> dict:
    return {
        "filterName": name,
        "filterPattern": pattern,
        "metricTransformations": [{"metricName": metric, "metricNamespace": "CISBenchmark", "metricValue": "1"}],
        "creationTime": 1714560000000,
        "logGroupName": GROUP,
    }


def alarm(name: str, metric: str, actions: list[str], enabled: bool = True) -> dict:
    return {
        "AlarmName": name,
        "AlarmArn": f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:{name}",
        "ActionsEnabled": enabled,
        "AlarmActions": actions,
        "MetricName": metric,
        "Namespace": "CISBenchmark",
        "Statistic": "Sum",
        "Period": 300,
        "EvaluationPeriods": 1,
        "Threshold": 1.0,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
    }


def subscription(arn: str, endpoint: str = "secops@example.com") -> dict:
    return {"SubscriptionArn": arn, "Owner": ACCOUNT, "Protocol": "email", "Endpoint": endpoint, "TopicArn": TOPIC}


def detector(features: list[dict] | None, s3_logs: str = "DISABLED") -> dict:
    return {
        "DetectorId": DETECTOR,
        "CreatedAt": "2024-05-01T12:00:00.000Z",
        "FindingPublishingFrequency": "SIX_HOURS",
        "ServiceRole": f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/guardduty.amazonaws.com/AWSServiceRoleForAmazonGuardDuty",
        "Status": "ENABLED",
        "DataSources": {"S3Logs": {"Status": s3_logs}},
        **({"Features": features} if features is not None else {}),
    }


def snapshot(buckets: tuple[str, ...] = PHI) -> AccountSnapshot:
    trail = {
        "Name": "management-events",
        "TrailARN": f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/management-events",
        "HomeRegion": REGION,
        "S3BucketName": EXAMPLE_PARAMETERS["archive_bucket"],
        "CloudWatchLogsLogGroupArn": GROUP_ARN,
    }
    return AccountSnapshot(ACCOUNT, [REGION], trails=[TrailRecord(trail)], buckets=[BucketRef(b) for b in buckets])


def record(filters, alarms, subscriptions, detectors=None) -> AlertRecord:
    s3 = [{"Name": "S3_DATA_EVENTS", "Status": "ENABLED", "UpdatedAt": "2024-05-01T12:00:00.000Z"}]
    return AlertRecord(
        [LogGroupRef(GROUP_ARN, ACCOUNT, REGION, GROUP)],
        filters,
        alarms,
        {TOPIC: subscriptions},
        {REGION: detectors if detectors is not None else [detector(s3)]},
    )


def judge(alert_id: str, rec: AlertRecord, snap: AccountSnapshot | None = None):
    return assess_alert(alert_id, wiring(snap or snapshot(), rec))


def test_a_subscription_pending_confirmation_reaches_nobody():
    rec = record(
        [metric_filter("root", ROOT, "RootUsage")],
        [alarm("root", "RootUsage", [TOPIC])],
        [subscription("PendingConfirmation")],
    )
    assert judge("root_use", rec).gaps == (
        f"alarm 'root': topic {TOPIC} has no confirmed subscription (1 pending confirmation)",
    )
    confirmed = subscription(f"{TOPIC}:80289ba6-0fd4-4079-afb4-ce8c8260f0ca")
    rec.topics[TOPIC] = [subscription("PendingConfirmation", "oncall@example.com"), confirmed]
    verdict = judge("root_use", rec)
    assert verdict.gaps == () and verdict.summary == f"filter 'root' -> alarm 'root' -> topic {TOPIC} (1 subscription)"


def test_a_metric_math_alarm_or_an_action_that_is_not_a_topic_reaches_nobody():
    math = {k: v for k, v in alarm("root-math", "RootUsage", [TOPIC]).items() if k not in ("MetricName", "Namespace")}
    math["Metrics"] = [{"Id": "m1", "Expression": "SUM(METRICS())", "ReturnData": True}]
    rec = record([metric_filter("root", ROOT, "RootUsage")], [math], [subscription(f"{TOPIC}:1")])
    assert judge("root_use", rec).gaps == ("filter 'root' feeds CISBenchmark/RootUsage, which no alarm watches",)
    ops_item = f"arn:aws:ssm:{REGION}:{ACCOUNT}:opsitem:3#CATEGORY=Security"
    rec.alarms = [alarm("root", "RootUsage", [ops_item])]
    assert judge("root_use", rec).gaps == (
        f"alarm 'root': its action {ops_item} is not an SNS topic AuditKit can follow to a recipient",
    )


def test_s3_protection_from_a_detector_older_than_features_counts():
    phi = metric_filter(
        "phi-reads",
        '{ ($.eventSource = "s3.amazonaws.com") && ($.eventName = "GetObject") && ($.errorCode NOT EXISTS) && '
        '($.requestParameters.bucketName = "phi-*") }',
        "PhiReads",
    )
    args = ([phi], [alarm("phi-reads", "PhiReads", [TOPIC])], [subscription(f"{TOPIC}:1")])
    legacy = record(*args, detectors=[detector(None, s3_logs="ENABLED")])
    assert judge("phi_read_volume", legacy).gaps == ()
    off = record(*args, detectors=[detector([{"Name": "S3_DATA_EVENTS", "Status": "DISABLED"}])])
    assert judge("phi_read_volume", off).gaps == (
        f"GuardDuty detector {DETECTOR} in {REGION} has S3 Protection (S3_DATA_EVENTS) off",
    )
    none = record(*args, detectors=[])
    assert judge("phi_read_volume", none).gaps == (
        f"no GuardDuty detector in {REGION}: anomalous S3 access (S3 Protection) is not watched",
    )
    unread = record(*args)
    unread.detectors[REGION] = None
    with pytest.raises(Unjudged, match="GuardDuty could not be read"):
        judge("phi_read_volume", unread)


def test_a_phi_filter_must_count_every_bucket_in_scope_and_names_the_one_it_leaves_out():
    two = " || ".join(f'($.requestParameters.bucketName = "{b}")' for b in PHI)
    pattern = (
        '{ ($.eventSource = "s3.amazonaws.com") && ($.eventName = "GetObject") && ($.errorCode NOT EXISTS) && ('
        + two
        + ") }"
    )
    rec = record(
        [metric_filter("phi-reads", pattern, "PhiReads")],
        [alarm("phi-reads", "PhiReads", [TOPIC])],
        [subscription(f"{TOPIC}:1")],
    )
    assert judge("phi_read_volume", rec).gaps == ()
    third = "phi-billing-111122223333"
    gaps = judge("phi_read_volume", rec, snapshot((*PHI, third))).gaps
    assert len(gaps) == 1 and f"misses 'GetObject on PHI bucket by the app role ({third})'" in gaps[0]


def test_the_trails_own_archive_is_never_a_phi_bucket():
    snap = snapshot((*PHI, EXAMPLE_PARAMETERS["archive_bucket"]))
    assert wiring(snap, record([], [], [])).parameters["phi_buckets"] == PHI


def test_binding_replaces_example_names_and_keeps_near_misses_shaped():
    corpus = bound_corpus(CORPORA["phi_read_volume"], EXAMPLE_PARAMETERS, {"phi_buckets": ("a-phi", "b-phi", "c-phi")})
    names = [e.name for e in corpus.must_match]
    assert "GetObject on PHI bucket by the app role (c-phi)" in names and len(names) == 3 * 3
    near = {e.name: e.event["requestParameters"]["bucketName"] for e in corpus.must_not_match}
    assert near["HeadObject on PHI bucket"] == "a-phi" and near["GetObject on another bucket"] == OTHER_BUCKET
    assert not any(p in str(e.event) for e in corpus.must_match for p in PHI)


def test_the_parameterised_shipped_patterns_pass_their_corpus_bound_to_other_names():
    for alert_id in ("root_use", "audit_archive_tampering", "phi_read_volume"):
        variant = ALERTS_BY_ID[alert_id].on("aws")
        params = {"archive_bucket": "acme-audit", "phi_buckets": ["acme-phi-a", "acme-phi-b"]}
        pattern = variant.render(params)
        rec = record([metric_filter("f", pattern, "M")], [alarm("a", "M", [TOPIC])], [subscription(f"{TOPIC}:1")])
        snap = snapshot(("acme-phi-a", "acme-phi-b"))
        snap.trails[0].description["S3BucketName"] = "acme-audit"
        assert judge(alert_id, rec, snap).gaps == (), alert_id


def test_an_alarm_fires_only_if_the_alerts_burst_in_one_period_breaches_it():
    """MetricAlarm as DescribeAlarms returns it (CloudWatch API reference): Statistic, Period,
    EvaluationPeriods, DatapointsToAlarm, Threshold, ComparisonOperator decide whether 3 failed console
    logins in 5 minutes (the alert's threshold) put the alarm in ALARM."""
    pattern = ALERTS_BY_ID["console_login_failures"].on("aws").render({})
    confirmed = [subscription(f"{TOPIC}:80289ba6-0fd4-4079-afb4-ce8c8260f0ca")]

    def gaps(**change):
        a = {**alarm("failures", "ConsoleLoginFailures", [TOPIC]), **change}
        rec = record([metric_filter("failures", pattern, "ConsoleLoginFailures")], [a], confirmed)
        return judge("console_login_failures", rec).gaps

    per = "3 events in 300 s"
    assert gaps(Threshold=3.0) == gaps(Threshold=2.0, ComparisonOperator="GreaterThanThreshold") == ()
    assert gaps(Period=60, Threshold=3.0) == ()  # a shorter period: one of them holds the burst
    assert gaps(Threshold=5.0) == (
        f"alarm 'failures' fires on GreaterThanOrEqualToThreshold 5; {per} does not fire it",
    )
    assert gaps(Threshold=3.0, ComparisonOperator="GreaterThanThreshold") == (
        f"alarm 'failures' fires on GreaterThanThreshold 3; {per} does not fire it",
    )
    assert gaps(Threshold=3.0, ComparisonOperator="LessThanThreshold") == (
        f"alarm 'failures' fires on LessThanThreshold 3; {per} does not fire it",
    )
    assert gaps(Statistic="Average", Threshold=1.0) == (
        f"alarm 'failures' watches Average of the metric, not the number of events (Sum), so {per} may not fire it",
    )
    assert gaps(Period=3600, Threshold=3.0) == (
        f"alarm 'failures' counts over 3600 s; the alert needs {per} to fire it",
    )
    assert gaps(EvaluationPeriods=3, Threshold=3.0) == (
        f"alarm 'failures' needs 3 breaching periods in a row; {per} (one period) does not fire it",
    )
    assert gaps(EvaluationPeriods=3, DatapointsToAlarm=1, Threshold=3.0) == ()  # 1 out of 3 is enough

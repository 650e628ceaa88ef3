"""The live alert judges on the emulator: what the shipped component stores, and what customers write instead.

moto stores metric filters, alarms, SNS subscriptions and GuardDuty detectors but never evaluates a pattern
or emits a metric (moto 5.2): the judges read what is stored and AuditKit's evaluator decides what it matches.
"""

from __future__ import annotations

import pytest

from auditkit.auditors.aws.clients import CallLog
from auditkit.auditors.aws.scan import AwsScanOptions, scan_aws
from auditkit.auditors.findings import Status
from auditkit.policies.alerts.catalog import control_ids
from tests.aws_accounts import CA, REGIONS, TRAIL, only, scan, shipped_baseline
from tests.fault_proxy import Fault, FaultProxy

GROUP = f"/auditkit/t/cloudtrail/{TRAIL}"
TOPIC = "arn:aws:sns:us-east-1:123456789012:auditkit-t-alerts"
ROOT = "aws.alerts.root_use"


@pytest.fixture
def baseline(boto_session):
    return shipped_baseline(boto_session)


def _replace_filter(session, alert_id: str, pattern: str, name: str | None = None, metric: str | None = None) -> str:
    """Swap AuditKit's filter for one the customer wrote; its metric keeps feeding the shipped alarm unless named."""
    logs = session.client("logs")
    logs.delete_metric_filter(logGroupName=GROUP, filterName=f"auditkit-t-{alert_id}")
    name = name or f"customer-{alert_id}"
    logs.put_metric_filter(
        logGroupName=GROUP,
        filterName=name,
        filterPattern=pattern,
        metricTransformations=[{"metricName": metric or alert_id, "metricNamespace": "AuditKit/t", "metricValue": "1"}],
    )
    return name


def test_the_shipped_alerts_pass_with_one_call_per_log_group_alarm_page_and_topic(boto_session, baseline):
    calls = CallLog()
    report = scan_aws(AwsScanOptions(CA, regions=REGIONS), calls)
    alerts = [f for f in report.findings if f.control in control_ids("aws")]
    assert {f.control for f in alerts} == set(control_ids("aws")) and {f.status for f in alerts} == {Status.PASS}
    assert only(report, ROOT).message == (
        f"filter 'auditkit-t-root_use' -> alarm 'auditkit-t-root_use' -> topic {TOPIC} (1 subscription)"
    )
    assert only(report, "aws.alerts.phi_read_volume").message.endswith(
        "; GuardDuty S3 Protection on (detector "
        + boto_session.client("guardduty").list_detectors()["DetectorIds"][0]
        + ")"
    )
    alerting = {k: v for k, v in calls.counts.items() if k.split(":")[0] in ("logs", "cloudwatch", "sns", "guardduty")}
    assert alerting == {
        "logs:DescribeMetricFilters": 1,  # one log group
        "cloudwatch:DescribeAlarms": 1,  # one page of 18 alarms, in the log group's region
        "sns:ListSubscriptionsByTopic": 1,  # one topic
        "guardduty:ListDetectors": 1,
        "guardduty:GetDetector": 1,
    }


def test_a_differently_written_filter_that_matches_the_same_events_passes(boto_session, baseline):
    # No quotes, no spaces, clauses reordered: Prowler's text checks trip on each of these.
    _replace_filter(
        boto_session,
        "root_use",
        '{$.eventType!="AwsServiceEvent"&&$.userIdentity.invokedBy NOT EXISTS&&$.userIdentity.type=Root}',
    )
    _replace_filter(
        boto_session,
        "kms_key_changes",
        "{ ($.eventName=ScheduleKeyDeletion || $.eventName=DisableKey || $.eventName=PutKeyPolicy) "
        "&& $.eventSource=kms.amazonaws.com }",
    )
    report = scan()
    assert only(report, ROOT).status is Status.PASS
    assert only(report, ROOT).message.startswith("filter 'customer-root_use' -> alarm 'auditkit-t-root_use'")
    assert only(report, "aws.alerts.kms_key_changes").status is Status.PASS


def test_a_neutered_filter_fails_naming_the_events_it_misses(boto_session, baseline):
    # One extra clause: the text still reads like CIS 4.3, and root sign-ins from the console slip through.
    _replace_filter(
        boto_session,
        "root_use",
        '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && '
        '$.eventType != "AwsServiceEvent" && $.eventName != "ConsoleLogin" }',
    )
    finding = only(scan(), ROOT)
    assert finding.status is Status.FAIL
    assert finding.message == (
        f"no metric filter on {GROUP} matches the alert exactly: filter 'customer-root_use' misses "
        "'root console sign-in'"
    )


def test_the_cis_v3_unauthorized_calls_pattern_fails_for_what_it_also_matches(boto_session, baseline):
    from auditkit.policies.alerts.aws_alerts import CIS_V3_UNAUTHORIZED_CALLS

    _replace_filter(boto_session, "unauthorized_calls", CIS_V3_UNAUTHORIZED_CALLS)
    finding = only(scan(), "aws.alerts.unauthorized_calls")
    assert finding.status is Status.FAIL
    assert "filter 'customer-unauthorized_calls' also matches" in finding.message


def test_an_unparseable_pattern_is_an_error_naming_the_filter(boto_session, baseline):
    name = _replace_filter(boto_session, "root_use", '{ $.userIdentity.type = "Root" && }')
    finding = only(scan(), ROOT)
    assert finding.status is Status.ERROR
    assert finding.message.startswith(f"filter {name!r} could not be read: ")


def test_an_alarm_with_its_actions_disabled_or_without_an_action_fails(boto_session, baseline):
    cw = boto_session.client("cloudwatch")
    changes = {"auditkit-t-root_use": {"ActionsEnabled": False}, "auditkit-t-kms_key_changes": {"AlarmActions": []}}
    for alarm in cw.describe_alarms(AlarmNames=list(changes))["MetricAlarms"]:
        change = changes[alarm["AlarmName"]]
        keys = ("AlarmName", "MetricName", "Namespace", "Statistic", "Period", "EvaluationPeriods", "Threshold")
        request = {k: alarm[k] for k in (*keys, "ComparisonOperator", "ActionsEnabled", "AlarmActions")}
        cw.put_metric_alarm(**{**request, **change})
    report = scan()
    kms = only(report, "aws.alerts.kms_key_changes")
    assert (kms.status, kms.message) == (Status.FAIL, "alarm 'auditkit-t-kms_key_changes' has no ALARM action")
    root = only(report, ROOT)
    assert (root.status, root.message) == (Status.FAIL, "alarm 'auditkit-t-root_use' has its actions disabled")


def test_a_filter_whose_metric_no_alarm_watches_fails(boto_session, baseline):
    _replace_filter(boto_session, "root_use", '{ $.userIdentity.type = "Root" }', metric="RootActivity")
    finding = only(scan(), ROOT)
    # A broader filter: it also matches what the alert must not, and nothing watches its metric anyway.
    assert finding.status is Status.FAIL and "also matches" in finding.message


def test_a_topic_without_a_confirmed_subscription_fails(boto_session, baseline):
    sns = boto_session.client("sns")
    for s in sns.list_subscriptions_by_topic(TopicArn=TOPIC)["Subscriptions"]:
        sns.unsubscribe(SubscriptionArn=s["SubscriptionArn"])
    report = scan()
    alerts = [f for f in report.findings if f.control in control_ids("aws")]
    assert {f.status for f in alerts} == {Status.FAIL}
    assert only(report, ROOT).message == (
        f"alarm 'auditkit-t-root_use': topic {TOPIC} has no confirmed subscription (no subscription)"
    )


def test_no_guardduty_s3_protection_fails_only_the_phi_read_volume_alert(boto_session, baseline):
    gd = boto_session.client("guardduty")
    detector = gd.list_detectors()["DetectorIds"][0]
    gd.update_detector(DetectorId=detector, Features=[{"Name": "S3_DATA_EVENTS", "Status": "DISABLED"}])
    report = scan()
    phi = only(report, "aws.alerts.phi_read_volume")
    assert (phi.status, phi.message) == (
        Status.FAIL,
        f"GuardDuty detector {detector} in us-east-1 has S3 Protection (S3_DATA_EVENTS) off",
    )
    assert only(report, ROOT).status is Status.PASS


@pytest.fixture
def proxy(aws_emulator, boto_session, monkeypatch):
    shipped_baseline(boto_session)
    p = FaultProxy(aws_emulator)
    monkeypatch.setenv("AWS_ENDPOINT_URL", p.endpoint)
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
    yield p
    p.close()


def test_unreadable_guardduty_is_an_error_of_the_phi_alert_only(proxy):
    proxy.faults.append(Fault(lambda c: c.service == "guardduty", "denied"))
    report = scan()
    phi = only(report, "aws.alerts.phi_read_volume")
    assert phi.status is Status.ERROR
    assert phi.message.startswith("GuardDuty could not be read; could not read ListDetectors (guardduty detectors in")
    others = [f for f in report.findings if f.control != phi.control]
    assert {f.status for f in others} == {Status.PASS}
    assert report.exit_code() == 2


def test_unreadable_metric_filters_make_every_alert_an_error(proxy):
    proxy.faults.append(Fault(lambda c: c.operation == "DescribeMetricFilters", "denied"))
    report = scan()
    alerts = [f for f in report.findings if f.control in control_ids("aws")]
    assert {f.status for f in alerts} == {Status.ERROR}
    assert "could not read DescribeMetricFilters" in only(report, ROOT).message
    assert only(report, "aws.trail.logging").status is Status.PASS


def test_unreadable_subscriptions_are_an_error_not_a_fail(proxy):
    proxy.faults.append(Fault(lambda c: c.operation == "ListSubscriptionsByTopic", "denied"))
    finding = only(scan(), ROOT)
    assert finding.status is Status.ERROR
    assert finding.message.startswith(f"the subscriptions of topic {TOPIC} could not be read")

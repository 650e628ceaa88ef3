"""Fail closed: what the scan could not read is ERROR (exit 2), never PASS; the rest is still judged."""

import pytest

from auditkit.auditors.cli import main
from auditkit.auditors.findings import Status
from auditkit.policies.alerts.catalog import control_ids
from tests.aws_accounts import TRAIL, scan, set_s3_selector, shipped_baseline, statuses
from tests.fault_proxy import Fault, proxied

# Slow (the fault matrix on the wire): left out of `make test`, run by `make test-slow` (CI runs both).
pytestmark = pytest.mark.slow


@pytest.fixture
def proxy(read_only_baseline, moto_endpoint, monkeypatch):
    """Faults on the wire in front of the shared baseline, which these tests only read."""
    with proxied(moto_endpoint, monkeypatch, max_attempts=2) as p:
        yield p


@pytest.fixture
def proxy_to_own_account(aws_emulator, boto_session, monkeypatch):
    """Faults on the wire in front of this test's own baseline, which it changes first."""
    shipped_baseline(boto_session)
    with proxied(aws_emulator, monkeypatch, max_attempts=2) as p:
        yield p


def test_access_denied_on_one_s3_call(proxy):
    proxy.faults.append(Fault(lambda c: c.operation == "GetObjectLockConfiguration", "denied"))
    report = scan()
    lock = [f for f in report.findings if f.control == "aws.bucket.object_lock"]
    assert [f.status for f in lock] == [Status.ERROR]
    assert "could not read GetObjectLockConfiguration" in lock[0].message and "AccessDenied" in lock[0].message
    others = [f for f in report.findings if f.control != "aws.bucket.object_lock"]
    assert others and all(f.status is Status.PASS for f in others)
    assert report.exit_code() == 2


def test_access_denied_on_cloudtrail_status(proxy):
    proxy.faults.append(Fault(lambda c: c.operation == "GetTrailStatus", "denied"))
    report = scan()
    logging = [f for f in report.findings if f.control == "aws.trail.logging"]
    assert [(f.status, "AccessDeniedException" in f.message) for f in logging] == [(Status.ERROR, True)]
    # Whether the trail records is unknown: its delivery and every coverage it would prove are ERROR, not PASS.
    # The alerts rest on filters, alarms and topics, not on the trail's status: whether it logs is aws.trail.logging's.
    alerts = set(control_ids("aws"))
    assert report.counts() == {"PASS": 5 + len(alerts), "FAIL": 0, "ERROR": 7}
    assert {f.control for f in report.findings if f.status is Status.PASS} == {
        "aws.trail.log_validation",
        "aws.trail.kms",
        "aws.bucket.object_lock",
        "aws.bucket.lifecycle",
        "aws.bucket.hardening",
        *alerts,
    }


# What a region's trail listing failure leaves unknown: a trail homed there, and its archive.
TRAIL_AND_ARCHIVE_CONTROLS = {
    "aws.trail.logging",
    "aws.trail.log_validation",
    "aws.trail.kms",
    "aws.trail.cloudwatch",
    "aws.bucket.object_lock",
    "aws.bucket.lifecycle",
    "aws.bucket.hardening",
}
WEST_TRAILS = "arn:aws:cloudtrail:us-west-2:123456789012:trail/*"


def test_a_region_that_times_out_is_an_error_but_proven_coverage_still_passes(proxy):
    proxy.faults.append(Fault(lambda c: c.service == "cloudtrail" and c.region == "us-west-2", "stall", seconds=3))
    report = scan(timeout=1.0)
    errors = [f for f in report.findings if f.status is Status.ERROR]
    # A trail homed in us-west-2 could exist: each trail and archive control is ERROR for that region's trails.
    assert {(f.control, f.resource, f.region) for f in errors} == {
        (c, WEST_TRAILS, "us-west-2") for c in TRAIL_AND_ARCHIVE_CONTROLS
    }
    assert len(errors) == 7 and all("Timeout" in f.message for f in errors)
    # The multi-region trail from us-east-1 proves coverage; a trail we could not list can only add to it.
    assert set(statuses(report, "aws.trail.s3_data_events").values()) == {Status.PASS}
    assert statuses(report, "aws.trail.multi_region") == {"arn:aws:iam::123456789012:root": Status.PASS}
    assert report.exit_code() == 2


def test_throttling_after_retries_is_an_error(proxy):
    proxy.faults.append(Fault(lambda c: c.operation == "GetEventSelectors", "throttle"))
    report = scan()
    attempts = [c for c in proxy.seen if c.operation == "GetEventSelectors"]
    assert len(attempts) == 2  # AWS_MAX_ATTEMPTS=2: retried once, then judged ERROR
    assert statuses(report, "aws.trail.s3_data_events") == {
        "arn:aws:s3:::phi-records": Status.ERROR,
        "arn:aws:s3:::phi-imaging": Status.ERROR,
    }
    assert {f.control for f in report.findings if f.status is Status.ERROR} == {
        "aws.trail.multi_region",
        "aws.trail.s3_data_events",
        "aws.trail.lambda_data_events",
        "aws.trail.dynamodb_data_events",
    }
    assert "ThrottlingException" in report.findings[-1].message or any("Throttling" in f.message for f in report.gaps)


def test_unknown_response_shape_is_an_error(proxy):
    proxy.faults.append(
        Fault(
            lambda c: c.operation == "GetEventSelectors",
            "respond",
            payload={
                "AdvancedEventSelectors": [
                    {"Name": "odd", "FieldSelectors": [{"Field": "resources.ARN", "Matches": ["x"]}]}
                ]
            },
        )
    )
    report = scan()
    assert set(statuses(report, "aws.trail.s3_data_events").values()) == {Status.ERROR}
    assert any("UnexpectedResponse" in f.message for f in report.gaps)


def test_bucket_list_denied(proxy):
    proxy.faults.append(Fault(lambda c: c.operation == "ListBuckets", "denied"))
    report = scan()
    s3 = [f for f in report.findings if f.control == "aws.trail.s3_data_events"]
    assert [(f.status, f.resource) for f in s3] == [(Status.ERROR, "arn:aws:iam::123456789012:root")]
    assert f"trail/{TRAIL}" in next(f.resource for f in report.findings if f.control == "aws.trail.logging")


def test_describe_trails_without_trail_list_is_error_not_no_trail(proxy):
    proxy.faults.append(
        Fault(lambda c: c.operation == "DescribeTrails" and c.region == "us-east-1", "respond", payload={})
    )
    report = scan()
    assert any(
        f.status is Status.ERROR and "DescribeTrails" in f.message and f.region == "us-east-1" for f in report.findings
    )
    assert report.exit_code() == 2


def test_get_trail_status_without_is_logging_errors_what_depends_on_it(proxy):
    proxy.faults.append(Fault(lambda c: c.operation == "GetTrailStatus", "respond", payload={}))
    report = scan()
    # Unknown logging: no delivery verdict, and a trail that may record nothing cannot prove coverage.
    assert {f.control for f in report.findings if f.status is Status.ERROR} == {
        "aws.trail.logging",
        "aws.trail.cloudwatch",
        "aws.trail.multi_region",
        "aws.trail.s3_data_events",
        "aws.trail.lambda_data_events",
        "aws.trail.dynamodb_data_events",
    }
    per_trail = {
        f.control: f.status for f in report.findings if f.control in ("aws.trail.kms", "aws.trail.log_validation")
    }
    assert per_trail == {"aws.trail.kms": Status.PASS, "aws.trail.log_validation": Status.PASS}


def test_selectors_response_without_selectors_is_error(proxy):
    proxy.faults.append(Fault(lambda c: c.operation == "GetEventSelectors", "respond", payload={"TrailARN": "x"}))
    report = scan()
    assert set(statuses(report, "aws.trail.s3_data_events").values()) == {Status.ERROR}
    assert statuses(report, "aws.trail.multi_region") != {}
    assert Status.PASS not in {f.status for f in report.findings if f.control == "aws.trail.multi_region"}


def test_incomplete_coverage_with_an_unreadable_region_is_error_not_fail(proxy_to_own_account, boto_session):
    set_s3_selector(boto_session, {"Field": "resources.ARN", "StartsWith": ["arn:aws:s3:::phi-records/"]})
    proxy_to_own_account.faults.append(
        Fault(
            lambda c: c.service == "cloudtrail" and c.region == "us-west-2" and c.operation == "DescribeTrails",
            "denied",
        )
    )
    report = scan()
    assert statuses(report, "aws.trail.s3_data_events") == {
        "arn:aws:s3:::phi-records": Status.PASS,
        "arn:aws:s3:::phi-imaging": Status.ERROR,
    }


def test_a_failed_region_does_not_blur_what_a_trail_itself_says(proxy_to_own_account, boto_session):
    # The trail's own settings were read: validation off is a FAIL, whatever another region answered.
    boto_session.client("cloudtrail").update_trail(Name="auditkit-test", EnableLogFileValidation=False)
    proxy_to_own_account.faults.append(
        Fault(
            lambda c: c.service == "cloudtrail" and c.region == "us-west-2" and c.operation == "DescribeTrails",
            "denied",
        )
    )
    report = scan()
    assert statuses(report, "aws.trail.log_validation") == {
        "arn:aws:cloudtrail:us-east-1:123456789012:trail/auditkit-test": Status.FAIL,
        WEST_TRAILS: Status.ERROR,
    }
    assert report.exit_code() == 2  # the unread region still says so


def test_a_stopped_trail_is_a_fail_even_with_a_region_unread(proxy_to_own_account, boto_session):
    boto_session.client("cloudtrail").stop_logging(Name="auditkit-test")
    proxy_to_own_account.faults.append(
        Fault(
            lambda c: c.service == "cloudtrail" and c.region == "us-west-2" and c.operation == "DescribeTrails",
            "denied",
        )
    )
    assert statuses(scan(), "aws.trail.logging") == {
        "arn:aws:cloudtrail:us-east-1:123456789012:trail/auditkit-test": Status.FAIL,
        WEST_TRAILS: Status.ERROR,
    }


def test_unreadable_access_logging_makes_incomplete_coverage_an_error(proxy_to_own_account, boto_session):
    set_s3_selector(boto_session, {"Field": "resources.ARN", "StartsWith": ["arn:aws:s3:::phi-records/"]})
    proxy_to_own_account.faults.append(Fault(lambda c: c.operation == "GetBucketLogging", "denied"))
    report = scan()
    # phi-imaging is uncovered, but it might be the archive's access-log bucket: ERROR, not FAIL.
    assert statuses(report, "aws.trail.s3_data_events")["arn:aws:s3:::phi-imaging"] is Status.ERROR
    assert statuses(report, "aws.trail.s3_data_events")["arn:aws:s3:::phi-records"] is Status.PASS


def test_a_scan_that_crashes_exits_2_never_1_or_0(capsys, monkeypatch):
    # A profile that does not exist is an ERROR finding in a written report: crash on purpose instead.
    from auditkit.auditors.aws import scan as aws_scan

    def crash(profile: object, region: object) -> None:
        raise RuntimeError("a bug nobody expected")

    monkeypatch.setattr(aws_scan, "credential_problem", crash)
    assert main(["scan", "aws", "--region", "us-east-1"]) == 2
    assert "auditkit could not finish: RuntimeError: a bug nobody expected" in capsys.readouterr().err


def test_trails_nobody_could_list_are_never_called_absent(proxy):
    proxy.faults.append(Fault(lambda c: c.operation == "DescribeTrails", "denied"))
    report = scan()
    multi = [f for f in report.findings if f.control == "aws.trail.multi_region"]
    assert [f.status for f in multi] == [Status.ERROR]
    assert "no trail found where the trails could be listed" in multi[0].message
    assert "no CloudTrail trail in the account" not in multi[0].message

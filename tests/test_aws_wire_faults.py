"""`scan aws` through the fault proxy (tests/fault_proxy.py), on the shipped baseline (12 PASS when clean).

What a network does to one call (a 5xx, throttling, a reset, a body cut short with a FIN, an empty 200,
half a body) ends in the clean verdicts: asked again. What stays broken (a denial, an answer that is always
empty or cut, a repeated page token, a drip) is ERROR on exactly the verdicts that read it, with exit 2:
never a PASS, never a made-up FAIL, never a verdict silently absent.
"""

import boto3
import pytest

from auditkit.auditors.failures import Deadline
from auditkit.auditors.findings import Status
from auditkit.policies.alerts.catalog import control_ids
from tests.aws_accounts import PHI, SCANNED_CONTROLS, TRAIL, scan, shipped_baseline
from tests.fault_proxy import Fault, FaultProxy

# Slow (the fault matrix on the wire): left out of `make test`, run by `make test-slow` (CI runs both).
pytestmark = pytest.mark.slow

ACCOUNT = "123456789012"
ROOT = f"arn:aws:iam::{ACCOUNT}:root"
TRAIL_ARN = f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/{TRAIL}"
ALL_CONTROLS = SCANNED_CONTROLS


@pytest.fixture
def world(aws_emulator, boto_session, monkeypatch):
    archive = shipped_baseline(boto_session)
    p = FaultProxy(aws_emulator)
    monkeypatch.setenv("AWS_ENDPOINT_URL", p.endpoint)
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
    monkeypatch.setenv("AWS_RETRY_MODE", "standard")
    yield p, archive
    p.close()


def verdicts(report) -> set[tuple[str, str, Status]]:
    return {(f.control, f.resource, f.status) for f in report.findings}


def clean(archive: str) -> set[tuple[str, str, Status]]:
    """The shipped baseline's verdicts, subject by subject: the 12 controls and every alert PASS."""
    bucket = f"arn:aws:s3:::{archive}"
    return {
        *((f"aws.trail.{c}", TRAIL_ARN, Status.PASS) for c in ("logging", "log_validation", "kms", "cloudwatch")),
        *(
            (f"aws.trail.{c}", ROOT, Status.PASS)
            for c in ("multi_region", "lambda_data_events", "dynamodb_data_events")
        ),
        *(("aws.trail.s3_data_events", f"arn:aws:s3:::{b}", Status.PASS) for b in PHI),
        *((f"aws.bucket.{c}", bucket, Status.PASS) for c in ("object_lock", "lifecycle", "hardening")),
        *((c, ROOT, Status.PASS) for c in control_ids("aws")),
    }


def errors(report) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for f in report.findings:
        if f.status is Status.ERROR:
            out.setdefault(f.control, set()).add(f.resource)
    return out


def test_the_clean_world_through_the_proxy(world):
    proxy, archive = world
    report = scan()
    assert verdicts(report) == clean(archive) and report.exit_code() == 0


@pytest.mark.parametrize(
    ("kind", "operation"),
    [
        ("unavailable", "GetTrailStatus"),
        ("unavailable", "ListBuckets"),
        ("throttle", "DescribeTrails"),
        ("reset", "GetCallerIdentity"),
        # A single early close (Content-Length declared, half sent, FIN) from CloudTrail, KMS, STS and S3.
        ("short", "GetEventSelectors"),
        ("short", "DescribeKey"),
        ("short", "GetCallerIdentity"),
        ("short", "GetBucketPolicy"),
        # One empty 200 where the API always sends a document: asked again, never "not configured".
        ("empty", "GetObjectLockConfiguration"),
        ("empty", "GetPublicAccessBlock"),
        ("empty", "GetBucketVersioning"),
        ("empty", "GetBucketLogging"),
        # Half a body with a Content-Length that matches it: JSON and XML that do not parse.
        ("half", "DescribeTrails"),
        ("half", "ListBuckets"),
    ],
)
def test_one_transient_fault_ends_in_the_clean_verdicts(world, kind, operation):
    proxy, archive = world
    proxy.faults.append(Fault(lambda c: c.operation == operation, kind, times=1))
    report = scan()
    assert verdicts(report) == clean(archive), report.as_json()
    assert report.exit_code() == 0
    assert len(proxy.calls(operation)) >= 2  # the broken answer was asked again


@pytest.mark.parametrize("kind", ["denied", "reset", "short", "empty"])
def test_no_account_identity_means_kms_and_the_account_block_are_errors(world, kind):
    """GetCallerIdentity denied, unreachable, truncated or empty: which keys and settings are this account's
    is unknown, so aws.trail.kms and the archive's hardening are ERROR; the rest is still judged."""
    proxy, archive = world
    proxy.faults.append(Fault(lambda c: c.operation == "GetCallerIdentity", kind))
    report = scan()
    assert errors(report) == {
        "aws.trail.kms": {TRAIL_ARN},
        "aws.bucket.hardening": {f"arn:aws:s3:::{archive}"},
    }
    assert "GetCallerIdentity" in next(f.message for f in report.findings if f.control == "aws.trail.kms")
    assert {f.control for f in report.findings} == ALL_CONTROLS
    assert report.counts() == {"PASS": 10, "FAIL": 0, "ERROR": 2} and report.exit_code() == 2


def test_an_organization_trail_with_an_unknown_account_keeps_its_archive_and_makes_no_fail(world, boto_session):
    proxy, archive = world
    boto3.Session(region_name="us-east-1").client("cloudtrail", endpoint_url=proxy.upstream).update_trail(
        Name=TRAIL, IsOrganizationTrail=True
    )
    proxy.faults.append(Fault(lambda c: c.operation == "GetCallerIdentity", "denied"))
    report = scan()
    bucket = f"arn:aws:s3:::{archive}"
    # The archive is still judged (it could be the organization's: then its reads are denied, an ERROR) ...
    assert {(f.control, f.status) for f in report.findings if f.resource == bucket} >= {
        ("aws.bucket.object_lock", Status.PASS),
        ("aws.bucket.lifecycle", Status.PASS),
        ("aws.bucket.hardening", Status.ERROR),
    }
    # ... so its access-log bucket is known as such: no false FAIL on it, nor anywhere.
    assert report.counts()["FAIL"] == 0
    assert errors(report) == {"aws.trail.kms": {TRAIL_ARN}, "aws.bucket.hardening": {bucket}}


@pytest.mark.parametrize(
    ("kind", "operation", "expected"),
    [
        ("empty", "GetObjectLockConfiguration", {"aws.bucket.object_lock"}),
        ("empty", "GetPublicAccessBlock", {"aws.bucket.hardening"}),
        ("empty", "GetBucketVersioning", {"aws.bucket.hardening"}),
        ("denied", "GetBucketLocation", {"aws.bucket.hardening"}),
        ("denied", "GetBucketLifecycleConfiguration", {"aws.bucket.lifecycle"}),
        ("short", "GetBucketEncryption", {"aws.bucket.hardening"}),
        ("unavailable", "DescribeKey", {"aws.trail.kms", "aws.bucket.hardening"}),
    ],
)
def test_an_archive_read_that_stays_broken_errs_only_the_controls_reading_it(world, kind, operation, expected):
    proxy, archive = world
    proxy.faults.append(Fault(lambda c: c.operation == operation, kind))
    report = scan()
    assert set(errors(report)) == expected, report.as_json()
    assert report.counts()["FAIL"] == 0 and report.exit_code() == 2
    assert operation in next(f.message for f in report.findings if f.status is Status.ERROR)


def test_one_odd_archive_answer_errs_only_its_control(world):
    """A lifecycle rule without its Status (always sent, S3 API reference): lifecycle is ERROR, object lock
    and hardening are still judged."""
    proxy, archive = world
    odd = (
        "<LifecycleConfiguration><Rule><ID>logs</ID><Filter><Prefix></Prefix></Filter>"
        "<Expiration><Days>2557</Days></Expiration></Rule></LifecycleConfiguration>"
    )
    proxy.faults.append(
        Fault(lambda c: c.operation == "GetBucketLifecycleConfiguration", "respond_raw", raw=("application/xml", odd))
    )
    report = scan()
    assert errors(report) == {"aws.bucket.lifecycle": {f"arn:aws:s3:::{archive}"}}
    assert "UnexpectedResponse" in next(f.message for f in report.findings if f.status is Status.ERROR)


def test_an_empty_access_logging_answer_is_an_error_on_the_bucket_it_hides_never_a_fail(world):
    proxy, archive = world
    proxy.faults.append(Fault(lambda c: c.operation == "GetBucketLogging", "empty"))
    report = scan()
    # The PHI read-volume alert counts the buckets in scope: which those are rests on the same answer.
    assert errors(report) == {
        "aws.trail.s3_data_events": {f"arn:aws:s3:::{archive}-access"},
        "aws.alerts.phi_read_volume": {ROOT},
    }
    assert [f"{f.control} {f.resource}: {f.message}" for f in report.findings if f.status is Status.FAIL] == []
    assert report.exit_code() == 2


def test_failed_trail_listings_leave_every_trail_and_archive_control_an_error_never_absent(world):
    proxy, _archive = world
    proxy.faults.append(Fault(lambda c: c.operation == "DescribeTrails", "denied"))
    report = scan()
    assert {f.control for f in report.findings} == ALL_CONTROLS | set(control_ids("aws"))
    assert {f.status for f in report.findings} == {Status.ERROR}
    listed = {f"arn:aws:cloudtrail:{r}:{ACCOUNT}:trail/*" for r in ("us-east-1", "us-west-2")}
    for control in ("aws.trail.logging", "aws.trail.kms", "aws.bucket.object_lock", "aws.bucket.hardening"):
        assert errors(report)[control] == listed
    assert report.exit_code() == 2


def test_a_repeated_bucket_page_token_is_an_error_at_once(world):
    proxy, _archive = world
    proxy.faults.append(Fault(lambda c: c.operation == "ListBuckets", "repeat_token"))
    report = scan()
    assert errors(report) == {"aws.trail.s3_data_events": {ROOT}, "aws.alerts.phi_read_volume": {ROOT}}
    assert "BrokenPaging" in next(f.message for f in report.gaps)
    assert len(proxy.calls("ListBuckets")) == 2  # the token came back once: no third page asked
    alerts = len(control_ids("aws"))
    assert report.counts() == {"PASS": 10 + alerts - 1, "FAIL": 0, "ERROR": 2} and report.exit_code() == 2


def test_a_repeated_tag_page_token_is_an_error(world, boto_session):
    proxy, _archive = world
    for b in PHI:
        boto_session.client("s3").put_bucket_tagging(
            Bucket=b, Tagging={"TagSet": [{"Key": "data-classification", "Value": "phi"}]}
        )
    proxy.faults.append(Fault(lambda c: c.operation == "GetResources", "repeat_token"))
    report = scan(scope_tag=("data-classification", "phi"))
    assert errors(report) == {"aws.trail.s3_data_events": {ROOT}, "aws.alerts.phi_read_volume": {ROOT}}
    assert all(len([c for c in proxy.calls("GetResources") if c.region == r]) == 2 for r in ("us-east-1", "us-west-2"))
    assert report.exit_code() == 2


def test_a_repeated_account_page_token_is_an_error_for_the_organization(world, boto_session):
    proxy, _archive = world
    boto_session.client("organizations").create_organization(FeatureSet="ALL")
    proxy.faults.append(Fault(lambda c: c.operation == "ListAccounts", "repeat_token"))
    report = scan(organization=True, role_name="AuditKitScan")
    assert [(f.status, f.resource) for f in report.findings] == [(Status.ERROR, "organizations:ListAccounts")]
    assert "BrokenPaging" in report.findings[0].message and len(proxy.calls("ListAccounts")) == 2


def test_a_drip_ends_at_the_whole_call_limit_as_an_error_of_what_reads_it(world):
    """One byte every 0.5 s never trips a 1 s socket timeout; the whole call (2 attempts x 1 s) does."""
    proxy, _archive = world
    proxy.faults.append(Fault(lambda c: c.operation == "GetEventSelectors", "drip", seconds=0.5))
    report = scan(timeout=1.0)
    assert set(errors(report)) == {
        "aws.trail.multi_region",
        "aws.trail.s3_data_events",
        "aws.trail.lambda_data_events",
        "aws.trail.dynamodb_data_events",
    }
    message = next(f.message for f in report.gaps)
    assert "GetEventSelectors" in message and "the whole call, retries included" in message
    assert report.exit_code() == 2


def test_the_run_deadline_writes_what_is_known_and_the_rest_is_error(world):
    """Every call drips: at the run's deadline each unread verdict is ERROR naming it; nothing passes."""
    proxy, _archive = world
    proxy.faults.append(Fault(lambda c: True, "drip", seconds=0.5))
    report = scan(timeout=5.0, deadline=Deadline.after(2))
    assert report.findings and {f.status for f in report.findings} == {Status.ERROR}
    assert all("--deadline 2 s" in f.message for f in report.findings)
    assert report.exit_code() == 2


@pytest.mark.parametrize(
    "args",
    [
        ["scan", "aws", "--deadline", "0"],
        ["scan", "gcp", "--project", "p", "--deadline", "-1"],
        ["scan", "azure", "--subscription", "s", "--deadline", "nan"],
        ["scan", "all", "--stack", "demo", "--deadline", "inf"],
    ],
)
def test_a_deadline_that_is_not_a_positive_number_is_refused_before_any_call(world, args, capsys):
    from auditkit.auditors.cli import main

    proxy, _archive = world
    assert main(args) == 2
    assert "error: --deadline=" in capsys.readouterr().err
    assert proxy.seen == []

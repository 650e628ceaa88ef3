"""The AWS drift scan against the emulator: every control, both verdicts.

What a trail's event selectors record, set through the CloudTrail API: tests/test_aws_scan_selectors.py.
"""

import boto3
import pytest

from auditkit.auditors.findings import Status
from auditkit.policies.alerts.catalog import control_ids
from tests.aws_accounts import PHI, SCANNED_CONTROLS, TRAIL, only, scan, set_s3_selector, shipped_baseline, statuses

AWS_CONTROLS = {
    *SCANNED_CONTROLS,
    *control_ids("aws"),  # one per high-risk activity alert (policies/alerts/catalog.py)
}


@pytest.fixture
def baseline(boto_session):
    """This test's own baseline, which it changes; returns the archive bucket's name."""
    return shipped_baseline(boto_session)


def test_shipped_baseline_passes_every_control(read_only_baseline):
    report = scan()
    assert {f.control for f in report.findings} == AWS_CONTROLS
    assert [f for f in report.findings if f.status is not Status.PASS] == []
    # The archive and its access-log bucket are destinations, never in scope for data events.
    assert set(statuses(report, "aws.trail.s3_data_events")) == {f"arn:aws:s3:::{b}" for b in PHI}
    assert report.exit_code() == 0


def test_multi_region_trail_is_seen_once_despite_shadow_copies(read_only_baseline):
    report = scan()
    logging = [f for f in report.findings if f.control == "aws.trail.logging"]
    assert [f.resource for f in logging] == [f"arn:aws:cloudtrail:us-east-1:123456789012:trail/{TRAIL}"]


def test_console_defaults_fail_with_citations(boto_session):
    s3, ct = boto_session.client("s3"), boto_session.client("cloudtrail")
    s3.create_bucket(Bucket="console-logs")
    s3.create_bucket(Bucket="phi-records")
    ct.create_trail(Name="console", S3BucketName="console-logs", IsMultiRegionTrail=True)
    ct.start_logging(Name="console")
    report = scan()
    failing = {f.control for f in report.findings if f.status is Status.FAIL}
    assert failing == AWS_CONTROLS - {"aws.trail.multi_region", "aws.trail.logging"}
    doc = report.as_json()
    s3_gap = next(f for f in doc["findings"] if f["control"] == "aws.trail.s3_data_events")
    assert s3_gap["resource"] == "arn:aws:s3:::phi-records"
    assert s3_gap["message"] == "phi-records: S3 object reads not recorded, writes not recorded"
    assert "45 CFR 164.312(b)" in s3_gap["citations"]["hipaa"]
    assert report.exit_code() == 1


def test_stopped_trail_records_nothing(boto_session, baseline):
    """A trail that is not logging contributes no coverage, and no message says "recorded"."""
    boto_session.client("cloudtrail").stop_logging(Name=TRAIL)
    report = scan()
    assert {f.control for f in report.gaps} == {
        "aws.trail.logging",
        "aws.trail.multi_region",
        "aws.trail.s3_data_events",
        "aws.trail.lambda_data_events",
        "aws.trail.dynamodb_data_events",
    }
    assert {f.status for f in report.gaps} == {Status.FAIL}
    assert only(report, "aws.trail.multi_region").message == f"trail {TRAIL} is not logging, so it records nothing"
    assert not any("recorded by" in f.message for f in report.findings)


def test_no_bucket_yet_still_needs_s3_data_events(boto_session):
    """With no trail recording S3 data events, the control FAILs even without a bucket."""
    s3, ct = boto_session.client("s3"), boto_session.client("cloudtrail")
    s3.create_bucket(Bucket="mgmt-logs")
    ct.create_trail(Name="mgmt", S3BucketName="mgmt-logs", IsMultiRegionTrail=True)
    ct.start_logging(Name="mgmt")
    s3_events = only(scan(), "aws.trail.s3_data_events")
    assert (s3_events.status, s3_events.message) == (
        Status.FAIL,
        "every bucket: S3 object reads not recorded, writes not recorded",
    )


def test_trail_settings_and_type_wide_data_events(boto_session):
    s3, ct = boto_session.client("s3"), boto_session.client("cloudtrail")
    s3.create_bucket(Bucket="plain-logs")
    key = boto_session.client("kms").create_key()["KeyMetadata"]["Arn"]
    ct.create_trail(
        Name="plain",
        S3BucketName="plain-logs",
        IsMultiRegionTrail=True,
        EnableLogFileValidation=True,
        KmsKeyId=key,
    )
    ct.put_event_selectors(
        TrailName="plain",
        AdvancedEventSelectors=[
            {"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]},
            {
                "FieldSelectors": [
                    {"Field": "eventCategory", "Equals": ["Data"]},
                    {"Field": "resources.type", "Equals": ["AWS::Lambda::Function"]},
                ]
            },
        ],
    )
    ct.start_logging(Name="plain")
    report = scan()
    by_control = {
        f.control: f.status
        for f in report.findings
        if f.control.startswith("aws.trail.") and f.control != "aws.trail.s3_data_events"
    }
    assert by_control == {
        "aws.trail.logging": Status.PASS,
        "aws.trail.log_validation": Status.PASS,
        "aws.trail.kms": Status.PASS,
        "aws.trail.cloudwatch": Status.FAIL,
        "aws.trail.multi_region": Status.PASS,
        "aws.trail.lambda_data_events": Status.PASS,
        "aws.trail.dynamodb_data_events": Status.FAIL,
    }


@pytest.mark.slow  # seconds a case: `make test-slow` runs it (CI runs both)
@pytest.mark.parametrize(
    ("change", "control", "message"),
    [
        (
            lambda s3, b: s3.put_object_lock_configuration(
                Bucket=b,
                ObjectLockConfiguration={
                    "ObjectLockEnabled": "Enabled",
                    "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Years": 7}},
                },
            ),
            "aws.bucket.object_lock",
            "default retention mode is GOVERNANCE; COMPLIANCE is required (GOVERNANCE can be bypassed)",
        ),
        (
            lambda s3, b: s3.put_object_lock_configuration(
                Bucket=b,
                ObjectLockConfiguration={
                    "ObjectLockEnabled": "Enabled",
                    "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Years": 1}},
                },
            ),
            "aws.bucket.object_lock",
            "default retention 1 years < required 7 years (2557 days) per 22 CCR 72543",
        ),
        (
            lambda s3, b: s3.put_bucket_lifecycle_configuration(
                Bucket=b,
                LifecycleConfiguration={
                    "Rules": [
                        {
                            "ID": "short",
                            "Status": "Enabled",
                            "Filter": {"Prefix": ""},
                            "Transitions": [{"Days": 30, "StorageClass": "GLACIER"}],
                            "Expiration": {"Days": 365},
                        }
                    ]
                },
            ),
            "aws.bucket.lifecycle",
            "rule 'short' expires objects after 365 days < required 7 years (2557 days) per 22 CCR 72543; "
            "no rule expires noncurrent versions: in a versioned bucket expiring a log only adds a delete marker, "
            "and its bytes stay forever",
        ),
        (
            lambda s3, b: s3.delete_bucket_lifecycle(Bucket=b),
            "aws.bucket.lifecycle",
            "no enabled lifecycle rule: logs are never tiered to colder storage",
        ),
        (
            lambda s3, b: s3.delete_public_access_block(Bucket=b),
            "aws.bucket.hardening",
            "no public access block (neither the bucket's nor the account's)",
        ),
        (
            lambda s3, b: s3.delete_bucket_policy(Bucket=b),
            "aws.bucket.hardening",
            "bucket policy does not deny requests without TLS (aws:SecureTransport=false); "
            "bucket policy does not let trail auditkit-test check the bucket ACL (s3:GetBucketAcl for "
            "arn:aws:cloudtrail:us-east-1:123456789012:trail/auditkit-test); "
            "bucket policy does not let trail auditkit-test write its log files under AWSLogs/123456789012/",
        ),
        (
            lambda s3, b: s3.put_bucket_encryption(
                Bucket=b,
                ServerSideEncryptionConfiguration={
                    "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
                },
            ),
            "aws.bucket.hardening",
            "default encryption is AES256; SSE-KMS with a customer key is required",
        ),
    ],
)
def test_archive_drift_by_hand(boto_session, baseline, change, control, message):
    change(boto_session.client("s3"), baseline)
    report = scan()
    gaps = [(f.control, f.resource, f.message) for f in report.gaps]
    assert gaps == [(control, f"arn:aws:s3:::{baseline}", message)]


def test_scope_tag_limits_buckets_in_scope(boto_session, baseline):
    s3 = boto_session.client("s3")
    s3.put_bucket_tagging(Bucket="phi-records", Tagging={"TagSet": [{"Key": "data-classification", "Value": "phi"}]})
    set_s3_selector(boto_session, {"Field": "resources.ARN", "StartsWith": ["arn:aws:s3:::phi-records/"]})
    assert {f.resource for f in scan().gaps} == {"arn:aws:s3:::phi-imaging"}
    assert scan(scope_tag=("data-classification", "phi")).gaps == []


def test_scope_tag_finds_buckets_outside_the_scanned_regions(boto_session):
    shipped_baseline(boto_session)
    s3 = boto_session.client("s3")
    s3.create_bucket(Bucket="phi-west", CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
    s3.put_bucket_tagging(Bucket="phi-west", Tagging={"TagSet": [{"Key": "data-classification", "Value": "phi"}]})
    report = scan(regions=("us-east-1",), scope_tag=("data-classification", "phi"))
    assert "arn:aws:s3:::phi-west" in statuses(report, "aws.trail.s3_data_events")


def test_findings_name_resources_in_the_credentials_partition(boto_session, monkeypatch):
    """GovCloud ARNs are `arn:aws-us-gov:...` (AWS General Reference, "Amazon Resource Names"): the
    account and bucket a finding names are written in the partition of the scanned region."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-gov-west-1")
    gov = boto3.Session(region_name="us-gov-west-1")
    s3, ct = gov.client("s3"), gov.client("cloudtrail")
    location = {"LocationConstraint": "us-gov-west-1"}
    s3.create_bucket(Bucket="gov-logs", CreateBucketConfiguration=location)
    s3.create_bucket(Bucket="gov-phi", CreateBucketConfiguration=location)
    ct.create_trail(Name="gov", S3BucketName="gov-logs", IsMultiRegionTrail=True)
    ct.start_logging(Name="gov")
    report = scan(regions=["us-gov-west-1"])
    resources = {f.resource for f in report.findings}
    assert "arn:aws-us-gov:s3:::gov-phi" in resources
    assert not [r for r in resources if r.startswith("arn:aws:")]

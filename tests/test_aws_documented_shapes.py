"""True verdicts on the shapes AWS documents, where moto differs from AWS.

moto has no delivery errors, reports alias/aws/s3 as a customer key, drops lifecycle size filters and
pages ListBuckets without a token. Those calls are answered by a loopback proxy in front of moto in
AWS's documented shape (botocore's service models are the schema, cited per test); everything else is
moto. Each case has both verdicts.
"""

from __future__ import annotations

import json

import boto3
import pytest

from auditkit.auditors.aws.clients import AccountSession
from auditkit.auditors.findings import Status
from tests.aws_accounts import PHI, TRAIL, only, scan, shipped_baseline, statuses
from tests.fault_proxy import Fault, FaultProxy, proxied

ACCOUNT = "123456789012"
TRAIL_ARN = f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/{TRAIL}"
XML = "application/xml"


@pytest.fixture
def archive(boto_session):
    """This test's own baseline, which it changes; returns the archive bucket's name."""
    return shipped_baseline(boto_session)


@pytest.fixture
def proxy(read_only_baseline, moto_endpoint, monkeypatch):
    """AWS's documented answers on the wire in front of the shared baseline, which these tests only read."""
    with proxied(moto_endpoint, monkeypatch, max_attempts=1) as p:
        yield p


@pytest.fixture
def proxy_to_own_archive(archive, aws_emulator, monkeypatch):
    """AWS's documented answers in front of this test's own baseline, which it changes first."""
    with proxied(aws_emulator, monkeypatch, max_attempts=1) as p:
        yield p


def trail_status(proxy: FaultProxy, **fields: object) -> None:
    """GetTrailStatusResponse (botocore cloudtrail 2013-11-01 service-2.json): timestamps are epoch seconds."""
    payload = {"IsLogging": True, "LatestDeliveryTime": 1764000000.0, "StartLoggingTime": 1763000000.0, **fields}
    proxy.faults.append(Fault(lambda c: c.operation == "GetTrailStatus", "respond", payload=payload))


@pytest.mark.slow
def test_a_trail_that_cannot_deliver_is_not_logging(proxy):
    """IsLogging true with LatestDeliveryError AccessDenied writes nothing: aws.trail.logging FAILs quoting it.

    botocore cloudtrail model, GetTrailStatusResponse.LatestDeliveryError: "Displays any Amazon S3 error that
    CloudTrail encountered when attempting to deliver log files ... fix the bucket policy".
    """
    trail_status(proxy, LatestDeliveryError="AccessDenied")
    logging = only(scan(), "aws.trail.logging")
    assert logging.status is Status.FAIL
    assert logging.message == (
        f"trail {TRAIL} cannot deliver log files to s3://auditkit-t-{ACCOUNT}-us-east-1: AccessDenied "
        "(last successful delivery: 2025-11-24T16:00:00+00:00)"
    )


def test_delivery_without_errors_and_recovered_errors_pass(proxy):
    """The other verdict: no error, or an error older than the last successful delivery (the last attempt
    time, LatestDeliveryAttemptTime, is before LatestDeliveryTime)."""
    trail_status(proxy, LatestDeliveryError="AccessDenied", LatestDeliveryAttemptTime="2025-11-24T15:55:00Z")
    report = scan()
    assert only(report, "aws.trail.logging").status is Status.PASS
    assert report.exit_code() == 0


def test_digest_and_cloudwatch_delivery_errors(proxy):
    """LatestDigestDeliveryError fails logging; LatestCloudWatchLogsDeliveryError fails aws.trail.cloudwatch
    (same model, GetTrailStatusResponse)."""
    trail_status(
        proxy, LatestDigestDeliveryError="NoSuchBucket", LatestCloudWatchLogsDeliveryError="AccessDeniedException"
    )
    report = scan()
    assert "cannot deliver digest files" in only(report, "aws.trail.logging").message
    cw = only(report, "aws.trail.cloudwatch")
    assert (cw.status, cw.message.split(" (")[0]) == (
        Status.FAIL,
        f"trail {TRAIL} cannot deliver to CloudWatch Logs: AccessDeniedException",
    )


def _key_of(boto_session, archive: str) -> str:
    rules = boto_session.client("s3").get_bucket_encryption(Bucket=archive)["ServerSideEncryptionConfiguration"]
    return rules["Rules"][0]["ApplyServerSideEncryptionByDefault"]["KMSMasterKeyID"]


def test_key_manager_decides_customer_managed(proxy, read_only_baseline):
    """A key id is resolved with kms:DescribeKey; KeyMetadata.KeyManager "AWS" fails, "CUSTOMER" passes.

    botocore kms 2014-11-01 model, DescribeKeyResponse.KeyMetadata.KeyManager (enum AWS | CUSTOMER).
    """
    key = _key_of(boto3.Session(region_name="us-east-1"), read_only_baseline)
    assert only(scan(), "aws.bucket.hardening").status is Status.PASS  # moto: KeyManager CUSTOMER
    metadata = {"AWSAccountId": ACCOUNT, "KeyId": key.split("/")[-1], "Arn": key, "KeyManager": "AWS"}
    proxy.faults.append(Fault(lambda c: c.operation == "DescribeKey", "respond", payload={"KeyMetadata": metadata}))
    hardening = only(scan(), "aws.bucket.hardening")
    assert (hardening.status, hardening.message) == (
        Status.FAIL,
        f"SSE-KMS with the AWS-managed key {key}, not a customer-managed one",
    )


def test_unreadable_key_is_error(proxy):
    """DescribeKey denied: whether the key is customer-managed is unknown, so hardening (and the trail's
    kms control) are ERROR, never PASS."""
    proxy.faults.append(Fault(lambda c: c.operation == "DescribeKey", "denied"))
    report = scan()
    assert only(report, "aws.bucket.hardening").status is Status.ERROR
    assert only(report, "aws.trail.kms").status is Status.ERROR
    assert report.exit_code() == 2


def lifecycle_xml(*rules: str, minimum: str | None = None) -> tuple[str, str]:
    """S3 API Reference, GetBucketLifecycleConfiguration: <LifecycleConfiguration><Rule>…; the default
    minimum transition size is the x-amz-transition-default-minimum-object-size header (botocore s3 model)."""
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<LifecycleConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
        + "".join(rules)
        + "</LifecycleConfiguration>"
    )
    return XML, body


def rule(rule_id: str, scope: str, actions: str) -> str:
    return f"<Rule><ID>{rule_id}</ID>{scope}<Status>Enabled</Status>{actions}</Rule>"


TIER = "<Transition><Days>90</Days><StorageClass>DEEP_ARCHIVE</StorageClass></Transition>"
# Expire at the retention, and the noncurrent version a day later: a versioned archive's bytes must go
# (S3 User Guide, "Lifecycle configuration elements": NoncurrentVersionExpiration).
KEEP = (
    "<Expiration><Days>2557</Days></Expiration>"
    "<NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays></NoncurrentVersionExpiration>"
)


@pytest.mark.slow  # seconds a case: `make test-slow` runs it (CI runs both)
@pytest.mark.parametrize(
    ("rules", "status", "message"),
    [
        (  # tiering only an unrelated prefix: the logs are never tiered
            [rule("archive-only", "<Filter><Prefix>archive/</Prefix></Filter>", TIER + KEEP)],
            Status.FAIL,
            "no enabled lifecycle rule applies to the log files under AWSLogs/",
        ),
        (  # a short expiry on tmp/ and a tag-filtered expiry never touch the logs
            [
                rule("logs", "<Filter><Prefix></Prefix></Filter>", TIER + KEEP),
                rule("tmp", "<Filter><Prefix>tmp/</Prefix></Filter>", "<Expiration><Days>1</Days></Expiration>"),
                rule(
                    "scratch",
                    "<Filter><Tag><Key>scratch</Key><Value>yes</Value></Tag></Filter>",
                    "<Expiration><Days>1</Days></Expiration>",
                ),
            ],
            Status.PASS,
            # The tmp/ rule's 1-day expiry is no part of the logs' removal bound either.
            "holds for 7 years (2557 days) per 22 CCR 72543 under AWSLogs/; delete marker at day 2557, "
            "bytes removed by day 2560 (2557 + 1 noncurrent + 2 midnight roundings); "
            "log files under 128 KB are not transitioned",
        ),
        (  # legacy rule-level Prefix (no Filter) scoped to the logs counts
            [rule("legacy", "<Prefix>AWSLogs/</Prefix>", TIER + KEEP)],
            Status.PASS,
            "holds for",
        ),
        (  # legacy rule-level Prefix elsewhere expiring early does not
            [
                rule("logs", "<Filter><Prefix>AWSLogs/</Prefix></Filter>", TIER + KEEP),
                rule("old", "<Prefix>exports/</Prefix>", "<Expiration><Days>30</Days></Expiration>"),
            ],
            Status.PASS,
            "holds for",
        ),
        (  # an expiry under the logs' prefix with a size filter still deletes some logs early
            [
                rule("logs", "<Filter><Prefix></Prefix></Filter>", TIER + KEEP),
                rule(
                    "big",
                    "<Filter><And><Prefix>AWSLogs/</Prefix><ObjectSizeGreaterThan>1048576</ObjectSizeGreaterThan></And></Filter>",
                    "<Expiration><Days>30</Days></Expiration>",
                ),
            ],
            Status.FAIL,
            "rule 'big' expires objects after 30 days < required 7 years (2557 days) per 22 CCR 72543",
        ),
        (  # tiering only objects over 1 MB tiers only some log files
            [rule("big-tier", "<Filter><ObjectSizeGreaterThan>1048576</ObjectSizeGreaterThan></Filter>", TIER + KEEP)],
            Status.FAIL,
            "only some log files under AWSLogs/ are tiered to colder storage: rule 'big-tier' (objects over 1048576 bytes)",
        ),
    ],
)
def test_lifecycle_rules_count_where_their_filter_applies(proxy, rules, status, message):
    """S3 User Guide, "Lifecycle configuration elements" (Filter: Prefix, Tag, And, ObjectSize*; legacy Prefix).
    moto drops ObjectSize* filters, so GetBucketLifecycleConfiguration is answered in S3's XML."""
    content_type, body = lifecycle_xml(*rules)
    proxy.faults.append(
        Fault(lambda c: c.operation == "GetBucketLifecycleConfiguration", "respond_raw", raw=(content_type, body))
    )
    lifecycle = only(scan(), "aws.bucket.lifecycle")
    assert lifecycle.status is status
    assert lifecycle.message.startswith(message), lifecycle.message


def list_buckets_page(names: list[str], token: str | None) -> tuple[str, str]:
    """S3 API Reference, ListBuckets (ListAllMyBucketsResult with ContinuationToken when more pages remain)."""
    buckets = "".join(
        f"<Bucket><Name>{n}</Name><CreationDate>2026-01-01T00:00:00.000Z</CreationDate><BucketRegion>us-east-1</BucketRegion></Bucket>"
        for n in names
    )
    more = f"<ContinuationToken>{token}</ContinuationToken>" if token else ""
    return XML, (
        '<?xml version="1.0" encoding="UTF-8"?><ListAllMyBucketsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
        f"<Owner><ID>owner</ID></Owner><Buckets>{buckets}</Buckets>{more}</ListAllMyBucketsResult>"
    )


def test_list_buckets_is_followed_across_pages(proxy, read_only_baseline):
    """A second ListBuckets page (continuation-token) is read: the bucket on it is judged, not skipped."""
    first = list_buckets_page([read_only_baseline, PHI[0]], "page-2")
    second = list_buckets_page([PHI[1], "late-bucket"], None)
    proxy.faults.append(
        Fault(lambda c: c.operation == "ListBuckets" and "continuation-token" in c.query, "respond_raw", raw=second)
    )
    proxy.faults.append(Fault(lambda c: c.operation == "ListBuckets", "respond_raw", raw=first))
    judged = statuses(scan(), "aws.trail.s3_data_events")
    assert set(judged) == {f"arn:aws:s3:::{b}" for b in (*PHI, "late-bucket")}


@pytest.mark.slow  # seconds a case: `make test-slow` runs it (CI runs both)
@pytest.mark.parametrize("key", ["alias/aws/s3", f"arn:aws:kms:us-east-1:{ACCOUNT}:alias/aws/s3"])
def test_aws_managed_alias_is_not_customer_managed(proxy_to_own_archive, boto_session, archive, key):
    """alias/aws/s3 (or its ARN) is the AWS-managed key: FAIL without a DescribeKey call.

    KMS Developer Guide, "AWS managed keys": their aliases are alias/aws/<service>. moto calls it CUSTOMER.
    """
    boto_session.client("s3").put_bucket_encryption(
        Bucket=archive,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key}}]
        },
    )
    hardening = only(scan(), "aws.bucket.hardening")
    assert (hardening.status, hardening.message) == (
        Status.FAIL,
        f"SSE-KMS with the AWS-managed key {key}, not a customer-managed one",
    )
    assert not any(c.operation == "DescribeKey" and "alias/aws" in c.body for c in proxy_to_own_archive.seen)


def test_account_level_public_access_block_counts(boto_session, archive):
    """S3 User Guide, "Blocking public access to your Amazon S3 storage": S3 applies the most restrictive
    combination of the bucket's and the account's (s3control GetPublicAccessBlock) settings."""
    # The scan's own session wrapper: it addresses S3 Control on a loopback endpoint (see clients.py).
    s3, control = boto_session.client("s3"), AccountSession(boto_session).client("s3control")
    s3.delete_public_access_block(Bucket=archive)
    assert only(scan(), "aws.bucket.hardening").status is Status.FAIL
    every = dict.fromkeys(("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"), True)
    control.put_public_access_block(AccountId=ACCOUNT, PublicAccessBlockConfiguration=every)
    assert only(scan(), "aws.bucket.hardening").status is Status.PASS
    control.put_public_access_block(
        AccountId=ACCOUNT, PublicAccessBlockConfiguration={**every, "RestrictPublicBuckets": False}
    )
    hardening = only(scan(), "aws.bucket.hardening")
    assert (hardening.status, hardening.message) == (
        Status.FAIL,
        "public access block settings off (bucket and account): restrict_public_buckets",
    )


def _policy(boto_session, archive: str) -> dict:
    return json.loads(boto_session.client("s3").get_bucket_policy(Bucket=archive)["Policy"])


@pytest.mark.slow  # seconds a case: `make test-slow` runs it (CI runs both)
@pytest.mark.parametrize(
    "rewrite",
    [
        lambda s: s.update(Condition={"BoolIfExists": {"aws:SecureTransport": "false"}}),
        lambda s: s.update(Condition={"Bool": {"aws:securetransport": "false"}}),
        lambda s: s.update(Principal={"AWS": "*"}),
    ],
)
def test_tls_deny_written_as_aws_accepts_it_passes(boto_session, archive, rewrite):
    """IAM User Guide, "Condition operators" (…IfExists; condition keys are case-insensitive) and "Principal"
    ({"AWS": "*"} is everyone): these TLS denies refuse every plaintext request."""
    policy = _policy(boto_session, archive)
    rewrite(next(s for s in policy["Statement"] if s["Sid"] == "DenyInsecureTransport"))
    # The console writes the key as AWS:SourceArn: condition keys are case-insensitive.
    write = next(s for s in policy["Statement"] if s["Sid"] == "AWSCloudTrailWrite")
    write["Condition"]["StringEquals"]["AWS:SourceArn"] = write["Condition"]["StringEquals"].pop("aws:SourceArn")
    boto_session.client("s3").put_bucket_policy(Bucket=archive, Policy=json.dumps(policy))
    assert only(scan(), "aws.bucket.hardening").status is Status.PASS


def test_bucket_policy_that_no_longer_lets_the_trail_write_fails(boto_session, archive):
    """CloudTrail User Guide, "Amazon S3 bucket policy for CloudTrail": PutObject is allowed for the trail's
    aws:SourceArn. A policy naming another trail lets this one write nothing."""
    policy = _policy(boto_session, archive)
    write = next(s for s in policy["Statement"] if s["Sid"] == "AWSCloudTrailWrite")
    write["Condition"]["StringEquals"]["aws:SourceArn"] = [TRAIL_ARN + "-old"]
    boto_session.client("s3").put_bucket_policy(Bucket=archive, Policy=json.dumps(policy))
    hardening = only(scan(), "aws.bucket.hardening")
    assert (hardening.status, hardening.message) == (
        Status.FAIL,
        f"bucket policy does not let trail {TRAIL} write its log files under AWSLogs/{ACCOUNT}/",
    )


def test_unscanned_region_makes_a_gap_an_error(boto_session):
    """A single-region trail homed in an unscanned region could cover a bucket there: ERROR, not FAIL.
    Scanning that region too gives the true verdict (PASS)."""
    s3, east = boto_session.client("s3"), boto_session.client("cloudtrail")
    s3.create_bucket(Bucket="east-logs")
    s3.create_bucket(Bucket="phi-east")
    east.create_trail(Name="east-only", S3BucketName="east-logs")
    east.put_event_selectors(
        TrailName="east-only",
        AdvancedEventSelectors=[
            {
                "FieldSelectors": [
                    {"Field": "eventCategory", "Equals": ["Data"]},
                    {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
                ]
            }
        ],
    )
    east.start_logging(Name="east-only")
    # From us-west-2 the east trail is invisible, so its own bucket looks like any other bucket too.
    west_only = [f for f in scan(regions=("us-west-2",)).findings if f.control == "aws.trail.s3_data_events"]
    assert {f.resource: f.status for f in west_only} == {
        "arn:aws:s3:::phi-east": Status.ERROR,
        "arn:aws:s3:::east-logs": Status.ERROR,
    }
    assert all(f.message.endswith("trails in unscanned regions could cover it") for f in west_only)
    assert statuses(scan(regions=("us-east-1", "us-west-2")), "aws.trail.s3_data_events") == {
        "arn:aws:s3:::phi-east": Status.PASS
    }

"""The AWS components rendered by Pulumi's mock engine: exact properties."""

import json

import pytest

from auditkit.policies.aws.event_selectors import (
    S3_OBJECT,
    DataEventCoverage,
    EventSelectors,
    all_buckets_space,
    bucket_space,
)
from tests.conftest import rendered, settings


@pytest.mark.parametrize(
    ("config", "years", "days"),
    [
        ({"jurisdictions": ["US"]}, 6, 2192),
        ({"jurisdictions": ["US", "CA"]}, 7, 2557),
        ({"jurisdictions": ["NY"], "minors": True}, 21, 7671),
    ],
)
def test_object_lock_and_expiry_follow_the_jurisdictions(config, years, days):
    r = rendered(settings(**config))
    lock = r["audit-archive-object-lock"].inputs
    assert lock["rule"] == {"defaultRetention": {"mode": "COMPLIANCE", "years": years}}
    assert lock["objectLockEnabled"] == "Enabled"
    tiers, markers = r["audit-archive-lifecycle"].inputs["rules"]
    assert tiers["expiration"] == {"days": days}
    # The lock keeps every version to its retain-until date; a day after the delete marker the bytes go.
    assert tiers["noncurrentVersionExpiration"] == {"noncurrentDays": 1}
    assert markers == {
        "id": "remove-expired-delete-markers",
        "status": "Enabled",
        "filter": {"prefix": ""},
        "expiration": {"expiredObjectDeleteMarker": True},
    }
    # The access-log bucket has no lock: a deleted access log stays noncurrent for the whole retention.
    access = r["audit-archive-access-logs-lifecycle"].inputs["rules"][0]
    assert access["expiration"] == {"days": days}
    assert access["noncurrentVersionExpiration"] == {"noncurrentDays": days}


def test_lifecycle_tiers_default_and_custom():
    rule = rendered(settings())["audit-archive-lifecycle"].inputs["rules"][0]
    assert rule["transitions"] == [
        {"days": 90, "storageClass": "STANDARD_IA"},
        {"days": 365, "storageClass": "DEEP_ARCHIVE"},
    ]
    assert rule["abortIncompleteMultipartUpload"] == {"daysAfterInitiation": 7}
    # S3 requires a noncurrent transition to come before the noncurrent expiration (day 1): none.
    assert "noncurrentVersionTransitions" not in rule
    custom = rendered(settings(aws={"hotDays": 30, "warmStorageClass": "GLACIER_IR", "coldAfterDays": 120}))
    assert custom["audit-archive-lifecycle"].inputs["rules"][0]["transitions"] == [
        {"days": 30, "storageClass": "GLACIER_IR"},
        {"days": 120, "storageClass": "DEEP_ARCHIVE"},
    ]


def test_archive_bucket_is_locked_versioned_private_and_kms_encrypted():
    r = rendered(settings(name="demo"))
    bucket = r["audit-archive-bucket"].inputs
    assert bucket["bucket"] == "auditkit-demo-123456789012-us-east-1"
    assert bucket["objectLockEnabled"] is True
    assert r["audit-archive-versioning"].inputs["versioningConfiguration"] == {"status": "Enabled"}
    pab = r["audit-archive-public-access-block"].inputs
    assert all(
        pab[k] is True for k in ("blockPublicAcls", "ignorePublicAcls", "blockPublicPolicy", "restrictPublicBuckets")
    )
    sse = r["audit-archive-sse"].inputs["rules"][0]
    assert sse["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "aws:kms"
    assert sse["applyServerSideEncryptionByDefault"]["kmsMasterKeyId"].startswith(
        "arn:aws:kms:us-east-1:123456789012:key/"
    )
    assert r["audit-archive-key"].inputs["enableKeyRotation"] is True


def test_bucket_policy_statements():
    r = rendered(settings(name="demo", aws={"trailName": "org-audit"}))
    policy = json.loads(r["audit-archive-policy"].inputs["policy"])
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    assert set(by_sid) == {"DenyInsecureTransport", "AWSCloudTrailAclCheck", "AWSCloudTrailWrite"}
    arn = "arn:aws:s3:::auditkit-demo-123456789012-us-east-1"
    assert by_sid["DenyInsecureTransport"] == {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [arn, f"{arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    trail = ["arn:aws:cloudtrail:us-east-1:123456789012:trail/org-audit"]
    assert by_sid["AWSCloudTrailWrite"]["Resource"] == [f"{arn}/AWSLogs/123456789012/*"]
    assert by_sid["AWSCloudTrailWrite"]["Condition"] == {
        "StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceArn": trail}
    }
    assert by_sid["AWSCloudTrailAclCheck"]["Condition"] == {"StringEquals": {"aws:SourceArn": trail}}


def test_organization_trail_may_write_under_the_org_prefix():
    r = rendered(settings(aws={"organizationTrail": True, "organizationId": "o-abc123"}))
    write = next(
        s
        for s in json.loads(r["audit-archive-policy"].inputs["policy"])["Statement"]
        if s["Sid"] == "AWSCloudTrailWrite"
    )
    assert write["Resource"][1].endswith("/AWSLogs/o-abc123/*")
    assert r["audit-trail-trail"].inputs["isOrganizationTrail"] is True


def test_trail_settings():
    t = rendered(settings(name="demo", region="eu-west-1"))["audit-trail-trail"].inputs
    assert t["isMultiRegionTrail"] is True
    assert t["includeGlobalServiceEvents"] is True
    assert t["enableLogFileValidation"] is True
    assert t["enableLogging"] is True
    assert t["s3BucketName"] == "auditkit-demo-123456789012-eu-west-1"
    assert t["kmsKeyId"].startswith("arn:aws:kms:eu-west-1:123456789012:key/")
    assert t["name"] == "auditkit-demo"
    assert (
        t["cloudWatchLogsGroupArn"]
        == "arn:aws:logs:eu-west-1:123456789012:log-group:/auditkit/demo/cloudtrail/auditkit-demo:*"
    )
    assert t["cloudWatchLogsRoleArn"] == "arn:aws:iam::123456789012:role/audit-trail-cloudwatch-role"


def test_selectors_record_every_bucket_but_the_archive_and_its_access_logs():
    t = rendered(settings(name="demo"))["audit-trail-trail"].inputs
    archive = "auditkit-demo-123456789012-us-east-1"
    assert t["advancedEventSelectors"] == [
        {
            "name": "Management events, read and write",
            "fieldSelectors": [{"field": "eventCategory", "equals": ["Management"]}],
        },
        {
            "name": "S3 object reads and writes",
            "fieldSelectors": [
                {"field": "eventCategory", "equals": ["Data"]},
                {"field": "resources.type", "equals": ["AWS::S3::Object"]},
                {
                    "field": "resources.ARN",
                    "notStartsWiths": [f"arn:aws:s3:::{archive}/", f"arn:aws:s3:::{archive}-access/"],
                },
            ],
        },
        {
            "name": "Lambda invocations",
            "fieldSelectors": [
                {"field": "eventCategory", "equals": ["Data"]},
                {"field": "resources.type", "equals": ["AWS::Lambda::Function"]},
            ],
        },
        {
            "name": "DynamoDB item activity",
            "fieldSelectors": [
                {"field": "eventCategory", "equals": ["Data"]},
                {"field": "resources.type", "equals": ["AWS::DynamoDB::Table"]},
            ],
        },
    ]
    selectors = EventSelectors.from_engine(t)
    assert DataEventCoverage.of(selectors, S3_OBJECT, all_buckets_space([archive, f"{archive}-access"])).complete
    assert not DataEventCoverage.of(selectors, S3_OBJECT, bucket_space(archive)).complete


def test_declared_buckets_and_switches():
    t = rendered(
        settings(aws={"s3DataEvents": ["phi-a", "phi-b"], "lambdaDataEvents": False, "dynamodbDataEvents": False})
    )
    sels = t["audit-trail-trail"].inputs["advancedEventSelectors"]
    assert [s["name"] for s in sels] == ["Management events, read and write", "S3 object reads and writes"]
    assert sels[1]["fieldSelectors"][2] == {
        "field": "resources.ARN",
        "startsWiths": ["arn:aws:s3:::phi-a/", "arn:aws:s3:::phi-b/"],
    }


def test_access_logs_can_be_turned_off_and_then_only_the_archive_is_excluded():
    r = rendered(settings(name="demo", aws={"accessLogs": False}))
    assert "audit-archive-access-logs" not in r
    arn_cond = r["audit-trail-trail"].inputs["advancedEventSelectors"][1]["fieldSelectors"][2]
    assert arn_cond == {
        "field": "resources.ARN",
        "notStartsWiths": ["arn:aws:s3:::auditkit-demo-123456789012-us-east-1/"],
    }


def test_access_log_bucket_is_separate_and_sse_s3():
    r = rendered(settings(name="demo"))
    assert r["audit-archive-access-logging"].inputs["targetBucket"] == "auditkit-demo-123456789012-us-east-1-access"
    assert r["audit-archive-access-logs-sse"].inputs["rules"][0]["applyServerSideEncryptionByDefault"] == {
        "sseAlgorithm": "AES256"
    }
    assert "objectLockEnabled" not in r["audit-archive-access-logs"].inputs


def test_every_child_has_a_component_parent_and_log_group_retention_is_set():
    r = rendered(settings(aws={"cloudwatchRetentionDays": 731}))
    children = [x for x in r.values() if x.custom and not x.type.startswith("pulumi:providers")]
    assert {x.component for x in children} == {"audit-archive", "audit-trail", "high-risk-alerts"}
    assert r["audit-trail-log-group"].inputs["retentionInDays"] == 731
    assert r["audit-archive"].type == "auditkit:aws:ImmutableLogArchive"
    assert r["audit-trail"].type == "auditkit:aws:AuditTrail"

"""Contract: what the components render is accepted by the S3 and CloudTrail APIs.

botocore validates every request against the AWS service model before sending it;
the moto server then stores it, and reading it back returns the same values.
"""

import json

import pytest

from auditkit.auditors.demo import api_requests
from tests.conftest import rendered, settings


@pytest.mark.parametrize("config", [{"jurisdictions": ["US", "CA"]}, {"jurisdictions": ["NY"], "minors": True}])
def test_rendered_archive_and_trail_are_accepted(boto_session, config):
    r = rendered(settings(name="contract", **config))
    s3 = boto_session.client("s3")
    ct = boto_session.client("cloudtrail")
    bucket = r["audit-archive-bucket"].inputs["bucket"]
    s3.create_bucket(Bucket=bucket, ObjectLockEnabledForBucket=True)
    s3.put_bucket_versioning(**api_requests.versioning(r["audit-archive-versioning"].inputs))
    s3.put_object_lock_configuration(**api_requests.object_lock(r["audit-archive-object-lock"].inputs))
    s3.put_bucket_lifecycle_configuration(**api_requests.lifecycle(r["audit-archive-lifecycle"].inputs))
    s3.put_bucket_policy(**api_requests.bucket_policy(r["audit-archive-policy"].inputs))
    s3.put_bucket_encryption(**api_requests.encryption(r["audit-archive-sse"].inputs))
    s3.put_public_access_block(**api_requests.public_access_block(r["audit-archive-public-access-block"].inputs))

    trail = r["audit-trail-trail"].inputs
    create = api_requests.create_trail(trail)
    # The emulator has no KMS key or log group with the mock engine's ids; those inputs are checked above.
    for key in ("KmsKeyId", "CloudWatchLogsLogGroupArn", "CloudWatchLogsRoleArn"):
        create.pop(key)
    ct.create_trail(**create)
    ct.put_event_selectors(**api_requests.event_selectors(trail))

    lock = s3.get_object_lock_configuration(Bucket=bucket)["ObjectLockConfiguration"]
    retention = lock["Rule"]["DefaultRetention"]
    assert (retention["Mode"], retention["Years"]) == (
        "COMPLIANCE",
        r["audit-archive-object-lock"].inputs["rule"]["defaultRetention"]["years"],
    )
    rules = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    assert rules[0]["Expiration"]["Days"] == trail_days(r)
    assert [t["StorageClass"] for t in rules[0]["Transitions"]] == ["STANDARD_IA", "DEEP_ARCHIVE"]
    policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    assert {s["Sid"] for s in policy["Statement"]} == {
        "DenyInsecureTransport",
        "AWSCloudTrailAclCheck",
        "AWSCloudTrailWrite",
    }
    selectors = ct.get_event_selectors(TrailName=trail["name"])["AdvancedEventSelectors"]
    assert selectors == api_requests.event_selectors(trail)["AdvancedEventSelectors"]
    assert selectors[1]["FieldSelectors"][2]["NotStartsWith"][0] == f"arn:aws:s3:::{bucket}/"


def trail_days(r):
    return int(r["audit-archive-lifecycle"].inputs["rules"][0]["expiration"]["days"])


def test_botocore_refuses_a_malformed_request(boto_session):
    # The contract is only worth something if a wrong shape would fail: prove that it does.
    import botocore.exceptions

    s3 = boto_session.client("s3")
    s3.create_bucket(Bucket="x-contract")
    with pytest.raises(botocore.exceptions.ParamValidationError):
        s3.put_bucket_lifecycle_configuration(
            Bucket="x-contract", LifecycleConfiguration={"Rules": [{"Id": "wrong-key-case", "Status": "Enabled"}]}
        )

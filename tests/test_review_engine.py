"""The opt-in Athena review engine (components/aws/review_engine.py), rendered with the mock engine."""

from __future__ import annotations

from tests.conftest import rendered, settings


def test_off_by_default():
    assert not [r for r in rendered(settings()).values() if "glue" in r.type or "athena" in r.type]


def test_athena_true_adds_the_glue_table_with_projection_and_an_enforced_encrypted_workgroup():
    res = rendered(settings(aws={"athena": True, "archiveBucketName": "acme-archive"}))
    engine = res["activity-review"]
    assert engine.type == "auditkit:aws:ActivityReviewEngine"
    table = res["activity-review-table"].inputs
    p = table["parameters"]
    assert (p["projection.enabled"], p["projection.timestamp.format"], p["projection.region.values"]) == (
        "true",
        "yyyy/MM/dd",
        "us-east-1",
    )
    assert p["storage.location.template"] == "s3://acme-archive/AWSLogs/123456789012/CloudTrail/${region}/${timestamp}"
    assert [k["name"] for k in table["partitionKeys"]] == ["region", "timestamp"]
    sd = table["storageDescriptor"]
    assert sd["inputFormat"] == "com.amazon.emr.cloudtrail.CloudTrailInputFormat"
    assert {c["name"] for c in sd["columns"]} >= {
        "useridentity",
        "eventtime",
        "requestparameters",
        "resources",
        "eventid",
    }
    wg = res["activity-review-workgroup"].inputs["configuration"]
    assert wg["enforceWorkgroupConfiguration"] is True
    assert wg["resultConfiguration"]["encryptionConfiguration"]["encryptionOption"] == "SSE_KMS"
    rules = res["activity-review-results-lifecycle"].inputs["rules"]
    assert [r["expiration"]["days"] for r in rules] == [30]
    assert res["activity-review-results-public-access-block"].inputs["restrictPublicBuckets"] is True
    assert all(r.component for r in res.values() if r.name.startswith("activity-review-"))

"""The shipped read-only policy is all the scan needs, and it is read-only."""

import json

import pytest

from auditkit.auditors.aws.clients import CallLog
from auditkit.auditors.aws.permissions import POLICY_FILE, allowed_actions, iam_action, statement_actions
from tests.aws_accounts import shipped_baseline


@pytest.mark.slow
def test_every_call_of_a_full_scan_is_allowed_by_the_shipped_policy(boto_session):
    shipped_baseline(boto_session)
    boto_session.client("s3").put_bucket_tagging(Bucket="phi-records", Tagging={"TagSet": [{"Key": "k", "Value": "v"}]})
    west = boto_session.client("cloudtrail", region_name="us-west-2")
    boto_session.client("s3").create_bucket(
        Bucket="west-logs", CreateBucketConfiguration={"LocationConstraint": "us-west-2"}
    )
    west.create_trail(Name="west", S3BucketName="west-logs")
    west.put_event_selectors(
        TrailName="west",
        AdvancedEventSelectors=[
            {
                "FieldSelectors": [
                    {"Field": "eventCategory", "Equals": ["Data"]},
                    {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
                ]
            }
        ],
    )
    # An organization of one (the management account, scanned as the caller): ListAccounts, no AssumeRole.
    boto_session.client("organizations").create_organization(FeatureSet="ALL")
    used: set[str] = set()
    for options in ({}, {"scope_tag": ("k", "v")}, {"regions": ()}, {"organization": True, "role_name": "Scan"}):
        calls = CallLog()
        from auditkit.auditors.aws.scan import AwsScanOptions, scan_aws
        from tests.aws_accounts import CA, REGIONS

        opts = {"regions": REGIONS, **options}
        scan_aws(AwsScanOptions(CA, **opts), calls)
        used |= {iam_action(*key.split(":")) for key in calls.counts}
    allowed = statement_actions("AuditKitDriftScanReadOnly")
    assert allowed <= allowed_actions()
    assert used <= allowed, used - allowed
    # Every permission shipped is one the scan uses: nothing granted "just in case".
    assert allowed - used == set(), allowed - used


def test_policy_is_read_only():
    policy = json.loads(POLICY_FILE.read_text())
    actions = {a for s in policy["Statement"] for a in s["Action"]}
    verbs = ("Describe", "Get", "List")
    assert all(a.split(":")[1].startswith(verbs) for a in actions), actions
    assert all(s["Effect"] == "Allow" for s in policy["Statement"])

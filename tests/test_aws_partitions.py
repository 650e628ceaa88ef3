"""Partition, region and account-scoped names come from the provider and the stack, never assumed.

The partition and its DNS suffix are what `aws.get_partition` answers and the region what
`aws.get_region` answers (pulumi-aws invokes aws:index/getPartition and aws:index/getRegion);
the mock engine answers them from botocore's partition data for the region rendered, e.g.
us-gov-west-1 -> aws-us-gov. ARN formats: "Amazon Resource Names (ARNs)" in the IAM User Guide
(arn:partition:service:region:account-id:resource).
"""

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from auditkit.components.mock_engine import render
from auditkit.components.stack import build_stack
from auditkit.policies.aws.plan_facts import judge_aws_plan
from auditkit.policies.errors import ConfigError
from auditkit.policies.verdicts import PlanResource
from tests.aws_accounts import ALERTS
from tests.conftest import rendered, settings

ACCOUNT = "123456789012"


def _strings(value: Any) -> Iterator[str]:
    """Every string in a rendered input, including those inside JSON policy documents."""
    if isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)
    elif isinstance(value, str):
        try:
            parsed = json.loads(value) if value.startswith("{") else None
        except json.JSONDecodeError:  # a metric filter pattern is braced but is not JSON
            parsed = None
        if parsed is None:
            yield value
        else:
            yield from _strings(parsed)


@pytest.fixture(scope="module")
def gov():
    return rendered(settings(name="gov", region="us-gov-west-1", aws={"alerts": ALERTS}))


def test_every_arn_in_a_govcloud_render_is_in_the_aws_us_gov_partition(gov):
    arns = [s for r in gov.values() for s in _strings(r.inputs) if s.startswith("arn:")]
    assert len(arns) >= 12
    assert [a for a in arns if not a.startswith("arn:aws-us-gov:")] == []


def test_govcloud_policies_name_the_govcloud_trail_and_principals(gov):
    trail = f"arn:aws-us-gov:cloudtrail:us-gov-west-1:{ACCOUNT}:trail/auditkit-gov"
    bucket = f"arn:aws-us-gov:s3:::auditkit-gov-{ACCOUNT}-us-gov-west-1"
    policy = {s["Sid"]: s for s in json.loads(gov["audit-archive-policy"].inputs["policy"])["Statement"]}
    assert policy["AWSCloudTrailWrite"]["Resource"] == [f"{bucket}/AWSLogs/{ACCOUNT}/*"]
    assert policy["AWSCloudTrailWrite"]["Condition"]["StringEquals"]["aws:SourceArn"] == [trail]
    key = {s["Sid"]: s for s in json.loads(gov["audit-archive-key"].inputs["policy"])["Statement"]}
    assert key["AccountAdministers"]["Principal"] == {"AWS": f"arn:aws-us-gov:iam::{ACCOUNT}:root"}
    assert key["CloudTrailEncryptsLogs"]["Condition"] == {
        "StringEquals": {"aws:SourceArn": [trail]},
        "StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": f"arn:aws-us-gov:cloudtrail:*:{ACCOUNT}:trail/*"},
    }
    logs = key["CloudWatchLogsEncryptsLogGroup"]
    assert logs["Principal"] == {"Service": "logs.us-gov-west-1.amazonaws.com"}
    assert logs["Condition"]["ArnLike"] == {
        "kms:EncryptionContext:aws:logs:arn": f"arn:aws-us-gov:logs:us-gov-west-1:{ACCOUNT}:log-group:*"
    }
    selectors = gov["audit-trail-trail"].inputs["advancedEventSelectors"]
    assert selectors[1]["fieldSelectors"][2]["notStartsWiths"] == [
        f"arn:aws-us-gov:s3:::auditkit-gov-{ACCOUNT}-us-gov-west-1/",
        f"arn:aws-us-gov:s3:::auditkit-gov-{ACCOUNT}-us-gov-west-1-access/",
    ]
    role = json.loads(gov["audit-trail-cloudwatch-role"].inputs["assumeRolePolicy"])
    assert role["Statement"][0]["Condition"] == {"StringEquals": {"aws:SourceArn": trail}}


def test_a_govcloud_plan_passes_every_aws_control(gov):
    s = settings(name="gov", region="us-gov-west-1", aws={"alerts": ALERTS})
    plan = [PlanResource(r.type, r.name, r.state) for r in gov.values() if r.custom]
    phi = s.aws.alerts.phi_buckets
    failing = {v.control_id: v.gaps for v in judge_aws_plan(plan, s.retention, phi_buckets=phi) if not v.passed}
    assert failing == {}


def test_region_comes_from_the_provider_not_from_the_settings_default():
    """No aws:region in the stack: the provider takes it from AWS_REGION or the profile."""
    s = settings(name="demo")
    assert s.aws.region == "us-east-1"  # the settings' fallback, used only for checks
    r = {x.name: x for x in render(lambda: build_stack(s), s.name, region="eu-central-1")}
    assert r["audit-archive-bucket"].inputs["bucket"] == f"auditkit-demo-{ACCOUNT}-eu-central-1"
    policy = json.loads(r["audit-archive-policy"].inputs["policy"])
    assert policy["Statement"][1]["Condition"]["StringEquals"]["aws:SourceArn"] == [
        f"arn:aws:cloudtrail:eu-central-1:{ACCOUNT}:trail/auditkit-demo"
    ]
    key = {x["Sid"]: x for x in json.loads(r["audit-archive-key"].inputs["policy"])["Statement"]}
    assert key["CloudWatchLogsEncryptsLogGroup"]["Principal"] == {"Service": "logs.eu-central-1.amazonaws.com"}


def test_an_unknown_region_is_refused_before_anything_renders():
    with pytest.raises(
        ConfigError, match=r"aws:region='nonsense-1' is not allowed: allowed: a region of botocore's partition data"
    ):
        render(lambda: build_stack(settings(name="demo")), "demo", region="nonsense-1")


def test_account_scoped_names_differ_between_two_stacks_in_one_account():
    """KMS aliases, trail names, log groups and IAM roles are unique per account (and region)."""
    a, b = rendered(settings(name="prod")), rendered(settings(name="staging"))

    def names(r):
        return {
            "alias": r["audit-archive-key-alias"].inputs["name"],
            "trail": r["audit-trail-trail"].inputs["name"],
            "log group": r["audit-trail-log-group"].inputs["name"],
            "bucket": r["audit-archive-bucket"].inputs["bucket"],
            "access logs": r["audit-archive-access-logs"].inputs["bucket"],
        }

    assert names(a) == {
        "alias": "alias/auditkit/prod/archive",
        "trail": "auditkit-prod",
        "log group": "/auditkit/prod/cloudtrail/auditkit-prod",
        "bucket": f"auditkit-prod-{ACCOUNT}-us-east-1",
        "access logs": f"auditkit-prod-{ACCOUNT}-us-east-1-access",
    }
    assert all(names(a)[k] != names(b)[k] for k in names(a))
    # IAM names are account-global: the role carries no fixed name, so Pulumi auto-names it
    # with a random suffix per stack.
    assert "name" not in a["audit-trail-cloudwatch-role"].inputs
    assert "name" not in a["audit-trail-cloudwatch-delivery"].inputs


def test_an_explicit_trail_name_keeps_the_stack_in_its_log_group():
    r = rendered(settings(name="prod", aws={"trailName": "org-audit"}))
    assert r["audit-trail-trail"].inputs["name"] == "org-audit"
    assert r["audit-trail-log-group"].inputs["name"] == "/auditkit/prod/cloudtrail/org-audit"


def test_a_stack_name_kms_cannot_hold_in_an_alias_is_refused():
    with pytest.raises(ConfigError) as err:
        rendered(settings(name="prod.eu"))
    assert err.value.field == "stack"
    assert err.value.value == "prod.eu"
    assert "alias/auditkit/prod.eu/archive" in str(err.value)
    assert re.search(r"allowed: letters, digits, '_' and '-'$", str(err.value))

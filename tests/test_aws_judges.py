"""The AWS judges over a rendered plan: the shipped components pass; each weakening fails its control."""

import json

import pytest

from auditkit.policies.aws import judges
from auditkit.policies.aws.bucket_policy import tls_policy
from auditkit.policies.aws.facts import (
    BucketFacts,
    Encryption,
    LifecycleRule,
    LogArchive,
    ObjectLockFacts,
    PublicAccessBlock,
    Transition,
)
from auditkit.policies.aws.lifecycle import lifecycle
from auditkit.policies.aws.plan_facts import judge_aws_plan
from auditkit.policies.catalog import CONTROLS, EVIDENCE_CONTROLS, controls_for
from auditkit.policies.retention import required_retention
from auditkit.policies.verdicts import PlanResource
from tests.aws_accounts import ALERTS, PHI
from tests.conftest import rendered, settings
from tests.plan_helpers import weaken

CA = required_retention(["CA"])


@pytest.fixture(scope="module")
def plan():
    return [
        PlanResource(r.type, r.name, r.inputs)
        for r in rendered(settings(name="demo", jurisdictions=["CA"], aws={"alerts": ALERTS})).values()
        if r.custom
    ]


def failing(resources, scope=None):
    return {v.control_id: v.gaps for v in judge_aws_plan(resources, CA, scope, phi_buckets=PHI) if not v.passed}


def test_every_aws_control_is_judged_and_the_shipped_plan_passes(plan):
    verdicts = judge_aws_plan(plan, CA)
    assert {v.control_id for v in verdicts} == {c.id for c in controls_for("aws")} - EVIDENCE_CONTROLS
    assert failing(plan) == {}


def test_governance_mode_fails_object_lock(plan):
    weak = weaken(
        plan,
        "audit-archive-object-lock",
        lambda p: p.update(rule={"defaultRetention": {"mode": "GOVERNANCE", "years": 7}}),
    )
    assert list(failing(weak)) == ["aws.bucket.object_lock"]
    assert "GOVERNANCE" in failing(weak)["aws.bucket.object_lock"][0]


def test_short_lock_and_early_expiry_fail(plan):
    weak = weaken(
        plan,
        "audit-archive-object-lock",
        lambda p: p.update(rule={"defaultRetention": {"mode": "COMPLIANCE", "years": 6}}),
    )
    weak = weaken(weak, "audit-archive-lifecycle", lambda p: p["rules"][0].update(expiration={"days": 365}))
    gaps = failing(weak)
    assert gaps["aws.bucket.object_lock"] == (
        "default retention 6 years < required 7 years (2557 days) per 22 CCR 72543",
    )
    assert gaps["aws.bucket.lifecycle"] == (
        "rule 'audit-log-tiers' expires objects after 365 days < required 7 years (2557 days) per 22 CCR 72543",
    )


def test_write_only_s3_selector_fails_data_events(plan):
    def write_only(props):
        props["advancedEventSelectors"][1]["fieldSelectors"].append({"field": "readOnly", "equals": ["false"]})

    gaps = failing(weaken(plan, "audit-trail-trail", write_only))
    assert gaps == {"aws.trail.s3_data_events": ("every bucket: S3 object reads not recorded",)}


def test_trail_switches(plan):
    def off(props):
        props.update(enableLogFileValidation=False, isMultiRegionTrail=False, enableLogging=False, kmsKeyId=None)

    gaps = failing(weaken(plan, "audit-trail-trail", off))
    # A single-region trail cannot record data events in other regions: coverage fails with it,
    # exactly as the live scan judges it (judges.applicable_trails).
    assert set(gaps) == {
        "aws.trail.log_validation",
        "aws.trail.multi_region",
        "aws.trail.logging",
        "aws.trail.kms",
        "aws.trail.s3_data_events",
        "aws.trail.lambda_data_events",
        "aws.trail.dynamodb_data_events",
    }
    # A trail that is not logging records nothing: it covers no region and no data event (issue 14 item 5).
    stopped = failing(weaken(plan, "audit-trail-trail", lambda p: p.update(enableLogging=False)))
    assert set(stopped) == {
        "aws.trail.logging",
        "aws.trail.multi_region",
        "aws.trail.s3_data_events",
        "aws.trail.lambda_data_events",
        "aws.trail.dynamodb_data_events",
    }
    assert stopped["aws.trail.multi_region"] == ("trail auditkit-demo is not logging, so it records nothing",)
    assert not any("recorded by" in g for gaps in stopped.values() for g in gaps)
    assert gaps["aws.trail.logging"] == ("trail auditkit-demo is not logging (StopLogging or enable_logging=false)",)


def test_declared_scope_names_the_uncovered_bucket(plan):
    def only_a(props):
        props["advancedEventSelectors"][1]["fieldSelectors"][2] = {
            "field": "resources.ARN",
            "startsWiths": ["arn:aws:s3:::phi-a/"],
        }

    gaps = failing(weaken(plan, "audit-trail-trail", only_a), scope=["phi-a", "phi-b"])
    assert gaps == {"aws.trail.s3_data_events": ("phi-b: S3 object reads not recorded, writes not recorded",)}


def test_no_trail_at_all():
    gaps = failing([])
    assert gaps["aws.trail.multi_region"] == ("the plan has no CloudTrail trail",)


def test_hardening_judges():
    assert judges.versioning("Suspended") == ["versioning is Suspended"]
    assert judges.public_access(PublicAccessBlock(True, True, True, False)) == [
        "public access block settings off (bucket and account): restrict_public_buckets"
    ]
    assert judges.encryption(Encryption("AES256")) == [
        "default encryption is AES256; SSE-KMS with a customer key is required"
    ]
    assert tls_policy({"Statement": []}, "b") == [
        "bucket policy does not deny requests without TLS (aws:SecureTransport=false)"
    ]
    loose = {
        "Statement": [
            {
                "Sid": "W",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "s3:PutObject",
            }
        ]
    }
    assert "lets CloudTrail write without an aws:SourceArn condition" in tls_policy(loose, "b")[1]


def test_lifecycle_judge_edge_cases():
    keep = LifecycleRule("t", True, (Transition(90, "GLACIER"),), expiration_days=CA.days)
    assert lifecycle([keep], CA) == []
    assert lifecycle([], CA) == ["no enabled lifecycle rule: logs are never tiered to colder storage"]
    dated = LifecycleRule("d", True, (Transition(90, "GLACIER"),), expiration_date="2030-01-01")
    assert "fixed date" in lifecycle([dated], CA)[0]
    disabled_short = LifecycleRule("x", False, expiration_days=30)
    assert lifecycle([keep, disabled_short], CA) == []
    # Leap days count: 7 * 365 days is two days short of seven calendar years.
    assert lifecycle([LifecycleRule("y", True, (Transition(90, "GLACIER"),), expiration_days=2555)], CA)


def locked(lock):
    return LogArchive(BucketFacts("b", lock, None, "Enabled", None, None, None), CA)


def test_object_lock_in_days_must_cover_the_calendar_years():
    assert judges.object_lock(locked(ObjectLockFacts(True, "COMPLIANCE", days=2557))) == []
    assert judges.object_lock(locked(ObjectLockFacts(True, "COMPLIANCE", days=2555)))
    assert judges.object_lock(locked(None)) == ["Object Lock is not enabled"]


def test_catalog_entries_carry_all_three_citation_frameworks():
    for c in CONTROLS.values():
        assert c.citations.hipaa and c.citations.soc2 and c.citations.nist, c.id
        assert all(h.startswith("45 CFR 164.") for h in c.citations.hipaa), c.id
    assert json.dumps(CONTROLS["aws.bucket.object_lock"].citations.as_dict()) == json.dumps(
        {
            "hipaa": ["45 CFR 164.312(c)(1)", "45 CFR 164.316(b)(2)(i)"],
            "soc2": ["CC6.1", "CC7.2"],
            "nist_800_53": ["AU-9", "AU-11"],
        }
    )


def test_plan_lifecycle_filter_scopes_the_rule(plan):
    """The plan reads the rule's filter like the scan (S3 User Guide, "Lifecycle configuration elements")."""
    elsewhere = weaken(plan, "audit-archive-lifecycle", lambda p: p["rules"][0].update(filter={"prefix": "archive/"}))
    # Only the delete-marker cleanup rule still reaches the logs: nothing tiers or expires them.
    assert set(failing(elsewhere)) == {"aws.bucket.lifecycle"}
    assert failing(elsewhere)["aws.bucket.lifecycle"][0] == (
        "no transition to a colder storage class for the log files under AWSLogs/"
    )
    assert any("no rule expires current versions" in g for g in failing(elsewhere)["aws.bucket.lifecycle"])
    tagged = weaken(
        plan, "audit-archive-lifecycle", lambda p: p["rules"][0].update(filter={"tag": {"key": "k", "value": "v"}})
    )
    assert "aws.bucket.lifecycle" in failing(tagged)
    under_logs = weaken(plan, "audit-archive-lifecycle", lambda p: p["rules"][0].update(filter={"prefix": "AWSLogs/"}))
    assert failing(under_logs) == {}


def test_lifecycle_reach_of_filters():
    from auditkit.policies.aws.facts import LifecycleFilter
    from auditkit.policies.aws.lifecycle import reach

    def r(**scope):
        return LifecycleRule("x", True, scope=LifecycleFilter(**scope))

    assert reach(r(), ["AWSLogs/"]) == "all"
    assert reach(r(prefix="AWS"), ["AWSLogs/"]) == "all"
    assert reach(r(prefix="AWSLogs/123/"), ["AWSLogs/"]) == "some"
    assert reach(r(prefix="archive/"), ["AWSLogs/"]) == "none"
    assert reach(r(tags=(("k", "v"),)), ["AWSLogs/"]) == "none"
    assert reach(r(size_less_than=1024), ["AWSLogs/"]) == "some"
    assert reach(r(prefix="trails/AWSLogs/"), ["trails/AWSLogs/", "AWSLogs/"]) == "some"


def test_customer_managed_means_customer_managed():
    """KMS Developer Guide, "AWS managed keys" (alias/aws/<service>) and DescribeKey's KeyManager."""
    from dataclasses import replace

    from auditkit.policies.aws.event_selectors import EventSelectors
    from auditkit.policies.aws.facts import TrailFacts

    trail = TrailFacts(
        "t",
        "arn:aws:cloudtrail:us-east-1:1:trail/t",
        "us-east-1",
        "b",
        True,
        True,
        False,
        True,
        "arn:aws:kms:us-east-1:1:key/k",
        None,
        None,
        EventSelectors(),
    )
    assert judges.kms(trail) == []
    assert judges.kms(replace(trail, kms_key_manager="AWS")) == [
        "trail t encrypts with the AWS-managed key arn:aws:kms:us-east-1:1:key/k, not a customer-managed one"
    ]
    assert judges.kms(replace(trail, kms_key_id="alias/aws/cloudtrail"))
    assert judges.encryption(Encryption("aws:kms", "arn:aws:kms:us-east-1:1:key/k", "CUSTOMER")) == []
    assert judges.encryption(Encryption("aws:kms", "arn:aws:kms:us-east-1:1:key/k", "AWS"))
    assert judges.encryption(Encryption("aws:kms")) == [
        "SSE-KMS without a key id: S3 uses the AWS-managed key aws/s3, not a customer-managed one"
    ]

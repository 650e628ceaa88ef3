"""The AWS drift scan against the emulator: what a trail's event selectors record, set through the
CloudTrail API (advanced field selectors, basic event selectors, both at once, single-region trails),
and the plan judging the same trail as the live scan does."""

# The `baseline` fixture comes from test_aws_scan.py: pytest finds it here by name.
# ruff: noqa: F811

import pytest

from auditkit.auditors.findings import Status
from auditkit.policies.aws.plan_facts import judge_aws_plan
from auditkit.policies.retention import required_retention
from auditkit.policies.verdicts import PlanResource
from tests.aws_accounts import PHI, TRAIL, only, scan, set_s3_selector, statuses
from tests.test_aws_scan import baseline  # noqa: F401


@pytest.mark.slow  # seconds a case: `make test-slow` runs it (CI runs both)
@pytest.mark.parametrize(
    ("field_selectors", "expected"),
    [
        (
            [{"Field": "readOnly", "Equals": ["true"]}],
            {"phi-records": "writes not recorded", "phi-imaging": "writes not recorded"},
        ),
        (
            [{"Field": "readOnly", "Equals": ["false"]}],
            {"phi-records": "reads not recorded", "phi-imaging": "reads not recorded"},
        ),
        (
            [{"Field": "resources.ARN", "StartsWith": ["arn:aws:s3:::phi-records/"]}],
            {"phi-imaging": "reads not recorded, writes not recorded"},
        ),
        (
            [{"Field": "resources.ARN", "NotStartsWith": ["arn:aws:s3:::phi-imaging/"]}],
            {"phi-imaging": "reads not recorded, writes not recorded"},
        ),
        (
            [{"Field": "resources.ARN", "NotEquals": ["arn:aws:s3:::phi-imaging/x.dcm"]}],
            {"phi-imaging": "reads only partly recorded, writes only partly recorded"},
        ),
        (
            [{"Field": "resources.ARN", "Equals": ["arn:aws:s3:::phi-records/one"]}],
            {
                "phi-records": "reads only partly recorded, writes only partly recorded",
                "phi-imaging": "reads not recorded, writes not recorded",
            },
        ),
        (
            [{"Field": "eventName", "Equals": ["GetObject", "PutObject"]}],
            {
                "phi-records": "reads only partly recorded, writes only partly recorded",
                "phi-imaging": "reads only partly recorded, writes only partly recorded",
            },
        ),
        ([{"Field": "resources.ARN", "StartsWith": ["arn:aws:s3:::phi-"]}], {}),
    ],
)
def test_advanced_selector_forms_through_the_api(boto_session, baseline, field_selectors, expected):
    set_s3_selector(boto_session, *field_selectors)
    report = scan()
    gaps = {f.resource.split(":::")[1]: f.message.split(": ", 1)[1] for f in report.gaps}
    assert gaps == {b: f"S3 object {m}" for b, m in expected.items()}


def test_basic_selectors_through_the_api(boto_session):
    s3, ct = boto_session.client("s3"), boto_session.client("cloudtrail")
    for b in ("basic-logs", *PHI):
        s3.create_bucket(Bucket=b)
    ct.create_trail(Name="basic", S3BucketName="basic-logs", IsMultiRegionTrail=True)
    ct.put_event_selectors(
        TrailName="basic",
        EventSelectors=[
            {
                "ReadWriteType": "All",
                "IncludeManagementEvents": True,
                "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::phi-records/"]}],
            },
            {
                "ReadWriteType": "ReadOnly",
                "IncludeManagementEvents": False,
                "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::phi-imaging/"]}],
            },
        ],
    )
    ct.start_logging(Name="basic")
    report = scan()
    assert statuses(report, "aws.trail.s3_data_events") == {
        "arn:aws:s3:::phi-records": Status.PASS,
        "arn:aws:s3:::phi-imaging": Status.FAIL,
    }
    imaging = next(f for f in report.gaps if f.resource == "arn:aws:s3:::phi-imaging")
    assert imaging.message == "phi-imaging: S3 object writes not recorded"
    # The subject is the account whichever trail proves it (the same key when it fails).
    multi = only(report, "aws.trail.multi_region")
    assert (multi.resource, multi.region, multi.status) == ("arn:aws:iam::123456789012:root", "", Status.PASS)
    assert multi.message == "trail basic is logging all management events in every region"


def test_basic_and_advanced_selectors_together_are_an_error_not_a_guess(boto_session, baseline):
    # AWS applies one kind only; moto returns both after a basic put over advanced ones.
    boto_session.client("cloudtrail").put_event_selectors(
        TrailName=TRAIL, EventSelectors=[{"ReadWriteType": "All", "IncludeManagementEvents": True}]
    )
    report = scan()
    assert set(statuses(report, "aws.trail.s3_data_events").values()) == {Status.ERROR}
    assert report.exit_code() == 2


def test_single_region_trails_cover_only_their_region(boto_session):
    s3, west = boto_session.client("s3"), boto_session.client("cloudtrail", region_name="us-west-2")
    s3.create_bucket(Bucket="west-logs", CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
    s3.create_bucket(Bucket="phi-west", CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
    s3.create_bucket(Bucket="phi-east")
    west.create_trail(Name="west-only", S3BucketName="west-logs")
    west.put_event_selectors(
        TrailName="west-only",
        AdvancedEventSelectors=[
            {
                "FieldSelectors": [
                    {"Field": "eventCategory", "Equals": ["Data"]},
                    {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
                ]
            }
        ],
    )
    west.start_logging(Name="west-only")
    report = scan()
    assert statuses(report, "aws.trail.s3_data_events") == {
        "arn:aws:s3:::phi-west": Status.PASS,
        "arn:aws:s3:::phi-east": Status.FAIL,
    }
    multi = [f for f in report.findings if f.control == "aws.trail.multi_region"]
    assert [(f.status, f.message) for f in multi] == [
        (
            Status.FAIL,
            "trail west-only records only its home region us-west-2; "
            "trail west-only: management events reads not recorded, writes not recorded",
        )
    ]


def test_plan_and_live_agree_on_single_region_trails(boto_session):
    west = boto_session.client("cloudtrail", region_name="us-west-2")
    s3 = boto_session.client("s3")
    s3.create_bucket(Bucket="west-logs", CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
    selectors = [
        {
            "FieldSelectors": [
                {"Field": "eventCategory", "Equals": ["Data"]},
                {"Field": "resources.type", "Equals": ["AWS::Lambda::Function"]},
            ]
        }
    ]
    west.create_trail(Name="west", S3BucketName="west-logs")
    west.put_event_selectors(TrailName="west", AdvancedEventSelectors=selectors)
    west.start_logging(Name="west")
    live = statuses(scan(), "aws.trail.lambda_data_events")
    plan = {
        v.control_id: v.passed
        for v in judge_aws_plan(
            [
                PlanResource(
                    "aws:cloudtrail/trail:Trail",
                    "west",
                    {
                        "name": "west",
                        "s3BucketName": "west-logs",
                        "region": "us-west-2",
                        "advancedEventSelectors": [
                            {
                                "fieldSelectors": [
                                    {"field": "eventCategory", "equals": ["Data"]},
                                    {"field": "resources.type", "equals": ["AWS::Lambda::Function"]},
                                ]
                            }
                        ],
                    },
                )
            ],
            required_retention(["US"]),
        )
    }
    assert set(live.values()) == {Status.FAIL} and plan["aws.trail.lambda_data_events"] is False

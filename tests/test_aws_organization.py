"""Whole organizations, member accounts' view of an organization trail, and region names refused before any
call.

moto supports Organizations (CreateOrganization, CreateAccount, ListAccounts with NextToken) and AssumeRole
into any account id; what moto cannot show (a member account's shadow copy of the organization trail) is
answered by the loopback proxy in the shapes of botocore's cloudtrail model (Trail, GetTrailStatusResponse,
GetEventSelectorsResponse).
"""

from __future__ import annotations

import pytest

from auditkit.auditors.aws.clients import AccountSession
from auditkit.auditors.aws.scan import AwsScanOptions, organization_targets
from auditkit.auditors.cli import main
from auditkit.auditors.findings import Status
from auditkit.policies.errors import ConfigError
from tests.aws_accounts import CA, PHI, scan, shipped_baseline, statuses
from tests.fault_proxy import Fault, FaultProxy

MANAGEMENT = "123456789012"
ROLE = "AuditKitScan"


def organization(boto_session, members: int) -> list[str]:
    org = boto_session.client("organizations")
    org.create_organization(FeatureSet="ALL")
    return [
        org.create_account(AccountName=f"member-{i}", Email=f"member-{i}@example.com")["CreateAccountStatus"][
            "AccountId"
        ]
        for i in range(members)
    ]


def member(boto_session, account: str):
    return AccountSession(boto_session).assume(f"arn:aws:iam::{account}:role/{ROLE}").boto3_session()


@pytest.fixture
def proxy(aws_emulator, monkeypatch):
    p = FaultProxy(aws_emulator)
    monkeypatch.setenv("AWS_ENDPOINT_URL", p.endpoint)
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    yield p
    p.close()


def test_organization_scan_groups_by_account_and_isolates_an_account_it_cannot_enter(boto_session, proxy):
    shipped_baseline(boto_session)
    console, locked_out = organization(boto_session, 2)
    m = member(boto_session, console)
    m.client("s3").create_bucket(Bucket=f"logs-{console}")
    m.client("cloudtrail").create_trail(Name="console", S3BucketName=f"logs-{console}", IsMultiRegionTrail=True)
    m.client("cloudtrail").start_logging(Name="console")
    proxy.faults.append(Fault(lambda c: c.operation == "AssumeRole" and locked_out in c.body, "denied"))

    before = len(proxy.seen)
    report = scan(organization=True, role_name=ROLE)

    accounts = [f.account for f in report.findings]
    assert accounts == sorted(accounts)  # grouped by account
    assert set(accounts) == {MANAGEMENT, console, locked_out}
    by = {a: [f for f in report.findings if f.account == a] for a in set(accounts)}
    assert {f.status for f in by[MANAGEMENT]} == {Status.PASS}
    assert Status.FAIL in {f.status for f in by[console]} and Status.ERROR not in {f.status for f in by[console]}
    [denied] = by[locked_out]
    assert denied.status is Status.ERROR
    # Its subject is the account, as when aws.trail.multi_region passes there; the message names the role.
    assert (denied.control, denied.resource, denied.region) == (
        "aws.trail.multi_region",
        f"arn:aws:iam::{locked_out}:root",
        "",
    )
    assert f"arn:aws:iam::{locked_out}:role/{ROLE}" in denied.message
    assert "AssumeRole" in denied.message and "AccessDenied" in denied.message
    assert report.scanned["accounts"] == 3 and report.scanned["organization"] is True
    # The management account is scanned as the caller; each member through the role.
    assert sum(c.operation == "AssumeRole" for c in proxy.seen[before:]) == 2
    assert report.exit_code() == 2


def test_list_accounts_is_paged_and_only_active_accounts_are_entered(boto_session):
    members = organization(boto_session, 24)
    boto_session.client("organizations").close_account(AccountId=members[0])
    base = AccountSession.open(None, "us-east-1")
    targets, failure = organization_targets(base, ROLE)
    assert failure is None
    assert base.calls.counts["organizations:ListAccounts"] == 2  # 25 accounts, 20 a page
    assert {t.account for t in targets} == {MANAGEMENT, *members[1:]}
    assert [t.role_arn for t in targets if t.account == MANAGEMENT] == [None]
    assert f"arn:aws:iam::{members[1]}:role/{ROLE}" in {t.role_arn for t in targets}


def test_list_accounts_denied_is_one_error(aws_emulator, proxy):
    proxy.faults.append(Fault(lambda c: c.operation == "ListAccounts", "denied"))
    report = scan(organization=True, role_name=ROLE)
    assert [(f.status, f.resource) for f in report.findings] == [(Status.ERROR, "organizations:ListAccounts")]
    assert report.exit_code() == 2


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"organization": True}, "--role-name"),
        ({"role_name": ROLE}, "--role-name"),
        ({"organization": True, "role_name": ROLE, "role_arns": ("arn:aws:iam::1:role/x",)}, "--role-arn"),
        ({"regions": ("us-east-1", "nonsense-1")}, "--region"),
    ],
)
def test_bad_options_are_refused(options, field):
    with pytest.raises(ConfigError) as refused:
        AwsScanOptions(CA, **options)
    assert refused.value.field == field


def test_unknown_region_exits_2_before_any_call(proxy, capsys):
    """Region names come from botocore's partitions.json; a typo never reaches the endpoint."""
    code = main(["scan", "aws", "--region", "us-esat-1", "--jurisdiction", "CA"])
    assert code == 2
    assert proxy.seen == []
    err = capsys.readouterr().err
    assert "us-esat-1" in err and "us-east-1" in err


# The scanned (caller's) account is a member here; the organization's management account is another one.
ORG_MANAGEMENT = "111122223333"
ORG_TRAIL = f"arn:aws:cloudtrail:us-east-1:{ORG_MANAGEMENT}:trail/org-trail"


def _shadow_org_trail(proxy: FaultProxy) -> None:
    """What a member account reads about the organization trail (botocore cloudtrail model shapes)."""
    trail = {
        "Name": "org-trail",
        "S3BucketName": "org-log-archive",
        "IncludeGlobalServiceEvents": True,
        "IsMultiRegionTrail": True,
        "HomeRegion": "us-east-1",
        "TrailARN": ORG_TRAIL,
        "LogFileValidationEnabled": True,
        "CloudWatchLogsLogGroupArn": f"arn:aws:logs:us-east-1:{ORG_MANAGEMENT}:log-group:org:*",
        "CloudWatchLogsRoleArn": f"arn:aws:iam::{ORG_MANAGEMENT}:role/org-trail-cw",
        "KmsKeyId": f"arn:aws:kms:us-east-1:{ORG_MANAGEMENT}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        "HasCustomEventSelectors": True,
        "HasInsightSelectors": False,
        "IsOrganizationTrail": True,
    }

    def data(resource_type: str) -> dict:
        return {
            "Name": resource_type,
            "FieldSelectors": [
                {"Field": "eventCategory", "Equals": ["Data"]},
                {"Field": "resources.type", "Equals": [resource_type]},
            ],
        }

    selectors = {
        "TrailARN": ORG_TRAIL,
        "AdvancedEventSelectors": [
            {"Name": "management", "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]},
            data("AWS::S3::Object"),
            data("AWS::Lambda::Function"),
            data("AWS::DynamoDB::Table"),
        ],
    }
    status = {"IsLogging": True, "LatestDeliveryTime": 1764000000.0, "LatestCloudWatchLogsDeliveryTime": 1764000000.0}
    proxy.faults += [
        Fault(lambda c: c.operation == "DescribeTrails", "respond", payload={"trailList": [trail]}),
        Fault(lambda c: c.operation == "GetTrailStatus" and ORG_TRAIL in c.body, "respond", payload=status),
        Fault(lambda c: c.operation == "GetEventSelectors" and ORG_TRAIL in c.body, "respond", payload=selectors),
    ]


def test_member_account_counts_the_organization_trail_and_leaves_its_archive_to_the_archive_account(
    boto_session, proxy
):
    """A member account sees the organization trail as a shadow trail and may read its status and selectors
    with the full ARN (CloudTrail API Reference, GetTrailStatus/GetEventSelectors: "If the trail is an
    organization trail and you are a member account ... you must provide the full ARN"). Its bucket is in
    another account: reported as out of this account's scope, not as AccessDenied ERRORs."""
    for b in PHI:
        boto_session.client("s3").create_bucket(Bucket=b)
    _shadow_org_trail(proxy)
    report = scan()
    assert not [f for f in report.findings if f.control.startswith("aws.bucket.")]
    assert not any(c.operation.startswith("GetBucket") and "org-log-archive" in c.body for c in proxy.seen)
    logging = next(f for f in report.findings if f.control == "aws.trail.logging")
    assert logging.status is Status.PASS
    assert "org-trail" in logging.message and "scan the archive from the log-archive account" in logging.message
    assert f"trail of account {ORG_MANAGEMENT}" in logging.message
    assert statuses(report, "aws.trail.s3_data_events") == {f"arn:aws:s3:::{b}": Status.PASS for b in PHI}
    assert report.exit_code() == 0


def test_table_of_an_organization_has_an_account_column_grouped_by_account():
    from auditkit.auditors.findings import Finding, Report
    from auditkit.auditors.reports import FORMATS

    findings = [
        Finding("aws.trail.logging", Status.FAIL, "arn:t2", "222222222222", "us-east-1", "second account"),
        Finding("aws.trail.logging", Status.ERROR, "arn:t1", "111111111111", "us-east-1", "first account"),
        Finding("aws.trail.kms", Status.FAIL, "arn:t1", "111111111111", "us-east-1", "first again"),
    ]
    table = FORMATS["table"](Report(findings), "")
    assert "account" in table.splitlines()[2]
    order = [m for line in table.splitlines() for m in ("first account", "first again", "second account") if m in line]
    assert order == ["first account", "first again", "second account"]

"""A finding's identity is its subject, whatever its status (issue 22 item 1; auditors/findings.subject_key).

Every control of every cloud is walked through a real scan that FAILs it and one that PASSes it (AWS on the
emulator, GCP and Azure on their fakes, with the real clients); the two reports go through the evidence
timeline: each failing subject is one row, and its one exception is closed by the pass. A subject that
disappears (a trail deleted) closes its exception as "subject no longer exists"; a run that could not
read everything, or looked in other regions, closes nothing.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, timedelta, timezone

import pytest
from google.auth.credentials import AnonymousCredentials

from auditkit.auditors.azure.scan import AzureScanOptions, scan_azure
from auditkit.auditors.evidence.timeline import DECODER, GONE, PASSED, Evidence, Period, judge
from auditkit.auditors.findings import Finding, Report, Status, subject_key
from auditkit.auditors.gcp.scan import GcpScanOptions, alert_parameters, default_clients, scan_gcp
from auditkit.auditors.history.chain import Link
from auditkit.components.mock_engine import render
from auditkit.components.stack import build_stack
from auditkit.policies.aws import rules as aws_rules
from auditkit.policies.azure import rules as azure_rules
from auditkit.policies.gcp import rules as gcp_rules
from auditkit.policies.retention import required_retention
from auditkit.policies.rule import Rule
from auditkit.settings.stack_settings import parse_settings
from tests.aws_accounts import REGIONS, TRAIL, scan, shipped_baseline
from tests.fakes.arm import FakeCredential
from tests.fakes.arm_grants import deleting_sealer, shipped_sealer
from tests.fakes.arm_published import ACCOUNT, KV, SUB, WORKSPACE, PublishedWorld, log, subscription_setting
from tests.fakes.gcp import FakeGcp
from tests.fakes.gcp_world import ORG, PROJECT, load_rendered, organization

DAY = datetime(2026, 11, 2, 6, 0, tzinfo=timezone.utc)
PERIOD = Period(date(2026, 11, 1), date(2026, 11, 5))


def link(report: Report, n: int, scope: dict[str, list[str]] | None = None) -> Link:
    """The report as the history stores it, started `n` days after DAY."""
    started = DAY + timedelta(days=n)
    report.stamp("scan", started, scope or {}, "test")
    data = json.dumps(report.as_json()).encode()
    return Link(f"history/{n}.json", started, hashlib.sha256(data).hexdigest(), DECODER.decode(data), data)


def controls(table) -> set[str]:
    return {r.control for r in table.RULES if isinstance(r, Rule)}


def assert_one_subject_each(failing: Report, passing: Report, table) -> Evidence:
    ev = judge(PERIOD, [("history", link(failing, 0)), ("history", link(passing, 1))])
    for control in controls(table):
        failed = {f.key for f in failing.findings if f.control == control and f.status is Status.FAIL}
        passed = {f.key for f in passing.findings if f.control == control and f.status is Status.PASS}
        assert failed, f"{control} was not made to fail"
        assert {f.status for f in passing.findings if f.control == control} == {Status.PASS}
        # The failing subjects are the passing ones: one timeline row each, no row at 0 % beside it.
        assert failed <= passed, control
        assert {k for k in ev.subjects if k[0] == control} == passed, control
        mine = [e for e in ev.episodes if e.key[0] == control]
        assert sorted(e.key for e in mine) == sorted(failed), control
        assert all(e.resolved == DAY + timedelta(days=1) and e.resolution == PASSED for e in mine), control
    return ev


# --- AWS: the shipped baseline, every control broken at once, then restored ---


def test_every_aws_control_keeps_its_subject_from_fail_to_pass(boto_session):
    archive = shipped_baseline(boto_session)
    ct, s3 = boto_session.client("cloudtrail"), boto_session.client("s3")
    trail = ct.get_trail(Name=TRAIL)["Trail"]
    lock = s3.get_object_lock_configuration(Bucket=archive)["ObjectLockConfiguration"]
    lifecycle = s3.get_bucket_lifecycle_configuration(Bucket=archive)
    block = s3.get_public_access_block(Bucket=archive)["PublicAccessBlockConfiguration"]

    ct.update_trail(
        Name=TRAIL,
        IsMultiRegionTrail=False,
        EnableLogFileValidation=False,
        KmsKeyId="alias/aws/cloudtrail",
        CloudWatchLogsLogGroupArn="",
        CloudWatchLogsRoleArn="",
    )
    ct.stop_logging(Name=TRAIL)
    governance = {"ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1}}}
    s3.put_object_lock_configuration(Bucket=archive, ObjectLockConfiguration=governance)
    s3.delete_bucket_lifecycle(Bucket=archive)
    s3.delete_public_access_block(Bucket=archive)
    failing = scan()

    ct.update_trail(
        Name=TRAIL,
        IsMultiRegionTrail=True,
        EnableLogFileValidation=True,
        KmsKeyId=trail["KmsKeyId"],
        CloudWatchLogsLogGroupArn=trail["CloudWatchLogsLogGroupArn"],
        CloudWatchLogsRoleArn=trail["CloudWatchLogsRoleArn"],
    )
    ct.start_logging(Name=TRAIL)
    s3.put_object_lock_configuration(Bucket=archive, ObjectLockConfiguration=lock)
    s3.put_bucket_lifecycle_configuration(Bucket=archive, LifecycleConfiguration={"Rules": lifecycle["Rules"]})
    s3.put_public_access_block(Bucket=archive, PublicAccessBlockConfiguration=block)
    passing = scan()

    assert {f.status for f in failing.findings} == {Status.FAIL}
    ev = assert_one_subject_each(failing, passing, aws_rules)
    # The two subjects the issue names: a bucket's S3 data events (its region was read for the single-region
    # trail) and multi-region coverage, judged on the account whichever trail proves it.
    assert ("aws.trail.s3_data_events", "arn:aws:s3:::phi-records", "123456789012", "") in ev.subjects
    assert ("aws.trail.multi_region", "arn:aws:iam::123456789012:root", "123456789012", "") in ev.subjects


@pytest.mark.slow  # seconds a case: `make test-slow` runs it (CI runs both)
def test_a_deleted_trail_closes_its_exception_as_no_longer_existing(boto_session):
    shipped_baseline(boto_session)
    ct = boto_session.client("cloudtrail")
    ct.create_trail(Name="temporary", S3BucketName="phi-records")  # validation off: a FAIL on that trail
    temporary = "arn:aws:cloudtrail:us-east-1:123456789012:trail/temporary"
    before = scan()
    assert (temporary, Status.FAIL) in {(f.resource, f.status) for f in before.findings if "validation" in f.control}
    ct.delete_trail(Name="temporary")
    after = scan()
    ev = judge(PERIOD, [("history", link(before, 0)), ("history", link(after, 1))])
    [episode] = [e for e in ev.episodes if e.key[1] == temporary and e.key[0] == "aws.trail.log_validation"]
    assert (episode.resolution, episode.resolved_in) == (GONE, "history/1.json")


# --- the closing rule itself, on recorded findings ---


def finding(control: str, status: str, resource: str, region: str = "us-west-2") -> Finding:
    return Finding(control, Status(status), resource, "123456789012", region, "")


WEST = "arn:aws:cloudtrail:us-west-2:123456789012:trail/west"
EAST = "arn:aws:cloudtrail:us-east-1:123456789012:trail/east"


@pytest.mark.parametrize(
    ("later", "scope", "closed"),
    [
        # Judged cleanly over every region, the subject absent: it no longer exists.
        ([finding("aws.trail.logging", "PASS", EAST, "us-east-1")], {}, GONE),
        # The run could not judge the control for the account: the subject may still be there.
        ([finding("aws.trail.logging", "ERROR", "arn:aws:cloudtrail:us-west-2:123456789012:trail/*")], {}, None),
        # The run looked only in us-east-1: a trail homed in us-west-2 was not looked for.
        ([finding("aws.trail.logging", "PASS", EAST, "us-east-1")], {"regions": ["us-east-1"]}, None),
        ([finding("aws.trail.logging", "PASS", EAST, "us-east-1")], {"regions": REGIONS}, GONE),
        # The run did not judge the control at all (another command, another account).
        ([finding("aws.trail.kms", "PASS", EAST, "us-east-1")], {}, None),
    ],
)
def test_an_absent_subject_closes_only_when_the_run_could_have_seen_it(later, scope, closed):
    first = Report([finding("aws.trail.logging", "FAIL", WEST)])
    ev = judge(PERIOD, [("h", link(first, 0)), ("h", link(Report(later), 1, scope))])
    [episode] = [e for e in ev.episodes if e.key[1] == WEST]
    assert episode.resolution == (closed or "") and (episode.resolved is not None) == (closed is not None)


def test_the_key_rule_region_only_where_the_subject_names_one():
    bucket = "arn:aws:s3:::phi-records"
    assert subject_key("c", bucket, "1", "us-east-1") == subject_key("c", bucket, "1", "") == ("c", bucket, "1", "")
    assert subject_key("c", EAST, "1", "us-east-1")[3] == "us-east-1"
    assert subject_key("c", "gs://archive", "p", "")[3] == ""
    assert finding("aws.trail.s3_data_events", "FAIL", bucket, "us-east-1").key == (
        finding("aws.trail.s3_data_events", "PASS", bucket, "").key
    )


# --- GCP: an organization sink to a locked archive, every control broken at once on the fake ---


def test_every_gcp_control_keeps_its_subject_from_fail_to_pass():
    fake = FakeGcp()
    try:
        settings = parse_settings(
            "g",
            {
                "jurisdictions": ["CA"],
                "clouds": ["gcp"],
                "gcp": {
                    "scope": "organization",
                    "organizationId": "123456789012",
                    "archiveProject": "acme-audit",
                    "bucketName": "acme-audit-archive",
                    "sealing": True,  # a sealer on the archive: its seal protection fails with the unlocked policy
                    "logBucketRetentionDays": 400,
                    "alerts": {"email": ["security@acme.example"], "phiBuckets": ["acme-phi-records"]},
                },
            },
        )
        organization(fake, audit_configs=False)
        load_rendered(fake, render(lambda: build_stack(settings), "g"))
        options = GcpScanOptions(
            settings.retention,
            (PROJECT,),
            timeout=5.0,
            endpoint=fake.http_endpoint,
            alert_parameters=alert_parameters(settings.gcp),
        )

        def scanned() -> Report:
            return scan_gcp(options, lambda o: default_clients(o, AnonymousCredentials()))

        passing_org, (bucket, bindings) = dict(fake.nodes[ORG]), fake.buckets["acme-audit-archive"]
        sink = fake.sinks[ORG][0]
        fake.nodes[ORG] = {k: v for k, v in passing_org.items() if k != "auditConfigs"}
        fake.sinks[ORG][0] = {**sink, "exclusions": [{"name": "quiet", "filter": 'logName:"cloudaudit"'}]}
        weak = json.loads(json.dumps(bucket))
        weak["retentionPolicy"]["isLocked"] = False
        weak["lifecycle"]["rule"] = weak["lifecycle"]["rule"][3:]
        weak["iamConfiguration"]["publicAccessPrevention"] = "inherited"
        fake.buckets["acme-audit-archive"] = (weak, bindings)
        policies = fake.alert_policies["projects/acme-audit"]
        fake.alert_policies["projects/acme-audit"] = [{**p, "enabled": False} for p in policies]
        failing = scanned()

        fake.nodes[ORG], fake.sinks[ORG][0], fake.buckets["acme-audit-archive"] = passing_org, sink, (bucket, bindings)
        fake.alert_policies["projects/acme-audit"] = policies
        passing = scanned()
    finally:
        fake.close()
    assert {f.status for f in failing.findings} == {Status.FAIL}, failing.as_json()
    assert_one_subject_each(failing, passing, gcp_rules)


# --- Azure: the published example world, short-lived and half-exported, then as published ---


def test_every_azure_control_keeps_its_subject_from_fail_to_pass(arm):
    us = required_retention(["US"])

    def scanned() -> Report:
        return scan_azure(AzureScanOptions(us, (SUB,), arm_endpoint=arm.endpoint), FakeCredential())

    weak = PublishedWorld(
        30,
        activity=[subscription_setting("ds4", [log("Administrative")], ACCOUNT.lower(), WORKSPACE)],
        authorization=deleting_sealer(ACCOUNT),  # the sealer may delete: azure.archive.seal_protection fails
    )
    weak.settings.pop(KV)
    weak.alerting.groups[0]["properties"]["enabled"] = False  # every alert then reaches nobody
    weak.load(arm)
    arm.routes[ACCOUNT.lower()]["properties"]["minimumTlsVersion"] = "TLS1_0"
    failing = scanned()
    PublishedWorld(us.days, authorization=shipped_sealer(ACCOUNT)).load(arm)
    passing = scanned()
    assert {(f.control, f.status) for f in failing.findings if f.status is not Status.PASS} == {
        (c, Status.FAIL) for c in controls(azure_rules)
    }
    assert_one_subject_each(failing, passing, azure_rules)

"""Emulated AWS accounts for scan tests: the console's defaults and the shipped baseline."""

from __future__ import annotations

import boto3

from auditkit.auditors.aws.scan import AwsScanOptions, scan_aws
from auditkit.auditors.demo.emulator_apply import apply_rendered
from auditkit.auditors.findings import Finding, Report, Status
from auditkit.components.mock_engine import render
from auditkit.components.stack import build_stack
from auditkit.policies.retention import required_retention
from auditkit.settings.stack_settings import parse_settings

CA = required_retention(["CA"])
REGIONS = ("us-east-1", "us-west-2")
PHI = ("phi-records", "phi-imaging")
TRAIL = "auditkit-test"


# Who the baseline's alarms reach, and the PHI buckets whose reads they count (components/aws/alerts.py).
ALERTS = {"email": ["security@example.org"], "phiBuckets": list(PHI)}


def shipped_baseline(session: boto3.Session, **aws: object) -> str:
    """Apply what the components render for a CA stack; returns the archive bucket's name."""
    aws = {"trailName": TRAIL, "alerts": ALERTS, **aws}
    settings = parse_settings("t", {"jurisdictions": ["CA"], "clouds": ["aws"], "aws": aws})
    resources = render(lambda: build_stack(settings), "t")
    apply_rendered(resources, session)
    for b in PHI:
        session.client("s3").create_bucket(Bucket=b)
    return next(r.inputs["bucket"] for r in resources if r.name == "audit-archive-bucket")


def scan(**options: object) -> Report:
    return scan_aws(AwsScanOptions(CA, **{"regions": REGIONS, **options}))  # type: ignore[arg-type]


def statuses(report: Report, control: str) -> dict[str, Status]:
    return {f.resource: f.status for f in report.findings if f.control == control}


def only(report: Report, control: str) -> Finding:
    found = [f for f in report.findings if f.control == control]
    assert len(found) == 1, found
    return found[0]


def set_s3_selector(session: boto3.Session, *field_selectors: dict, trail: str = TRAIL) -> None:
    ct = session.client("cloudtrail")
    sels = ct.get_event_selectors(TrailName=trail)["AdvancedEventSelectors"]
    for sel in sels:
        if {"Field": "resources.type", "Equals": ["AWS::S3::Object"]} in sel["FieldSelectors"]:
            sel["FieldSelectors"] = [
                {"Field": "eventCategory", "Equals": ["Data"]},
                {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
                *field_selectors,
            ]
    ct.put_event_selectors(TrailName=trail, AdvancedEventSelectors=sels)

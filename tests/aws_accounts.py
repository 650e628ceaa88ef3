"""Emulated AWS accounts for scan tests: the console's defaults and the shipped baseline."""

from __future__ import annotations

import json
import uuid
from functools import cache
from typing import Any

import boto3
import requests

from auditkit.auditors.aws.scan import AwsScanOptions, scan_aws
from auditkit.auditors.demo.emulator_apply import apply_rendered
from auditkit.auditors.findings import Finding, Report, Status
from auditkit.components.mock_engine import RenderedResource, render
from auditkit.components.stack import build_stack
from auditkit.policies.retention import required_retention
from auditkit.settings.stack_settings import parse_settings

CA = required_retention(["CA"])
REGIONS = ("us-east-1", "us-west-2")
PHI = ("phi-records", "phi-imaging")
TRAIL = "auditkit-test"

# Left in the account by `shared_baseline`; a reset of the emulator wipes it with everything else.
SHARED_MARK = "/auditkit-tests/shared-baseline"


@cache
def _rendered_baseline(aws_json: str) -> tuple[RenderedResource, ...]:
    """Rendering is pure and applying only reads the result: one render serves every test."""
    aws = {"trailName": TRAIL, **json.loads(aws_json)}
    settings = parse_settings("t", {"jurisdictions": ["CA"], "clouds": ["aws"], "aws": aws})
    return tuple(render(lambda: build_stack(settings), "t"))


# Who the baseline's alarms reach, and the PHI buckets whose reads they count (components/aws/alerts.py).
ALERTS = {"email": ["security@example.org"], "phiBuckets": list(PHI)}


def shipped_baseline(session: boto3.Session, **aws: object) -> str:
    """Apply what the components render for a CA stack; returns the archive bucket's name."""
    resources = _rendered_baseline(json.dumps({"alerts": ALERTS, **aws}, sort_keys=True))
    apply_rendered(resources, session)
    for b in PHI:
        session.client("s3").create_bucket(Bucket=b)
    return next(r.inputs["bucket"] for r in resources if r.name == "audit-archive-bucket")


@cache
def _parameters(endpoint: str) -> Any:
    """One SSM client to read the mark with: a new session for each check would cost more than the check."""
    return boto3.Session(region_name="us-east-1").client("ssm", endpoint_url=endpoint)


def shared_baseline(endpoint: str, applied: dict[str, str]) -> str:
    """The shipped baseline for tests that only read the account, applied afresh only when the account is
    no longer the one `applied` records (its mark is gone: something reset the emulator since).

    `applied` holds what the last application left: the archive bucket and the mark's value."""
    ssm = _parameters(endpoint)
    try:
        mark = ssm.get_parameter(Name=SHARED_MARK)["Parameter"]["Value"]
    except ssm.exceptions.ParameterNotFound:
        mark = None
    if not applied or mark != applied["mark"]:
        requests.post(f"{endpoint}/moto-api/reset", timeout=60)
        archive = shipped_baseline(boto3.Session(region_name="us-east-1"))
        applied.update(archive=archive, mark=uuid.uuid4().hex)
        ssm.put_parameter(Name=SHARED_MARK, Value=applied["mark"], Type="String")
    return applied["archive"]


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


# The AWS controls a live scan judges (the alerts come on top, one per alert of the catalog).
SCANNED_CONTROLS = {
    "aws.trail.multi_region",
    "aws.trail.logging",
    "aws.trail.s3_data_events",
    "aws.trail.lambda_data_events",
    "aws.trail.dynamodb_data_events",
    "aws.trail.log_validation",
    "aws.trail.kms",
    "aws.trail.cloudwatch",
    "aws.bucket.object_lock",
    "aws.bucket.lifecycle",
    "aws.bucket.hardening",
}

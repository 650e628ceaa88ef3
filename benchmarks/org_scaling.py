"""Organization scans: 10 and 100 accounts x 4 regions on the emulator (moto server on loopback).

The management account holds the shipped baseline; every member account has what the console leaves
(one multi-region trail writing to its own bucket, two buckets). `auditkit scan aws --organization
--role-name AuditKitScan` lists the accounts (organizations:ListAccounts, paged) and enters each member
through AssumeRole, accounts in a bounded pool. Prints seconds, API calls and findings. Run:
.venv/bin/python benchmarks/org_scaling.py
"""

from __future__ import annotations

import os

import boto3
import requests

from auditkit.auditors.aws.clients import AccountSession, CallLog
from auditkit.auditors.aws.scan import AwsScanOptions, scan_aws
from auditkit.auditors.demo.emulator_apply import apply_rendered
from auditkit.auditors.demo.story import aws_emulator
from auditkit.auditors.findings import Status
from auditkit.components.mock_engine import render
from auditkit.components.stack import build_stack
from auditkit.settings.stack_settings import parse_settings

ACCOUNT_COUNTS = (10, 100)
REGIONS = ("us-east-1", "us-west-2", "eu-west-1", "ap-southeast-2")
ROLE = "AuditKitScan"


def prepare(accounts: int) -> None:
    requests.post(f"{os.environ['AWS_ENDPOINT_URL']}/moto-api/reset", timeout=30)
    session = boto3.Session(region_name="us-east-1")
    settings = parse_settings("bench", {"jurisdictions": ["US"], "clouds": ["aws"]})
    apply_rendered(render(lambda: build_stack(settings), "bench"), session)
    org = session.client("organizations")
    org.create_organization(FeatureSet="ALL")
    base = AccountSession(session)
    for i in range(accounts - 1):
        member = org.create_account(AccountName=f"m{i}", Email=f"m{i}@example.com")["CreateAccountStatus"]
        m = base.assume(f"arn:aws:iam::{member['AccountId']}:role/{ROLE}").boto3_session()
        s3, ct = m.client("s3"), m.client("cloudtrail")
        for name in (f"logs-{member['AccountId']}", f"phi-{member['AccountId']}"):
            s3.create_bucket(Bucket=name)
        ct.create_trail(Name="console", S3BucketName=f"logs-{member['AccountId']}", IsMultiRegionTrail=True)
        ct.start_logging(Name="console")


def main() -> None:
    rows = []
    with aws_emulator():
        for n in ACCOUNT_COUNTS:
            prepare(n)
            log = CallLog()
            options = AwsScanOptions(
                parse_settings("b", {}).retention, regions=REGIONS, organization=True, role_name=ROLE
            )
            report = scan_aws(options, log)
            accounts = {f.account for f in report.findings}
            errors = [f for f in report.findings if f.status is Status.ERROR]
            assert len(accounts) == n and not errors, (len(accounts), [e.message for e in errors][:3])
            rows.append((n, len(REGIONS), report.scanned["seconds"], log.total, len(report.findings)))
    print(f"{'accounts':>8} {'regions':>7} {'seconds':>8} {'API calls':>9} {'findings':>8}")
    for n, regions, seconds, calls, findings in rows:
        print(f"{n:>8} {regions:>7} {seconds:>8.2f} {calls:>9} {findings:>8}")


if __name__ == "__main__":
    main()

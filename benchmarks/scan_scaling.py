"""Scan time and API calls for 1, 4 and 16 regions with 10, 100 and 1,000 buckets (moto server on loopback).

The account is the shipped baseline (one multi-region trail, the archive) plus N buckets.
Calls should grow with regions and trails, not with buckets. Run: make bench
"""

from __future__ import annotations

import statistics

import boto3

from auditkit.auditors.aws.clients import CallLog
from auditkit.auditors.aws.scan import AwsScanOptions, scan_aws
from auditkit.auditors.demo.emulator_apply import apply_rendered
from auditkit.auditors.demo.story import aws_emulator
from auditkit.components.mock_engine import render
from auditkit.components.stack import build_stack
from auditkit.settings.stack_settings import parse_settings

REGION_COUNTS = (1, 4, 16)
BUCKET_COUNTS = (10, 100, 1000)
REPEATS = 3


def prepare(buckets: int) -> list[str]:
    import requests

    session = boto3.Session(region_name="us-east-1")
    import os

    requests.post(f"{os.environ['AWS_ENDPOINT_URL']}/moto-api/reset", timeout=10)
    settings = parse_settings("bench", {"jurisdictions": ["US"], "clouds": ["aws"]})
    apply_rendered(render(lambda: build_stack(settings), "bench"), session)
    s3 = session.client("s3")
    for i in range(buckets):
        s3.create_bucket(Bucket=f"bench-bucket-{i:04d}")
    return sorted(r["RegionName"] for r in session.client("ec2").describe_regions()["Regions"])


def main() -> None:
    rows = []
    with aws_emulator():
        for buckets in BUCKET_COUNTS:
            all_regions = prepare(buckets)
            regions = ["us-east-1", *[r for r in all_regions if r != "us-east-1"]]
            for n in REGION_COUNTS:
                times, calls, findings = [], 0, 0
                for _ in range(REPEATS):
                    log = CallLog()
                    report = scan_aws(
                        AwsScanOptions(parse_settings("b", {}).retention, regions=tuple(regions[:n])), log
                    )
                    assert not report.gaps, [f.message for f in report.gaps][:3]
                    times.append(report.scanned["seconds"])
                    calls, findings = log.total, len(report.findings)
                rows.append((n, buckets, statistics.median(times), min(times), calls, findings))
    print(f"{'regions':>7} {'buckets':>7} {'median s':>9} {'best s':>7} {'API calls':>9} {'findings':>8}")
    for n, b, med, best, calls, findings in rows:
        print(f"{n:>7} {b:>7} {med:>9.3f} {best:>7.3f} {calls:>9} {findings:>8}")


if __name__ == "__main__":
    main()

"""`auditkit demo`, step 4: `verify aws` on a day of forged CloudTrail deliveries in the emulator.

The emulator has no CloudTrail delivery, so the demo writes a day of log files and signed hourly
digests into the trail's archive bucket in AWS's published shape (emulator_digests) and answers
ListPublicKeys from a loopback stub (emulator_cloudtrail). Then: the intact day verifies; one log
file is rewritten and exactly that file is reported.
"""

from __future__ import annotations

import gzip
import json
import os
import sys
from datetime import timedelta
from pathlib import Path

import boto3
from rich.console import Console

from auditkit.auditors.aws.verify.command import NO_RETENTION, verify_scope
from auditkit.auditors.aws.verify.layout import Window
from auditkit.auditors.aws.verify.run import VerifyOptions, verify_aws
from auditkit.auditors.demo.emulator_cloudtrail import CloudTrailStub
from auditkit.auditors.demo.emulator_digests import EPOCH, HOUR, Delivery, new_key
from auditkit.auditors.findings import Report, utc_now
from auditkit.auditors.report_delivery import write_all
from auditkit.auditors.reports.terminal import to_table

HOURS = 24


def _show(report: Report) -> None:
    sys.stderr.write(to_table(report, "", sys.stderr))


TRAIL, BUCKET = "acme-evidence", "acme-cloudtrail-evidence"


def _verify(options: VerifyOptions, step: str) -> Report:
    started = utc_now()
    report = verify_aws(options)
    report.stamp(f"demo ({step})", started, verify_scope(options), NO_RETENTION)
    return report


def _evidence_trail(session: boto3.Session) -> dict:
    """A trail of its own: the emulator speaks plain HTTP and the shipped archive's bucket policy denies
    every non-TLS request (aws:SecureTransport), which moto enforces on object reads and writes."""
    session.client("s3").create_bucket(Bucket=BUCKET, ObjectLockEnabledForBucket=True)
    ct = session.client("cloudtrail")
    ct.create_trail(Name=TRAIL, S3BucketName=BUCKET, IsMultiRegionTrail=True, EnableLogFileValidation=True)
    ct.start_logging(Name=TRAIL)
    return ct.describe_trails(trailNameList=[TRAIL])["trailList"][0]


def run_verify_step(session: boto3.Session, endpoint: str, regions: tuple[str, ...], folder: Path) -> bool:
    err = Console(stderr=True)
    described = _evidence_trail(session)
    trail, bucket, home = TRAIL, BUCKET, described["HomeRegion"]
    stub = CloudTrailStub(endpoint)
    saved = os.environ.get("AWS_ENDPOINT_URL_CLOUDTRAIL")
    os.environ["AWS_ENDPOINT_URL_CLOUDTRAIL"] = stub.endpoint
    try:
        keys = {r: new_key() for r in regions}
        stub.keys = {r: [k.stub_key()] for r, k in keys.items()}
        s3 = session.client("s3")
        delivery = Delivery(s3, bucket, trail, home, keys, account=described["TrailARN"].split(":")[4])
        delivery.hours(regions, EPOCH, HOURS)
        last = EPOCH + HOUR * (HOURS - 1)
        stub.status[trail] = {"LatestDigestDeliveryTime": (last + timedelta(minutes=4)).timestamp()}
        options = VerifyOptions(Window(EPOCH - timedelta(minutes=30), last + timedelta(minutes=10)), trail, regions)
        err.print(f"{HOURS} hours x {len(regions)} regions of CloudTrail log files and signed digests in s3://{bucket}")
        intact = _verify(options, "verify an intact day")
        _show(intact)
        write_all(intact, folder, "4-verify-intact-day", "Pulumi.yaml")
        victim = delivery.log_key(delivery.account, regions[0], EPOCH + timedelta(hours=8, minutes=5), 0)
        s3.put_object(Bucket=bucket, Key=victim, Body=gzip.compress(json.dumps({"Records": []}).encode()))
        err.print(f"someone rewrites s3://{bucket}/{victim} without its 09:00 records")
        altered = _verify(options, "verify after a log file was altered")
        _show(altered)
        write_all(altered, folder, "5-verify-altered-log", "Pulumi.yaml")
        return intact.exit_code() == 0 and [f.resource for f in altered.gaps] == [f"s3://{bucket}/{victim}"]
    finally:
        stub.close()
        if saved is None:
            os.environ.pop("AWS_ENDPOINT_URL_CLOUDTRAIL", None)
        else:
            os.environ["AWS_ENDPOINT_URL_CLOUDTRAIL"] = saved

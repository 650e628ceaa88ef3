"""What `aws cloudtrail validate-logs` and `auditkit verify aws` each report on the same tampered day.

One region, 24 hourly digests with 2 log files an hour (forged like verify_vs_awscli.py). Tampering:
the digests of 10:00 and 11:00 deleted (two consecutive hours), the newest digest deleted, and one log
file injected that no digest lists. Prints each tool's findings. Run: .venv/bin/python benchmarks/verify_blind_spots.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import boto3  # noqa: E402
import verify_vs_awscli as bench  # noqa: E402

from auditkit.auditors.demo.emulator_cloudtrail import CloudTrailStub  # noqa: E402
from auditkit.auditors.demo.emulator_digests import EPOCH, HOUR, Delivery, new_key  # noqa: E402

REGION = "us-east-1"


def main() -> None:
    moto, url = bench._moto()
    os.environ.update(AWS_ENDPOINT_URL=url, AWS_ACCESS_KEY_ID="b", AWS_SECRET_ACCESS_KEY="b", AWS_DEFAULT_REGION=REGION)
    stub = CloudTrailStub(url)
    os.environ["AWS_ENDPOINT_URL_CLOUDTRAIL"] = stub.endpoint
    try:
        session = boto3.Session(region_name=REGION)
        s3 = session.client("s3")
        s3.create_bucket(Bucket=bench.BUCKET)
        arn = session.client("cloudtrail").create_trail(
            Name=bench.TRAIL, S3BucketName=bench.BUCKET, EnableLogFileValidation=True
        )["TrailARN"]
        key = new_key()
        stub.keys = {REGION: [key.stub_key()]}
        d = Delivery(s3, bench.BUCKET, bench.TRAIL, REGION, {REGION: key})
        d.hours([REGION], EPOCH, 24)
        bench._delivered(stub, 24)
        for h in (10, 11, 23):
            s3.delete_object(Bucket=bench.BUCKET, Key=d.digest_key(d.account, REGION, EPOCH + HOUR * h))
        injected = d.log_key(d.account, REGION, EPOCH + HOUR * 5 + timedelta(minutes=50), 9)
        d.put_log(injected, EPOCH + HOUR * 5, REGION, d.account)
        print("tampered: digests of 10:00, 11:00 and 23:00 (newest) deleted; one log file injected at 05:50\n")
        start, end = "2026-11-01T23:30:00Z", "2026-11-02T23:10:00Z"
        cli = subprocess.run(
            [str(bench.BIN / "aws"), "cloudtrail", "validate-logs", "--trail-arn", arn, "--start-time", start]
            + ["--end-time", end, "--region", REGION],
            capture_output=True,
            text=True,
        )
        print(f"aws cloudtrail validate-logs (exit {cli.returncode}):")
        print("  " + "\n  ".join(ln for ln in (cli.stderr + cli.stdout).splitlines() if ln.strip()))
        with tempfile.NamedTemporaryFile(suffix=".json") as out:
            ak = subprocess.run(
                [str(bench.BIN / "auditkit"), "verify", "aws", "--region", REGION, "--start", start, "--end", end]
                + ["--format", "json", "--output", out.name],
                capture_output=True,
                text=True,
            )
            doc = json.loads(Path(out.name).read_text())
        print(f"\nauditkit verify aws (exit {ak.returncode}):")
        for f in doc["findings"]:
            if f["status"] != "PASS":
                print(f"  {f['status']} {f['resource'].rsplit('/', 1)[-1]}: {f['message'][:150]}")
    finally:
        stub.close()
        moto.terminate()
        moto.wait(10)


if __name__ == "__main__":
    main()

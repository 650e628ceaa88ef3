"""`auditkit verify aws` vs `aws cloudtrail validate-logs` on the same emulated bucket, end to end.

The bucket: one multi-region trail, 30 days x 4 regions x 24 hourly digests, 2 log files an hour
(2,880 digests, 5,760 log files), forged in AWS's digest shape and signed with test RSA keys
(auditors/demo/emulator_digests.py). moto's server runs in its own process; a loopback stub answers
cloudtrail:ListPublicKeys for both tools (moto lacks it). awscli (the test extra) validates one
region per invocation, so it runs once per region; AuditKit runs once for all four. Both run as
subprocesses. Printed: seconds, the ratio, and whether both found every digest and log file valid.
Then the daily run: one more day delivered, verified from the checkpoint. BENCH_LATENCY_MS=25 puts a
proxy adding 25 ms per S3 request in front of moto for both tools (S3-like latency; loopback has none).
Run: .venv/bin/python benchmarks/verify_vs_awscli.py
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import boto3  # noqa: E402
import requests  # noqa: E402

from auditkit.auditors.demo.emulator_cloudtrail import CloudTrailStub  # noqa: E402
from auditkit.auditors.demo.emulator_digests import EPOCH, HOUR, Delivery, new_key  # noqa: E402

DAYS = int(os.environ.get("BENCH_DAYS", "30"))  # smaller for a quick check
REGIONS, LOGS_PER_HOUR = ("us-east-1", "us-west-2", "eu-west-1", "ap-southeast-2"), 2
BUCKET, TRAIL, ACCOUNT = "bench-audit-archive", "bench-trail", "123456789012"
BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _moto() -> tuple[subprocess.Popen, str]:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            requests.get(f"{url}/moto-api/", timeout=1)
            return proc, url
        except requests.RequestException:
            time.sleep(0.1)
    raise RuntimeError("moto server did not start")


def _forge(stub: CloudTrailStub) -> tuple[Delivery, str]:
    session = boto3.Session(region_name="us-east-1")
    s3 = session.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    arn = session.client("cloudtrail").create_trail(
        Name=TRAIL, S3BucketName=BUCKET, IsMultiRegionTrail=True, EnableLogFileValidation=True
    )["TrailARN"]
    keys = {r: new_key() for r in REGIONS}
    stub.keys = {r: [k.stub_key()] for r, k in keys.items()}
    d = Delivery(s3, BUCKET, TRAIL, "us-east-1", keys)
    d.hours(REGIONS, EPOCH, DAYS * 24, LOGS_PER_HOUR)
    return d, arn


def _delivered(stub: CloudTrailStub, hours: int) -> None:
    last = EPOCH + HOUR * (hours - 1)
    stub.status[TRAIL] = {"IsLogging": True, "LatestDigestDeliveryTime": (last + timedelta(minutes=4)).timestamp()}


def _awscli(arn: str, start: str, end: str) -> tuple[float, int, int, bool]:
    began, digests, logs, clean = time.perf_counter(), 0, 0, True
    for region in REGIONS:
        cmd = [str(BIN / "aws"), "cloudtrail", "validate-logs", "--trail-arn", arn, "--start-time", start]
        out = subprocess.run([*cmd, "--end-time", end, "--region", region], capture_output=True, text=True)
        d = re.search(r"(\d+)/(\d+) digest files valid", out.stdout)
        lg = re.search(r"(\d+)/(\d+) log files valid", out.stdout)
        clean &= (
            out.returncode == 0 and bool(d) and d.group(1) == d.group(2) and bool(lg) and lg.group(1) == lg.group(2)
        )
        digests += int(d.group(1)) if d else 0
        logs += int(lg.group(1)) if lg else 0
        if out.returncode:
            print(f"awscli {region}: exit {out.returncode}: {out.stderr.strip()[:300]}")
    return time.perf_counter() - began, digests, logs, clean


def _auditkit(start: str, end: str, checkpoint: str) -> tuple[float, dict]:
    began = time.perf_counter()
    regions = [a for r in REGIONS for a in ("--region", r)]
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        cmd = [str(BIN / "auditkit"), "verify", "aws", *regions, "--start", start, "--end", end]
        proc = subprocess.run([*cmd, "--checkpoint", checkpoint, "--format", "json", "--output", out.name])
        seconds = time.perf_counter() - began
        doc = json.loads(Path(out.name).read_text())
    doc["summary"]["exit"] = proc.returncode
    return seconds, doc["summary"]


def _latency(url: str, ms: float) -> tuple[subprocess.Popen | None, str]:
    """With BENCH_LATENCY_MS, both verifiers reach S3 through a proxy adding that delay per request."""
    if not ms:
        return None, url
    script = str(Path(__file__).with_name("latency_proxy.py"))
    proxy = subprocess.Popen([sys.executable, script, url, str(ms)], stdout=subprocess.PIPE, text=True)
    assert proxy.stdout is not None
    return proxy, f"http://127.0.0.1:{proxy.stdout.readline().strip()}"


def main() -> None:
    moto, url = _moto()
    latency = float(os.environ.get("BENCH_LATENCY_MS", "0"))
    proxy, s3_url = _latency(url, latency)
    os.environ.update(AWS_ENDPOINT_URL=url, AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench")
    os.environ.update(AWS_DEFAULT_REGION="us-east-1")
    stub = CloudTrailStub(url)
    os.environ["AWS_ENDPOINT_URL_CLOUDTRAIL"] = stub.endpoint
    try:
        began = time.perf_counter()
        delivery, arn = _forge(stub)
        _delivered(stub, DAYS * 24)
        os.environ["AWS_ENDPOINT_URL_S3"] = s3_url  # forged directly; both verifiers read through the proxy
        print(f"S3 latency added per request: {latency:g} ms")
        print(
            f"forged {DAYS} days x {len(REGIONS)} regions x 24 digests, {LOGS_PER_HOUR} log files/hour "
            f"in {time.perf_counter() - began:.1f} s"
        )
        start, end = (
            "2026-11-01T23:30:00Z",
            (EPOCH + HOUR * (DAYS * 24 - 1) + timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        )
        with tempfile.TemporaryDirectory() as tmp:
            checkpoint = str(Path(tmp) / "checkpoint.json")
            cli_s, cli_digests, cli_logs, cli_clean = _awscli(arn, start, end)
            ak_s, summary = _auditkit(start, end, checkpoint)
            print(f"{'':<28}{'seconds':>9} {'digests':>8} {'log files':>10}  verdict")
            print(
                f"{'aws cloudtrail validate-logs':<28}{cli_s:>9.1f} {cli_digests:>8} {cli_logs:>10}  "
                f"{'all valid' if cli_clean else 'NOT all valid'}"
            )
            ak_clean = summary["exit"] == 0 and summary["FAIL"] == 0 and summary["ERROR"] == 0
            print(
                f"{'auditkit verify aws':<28}{ak_s:>9.1f} {summary['digests']:>8} {summary['log_files']:>10}  "
                f"{'all verified' if ak_clean else 'NOT all verified'} ({summary['api_calls']} API calls)"
            )
            agree = cli_clean and ak_clean and (cli_digests, cli_logs) == (summary["digests"], summary["log_files"])
            print(f"speed-up: {cli_s / ak_s:.1f}x; agreement on the untampered chain: {'yes' if agree else 'NO'}")
            delivery.hours(REGIONS, EPOCH + HOUR * DAYS * 24, 24, LOGS_PER_HOUR)
            _delivered(stub, (DAYS + 1) * 24)
            later = (EPOCH + HOUR * ((DAYS + 1) * 24 - 1) + timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M:%SZ")
            day_s, day = _auditkit(start, later, checkpoint)
            print(
                f"daily run from the checkpoint (1 new day): {day_s:.1f} s, {day['digests']} digests, "
                f"{day['log_files']} log files, {day['api_calls']} API calls, exit {day['exit']}"
            )
    finally:
        stub.close()
        for proc in (proxy, moto):
            if proc is not None:
                proc.terminate()
                proc.wait(10)


if __name__ == "__main__":
    main()

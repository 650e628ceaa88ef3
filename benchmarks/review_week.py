"""`make bench`: the embedded review engine over a generated week of a busy account's CloudTrail.

Generates >= 500 MB of gzipped CloudTrail JSON into /tmp (not committed; reused if already there), then in the
same run: (1) a plain Python `gzip` + `json.loads` loop over the files, (2) the weekly review on the embedded
engine (each file read once: hashed, inflated and parsed from those bytes). Prints both times, the ratio, the
peak memory (ru_maxrss) and the bytes read per file. Bars: under 60 s, under 1 GB, at least 5x the loop.
"""

from __future__ import annotations

import gzip
import json
import os
import random
import resource
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(os.environ.get("REVIEW_BENCH_DIR", "/tmp/auditkit-review-week"))
TARGET = 500 * 1024 * 1024
START = datetime(2026, 11, 23, tzinfo=timezone.utc)  # Monday of ISO week 2026-W48
ROLES = [f"service-{i:02d}" for i in range(40)]


def _record(t: datetime, rnd: random.Random) -> dict:
    from auditkit.auditors.demo.review_step import phi_read, role

    who = role(rnd.choice(ROLES), uuid.UUID(int=rnd.getrandbits(128)).hex[:12])
    if rnd.random() < 0.5:
        return phi_read(t, who, rnd.getrandbits(20), f"10.0.{rnd.randrange(256)}.{rnd.randrange(256)}")
    name = rnd.choice(["DescribeInstances", "GetItem", "Decrypt", "AssumeRole", "PutObject"])
    return {
        "eventVersion": "1.09",
        "userIdentity": who,
        "eventTime": t.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": "ec2.amazonaws.com",
        "eventName": name,
        "awsRegion": "us-east-1",
        "sourceIPAddress": f"10.1.{rnd.randrange(256)}.{rnd.randrange(256)}",
        "userAgent": "aws-sdk-go-v2/1.30.0",
        "requestParameters": {"instancesSet": {"items": [{"instanceId": f"i-{rnd.getrandbits(64):016x}"}]}},
        "responseElements": None,
        "requestID": str(uuid.UUID(int=rnd.getrandbits(128))),
        "eventID": str(uuid.UUID(int=rnd.getrandbits(128))),
        "readOnly": True,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": "123456789012",
        "eventCategory": "Management",
    }


def generate() -> list[Path]:
    files = sorted(ROOT.rglob("*.json.gz"))
    if files and sum(f.stat().st_size for f in files) >= TARGET:
        return files
    rnd, size, n = random.Random(48), 0, 0
    per_file = 4000
    slots = 7 * 24 * 12  # a file every 5 minutes for a week, several per slot
    while size < TARGET:
        t = START + timedelta(minutes=5 * (n % slots))
        recs = [_record(t + timedelta(seconds=rnd.randrange(300)), rnd) for _ in range(per_file)]
        day = ROOT / f"AWSLogs/123456789012/CloudTrail/us-east-1/{t:%Y/%m/%d}"
        day.mkdir(parents=True, exist_ok=True)
        path = day / f"123456789012_CloudTrail_us-east-1_{t:%Y%m%dT%H%MZ}_{n:06d}bench.json.gz"
        path.write_bytes(gzip.compress(json.dumps({"Records": recs}).encode(), 6))
        size += path.stat().st_size
        n += 1
    return sorted(ROOT.rglob("*.json.gz"))


def main() -> int:
    from auditkit.auditors.review.periods import named
    from auditkit.auditors.review.run import ReviewRequest, review
    from auditkit.policies.review.catalog import Cadence, ReviewParams

    files = generate()
    size = sum(f.stat().st_size for f in files)
    print(f"{len(files)} files, {size / 2**20:.0f} MB gzipped CloudTrail JSON in {ROOT}")
    t0 = time.perf_counter()
    count = 0
    for f in files:
        with gzip.open(f) as fh:
            count += len(json.loads(fh.read())["Records"])
    loop = time.perf_counter() - t0
    print(f"python gzip + json.loads loop: {count} records in {loop:.1f} s")
    period = named(Cadence.WEEKLY, "2026-W48")
    read_before = _rchar()
    t0 = time.perf_counter()
    result = review(ReviewRequest(period, ReviewParams(period.start, period.end), logs=str(ROOT)))
    took = time.perf_counter() - t0
    read = _rchar() - read_before
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    errors = [r for r in result.inputs if r.error]
    print(
        f"embedded weekly review: {result.records} records, {len(result.results)} queries, {len(errors)} errors, {took:.1f} s"
    )
    print(f"bytes read by the process during the review: {read / size:.2f}x the files' size (1.00 = each file once)")
    print(f"peak memory (whole process): {peak:.0f} MB; speed-up over the loop: {loop / took:.1f}x")
    ok = took < 60 and peak < 1024 and loop / took >= 5 and not errors
    print("bars (<60 s, <1 GB, >=5x):", "met" if ok else "NOT met")
    return 0 if ok else 1


def _rchar() -> int:
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("rchar:"):
            return int(line.split()[1])
    return 0


if __name__ == "__main__":
    sys.exit(main())

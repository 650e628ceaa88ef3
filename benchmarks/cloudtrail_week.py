"""A generated week of a busy account's CloudTrail, fast: for benchmarks/review_week.py.

A few hundred records are built once in CloudTrail's published shape (AWS CloudTrail User Guide, "CloudTrail
record contents", and its examples for S3 data events, KMS, STS AssumeRole, EC2 and ConsoleLogin; the record
builders are the demo's, auditors/demo/review_step.py), serialized once with placeholders for the fields that
differ per event (eventTime, eventID, requestID), and then stamped into files by string formatting, with fresh
random IDs per event. Files are gzipped at level 1 in CloudTrail's layout,
AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/<account>_CloudTrail_<region>_YYYYMMDDTHHmmZ_<unique>.json.gz,
every 5 minutes in each region, by worker processes. The week is cached in the temp dir under a name keyed by
its parameters; a `complete` marker is written last, so an interrupted generation is never reused.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import random
import tempfile
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime, timedelta, timezone
from functools import cache
from pathlib import Path
from typing import Any

from auditkit.auditors.demo.review_step import ACCOUNT, PHI_BUCKET, business_hours, event, iam_user, phi_read, role

VERSION = 1  # bump when the records change: the cache key includes it
START = datetime(2026, 11, 23, tzinfo=timezone.utc)  # Monday of ISO week 2026-W48
SLOTS = 7 * 24 * 12  # CloudTrail delivers a region's events about every 5 minutes
REGIONS = ("us-east-1", "us-west-2")
RECORDS_PER_FILE = 900  # about 1 MB of JSON per file, 9 files a minute: a busy account
APP_ROLES = [f"app-backend-{i:02d}" for i in range(12)]
OPS_ROLES = [f"ops-{n}" for n in ("automation", "deploy", "monitoring", "backup", "ci", "patching")]
_MARK = {"eventTime": "\x01T\x01", "eventID": "\x01E\x01", "requestID": "\x01R\x01"}


def _ip(rnd: random.Random, prefix: str = "10.0") -> str:
    return f"{prefix}.{rnd.randrange(256)}.{rnd.randrange(1, 255)}"


def _kms(rnd: random.Random, region: str, who: dict[str, Any], name: str) -> dict[str, Any]:
    key = f"arn:aws:kms:{region}:{ACCOUNT}:key/{rnd.getrandbits(128):032x}"
    obj = f"arn:aws:s3:::{PHI_BUCKET}/patients/{rnd.getrandbits(20):06d}/chart.json"
    return event(
        START,
        "kms.amazonaws.com",
        name,
        who,
        sourceIPAddress="s3.amazonaws.com",
        userAgent="s3.amazonaws.com",
        requestParameters={"encryptionAlgorithm": "SYMMETRIC_DEFAULT", "encryptionContext": {"aws:s3:arn": obj}},
        resources=[{"accountId": ACCOUNT, "type": "AWS::KMS::Key", "ARN": key}],
        readOnly=True,
    )


def _assume(rnd: random.Random, who: dict[str, Any], target: str) -> dict[str, Any]:
    return event(
        START,
        "sts.amazonaws.com",
        "AssumeRole",
        who,
        sourceIPAddress=_ip(rnd),
        requestParameters={"roleArn": f"arn:aws:iam::{ACCOUNT}:role/{target}", "roleSessionName": "session"},
        responseElements={
            "credentials": {"accessKeyId": "ASIAEXAMPLEKEY", "expiration": "Nov 23, 2026, 1:00:00 AM"},
            "assumedRoleUser": {"assumedRoleId": f"AROAEXAMPLE:{target}", "arn": f"arn:aws:sts::{ACCOUNT}:"},
        },
        resources=[{"accountId": ACCOUNT, "type": "AWS::IAM::Role", "ARN": f"arn:aws:iam::{ACCOUNT}:role/{target}"}],
    )


def _describe(rnd: random.Random, who: dict[str, Any]) -> dict[str, Any]:
    ids = [{"instanceId": f"i-{rnd.getrandbits(64):016x}"} for _ in range(rnd.randrange(1, 4))]
    return event(
        START,
        "ec2.amazonaws.com",
        "DescribeInstances",
        who,
        sourceIPAddress=_ip(rnd, "10.1"),
        userAgent="aws-sdk-go-v2/1.30.0 os/linux lang/go#1.22.4",
        requestParameters={"instancesSet": {"items": ids}, "filterSet": {}},
    )


def _templates(region: str, office_hours: bool, seed: int) -> list[dict[str, Any]]:
    """The slot's records: an application reading and writing PHI in business hours, always operations."""
    rnd = random.Random(seed)
    out: list[dict[str, Any]] = []
    for _ in range(300):
        app = role(rnd.choice(APP_ROLES), f"i-{rnd.getrandbits(64):016x}")
        ops = role(rnd.choice(OPS_ROLES), f"{rnd.getrandbits(48):012x}")
        kind = rnd.random()
        if office_hours and kind < 0.45:
            rec = phi_read(START, app, rnd.getrandbits(20), _ip(rnd))
        elif office_hours and kind < 0.55:
            rec = phi_read(START, app, rnd.getrandbits(20), _ip(rnd)) | {"eventName": "PutObject", "readOnly": False}
        elif kind < 0.7:
            rec = _kms(rnd, region, app if office_hours else ops, "Decrypt" if kind < 0.65 else "GenerateDataKey")
        elif kind < 0.8:
            rec = _assume(rnd, ops, rnd.choice(OPS_ROLES))
        elif kind < 0.995:
            rec = _describe(rnd, ops)
        elif office_hours and kind < 0.998:
            user = iam_user(f"clinician{rnd.randrange(30)}")
            rec = event(START, "signin.amazonaws.com", "ConsoleLogin", user, sourceIPAddress=_ip(rnd, "203.0"))
            rec |= {"responseElements": {"ConsoleLogin": "Success"}, "additionalEventData": {"MFAUsed": "Yes"}}
        else:
            rec = phi_read(START, ops, rnd.getrandbits(20), _ip(rnd))
            rec |= {"errorCode": "AccessDenied", "errorMessage": "Access Denied"}
        rec |= {"awsRegion": region, **_MARK}
        out.append(rec)
    return out


@cache
def _formats(region: str, office_hours: bool, seed: int) -> list[str]:
    """Each template as a %-format: eventTime, requestID, eventID are filled per event."""
    out = []
    for rec in _templates(region, office_hours, seed):
        text = json.dumps(rec, separators=(",", ":")).replace("%", "%%")
        for key, mark in _MARK.items():
            text = text.replace(json.dumps(mark), '"%(' + key + ')s"')
        out.append(text)
    return out


def _slot(n: int, files: int) -> tuple[datetime, str]:
    return START + timedelta(minutes=5 * (n * SLOTS // files)), REGIONS[n % len(REGIONS)]


def _write(job: tuple[Path, int, int, int]) -> int:
    root, n, files, seed = job
    at, region = _slot(n, files)
    rnd = random.Random(seed * 1_000_003 + n)
    formats = _formats(region, business_hours(at), seed * 4 + REGIONS.index(region) * 2 + business_hours(at))
    ids = os.urandom(24 * RECORDS_PER_FILE).hex()
    parts = []
    for i, fmt in enumerate(rnd.choices(formats, k=RECORDS_PER_FILE)):
        e = ids[48 * i : 48 * i + 48]
        t = at + timedelta(seconds=rnd.randrange(300))
        parts.append(
            fmt
            % {
                "eventTime": f"{t:%Y-%m-%dT%H:%M:%SZ}",
                "eventID": f"{e[:8]}-{e[8:12]}-4{e[13:16]}-a{e[17:20]}-{e[20:32]}",
                "requestID": e[32:48].upper(),
            }
        )
    body = ('{"Records":[' + ",".join(parts) + "]}").encode()
    day = root / f"AWSLogs/{ACCOUNT}/CloudTrail/{region}/{at:%Y/%m/%d}"
    day.mkdir(parents=True, exist_ok=True)
    path = day / f"{ACCOUNT}_CloudTrail_{region}_{at:%Y%m%dT%H%MZ}_{n:06d}{e[:8]}.json.gz"
    path.write_bytes(gzip.compress(body, 1, mtime=0))
    return path.stat().st_size


def week(size_mb: int, seed: int = 48, workers: int | None = None) -> tuple[Path, list[Path]]:
    """The cached week of at least size_mb MB of gzipped log files (generated on first use)."""
    key = hashlib.sha256(f"{VERSION}|{size_mb}|{seed}|{RECORDS_PER_FILE}|{REGIONS}".encode()).hexdigest()[:12]
    root = Path(os.environ.get("REVIEW_BENCH_DIR", tempfile.gettempdir())) / f"auditkit-review-week-{key}"
    done = root / "complete"
    if not done.exists():
        _generate(root, size_mb << 20, seed, workers or os.cpu_count() or 1)
        done.write_text(json.dumps({"size_mb": size_mb, "seed": seed, "version": VERSION}))
    return root, sorted(root.rglob("*.json.gz"))


def _generate(root: Path, target: int, seed: int, workers: int) -> None:
    import shutil

    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    probe = sum(_write((root / "probe", n, SLOTS, seed)) for n in range(8)) / 8
    shutil.rmtree(root / "probe")
    files = max(1, int(target / probe * 1.02) + 1)
    with ProcessPoolExecutor(workers) as pool:
        size = sum(pool.map(_write, [(root, n, files, seed) for n in range(files)], chunksize=16))
    extra = files
    while size < target:  # the estimate fell short: more files in the last slot
        size += _write((root, extra, extra + 1, seed))
        extra += 1

"""`auditkit demo`, the review step: a day of CloudTrail records with planted events, reviewed.

The forge (also used by the tests, over a month) delivers log files and signed digests with
emulator_digests.Delivery, whose log files here hold records in CloudTrail's published shape (AWS CloudTrail
User Guide, "CloudTrail record contents" and its examples for S3 data events, ConsoleLogin and AssumeRole):
background work by an application role during business hours and an operations role every hour, and three
planted events: an after-hours burst of PHI reads, a console sign-in without MFA, a lifecycle change on the
audit archive. Emulator-only: nothing here runs against a real account.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from auditkit.auditors.demo.emulator_digests import Delivery

ACCOUNT = "123456789012"
PHI_BUCKET = "acme-phi-records"
APP_ROLE, OPS_ROLE, EXPORT_ROLE, ADMIN_ROLE = "app-backend", "ops-automation", "data-export", "platform-admin"
NY = ZoneInfo("America/New_York")
BURST = 600  # reads in one 5-minute window: above phi_read_volume's 500


def _id(*parts: object) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "|".join(str(p) for p in parts)))


def role(name: str, session: str) -> dict[str, Any]:
    return {
        "type": "AssumedRole",
        "principalId": f"AROAEXAMPLE{name.upper().replace('-', '')}:{session}",
        "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/{name}/{session}",
        "accountId": ACCOUNT,
        "accessKeyId": "ASIAEXAMPLEKEY",
        "sessionContext": {
            "sessionIssuer": {
                "type": "Role",
                "principalId": f"AROAEXAMPLE{name.upper().replace('-', '')}",
                "arn": f"arn:aws:iam::{ACCOUNT}:role/{name}",
                "accountId": ACCOUNT,
                "userName": name,
            },
            "attributes": {"creationDate": "2026-11-01T00:00:00Z", "mfaAuthenticated": "false"},
        },
    }


def iam_user(name: str) -> dict[str, Any]:
    return {
        "type": "IAMUser",
        "principalId": f"AIDAEXAMPLE{name.upper()}",
        "arn": f"arn:aws:iam::{ACCOUNT}:user/{name}",
        "accountId": ACCOUNT,
        "userName": name,
    }


def event(at: datetime, source: str, name: str, who: dict[str, Any], n: object = 0, **fields: Any) -> dict[str, Any]:
    rec: dict[str, Any] = {
        "eventVersion": "1.09",
        "userIdentity": who,
        "eventTime": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": source,
        "eventName": name,
        "awsRegion": "us-east-1",
        "sourceIPAddress": "10.0.12.7",
        "userAgent": "aws-sdk-java/2.25.1",
        "requestParameters": None,
        "responseElements": None,
        "requestID": _id("req", at, name, n)[:16].upper(),
        "eventID": _id("event", at, name, n),
        "readOnly": name.startswith(("Get", "Describe", "List")),
        "eventType": "AwsApiCall",
        "managementEvent": source != "s3.amazonaws.com" or not name.endswith("Object"),
        "recipientAccountId": ACCOUNT,
        "eventCategory": "Management",
    }
    rec.update(fields)
    return rec


def phi_read(at: datetime, who: dict[str, Any], n: int, ip: str = "10.0.12.7") -> dict[str, Any]:
    key = f"patients/{n:06d}/chart.json"
    return event(
        at,
        "s3.amazonaws.com",
        "GetObject",
        who,
        n,
        sourceIPAddress=ip,
        requestParameters={"bucketName": PHI_BUCKET, "Host": f"{PHI_BUCKET}.s3.amazonaws.com", "key": key},
        additionalEventData={"SignatureVersion": "SigV4", "bytesTransferredOut": 2048},
        resources=[
            {"type": "AWS::S3::Object", "ARN": f"arn:aws:s3:::{PHI_BUCKET}/{key}"},
            {"accountId": ACCOUNT, "type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{PHI_BUCKET}"},
        ],
        eventCategory="Data",
        managementEvent=False,
    )


def business_hours(at: datetime) -> bool:
    local = at.astimezone(NY)
    return local.isoweekday() <= 5 and 8 <= local.hour < 18


def background(at: datetime) -> list[dict[str, Any]]:
    """What every log file holds: operations every hour, the application reading PHI in business hours."""
    out = [event(at - timedelta(minutes=1), "ec2.amazonaws.com", "DescribeInstances", role(OPS_ROLE, "cron"))]
    if business_hours(at - timedelta(minutes=2)):
        out.append(phi_read(at - timedelta(minutes=2), role(APP_ROLE, "web"), int(at.timestamp()) % 100000))
    return out


@dataclass(frozen=True)
class Planted:
    """The three planted events' times (UTC): each lands in the first log file of its hour."""

    burst: datetime  # an after-hours burst of PHI reads by the data-export role
    login: datetime  # an IAM user signs in to the console without MFA
    lifecycle: datetime  # the audit archive's lifecycle is changed

    def records(self, archive: str) -> dict[datetime, list[dict[str, Any]]]:
        eve = role(EXPORT_ROLE, "eve")
        burst = [
            phi_read(self.burst + timedelta(seconds=i * 290 // BURST), eve, i, "198.51.100.23") for i in range(BURST)
        ]
        login = event(
            self.login,
            "signin.amazonaws.com",
            "ConsoleLogin",
            iam_user("alice"),
            sourceIPAddress="203.0.113.50",
            userAgent="Mozilla/5.0",
            responseElements={"ConsoleLogin": "Success"},
            additionalEventData={"LoginTo": "https://console.aws.amazon.com/", "MobileVersion": "No", "MFAUsed": "No"},
        )
        lifecycle = event(
            self.lifecycle,
            "s3.amazonaws.com",
            "PutBucketLifecycle",
            role(ADMIN_ROLE, "bob"),
            sourceIPAddress="203.0.113.60",
            userAgent="aws-cli/2.15.0",
            requestParameters={"bucketName": archive, "Host": f"{archive}.s3.amazonaws.com", "lifecycle": ""},
        )
        out: dict[datetime, list[dict[str, Any]]] = {}
        for t, recs in ((self.burst, burst), (self.login, [login]), (self.lifecycle, [lifecycle])):
            out.setdefault(t.replace(minute=0, second=0), []).extend(recs)
        return out


DEMO_PLANTED = Planted(
    datetime(2026, 11, 2, 7, 0, tzinfo=timezone.utc),  # 02:00 in New York
    datetime(2026, 11, 2, 15, 0, 10, tzinfo=timezone.utc),
    datetime(2026, 11, 2, 16, 0, 20, tzinfo=timezone.utc),
)


@dataclass
class ReviewDelivery(Delivery):
    """Delivery whose log files hold background records, and the planted ones in the first file of their hour."""

    planted: dict[datetime, list[dict[str, Any]]] = field(default_factory=dict)
    written: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # key -> records

    def put_log(self, key: str, at: datetime, region: str, account: str) -> str:
        hour = at.replace(minute=0, second=0, microsecond=0)
        first = at.minute < 20
        recs = (self.planted.get(hour, []) if first and region == "us-east-1" else []) + background(at)
        recs = [{**r, "awsRegion": region} for r in recs]
        raw = json.dumps({"Records": recs}).encode()
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=gzip.compress(raw))
        self.written[key] = recs
        return hashlib.sha256(raw).hexdigest()


class FolderS3:
    """A local folder that takes put_object like S3: the forge writes an `aws s3 sync` copy directly."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def put_object(self, Bucket: str, Key: str, Body: bytes, Metadata: dict | None = None) -> None:  # noqa: N803
        path = self.root / Key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(Body)


DEMO_TRAIL, DEMO_BUCKET = "acme-review", "acme-cloudtrail-review"
EXPECTED_DEMO_ALERTS = [
    "audit_archive_tampering",
    "console_login_without_mfa",
    "phi_read_volume",
    "s3_bucket_policy_changes",
]


def run_review_step(session: Any, endpoint: str, folder: Path) -> bool:
    """A day of records with the three planted events in a trail's bucket; the daily review finds exactly them."""
    import os

    from rich.console import Console

    from auditkit.auditors.demo.emulator_cloudtrail import CloudTrailStub
    from auditkit.auditors.demo.emulator_digests import new_key
    from auditkit.auditors.findings import iso_utc, utc_now
    from auditkit.auditors.review.periods import named
    from auditkit.auditors.review.run import ReviewRequest, review
    from auditkit.auditors.review.worksheet import write
    from auditkit.policies.review.catalog import Cadence, ReviewParams
    from auditkit.settings.review_settings import review_settings

    err = Console(stderr=True)
    session.client("s3").create_bucket(Bucket=DEMO_BUCKET)
    ct = session.client("cloudtrail")
    ct.create_trail(Name=DEMO_TRAIL, S3BucketName=DEMO_BUCKET, IsMultiRegionTrail=True, EnableLogFileValidation=True)
    key = new_key()
    delivery = ReviewDelivery(
        session.client("s3"),
        DEMO_BUCKET,
        DEMO_TRAIL,
        "us-east-1",
        {"us-east-1": key},
        planted=DEMO_PLANTED.records(DEMO_BUCKET),
    )
    first = DEMO_PLANTED.burst.replace(hour=0, second=31)
    delivery.hours(["us-east-1"], first, 26)
    stub = CloudTrailStub(endpoint, {"us-east-1": [key.stub_key()]})
    stub.status[DEMO_TRAIL] = {"LatestDigestDeliveryTime": (first + timedelta(hours=25, minutes=4)).timestamp()}
    saved = os.environ.get("AWS_ENDPOINT_URL_CLOUDTRAIL")
    os.environ["AWS_ENDPOINT_URL_CLOUDTRAIL"] = stub.endpoint
    try:
        period = named(Cadence.DAILY, f"{DEMO_PLANTED.burst:%Y-%m-%d}")
        settings = review_settings({"businessHours": "Mon-Fri 08:00-18:00", "timeZone": "America/New_York"})
        params = ReviewParams(period.start, period.end, None, (PHI_BUCKET,), None, settings)
        started = iso_utc(utc_now())
        result = review(ReviewRequest(period, params, trail=DEMO_TRAIL, regions=("us-east-1",), cache=folder / "cache"))
        path, sha = write(result, folder / "6-daily-review", started)
    finally:
        stub.close()
        if saved is None:
            os.environ.pop("AWS_ENDPOINT_URL_CLOUDTRAIL", None)
        else:
            os.environ["AWS_ENDPOINT_URL_CLOUDTRAIL"] = saved
    daily = result.results[0]
    found = sorted(str(row[0]) for row in daily.rows)
    err.print(
        f"daily review of {period.label}: {len(result.proof.verified_hours)} hours verified, {result.records} records, "
        f"high-risk events {found}; worksheet {path.parent}/index.html (sha256 {sha[:16]}…)"
    )
    return found == EXPECTED_DEMO_ALERTS and not result.proof.unverifiable_hours

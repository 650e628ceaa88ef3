"""Read the digest chain and log files: paged listings, streamed hashing, failures kept as data.

Every call goes through `AccountSession.read`, so a denial, throttle or timeout becomes a Failure (an
ERROR finding), never a verdict about the logs, and an object cut short is read again (botocore's
StreamingBody checks Content-Length when read to the end). Only S3's NoSuchKey means "not there".
"""

from __future__ import annotations

import hashlib
import zlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from auditkit.auditors.aws.clients import AccountSession
from auditkit.auditors.aws.verify.digests import DigestObject, PublicKey
from auditkit.auditors.aws.verify.layout import iso
from auditkit.auditors.failures import Failure, pages

ABSENT = ("NoSuchKey",)
CHUNK = 1 << 16


@dataclass(frozen=True)
class LogRead:
    """A log file as read: the SHA-256 of its decompressed content, or why there is none."""

    sha256: str | None = None
    absent: bool = False
    not_gzip: bool = False
    failure: Failure | None = None


def list_keys(acct: AccountSession, region: str, bucket: str, prefix: str) -> list[str] | Failure:
    s3 = acct.client("s3", region)

    def call() -> list[str]:
        keys: list[str] = []
        for page in pages(
            s3.list_objects_v2, "ContinuationToken", "NextContinuationToken", Bucket=bucket, Prefix=prefix
        ):
            keys.extend(o["Key"] for o in page.get("Contents", []))
        return keys

    keys, failure = acct.read(call, "ListObjectsV2", region, f"s3://{bucket}/{prefix}")
    return failure if failure else keys  # type: ignore[return-value]


def get_digest(acct: AccountSession, region: str, bucket: str, key: str) -> DigestObject | None | Failure:
    """None: no such key (deleted)."""
    s3 = acct.client("s3", region)

    def call() -> DigestObject:
        resp = s3.get_object(Bucket=bucket, Key=key)
        return DigestObject(bucket, key, resp["Body"].read(), dict(resp.get("Metadata") or {}))

    obj, failure = acct.read(call, "GetObject", region, f"s3://{bucket}/{key}", ABSENT)
    return failure if failure else obj


def hash_log(acct: AccountSession, region: str, bucket: str, key: str) -> LogRead:
    """Stream the object through gunzip into SHA-256: memory stays flat whatever the file size."""
    s3 = acct.client("s3", region)

    def call() -> LogRead:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"]
        inflate, digest = zlib.decompressobj(zlib.MAX_WBITS | 16), hashlib.sha256()
        try:
            for chunk in body.iter_chunks(CHUNK):
                digest.update(inflate.decompress(chunk))
            digest.update(inflate.flush())
        except zlib.error:
            return LogRead(not_gzip=True)
        if not inflate.eof:
            return LogRead(not_gzip=True)
        return LogRead(sha256=digest.hexdigest())

    read, failure = acct.read(call, "GetObject", region, f"s3://{bucket}/{key}", ABSENT)
    if failure:
        return LogRead(failure=failure)
    return read if read is not None else LogRead(absent=True)


def surviving_versions(acct: AccountSession, region: str, bucket: str, key: str) -> str | Failure:
    """What a versioned (Object Lock) bucket still holds of a key that reads as deleted."""
    s3 = acct.client("s3", region)

    def call() -> str:
        resp = s3.list_object_versions(Bucket=bucket, Prefix=key)
        versions = [v for v in resp.get("Versions", []) if v["Key"] == key]
        markers = [m for m in resp.get("DeleteMarkers", []) if m["Key"] == key]
        if versions and markers:
            kept = ", ".join(str(v["VersionId"]) for v in versions)
            return (
                f"; a delete marker hides it, and the stored version ({kept}) is still there: S3 versioning / "
                "Object Lock kept it, so remove the delete marker to restore it"
            )
        if versions:
            return "; ListObjectVersions still lists a version of it"
        return "; no version of it is left in the bucket"

    text, failure = acct.read(call, "ListObjectVersions", region, f"s3://{bucket}/{key}")
    return failure if failure else text  # type: ignore[return-value]


def public_keys(acct: AccountSession, region: str, start: datetime, end: datetime) -> list[PublicKey] | Failure:
    ct = acct.client("cloudtrail", region)

    def call() -> list[PublicKey]:
        return [
            PublicKey(str(k["Fingerprint"]), bytes(k["Value"]), k["ValidityStartTime"], k["ValidityEndTime"])
            for page in pages(ct.list_public_keys, "NextToken", StartTime=start, EndTime=end)
            for k in page.get("PublicKeyList", [])
        ]

    keys, failure = acct.read(call, "ListPublicKeys", region, f"cloudtrail public keys {iso(start)}..{iso(end)}")
    return failure if failure else keys  # type: ignore[return-value]


def trail_status(acct: AccountSession, trail: dict[str, Any]) -> dict[str, Any] | Failure:
    region = str(trail.get("HomeRegion") or acct.default_region)
    ct = acct.client("cloudtrail", region)
    status, failure = acct.read(
        lambda: ct.get_trail_status(Name=trail["TrailARN"]), "GetTrailStatus", region, trail["TrailARN"]
    )
    return failure if failure else status  # type: ignore[return-value]


def describe_trails(acct: AccountSession, region: str, names: list[str]) -> list[dict[str, Any]] | Failure:
    ct = acct.client("cloudtrail", region)
    kwargs: dict[str, Any] = {"includeShadowTrails": True}
    if names:
        kwargs["trailNameList"] = names
    trails, failure = acct.read(
        lambda: ct.describe_trails(**kwargs)["trailList"], "DescribeTrails", region, f"cloudtrail trails in {region}"
    )
    return failure if failure else trails  # type: ignore[return-value]


def enabled_regions(acct: AccountSession) -> list[str] | Failure:
    regions, failure = acct.read(
        lambda: sorted(r["RegionName"] for r in acct.client("ec2").describe_regions()["Regions"]),
        "DescribeRegions",
        acct.default_region,
        "ec2:DescribeRegions",
    )
    return failure if failure else regions  # type: ignore[return-value]


def organization_id(acct: AccountSession) -> str | Failure:
    org = acct.client("organizations")
    org_id, failure = acct.read(
        lambda: str(org.describe_organization()["Organization"]["Id"]),
        "DescribeOrganization",
        acct.default_region,
        "organizations",
    )
    return failure if failure else org_id  # type: ignore[return-value]


def member_accounts(acct: AccountSession) -> set[str] | Failure:
    """The organization's ACTIVE member accounts (organizations:ListAccounts, paged)."""
    org = acct.client("organizations")

    def call() -> set[str]:
        return {
            str(a["Id"])
            for page in pages(org.list_accounts, "NextToken")
            for a in page["Accounts"]
            if a.get("Status", "ACTIVE") == "ACTIVE"
        }

    members, failure = acct.read(call, "ListAccounts", acct.default_region, "organizations")
    return failure if failure else members  # type: ignore[return-value]

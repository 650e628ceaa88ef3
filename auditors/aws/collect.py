"""Fetch the live state one account's audit logging depends on: paged, concurrent, failures kept.

Calls grow with regions and trails, not with buckets: bucket lists are paged, tag scope uses
the tagging API, and per-bucket calls are made only for the trails' destination buckets
(and bucket locations only when a single-region trail makes a bucket's region matter).
"""

from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from auditkit.auditors.aws import api_facts
from auditkit.auditors.aws.alerts import collect_alerts
from auditkit.auditors.aws.clients import AccountSession
from auditkit.auditors.aws.keys import KeyRef, describe_keys
from auditkit.auditors.failures import Failure, pages
from auditkit.policies.aws import judges
from auditkit.policies.aws.event_selectors import S3_OBJECT, UnknownShape, bucket_space
from auditkit.policies.aws.regions import partition_of

# Per destination bucket: (API operation, boto3 method, error codes meaning "not configured").
DESTINATION_CALLS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "object_lock": (
        "GetObjectLockConfiguration",
        "get_object_lock_configuration",
        ("ObjectLockConfigurationNotFoundError",),
    ),
    "lifecycle": (
        "GetBucketLifecycleConfiguration",
        "get_bucket_lifecycle_configuration",
        ("NoSuchLifecycleConfiguration",),
    ),
    "versioning": ("GetBucketVersioning", "get_bucket_versioning", ()),
    "public_access": ("GetPublicAccessBlock", "get_public_access_block", ("NoSuchPublicAccessBlockConfiguration",)),
    "policy": ("GetBucketPolicy", "get_bucket_policy", ("NoSuchBucketPolicy",)),
    "encryption": ("GetBucketEncryption", "get_bucket_encryption", ("ServerSideEncryptionConfigurationNotFoundError",)),
    "logging": ("GetBucketLogging", "get_bucket_logging", ()),
}


@dataclass
class TrailRecord:
    description: dict[str, Any]
    selectors: dict[str, Any] | None = None
    status: dict[str, Any] | None = None
    failures: dict[str, Failure] = field(default_factory=dict)

    @property
    def arn(self) -> str:
        return str(self.description.get("TrailARN", ""))

    @property
    def home_region(self) -> str:
        return str(self.description.get("HomeRegion", ""))


@dataclass
class DestinationRecord:
    name: str
    region: str
    responses: dict[str, Any] = field(default_factory=dict)
    failures: dict[str, Failure] = field(default_factory=dict)


@dataclass
class BucketRef:
    name: str
    region: str | None = None


@dataclass
class AccountSnapshot:
    account: str
    regions: list[str]
    # Whether GetCallerIdentity said who we are: without it no trail, key or bucket can be told ours or the
    # organization's, and every verdict that needs to (rules reading GetCallerIdentity) is ERROR.
    account_known: bool = True
    trails: list[TrailRecord] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    buckets: list[BucketRef] | None = None
    destinations: dict[str, DestinationRecord] = field(default_factory=dict)
    bucket_region_failures: dict[str, Failure] = field(default_factory=dict)
    # s3control GetPublicAccessBlock for this account (None: not configured or unread, see failure).
    account_public_access: dict[str, Any] | None = None
    account_public_access_failure: Failure | None = None
    keys: dict[KeyRef, tuple[str | None, Failure | None]] = field(default_factory=dict)
    # Destination buckets owned elsewhere (a member account's organization trail): name -> trail ARN.
    foreign_buckets: dict[str, str] = field(default_factory=dict)
    limited_regions: bool = False
    # The credentials' partition (from their default region): ARNs in findings are written in it.
    partition: str = "aws"
    alerts: Any = None  # auditors/aws/alerts.AlertRecord: metric filters, alarms, topics, GuardDuty

    @property
    def trail_buckets(self) -> set[str]:
        return {str(t.description.get("S3BucketName")) for t in self.trails if t.description.get("S3BucketName")}


def _strip(resp: dict[str, Any] | None) -> dict[str, Any] | None:
    if resp is not None:
        resp.pop("ResponseMetadata", None)
    return resp


def _regions(acct: AccountSession, snap: AccountSnapshot) -> list[str]:
    regions, failure = acct.read(
        lambda: sorted(r["RegionName"] for r in acct.client("ec2").describe_regions()["Regions"]),
        "DescribeRegions",
        acct.default_region,
        "ec2:DescribeRegions",
    )
    if failure:
        snap.failures.append(failure)
    return regions if regions is not None else [acct.default_region]


def _trails(acct: AccountSession, snap: AccountSnapshot, pool: Executor) -> None:
    def describe(region: str) -> tuple[str, Any, Failure | None]:
        def call() -> list[dict[str, Any]]:
            trails = acct.client("cloudtrail", region).describe_trails(includeShadowTrails=True)["trailList"]
            if not all(isinstance(t, dict) and t.get("TrailARN") for t in trails):
                raise UnknownShape(f"DescribeTrails: a trail without TrailARN in {trails!r}"[:300])
            return trails

        trails, failure = acct.read(
            call, "DescribeTrails", region, f"arn:{snap.partition}:cloudtrail:{region}:{snap.account}:trail/*"
        )
        return region, trails, failure

    seen: dict[str, TrailRecord] = {}
    for _region, trails, failure in pool.map(describe, snap.regions):
        if failure:
            snap.failures.append(failure)
            continue
        for desc in trails:
            seen.setdefault(desc["TrailARN"], TrailRecord(desc))
    snap.trails = list(seen.values())

    def details(t: TrailRecord) -> None:
        ct = acct.client("cloudtrail", t.home_region or acct.default_region)
        t.status, f1 = acct.read(
            lambda: _strip(ct.get_trail_status(Name=t.arn)), "GetTrailStatus", t.home_region, t.arn
        )
        t.selectors, f2 = acct.read(
            lambda: _strip(ct.get_event_selectors(TrailName=t.arn)), "GetEventSelectors", t.home_region, t.arn
        )
        t.failures.update({k: f for k, f in (("status", f1), ("selectors", f2)) if f})

    list(pool.map(details, snap.trails))


def _all_buckets(acct: AccountSession, snap: AccountSnapshot) -> None:
    s3 = acct.client("s3")
    buckets, failure = acct.read(
        lambda: [
            BucketRef(b["Name"], b.get("BucketRegion"))
            for p in pages(s3.list_buckets, "ContinuationToken", MaxBuckets=1000)
            for b in p["Buckets"]
        ],
        "ListBuckets",
        acct.default_region,
        "s3:ListBuckets",
    )
    if failure:
        snap.failures.append(failure)
    else:
        snap.buckets = buckets


def _tagged_in(acct: AccountSession, region: str, key: str, value: str) -> tuple[str, Any, Failure | None]:
    tagging = acct.client("resourcegroupstaggingapi", region)
    arns, failure = acct.read(
        lambda: [
            m["ResourceARN"]
            for page in pages(
                tagging.get_resources,
                "PaginationToken",
                ResourceTypeFilters=["s3:bucket"],
                TagFilters=[{"Key": key, "Values": [value]}],
            )
            for m in page["ResourceTagMappingList"]
        ],
        "GetResources",
        region,
        f"s3 buckets tagged {key}={value}",
    )
    return region, arns, failure


def _buckets(
    acct: AccountSession,
    snap: AccountSnapshot,
    scope_tag: tuple[str, str] | None,
    pool: Executor,
    all_regions: list[str],
) -> None:
    if scope_tag is None:
        _all_buckets(acct, snap)
        return
    key, value = scope_tag
    # Tagged buckets are looked for in every enabled region, whatever --region limits the trails
    # to: a bucket elsewhere is still in scope.
    names: dict[str, str] = {}
    for region, arns, failure in pool.map(lambda r: _tagged_in(acct, r, key, value), all_regions):
        if failure:
            snap.failures.append(failure)
            continue
        for arn in arns:
            names.setdefault(arn.split(":::", 1)[-1], region)
    if any(f.operation == "GetResources" for f in snap.failures):
        return  # a region we could not read may hold more tagged buckets
    snap.buckets = [BucketRef(n, r) for n, r in sorted(names.items())]


def _location(acct: AccountSession, bucket: str) -> tuple[str | None, Failure | None]:
    resp, failure = acct.read(
        lambda: acct.client("s3").get_bucket_location(Bucket=bucket), "GetBucketLocation", acct.default_region, bucket
    )
    if failure or resp is None:
        return None, failure
    # us-east-1 buckets report no LocationConstraint.
    return ((resp or {}).get("LocationConstraint") or "us-east-1"), None


def _get(s3: Any, method: str, bucket: str) -> dict[str, Any] | None:
    return _strip(getattr(s3, method)(Bucket=bucket))


def _destinations(acct: AccountSession, snap: AccountSnapshot, pool: Executor) -> None:
    def read(bucket: str) -> DestinationRecord:
        region, failure = _location(acct, bucket)
        rec = DestinationRecord(bucket, region or "")
        if failure:
            rec.failures["location"] = failure
        s3 = acct.client("s3", region)
        for kind, (operation, method, absent) in DESTINATION_CALLS.items():
            resp, failure = acct.read(partial(_get, s3, method, bucket), operation, rec.region, bucket, absent)
            rec.responses[kind] = resp
            if failure:
                rec.failures[kind] = failure
        return rec

    for rec in pool.map(read, sorted(snap.trail_buckets - set(snap.foreign_buckets))):
        snap.destinations[rec.name] = rec


def _foreign_buckets(snap: AccountSnapshot) -> None:
    """An organization trail seen from a member account writes to the organization's archive.

    Its ARN names the management account; a bucket that only such trails use is not this account's to
    read (GetBucket* would be AccessDenied): it is reported as out of scope, not as three ERRORs. Which
    account is ours comes from GetCallerIdentity: without it every archive is read (an archive that is not
    ours then answers AccessDenied, an ERROR), never dropped.
    """
    if not snap.account_known:
        return
    own = {str(t.description.get("S3BucketName")) for t in snap.trails if t.arn.split(":")[4:5] == [snap.account]}
    for t in snap.trails:
        bucket = str(t.description.get("S3BucketName") or "")
        if bucket and bucket not in own and t.description.get("IsOrganizationTrail"):
            snap.foreign_buckets.setdefault(bucket, t.arn)


def _account_settings(acct: AccountSession, snap: AccountSnapshot, pool: Executor) -> None:
    """Account-level Block Public Access and the KMS keys the trails and their buckets name."""
    if snap.destinations and not snap.account_known:
        snap.account_public_access_failure = Failure(
            "GetPublicAccessBlock", acct.default_region, "s3control", "UnknownAccount", "the account id is unknown"
        )
    elif snap.destinations:
        snap.account_public_access, snap.account_public_access_failure = acct.read(
            lambda: _strip(acct.client("s3control").get_public_access_block(AccountId=snap.account)),
            "GetPublicAccessBlock",
            acct.default_region,
            f"account {snap.account} (s3control)",
            ("NoSuchPublicAccessBlockConfiguration",),
        )
    # A member account cannot describe the organization trail's key (it lives in another account).
    refs: list[KeyRef] = [
        (str(t.description.get("KmsKeyId") or ""), t.home_region or acct.default_region)
        for t in snap.trails
        if t.arn.split(":")[4:5] == [snap.account]
    ]
    for d in snap.destinations.values():
        try:
            refs.append((api_facts.bucket_key_id(d.responses.get("encryption")) or "", d.region))
        except Exception:  # an odd encryption answer is judged (ERROR) with the bucket
            continue
    snap.keys = describe_keys(acct, [r for r in refs if r[0]], pool)


def _covered_anywhere(snap: AccountSnapshot, bucket: str) -> bool:
    """Whether the trails read so far record this bucket wherever it is: then its region cannot change
    the verdict and GetBucketLocation is not spent on it. Anything unreadable means "ask"."""
    if any(t.failures for t in snap.trails) or any(f.operation == "DescribeTrails" for f in snap.failures):
        return False
    try:
        trails = [api_facts.trail_facts(t.description, t.selectors, t.status) for t in snap.trails]
        return not judges.s3_data_events(trails, {bucket: bucket_space(bucket)}, None)
    except Exception:  # an odd answer is judged later; here it only means the region is wanted
        return False


def _single_region_s3_selectors(snap: AccountSnapshot) -> bool:
    """Whether any single-region trail selects S3 data: only then does a bucket's region matter."""
    for t in snap.trails:
        if t.description.get("IsMultiRegionTrail") or not t.selectors:
            continue
        if S3_OBJECT in str(t.selectors):
            return True
    return False


def _caller_account(acct: AccountSession) -> str:
    """GetCallerIdentity's Account: twelve digits, or the answer is not one (an ERROR, never a guess)."""
    account = str(acct.client("sts").get_caller_identity()["Account"])
    if not (account.isdigit() and len(account) == 12):
        raise UnknownShape(f"GetCallerIdentity: Account={account[:40]!r} is not an account id")
    return account


def collect_account(
    acct: AccountSession,
    regions: list[str] | None,
    scope_tag: tuple[str, str] | None,
    pool: Executor,
    account_hint: str = "unknown",
) -> AccountSnapshot:
    account, failure = acct.read(
        partial(_caller_account, acct), "GetCallerIdentity", acct.default_region, "sts:GetCallerIdentity"
    )
    snap = AccountSnapshot(
        account=account or account_hint,
        regions=[],
        account_known=account is not None,
        partition=partition_of(acct.default_region),
    )
    acct.account_id = snap.account
    if failure:
        snap.failures.append(failure)
    snap.regions = list(regions) if regions else _regions(acct, snap)
    snap.limited_regions = bool(regions)
    _trails(acct, snap, pool)
    bucket_regions = _regions(acct, snap) if scope_tag and regions else snap.regions
    _buckets(acct, snap, scope_tag, pool, bucket_regions)
    _foreign_buckets(snap)
    _destinations(acct, snap, pool)
    _account_settings(acct, snap, pool)
    if snap.buckets and (_single_region_s3_selectors(snap) or snap.limited_regions):
        unknown = [b for b in snap.buckets if b.region is None and not _covered_anywhere(snap, b.name)]
        for b, (region, failure) in zip(unknown, pool.map(lambda b: _location(acct, b.name), unknown), strict=True):
            b.region = region
            if failure:
                snap.bucket_region_failures[b.name] = failure
    snap.alerts = collect_alerts(acct, snap, pool)
    return snap

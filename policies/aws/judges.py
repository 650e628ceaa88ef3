"""The AWS judges: pure functions from facts to gaps. An empty list means compliant.

One judgement per concept, shared by the policy pack, `auditkit plan` and the
drift auditor, so the three can never disagree about what compliant means.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from auditkit.policies.aws.event_selectors import (
    DYNAMODB_TABLE,
    LAMBDA_FUNCTION,
    S3_OBJECT,
    ArnSpace,
    DataEventCoverage,
    all_of_type_space,
)
from auditkit.policies.aws.facts import (
    BucketFacts,
    Encryption,
    LifecycleRule,
    ObjectLockFacts,
    PublicAccessBlock,
    TrailFacts,
)
from auditkit.policies.retention import RetentionRequirement

COLD_CLASSES = {"STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE"}


def multi_region(trail: TrailFacts) -> list[str]:
    gaps = []
    if not trail.multi_region:
        gaps.append(f"trail {trail.name} records only its home region {trail.home_region}")
    if not trail.include_global_events:
        gaps.append(f"trail {trail.name} skips global service events (IAM, STS, CloudFront)")
    mgmt = DataEventCoverage.management(trail.selectors)
    if not mgmt.complete:
        gaps.append(f"trail {trail.name}: management events {mgmt.missing()}")
    return gaps


def logging(trail: TrailFacts) -> list[str]:
    return [] if trail.logging else [f"trail {trail.name} is not logging (StopLogging or enable_logging=false)"]


def log_validation(trail: TrailFacts) -> list[str]:
    return [] if trail.log_validation else [f"trail {trail.name} has log file validation off"]


def kms(trail: TrailFacts) -> list[str]:
    return (
        [] if trail.kms_key_id else [f"trail {trail.name} log files are not encrypted with a customer-managed KMS key"]
    )


def cloudwatch(trail: TrailFacts) -> list[str]:
    if trail.cloudwatch_log_group_arn and trail.cloudwatch_role_arn:
        return []
    return [f"trail {trail.name} does not deliver to CloudWatch Logs"]


def applicable_trails(trails: Iterable[TrailFacts], region: str | None = None) -> list[TrailFacts]:
    """Trails whose data events can cover a resource in `region`.

    A single-region trail records only its home region's events, so it counts only when the
    resource's region is known to be that region; account-wide coverage (region None) needs a
    multi-region trail. Shared by the plan judge and the live assessment.
    """
    return [t for t in trails if t.multi_region or (region is not None and t.home_region == region)]


def data_event_coverage(
    trails: Iterable[TrailFacts], resource_type: str, space: ArnSpace, subject: str
) -> DataEventCoverage:
    """The union of what the given (logging, applicable) trails record for one resource space."""
    return DataEventCoverage.union(
        (DataEventCoverage.of(t.selectors, resource_type, space) for t in trails), subject=subject
    )


def s3_data_events(
    trails: Iterable[TrailFacts], spaces: Mapping[str, ArnSpace], region: str | None = None
) -> list[str]:
    """Gaps over the buckets in scope; `spaces` maps a bucket (or 'every bucket') to its ARN space.

    region: where those buckets are, when known (live scans); None at plan time.
    """
    trails = applicable_trails(trails, region)
    gaps = []
    for subject, space in spaces.items():
        cov = data_event_coverage(trails, S3_OBJECT, space, subject)
        if not cov.complete:
            gaps.append(f"{subject}: S3 object {cov.missing()}")
    return gaps


def _type_events(trails: Iterable[TrailFacts], resource_type: str, label: str) -> list[str]:
    cov = data_event_coverage(applicable_trails(trails), resource_type, all_of_type_space(resource_type), label)
    return [] if cov.complete else [f"{label} data events: {cov.missing()}"]


def lambda_data_events(trails: Iterable[TrailFacts]) -> list[str]:
    return _type_events(trails, LAMBDA_FUNCTION, "Lambda invoke")


def dynamodb_data_events(trails: Iterable[TrailFacts]) -> list[str]:
    return _type_events(trails, DYNAMODB_TABLE, "DynamoDB item")


def object_lock(lock: ObjectLockFacts | None, required: RetentionRequirement) -> list[str]:
    if lock is None or not lock.enabled:
        return ["Object Lock is not enabled"]
    gaps = []
    if lock.mode != "COMPLIANCE":
        gaps.append(
            f"default retention mode is {lock.mode or 'unset'}; COMPLIANCE is required (GOVERNANCE can be bypassed)"
        )
    if lock.years is not None:
        if lock.years < required.years:
            gaps.append(f"default retention {lock.years} years < required {required.describe()}")
    elif lock.days is not None:
        if lock.days < required.days:
            gaps.append(f"default retention {lock.days} days < required {required.describe()}")
    else:
        gaps.append("no default retention period")
    return gaps


def lifecycle(rules: Iterable[LifecycleRule] | None, required: RetentionRequirement) -> list[str]:
    enabled = [r for r in rules or () if r.enabled]
    if not enabled:
        return ["no enabled lifecycle rule: logs are never tiered to colder storage"]
    gaps = []
    for r in enabled:
        if r.expiration_days is not None and r.expiration_days < required.days:
            gaps.append(
                f"rule {r.id!r} expires objects after {r.expiration_days} days < required {required.describe()}"
            )
        if r.expiration_date is not None:
            gaps.append(
                f"rule {r.id!r} expires objects on a fixed date {r.expiration_date}, before later logs reach the retention"
            )
    if not any(t.storage_class in COLD_CLASSES for r in enabled for t in r.transitions):
        gaps.append("no transition to a colder storage class")
    return gaps


# S3 rounds each lifecycle date up to the next midnight UTC: once for the current version's
# expiration, once for the noncurrent expiration (S3 User Guide, lifecycle rules: "rounding
# the resulting time to the next day midnight UTC").
MIDNIGHT_ROUNDINGS = 2


def removal_bound_days(rules: Iterable[LifecycleRule] | None) -> int | None:
    """Days after a write by which lifecycle has removed its bytes from a versioned bucket.

    Expiring the current version at E days only adds a delete marker; the version then
    becomes noncurrent and its bytes go N days later; each date is rounded up to midnight
    UTC. A delete marker left with no versions (no bytes) is removed by the Days expiration
    itself or by ExpiredObjectDeleteMarker. None: the bytes are never removed. S3 runs
    lifecycle asynchronously; storage of an eligible version is no longer billed.
    """
    enabled = [r for r in rules or () if r.enabled]
    current = [r.expiration_days for r in enabled if r.expiration_days is not None]
    noncurrent = [r.noncurrent_expiration_days for r in enabled if r.noncurrent_expiration_days is not None]
    if not current or not noncurrent:
        return None
    return min(current) + min(noncurrent) + MIDNIGHT_ROUNDINGS


def versioned_retention(rules: Iterable[LifecycleRule] | None) -> list[str]:
    """A versioned archive: the bytes are removed within removal_bound_days.

    The noncurrent expiration may be far shorter than the retention: lifecycle never deletes a
    version under Object Lock ("protected object versions remain safe from being deleted or
    overwritten by a lifecycle configuration", S3 User Guide, Object Lock considerations), so a
    version deleted early waits for its retain-until date. Whether that lock is there and long
    enough is aws.bucket.object_lock's question: one cause, one gap.
    """
    enabled = [r for r in rules or () if r.enabled]
    if not enabled:
        return []
    gaps = []
    if not any(r.expiration_days is not None for r in enabled):
        gaps.append("no rule expires current versions: the logs are never removed after the retention")
    if not any(r.noncurrent_expiration_days is not None for r in enabled):
        gaps.append(
            "no rule expires noncurrent versions: in a versioned bucket expiring a log only adds a delete marker, "
            "and its bytes stay forever"
        )
    return gaps


def archive_lifecycle(rules: Iterable[LifecycleRule] | None, required: RetentionRequirement) -> list[str]:
    """aws.bucket.lifecycle for a versioned log archive: tiering and expiry, then the removal bound."""
    return lifecycle(rules, required) + versioned_retention(rules)


def describe_removal(rules: Iterable[LifecycleRule] | None) -> str:
    """The bound in words, for the plan's settings column and a PASS message."""
    bound = removal_bound_days(rules)
    if bound is None:
        return "bytes never removed"
    enabled = [r for r in rules or () if r.enabled]
    current = min(r.expiration_days for r in enabled if r.expiration_days is not None)
    noncurrent = min(r.noncurrent_expiration_days for r in enabled if r.noncurrent_expiration_days is not None)
    return (
        f"delete marker at day {current}, bytes removed by day {bound} "
        f"({current} + {noncurrent} noncurrent + {MIDNIGHT_ROUNDINGS} midnight roundings)"
    )


def versioning(status: str | None) -> list[str]:
    return [] if status == "Enabled" else [f"versioning is {status or 'never enabled'}"]


def public_access(pab: PublicAccessBlock | None) -> list[str]:
    if pab is None:
        return ["no public access block"]
    off = [name for name, on in vars(pab).items() if not on]
    return [f"public access block settings off: {', '.join(off)}"] if off else []


def encryption(enc: Encryption | None) -> list[str]:
    if enc is None or enc.algorithm not in ("aws:kms", "aws:kms:dsse"):
        return [f"default encryption is {enc.algorithm if enc else 'unset'}; SSE-KMS with a customer key is required"]
    return [] if enc.kms_key_id else ["SSE-KMS without a customer-managed key id"]


def _as_list(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def _denies_plaintext(stmt: Any) -> bool:
    if not isinstance(stmt, Mapping) or "NotPrincipal" in stmt or "NotAction" in stmt:
        return False
    principal = stmt.get("Principal")
    everyone = principal == "*" or (isinstance(principal, Mapping) and "*" in _as_list(principal.get("AWS")))
    actions = set(_as_list(stmt.get("Action")))
    # Conditions are ANDed: any condition beside SecureTransport narrows the deny (e.g. to one IP).
    condition = stmt.get("Condition")
    only_tls = isinstance(condition, Mapping) and list(condition) == ["Bool"] and isinstance(condition["Bool"], Mapping)
    values = _as_list(condition["Bool"].get("aws:SecureTransport")) if only_tls else []
    return (
        stmt.get("Effect") == "Deny"
        and everyone
        and bool(actions & {"s3:*", "*"})
        and only_tls
        and list(condition["Bool"]) == ["aws:SecureTransport"]
        and len(values) == 1
        and str(values[0]).lower() == "false"
    )


def _objects_of(bucket: str, resource: object) -> bool:
    """The resource covers every object of the bucket, in any partition (aws, aws-us-gov, aws-cn)."""
    return resource == "*" or bool(re.fullmatch(rf"arn:aws(-[a-z]+)*:s3:::{re.escape(bucket)}/\*", str(resource)))


def tls_policy(policy: Mapping[str, Any] | None, bucket: str) -> list[str]:
    statements = _as_list((policy or {}).get("Statement", []))
    gaps = []
    deny = [s for s in statements if _denies_plaintext(s)]
    resources = {r for s in deny for r in _as_list(s.get("Resource"))}
    if not deny:
        gaps.append("bucket policy does not deny requests without TLS (aws:SecureTransport=false)")
    elif not any(_objects_of(bucket, r) for r in resources):
        gaps.append("the TLS-only deny does not cover the bucket's objects")
    for s in statements:
        if not isinstance(s, Mapping):
            gaps.append(f"bucket policy statement is not an object: {s!r}"[:200])
            continue
        principal = s.get("Principal")
        services = _as_list(principal.get("Service")) if isinstance(principal, Mapping) else []
        conditions = str(s.get("Condition", {}))
        if s.get("Effect") == "Allow" and "cloudtrail.amazonaws.com" in services and "aws:SourceArn" not in conditions:
            gaps.append(f"statement {s.get('Sid', '?')!r} lets CloudTrail write without an aws:SourceArn condition")
    return gaps


def hardening(bucket: BucketFacts) -> list[str]:
    return (
        versioning(bucket.versioning)
        + public_access(bucket.public_access_block)
        + tls_policy(bucket.policy, bucket.name)
        + encryption(bucket.encryption)
    )

"""The AWS judges: pure functions from facts to gaps. An empty list means compliant.

One judgement per concept, shared by the policy pack, `auditkit plan` and the
drift auditor, so the three can never disagree about what compliant means.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from auditkit.policies.aws.bucket_policy import cloudtrail_can_write, tls_policy
from auditkit.policies.aws.event_selectors import (
    DYNAMODB_TABLE,
    LAMBDA_FUNCTION,
    S3_OBJECT,
    ArnSpace,
    DataEventCoverage,
    all_of_type_space,
)
from auditkit.policies.aws.facts import (
    DEFAULT_LOG_PREFIXES,
    Encryption,
    LifecycleRule,
    LogArchive,
    PublicAccessBlock,
    TrailFacts,
)
from auditkit.policies.aws.lifecycle import lifecycle, minimum_size_note, reach
from auditkit.policies.computed import known
from auditkit.policies.rule import Parts

AWS_MANAGED_ALIAS = "alias/aws/"


def aws_managed_by_name(key_id: str) -> bool:
    """alias/aws/<service> (or its ARN form) names an AWS-managed key; no call needed."""
    return key_id.startswith(AWS_MANAGED_ALIAS) or f":{AWS_MANAGED_ALIAS}" in key_id


def multi_region(trail: TrailFacts) -> list[str]:
    if trail.logging is False:
        return [f"trail {trail.name} is not logging, so it records nothing"]
    gaps = []
    if not trail.multi_region:
        gaps.append(f"trail {trail.name} records only its home region {trail.home_region}")
    if not trail.include_global_events:
        gaps.append(f"trail {trail.name} skips global service events (IAM, STS, CloudFront)")
    mgmt = DataEventCoverage.management(trail.selectors)
    if not mgmt.complete:
        gaps.append(f"trail {trail.name}: management events {mgmt.missing()}")
    return gaps


def records_everywhere(trail: TrailFacts) -> str:
    """What a PASS of aws.trail.multi_region shows: the trail that proves it."""
    return f"trail {trail.name} is logging all management events in every region"


def logging(trail: TrailFacts) -> list[str]:
    """The switch and the delivery: IsLogging with a current S3 or digest delivery error writes nothing."""
    if not trail.logging:
        return [f"trail {trail.name} is not logging (StopLogging or enable_logging=false)"]
    d = trail.delivery
    gaps = []
    if d.s3:
        gaps.append(
            f"trail {trail.name} cannot deliver log files to s3://{trail.bucket}: {d.s3} "
            f"(last successful delivery: {d.last_s3 or 'none recorded'})"
        )
    if d.digest:
        gaps.append(
            f"trail {trail.name} cannot deliver digest files to s3://{trail.bucket}: {d.digest} "
            f"(last successful digest delivery: {d.last_digest or 'none recorded'})"
        )
    return gaps


def delivering(trail: TrailFacts) -> str:
    return f"trail {trail.name} is logging and delivering"


def log_validation(trail: TrailFacts) -> list[str]:
    return [] if trail.log_validation else [f"trail {trail.name} has log file validation off"]


def kms(trail: TrailFacts) -> list[str]:
    key = trail.kms_key_id
    if not key:
        return [f"trail {trail.name} log files are not encrypted with a customer-managed KMS key"]
    if aws_managed_by_name(key) or trail.kms_key_manager == "AWS":
        return [f"trail {trail.name} encrypts with the AWS-managed key {key}, not a customer-managed one"]
    return []


def cloudwatch(trail: TrailFacts) -> list[str]:
    if not (trail.cloudwatch_log_group_arn and trail.cloudwatch_role_arn):
        return [f"trail {trail.name} does not deliver to CloudWatch Logs"]
    d = trail.delivery
    if d.cloudwatch:
        return [
            f"trail {trail.name} cannot deliver to CloudWatch Logs: {d.cloudwatch} "
            f"(last successful delivery: {d.last_cloudwatch or 'none recorded'})"
        ]
    return []


def applicable_trails(trails: Iterable[TrailFacts], region: str | None = None) -> list[TrailFacts]:
    """Trails whose data events can cover a resource in `region`.

    A trail that is not logging records nothing and counts nowhere. A single-region trail records
    only its home region's events, so it counts only when the resource's region is known to be that
    region; account-wide coverage (region None) needs a multi-region trail. Shared by the plan judge
    and the live assessment.
    """
    return [
        t
        for t in trails
        if t.logging is not False and (t.multi_region or (region is not None and t.home_region == region))
    ]


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


def object_lock(archive: LogArchive) -> list[str]:
    lock, required = archive.bucket.object_lock, archive.required
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


# S3 rounds each lifecycle date up to the next midnight UTC: once for the current version's
# expiration, once for the noncurrent expiration (S3 User Guide, lifecycle rules: "rounding
# the resulting time to the next day midnight UTC").
MIDNIGHT_ROUNDINGS = 2


def _reaching_logs(rules: Iterable[LifecycleRule] | None, log_prefixes: Sequence[str]) -> list[LifecycleRule]:
    """Enabled rules whose filter can match the log files (a rule on tmp/ says nothing about them)."""
    return [r for r in rules or () if r.enabled and reach(r, log_prefixes) != "none"]


def removal_bound_days(
    rules: Iterable[LifecycleRule] | None, log_prefixes: Sequence[str] = DEFAULT_LOG_PREFIXES
) -> int | None:
    """Days after a write by which lifecycle has removed its bytes from a versioned bucket.

    Expiring the current version at E days only adds a delete marker; the version then
    becomes noncurrent and its bytes go N days later; each date is rounded up to midnight
    UTC. A delete marker left with no versions (no bytes) is removed by the Days expiration
    itself or by ExpiredObjectDeleteMarker. None: the bytes are never removed. S3 runs
    lifecycle asynchronously; storage of an eligible version is no longer billed.
    """
    enabled = _reaching_logs(rules, log_prefixes)
    current = [r.expiration_days for r in enabled if r.expiration_days is not None]
    noncurrent = [r.noncurrent_expiration_days for r in enabled if r.noncurrent_expiration_days is not None]
    if not current or not noncurrent:
        return None
    return min(current) + min(noncurrent) + MIDNIGHT_ROUNDINGS


def versioned_retention(
    rules: Iterable[LifecycleRule] | None, log_prefixes: Sequence[str] = DEFAULT_LOG_PREFIXES
) -> list[str]:
    """A versioned archive: the bytes are removed within removal_bound_days.

    The noncurrent expiration may be far shorter than the retention: lifecycle never deletes a
    version under Object Lock ("protected object versions remain safe from being deleted or
    overwritten by a lifecycle configuration", S3 User Guide, Object Lock considerations), so a
    version deleted early waits for its retain-until date. Whether that lock is there and long
    enough is aws.bucket.object_lock's question: one cause, one gap.
    """
    enabled = _reaching_logs(rules, log_prefixes)
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


def archive_lifecycle(archive: LogArchive) -> list[str]:
    """aws.bucket.lifecycle for a versioned log archive: tiering and expiry where the rules reach the
    logs, then the removal bound."""
    rules, prefixes = archive.bucket.lifecycle, archive.log_prefixes
    return lifecycle(rules, archive.required, prefixes) + versioned_retention(rules, prefixes)


def lifecycle_summary(archive: LogArchive) -> str:
    """What a PASS of aws.bucket.lifecycle shows: where it holds, when the bytes go, what S3 does with small files."""
    rules, prefixes = archive.bucket.lifecycle, archive.log_prefixes
    return (
        f"holds for {archive.required.describe()} under {' and '.join(prefixes)}; "
        f"{describe_removal(rules, prefixes)}; " + minimum_size_note(archive.bucket.transition_minimum_size)
    )


def describe_removal(rules: Iterable[LifecycleRule] | None, log_prefixes: Sequence[str] = DEFAULT_LOG_PREFIXES) -> str:
    """The bound in words, for the plan's settings column and a PASS message."""
    bound = removal_bound_days(rules, log_prefixes)
    if bound is None:
        return "bytes never removed"
    enabled = _reaching_logs(rules, log_prefixes)
    current = min(r.expiration_days for r in enabled if r.expiration_days is not None)
    noncurrent = min(r.noncurrent_expiration_days for r in enabled if r.noncurrent_expiration_days is not None)
    return (
        f"delete marker at day {current}, bytes removed by day {bound} "
        f"({current} + {noncurrent} noncurrent + {MIDNIGHT_ROUNDINGS} midnight roundings)"
    )


def versioning(status: str | None) -> list[str]:
    return [] if status == "Enabled" else [f"versioning is {status or 'never enabled'}"]


def public_access(pab: PublicAccessBlock | None, account: PublicAccessBlock | None = None) -> list[str]:
    """The effective setting: S3 applies the most restrictive of the bucket's and the account's
    (S3 User Guide, "Blocking public access to your Amazon S3 storage")."""
    if pab is None and account is None:
        return ["no public access block (neither the bucket's nor the account's)"]
    mine, acct = vars(pab or PublicAccessBlock()), vars(account or PublicAccessBlock())
    off = [name for name in mine if not (mine[name] or acct[name])]
    return [f"public access block settings off (bucket and account): {', '.join(off)}"] if off else []


def encryption(enc: Encryption | None) -> list[str]:
    if enc is None or enc.algorithm not in ("aws:kms", "aws:kms:dsse"):
        return [f"default encryption is {enc.algorithm if enc else 'unset'}; SSE-KMS with a customer key is required"]
    if not enc.kms_key_id:
        return ["SSE-KMS without a key id: S3 uses the AWS-managed key aws/s3, not a customer-managed one"]
    if aws_managed_by_name(enc.kms_key_id) or enc.key_manager == "AWS":
        return [f"SSE-KMS with the AWS-managed key {enc.kms_key_id}, not a customer-managed one"]
    return []


def _versioned(archive: LogArchive) -> list[str]:
    return versioning(archive.bucket.versioning)


def _private(archive: LogArchive) -> list[str]:
    return public_access(archive.bucket.public_access_block, archive.bucket.account_public_access_block)


def _tls_only_and_writable(archive: LogArchive) -> list[str]:
    """The bucket policy, read whole: a plan's policy built from values computed at apply waits for them."""
    policy, name = known(archive.bucket.policy), archive.bucket.name
    return tls_policy(policy, name) + cloudtrail_can_write(policy, name, archive.writers)


def _encrypted(archive: LogArchive) -> list[str]:
    return encryption(archive.bucket.encryption)


# aws.bucket.hardening: versioned, private, TLS-only and still writable by its trails, SSE-KMS with a customer key.
hardening = Parts(
    {
        "GetBucketVersioning": _versioned,
        "GetPublicAccessBlock": _private,
        "GetBucketPolicy": _tls_only_and_writable,
        "GetBucketEncryption": _encrypted,
    }
)

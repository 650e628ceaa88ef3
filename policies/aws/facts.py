"""Plain data about AWS audit logging, whether read from a plan or from a live account.

Judges take these and nothing else, so the same judgement serves the policy pack,
`auditkit plan` and the drift auditor.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from auditkit.policies.aws.event_selectors import EventSelectors
from auditkit.policies.retention import RetentionRequirement

# Where CloudTrail writes log files in its bucket when the trail sets no S3KeyPrefix.
DEFAULT_LOG_PREFIXES = ("AWSLogs/",)


@dataclass(frozen=True)
class DeliveryErrors:
    """GetTrailStatus's current delivery errors (already-recovered ones dropped, see api_facts).

    The API gives each error without a time; ``last_*`` are the last successful deliveries, quoted.
    """

    s3: str | None = None
    digest: str | None = None
    cloudwatch: str | None = None
    last_s3: str | None = None
    last_digest: str | None = None
    last_cloudwatch: str | None = None


@dataclass(frozen=True)
class TrailFacts:
    name: str
    arn: str
    home_region: str
    bucket: str
    multi_region: bool
    include_global_events: bool
    organization: bool
    log_validation: bool
    kms_key_id: str | None
    cloudwatch_log_group_arn: str | None
    cloudwatch_role_arn: str | None
    selectors: EventSelectors
    # None when not known (a plan cannot know; the auditor reads GetTrailStatus).
    logging: bool | None = True
    delivery: DeliveryErrors = DeliveryErrors()
    s3_key_prefix: str = ""
    # "CUSTOMER" / "AWS" from kms:DescribeKey; None when not resolved (a plan; alias/aws/* needs no call).
    kms_key_manager: str | None = None

    @property
    def account(self) -> str:
        parts = self.arn.split(":")
        return parts[4] if len(parts) > 5 else ""

    @property
    def log_prefix(self) -> str:
        """Where this trail's log files land in its bucket: [S3KeyPrefix/]AWSLogs/."""
        prefix = self.s3_key_prefix.strip("/")
        return f"{prefix}/{DEFAULT_LOG_PREFIXES[0]}" if prefix else DEFAULT_LOG_PREFIXES[0]


@dataclass(frozen=True)
class ObjectLockFacts:
    enabled: bool
    mode: str | None = None
    days: int | None = None
    years: int | None = None


@dataclass(frozen=True)
class Transition:
    days: int | None
    storage_class: str
    date: str | None = None


@dataclass(frozen=True)
class LifecycleFilter:
    """A rule's scope: Filter.Prefix/Tag/And/ObjectSize*, or the legacy rule-level Prefix."""

    prefix: str = ""
    tags: tuple[tuple[str, str], ...] = ()
    size_greater_than: int | None = None
    size_less_than: int | None = None


@dataclass(frozen=True)
class LifecycleRule:
    id: str
    enabled: bool
    transitions: tuple[Transition, ...] = ()
    expiration_days: int | None = None
    expiration_date: str | None = None
    noncurrent_transitions: tuple[Transition, ...] = ()
    noncurrent_expiration_days: int | None = None
    abort_incomplete_days: int | None = None
    scope: LifecycleFilter = LifecycleFilter()


@dataclass(frozen=True)
class PublicAccessBlock:
    block_public_acls: bool = False
    ignore_public_acls: bool = False
    block_public_policy: bool = False
    restrict_public_buckets: bool = False


@dataclass(frozen=True)
class Encryption:
    algorithm: str | None
    kms_key_id: str | None = None
    # "CUSTOMER" / "AWS" from kms:DescribeKey; None when not resolved.
    key_manager: str | None = None


@dataclass(frozen=True)
class BucketFacts:
    """Everything the archive controls look at, for one bucket. None = not configured."""

    name: str
    object_lock: ObjectLockFacts | None
    lifecycle: tuple[LifecycleRule, ...] | None
    versioning: str | None
    public_access_block: PublicAccessBlock | None
    policy: dict | None
    encryption: Encryption | None
    region: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    # s3control:GetPublicAccessBlock for the bucket's account; S3 applies the stricter of the two.
    account_public_access_block: PublicAccessBlock | None = None
    # GetBucketLifecycleConfiguration's TransitionDefaultMinimumObjectSize (None: S3's default applies).
    transition_minimum_size: str | None = None


@dataclass(frozen=True)
class LogArchive:
    """A trail's log archive as the archive controls judge it: the bucket, the retention the law asks
    for, where the trails' log files land in it, and the trails whose deliveries its policy must allow."""

    bucket: BucketFacts
    required: RetentionRequirement
    log_prefixes: tuple[str, ...] = DEFAULT_LOG_PREFIXES
    writers: tuple[TrailFacts, ...] = ()

"""Plain data about AWS audit logging, whether read from a plan or from a live account.

Judges take these and nothing else, so the same judgement serves the policy pack,
`auditkit plan` and the drift auditor.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from auditkit.policies.aws.event_selectors import EventSelectors


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
class LifecycleRule:
    id: str
    enabled: bool
    transitions: tuple[Transition, ...] = ()
    expiration_days: int | None = None
    expiration_date: str | None = None
    noncurrent_transitions: tuple[Transition, ...] = ()
    noncurrent_expiration_days: int | None = None
    abort_incomplete_days: int | None = None


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

    @property
    def arn(self) -> str:
        return f"arn:aws:s3:::{self.name}"

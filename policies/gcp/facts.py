"""Plain data about GCP audit logging, from a plan or from live state."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class AuditConfigFacts:
    scope: str  # organizations/1, folders/2, projects/p
    service: str
    # log type -> exempted members
    log_types: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class SinkFacts:
    name: str
    scope: str
    destination: str
    filter: str
    disabled: bool = False
    include_children: bool = False
    exclusions: tuple[str, ...] = ()
    writer_identity: str | None = None


@dataclass(frozen=True)
class LifecycleRuleFacts:
    action: str  # Delete | SetStorageClass | AbortIncompleteMultipartUpload
    storage_class: str | None = None
    age: int | None = None
    with_state: str | None = None
    other_conditions: tuple[str, ...] = ()


@dataclass(frozen=True)
class GcsBucketFacts:
    name: str
    retention_seconds: int | None
    retention_locked: bool
    lifecycle: tuple[LifecycleRuleFacts, ...]
    uniform_access: bool
    public_access_prevention: str | None
    kms_key: str | None
    versioning: bool
    # Members holding roles on the bucket: role -> members
    bindings: dict[str, tuple[str, ...]] = field(default_factory=dict)

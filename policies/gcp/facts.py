"""Plain data about GCP audit logging, from a plan or from live state."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from auditkit.policies.retention import RetentionRequirement


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
    # LogSink.intercept_children (logging_config.proto): matching logs skip the children's sinks but _Required.
    intercept_children: bool = False


@dataclass(frozen=True)
class LifecycleRuleFacts:
    action: str  # Delete | SetStorageClass | AbortIncompleteMultipartUpload
    storage_class: str | None = None
    # The rule's condition in the Cloud Storage JSON API's names (age, isLive, matchesPrefix, numNewerVersions, ...)
    condition: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class BindingFacts:
    """One IAM binding as policy v3 returns it: a role may repeat with different conditions."""

    role: str
    members: tuple[str, ...]
    condition: str | None = None  # the CEL expression of Binding.condition
    where: str = "the archive"  # where the binding is granted (bucket or its project), for messages


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
    # Bindings on the bucket and on the bucket's project (roles granted there apply to the bucket too).
    bindings: tuple[BindingFacts, ...] = ()
    storage_class: str = "STANDARD"
    autoclass: bool = False
    project_number: str | None = None


@dataclass(frozen=True)
class LogArchive:
    """The Cloud Storage bucket a sink's route ends in, as the archive controls judge it: the bucket, the
    retention the law asks for, and the CMEK key when the stack names one."""

    bucket: GcsBucketFacts
    required: RetentionRequirement
    kms_key: str | None = None

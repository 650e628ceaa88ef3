"""The GCS log archive: a locked retention policy at the legal retention, tiered, private."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_gcp as gcp
from pulumi import Input, ResourceOptions

from auditkit.policies.retention import RetentionRequirement
from auditkit.settings.gcp_limits import check_bucket_name, check_project, check_retention, check_tiers


@dataclass
class ImmutableLogArchiveArgs:
    retention: RetentionRequirement
    project: str
    bucket_name: str
    location: str = "US"
    # Locking is irreversible: the retention can then only be extended, and the bucket is
    # undeletable until every object has aged out.
    lock: bool = True
    nearline_days: int = 30
    coldline_days: int = 90
    archive_days: int = 365
    kms_key_name: Input[str] | None = None
    protect: bool = True
    labels: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_project("gcp.archiveProject", self.project)
        check_bucket_name("gcp.bucketName", self.bucket_name)
        check_retention(self.retention)
        check_tiers(self.nearline_days, self.coldline_days, self.archive_days, self.retention.days)


def lifecycle_rules(args: ImmutableLogArchiveArgs) -> list[gcp.storage.BucketLifecycleRuleArgsDict]:
    """NEARLINE -> COLDLINE -> ARCHIVE, and Delete exactly at the retention."""
    tiers = [(args.nearline_days, "NEARLINE"), (args.coldline_days, "COLDLINE"), (args.archive_days, "ARCHIVE")]
    rules: list[gcp.storage.BucketLifecycleRuleArgsDict] = [
        {"action": {"type": "SetStorageClass", "storage_class": cls}, "condition": {"age": age, "with_state": "LIVE"}}
        for age, cls in tiers
    ]
    rules.append({"action": {"type": "Delete"}, "condition": {"age": args.retention.days, "with_state": "ANY"}})
    return rules


class ImmutableLogArchive(pulumi.ComponentResource):
    """A GCS bucket with a (locked) retention policy, tiered lifecycle, uniform access and PAP enforced."""

    bucket: gcp.storage.Bucket

    def __init__(self, name: str, args: ImmutableLogArchiveArgs, opts: ResourceOptions | None = None) -> None:
        super().__init__("auditkit:gcp:ImmutableLogArchive", name, None, opts)
        self.bucket = gcp.storage.Bucket(
            f"{name}-bucket",
            name=args.bucket_name,
            project=args.project,
            location=args.location,
            storage_class="STANDARD",
            uniform_bucket_level_access=True,
            public_access_prevention="enforced",
            # GCS forbids versioning beside a retention policy; the policy already blocks overwrite and delete.
            retention_policy={"retention_period": str(args.retention.seconds), "is_locked": args.lock},
            lifecycle_rules=lifecycle_rules(args),
            encryption={"default_kms_key_name": args.kms_key_name} if args.kms_key_name else None,
            force_destroy=False,
            labels={"auditkit-role": "audit-archive", **args.labels},
            opts=ResourceOptions(parent=self, protect=args.protect),
        )
        self.register_outputs({"bucket_name": self.bucket.name, "bucket_url": self.bucket.url})

"""The immutable log archive: where audit logs are written once and kept for the legal retention."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
from pulumi import Input, Output, ResourceOptions

from auditkit.components.aws import rendering
from auditkit.policies.retention import RetentionRequirement
from auditkit.settings.aws_limits import (
    archive_key_alias,
    check_alias_name,
    check_bucket_name,
    check_object_lock_retention,
    check_tiers,
)


@dataclass
class ImmutableLogArchiveArgs:
    retention: RetentionRequirement
    account_id: Input[str]
    # The provider's region and partition (aws.get_region / aws.get_partition), never assumed.
    region: Input[str]
    # Trails allowed to write here (aws:SourceArn); their ARNs are known before the trails exist.
    writer_trail_arns: Sequence[Input[str]]
    bucket_name: Input[str]
    access_log_bucket_name: Input[str] | None = None
    partition: Input[str] = "aws"
    organization_id: str | None = None
    hot_days: int = 90
    cold_after_days: int = 365
    warm_storage_class: str = "STANDARD_IA"
    protect: bool = True
    tags: dict[str, str] = field(default_factory=dict)
    # Account-scoped, so unique per stack; None: alias/auditkit/<stack>/<component name>.
    key_alias: str | None = None
    # The partition's DNS suffix (aws.get_partition), for the CloudWatch Logs service principal.
    dns_suffix: Input[str] = "amazonaws.com"

    def __post_init__(self) -> None:
        check_object_lock_retention(self.retention)
        check_tiers(self.hot_days, self.cold_after_days, self.warm_storage_class, self.retention.days)
        if self.key_alias is not None:
            check_alias_name("key_alias", self.key_alias)
        for name, value in (
            ("aws.archiveBucketName", self.bucket_name),
            ("aws.accessLogBucketName", self.access_log_bucket_name),
        ):
            if isinstance(value, str):
                check_bucket_name(name, value)


class ImmutableLogArchive(pulumi.ComponentResource):
    """S3 Object Lock (COMPLIANCE) archive with SSE-KMS, TLS-only access and tiered lifecycle."""

    bucket: aws.s3.Bucket
    key: aws.kms.Key
    bucket_policy: aws.s3.BucketPolicy

    def __init__(self, name: str, args: ImmutableLogArchiveArgs, opts: ResourceOptions | None = None) -> None:
        super().__init__("auditkit:aws:ImmutableLogArchive", name, None, opts)
        tags = {"auditkit:role": "audit-archive", **args.tags}
        trail_arns = Output.all(*args.writer_trail_arns)
        self.key = self._key(name, args, tags, trail_arns)
        self.bucket = self._locked_bucket(name, args, tags)
        public_block = self._block_public_access(f"{name}-public-access-block", self.bucket)
        aws.s3.BucketOwnershipControls(
            f"{name}-ownership",
            bucket=self.bucket.id,
            rule={"object_ownership": "BucketOwnerEnforced"},
            opts=ResourceOptions(parent=self),
        )
        self.bucket_policy = aws.s3.BucketPolicy(
            f"{name}-policy",
            bucket=self.bucket.id,
            policy=Output.all(self.bucket.arn, args.account_id, trail_arns).apply(
                lambda v: json.dumps(rendering.archive_bucket_policy(v[0], v[1], v[2], args.organization_id))
            ),
            opts=ResourceOptions(parent=self, depends_on=[public_block]),
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            bucket=self.bucket.id,
            rules=rendering.lifecycle_rules(
                args.retention, args.hot_days, args.cold_after_days, args.warm_storage_class
            ),
            opts=ResourceOptions(parent=self, protect=args.protect),
        )
        self.access_log_bucket: aws.s3.Bucket | None = None
        if args.access_log_bucket_name is not None:
            self.access_log_bucket = self._access_logs(name, args, tags)
        self.register_outputs(
            {
                "bucket_name": self.bucket.bucket,
                "bucket_arn": self.bucket.arn,
                "key_arn": self.key.arn,
                "access_log_bucket_name": self.access_log_bucket.bucket if self.access_log_bucket else None,
            }
        )

    def _key(self, name: str, args: ImmutableLogArchiveArgs, tags: dict[str, str], trail_arns: Output) -> aws.kms.Key:
        key = aws.kms.Key(
            f"{name}-key",
            description="AuditKit: encrypts CloudTrail log files, the archive bucket and the CloudWatch log group",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=Output.all(args.partition, args.dns_suffix, args.account_id, args.region, trail_arns).apply(
                lambda v: json.dumps(rendering.key_policy(*v))
            ),
            tags=tags,
            opts=ResourceOptions(parent=self, protect=args.protect),
        )
        aws.kms.Alias(
            f"{name}-key-alias",
            name=args.key_alias or archive_key_alias(pulumi.get_stack(), name),
            target_key_id=key.key_id,
            opts=ResourceOptions(parent=self),
        )
        return key

    def _locked_bucket(self, name: str, args: ImmutableLogArchiveArgs, tags: dict[str, str]) -> aws.s3.Bucket:
        """The bucket, versioned, under a COMPLIANCE default retention, encrypted with the archive key."""
        child, kept = ResourceOptions(parent=self), ResourceOptions(parent=self, protect=args.protect)
        # Object Lock can only be switched on when the bucket is created.
        bucket = aws.s3.Bucket(
            f"{name}-bucket", bucket=args.bucket_name, object_lock_enabled=True, tags=tags, opts=kept
        )
        aws.s3.BucketVersioning(
            f"{name}-versioning", bucket=bucket.id, versioning_configuration={"status": "Enabled"}, opts=child
        )
        aws.s3.BucketObjectLockConfiguration(
            f"{name}-object-lock",
            bucket=bucket.id,
            object_lock_enabled="Enabled",
            rule=rendering.object_lock_rule(args.retention),
            opts=kept,
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-sse",
            bucket=bucket.id,
            rules=[
                {
                    "apply_server_side_encryption_by_default": {
                        "sse_algorithm": "aws:kms",
                        "kms_master_key_id": self.key.arn,
                    },
                    "bucket_key_enabled": True,
                }
            ],
            opts=child,
        )
        return bucket

    def _block_public_access(self, name: str, bucket: aws.s3.Bucket) -> aws.s3.BucketPublicAccessBlock:
        return aws.s3.BucketPublicAccessBlock(
            name,
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=ResourceOptions(parent=self),
        )

    def _access_logs(self, name: str, args: ImmutableLogArchiveArgs, tags: dict[str, str]) -> aws.s3.Bucket:
        # S3 cannot deliver server access logs into an Object Lock bucket, and the target
        # must use SSE-S3: who read the audit logs is recorded in a bucket of its own.
        child = ResourceOptions(parent=self)
        logs = aws.s3.Bucket(
            f"{name}-access-logs",
            bucket=args.access_log_bucket_name,
            tags={**tags, "auditkit:role": "audit-archive-access-logs"},
            opts=ResourceOptions(parent=self, protect=args.protect),
        )
        aws.s3.BucketVersioning(
            f"{name}-access-logs-versioning", bucket=logs.id, versioning_configuration={"status": "Enabled"}, opts=child
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-access-logs-sse",
            bucket=logs.id,
            rules=[{"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}],
            opts=child,
        )
        block = self._block_public_access(f"{name}-access-logs-public-access-block", logs)
        aws.s3.BucketPolicy(
            f"{name}-access-logs-policy",
            bucket=logs.id,
            policy=Output.all(logs.arn, self.bucket.arn, args.account_id).apply(
                lambda v: json.dumps(rendering.access_log_bucket_policy(v[0], v[1], v[2]))
            ),
            opts=ResourceOptions(parent=self, depends_on=[block]),
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-access-logs-lifecycle",
            bucket=logs.id,
            rules=rendering.access_log_lifecycle_rules(args.retention),
            opts=child,
        )
        aws.s3.BucketLogging(
            f"{name}-access-logging",
            bucket=self.bucket.id,
            target_bucket=logs.id,
            target_prefix="s3-access/",
            opts=child,
        )
        return logs

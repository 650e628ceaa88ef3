"""What the AWS components put into resources, as plain data (Pulumi input names).

Kept apart from the resources so the values can be checked without an engine and
sent verbatim to the S3/CloudTrail APIs by the contract test and the demo harness.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from auditkit.policies.retention import RetentionRequirement

if TYPE_CHECKING:  # the provider's input shapes, for the checker only: rendering stays plain data at run time
    from pulumi_aws.cloudtrail import (
        TrailAdvancedEventSelectorArgsDict,
        TrailAdvancedEventSelectorFieldSelectorArgsDict,
    )
    from pulumi_aws.s3 import BucketLifecycleConfigurationRuleArgsDict, BucketObjectLockConfigurationRuleArgsDict

ABORT_INCOMPLETE_UPLOAD_DAYS = 7
# A version made noncurrent is removed this many days later. Shorter than the retention on
# purpose: COMPLIANCE Object Lock keeps every version until its retain-until date, and
# "protected object versions remain safe from being deleted or overwritten by a lifecycle
# configuration" (S3 User Guide, Object Lock considerations: managing lifecycles).
NONCURRENT_EXPIRATION_DAYS = 1


def object_lock_rule(retention: RetentionRequirement) -> BucketObjectLockConfigurationRuleArgsDict:
    # Years, not days: S3 computes retain-until in calendar years, matching the law's wording.
    return {"default_retention": {"mode": "COMPLIANCE", "years": retention.years}}


def lifecycle_rules(
    retention: RetentionRequirement, hot_days: int, cold_after_days: int, warm_class: str
) -> list[BucketLifecycleConfigurationRuleArgsDict]:
    """hot STANDARD -> warm -> DEEP_ARCHIVE; at the retention a delete marker, a day later the bytes.

    In a versioned bucket, expiring the current version only adds a delete marker; the
    noncurrent expiration then removes the bytes, and the second rule removes the delete
    marker left with no versions (S3 refuses ExpiredObjectDeleteMarker beside Days in one
    Expiration, so it has a rule of its own). The bound is policies.aws.judges.removal_bound_days.
    """
    return [
        {
            "id": "audit-log-tiers",
            "status": "Enabled",
            "filter": {"prefix": ""},
            "transitions": [
                {"days": hot_days, "storage_class": warm_class},
                {"days": cold_after_days, "storage_class": "DEEP_ARCHIVE"},
            ],
            "expiration": {"days": retention.days},
            "noncurrent_version_expiration": {"noncurrent_days": NONCURRENT_EXPIRATION_DAYS},
            "abort_incomplete_multipart_upload": {"days_after_initiation": ABORT_INCOMPLETE_UPLOAD_DAYS},
        },
        {
            "id": "remove-expired-delete-markers",
            "status": "Enabled",
            "filter": {"prefix": ""},
            "expiration": {"expired_object_delete_marker": True},
        },
    ]


def access_log_lifecycle_rules(retention: RetentionRequirement) -> list[BucketLifecycleConfigurationRuleArgsDict]:
    """The access-log bucket is versioned but not locked: a deleted log must stay noncurrent
    for the whole retention, so its bytes are gone by twice the retention (plus roundings)."""
    return [
        {
            "id": "keep-for-retention",
            "status": "Enabled",
            "filter": {"prefix": ""},
            "expiration": {"days": retention.days},
            "noncurrent_version_expiration": {"noncurrent_days": retention.days},
        },
        {
            "id": "remove-expired-delete-markers",
            "status": "Enabled",
            "filter": {"prefix": ""},
            "expiration": {"expired_object_delete_marker": True},
        },
    ]


def tls_only_statement(bucket_arn: str) -> dict:
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [bucket_arn, f"{bucket_arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def archive_bucket_policy(
    bucket_arn: str, account_id: str, trail_arns: Sequence[str], organization_id: str | None
) -> dict:
    """TLS only; CloudTrail may write, but only on behalf of our own trails (aws:SourceArn)."""
    log_paths = [f"{bucket_arn}/AWSLogs/{account_id}/*"]
    if organization_id:
        log_paths.append(f"{bucket_arn}/AWSLogs/{organization_id}/*")
    source = {"aws:SourceArn": list(trail_arns)}
    return {
        "Version": "2012-10-17",
        "Statement": [
            tls_only_statement(bucket_arn),
            {
                "Sid": "AWSCloudTrailAclCheck",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "s3:GetBucketAcl",
                "Resource": bucket_arn,
                "Condition": {"StringEquals": source},
            },
            {
                "Sid": "AWSCloudTrailWrite",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": log_paths,
                "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control", **source}},
            },
        ],
    }


def access_log_bucket_policy(bucket_arn: str, archive_arn: str, account_id: str) -> dict:
    # Statement order has no meaning to IAM; the log-delivery grant comes first because moto's
    # PutBucketLogging check stops at the first statement and crashes on a "*" principal.
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "S3ServerAccessLogsOfArchive",
                "Effect": "Allow",
                "Principal": {"Service": "logging.s3.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": f"{bucket_arn}/*",
                "Condition": {
                    "ArnLike": {"aws:SourceArn": archive_arn},
                    "StringEquals": {"aws:SourceAccount": account_id},
                },
            },
            tls_only_statement(bucket_arn),
        ],
    }


def _allow(sid: str, principal: dict, action: str | list[str], condition: dict | None = None) -> dict:
    stmt = {"Sid": sid, "Effect": "Allow", "Principal": principal, "Action": action, "Resource": "*"}
    return {**stmt, "Condition": condition} if condition else stmt


def key_policy(partition: str, dns_suffix: str, account_id: str, region: str, trail_arns: Sequence[str]) -> dict:
    """The archive key's policy, after CloudTrail's "Configure AWS KMS key policies for CloudTrail".

    CloudTrail encrypts with an encryption context naming the trail, so GenerateDataKey is
    scoped by that context; DescribeKey carries no encryption context and has a statement of
    its own; all three CloudTrail statements are bound to our trails with aws:SourceArn. The
    archive bucket uses an S3 Bucket Key, so CloudTrail also needs Decrypt to create or update
    the trail (same guide, "Granting decrypt permissions"). Readers in the account decrypt only
    what carries a CloudTrail context of this account's trails.
    """
    root = {"AWS": f"arn:{partition}:iam::{account_id}:root"}
    own_trails = {"kms:EncryptionContext:aws:cloudtrail:arn": f"arn:{partition}:cloudtrail:*:{account_id}:trail/*"}
    our_trails = {"StringEquals": {"aws:SourceArn": list(trail_arns)}}
    cloudtrail = {"Service": "cloudtrail.amazonaws.com"}
    log_groups = {"kms:EncryptionContext:aws:logs:arn": f"arn:{partition}:logs:{region}:{account_id}:log-group:*"}
    return {
        "Version": "2012-10-17",
        "Statement": [
            _allow("AccountAdministers", root, "kms:*"),
            _allow(
                "CloudTrailEncryptsLogs", cloudtrail, "kms:GenerateDataKey*", {**our_trails, "StringLike": own_trails}
            ),
            _allow("CloudTrailDescribesKey", cloudtrail, "kms:DescribeKey", our_trails),
            _allow("CloudTrailUsesBucketKey", cloudtrail, "kms:Decrypt", our_trails),
            _allow("AccountReadsLogFiles", root, ["kms:Decrypt", "kms:ReEncryptFrom"], {"StringLike": own_trails}),
            _allow(
                "CloudWatchLogsEncryptsLogGroup",
                {"Service": f"logs.{region}.{dns_suffix}"},
                ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
                {"ArnLike": log_groups},
            ),
        ],
    }


def cloudtrail_assume_role_policy(trail_arn: str) -> dict:
    """Only this trail may assume the CloudWatch delivery role (aws:SourceArn)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:SourceArn": trail_arn}},
            }
        ],
    }


def cloudwatch_delivery_policy(log_group_arn: str) -> dict:
    """What CloudTrail needs to deliver events into the log group, and nothing more."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": f"{log_group_arn}:log-stream:*",
            }
        ],
    }


def data_event_selectors(
    partition: str,
    s3_buckets: Sequence[str] | None,
    excluded_buckets: Sequence[str],
    lambda_events: bool,
    dynamodb_events: bool,
) -> list[TrailAdvancedEventSelectorArgsDict]:
    """Advanced event selectors: management read+write, S3 objects, Lambda, DynamoDB.

    s3_buckets None means every bucket. The trail's own destinations are always
    excluded: recording the trail's writes into its own bucket feeds back on itself.
    No readOnly field anywhere: reads and writes are both recorded.
    """
    s3 = f"arn:{partition}:s3:::"
    selectors: list[TrailAdvancedEventSelectorArgsDict] = [
        {
            "name": "Management events, read and write",
            "field_selectors": [{"field": "eventCategory", "equals": ["Management"]}],
        }
    ]
    arn_condition: TrailAdvancedEventSelectorFieldSelectorArgsDict
    if s3_buckets is None:
        arn_condition = {"field": "resources.ARN", "not_starts_withs": [f"{s3}{b}/" for b in excluded_buckets]}
    else:
        arn_condition = {"field": "resources.ARN", "starts_withs": [f"{s3}{b}/" for b in s3_buckets]}
    selectors.append(
        {
            "name": "S3 object reads and writes",
            "field_selectors": [
                {"field": "eventCategory", "equals": ["Data"]},
                {"field": "resources.type", "equals": ["AWS::S3::Object"]},
                arn_condition,
            ],
        }
    )
    for enabled, rtype, label in (
        (lambda_events, "AWS::Lambda::Function", "Lambda invocations"),
        (dynamodb_events, "AWS::DynamoDB::Table", "DynamoDB item activity"),
    ):
        if enabled:
            selectors.append(
                {
                    "name": label,
                    "field_selectors": [
                        {"field": "eventCategory", "equals": ["Data"]},
                        {"field": "resources.type", "equals": [rtype]},
                    ],
                }
            )
    return selectors


def selector_value_count(selectors: Sequence[Mapping[str, Any]]) -> int:
    return sum(
        len(values)
        for sel in selectors
        for fs in sel["field_selectors"]
        for key, values in fs.items()
        if key != "field"
    )

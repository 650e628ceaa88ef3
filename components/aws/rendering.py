"""What the AWS components put into resources, as plain data (Pulumi input names).

Kept apart from the resources so the values can be checked without an engine and
sent verbatim to the S3/CloudTrail APIs by the contract test and the demo harness.
"""

from __future__ import annotations

from collections.abc import Sequence

from auditkit.policies.retention import RetentionRequirement

ABORT_INCOMPLETE_UPLOAD_DAYS = 7
NONCURRENT_TO_DEEP_ARCHIVE_DAYS = 30


def object_lock_rule(retention: RetentionRequirement) -> dict:
    # Years, not days: S3 computes retain-until in calendar years, matching the law's wording.
    return {"default_retention": {"mode": "COMPLIANCE", "years": retention.years}}


def lifecycle_rules(
    retention: RetentionRequirement, hot_days: int, cold_after_days: int, warm_class: str
) -> list[dict]:
    """hot STANDARD -> warm -> DEEP_ARCHIVE -> expire exactly at the retention."""
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
            # Noncurrent versions only appear through deletes; keep them as long as the law asks.
            "noncurrent_version_transitions": [
                {"noncurrent_days": NONCURRENT_TO_DEEP_ARCHIVE_DAYS, "storage_class": "DEEP_ARCHIVE"}
            ],
            "noncurrent_version_expiration": {"noncurrent_days": retention.days},
            "abort_incomplete_multipart_upload": {"days_after_initiation": ABORT_INCOMPLETE_UPLOAD_DAYS},
        }
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


def key_policy(partition: str, account_id: str, region: str, trail_arns: Sequence[str]) -> dict:
    root = f"arn:{partition}:iam::{account_id}:root"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AccountAdministers",
                "Effect": "Allow",
                "Principal": {"AWS": root},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Sid": "CloudTrailEncryptsLogs",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": ["kms:GenerateDataKey*", "kms:DescribeKey"],
                "Resource": "*",
                "Condition": {
                    "StringEquals": {"aws:SourceArn": list(trail_arns)},
                    "StringLike": {
                        "kms:EncryptionContext:aws:cloudtrail:arn": f"arn:{partition}:cloudtrail:*:{account_id}:trail/*"
                    },
                },
            },
            {
                "Sid": "CloudWatchLogsEncryptsLogGroup",
                "Effect": "Allow",
                "Principal": {"Service": f"logs.{region}.amazonaws.com"},
                "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
                "Resource": "*",
                "Condition": {
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": f"arn:{partition}:logs:{region}:{account_id}:log-group:*"
                    }
                },
            },
        ],
    }


def data_event_selectors(
    partition: str,
    s3_buckets: Sequence[str] | None,
    excluded_buckets: Sequence[str],
    lambda_events: bool,
    dynamodb_events: bool,
) -> list[dict]:
    """Advanced event selectors: management read+write, S3 objects, Lambda, DynamoDB.

    s3_buckets None means every bucket. The trail's own destinations are always
    excluded: recording the trail's writes into its own bucket feeds back on itself.
    No readOnly field anywhere: reads and writes are both recorded.
    """
    s3 = f"arn:{partition}:s3:::"
    selectors: list[dict] = [
        {
            "name": "Management events, read and write",
            "field_selectors": [{"field": "eventCategory", "equals": ["Management"]}],
        }
    ]
    arn_condition: dict
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


def selector_value_count(selectors: Sequence[dict]) -> int:
    return sum(
        len(values)
        for sel in selectors
        for fs in sel["field_selectors"]
        for key, values in fs.items()
        if key != "field"
    )

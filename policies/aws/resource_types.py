"""The AWS resource types the controls read: ONE table, with the aliases real stacks still use.

pulumi-aws v7 renamed the v6 `*V2` S3 resources to their plain names and keeps the old tokens
as aliases (pulumi-aws docs/v7-upgrade.md; e.g. `s3/bucket.py` registers
`Alias(type_="aws:s3/bucketV2:BucketV2")`). Stacks migrated from v6 still declare the V2 types
and the deprecated inline blocks of `aws.s3.Bucket` (`versioning`, `serverSideEncryptionConfiguration`,
`objectLockConfiguration`, `lifecycleRules`; v6 BucketV2 has the plural list forms). Every
policy reads resources through `canonical_plan`, which maps each alias to its v7 twin and turns
inline blocks into the standalone resources they stand for, so each concept is judged once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from auditkit.policies.computed import Computed
from auditkit.policies.verdicts import PlanResource

TRAIL = "aws:cloudtrail/trail:Trail"
BUCKET = "aws:s3/bucket:Bucket"
OBJECT_LOCK = "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration"
LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
PUBLIC_ACCESS = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
ENCRYPTION = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
POLICY = "aws:s3/bucketPolicy:BucketPolicy"
LOGGING = "aws:s3/bucketLogging:BucketLogging"
KMS_KEY = "aws:kms/key:Key"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
IAM_ROLE = "aws:iam/role:Role"
# High-risk activity alerts (components/aws/alerts.py).
METRIC_FILTER = "aws:cloudwatch/logMetricFilter:LogMetricFilter"
METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
SNS_TOPIC = "aws:sns/topic:Topic"
SNS_SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
GUARDDUTY_DETECTOR = "aws:guardduty/detector:Detector"
GUARDDUTY_FEATURE = "aws:guardduty/detectorFeature:DetectorFeature"

ALIASES: dict[str, str] = {
    "aws:s3/bucketV2:BucketV2": BUCKET,
    "aws:s3/bucketVersioningV2:BucketVersioningV2": VERSIONING,
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2": ENCRYPTION,
    "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2": LIFECYCLE,
    "aws:s3/bucketObjectLockConfigurationV2:BucketObjectLockConfigurationV2": OBJECT_LOCK,
    "aws:s3/bucketLoggingV2:BucketLoggingV2": LOGGING,
}

# Fields that name another resource, and the (canonical) types they may name. A preview sends
# them unknown when that resource is new; the pack resolves them through the plan's
# property dependencies.
REFERENCES: dict[str, tuple[str, ...]] = {
    "s3BucketName": (BUCKET,),
    "bucket": (BUCKET,),
    "targetBucket": (BUCKET,),
    "kmsKeyId": (KMS_KEY,),
    "kmsMasterKeyId": (KMS_KEY,),
    "cloudWatchLogsGroupArn": (LOG_GROUP,),
    "cloudWatchLogsRoleArn": (IAM_ROLE,),
    # The alerts: a filter's log group, an alarm's actions and a subscription's topic, a feature's detector.
    "logGroupName": (LOG_GROUP,),
    "alarmActions": (SNS_TOPIC,),
    "topic": (SNS_TOPIC,),
    "detectorId": (GUARDDUTY_DETECTOR,),
}


def canonical_type(resource_type: str) -> str:
    return ALIASES.get(resource_type, resource_type)


def bucket_name(r: PlanResource) -> Any:
    """A bucket resource's name: its `bucket` input, or (named at apply) a key for its logical name."""
    name = r.props.get("bucket")
    if isinstance(name, Computed) or not name:
        return unnamed_bucket(r.name)
    return name


def unnamed_bucket(logical_name: str) -> str:
    return f"<bucket {logical_name}, named at apply>"


def canonical_plan(resources: Iterable[PlanResource]) -> list[PlanResource]:
    """Aliases mapped to their v7 types; inline bucket blocks as the standalone resources they stand for.

    The inline forms come first, so a standalone resource for the same bucket (what pulumi-aws
    recommends) wins, as it does in AWS once both are applied.
    """
    implied: list[PlanResource] = []
    out: list[PlanResource] = []
    for r in resources:
        kind = canonical_type(r.type)
        out.append(PlanResource(kind, r.name, r.props))
        if kind == BUCKET:
            implied += _inline(r)
    return implied + out


def _one(value: Any) -> Any:
    """v7 singular blocks are objects; v6 BucketV2 blocks are one-element lists."""
    if isinstance(value, Sequence) and not isinstance(value, str):
        return value[0] if value else None
    return value


def _block(props: Mapping[str, Any], *keys: str) -> Any:
    return next((_one(props[k]) for k in keys if props.get(k) is not None), None)


def _status(enabled: Any, on: str = "Enabled", off: str = "Disabled") -> Any:
    if isinstance(enabled, Computed):
        return enabled
    return on if enabled else off


def _inline(bucket: PlanResource) -> list[PlanResource]:
    p, name = bucket.props, bucket_name(bucket)
    out = []

    def add(kind: str, suffix: str, props: dict[str, Any]) -> None:
        out.append(PlanResource(kind, f"{bucket.name} ({suffix})", {"bucket": name, **props}))

    lock = _block(p, "objectLockConfiguration", "objectLockConfigurations")
    lock_flag = lock.get("objectLockEnabled") if isinstance(lock, Mapping) else None
    lock_enabled = p.get("objectLockEnabled") is True or (isinstance(lock_flag, str) and lock_flag == "Enabled")
    versioning = _block(p, "versioning", "versionings")
    if isinstance(versioning, Computed):
        add(VERSIONING, "inline versioning", {"versioningConfiguration": versioning})
    elif isinstance(versioning, Mapping):
        add(
            VERSIONING, "inline versioning", {"versioningConfiguration": {"status": _status(versioning.get("enabled"))}}
        )
    elif lock_enabled:
        # S3 turns versioning on for a bucket created with Object Lock, and it cannot be suspended
        # (S3 User Guide, "Object Lock considerations").
        add(VERSIONING, "versioned by Object Lock", {"versioningConfiguration": {"status": "Enabled"}})
    if isinstance(lock, Computed):
        add(OBJECT_LOCK, "inline object lock", {"objectLockEnabled": lock})
    elif lock_enabled:
        block = lock if isinstance(lock, Mapping) else {}
        retention = _block(_one(block.get("rule") or block.get("rules")) or {}, "defaultRetention", "defaultRetentions")
        rule = {"defaultRetention": dict(retention)} if isinstance(retention, Mapping) else None
        add(OBJECT_LOCK, "inline object lock", {"objectLockEnabled": "Enabled", "rule": rule})
    encryption = _block(p, "serverSideEncryptionConfiguration", "serverSideEncryptionConfigurations")
    if isinstance(encryption, Computed):
        add(ENCRYPTION, "inline encryption", {"rules": encryption})
    elif isinstance(encryption, Mapping):
        rule = _one(encryption.get("rule") or encryption.get("rules")) or {}
        default = _block(rule, "applyServerSideEncryptionByDefault", "applyServerSideEncryptionByDefaults")
        add(ENCRYPTION, "inline encryption", {"rules": [{"applyServerSideEncryptionByDefault": default}]})
    if p.get("lifecycleRules"):
        add(LIFECYCLE, "inline lifecycle rules", {"rules": [_lifecycle_rule(r) for r in p["lifecycleRules"]]})
    return out


def _lifecycle_rule(r: Mapping[str, Any]) -> dict[str, Any]:
    """A v6/inline lifecycle rule in the BucketLifecycleConfiguration shape."""
    expiration = _block(r, "expiration", "expirations") or {}
    noncurrent = _block(r, "noncurrentVersionExpiration", "noncurrentVersionExpirations") or {}
    abort = r.get("abortIncompleteMultipartUploadDays")
    return {
        "id": r.get("id") or "",
        "status": _status(r.get("enabled")),
        "expiration": {"days": expiration.get("days"), "date": expiration.get("date")},
        "transitions": list(r.get("transitions") or ()),
        "noncurrentVersionExpiration": {"noncurrentDays": noncurrent.get("days")},
        "noncurrentVersionTransitions": [
            {"noncurrentDays": t.get("days"), "storageClass": t.get("storageClass")}
            for t in r.get("noncurrentVersionTransitions") or ()
        ],
        "abortIncompleteMultipartUpload": {"daysAfterInitiation": abort},
    }

"""Facts from AWS API responses (boto3 shapes). Anything unexpected raises UnknownShape."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from auditkit.policies.aws.event_selectors import EventSelectors, UnknownShape
from auditkit.policies.aws.facts import (
    BucketFacts,
    Encryption,
    LifecycleRule,
    ObjectLockFacts,
    PublicAccessBlock,
    TrailFacts,
    Transition,
)


def _require(d: Any, key: str, where: str) -> Any:
    if not isinstance(d, Mapping) or key not in d:
        raise UnknownShape(f"{where}: no {key!r} in {d!r}"[:300])
    return d[key]


def trail_facts(
    desc: Mapping[str, Any], selectors: Mapping[str, Any] | None, status: Mapping[str, Any] | None
) -> TrailFacts:
    """From DescribeTrails, GetEventSelectors and GetTrailStatus. Missing status means unknown (None)."""
    logging = None
    if status is not None:
        is_logging = _require(status, "IsLogging", "GetTrailStatus")
        if not isinstance(is_logging, bool):
            raise UnknownShape(f"GetTrailStatus: IsLogging={is_logging!r}")
        logging = is_logging
    return TrailFacts(
        name=str(_require(desc, "Name", "DescribeTrails")),
        arn=str(_require(desc, "TrailARN", "DescribeTrails")),
        home_region=str(_require(desc, "HomeRegion", "DescribeTrails")),
        bucket=str(desc.get("S3BucketName") or ""),
        multi_region=bool(desc.get("IsMultiRegionTrail", False)),
        include_global_events=bool(desc.get("IncludeGlobalServiceEvents", False)),
        organization=bool(desc.get("IsOrganizationTrail", False)),
        log_validation=bool(desc.get("LogFileValidationEnabled", False)),
        kms_key_id=desc.get("KmsKeyId") or None,
        cloudwatch_log_group_arn=desc.get("CloudWatchLogsLogGroupArn") or None,
        cloudwatch_role_arn=desc.get("CloudWatchLogsRoleArn") or None,
        selectors=EventSelectors.from_api(selectors) if selectors is not None else EventSelectors(),
        logging=logging,
    )


def object_lock_facts(resp: Mapping[str, Any] | None) -> ObjectLockFacts | None:
    if resp is None:
        return None
    conf = _require(resp, "ObjectLockConfiguration", "GetObjectLockConfiguration")
    retention = (conf.get("Rule") or {}).get("DefaultRetention") or {}
    # moto answers Days=0 beside Years; S3 itself sends one of the two, never 0.
    return ObjectLockFacts(
        enabled=conf.get("ObjectLockEnabled") == "Enabled",
        mode=retention.get("Mode"),
        days=retention.get("Days") or None,
        years=retention.get("Years") or None,
    )


def _transitions(items: Any, days_key: str) -> tuple[Transition, ...]:
    return tuple(
        Transition(t.get(days_key), str(t.get("StorageClass")), str(t["Date"]) if t.get("Date") else None)
        for t in items or ()
    )


def lifecycle_facts(resp: Mapping[str, Any] | None) -> tuple[LifecycleRule, ...] | None:
    if resp is None:
        return None
    rules = []
    for r in _require(resp, "Rules", "GetBucketLifecycleConfiguration"):
        expiration = r.get("Expiration") or {}
        rules.append(
            LifecycleRule(
                id=str(r.get("ID", "")),
                enabled=_require(r, "Status", "lifecycle rule") == "Enabled",
                transitions=_transitions(r.get("Transitions"), "Days"),
                expiration_days=expiration.get("Days"),
                expiration_date=str(expiration["Date"]) if expiration.get("Date") else None,
                noncurrent_transitions=_transitions(r.get("NoncurrentVersionTransitions"), "NoncurrentDays"),
                noncurrent_expiration_days=(r.get("NoncurrentVersionExpiration") or {}).get("NoncurrentDays"),
                abort_incomplete_days=(r.get("AbortIncompleteMultipartUpload") or {}).get("DaysAfterInitiation"),
            )
        )
    return tuple(rules)


def public_access_facts(resp: Mapping[str, Any] | None) -> PublicAccessBlock | None:
    if resp is None:
        return None
    c = _require(resp, "PublicAccessBlockConfiguration", "GetPublicAccessBlock")
    return PublicAccessBlock(
        bool(c.get("BlockPublicAcls")),
        bool(c.get("IgnorePublicAcls")),
        bool(c.get("BlockPublicPolicy")),
        bool(c.get("RestrictPublicBuckets")),
    )


def encryption_facts(resp: Mapping[str, Any] | None) -> Encryption | None:
    if resp is None:
        return None
    rules = _require(
        _require(resp, "ServerSideEncryptionConfiguration", "GetBucketEncryption"), "Rules", "GetBucketEncryption"
    )
    default = (rules[0] if rules else {}).get("ApplyServerSideEncryptionByDefault") or {}
    return Encryption(default.get("SSEAlgorithm"), default.get("KMSMasterKeyID") or None)


def policy_facts(resp: Mapping[str, Any] | None) -> dict | None:
    if resp is None:
        return None
    try:
        return json.loads(_require(resp, "Policy", "GetBucketPolicy"))
    except json.JSONDecodeError as exc:
        raise UnknownShape(f"GetBucketPolicy: not JSON: {exc}") from None


def bucket_facts(name: str, region: str, responses: Mapping[str, Any]) -> BucketFacts:
    return BucketFacts(
        name=name,
        object_lock=object_lock_facts(responses.get("object_lock")),
        lifecycle=lifecycle_facts(responses.get("lifecycle")),
        versioning=(responses.get("versioning") or {}).get("Status"),
        public_access_block=public_access_facts(responses.get("public_access")),
        policy=policy_facts(responses.get("policy")),
        encryption=encryption_facts(responses.get("encryption")),
        region=region,
    )

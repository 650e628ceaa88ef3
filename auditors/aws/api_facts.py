"""Facts from AWS API responses (boto3 shapes). Anything unexpected raises UnknownShape."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from auditkit.policies.aws.event_selectors import EventSelectors, UnknownShape
from auditkit.policies.aws.facts import (
    BucketFacts,
    DeliveryErrors,
    Encryption,
    LifecycleFilter,
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


def _when(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if isinstance(value, str) and value:
        try:
            return _when(datetime.fromisoformat(value.replace("Z", "+00:00")))
        except ValueError:
            return None
    return None


def delivery_errors(status: Mapping[str, Any] | None) -> DeliveryErrors:
    """The delivery errors of GetTrailStatus (botocore cloudtrail model, GetTrailStatusResponse).

    The API gives no time for an error. It counts as current unless the last delivery attempt is
    dated (LatestDeliveryAttemptTime, still sent by some endpoints though documented "no longer in use")
    and a successful delivery came at or after it.
    """
    if not status:
        return DeliveryErrors()
    last = _when(status.get("LatestDeliveryTime"))
    attempt = _when(status.get("LatestDeliveryAttemptTime"))
    recovered = last is not None and attempt is not None and last >= attempt
    text = lambda k: str(status[k]) if status.get(k) else None  # noqa: E731

    def iso(key: str) -> str | None:
        when = _when(status.get(key))
        return when.isoformat() if when else None

    return DeliveryErrors(
        s3=None if recovered else text("LatestDeliveryError"),
        digest=text("LatestDigestDeliveryError"),
        cloudwatch=text("LatestCloudWatchLogsDeliveryError"),
        last_s3=iso("LatestDeliveryTime"),
        last_digest=iso("LatestDigestDeliveryTime"),
        last_cloudwatch=iso("LatestCloudWatchLogsDeliveryTime"),
    )


def trail_facts(
    desc: Mapping[str, Any],
    selectors: Mapping[str, Any] | None,
    status: Mapping[str, Any] | None,
    kms_key_manager: str | None = None,
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
        delivery=delivery_errors(status),
        s3_key_prefix=str(desc.get("S3KeyPrefix") or ""),
        kms_key_manager=kms_key_manager,
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


def _size(value: Any) -> int | None:
    return None if value is None else int(value)


def lifecycle_filter(rule: Mapping[str, Any]) -> LifecycleFilter:
    """Filter (Prefix | Tag | ObjectSize* | And{Prefix, Tags, ObjectSize*}) or the legacy rule-level Prefix."""
    if "Filter" not in rule:
        return LifecycleFilter(prefix=str(rule.get("Prefix") or ""))
    f = rule.get("Filter") or {}
    both = f.get("And") or {}
    tags = [f["Tag"]] if f.get("Tag") else list(both.get("Tags") or ())
    return LifecycleFilter(
        prefix=str(f.get("Prefix") or both.get("Prefix") or ""),
        tags=tuple((str(_require(t, "Key", "lifecycle Tag")), str(t.get("Value", ""))) for t in tags),
        size_greater_than=_size(f.get("ObjectSizeGreaterThan", both.get("ObjectSizeGreaterThan"))),
        size_less_than=_size(f.get("ObjectSizeLessThan", both.get("ObjectSizeLessThan"))),
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
                scope=lifecycle_filter(r),
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


def encryption_facts(resp: Mapping[str, Any] | None, key_manager: str | None = None) -> Encryption | None:
    if resp is None:
        return None
    rules = _require(
        _require(resp, "ServerSideEncryptionConfiguration", "GetBucketEncryption"), "Rules", "GetBucketEncryption"
    )
    default = (rules[0] if rules else {}).get("ApplyServerSideEncryptionByDefault") or {}
    return Encryption(default.get("SSEAlgorithm"), default.get("KMSMasterKeyID") or None, key_manager)


def bucket_key_id(resp: Mapping[str, Any] | None) -> str | None:
    """The default-encryption KMS key a bucket names, if any (to resolve with kms:DescribeKey)."""
    enc = encryption_facts(resp)
    return enc.kms_key_id if enc and enc.algorithm in ("aws:kms", "aws:kms:dsse") else None


def key_manager(resp: Mapping[str, Any]) -> str:
    manager = _require(_require(resp, "KeyMetadata", "DescribeKey"), "KeyManager", "DescribeKey")
    if manager not in ("AWS", "CUSTOMER"):
        raise UnknownShape(f"DescribeKey: KeyManager={manager!r}")
    return str(manager)


def policy_facts(resp: Mapping[str, Any] | None) -> dict | None:
    if resp is None:
        return None
    try:
        return json.loads(_require(resp, "Policy", "GetBucketPolicy"))
    except json.JSONDecodeError as exc:
        raise UnknownShape(f"GetBucketPolicy: not JSON: {exc}") from None


def versioning_status(resp: Mapping[str, Any] | None) -> str | None:
    """GetBucketVersioning's Status: None for a bucket never versioned (its answer has no Status)."""
    if resp is None:
        return None
    status = resp.get("Status") if isinstance(resp, Mapping) else resp
    if status not in (None, "Enabled", "Suspended"):
        raise UnknownShape(f"GetBucketVersioning: Status={status!r}"[:300])
    return status


def bucket_facts(
    name: str,
    region: str,
    responses: Mapping[str, Any],
    account_public_access: Mapping[str, Any] | None = None,
    key_manager: str | None = None,
) -> tuple[BucketFacts, dict[str, str]]:
    """The bucket's facts, each response parsed on its own: one that does not parse leaves its part unset
    and is returned (its kind -> why), so only the verdicts that read it become ERROR."""
    unread: dict[str, str] = {}

    def part(kind: str, parse: Any, *args: Any) -> Any:
        try:
            return parse(responses.get(kind), *args)
        except Exception as exc:  # an unexpected shape: this part is unknown, the others still count
            unread[kind] = f"UnexpectedResponse: {type(exc).__name__}: {exc}"[:400]
            return None

    lifecycle = responses.get("lifecycle")
    try:
        account_block = public_access_facts(account_public_access)
    except Exception as exc:  # the account's setting is part of every public-access verdict
        unread["account_public_access"] = f"UnexpectedResponse: {exc}"[:400]
        account_block = None
    facts = BucketFacts(
        name=name,
        object_lock=part("object_lock", object_lock_facts),
        lifecycle=part("lifecycle", lifecycle_facts),
        versioning=part("versioning", versioning_status),
        public_access_block=part("public_access", public_access_facts),
        policy=part("policy", policy_facts),
        encryption=part("encryption", encryption_facts, key_manager),
        region=region,
        account_public_access_block=account_block,
        transition_minimum_size=(lifecycle or {}).get("TransitionDefaultMinimumObjectSize")
        if isinstance(lifecycle, Mapping)
        else None,
    )
    return facts, unread

"""Rendered Pulumi inputs (engine camelCase) as S3/CloudTrail API request parameters.

For the contract test and the emulator demo: the exact values the components render
are sent to the S3 and CloudTrail APIs, where botocore validates them against the
service model. Not a deploy path; `pulumi up` is.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

_RENAMES = {
    "id": "ID",
    "sseAlgorithm": "SSEAlgorithm",
    "kmsMasterKeyId": "KMSMasterKeyID",
    "startsWiths": "StartsWith",
    "endsWiths": "EndsWith",
    "notStartsWiths": "NotStartsWith",
    "notEndsWiths": "NotEndsWith",
}


def to_api(value: Any) -> Any:
    """camelCase engine names to the APIs' PascalCase; whole-number floats back to ints."""
    if isinstance(value, Mapping):
        return {_RENAMES.get(k, k[:1].upper() + k[1:]): to_api(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_api(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def object_lock(props: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "Bucket": props["bucket"],
        "ObjectLockConfiguration": {
            "ObjectLockEnabled": props.get("objectLockEnabled", "Enabled"),
            "Rule": to_api(props["rule"]),
        },
    }


def lifecycle(props: Mapping[str, Any]) -> dict[str, Any]:
    return {"Bucket": props["bucket"], "LifecycleConfiguration": {"Rules": to_api(props["rules"])}}


def bucket_policy(props: Mapping[str, Any]) -> dict[str, Any]:
    policy = props["policy"]
    return {"Bucket": props["bucket"], "Policy": policy if isinstance(policy, str) else json.dumps(policy)}


def encryption(props: Mapping[str, Any]) -> dict[str, Any]:
    return {"Bucket": props["bucket"], "ServerSideEncryptionConfiguration": {"Rules": to_api(props["rules"])}}


def versioning(props: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "Bucket": props["bucket"],
        "VersioningConfiguration": {"Status": props["versioningConfiguration"]["status"]},
    }


def public_access_block(props: Mapping[str, Any]) -> dict[str, Any]:
    keys = ("blockPublicAcls", "ignorePublicAcls", "blockPublicPolicy", "restrictPublicBuckets")
    return {"Bucket": props["bucket"], "PublicAccessBlockConfiguration": to_api({k: bool(props.get(k)) for k in keys})}


def create_trail(props: Mapping[str, Any]) -> dict[str, Any]:
    request = {
        "Name": props["name"],
        "S3BucketName": props["s3BucketName"],
        "IncludeGlobalServiceEvents": bool(props.get("includeGlobalServiceEvents", True)),
        "IsMultiRegionTrail": bool(props.get("isMultiRegionTrail", False)),
        "EnableLogFileValidation": bool(props.get("enableLogFileValidation", False)),
        "IsOrganizationTrail": bool(props.get("isOrganizationTrail", False)),
    }
    for engine, api in (
        ("kmsKeyId", "KmsKeyId"),
        ("cloudWatchLogsGroupArn", "CloudWatchLogsLogGroupArn"),
        ("cloudWatchLogsRoleArn", "CloudWatchLogsRoleArn"),
        ("s3KeyPrefix", "S3KeyPrefix"),
    ):
        if props.get(engine):
            request[api] = props[engine]
    return request


def event_selectors(props: Mapping[str, Any]) -> dict[str, Any]:
    if props.get("advancedEventSelectors"):
        return {"TrailName": props["name"], "AdvancedEventSelectors": to_api(props["advancedEventSelectors"])}
    return {"TrailName": props["name"], "EventSelectors": to_api(props.get("eventSelectors") or [])}


def metric_alarm(props: Mapping[str, Any]) -> dict[str, Any]:
    """aws.cloudwatch.MetricAlarm inputs as a PutMetricAlarm request."""
    keys: tuple[str, ...] = ("metricName", "namespace", "statistic", "period", "evaluationPeriods", "threshold")
    keys += ("comparisonOperator", "treatMissingData", "actionsEnabled", "alarmActions", "alarmDescription")
    request = to_api({k: props[k] for k in keys if k in props})
    return {"AlarmName": props["name"], **request}

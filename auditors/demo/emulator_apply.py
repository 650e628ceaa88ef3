"""Apply a rendered stack to an AWS emulator with boto3. A test-and-demo harness, not a deploy path.

It sends exactly the inputs the components rendered under the mock engine, in
dependency order, swapping the mock engine's KMS key ids for the emulator's.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import boto3

from auditkit.auditors.demo import api_requests
from auditkit.components.mock_engine import AuditKitMocks, RenderedResource


@dataclass(frozen=True)
class _Clients:
    s3: Any
    kms: Any
    logs: Any
    iam: Any
    cloudtrail: Any
    sns: Any
    cloudwatch: Any
    guardduty: Any


def _key(c: _Clients, r: RenderedResource, p: dict) -> dict[str, str]:
    meta = c.kms.create_key(Description=p.get("description", ""), Policy=p["policy"])["KeyMetadata"]
    if p.get("enableKeyRotation"):
        c.kms.enable_key_rotation(KeyId=meta["KeyId"])
    # The mock engine's key id, wherever later inputs name it, becomes the emulator's.
    return {AuditKitMocks().outputs(r.type, r.name, r.inputs)[0]: meta["KeyId"]}


def _logging(c: _Clients, r: RenderedResource, p: dict) -> None:
    target = {"TargetBucket": p["targetBucket"], "TargetPrefix": p.get("targetPrefix", "")}
    c.s3.put_bucket_logging(Bucket=p["bucket"], BucketLoggingStatus={"LoggingEnabled": target})


def _log_group(c: _Clients, r: RenderedResource, p: dict) -> None:
    c.logs.create_log_group(logGroupName=p["name"], kmsKeyId=p["kmsKeyId"])
    c.logs.put_retention_policy(logGroupName=p["name"], retentionInDays=int(p["retentionInDays"]))


def _trail(c: _Clients, r: RenderedResource, p: dict) -> None:
    c.cloudtrail.create_trail(**api_requests.create_trail(p))
    c.cloudtrail.put_event_selectors(**api_requests.event_selectors(p))
    if p.get("enableLogging", True):
        c.cloudtrail.start_logging(Name=p["name"])


def _topic(c: _Clients, r: RenderedResource, p: dict) -> dict[str, str]:
    arn = c.sns.create_topic(Name=p["name"], Attributes={"KmsMasterKeyId": p["kmsMasterKeyId"]})["TopicArn"]
    return {AuditKitMocks().outputs(r.type, r.name, r.inputs)[0]: arn}


def _metric_filter(c: _Clients, r: RenderedResource, p: dict) -> None:
    t = p["metricTransformation"]
    c.logs.put_metric_filter(
        logGroupName=p["logGroupName"],
        filterName=p["name"],
        filterPattern=p["pattern"],
        metricTransformations=[{"metricName": t["name"], "metricNamespace": t["namespace"], "metricValue": t["value"]}],
    )


def _alarm(c: _Clients, r: RenderedResource, p: dict) -> None:
    c.cloudwatch.put_metric_alarm(**api_requests.metric_alarm(p))


def _detector(c: _Clients, r: RenderedResource, p: dict) -> dict[str, str]:
    detector = c.guardduty.create_detector(
        Enable=bool(p.get("enable", True)), FindingPublishingFrequency=p.get("findingPublishingFrequency", "SIX_HOURS")
    )["DetectorId"]
    return {AuditKitMocks().outputs(r.type, r.name, r.inputs)[0]: detector}


def _detector_feature(c: _Clients, r: RenderedResource, p: dict) -> None:
    c.guardduty.update_detector(DetectorId=p["detectorId"], Features=[{"Name": p["name"], "Status": p["status"]}])


Apply = Callable[[_Clients, RenderedResource, dict], Any]  # the API response; a key: its id swap
# In dependency order: each type's API calls, given the resource's inputs (engine camelCase).
APPLY: dict[str, Apply] = {
    "aws:kms/key:Key": _key,
    "aws:kms/alias:Alias": lambda c, r, p: c.kms.create_alias(AliasName=p["name"], TargetKeyId=p["targetKeyId"]),
    "aws:s3/bucket:Bucket": lambda c, r, p: c.s3.create_bucket(
        Bucket=p["bucket"], ObjectLockEnabledForBucket=bool(p.get("objectLockEnabled"))
    ),
    "aws:s3/bucketVersioning:BucketVersioning": lambda c, r, p: c.s3.put_bucket_versioning(
        **api_requests.versioning(p)
    ),
    "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration": lambda c, r, p: (
        c.s3.put_object_lock_configuration(**api_requests.object_lock(p))
    ),
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": lambda c, r, p: (
        c.s3.put_bucket_encryption(**api_requests.encryption(p))
    ),
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": lambda c, r, p: c.s3.put_public_access_block(
        **api_requests.public_access_block(p)
    ),
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": lambda c, r, p: c.s3.put_bucket_ownership_controls(
        Bucket=p["bucket"], OwnershipControls={"Rules": api_requests.to_api([p["rule"]])}
    ),
    "aws:s3/bucketPolicy:BucketPolicy": lambda c, r, p: c.s3.put_bucket_policy(**api_requests.bucket_policy(p)),
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": lambda c, r, p: (
        c.s3.put_bucket_lifecycle_configuration(**api_requests.lifecycle(p))
    ),
    "aws:s3/bucketLogging:BucketLogging": _logging,
    "aws:cloudwatch/logGroup:LogGroup": _log_group,
    "aws:iam/role:Role": lambda c, r, p: c.iam.create_role(
        RoleName=r.name, AssumeRolePolicyDocument=p["assumeRolePolicy"], Description=p.get("description", "")
    ),
    "aws:iam/rolePolicy:RolePolicy": lambda c, r, p: c.iam.put_role_policy(
        RoleName=p["role"], PolicyName=r.name, PolicyDocument=p["policy"]
    ),
    "aws:cloudtrail/trail:Trail": _trail,
    "aws:sns/topic:Topic": _topic,
    "aws:sns/topicSubscription:TopicSubscription": lambda c, r, p: c.sns.subscribe(
        TopicArn=p["topic"], Protocol=p["protocol"], Endpoint=p["endpoint"]
    ),
    "aws:cloudwatch/logMetricFilter:LogMetricFilter": _metric_filter,
    "aws:cloudwatch/metricAlarm:MetricAlarm": _alarm,
    "aws:guardduty/detector:Detector": _detector,
    "aws:guardduty/detectorFeature:DetectorFeature": _detector_feature,
}
# Types whose apply answers {the mock engine's id: the emulator's}, swapped wherever later inputs name it.
SWAPS = ("aws:kms/key:Key", "aws:sns/topic:Topic", "aws:guardduty/detector:Detector")
ORDER = tuple(APPLY)


def apply_rendered(resources: Sequence[RenderedResource], session: boto3.Session) -> list[str]:
    """Create what the render describes; returns one line per API change made."""
    services = ("s3", "kms", "logs", "iam", "cloudtrail", "sns", "cloudwatch", "guardduty")
    clients = _Clients(*(session.client(n) for n in services))
    swap: dict[str, str] = {}
    done: list[str] = []
    for rtype in ORDER:
        for r in [r for r in resources if r.type == rtype]:
            text = json.dumps(r.inputs)
            for old, new in swap.items():
                text = text.replace(old, new)
            result = APPLY[rtype](clients, r, json.loads(text))
            if rtype in SWAPS:
                swap.update(result or {})
            done.append(f"{_short(rtype)} {r.name}")
    return done


def _short(token: str) -> str:
    return token.split(":")[-1]

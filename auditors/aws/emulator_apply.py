"""Apply a rendered stack to an AWS emulator with boto3. A test-and-demo harness, not a deploy path.

It sends exactly the inputs the components rendered under the mock engine, in
dependency order, swapping the mock engine's KMS key ids for the emulator's.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import boto3

from auditkit.components.aws import api_requests
from auditkit.components.mock_engine import AuditKitMocks, RenderedResource

ORDER = (
    "aws:kms/key:Key",
    "aws:kms/alias:Alias",
    "aws:s3/bucket:Bucket",
    "aws:s3/bucketVersioning:BucketVersioning",
    "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
    "aws:s3/bucketPolicy:BucketPolicy",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    "aws:s3/bucketLogging:BucketLogging",
    "aws:cloudwatch/logGroup:LogGroup",
    "aws:iam/role:Role",
    "aws:iam/rolePolicy:RolePolicy",
    "aws:cloudtrail/trail:Trail",
)


def apply_rendered(resources: Sequence[RenderedResource], session: boto3.Session) -> list[str]:
    """Create what the render describes; returns one line per API change made."""
    s3, kms, logs, iam, ct = (session.client(n) for n in ("s3", "kms", "logs", "iam", "cloudtrail"))
    swap: dict[str, str] = {}
    done: list[str] = []

    def sub(value: Any) -> Any:
        text = json.dumps(value)
        for old, new in swap.items():
            text = text.replace(old, new)
        return json.loads(text)

    for rtype in ORDER:
        for r in [r for r in resources if r.type == rtype]:
            p = sub(r.inputs)
            if rtype == "aws:kms/key:Key":
                meta = kms.create_key(Description=p.get("description", ""), Policy=p["policy"])["KeyMetadata"]
                if p.get("enableKeyRotation"):
                    kms.enable_key_rotation(KeyId=meta["KeyId"])
                swap[AuditKitMocks().outputs(r.type, r.name, r.inputs)[0]] = meta["KeyId"]
            elif rtype == "aws:kms/alias:Alias":
                kms.create_alias(AliasName=p["name"], TargetKeyId=p["targetKeyId"])
            elif rtype == "aws:s3/bucket:Bucket":
                s3.create_bucket(Bucket=p["bucket"], ObjectLockEnabledForBucket=bool(p.get("objectLockEnabled")))
            elif rtype.endswith("BucketVersioning"):
                s3.put_bucket_versioning(**api_requests.versioning(p))
            elif rtype.endswith("BucketObjectLockConfiguration"):
                s3.put_object_lock_configuration(**api_requests.object_lock(p))
            elif rtype.endswith("BucketServerSideEncryptionConfiguration"):
                s3.put_bucket_encryption(**api_requests.encryption(p))
            elif rtype.endswith("BucketPublicAccessBlock"):
                s3.put_public_access_block(**api_requests.public_access_block(p))
            elif rtype.endswith("BucketOwnershipControls"):
                s3.put_bucket_ownership_controls(
                    Bucket=p["bucket"], OwnershipControls={"Rules": api_requests.to_api([p["rule"]])}
                )
            elif rtype.endswith("BucketPolicy"):
                s3.put_bucket_policy(**api_requests.bucket_policy(p))
            elif rtype.endswith("BucketLifecycleConfiguration"):
                s3.put_bucket_lifecycle_configuration(**api_requests.lifecycle(p))
            elif rtype.endswith("BucketLogging"):
                s3.put_bucket_logging(
                    Bucket=p["bucket"],
                    BucketLoggingStatus={
                        "LoggingEnabled": {"TargetBucket": p["targetBucket"], "TargetPrefix": p.get("targetPrefix", "")}
                    },
                )
            elif rtype.endswith("LogGroup"):
                logs.create_log_group(logGroupName=p["name"], kmsKeyId=p["kmsKeyId"])
                logs.put_retention_policy(logGroupName=p["name"], retentionInDays=int(p["retentionInDays"]))
            elif rtype.endswith("/role:Role"):
                iam.create_role(
                    RoleName=r.name,
                    AssumeRolePolicyDocument=p["assumeRolePolicy"],
                    Description=p.get("description", ""),
                )
            elif rtype.endswith("RolePolicy"):
                iam.put_role_policy(RoleName=p["role"], PolicyName=r.name, PolicyDocument=p["policy"])
            elif rtype.endswith("Trail"):
                ct.create_trail(**api_requests.create_trail(p))
                ct.put_event_selectors(**api_requests.event_selectors(p))
                if p.get("enableLogging", True):
                    ct.start_logging(Name=p["name"])
            done.append(f"{_short(rtype)} {r.name}")
    return done


def _short(token: str) -> str:
    return token.split(":")[-1]

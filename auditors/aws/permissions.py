"""The read-only IAM permissions the AWS scan needs, and how API operations map to them."""

from __future__ import annotations

import json
from pathlib import Path

POLICY_FILE = Path(__file__).with_name("scan-policy.json")

# S3 API operations whose IAM action has another name (Service Authorization Reference).
_S3_ACTIONS = {
    "ListBuckets": "ListAllMyBuckets",
    "GetBucketLifecycleConfiguration": "GetLifecycleConfiguration",
    "GetObjectLockConfiguration": "GetBucketObjectLockConfiguration",
    "GetPublicAccessBlock": "GetBucketPublicAccessBlock",
    "GetBucketEncryption": "GetEncryptionConfiguration",
    "ListObjectsV2": "ListBucket",
    "ListObjectVersions": "ListBucketVersions",
}
# S3 Control's GetPublicAccessBlock is the account-level setting.
_S3CONTROL_ACTIONS = {"GetPublicAccessBlock": "GetAccountPublicAccessBlock"}
_PREFIX = {"resourcegroupstaggingapi": "tag", "s3control": "s3"}


def iam_action(service: str, operation: str) -> str:
    """'s3:GetBucketEncryption' -> 's3:GetEncryptionConfiguration'."""
    if service == "s3":
        operation = _S3_ACTIONS.get(operation, operation)
    if service == "s3control":
        operation = _S3CONTROL_ACTIONS.get(operation, operation)
    return f"{_PREFIX.get(service, service)}:{operation}"


def scan_policy() -> dict:
    return json.loads(POLICY_FILE.read_text())


def allowed_actions() -> set[str]:
    return {a for s in scan_policy()["Statement"] if s["Effect"] == "Allow" for a in s["Action"]}


def statement_actions(sid: str) -> set[str]:
    """One statement's actions: the scan and `verify` each ship exactly what they call."""
    return {a for s in scan_policy()["Statement"] if s.get("Sid") == sid for a in s["Action"]}

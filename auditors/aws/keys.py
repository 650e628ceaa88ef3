"""Who manages the KMS keys a scan meets: kms:DescribeKey's KeyManager, one call per distinct key.

A key id, key ARN or alias names the key; `alias/aws/<service>` is AWS-managed by definition and needs
no call (KMS Developer Guide, "AWS managed keys"). A key is described in its own region (the ARN's) or
else in the region of the resource that names it.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import Executor

from auditkit.auditors.aws import api_facts
from auditkit.auditors.aws.clients import AccountSession
from auditkit.auditors.failures import Failure
from auditkit.policies.aws.judges import aws_managed_by_name

KeyRef = tuple[str, str]  # (key id / ARN / alias, region)


def key_region(key_id: str, fallback: str) -> str:
    parts = key_id.split(":")
    return parts[3] if key_id.startswith("arn:") and len(parts) > 4 and parts[3] else fallback


def describe_keys(
    acct: AccountSession, refs: Iterable[KeyRef], pool: Executor
) -> dict[KeyRef, tuple[str | None, Failure | None]]:
    """KeyManager ("AWS" | "CUSTOMER") per reference, or the failure that kept it unknown."""
    wanted = sorted({(k, key_region(k, r)) for k, r in refs if k and not aws_managed_by_name(k)})

    def one(ref: KeyRef) -> tuple[KeyRef, tuple[str | None, Failure | None]]:
        key, region = ref
        resp, failure = acct.read(
            lambda: acct.client("kms", region).describe_key(KeyId=key), "DescribeKey", region, key
        )
        if failure:
            return ref, (None, failure)
        try:
            return ref, (api_facts.key_manager(resp or {}), None)
        except Exception as exc:  # an answer without KeyManager: unknown, never customer-managed
            return ref, (None, Failure("DescribeKey", region, key, "UnexpectedResponse", str(exc)))

    found = dict(pool.map(one, wanted))
    return {ref: found.get((ref[0], key_region(*ref)), ("AWS", None)) for ref in set(refs) if ref[0]}

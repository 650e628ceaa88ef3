"""Is each stored report locked for the retention? Read from the store, never assumed from the bucket.

Each store answers in its own terms (the fields as each provider documents them):
- S3: HeadObject's `ObjectLockMode` (COMPLIANCE | GOVERNANCE) and `ObjectLockRetainUntilDate`
  (x-amz-object-lock-mode / -retain-until-date; S3 returns them only to a caller holding
  s3:GetObjectRetention). COMPLIANCE cannot be shortened or removed by anyone; GOVERNANCE can, by
  whoever holds s3:BypassGovernanceRetention.
- Cloud Storage: the object's `retention` {`mode`: Locked | Unlocked, `retainUntilTime`} (object
  retention lock) and `retentionExpirationTime`, which the bucket's `retentionPolicy`
  {`retentionPeriod`, `isLocked`} sets; an unlocked bucket policy can be removed by
  storage.buckets.update.
- Azure Blob: List Blobs `include=immutabilitypolicy` gives each blob's version-level policy
  (`ImmutabilityPolicyUntilDate`, `ImmutabilityPolicyMode` Mutable | Unlocked | Locked). A
  container-level (legacy) policy is only flagged on the data plane (`x-ms-has-immutability-policy`);
  its period and lock state live in Azure Resource Manager, which this reader does not call, so
  such a blob is reported as not verified, never as locked.

A local folder has no lock: `read_retention` returns None (not applicable).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from auditkit.auditors.history.chain import key_time
from auditkit.auditors.history.stores import AzureBlobStore, GcsStore, HistoryStore, S3Store, StoreUnreadable

_READERS = 16


@dataclass(frozen=True)
class Retention:
    """What keeps one stored report from being replaced or deleted, as the store reported it."""

    until: datetime | None  # protected until (None: nothing protects it)
    locked: bool  # nobody can shorten or lift the protection
    how: str  # what protects it, in the provider's words
    unreadable: str = ""  # why the store's answer could not be read


def add_years(t: datetime, years: int) -> datetime:
    """Calendar years, as the law and the object locks count them (29 February -> 1 March)."""
    try:
        return t.replace(year=t.year + years)
    except ValueError:
        return t.replace(year=t.year + years, month=3, day=1)


def lock_gaps(retention: dict[str, Retention], years: int, rule: str) -> list[str]:
    """Every report not locked, unchangeably, until at least its key's time plus the retention. Pure.

    A key is dated by its run's start, or later for a run that overlapped the link before it.
    """
    gaps = []
    for key in sorted(retention):
        r = retention[key]
        need = add_years(key_time(key), years)
        if r.unreadable:
            gaps.append(f"{key}: retention not verified ({r.unreadable})")
        elif r.until is None:
            gaps.append(f"{key}: not locked ({r.how}); the retention requires it locked until {_day(need)}")
        elif not r.locked:
            gaps.append(f"{key}: {r.how} until {_day(r.until)} can be lifted or shortened; not a lock")
        elif r.until < need:
            gaps.append(f"{key}: {r.how} only until {_day(r.until)}; {rule} requires until {_day(need)}")
    return gaps


def _day(t: datetime) -> str:
    return t.astimezone(timezone.utc).strftime("%Y-%m-%d")


def read_retention(store: HistoryStore, keys: list[str]) -> dict[str, Retention] | None:
    """Each key's retention as the store reports it; None for a store without locks (a local folder)."""
    if isinstance(store, S3Store):
        return _s3(store, keys)
    if isinstance(store, GcsStore):
        return _gcs(store, keys)
    if isinstance(store, AzureBlobStore):
        return _azure(store, keys)
    return None


def _s3(store: S3Store, keys: list[str]) -> dict[str, Retention]:
    def one(key: str) -> tuple[str, Retention]:
        try:
            head = store.head(key)
        except StoreUnreadable as exc:
            return key, Retention(None, False, "", str(exc))
        mode, until = head.get("ObjectLockMode"), head.get("ObjectLockRetainUntilDate")
        if not mode or until is None:
            how = "HeadObject shows no Object Lock retention (S3 shows it only to a caller with s3:GetObjectRetention)"
            return key, Retention(None, False, how)
        return key, Retention(until, mode == "COMPLIANCE", f"Object Lock {mode}")

    with ThreadPoolExecutor(_READERS) as pool:
        return dict(pool.map(one, keys))


def _gcs(store: GcsStore, keys: list[str]) -> dict[str, Retention]:
    wanted = set(keys)
    try:
        bucket_locked = store.bucket_locked()
        blobs = store.blobs()
    except StoreUnreadable as exc:
        return {k: Retention(None, False, "", str(exc)) for k in keys}
    found: dict[str, Retention] = {}
    for blob in blobs:
        key = blob.name[len(store.prefix) + 1 :] if store.prefix else blob.name
        if key in wanted:
            found[key] = _gcs_one(blob, bucket_locked)
    for key in wanted - set(found):
        found[key] = Retention(None, False, "", "objects.list no longer lists it")
    return found


def _gcs_one(blob: Any, bucket_locked: bool) -> Retention:
    """The strongest protection the object has: its own retention, or the bucket's policy."""
    found = []
    own = blob.retention
    if own is not None and own.mode and own.retain_until_time is not None:
        found.append(Retention(own.retain_until_time, own.mode == "Locked", f"object retention ({own.mode})"))
    expires = blob.retention_expiration_time
    if expires is not None:
        state = "locked" if bucket_locked else "not locked"
        found.append(Retention(expires, bucket_locked, f"bucket retention policy ({state})"))
    if not found:
        return Retention(None, False, "no object retention and no bucket retention policy")
    return max(found, key=lambda r: (r.locked, r.until))


def _azure(store: AzureBlobStore, keys: list[str]) -> dict[str, Retention]:
    wanted = set(keys)
    try:
        container_policy = store.container_has_policy()
        blobs = store.blobs(include=["immutabilitypolicy", "legalhold"])
    except StoreUnreadable as exc:
        return {k: Retention(None, False, "", str(exc)) for k in keys}
    found: dict[str, Retention] = {}
    for blob in blobs:
        key = blob.name[len(store.prefix) + 1 :] if store.prefix else blob.name
        if key in wanted:
            found[key] = _azure_one(blob, container_policy)
    for key in wanted - set(found):
        found[key] = Retention(None, False, "", "List Blobs no longer lists it")
    return found


def _azure_one(blob: Any, container_policy: bool) -> Retention:
    policy = blob.immutability_policy
    mode = str(policy.policy_mode or "") if policy is not None else ""
    if policy is not None and policy.expiry_time is not None and mode:
        return Retention(policy.expiry_time, mode.lower() == "locked", f"immutability policy ({mode})")
    if container_policy:
        why = (
            "the container has a container-level immutability policy; its period and lock state are kept in Azure "
            "Resource Manager (blobContainers/immutabilityPolicies), which the blob service does not report"
        )
        return Retention(None, False, "", why)
    return Retention(None, False, "no immutability policy on the blob or its container")

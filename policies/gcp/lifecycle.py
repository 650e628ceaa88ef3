"""Object Lifecycle Management as Cloud Storage applies it to the objects log sinks write.

Sources: the Cloud Storage JSON API bucket resource (lifecycle.rule[].condition: age, createdBefore,
customTimeBefore, daysSinceCustomTime, daysSinceNoncurrentTime, isLive, matchesPrefix, matchesStorageClass,
matchesSuffix, noncurrentTimeBefore, numNewerVersions; autoclass; storageClass), cloud.google.com/storage/docs/
lifecycle#conditions, /storage/docs/bucket-lock (a locked retention policy refuses deletion before it ends) and
cloud.google.com/logging/docs/export/storage#gcs-organization (sinks write live objects named
`LOG_ID/YYYY/MM/DD/HH:MM:SS_HH:MM:SS_S0.json`, never setting customTime; the log id of an audit log is
`cloudaudit.googleapis.com/<type>`).
"""

from __future__ import annotations

from auditkit.policies.gcp.facts import GcsBucketFacts, LifecycleRuleFacts
from auditkit.policies.gcp.filters import AUDIT_TYPES
from auditkit.policies.retention import RetentionRequirement

COLD = {"NEARLINE", "COLDLINE", "ARCHIVE"}
TIERED_DEFAULT = {"COLDLINE", "ARCHIVE"}
AUDIT_DIRS = tuple(f"cloudaudit.googleapis.com/{t}/" for t in AUDIT_TYPES)
# Conditions that only noncurrent versions or objects with a customTime can meet: never a live log object.
NOT_LIVE_LOGS = ("numNewerVersions", "daysSinceNoncurrentTime", "noncurrentTimeBefore")
NO_CUSTOM_TIME = ("customTimeBefore", "daysSinceCustomTime")


def _may_match_names(cond: dict) -> bool:
    prefixes, suffixes = cond.get("matchesPrefix") or [], cond.get("matchesSuffix") or []
    by_prefix = not prefixes or any(d.startswith(p) or p.startswith(d) for p in prefixes for d in AUDIT_DIRS)
    by_suffix = not suffixes or any(".json".endswith(s) or s.endswith(".json") for s in suffixes)
    return by_prefix and by_suffix


def _matches_all_names(cond: dict) -> bool:
    prefixes, suffixes = cond.get("matchesPrefix") or [], cond.get("matchesSuffix") or []
    by_prefix = not prefixes or any("cloudaudit.googleapis.com/".startswith(p) for p in prefixes)
    return by_prefix and (not suffixes or any(".json".endswith(s) for s in suffixes))


def may_match_live_logs(rule: LifecycleRuleFacts, classes: set[str]) -> bool:
    """Whether the rule can act on some live audit log object (classes: the storage classes logs can be in)."""
    cond = dict(rule.condition)
    if cond.get("isLive") is False or any(cond.get(k) is not None for k in NOT_LIVE_LOGS + NO_CUSTOM_TIME):
        return False
    wanted = cond.get("matchesStorageClass") or []
    return _may_match_names(cond) and (not wanted or bool(set(wanted) & classes))


def _tiers_every_log(rule: LifecycleRuleFacts, classes: set[str]) -> bool:
    cond = dict(rule.condition)
    if not may_match_live_logs(rule, classes) or cond.get("createdBefore"):
        return False
    return _matches_all_names(cond)


def storage_classes(bucket: GcsBucketFacts) -> set[str]:
    """The classes live logs reach: the default class, then every SetStorageClass rule that applies to them."""
    classes = {bucket.storage_class or "STANDARD"}
    changed = True
    while changed:
        changed = False
        for r in bucket.lifecycle:
            if r.action == "SetStorageClass" and r.storage_class not in classes and _tiers_every_log(r, classes):
                classes.add(str(r.storage_class))
                changed = True
    return classes


def _describe(rule: LifecycleRuleFacts) -> str:
    cond = dict(rule.condition)
    age = cond.pop("age", None)
    when = f"age {age}" if age is not None else "no age"
    extra = ", ".join(f"{k} {v}" for k, v in sorted(cond.items()) if v not in (None, [], ""))
    return f"a Delete rule ({when}{' with ' + extra if extra else ''})"


def early_deletes(bucket: GcsBucketFacts, required: RetentionRequirement) -> tuple[list[str], list[str]]:
    """(gaps, advisory notes): Delete rules that can remove live logs before the required retention."""
    classes = storage_classes(bucket) | (COLD if bucket.autoclass else set())
    locked_days = (bucket.retention_seconds or 0) // 86_400 if bucket.retention_locked else 0
    gaps, notes = [], []
    for r in bucket.lifecycle:
        if r.action != "Delete" or not may_match_live_logs(r, classes):
            continue
        age = r.condition.get("age")
        days = 0 if age is None or r.condition.get("createdBefore") else int(age)
        if days >= required.days:
            continue
        if locked_days >= required.days:
            notes.append(
                f"{_describe(r)} conflicts with the locked retention of {locked_days} days: "
                "Cloud Storage refuses the earlier delete (advisory)"
            )
        else:
            gaps.append(f"{_describe(r)} can delete logs before {required.days} days ({required.describe()})")
    return gaps, notes


def lifecycle(bucket: GcsBucketFacts, required: RetentionRequirement) -> list[str]:
    gaps, _ = early_deletes(bucket, required)
    if bucket.autoclass or (bucket.storage_class or "STANDARD") in TIERED_DEFAULT:
        return gaps
    if not storage_classes(bucket) & COLD:
        gaps.append(
            "no Autoclass, COLDLINE/ARCHIVE default class or SetStorageClass rule to NEARLINE/COLDLINE/ARCHIVE "
            "that applies to live log objects: logs are never tiered"
        )
    return gaps

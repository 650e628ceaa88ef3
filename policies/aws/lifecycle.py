"""Lifecycle rules judged where their filter applies: the trail's log files, not the whole bucket.

S3 User Guide, "Lifecycle configuration elements": a rule's ``Filter`` (``Prefix``, ``Tag``, ``And``,
``ObjectSizeGreaterThan``/``ObjectSizeLessThan``) or the legacy rule-level ``Prefix`` says which objects it
acts on. CloudTrail writes its log files under ``[S3KeyPrefix/]AWSLogs/`` and sets no object tags, so a rule
filtered to another prefix or to a tag never touches them, and a size filter touches only some. Since
September 2024 S3 does not transition objects smaller than 128 KB unless the configuration says
``TransitionDefaultMinimumObjectSize: varies_by_storage_class`` ("Transitioning objects", S3 User Guide).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from auditkit.policies.aws.facts import DEFAULT_LOG_PREFIXES, LifecycleRule
from auditkit.policies.retention import RetentionRequirement

COLD_CLASSES = {"STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE"}
SMALL_OBJECTS_STAY = "all_storage_classes_128K"


def reach(rule: LifecycleRule, log_prefixes: Sequence[str]) -> str:
    """'all', 'some' or 'none' of the log files under `log_prefixes` that `rule` can act on."""
    f = rule.scope
    if f.tags:
        return "none"  # log files carry no tags
    if not any(p.startswith(f.prefix) or f.prefix.startswith(p) for p in log_prefixes):
        return "none"
    whole = all(p.startswith(f.prefix) for p in log_prefixes)
    sized = f.size_greater_than is not None or f.size_less_than is not None
    return "all" if whole and not sized else "some"


def _scope_text(rule: LifecycleRule) -> str:
    f = rule.scope
    parts = [f"prefix {f.prefix!r}"] if f.prefix else []
    if f.size_greater_than is not None:
        parts.append(f"objects over {f.size_greater_than} bytes")
    if f.size_less_than is not None:
        parts.append(f"objects under {f.size_less_than} bytes")
    return ", ".join(parts) or "the whole bucket"


def _expiry_gaps(r: LifecycleRule, required: RetentionRequirement) -> list[str]:
    gaps = []
    if r.expiration_days is not None and r.expiration_days < required.days:
        gaps.append(f"rule {r.id!r} expires objects after {r.expiration_days} days < required {required.describe()}")
    if r.expiration_date is not None:
        gaps.append(
            f"rule {r.id!r} expires objects on a fixed date {r.expiration_date}, before later logs reach the retention"
        )
    # A short noncurrent expiration is no early delete: lifecycle never removes a version under
    # Object Lock (judged by aws.bucket.object_lock); it bounds when the bytes go (judges.versioned_retention).
    return gaps


def lifecycle(
    rules: Iterable[LifecycleRule] | None,
    required: RetentionRequirement,
    log_prefixes: Sequence[str] = DEFAULT_LOG_PREFIXES,
) -> list[str]:
    enabled = [r for r in rules or () if r.enabled]
    if not enabled:
        return ["no enabled lifecycle rule: logs are never tiered to colder storage"]
    where = " or ".join(log_prefixes)
    acting = [(r, reach(r, log_prefixes)) for r in enabled]
    acting = [(r, scope) for r, scope in acting if scope != "none"]
    if not acting:
        return [f"no enabled lifecycle rule applies to the log files under {where}"]
    gaps = [g for r, _ in acting for g in _expiry_gaps(r, required)]
    tiering = [(r, scope) for r, scope in acting if any(t.storage_class in COLD_CLASSES for t in r.transitions)]
    if not tiering:
        gaps.append(f"no transition to a colder storage class for the log files under {where}")
    elif not any(scope == "all" for _, scope in tiering):
        partial = ", ".join(f"rule {r.id!r} ({_scope_text(r)})" for r, _ in tiering)
        gaps.append(f"only some log files under {where} are tiered to colder storage: {partial}")
    return gaps


def minimum_size_note(transition_minimum_size: str | None) -> str:
    """What S3 does with small log files, said where a lifecycle verdict is reported."""
    if transition_minimum_size == "varies_by_storage_class":
        return "transitions apply to objects of any size (TransitionDefaultMinimumObjectSize varies_by_storage_class)"
    return "log files under 128 KB are not transitioned (S3's default TransitionDefaultMinimumObjectSize all_storage_classes_128K)"

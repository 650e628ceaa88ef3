"""AWS's own limits, checked at construction time, before any resource is registered."""

from __future__ import annotations

import re

from auditkit.policies.errors import ConfigError
from auditkit.policies.retention import RetentionCeiling, RetentionRequirement, check_ceiling

# S3 Object Lock default retention: Days <= 36500 or Years <= 100; larger values are refused
# with InvalidArgument "Default retention period is too large." (the limit the S3 User Guide's
# Object Lock pages state, and that S3-compatible servers reproduce, e.g. Ceph's s3-tests
# test_object_lock_put_obj_lock_invalid_days/_years). We set Years, so 100 years is the ceiling.
OBJECT_LOCK_MAX_YEARS = 100
OBJECT_LOCK_MAX_DAYS = 36_500
RETENTION_CEILING = RetentionCeiling(
    "S3 Object Lock default retention",
    f"Years <= {OBJECT_LOCK_MAX_YEARS} (Days <= {OBJECT_LOCK_MAX_DAYS})",
    OBJECT_LOCK_MAX_YEARS,
)
# KMS AliasName: "alias/" + letters, digits, '/', '_', '-' (no '.'), 256 characters at most,
# and never the AWS-managed "alias/aws/" prefix (KMS API reference, CreateAlias).
_ALIAS = re.compile(r"^alias/[A-Za-z0-9/_-]{1,250}$")

# CloudWatch Logs accepts only these retention values (PutRetentionPolicy).
LOG_GROUP_RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)
# "up to a maximum of 500 values for all conditions and selectors on a trail" (CloudTrail API reference).
MAX_ADVANCED_SELECTOR_VALUES = 500
# Lifecycle transitions into STANDARD_IA/ONEZONE_IA must be >= 30 days after creation, and objects must
# stay >= 30 days there before moving on to a Glacier class (S3 lifecycle transition considerations).
IA_MINIMUM_DAYS = 30
WARM_CLASSES = ("STANDARD_IA", "GLACIER_IR")

_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_TRAIL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,126}[A-Za-z0-9]$")


def check_bucket_name(field: str, name: str) -> str:
    if not isinstance(name, str) or not _BUCKET.match(name) or ".." in name or name.startswith("xn--"):
        raise ConfigError(
            field, name, "3-63 characters: lowercase letters, digits, '.' and '-', starting and ending alphanumeric"
        )
    return name


def check_trail_name(field: str, name: str) -> str:
    if not isinstance(name, str) or not _TRAIL.match(name) or re.search(r"[._-]{2}", name):
        raise ConfigError(
            field, name, "3-128 characters: letters, digits, '.', '_' and '-', starting and ending alphanumeric"
        )
    return name


def check_object_lock_retention(retention: RetentionRequirement) -> None:
    check_ceiling(retention, RETENTION_CEILING)


def check_alias_name(field: str, alias: str) -> str:
    if not _ALIAS.match(alias) or alias.startswith("alias/aws/"):
        raise ConfigError(field, alias, "alias/ + letters, digits, '/', '_' and '-', not under alias/aws/")
    return alias


def archive_key_alias(stack: str, component: str = "archive") -> str:
    """alias/auditkit/<stack>/<component>: KMS aliases are unique per account and region."""
    alias = f"alias/auditkit/{stack}/{component}"
    if not _ALIAS.match(alias):
        raise ConfigError(
            "stack",
            stack,
            "letters, digits, '_' and '-'",
            f"the stack name is part of the archive key's KMS alias {alias}, which allows no other characters",
        )
    return alias


def check_log_retention(field: str, days: int) -> int:
    if days not in LOG_GROUP_RETENTION_DAYS:
        raise ConfigError(
            field, days, [str(d) for d in LOG_GROUP_RETENTION_DAYS], "CloudWatch Logs accepts only these values"
        )
    return days


def check_tiers(hot_days: int, cold_after_days: int, warm_class: str, expire_days: int) -> None:
    if warm_class not in WARM_CLASSES:
        raise ConfigError("aws.warmStorageClass", warm_class, WARM_CLASSES)
    for field, value in (("aws.hotDays", hot_days), ("aws.coldAfterDays", cold_after_days)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigError(field, value, "a whole number of days >= 1")
    if warm_class == "STANDARD_IA" and hot_days < IA_MINIMUM_DAYS:
        raise ConfigError(
            "aws.hotDays", hot_days, f">= {IA_MINIMUM_DAYS}", "S3 refuses STANDARD_IA transitions before day 30"
        )
    if cold_after_days - hot_days < IA_MINIMUM_DAYS:
        raise ConfigError(
            "aws.coldAfterDays",
            cold_after_days,
            f">= hotDays + {IA_MINIMUM_DAYS} = {hot_days + IA_MINIMUM_DAYS}",
            "objects must stay 30 days in the warm tier before DEEP_ARCHIVE",
        )
    if cold_after_days >= expire_days:
        raise ConfigError("aws.coldAfterDays", cold_after_days, f"< the retention of {expire_days} days")


def check_selector_values(count: int) -> None:
    if count > MAX_ADVANCED_SELECTOR_VALUES:
        raise ConfigError(
            "aws.s3DataEvents",
            f"{count} selector values",
            f"<= {MAX_ADVANCED_SELECTOR_VALUES} values per trail",
            "CloudTrail's advanced event selector limit; select buckets by a shared prefix or use 'all'",
        )


# CloudWatch Logs PutMetricFilter: filterPattern is at most 1024 characters (CloudWatch Logs API reference).
METRIC_FILTER_PATTERN_MAX = 1024


def check_filter_pattern(field: str, value: object, pattern: str) -> str:
    if len(pattern) > METRIC_FILTER_PATTERN_MAX:
        raise ConfigError(
            field,
            value,
            f"names whose metric filter pattern fits {METRIC_FILTER_PATTERN_MAX} characters",
            f"the rendered pattern has {len(pattern)}; name fewer buckets or use a shared prefix with '*'",
        )
    return pattern

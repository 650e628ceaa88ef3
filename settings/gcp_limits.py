"""GCP's own limits, checked at construction time, before any resource is registered."""

from __future__ import annotations

import re

from auditkit.policies.errors import ConfigError
from auditkit.policies.retention import (
    RetentionCeiling,
    RetentionRequirement,
    check_ceiling,
    days_for_years,
    longest_years,
)

# "retention_period must be less than 3,155,760,000 seconds" (Cloud Storage bucket lock).
GCS_MAX_RETENTION_SECONDS = 3_155_760_000
# 99 years: 100 years of days_for_years (36525 days) is exactly 3,155,760,000 s, not less.
RETENTION_CEILING = RetentionCeiling(
    "Cloud Storage bucket lock",
    f"a retention period under {GCS_MAX_RETENTION_SECONDS:,} s",
    longest_years(lambda y: days_for_years(y) * 86_400 < GCS_MAX_RETENTION_SECONDS),
)
# Minimum storage durations: an object leaving a class earlier is billed as if it stayed.
CLASS_MINIMUM_DAYS = {"NEARLINE": 30, "COLDLINE": 90, "ARCHIVE": 365}
# Custom Cloud Logging buckets keep logs for at most 3650 days.
LOG_BUCKET_MAX_DAYS = 3650
SCOPES = ("organization", "folder", "project")

_PROJECT = re.compile(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")
_NUMERIC = re.compile(r"^[0-9]{1,20}$")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$")


def check_project(field: str, value: object) -> str:
    if not isinstance(value, str) or not _PROJECT.match(value):
        raise ConfigError(
            field, value, "a project id: 6-30 lowercase letters, digits and hyphens, starting with a letter"
        )
    return value


def check_numeric_id(field: str, value: object) -> str:
    text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    if not isinstance(text, str) or not _NUMERIC.match(text):
        raise ConfigError(field, value, "a numeric id such as 123456789012")
    return text


def check_bucket_name(field: str, value: object) -> str:
    if not isinstance(value, str) or not _BUCKET.match(value) or value.startswith("goog") or "google" in value:
        raise ConfigError(
            field,
            value,
            "3-63 lowercase letters, digits, '-', '_' and '.', not starting with 'goog' or containing 'google'",
        )
    return value


def check_retention(retention: RetentionRequirement) -> None:
    check_ceiling(retention, RETENTION_CEILING)


def check_tiers(nearline: int, coldline: int, archive: int, delete_days: int) -> None:
    """Each class's minimum storage duration must pass before the next transition or the delete."""
    ages = {"gcp.nearlineDays": nearline, "gcp.coldlineDays": coldline, "gcp.archiveDays": archive}
    for field, value in ages.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigError(field, value, "a whole number of days >= 1")
    steps = (
        ("gcp.coldlineDays", coldline, nearline, "NEARLINE"),
        ("gcp.archiveDays", archive, coldline, "COLDLINE"),
    )
    for field, value, previous, cls in steps:
        if value - previous < CLASS_MINIMUM_DAYS[cls]:
            raise ConfigError(
                field,
                value,
                f">= {previous + CLASS_MINIMUM_DAYS[cls]}",
                f"{cls} keeps objects at least {CLASS_MINIMUM_DAYS[cls]} days",
            )
    if delete_days - archive < CLASS_MINIMUM_DAYS["ARCHIVE"]:
        raise ConfigError(
            "gcp.archiveDays",
            archive,
            f"<= {delete_days - CLASS_MINIMUM_DAYS['ARCHIVE']}",
            f"ARCHIVE keeps objects 365 days before the delete at day {delete_days}",
        )


def check_log_bucket_days(days: object) -> int:
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= LOG_BUCKET_MAX_DAYS:
        raise ConfigError(
            "gcp.logBucketRetentionDays",
            days,
            f"1-{LOG_BUCKET_MAX_DAYS} days",
            "Cloud Logging buckets keep logs at most 10 years; rely on the locked GCS archive for longer retention",
        )
    return days

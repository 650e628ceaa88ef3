"""The versioned archive's retention: nothing removed before the lock date, the bytes gone by a stated day.

S3 semantics used, from the S3 User Guide:
- "Expiring objects": in a versioning-enabled bucket the Expiration action only adds a delete
  marker, making the current version noncurrent; a delete marker left with no versions is an
  "expired object delete marker" and is removed by a current-version expiration or by
  ExpiredObjectDeleteMarker (which cannot share an Expiration with Days, API LifecycleExpiration).
- Lifecycle rules: S3 adds the days to the object's creation time (or, for noncurrent actions,
  to the time the version became noncurrent) and rounds up to the next midnight UTC.
- "Object Lock considerations": protected versions "remain safe from being deleted or
  overwritten by a lifecycle configuration".
- Object Lock default retention: retain-until = creation + the period in calendar years.
"""

from datetime import UTC, datetime, timedelta

import pytest

from auditkit.components.plan import key_settings, plan_stack
from auditkit.policies.aws import judges
from auditkit.policies.aws.facts import BucketFacts, LifecycleRule, LogArchive, ObjectLockFacts
from auditkit.policies.aws.plan_facts import lifecycle_facts
from auditkit.policies.retention import required_retention
from tests.conftest import rendered, settings
from tests.test_refused_config import registered_before_error

US = required_retention(["US"])
LOCK = ObjectLockFacts(True, "COMPLIANCE", years=6)


def _next_midnight(t: datetime) -> datetime:
    day = datetime(t.year, t.month, t.day, tzinfo=UTC)
    return day if day == t else day + timedelta(days=1)


def _years_later(t: datetime, years: int) -> datetime:
    try:
        return t.replace(year=t.year + years)
    except ValueError:  # Feb 29 in a common year: the later date, March 1
        return t.replace(year=t.year + years, month=3, day=1)


def archive(object_lock=None, lifecycle=None):
    return LogArchive(BucketFacts("archive", object_lock, lifecycle, "Enabled", None, None, None), US)


@pytest.fixture(scope="module")
def rules():
    return lifecycle_facts(rendered(settings(name="demo"))["audit-archive-lifecycle"].inputs)


def test_the_bound_is_retention_plus_one_noncurrent_day_plus_two_roundings(rules):
    assert judges.removal_bound_days(rules) == 2192 + 1 + 2
    assert judges.versioned_retention(rules) == []
    assert judges.archive_lifecycle(archive(lifecycle=rules)) == []


@pytest.mark.parametrize(
    "written",
    [
        datetime(2024, 2, 29, 23, 59, 59, tzinfo=UTC),  # leap day, one second before midnight
        datetime(2025, 1, 1, 0, 0, 0, tzinfo=UTC),  # exactly midnight
        datetime(2027, 12, 31, 12, 0, 0, tzinfo=UTC),  # two leap days ahead (2028, 2032)
    ],
)
def test_no_version_goes_before_its_lock_date_and_all_go_by_the_bound(rules, written):
    tiers = next(r for r in rules if r.expiration_days)
    lock_until = _years_later(written, 6)
    marker = _next_midnight(written + timedelta(days=tiers.expiration_days))
    removed = _next_midnight(marker + timedelta(days=tiers.noncurrent_expiration_days))
    assert marker >= lock_until  # the lifecycle's delete marker never precedes the lock date
    assert removed > lock_until
    assert removed <= written + timedelta(days=judges.removal_bound_days(rules))


def test_the_plan_settings_column_states_the_bound():
    plan = plan_stack(settings(name="demo", jurisdictions=["CA"]))
    lifecycle = next(r for r in plan.resources if r.name == "audit-archive-lifecycle")
    assert key_settings(lifecycle) == (
        "audit-log-tiers: STANDARD_IA@90d -> DEEP_ARCHIVE@365d -> expire@2557d -> noncurrent +1d; "
        "remove-expired-delete-markers: remove expired delete markers; "
        "delete marker at day 2557, bytes removed by day 2560 (2557 + 1 noncurrent + 2 midnight roundings)"
    )


def _rule(**kw) -> LifecycleRule:
    base = {"id": "r", "enabled": True, "expiration_days": 2192, "noncurrent_expiration_days": 1}
    return LifecycleRule(**{**base, **kw})


def test_a_versioned_archive_that_keeps_bytes_forever_fails():
    assert judges.versioned_retention([_rule(noncurrent_expiration_days=None)]) == [
        "no rule expires noncurrent versions: in a versioned bucket expiring a log only adds a delete marker, "
        "and its bytes stay forever"
    ]
    assert judges.removal_bound_days([_rule(noncurrent_expiration_days=None)]) is None
    assert judges.versioned_retention([_rule(expiration_days=None)]) == [
        "no rule expires current versions: the logs are never removed after the retention"
    ]


def test_a_weak_lock_is_one_gap_not_two(rules):
    """The 1-day noncurrent expiration relies on the lock; a short lock is aws.bucket.object_lock's gap."""
    assert judges.archive_lifecycle(archive(lifecycle=rules)) == []
    assert judges.object_lock(archive(object_lock=ObjectLockFacts(True, "COMPLIANCE", years=5))) == [
        "default retention 5 years < required 6 years (2192 days) per 45 CFR 164.316(b)(2)(i)"
    ]


@pytest.mark.parametrize(
    ("config", "value", "limit", "why"),
    [
        (
            {"clouds": ["aws"], "retentionYears": 101},
            101,
            "at most 100 years",
            "S3 Object Lock default retention holds at most Years <= 100 (Days <= 36500)",
        ),
        (
            {"clouds": ["aws"], "retentionYears": 500},
            500,
            "at most 100 years",
            "S3 Object Lock default retention holds at most Years <= 100 (Days <= 36500)",
        ),
        (
            {
                "clouds": ["gcp"],
                "retentionYears": 500,
                "gcp": {"scope": "project", "projectId": "acme-prod", "archiveProject": "acme-audit"},
            },
            500,
            "at most 99 years",
            "Cloud Storage bucket lock holds at most a retention period under 3,155,760,000 s",
        ),
        (
            {"clouds": ["azure"], "retentionYears": 500, "azure": {"storageAccountName": "auditarchive"}},
            500,
            "at most 399 years",
            "Azure Blob container immutability holds at most immutabilityPeriodSinceCreationInDays <= 146000",
        ),
    ],
)
def test_retention_beyond_a_cloud_is_refused_the_same_way_before_anything_registers(config, value, limit, why):
    azure = {"subscriptionId": "11111111-2222-3333-4444-555555555555"}
    exc, resources = registered_before_error(config, azure)
    assert (exc.field, exc.value, exc.allowed, exc.why) == ("retentionYears", value, limit, why)
    assert str(exc) == f"retentionYears={value} is not allowed: {why}; allowed: {limit}"
    assert resources == []


def test_the_s3_maximum_itself_is_accepted():
    r = rendered(settings(retentionYears=100))
    assert r["audit-archive-object-lock"].inputs["rule"]["defaultRetention"] == {"mode": "COMPLIANCE", "years": 100}
    assert r["audit-archive-lifecycle"].inputs["rules"][0]["expiration"] == {"days": 36525}

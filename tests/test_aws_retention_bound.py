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
from auditkit.policies.aws.facts import LifecycleRule, ObjectLockFacts
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


@pytest.fixture(scope="module")
def rules():
    return lifecycle_facts(rendered(settings(name="demo"))["audit-archive-lifecycle"].inputs)


def test_the_bound_is_retention_plus_one_noncurrent_day_plus_two_roundings(rules):
    assert judges.removal_bound_days(rules) == 2192 + 1 + 2
    assert judges.versioned_retention(rules, LOCK, US) == []
    assert judges.archive_lifecycle(rules, LOCK, US) == []


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
    gaps = judges.versioned_retention([_rule(noncurrent_expiration_days=None)], LOCK, US)
    assert gaps == [
        "no rule expires noncurrent versions: in a versioned bucket expiring a log only adds a delete marker, "
        "and its bytes stay forever"
    ]
    assert judges.removal_bound_days([_rule(noncurrent_expiration_days=None)]) is None
    assert judges.versioned_retention([_rule(expiration_days=None)], LOCK, US) == [
        "no rule expires current versions: the logs are never removed after the retention"
    ]


@pytest.mark.parametrize(
    ("lock", "safe"),
    [
        (LOCK, True),
        (ObjectLockFacts(True, "GOVERNANCE", years=6), True),  # lifecycle cannot bypass either mode
        (ObjectLockFacts(True, "COMPLIANCE", days=2192), True),
        (ObjectLockFacts(True, "COMPLIANCE", days=2191), False),
        (ObjectLockFacts(True, "COMPLIANCE", years=5), False),
        (ObjectLockFacts(False), False),
        (None, False),
    ],
)
def test_a_short_noncurrent_expiration_is_safe_only_under_a_lock_of_the_retention(lock, safe):
    gaps = judges.versioned_retention([_rule()], lock, US)
    expected = (
        []
        if safe
        else [
            "rule 'r' deletes noncurrent versions after 1 days < required 2192, "
            "and no Object Lock default retention of the required length protects them"
        ]
    )
    assert gaps == expected
    # Without a lock the safe choice is a noncurrent expiration of the whole retention.
    assert judges.versioned_retention([_rule(noncurrent_expiration_days=2192)], lock, US) == []


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

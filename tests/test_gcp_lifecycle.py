"""Lifecycle as Cloud Storage applies it to the objects sinks write.

Bucket JSON from cloud.google.com/storage/docs/json_api/v1/buckets#resource (retentionPolicy.retentionPeriod
is an int64 string; lifecycle.rule[].condition: age, isLive, matchesPrefix, matchesSuffix, matchesStorageClass,
numNewerVersions, daysSinceNoncurrentTime, daysSinceCustomTime; autoclass; storageClass). Sinks write live
objects named `cloudaudit.googleapis.com/activity/2026/06/01/00:00:00_00:59:59_S0.json` and set no customTime
(cloud.google.com/logging/docs/export/storage). A locked retention policy refuses any earlier delete
(cloud.google.com/storage/docs/bucket-lock). Required retention: CA, 7 years = 2557 days.
"""

import pytest

from auditkit.auditors.findings import Status
from tests.fakes import gcp_published as pub
from tests.fakes.gcp import FakeGcp
from tests.fakes.gcp_world import ARCHIVE, ORG, add_sink, archive, organization, scan, verdicts

TIERS = pub.tiered_lifecycle(2557)["rule"][:3]


def delete(**condition):
    return {"action": {"type": "Delete"}, "condition": condition}


def tier(storage_class, **condition):
    return {"action": {"type": "SetStorageClass", "storageClass": storage_class}, "condition": condition}


@pytest.fixture
def gcp():
    fake = FakeGcp()
    organization(fake)
    fake.writer = add_sink(fake, ORG, "audit-archive", f"storage.googleapis.com/{ARCHIVE}", include_children=True)
    yield fake
    fake.close()


def lifecycle(gcp, rules, **bucket):
    archive(gcp, gcp.writer, lifecycle={"rule": rules}, **bucket)
    return verdicts(scan(gcp), "gcp.bucket.lifecycle")[f"gs://{ARCHIVE}"]


@pytest.mark.parametrize(
    ("rule", "deletes_live_logs"),
    [
        (delete(age=30), True),
        (delete(age=30, isLive=True), True),
        (delete(age=30, isLive=False), False),
        (delete(age=1, numNewerVersions=3), False),
        (delete(age=1, daysSinceNoncurrentTime=7), False),
        (delete(daysSinceCustomTime=30), False),
        (delete(age=30, matchesPrefix=["tmp/", "exports/"]), False),
        (delete(age=30, matchesPrefix=["cloudaudit.googleapis.com/data_access/"]), True),
        (delete(age=30, matchesPrefix=["cloud"]), True),
        (delete(age=30, matchesSuffix=[".csv"]), False),
        (delete(age=30, matchesSuffix=["_S0.json"]), True),
        (delete(age=30, matchesStorageClass=["DURABLE_REDUCED_AVAILABILITY"]), False),
        (delete(age=30, matchesStorageClass=["ARCHIVE"]), True),  # the logs reach ARCHIVE through the tiers
        (delete(age=2557), False),
    ],
)
def test_a_delete_rule_is_early_only_if_it_can_match_live_log_objects(gcp, rule, deletes_live_logs):
    status, message = lifecycle(gcp, [*TIERS, rule], locked=False)
    if deletes_live_logs:
        assert status is Status.FAIL and "can delete logs before 2557 days" in message
    else:
        assert (status, message) == (Status.PASS, "holds for 7 years (2557 days) per 22 CCR 72543")


def test_an_early_delete_under_a_locked_retention_is_an_advisory_conflict(gcp):
    status, message = lifecycle(gcp, [*TIERS, delete(age=365)])
    assert status is Status.PASS
    assert "a Delete rule (age 365) conflicts with the locked retention of 2557 days" in message
    assert "(advisory)" in message
    # Locked, but shorter than required: GCS deletes at the later of the two, still before 2557 days.
    status, message = lifecycle(gcp, [*TIERS, delete(age=365)], retention_seconds=str(400 * 86_400))
    assert status is Status.FAIL and "a Delete rule (age 365) can delete logs before 2557 days" in message


@pytest.mark.parametrize(
    ("rules", "bucket", "tiered"),
    [
        ([], {"autoclass": True}, True),  # Autoclass forbids SetStorageClass rules
        ([], {"storage_class": "ARCHIVE"}, True),
        ([], {"storage_class": "COLDLINE"}, True),
        ([], {}, False),
        (TIERS, {}, True),
        ([tier("COLDLINE", age=90, matchesPrefix=["exports/"])], {}, False),
        ([tier("COLDLINE", age=90, isLive=False)], {}, False),
        ([tier("COLDLINE", age=90, matchesStorageClass=["NEARLINE"])], {}, False),  # nothing ever is NEARLINE
        (
            [tier("NEARLINE", age=30), tier("COLDLINE", age=90, matchesStorageClass=["NEARLINE"])],
            {},
            True,
        ),
        ([tier("COLDLINE", age=90, matchesPrefix=["cloudaudit.googleapis.com/"])], {}, True),
    ],
)
def test_tiering_counts_autoclass_cold_defaults_and_rules_that_reach_log_objects(gcp, rules, bucket, tiered):
    status, message = lifecycle(gcp, rules, **bucket)
    if tiered:
        assert status is Status.PASS, message
    else:
        assert status is Status.FAIL and message.endswith("logs are never tiered")

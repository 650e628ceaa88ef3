"""`auditkit verify aws` against forged CloudTrail deliveries in the moto server.

The world: a multi-region trail (moto) with log file validation, 6 hourly digests per region,
2 log files an hour, forged with test RSA keys in AWS's published digest shape
(auditors/demo/emulator_digests.py). Public keys and the trail's digest delivery time come from a
CloudTrail stub (auditors/demo/emulator_cloudtrail.py), because moto has neither. Every detection is
shown both ways: the intact world passes, the tampered one fails on exactly the tampered thing. The
command around it (checkpoint, exit codes, refusals, permissions, workflow, history): test_verify_aws_command.py.
"""

from __future__ import annotations

import gzip
import json
from datetime import timedelta

import pytest

from auditkit.auditors.aws.verify.layout import Window
from auditkit.auditors.aws.verify.run import VerifyOptions, verify_aws
from auditkit.auditors.demo.emulator_cloudtrail import CloudTrailStub
from auditkit.auditors.demo.emulator_digests import EPOCH, HOUR, Delivery, new_key
from auditkit.auditors.findings import Report, Status

REGIONS = ("us-east-1", "us-west-2")
BUCKET, TRAIL, ACCOUNT = "org-audit-archive", "org-trail", "123456789012"
HOURS = 6
WINDOW = Window(EPOCH - timedelta(minutes=30), EPOCH + HOUR * (HOURS - 1) + timedelta(minutes=10))


@pytest.fixture(scope="module")
def keys():
    return {r: new_key() for r in REGIONS}


@pytest.fixture
def stub(aws_emulator, keys, monkeypatch):
    s = CloudTrailStub(aws_emulator, {r: [k.stub_key()] for r, k in keys.items()})
    monkeypatch.setenv("AWS_ENDPOINT_URL_CLOUDTRAIL", s.endpoint)
    yield s
    s.close()


def delivered_until(stub: CloudTrailStub, end, trail: str = TRAIL) -> None:
    """GetTrailStatus: logging, the latest digest delivered 4 minutes after it ended."""
    stub.status[trail] = {"IsLogging": True, "LatestDigestDeliveryTime": (end + timedelta(minutes=4)).timestamp()}


@pytest.fixture
def world(boto_session, stub, keys) -> Delivery:
    s3 = boto_session.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    boto_session.client("cloudtrail").create_trail(
        Name=TRAIL, S3BucketName=BUCKET, IsMultiRegionTrail=True, EnableLogFileValidation=True
    )
    d = Delivery(s3, BUCKET, TRAIL, "us-east-1", keys)
    d.hours(REGIONS, EPOCH, HOURS)
    delivered_until(stub, EPOCH + HOUR * (HOURS - 1))
    return d


def verify(window: Window = WINDOW, **options) -> Report:
    return verify_aws(VerifyOptions(window, regions=REGIONS, **options))


def failures(report: Report) -> dict[str, str]:
    return {f.resource: f.message for f in report.findings if f.status is Status.FAIL}


def assert_intact(report: Report, digests: int = HOURS * len(REGIONS)) -> None:
    assert failures(report) == {} and report.counts()["ERROR"] == 0, report.as_json()
    assert {f.resource for f in report.findings} == {f"{ACCOUNT}/{r}" for r in REGIONS}
    assert report.scanned["digests"] == digests and report.exit_code() == 0


def digest(d: Delivery, hour: int, region: str = "us-east-1") -> str:
    return d.digest_key(ACCOUNT, region, EPOCH + HOUR * hour)


def log(d: Delivery, hour: int, n: int = 0, region: str = "us-east-1") -> str:
    return d.log_key(ACCOUNT, region, EPOCH - HOUR + HOUR * hour + timedelta(minutes=5 + 20 * n), n)


def test_an_intact_chain_verifies_every_digest_and_log_file(world):
    report = verify()
    assert_intact(report)
    assert report.scanned["log_files"] == HOURS * len(REGIONS) * 2
    east = next(f for f in report.findings if f.region == "us-east-1")
    assert east.message.startswith("6 digest(s) from 2026-11-01T23:00:31Z to 2026-11-02T05:00:31Z verified")


def test_a_modified_log_file(world, boto_session):
    assert_intact(verify())
    key = log(world, 2, 1)
    body = json.dumps({"Records": [{"eventName": "Nothing to see"}]}).encode()
    boto_session.client("s3").put_object(Bucket=BUCKET, Key=key, Body=gzip.compress(body))
    report = verify()
    assert list(failures(report)) == [f"s3://{BUCKET}/{key}"]
    assert "log file altered: SHA-256 of its content is" in failures(report)[f"s3://{BUCKET}/{key}"]
    assert report.exit_code() == 1


def test_a_deleted_log_file_without_versioning_is_gone(world, boto_session):
    assert_intact(verify())
    key = log(world, 3)
    boto_session.client("s3").delete_object(Bucket=BUCKET, Key=key)
    msg = failures(verify())
    assert list(msg) == [f"s3://{BUCKET}/{key}"]
    assert msg[f"s3://{BUCKET}/{key}"].startswith(f"log file deleted: digest {digest(world, 3)} lists it")
    assert msg[f"s3://{BUCKET}/{key}"].endswith("no version of it is left in the bucket")


def test_a_modified_digest_fails_its_signature(world, boto_session):
    assert_intact(verify())
    key = digest(world, 2, "us-west-2")
    obj = boto_session.client("s3").get_object(Bucket=BUCKET, Key=key)
    doc = json.loads(gzip.decompress(obj["Body"].read()))
    doc["logFiles"] = doc["logFiles"][:1]  # hide one log file, keep CloudTrail's signature
    boto_session.client("s3").put_object(
        Bucket=BUCKET, Key=key, Body=gzip.compress(json.dumps(doc).encode()), Metadata=obj["Metadata"]
    )
    msg = failures(verify())
    assert msg[f"s3://{BUCKET}/{key}"].startswith("digest signature does not verify with CloudTrail key")
    # The log file it no longer lists is not vouched for by any verified digest either.
    assert (
        f"s3://{BUCKET}/{log(world, 2, 1, 'us-west-2')}" in msg
        and f"s3://{BUCKET}/{log(world, 2, 0, 'us-west-2')}" in msg
    )
    assert len(msg) == 3


def test_a_digest_re_signed_with_another_key_under_the_same_fingerprint(world, keys):
    assert_intact(verify())
    key = digest(world, 4)
    doc = world.read_digest(key)
    doc["logFiles"] = []
    world.put_digest("us-east-1", key, doc, signer=new_key())  # the fingerprint field still names CloudTrail's key
    msg = failures(verify())
    assert msg[f"s3://{BUCKET}/{key}"].startswith("digest signature does not verify")
    # The two log files it no longer lists are vouched for by nothing else.
    assert set(msg) == {f"s3://{BUCKET}/{k}" for k in (key, log(world, 4, 0), log(world, 4, 1))}


def test_a_digest_signed_by_an_unknown_key(world, stub):
    assert_intact(verify())
    attacker = new_key()
    key = digest(world, 1, "us-west-2")
    doc = world.read_digest(key)
    doc["digestPublicKeyFingerprint"] = attacker.fingerprint
    world.put_digest("us-west-2", key, doc, signer=attacker)
    msg = failures(verify())
    assert msg[f"s3://{BUCKET}/{key}"].startswith(f"digest is signed with key {attacker.fingerprint}, which is not")
    # Keys are per region: a key CloudTrail publishes for us-east-1 does not sign us-west-2's digests.
    stub.keys["us-east-1"].append(attacker.stub_key())
    assert failures(verify())[f"s3://{BUCKET}/{key}"].startswith(f"digest is signed with key {attacker.fingerprint}")


def test_a_key_outside_its_validity_window_is_refused(world, stub, keys):
    assert_intact(verify())
    expired = keys["us-east-1"].stub_key()
    expired.valid_to = EPOCH + HOUR * 2 + timedelta(minutes=1)  # rotated after hour 2
    stub.keys["us-east-1"] = [expired]
    msg = failures(verify())
    assert set(msg) == {f"s3://{BUCKET}/{digest(world, h)}" for h in (3, 4, 5)}  # hours 0-2 still verify


def test_a_replaced_digest_breaks_the_chain_link(world):
    assert_intact(verify())
    # A validly signed digest for hour 2 that is not the one hour 3 links to (same key, new content).
    key = digest(world, 2)
    doc = world.read_digest(key)
    doc["newestEventTime"] = "2026-11-02T01:59:00Z"
    world.put_digest("us-east-1", key, doc)
    msg = failures(verify())
    assert list(msg) == [f"s3://{BUCKET}/{key}"]
    assert msg[f"s3://{BUCKET}/{key}"].startswith(f"broken chain: {digest(world, 3)} records a previous signature")


def test_each_of_two_consecutive_deleted_digests_is_reported(world, boto_session):
    assert_intact(verify())
    s3 = boto_session.client("s3")
    for h in (2, 3):
        s3.delete_object(Bucket=BUCKET, Key=digest(world, h))
    msg = failures(verify())
    assert msg[f"s3://{BUCKET}/{digest(world, 3)}"].startswith(
        f"digest deleted: the chain links to it from s3://{BUCKET}/{digest(world, 4)}"
    )
    hour2 = f"{ACCOUNT}/us-east-1/2026-11-02T02:00Z"
    assert msg[hour2].startswith("no digest for the hour ending about 2026-11-02T02:00:31Z in 123456789012/us-east-1")
    # Their 4 log files are now vouched for by nothing: each is reported, none silently skipped.
    unvouched = {f"s3://{BUCKET}/{log(world, h, n)}" for h in (2, 3) for n in (0, 1)}
    assert set(msg) == {f"s3://{BUCKET}/{digest(world, 3)}", hour2} | unvouched


def test_a_deleted_newest_digest_is_found_from_the_trail_status(world, boto_session):
    assert_intact(verify())
    boto_session.client("s3").delete_object(Bucket=BUCKET, Key=digest(world, HOURS - 1))
    msg = failures(verify())
    hour = f"{ACCOUNT}/us-east-1/2026-11-02T05:00Z"
    assert list(msg) == [hour]
    assert (
        "the newest digest in the bucket ends at 2026-11-02T04:00:31Z, but CloudTrail reports its latest digest "
        in msg[hour]
    )


def test_the_deleted_newest_digest_of_one_region_is_found(world, boto_session):
    """Issue 23 item 12: us-west-2's newest digest deleted while the trail kept logging. Another region's
    digest may land a little after the latest delivery CloudTrail reports, but not an hour later: once the
    run is that margin past it, the hour is missing."""
    assert_intact(verify())
    boto_session.client("s3").delete_object(Bucket=BUCKET, Key=digest(world, HOURS - 1, "us-west-2"))
    msg = failures(verify())
    hour = f"{ACCOUNT}/us-west-2/2026-11-02T05:00Z"
    assert list(msg) == [hour]
    assert msg[hour] == (
        "no digest for the hour ending about 2026-11-02T05:00:31Z in 123456789012/us-west-2: the newest digest in "
        "the bucket ends at 2026-11-02T04:00:31Z, but CloudTrail reports its latest digest delivery for the trail "
        "at 2026-11-02T05:04:31Z (GetTrailStatus): the newest digests were deleted"
    )


def test_deleted_newest_digests_of_one_region_are_found_from_the_other_regions(world, stub, boto_session):
    """Without a delivery time from GetTrailStatus, the trail's other regions show how far CloudTrail
    delivered: us-east-1 verified to 05:00, so us-west-2 ending at 03:00 lost its last two hours."""
    stub.status[TRAIL] = {"IsLogging": True}  # no LatestDigestDeliveryTime
    assert_intact(verify())  # both regions end at the same hour: nothing missing
    for h in (HOURS - 2, HOURS - 1):
        boto_session.client("s3").delete_object(Bucket=BUCKET, Key=digest(world, h, "us-west-2"))
    msg = failures(verify())
    hours = [f"{ACCOUNT}/us-west-2/2026-11-02T04:00Z", f"{ACCOUNT}/us-west-2/2026-11-02T05:00Z"]
    assert list(msg) == hours
    assert msg[hours[1]] == (
        "no digest for the hour ending about 2026-11-02T05:00:31Z in 123456789012/us-west-2: the newest digest in "
        "the bucket ends at 2026-11-02T03:00:31Z, but the trail's newest verified digest in 123456789012/us-east-1 "
        "ends at 2026-11-02T05:00:31Z, so CloudTrail kept delivering: the newest digests were deleted"
    )


def test_a_multi_region_trail_with_a_region_without_digests(world, stub):
    assert_intact(verify())
    three = (*REGIONS, "eu-west-1")
    msg = failures(verify_aws(VerifyOptions(WINDOW, regions=three)))
    assert list(msg) == [f"{ACCOUNT}/eu-west-1"]
    assert msg[f"{ACCOUNT}/eu-west-1"].startswith("no digest of trail org-trail in 123456789012/eu-west-1 from")


def test_a_log_file_no_digest_references(world):
    assert_intact(verify())
    key = world.log_key(ACCOUNT, "us-west-2", EPOCH + timedelta(minutes=40), 7)
    world.put_log(key, EPOCH + timedelta(minutes=40), "us-west-2", ACCOUNT)
    msg = failures(verify())
    assert list(msg) == [f"s3://{BUCKET}/{key}"]
    assert (
        "is not listed by any verified digest of this trail, so nothing proves CloudTrail wrote it: injected or forged"
        in msg[f"s3://{BUCKET}/{key}"]
    )


def test_a_restarted_chain_is_a_logging_gap_not_a_deletion(boto_session, stub, keys):
    s3 = boto_session.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    boto_session.client("cloudtrail").create_trail(Name=TRAIL, S3BucketName=BUCKET, EnableLogFileValidation=True)
    d = Delivery(s3, BUCKET, TRAIL, "us-east-1", keys)
    for h in (0, 1, 2):
        d.hour("us-east-1", EPOCH + HOUR * h)
    d.hour("us-east-1", EPOCH + HOUR * 5, restart=True)  # logging stopped for two hours, then started again
    delivered_until(stub, EPOCH + HOUR * 5)
    report = verify_aws(VerifyOptions(WINDOW, regions=("us-east-1",)))
    msg = failures(report)
    assert list(msg) == [f"{ACCOUNT}/us-east-1/2026-11-02T03:00Z..2026-11-02T04:00Z"]
    assert "2 hour(s) without digests" in msg[f"{ACCOUNT}/us-east-1/2026-11-02T03:00Z..2026-11-02T04:00Z"]
    assert "deleted" not in next(iter(msg.values()))


def test_object_lock_keeps_the_deleted_version_behind_a_delete_marker(boto_session, stub, keys):
    s3 = boto_session.client("s3")
    s3.create_bucket(Bucket=BUCKET, ObjectLockEnabledForBucket=True)
    boto_session.client("cloudtrail").create_trail(Name=TRAIL, S3BucketName=BUCKET, EnableLogFileValidation=True)
    d = Delivery(s3, BUCKET, TRAIL, "us-east-1", keys)
    d.hours(["us-east-1"], EPOCH, HOURS)
    delivered_until(stub, EPOCH + HOUR * (HOURS - 1))
    one = ("us-east-1",)
    assert failures(verify_aws(VerifyOptions(WINDOW, regions=one))) == {}
    s3.delete_object(Bucket=BUCKET, Key=log(d, 1))  # no version id: S3 adds a delete marker
    msg = failures(verify_aws(VerifyOptions(WINDOW, regions=one)))
    assert list(msg) == [f"s3://{BUCKET}/{log(d, 1)}"]
    assert msg[f"s3://{BUCKET}/{log(d, 1)}"].startswith("log file deleted: digest")
    assert "a delete marker hides it, and the stored version (" in msg[f"s3://{BUCKET}/{log(d, 1)}"]


def test_organization_trail_member_prefixes(boto_session, stub, keys):
    org = boto_session.client("organizations")
    org_id = org.create_organization(FeatureSet="ALL")["Organization"]["Id"]
    member = org.create_account(Email="m@example.com", AccountName="member")["CreateAccountStatus"]["AccountId"]
    s3 = boto_session.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    boto_session.client("cloudtrail").create_trail(
        Name=TRAIL, S3BucketName=BUCKET, IsOrganizationTrail=True, EnableLogFileValidation=True
    )
    d = Delivery(s3, BUCKET, TRAIL, "us-east-1", keys, org_id=org_id)
    for account in (ACCOUNT, member):
        d.hours(["us-east-1"], EPOCH, HOURS, account=account)
    delivered_until(stub, EPOCH + HOUR * (HOURS - 1))
    one = ("us-east-1",)
    report = verify_aws(VerifyOptions(WINDOW, regions=one, organization=True))
    assert failures(report) == {} and {f.resource for f in report.findings} == {
        f"{ACCOUNT}/us-east-1",
        f"{member}/us-east-1",
    }
    key = d.log_key(member, "us-east-1", EPOCH - HOUR + HOUR * 2 + timedelta(minutes=5), 0)
    s3.put_object(Bucket=BUCKET, Key=key, Body=gzip.compress(b'{"Records": []}'))
    report = verify_aws(VerifyOptions(WINDOW, regions=one, organization=True))
    assert list(failures(report)) == [f"s3://{BUCKET}/{key}"]
    assert next(f.account for f in report.findings if f.status is Status.FAIL) == member
    # Without --organization only the caller's own prefix is in scope.
    assert {f.account for f in verify_aws(VerifyOptions(WINDOW, regions=one)).findings} == {ACCOUNT}

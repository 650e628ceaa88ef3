"""`auditkit seal gcp` and `auditkit verify gcp` on a fake GCS bucket and a fake Cloud KMS, through
google-cloud-storage and google-auth: every kind of tampering, each found and each absent."""

import base64
import hashlib
import json
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, utils

from auditkit.auditors.findings import Status
from auditkit.auditors.seal.archive import SealExists
from auditkit.policies.integrity.leaves import Leaf
from auditkit.policies.integrity.merkle import leaf_hash, root
from auditkit.policies.integrity.seals import canonical
from tests.fakes.cloud_kms import KEY
from tests.sealed_worlds import SEALED_AT, T0, served_gcp_world, sink_name


@pytest.fixture
def world():
    yield from served_gcp_world()


def _seal_doc(world, hour: int) -> dict:
    return json.loads(world.gcs.objects[f"auditkit-seals/2026/11/30/{hour:02d}.json"].data)


def _status(world, report) -> dict[str, str]:
    return {h: f.status.value for h, f in world.by_hour(report).items()}


def test_seal_writes_one_signed_chained_seal_per_closed_hour(world):
    outcome = world.seal()
    assert [s.key for s in outcome.sealed] == [f"auditkit-seals/2026/11/30/{h:02d}.json" for h in (3, 4, 5)]
    assert [h.hour for h, _ in outcome.waiting] == [6]
    assert "not closed yet (closes at 2026-11-30T07:30:00Z" in outcome.waiting[0][1]
    first, second = _seal_doc(world, 3), _seal_doc(world, 4)
    statement = first["statement"]
    assert statement["previous"] is None and statement["leaf_count"] == 3
    assert statement["key_version"] == f"{KEY}/cryptoKeyVersions/1"
    assert statement["algorithm"] == "RSA_SIGN_PKCS1_2048_SHA256"
    assert statement["period_start"] == "2026-11-30T03:00:00.000000Z"
    digest = hashlib.sha256(canonical(statement)).digest()
    assert first["sha256"] == digest.hex()
    assert second["statement"]["previous"] == {"key": "auditkit-seals/2026/11/30/03.json", "sha256": digest.hex()}
    # The signature is Cloud KMS's, over that digest (checked here with the fake key's public half).
    public = world.kms.versions[world.version].private.public_key()
    public.verify(base64.b64decode(first["signature"]), digest, padding.PKCS1v15(), utils.Prehashed(hashes.SHA256()))
    # Leaves from the GCS resource fields; the composite object has only crc32c.
    r = world.gcs.objects[sink_name(3, 0)].resource
    assert first["leaves"][0] == {
        "created": "2026-11-30T03:05:07.123000Z",
        "hash": "md5:" + r["md5Hash"],
        "name": sink_name(3, 0),
        "size": int(r["size"]),
        "version": r["generation"],
    }
    assert first["leaves"][2]["hash"] == "crc32c:" + world.gcs.objects[sink_name(3, 2)].resource["crc32c"]
    leaves = [Leaf.from_json(d).encode() for d in first["leaves"]]
    assert statement["root"] == root([leaf_hash(x) for x in leaves]).hex()
    assert leaves[0] == canonical(first["leaves"][0])


def test_a_second_run_seals_only_new_hours_and_a_seal_is_never_replaced(world):
    world.seal()
    again = world.seal()
    assert again.sealed == [] and again.head.key == "auditkit-seals/2026/11/30/05.json"
    later = world.seal(now=SEALED_AT + timedelta(hours=1))
    assert [s.key for s in later.sealed] == ["auditkit-seals/2026/11/30/06.json"]
    assert _seal_doc(world, 6)["statement"]["previous"]["sha256"] == _seal_doc(world, 5)["sha256"]
    with pytest.raises(SealExists):
        world.archive().create("auditkit-seals/2026/11/30/06.json", b"{}")


def test_an_untouched_archive_verifies_every_sealed_hour_and_says_which_is_open(world):
    world.seal()
    report = world.verify()
    assert _status(world, report) == {
        "2026-11-30T03:00Z": "PASS",
        "2026-11-30T04:00Z": "PASS",
        "2026-11-30T05:00Z": "PASS",
        "2026-11-30T06:00Z": "OPEN",
    }
    hours = world.by_hour(report)
    assert "3 object(s) sealed in auditkit-seals/2026/11/30/04.json: signature by" in hours["2026-11-30T04:00Z"].message
    assert "linked to the hour before" in hours["2026-11-30T04:00Z"].message
    assert "the chain's first seal" in hours["2026-11-30T03:00Z"].message
    assert hours["2026-11-30T06:00Z"].message.startswith("still open, not sealed yet: the hour is not closed yet")
    assert report.exit_code() == 0  # an open hour is not a gap
    summary = report.summary()
    assert summary["OPEN"] == 1 and summary["PASS"] == 3 and summary["failing_controls"] == []
    assert summary["open_periods"] == [f"gs://{world.gcs.bucket}/2026-11-30T06:00Z"]
    assert report.scanned["seals_verified"] == 3  # the open hour is not claimed verified
    assert report.scanned["list_pages"] == 1 and report.scanned["objects_listed"] == 15  # 12 logs + 3 seals
    assert report.scanned["content_reads"] == 0


def test_an_object_replaced_after_sealing_fails_its_hour_only(world):
    world.seal()
    old = world.gcs.objects[sink_name(4, 1)].resource["generation"]
    new = world.gcs.put(sink_name(4, 1), b'{"forged":true}\n', SEALED_AT + timedelta(minutes=1))
    report = world.verify(now=SEALED_AT + timedelta(minutes=2))
    assert _status(world, report)["2026-11-30T04:00Z"] == "FAIL"
    assert _status(world, report)["2026-11-30T03:00Z"] == "PASS"
    message = world.by_hour(report)["2026-11-30T04:00Z"].message
    assert f"1 object(s) altered: {sink_name(4, 1)} (version {old} -> {new['generation']}" in message
    assert report.exit_code() == 1


def test_a_deleted_object_fails_its_hour(world):
    world.seal()
    world.gcs.remove(sink_name(5, 0))
    report = world.verify()
    assert _status(world, report)["2026-11-30T05:00Z"] == "FAIL"
    assert f"1 object(s) missing: {sink_name(5, 0)}" in world.by_hour(report)["2026-11-30T05:00Z"].message
    assert _status(world, report)["2026-11-30T04:00Z"] == "PASS"


def test_an_object_slipped_into_a_sealed_hour_fails_it(world):
    world.seal()
    world.gcs.put(
        "cloudaudit.googleapis.com/activity/2026/11/30/04:00:00_04:59:59_S9.json", b"{}", T0.replace(hour=4, minute=59)
    )
    report = world.verify()
    assert _status(world, report)["2026-11-30T04:00Z"] == "FAIL"
    assert (
        "1 object(s) not in any seal (slipped in): cloudaudit.googleapis.com/activity/2026/11/30/04:00:00_04:59:59_S9.json"
        in (world.by_hour(report)["2026-11-30T04:00Z"].message)
    )


def test_a_deleted_seal_is_a_gap_and_breaks_the_next_link(world):
    world.seal()
    world.gcs.remove("auditkit-seals/2026/11/30/04.json")
    report = world.verify()
    hours = world.by_hour(report)
    assert hours["2026-11-30T04:00Z"].status is Status.FAIL
    assert hours["2026-11-30T04:00Z"].message.startswith(
        "seal missing: no auditkit-seals/2026/11/30/04.json although later hours are sealed (up to auditkit-seals/2026/11/30/05.json)"
    )
    assert "the 3 object(s) created in it are not proven" in hours["2026-11-30T04:00Z"].message
    assert hours["2026-11-30T05:00Z"].status is Status.FAIL
    assert (
        "links to auditkit-seals/2026/11/30/04.json, which is not in the archive (deleted)"
        in hours["2026-11-30T05:00Z"].message
    )
    assert hours["2026-11-30T03:00Z"].status is Status.PASS


def test_a_closed_hour_awaits_its_seal_for_the_grace_time_then_is_a_gap(world):
    world.seal()
    soon = world.verify(now=SEALED_AT + timedelta(minutes=45))  # 06 closed at 07:30, seal due by 09:30
    assert world.by_hour(soon)["2026-11-30T06:00Z"].message.startswith(
        "closed, its seal is due by 2026-11-30T09:30:00Z"
    )
    assert world.by_hour(soon)["2026-11-30T06:00Z"].status is Status.OPEN
    assert soon.summary()["open_periods"] == [
        f"gs://{world.gcs.bucket}/2026-11-30T06:00Z",
        f"gs://{world.gcs.bucket}/2026-11-30T07:00Z",  # not closed yet at 07:45
    ]
    late = world.verify(now=T0.replace(hour=9, minute=31))
    assert world.by_hour(late)["2026-11-30T06:00Z"].status is Status.FAIL
    assert world.by_hour(late)["2026-11-30T06:00Z"].message.startswith("seal missing")


def _resign(world, hour: int, sign) -> None:
    """Rewrite a seal with another signature (the objects and the statement untouched)."""
    key = f"auditkit-seals/2026/11/30/{hour:02d}.json"
    doc = json.loads(world.gcs.objects[key].data)
    digest = hashlib.sha256(canonical(doc["statement"])).digest()
    doc["signature"] = base64.b64encode(sign(digest)).decode()
    world.gcs.rewrite(key, json.dumps(doc).encode())


def test_a_bad_signature_fails_the_hour_even_when_every_object_matches(world):
    world.seal()
    other = world.kms.add_version(7, key=KEY.replace("/seal", "/other"))
    forger = world.kms.versions[other].private
    _resign(world, 4, lambda d: forger.sign(d, padding.PKCS1v15(), utils.Prehashed(hashes.SHA256())))
    report = world.verify()
    hours = world.by_hour(report)
    assert hours["2026-11-30T04:00Z"].status is Status.FAIL
    assert "signature does not verify with the public key of" in hours["2026-11-30T04:00Z"].message
    assert "altered" not in hours["2026-11-30T04:00Z"].message and "missing" not in hours["2026-11-30T04:00Z"].message
    assert hours["2026-11-30T05:00Z"].status is Status.PASS  # it links to the statement, which is unchanged


def test_a_seal_signed_by_another_key_fails_even_with_a_valid_signature(world):
    other = world.kms.add_version(1, key=KEY.replace("/seal", "/attacker"))
    from auditkit.auditors.seal.sealing import SealOptions, seal_archive

    seal_archive(world.archive(), world.signer(other), SealOptions(timedelta(minutes=30), T0), SEALED_AT)
    report = world.verify()
    assert _status(world, report)["2026-11-30T03:00Z"] == "FAIL"
    assert f"signed by {other}, which is not a version of {KEY}" in world.by_hour(report)["2026-11-30T03:00Z"].message


def test_an_edited_leaf_list_is_not_a_valid_seal(world):
    world.seal()
    key = "auditkit-seals/2026/11/30/03.json"
    doc = json.loads(world.gcs.objects[key].data)
    doc["leaves"][0]["size"] += 1
    world.gcs.rewrite(key, json.dumps(doc).encode())
    report = world.verify()
    assert "is not a valid seal of this hour: its leaves do not hash to the root it states" in (
        world.by_hour(report)["2026-11-30T03:00Z"].message
    )
    assert world.by_hour(report)["2026-11-30T03:00Z"].status is Status.FAIL


def test_what_cannot_be_read_is_an_error_naming_the_hour(world):
    world.seal()
    world.gcs.denied.add("auditkit-seals/2026/11/30/04.json")
    report = world.verify()
    hours = world.by_hour(report)
    assert hours["2026-11-30T04:00Z"].status is Status.ERROR
    assert hours["2026-11-30T04:00Z"].message.startswith(
        "auditkit-seals/2026/11/30/04.json: could not be read: Forbidden"
    )
    assert hours["2026-11-30T03:00Z"].status is Status.PASS
    assert report.exit_code() == 2
    world.gcs.list_denied = True
    listed = world.verify()
    assert {f.status for f in listed.findings} == {Status.ERROR}
    assert [f.resource for f in listed.findings] == [
        f"gs://{world.gcs.bucket}/2026-11-30T0{h}:00Z" for h in (3, 4, 5, 6)
    ]
    assert listed.findings[0].message.startswith("could not list the archive (Forbidden:")


def test_a_public_key_that_cannot_be_read_is_an_error_and_one_that_does_not_exist_fails(world):
    world.seal()
    world.kms.denied.add(world.version)
    hours = world.by_hour(world.verify())
    assert hours["2026-11-30T04:00Z"].status is Status.ERROR
    assert f"public key of {world.version} could not be read: Forbidden" in hours["2026-11-30T04:00Z"].message
    world.kms.denied.clear()
    del world.kms.versions[world.version]
    hours = world.by_hour(world.verify())
    assert hours["2026-11-30T04:00Z"].status is Status.FAIL
    assert f"signed by {world.version}, a key version that does not exist" in hours["2026-11-30T04:00Z"].message


def test_deep_hashes_contents_that_metadata_cannot_show(world):
    world.seal()
    world.gcs.corrupt(sink_name(3, 1), b'{"logName":"activity","n":99}\n')
    world.gcs.corrupt(sink_name(3, 2), b"x")  # the composite object: crc32c
    shallow = world.verify()
    assert _status(world, shallow)["2026-11-30T03:00Z"] == "PASS"
    assert shallow.scanned["content_reads"] == 0
    deep = world.verify(deep=True)
    message = world.by_hour(deep)["2026-11-30T03:00Z"].message
    assert world.by_hour(deep)["2026-11-30T03:00Z"].status is Status.FAIL
    assert (
        f"{sink_name(3, 1)} (content hashes to md5:" in message
        and f"{sink_name(3, 2)} (content hashes to crc32c:" in message
    )
    assert deep.scanned["content_reads"] == 9  # the objects of the three sealed hours, each once
    assert world.by_hour(deep)["2026-11-30T04:00Z"].message.endswith("(contents hashed)")


def test_a_checkpoint_resumes_after_its_head_and_finds_the_head_replaced(world, tmp_path):
    world.seal()
    cp = str(tmp_path / "cp.json")
    first = world.verify(checkpoint=cp)
    assert (
        json.loads(open(cp).read())["archives"][f"gs://{world.gcs.bucket}"]["key"]
        == "auditkit-seals/2026/11/30/05.json"
    )
    assert len(first.findings) == 4
    world.seal(now=SEALED_AT + timedelta(hours=1))
    second = world.verify(now=SEALED_AT + timedelta(hours=1), checkpoint=cp)
    assert sorted(world.by_hour(second)) == ["2026-11-30T06:00Z", "2026-11-30T07:00Z"]
    assert world.by_hour(second)["2026-11-30T06:00Z"].status is Status.PASS
    key = "auditkit-seals/2026/11/30/06.json"
    doc = json.loads(world.gcs.objects[key].data)
    doc["signature"] = base64.b64encode(b"\x00" * 256).decode()
    world.gcs.rewrite(key, json.dumps(doc).encode())
    same = world.verify(now=SEALED_AT + timedelta(hours=1), checkpoint=cp)
    # the head's statement is unchanged, so no finding on it; 07 is still open, never a pass
    assert world.by_hour(same)["2026-11-30T07:00Z"].status is Status.OPEN
    assert "2026-11-30T06:00Z" not in world.by_hour(same)
    doc["statement"]["leaf_count"] = 0
    doc["leaves"] = []
    doc["statement"]["root"] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    world.gcs.rewrite(key, json.dumps(doc).encode())
    third = world.verify(now=SEALED_AT + timedelta(hours=1), checkpoint=cp)
    assert world.by_hour(third)["2026-11-30T06:00Z"].status is Status.FAIL
    assert (
        "(the checkpoint's chain head): changed or removed after it was verified"
        in world.by_hour(third)["2026-11-30T06:00Z"].message
    )


def test_hours_before_the_first_seal_are_not_proven(world):
    world.seal(since=T0 + timedelta(hours=1))
    hours = world.by_hour(world.verify())
    assert hours["2026-11-30T03:00Z"].status is Status.FAIL
    assert hours["2026-11-30T03:00Z"].message.startswith(
        "no seal: sealing began after this hour (the chain's first seal is auditkit-seals/2026/11/30/04.json); the 3 object(s)"
    )
    assert hours["2026-11-30T04:00Z"].status is Status.PASS

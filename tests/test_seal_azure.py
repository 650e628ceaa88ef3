"""`auditkit seal azure` and `auditkit verify azure` on a fake Blob container and a fake Key Vault, through
azure-storage-blob and azure-core: append blobs that grow until their hour closes, and each tampering kind."""

import pytest

from auditkit.auditors.findings import Status
from auditkit.auditors.seal.key_vault import key_parts
from auditkit.policies.errors import ConfigError
from auditkit.policies.integrity.leaves import parse_time
from auditkit.policies.integrity.signatures import jwk_public_key, verifies
from tests.sealed_worlds import T0, monitor_blob, served_azure_world


@pytest.fixture
def world():
    yield from served_azure_world()


def test_an_append_blob_still_growing_keeps_its_hour_open(world):
    # 05's blob was last appended at 05:58; at 06:20 it is not quiet for 30 min, nor is the hour closed.
    world.blob.append(monitor_blob(4), b'{"late":true}\n', T0.replace(hour=6, minute=5))
    outcome = world.seal(T0.replace(hour=6, minute=20))
    assert [s.key for s in outcome.sealed] == ["auditkit-seals/2026/11/30/03.json"]
    assert [h.hour for h, _ in outcome.waiting] == [4, 5, 6]
    why = dict((h.hour, w) for h, w in outcome.waiting)
    assert why[4].startswith(
        f"1 append blob(s) created in it are still growing (e.g. {monitor_blob(4)}, last written 2026-11-30T06:05:00Z"
    )
    assert why[5].startswith("the hour is not closed yet (closes at 2026-11-30T06:30:00Z")
    later = world.seal(T0.replace(hour=6, minute=40))
    assert [s.key for s in later.sealed] == ["auditkit-seals/2026/11/30/04.json", "auditkit-seals/2026/11/30/05.json"]


def test_seals_hash_append_blobs_without_content_md5_and_sign_with_key_vault(world):
    outcome = world.seal(T0.replace(hour=6, minute=40))
    first = outcome.sealed[0]
    [leaf] = first.leaves
    stored = world.blob.blobs[monitor_blob(3)]
    assert stored.md5 is None and leaf.hash.startswith("sha256:") and leaf.version == stored.etag.strip(chr(34))
    assert leaf.size == len(stored.data) and leaf.created == T0.replace(minute=2)
    key = world.vault.keys["/keys/auditkit-seal/9885aa558e8d448789683188f8c194b0"].public_key().public_numbers()
    import base64

    def b64url(n: int) -> str:
        return base64.urlsafe_b64encode(n.to_bytes((n.bit_length() + 7) // 8, "big")).decode().rstrip("=")

    assert verifies(jwk_public_key(b64url(key.n), b64url(key.e)), first.statement.digest(), first.signature)
    assert first.statement.key_version == world.kid and first.statement.algorithm == "RS256"
    assert any(
        r.startswith("POST /keys/auditkit-seal/9885aa558e8d448789683188f8c194b0/sign") for r in world.vault.requests
    )


def test_a_sealed_container_verifies_and_each_tampering_kind_fails_its_hour(world):
    world.seal(T0.replace(hour=6, minute=40))
    now = T0.replace(hour=6, minute=45)
    clean = world.by_hour(world.verify(now))
    assert [clean[f"2026-11-30T0{h}:00Z"].status for h in (3, 4, 5)] == [Status.PASS] * 3
    world.blob.append(monitor_blob(3), b'{"appended":"after sealing"}\n', now)  # altered: a new ETag
    del world.blob.blobs[monitor_blob(4)]  # missing
    world.blob.put("resourceId=/forged/y=2026/m=11/d=30/h=05/m=00/PT1H.json", b"{}", T0.replace(hour=5, minute=30))
    hours = world.by_hour(world.verify(now))
    assert (
        hours["2026-11-30T03:00Z"].status is Status.FAIL and "1 object(s) altered" in hours["2026-11-30T03:00Z"].message
    )
    assert "(version " in hours["2026-11-30T03:00Z"].message and "size " in hours["2026-11-30T03:00Z"].message
    assert hours["2026-11-30T04:00Z"].message.endswith(f"1 object(s) missing: {monitor_blob(4)}")
    assert "not in any seal (slipped in): resourceId=/forged/" in hours["2026-11-30T05:00Z"].message


def test_deep_reads_the_append_blob_and_finds_bytes_changed_under_the_same_etag(world):
    world.seal(T0.replace(hour=6, minute=40))
    now = T0.replace(hour=6, minute=45)
    world.blob.corrupt(monitor_blob(5), b'{"category":"ForgedEvnt"}\n' * 4)  # same length
    assert world.by_hour(world.verify(now))["2026-11-30T05:00Z"].status is Status.PASS  # metadata cannot show it
    deep = world.by_hour(world.verify(now, deep=True))
    assert deep["2026-11-30T05:00Z"].status is Status.FAIL
    assert f"{monitor_blob(5)} (content hashes to sha256:" in deep["2026-11-30T05:00Z"].message
    assert deep["2026-11-30T04:00Z"].status is Status.PASS


def test_a_key_vault_key_that_is_gone_or_foreign_fails_and_one_that_cannot_be_read_errs(world):
    world.seal(T0.replace(hour=6, minute=40))
    now = T0.replace(hour=6, minute=45)
    path = "/keys/auditkit-seal/9885aa558e8d448789683188f8c194b0"
    world.vault.denied.add(path)
    denied = world.by_hour(world.verify(now))["2026-11-30T03:00Z"]
    assert denied.status is Status.ERROR and f"public key of {world.kid} could not be read" in denied.message
    world.vault.denied.clear()
    del world.vault.keys[path]
    gone = world.by_hour(world.verify(now))["2026-11-30T03:00Z"]
    assert gone.status is Status.FAIL and f"signed by {world.kid}, a key version that does not exist" in gone.message


def test_key_ids_are_checked_before_any_call():
    assert key_parts("--key-id", "https://kv.vault.azure.net/keys/seal/abc", versioned=True) == (
        "https://kv.vault.azure.net",
        "/keys/seal/abc",
    )
    with pytest.raises(ConfigError, match="--key-id.*https://VAULT.vault.azure.net/keys/NAME/VERSION"):
        key_parts("--key-id", "https://kv.vault.azure.net/keys/seal", versioned=True)
    with pytest.raises(ConfigError, match="--key"):
        key_parts("--key", "http://kv.vault.azure.net/keys/seal", versioned=False)


def test_creation_times_parse_to_utc():
    assert parse_time("2026-11-30T06:00:00Z") == T0.replace(hour=6)


def test_prove_matches_the_listed_etag_with_the_quoted_header(world):
    from auditkit.auditors.seal.proof import prove

    world.seal(T0.replace(hour=6, minute=40))
    source = world.key_vault(world.kid.rsplit("/", 1)[0], False)
    proven, doc = prove(world.archive(), source, monitor_blob(4))
    assert proven, doc["verdict"]
    assert doc["leaf"]["version"] == world.blob.blobs[monitor_blob(4)].etag.strip('"')
    world.blob.append(monitor_blob(4), b"{}\n", T0.replace(hour=6, minute=50))
    proven, doc = prove(world.archive(), source, monitor_blob(4))
    assert not proven and doc["verdict"].startswith("not proven: object altered (version ")

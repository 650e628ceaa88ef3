"""`auditkit evidence --seals ARCHIVE=KEY`: each sampled day's package holds the inclusion proofs of a
bounded, reproducible sample of the archive's sealed objects. The proofs are checked here the way an
auditor would, with hashlib and an RSA verify only (never auditkit's merkle module): RFC 6962 leaf and
node prefixes, RFC 9162 section 2.1.3.2's path folding, the statement's SHA-256 and its signature."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, utils
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from auditkit.auditors.cli import main
from auditkit.auditors.evidence.package import Request, build
from auditkit.auditors.evidence.seal_proofs import SealedArchive
from auditkit.auditors.evidence.timeline import Period
from tests.fakes.cloud_kms import KEY
from tests.sealed_worlds import served_gcp_world, sink_name
from tests.synthetic_history import write_days

DAY = date(2026, 11, 30)


@pytest.fixture
def world():
    yield from served_gcp_world(sealed=True)  # 03, 04, 05 sealed (9 objects); 06 still open


def _canonical(doc: object) -> bytes:
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _root_by_hand(leaf: dict, index: int, size: int, path: list[str]) -> bytes | None:
    """RFC 9162 2.1.3.2, written out again with hashlib alone."""
    r = hashlib.sha256(b"\x00" + _canonical(leaf)).digest()
    fn, sn = index, size - 1
    for hexed in path:
        p = bytes.fromhex(hexed)
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = hashlib.sha256(b"\x01" + p + r).digest()
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = hashlib.sha256(b"\x01" + r + p).digest()
        fn, sn = fn >> 1, sn >> 1
    return r if sn == 0 else None


def _signed(statement: dict, signature_b64: str, public_pem: str) -> bool:
    import base64

    digest = hashlib.sha256(_canonical(statement)).digest()
    key = load_pem_public_key(public_pem.encode())
    try:
        key.verify(  # type: ignore[union-attr]
            base64.b64decode(signature_b64), digest, padding.PKCS1v15(), utils.Prehashed(hashes.SHA256())
        )
    except InvalidSignature:
        return False
    return True


def _package(world, tmp_path: Path, name: str, per_day: int, seed: int | None = None) -> tuple[int, dict, dict]:
    history = tmp_path / "h"
    if not history.exists():
        write_days(history, [DAY], "gcp")
    sealed = SealedArchive(f"gs://{world.gcs.bucket}", KEY, lambda: (world.archive(), world.keys()))
    out = tmp_path / name
    req = Request([str(history)], Period(DAY, DAY), out, sample_dates=[DAY], seals=[sealed], proofs_per_day=per_day)
    if seed is not None:
        req = Request(
            [str(history)], Period(DAY, DAY), out, sample=1, seed=seed, seals=[sealed], proofs_per_day=per_day
        )
    code, _, _ = build(req)
    proofs = json.loads((out / "samples" / str(DAY) / "seal-proofs.json").read_text())
    return code, proofs, json.loads((out / "manifest.json").read_text())


def test_each_sampled_proof_checks_by_hand_against_the_signed_root(world, tmp_path):
    code, doc, manifest = _package(world, tmp_path, "out", per_day=4)
    assert code == 0
    assert doc["leaf_encoding"] == "auditkit-leaf/1" and len(doc["how_to_check"]) == 5
    [archive] = doc["archives"]
    assert archive["archive"] == f"gs://{world.gcs.bucket}" and archive["objects_sealed"] == 9
    sealed = {h["seal_key"]: h for h in archive["hours"] if h["state"] == "sealed"}
    assert sorted(sealed) == [f"auditkit-seals/2026/11/30/0{h}.json" for h in (3, 4, 5)]
    assert sum(h["state"] == "no seal" for h in archive["hours"]) == 21
    assert len(archive["proofs"]) == 4
    for proof in archive["proofs"]:
        assert proof["verdict"].startswith("proven")
        hour = sealed[proof["seal_key"]]
        statement = hour["statement"]
        assert hashlib.sha256(b"\x00" + _canonical(proof["leaf"])).hexdigest() == proof["leaf_hash"]
        by_hand = _root_by_hand(proof["leaf"], proof["index"], proof["tree_size"], proof["audit_path"])
        assert by_hand is not None and by_hand.hex() == statement["root"] == proof["root"]
        assert proof["tree_size"] == statement["leaf_count"] == 3
        assert hashlib.sha256(_canonical(statement)).hexdigest() == hour["statement_sha256"]
        public = archive["public_keys"][statement["key_version"]]
        assert _signed(statement, hour["signature"], public)
        now = proof["now"]
        assert (now["version"], now["size"], now["hash"]) == (
            proof["leaf"]["version"],
            proof["leaf"]["size"],
            proof["leaf"]["hash"],
        )
    assert manifest["seal_proofs"] == {
        "archives": [{"archive": f"gs://{world.gcs.bucket}", "key": KEY}],
        "per_day": 4,
        "proven": 4,
        "not_proven": 0,
        "errors": 0,
        "hours_without_seal": 21,
    }
    assert f"samples/{DAY}/seal-proofs.json" in manifest["files"]
    page = (tmp_path / "out" / "index.html").read_text()
    assert "<h2>Archive seals (sampled days)</h2>" in page
    assert "<span class=good>4 proven, 0 not proven, 0 could not be read</span>, 21 hour(s) without a seal" in page
    assert f"<a href='samples/{DAY}/seal-proofs.json'>{DAY}</a>" in page


def test_the_hand_check_refuses_a_wrong_path_a_wrong_index_and_a_forged_signature(world, tmp_path):
    _, doc, _ = _package(world, tmp_path, "out", per_day=9)
    [archive] = doc["archives"]
    proof = next(p for p in archive["proofs"] if p["index"] == 1)
    hour = next(h for h in archive["hours"] if h["seal_key"] == proof["seal_key"])
    root = bytes.fromhex(hour["statement"]["root"])
    flipped = [("0" if p[0] != "0" else "1") + p[1:] for p in proof["audit_path"]]
    assert _root_by_hand(proof["leaf"], 1, 3, proof["audit_path"]) == root
    assert _root_by_hand(proof["leaf"], 1, 3, flipped) != root
    assert _root_by_hand(proof["leaf"], 0, 3, proof["audit_path"]) != root
    assert _root_by_hand({**proof["leaf"], "size": proof["leaf"]["size"] + 1}, 1, 3, proof["audit_path"]) != root
    public = archive["public_keys"][hour["statement"]["key_version"]]
    assert not _signed({**hour["statement"], "leaf_count": 4}, hour["signature"], public)


def test_an_object_altered_after_sealing_is_not_proven_and_fails_the_package(world, tmp_path, capsys):
    victim = sink_name(4, 1)
    world.gcs.rewrite(victim, b'{"logName":"activity","n":"rewritten"}\n')
    code, doc, manifest = _package(world, tmp_path, "out", per_day=9)
    assert code == 1
    [archive] = doc["archives"]
    [bad] = [p for p in archive["proofs"] if not p["verdict"].startswith("proven")]
    assert bad["object"] == victim and bad["verdict"].startswith("not proven: object altered (version ")
    assert (manifest["seal_proofs"]["proven"], manifest["seal_proofs"]["not_proven"]) == (8, 1)
    assert (
        "<span class=bad>8 proven, 1 not proven, 0 could not be read</span>"
        in (tmp_path / "out/index.html").read_text()
    )


def test_the_sample_of_objects_is_reproducible_with_the_seed(world, tmp_path):
    picks = []
    for name, seed in (("a", 7), ("b", 7), ("c", 8)):
        _, doc, manifest = _package(world, tmp_path, name, per_day=3, seed=seed)
        assert manifest["samples"] == {"dates": [str(DAY)], "seed": seed}
        picks.append([p["object"] for p in doc["archives"][0]["proofs"]])
    assert picks[0] == picks[1] and len(picks[0]) == 3
    assert picks[0] != picks[2]


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        (["--sample-dates", "2026-11-30", "--seals", "gs://b"], "--seals"),
        (["--sample-dates", "2026-11-30", "--seals", "gs://b=projects/p/keyRings/r"], "--seals"),
        (["--sample-dates", "2026-11-30", "--seals", "s3://b=" + KEY], "--seals"),
        (["--sample-dates", "2026-11-30", "--seals", "http://a.blob.core.windows.net/c=https://v/keys/k"], "--seals"),
        (
            ["--sample-dates", "2026-11-30", "--seals", "https://a.blob.core.windows.net/c=https://v/keys/k/1"],
            "--seals",
        ),
        (["--seals", "gs://b=" + KEY], "--seals"),
        (["--sample-dates", "2026-11-30", "--seals", "gs://b=" + KEY, "--seals", "gs://b=" + KEY], "--seals"),
        (["--sample-dates", "2026-11-30", "--seals", "gs://b=" + KEY, "--proofs-per-day", "0"], "--proofs-per-day"),
        (["--sample-dates", "2026-11-30", "--proofs-per-day", "3"], "--proofs-per-day"),
    ],
)
def test_bad_seal_options_are_refused_before_any_cloud_call(tmp_path, capsys, extra, named):
    write_days(tmp_path / "h", [DAY], "gcp")
    argv = ["evidence", "--history", str(tmp_path / "h"), "--from", str(DAY), "--to", str(DAY)]
    assert main([*argv, "--out", str(tmp_path / "out"), *extra]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {named}=") and not (tmp_path / "out").exists()

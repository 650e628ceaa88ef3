"""The anchored chain: a head kept outside the history, and each stored report's lock.

Tampers an insider could make with write access to the history, each checked with and without a
head kept elsewhere: without one the chain still holds (exit 0); with one, evidence exits 1 and
the package says which report. Locks: S3 on the moto emulator (HeadObject ObjectLockMode /
ObjectLockRetainUntilDate), Cloud Storage and Azure Blob on the fakes of tests/fakes/object_stores.py
extended here with the published retention fields.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from auditkit.auditors.cli import main
from auditkit.auditors.history.chain import append, sha256
from auditkit.auditors.history.stores import LocalStore
from tests.synthetic_history import day_report, days, write_days

START = date(2026, 1, 1)
GAP = ("aws.trail.logging", "aws-resource-0000")


def evidence(history: Path | str, out: Path, start: date, end: date, *extra: str) -> int:
    argv = ["evidence", "--history", str(history), "--from", str(start), "--to", str(end), "--out", str(out)]
    return main([*argv, *extra])


def _history(root: Path):
    """Ten daily reports, a failure on day 4; the period is the first nine days, the head is day 10."""
    period = days(START, 10)
    write_days(root, period[:3])
    write_days(root, period[3:4], failing=[GAP])
    store = write_days(root, period[4:9])
    head = append(store, day_report(period[9]).as_json())
    return store, head, period[:9]


def _alter_newest(root: Path, store: LocalStore) -> None:
    newest = root / store.keys()[-1]
    newest.write_text(newest.read_text().replace('"PASS"', '"FAIL"', 1))


def _delete_newest(root: Path, store: LocalStore) -> None:
    (root / store.keys()[-1]).unlink()


def _edit_old_and_rehash(root: Path, store: LocalStore) -> None:
    """Hide day 4's failure, then rewrite every later link so the chain holds again."""
    keys = store.keys()
    doc = json.loads(store.read(keys[3]))
    for f in doc["findings"]:
        f["status"] = "PASS"
    (root / keys[3]).write_text(json.dumps(doc, indent=2))
    for before, key in zip(keys[3:], keys[4:], strict=False):
        doc = json.loads(store.read(key))
        doc["history"]["previous"]["sha256"] = sha256(store.read(before))
        (root / key).write_text(json.dumps(doc, indent=2))


TAMPERS = {
    "alter newest": _alter_newest,
    "delete newest": _delete_newest,
    "edit old, re-hash later": _edit_old_and_rehash,
}


@pytest.mark.parametrize("tamper", [None, *TAMPERS])
@pytest.mark.parametrize("kept_as", ["--expect-head", "--anchor"])
def test_a_head_kept_outside_the_history_catches_every_tamper(tmp_path, capsys, tamper, kept_as):
    root = tmp_path / "h"
    store, head, period = _history(root)
    anchor = tmp_path / "head.json"
    anchor.write_text(json.dumps(head.anchor(str(root))))  # what the scan prints, kept by CI
    if tamper:
        TAMPERS[tamper](root, store)
    assert evidence(root, tmp_path / "plain", period[0], period[-1]) == 0  # the chain alone holds
    extra = ["--expect-head", head.sha256] if kept_as == "--expect-head" else ["--anchor", str(anchor)]
    code = evidence(root, tmp_path / "out", period[0], period[-1], *extra)
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())  # written either way
    (verdict,) = manifest["histories"][0]["anchors"]
    page = (tmp_path / "out" / "index.html").read_text()
    err = capsys.readouterr().err
    if tamper is None:
        assert code == 0 and verdict["held"] is True
        assert verdict["message"] == f"{head.key}: matches the anchored head; 0 report(s) after it, chained"
        return
    assert code == 1 and verdict["held"] is False
    if kept_as == "--expect-head":
        expected = f"no report in the history has SHA-256 {head.sha256}"
    elif tamper == "delete newest":
        expected = f"{head.key}: the anchored head is gone from the history (deleted)"
    else:
        expected = f"{head.key}: SHA-256 {sha256((root / head.key).read_bytes())} is not the anchored {head.sha256}"
    assert verdict["message"].startswith(expected)
    assert expected in manifest["histories"][0]["integrity"][0] and expected in err
    assert "integrity problems" in page and expected in page


def test_the_anchor_a_scan_prints_is_the_stored_head(tmp_path):
    store, head, _ = _history(tmp_path / "h")
    newest = store.keys()[-1]
    assert head.key == newest and head.sha256 == hashlib.sha256(store.read(newest)).hexdigest()
    assert head.anchor("s3://b/p") == {"history": "s3://b/p", "key": newest, "sha256": head.sha256, "sequence": 9}


def test_an_older_head_still_held_passes(tmp_path):
    root = tmp_path / "h"
    store, head, period = _history(root)
    append(store, day_report(START + timedelta(days=10)).as_json())  # the history grew since the head was kept
    assert evidence(root, tmp_path / "out", period[0], period[-1], "--expect-head", head.sha256) == 0
    (verdict,) = json.loads((tmp_path / "out" / "manifest.json").read_text())["histories"][0]["anchors"]
    assert verdict["message"] == f"{head.key}: matches the anchored head; 1 report(s) after it, chained"


@pytest.mark.parametrize(
    ("anchor", "said"),
    [
        ("not json", "--anchor="),
        ('["a"]', "a JSON list, not an object"),
        ('{"sha256": "abc"}', ": sha256='abc' is not allowed"),
        ('{"sha256": "' + "a" * 64 + '", "signer": "x"}', ": signer='x' is not allowed"),
        ('{"sha256": "' + "a" * 64 + '", "key": "latest.json"}', ": key='latest.json' is not allowed"),
        ('{"sha256": "' + "a" * 64 + '", "history": "s3://elsewhere/h"}', "not one of the --history values"),
    ],
)
def test_a_bad_anchor_exits_2_naming_it(tmp_path, capsys, anchor, said):
    write_days(tmp_path / "h", days(START, 2))
    (tmp_path / "a.json").write_text(anchor)
    assert evidence(tmp_path / "h", tmp_path / "out", START, START, "--anchor", str(tmp_path / "a.json")) == 2
    err = capsys.readouterr().err
    assert said in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("value", "said"), [("abc", "--expect-head='abc'"), ("a" * 64, "a head naming its --history (SRC=SHA256")]
)
def test_a_bad_expected_head_exits_2(tmp_path, capsys, value, said):
    write_days(tmp_path / "aws", days(START, 2))
    write_days(tmp_path / "gcp", days(START, 2), "gcp")
    argv = ["evidence", "--history", str(tmp_path / "aws"), "--history", str(tmp_path / "gcp")]
    argv += ["--from", str(START), "--to", str(START), "--out", str(tmp_path / "out"), "--expect-head", value]
    assert main(argv) == 2
    assert said in capsys.readouterr().err


def test_several_histories_each_with_its_head(tmp_path):
    aws, gcp = write_days(tmp_path / "aws", days(START, 3)), write_days(tmp_path / "gcp", days(START, 3), "gcp")
    heads = [f"{tmp_path / n}={sha256(s.read(s.keys()[-1]))}" for n, s in (("aws", aws), ("gcp", gcp))]
    argv = ["evidence", "--history", str(tmp_path / "aws"), "--history", str(tmp_path / "gcp"), "--from", str(START)]
    argv += ["--to", str(START + timedelta(days=2)), "--out", str(tmp_path / "out")]
    assert main([*argv, "--expect-head", heads[0], "--expect-head", heads[1]]) == 0
    histories = json.loads((tmp_path / "out" / "manifest.json").read_text())["histories"]
    assert [h["anchors"][0]["held"] for h in histories] == [True, True]
    page = (tmp_path / "out" / "index.html").read_text()
    assert all(f"--expect-head {h}" in page for h in heads)  # the verify section's exact command


def _recent(n: int) -> list[date]:
    """Days just before today: object locks count from the write, reports from their start."""
    today = date.today()
    return days(today - timedelta(days=n), n)


def _s3_history(session, bucket: str, lock: dict | None) -> tuple[str, list[date]]:
    from auditkit.auditors.history.stores import S3Store

    s3 = session.client("s3")
    s3.create_bucket(Bucket=bucket, ObjectLockEnabledForBucket=lock is not None)
    if lock is not None:
        rule = {"DefaultRetention": lock}
        s3.put_object_lock_configuration(
            Bucket=bucket, ObjectLockConfiguration={"ObjectLockEnabled": "Enabled", "Rule": rule}
        )
    store, period = S3Store(bucket, "auditkit-history/aws"), _recent(3)
    for d in period:
        append(store, day_report(d).as_json())
    return f"s3://{bucket}/auditkit-history/aws", period


@pytest.mark.parametrize(
    ("lock", "code", "said"),
    [
        ({"Mode": "COMPLIANCE", "Days": 2192}, 0, "all 3 report(s) locked for the retention (6 years"),
        (None, 1, "not locked (HeadObject shows no Object Lock retention"),
        ({"Mode": "GOVERNANCE", "Days": 2192}, 1, "Object Lock GOVERNANCE until"),
        ({"Mode": "COMPLIANCE", "Days": 365}, 1, "Object Lock COMPLIANCE only until"),
    ],
)
def test_s3_history_reports_are_locked_for_the_retention(boto_session, tmp_path, lock, code, said):
    """S3 API reference, HeadObject: x-amz-object-lock-mode (GOVERNANCE | COMPLIANCE) and
    x-amz-object-lock-retain-until-date, returned to callers with s3:GetObjectRetention."""
    src, period = _s3_history(boto_session, "acme-audit-archive", lock)
    assert evidence(src, tmp_path / "out", period[0], period[-1]) == code
    history = json.loads((tmp_path / "out" / "manifest.json").read_text())["histories"][0]
    lines = history["verified"] if code == 0 else history["integrity"]
    assert any(said in line for line in lines), lines
    assert history["retention"]["checked"] is True and history["retention"]["reports"] == 3
    assert history["retention"]["locked"] == (3 if code == 0 else 0)
    if code:
        assert len(history["integrity"]) == 3  # every report named
        assert "integrity problems" in (tmp_path / "out" / "index.html").read_text()


def test_a_longer_retention_asks_for_a_longer_lock(boto_session, tmp_path):
    src, period = _s3_history(boto_session, "acme-audit-archive", {"Mode": "COMPLIANCE", "Days": 2192})
    assert evidence(src, tmp_path / "out", period[0], period[-1], "--retention-years", "7") == 1
    history = json.loads((tmp_path / "out" / "manifest.json").read_text())["histories"][0]
    assert history["retention"]["locked"] == 0 and "requires until" in history["integrity"][0]


def _gcs_fake(objects: dict[str, dict], bucket_policy: dict | None):
    """FakeGcs answering with the Cloud Storage JSON API's retention fields (objects resource:
    `retentionExpirationTime`, `retention` {`mode`: Locked | Unlocked, `retainUntilTime`}; buckets
    resource: `retentionPolicy` {`retentionPeriod` (int64 as a string), `effectiveTime`, `isLocked`})."""
    from tests.fakes import object_stores as fakes

    class Handler(fakes._GcsHandler):
        def _resource(self, bucket: str, name: str) -> dict:
            return {**super()._resource(bucket, name), **self.fake.retention.get(name, {})}

        def do_GET(self) -> None:  # noqa: N802
            parts = self.path.split("?")[0].split("/")
            if self.path.startswith("/storage/v1/b/") and "o" not in parts:  # buckets.get
                body = {"kind": "storage#bucket", "name": parts[4], "location": "US", "storageClass": "STANDARD"}
                if self.fake.policy is not None:
                    body["retentionPolicy"] = self.fake.policy
                return self._reply(200, json.dumps(body).encode(), {"Content-Type": "application/json"})
            return super().do_GET()

    class LockedGcs(fakes.FakeGcs):
        def __post_init__(self) -> None:
            self.retention, self.policy = objects, bucket_policy
            self.server = fakes._serve(Handler)
            self.server.fake = self  # type: ignore[attr-defined]

    return LockedGcs()


def _rfc3339(d: date, years: int) -> str:
    return f"{d.year + years}-{d.month:02d}-{d.day:02d}T12:00:00Z"


@pytest.mark.parametrize(
    ("policy", "own", "code", "said"),
    [
        ({"retentionPeriod": "189388800", "isLocked": True}, None, 0, "all 2 report(s) locked"),
        ({"retentionPeriod": "189388800", "isLocked": False}, None, 1, "bucket retention policy (not locked) until"),
        (None, None, 1, "not locked (no object retention and no bucket retention policy)"),
        (None, "Locked", 0, "all 2 report(s) locked"),
        (None, "Unlocked", 1, "object retention (Unlocked) until"),
    ],
)
def test_gcs_history_reports_are_locked_for_the_retention(tmp_path, monkeypatch, policy, own, code, said):
    from auditkit.auditors.history.stores import GcsStore

    period = _recent(2)
    retention: dict[str, dict] = {}
    fake = _gcs_fake(retention, policy)
    store = GcsStore("acme-audit-archive", "auditkit-history/gcp", client=fake.client())
    for d in period:
        key = append(store, day_report(d, "gcp").as_json()).key
        fields: dict = {"retentionExpirationTime": _rfc3339(d, 7)} if policy else {}
        if own:
            fields["retention"] = {"mode": own, "retainUntilTime": _rfc3339(d, 7)}
        retention[f"auditkit-history/gcp/{key}"] = fields
    # the command opens its own client from the URL; the client library's emulator switch points it at the fake
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", fake.endpoint)
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "acme-prod")
    assert evidence("gs://acme-audit-archive/auditkit-history/gcp", tmp_path / "out", period[0], period[-1]) == code
    history = json.loads((tmp_path / "out" / "manifest.json").read_text())["histories"][0]
    lines = history["verified"] if code == 0 else history["integrity"]
    assert any(said in line for line in lines), lines


def _blob_fake(policies: dict[str, tuple[str, str]], container_policy: bool):
    """FakeBlob answering with the Blob REST API's immutability fields: List Blobs with
    include=immutabilitypolicy,legalhold gives each blob's Properties `ImmutabilityPolicyUntilDate`
    (RFC 1123) and `ImmutabilityPolicyMode` (Mutable | Unlocked | Locked), and `LegalHold`; Get Container
    Properties (`restype=container`) answers `x-ms-has-immutability-policy` for a container-level policy."""
    from xml.sax.saxutils import escape

    from tests.fakes import object_stores as fakes

    class Handler(fakes._BlobHandler):
        def do_GET(self) -> None:  # noqa: N802
            account, container, name, q = self._where()
            if q.get("restype") == "container" and "comp" not in q:
                headers = {
                    "x-ms-has-immutability-policy": "true" if self.fake.container_policy else "false",
                    "x-ms-has-legal-hold": "false",
                    "ETag": '"0x8DC0000000000001"',
                    "Last-Modified": "Mon, 30 Nov 2026 06:17:00 GMT",
                }
                return self._reply(200, b"", headers)
            if q.get("comp") == "list":
                self.fake.requests.append(f"list include={q.get('include', '')}")
                names = sorted(n for a, c, n in self.fake.blobs if (a, c) == (account, container))
                blobs = "".join(
                    f"<Blob><Name>{escape(n)}</Name><Properties><Content-Length>{len(self.fake.blobs[(account, container, n)])}"
                    "</Content-Length><BlobType>BlockBlob</BlobType>"
                    + (
                        f"<ImmutabilityPolicyUntilDate>{self.fake.policies[n][0]}</ImmutabilityPolicyUntilDate>"
                        f"<ImmutabilityPolicyMode>{self.fake.policies[n][1]}</ImmutabilityPolicyMode>"
                        if n in self.fake.policies
                        else ""
                    )
                    + "<LegalHold>false</LegalHold></Properties></Blob>"
                    for n in names
                    if n.startswith(q.get("prefix", ""))
                )
                body = (
                    f'<?xml version="1.0" encoding="utf-8"?><EnumerationResults ServiceEndpoint="https://127.0.0.1/{account}" '
                    f'ContainerName="{container}"><Blobs>{blobs}</Blobs><NextMarker></NextMarker></EnumerationResults>'
                )
                return self._reply(200, body.encode(), {"Content-Type": "application/xml"})
            return super().do_GET()

    class LockedBlob(fakes.FakeBlob):
        def __post_init__(self) -> None:
            import ssl
            import tempfile

            self.policies, self.container_policy = policies, container_policy
            self.folder = Path(tempfile.mkdtemp(prefix="fake-blob-"))
            self.cert, key = fakes._certificate(self.folder)
            tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            tls.load_cert_chain(self.cert, key)
            self.server = fakes._serve(Handler, tls)
            self.server.fake = self  # type: ignore[attr-defined]

    return LockedBlob()


def _rfc1123(d: date, years: int) -> str:
    from datetime import datetime, timezone
    from email.utils import format_datetime

    return format_datetime(datetime(d.year + years, d.month, d.day, 12, tzinfo=timezone.utc), usegmt=True)


@pytest.mark.parametrize(
    ("mode", "container_policy", "said"),
    [
        ("Locked", False, None),
        ("Unlocked", False, "immutability policy (Unlocked) until"),
        (None, True, "retention not verified (the container has a container-level immutability policy"),
        (None, False, "not locked (no immutability policy on the blob or its container)"),
    ],
)
def test_azure_history_reports_are_locked_for_the_retention(mode, container_policy, said):
    from auditkit.auditors.history.locks import lock_gaps, read_retention
    from auditkit.auditors.history.stores import AzureBlobStore
    from tests.fakes.arm import FakeCredential

    policies: dict[str, tuple[str, str]] = {}
    fake = _blob_fake(policies, container_policy)
    url = fake.container_url("acmeaudit", "insights-logs-auditkit")
    store = AzureBlobStore(url, "auditkit-history/azure", credential=FakeCredential(), connection_verify=str(fake.cert))
    keys = []
    for d in _recent(2):
        keys.append(append(store, day_report(d, "azure").as_json()).key)
        if mode:
            policies[f"auditkit-history/azure/{keys[-1]}"] = (_rfc1123(d, 7), mode)
    found = read_retention(store, keys)
    assert found is not None and set(found) == set(keys)
    assert fake.requests[-1] == "list include=immutabilitypolicy,legalhold"
    gaps = lock_gaps(found, 6, "6 years")
    if said is None:
        assert gaps == [] and {r.how for r in found.values()} == {"immutability policy (Locked)"}
    else:
        assert len(gaps) == 2 and all(said in g for g in gaps), gaps


READER = Path(__file__).resolve().parent.parent / "auditors" / "aws" / "evidence-reader-policy.json"
# Service Authorization Reference for S3: ListObjectsV2 is s3:ListBucket (condition key s3:prefix);
# GetObject and HeadObject are s3:GetObject; HeadObject's x-amz-object-lock-* headers need
# s3:GetObjectRetention (S3 API reference, HeadObject).
_ACTIONS = {
    "ListObjectsV2": {"s3:ListBucket"},
    "GetObject": {"s3:GetObject"},
    "HeadObject": {"s3:GetObject", "s3:GetObjectRetention"},
}


def _allowed(policy: dict, action: str, resource: str, prefix: str | None) -> bool:
    import fnmatch

    for s in policy["Statement"]:
        actions = s["Action"] if isinstance(s["Action"], list) else [s["Action"]]
        if s["Effect"] != "Allow" or action not in actions or not fnmatch.fnmatchcase(resource, s["Resource"]):
            continue
        wanted = s.get("Condition", {}).get("StringLike", {}).get("s3:prefix")
        if wanted is None or any(fnmatch.fnmatchcase(prefix or "", w) for w in wanted):
            return True
    return False


def test_the_evidence_grant_is_exactly_list_read_and_read_locks(boto_session, tmp_path, monkeypatch):
    import boto3

    src, period = _s3_history(boto_session, "acme-audit-archive", {"Mode": "COMPLIANCE", "Days": 2192})
    grant = json.loads(
        READER.read_text()
        .replace("HISTORY_BUCKET", "acme-audit-archive")
        .replace("HISTORY_PREFIX", "auditkit-history/aws")
    )
    calls: list[tuple[str, str, str | None]] = []

    def seen(params: dict, model, **kw) -> None:  # botocore's public event hooks: the real request parameters
        key = params.get("Key")
        calls.append(
            (model.name, f"arn:aws:s3:::{params['Bucket']}" + (f"/{key}" if key else ""), params.get("Prefix"))
        )

    session = boto3.Session(region_name="us-east-1")
    session.events.register("provide-client-params.s3.*", seen)
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", session)  # the store's boto3.client("s3") comes from it
    assert evidence(src, tmp_path / "out", period[0], period[-1], "--sample", "1", "--seed", "1") == 0
    assert {c[0] for c in calls} == set(_ACTIONS)
    for operation, resource, prefix in calls:
        assert all(_allowed(grant, a, resource, prefix) for a in _ACTIONS[operation]), (operation, resource, prefix)
    assert not _allowed(grant, "s3:PutObject", "arn:aws:s3:::acme-audit-archive/auditkit-history/aws/x.json", None)
    assert not _allowed(grant, "s3:ListBucket", "arn:aws:s3:::acme-audit-archive", "AWSLogs/")
    statements = {
        s["Sid"]: sorted(s["Action"]) if isinstance(s["Action"], list) else [s["Action"]] for s in grant["Statement"]
    }
    assert statements == {
        "AuditKitEvidenceListTheHistory": ["s3:ListBucket"],
        "AuditKitEvidenceReadReportsAndTheirLocks": ["s3:GetObject", "s3:GetObjectRetention"],
        "AuditKitEvidenceArchiveKeyThroughS3Only": ["kms:Decrypt"],
    }

"""Each stored report's lock: `auditkit evidence` asks that every report of the period is locked for the retention.

S3 on the moto emulator (HeadObject ObjectLockMode / ObjectLockRetainUntilDate), Cloud Storage and Azure
Blob on the fakes of tests/fakes/object_stores.py extended here with the published retention fields; the
shipped S3 grant (auditors/aws/evidence-reader-policy.json) allows exactly the calls evidence makes.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from auditkit.auditors.history.chain import append
from tests.synthetic_history import day_report, days
from tests.test_evidence_anchor import evidence


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

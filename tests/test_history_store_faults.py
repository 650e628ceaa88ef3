"""History reads (what `auditkit evidence` and every `--history` writer reads) through the fault proxy
(tests/fault_proxy.py), with the real boto3, google-cloud-storage and azure-storage-blob clients in front of
moto and the object-store fakes (tests/fakes/object_stores.py, shaped after the Cloud Storage JSON API and
Blob REST references): a transient fault (5xx, a reset, a body cut short, a broken or empty 200) ends in the
history as stored; a fault that stays (denial, a page token that repeats, an answer that drips) is
StoreUnreadable naming the operation, the object and the cause: never an empty or short history, never a hang.
"""

from __future__ import annotations

from datetime import date

import pytest

from auditkit.auditors.cli import main
from auditkit.auditors.failures import Limits
from auditkit.auditors.history.chain import append
from auditkit.auditors.history.stores import AzureBlobStore, GcsStore, S3Store, StoreUnreadable
from tests.fakes.arm import FakeCredential
from tests.fakes.object_stores import FakeBlob, FakeGcs
from tests.fault_proxy import Fault, FaultProxy, proxied
from tests.synthetic_history import day_report, days

# Slow (the fault matrix on the wire): left out of `make test`, run by `make test-slow` (CI runs both).
pytestmark = pytest.mark.slow

BUCKET = "acme-audit-archive"
PREFIX = "auditkit-history/aws"
# A drip answers one byte a second: no socket timeout ever fires, only the call's own bound.
DRIP_BOUND = Limits(1.5)


def _stored(store) -> dict[str, bytes]:
    for d in days(date(2026, 5, 1), 3):
        append(store, day_report(d).as_json())
    return {k: store.read(k) for k in store.keys()}


def _as_stored(store, stored: dict[str, bytes]) -> None:
    assert store.keys() == sorted(stored)
    assert {k: store.read(k) for k in store.keys()} == stored


def _unreadable(call, code: str) -> str:
    with pytest.raises(StoreUnreadable) as caught:
        call()
    assert caught.value.failure.code == code, caught.value
    return str(caught.value)


# --- S3 (moto): ListObjectsV2, GetObject ---


def _s3_list(c) -> bool:
    return c.operation == "ListObjectsV2"


def _s3_get(c) -> bool:
    return c.operation == "GetObject" and PREFIX in c.path


@pytest.fixture
def s3_history(boto_session, moto_endpoint, monkeypatch):
    boto_session.client("s3").create_bucket(Bucket=BUCKET)
    stored = _stored(S3Store(BUCKET, PREFIX))
    with proxied(moto_endpoint, monkeypatch, max_attempts=2) as proxy:
        yield proxy, stored


@pytest.mark.parametrize(
    ("kind", "where"),
    [
        ("unavailable", _s3_list),
        ("empty", _s3_list),  # ListObjectsV2 always answers with a ListBucketResult
        ("half", _s3_list),  # 200, half the XML, a Content-Length that matches it
        ("short", _s3_get),  # Content-Length declared, half sent, FIN
        ("reset", _s3_get),
    ],
)
def test_s3_history_one_transient_fault_reads_as_stored(s3_history, kind, where):
    proxy, stored = s3_history
    proxy.faults.append(Fault(where, kind, times=1))
    _as_stored(S3Store(BUCKET, PREFIX), stored)
    assert proxy.faults[0].hits == 1 and len([c for c in proxy.seen if where(c)]) > 1


def test_s3_history_a_denied_read_names_the_report(s3_history):
    proxy, stored = s3_history
    proxy.faults.append(Fault(_s3_get, "denied"))
    key = sorted(stored)[0]
    message = _unreadable(lambda: S3Store(BUCKET, PREFIX).read(key), "AccessDenied")
    assert f"GetObject (s3://{BUCKET}/{PREFIX}/{key}" in message


def test_s3_history_a_repeated_page_token_is_a_failed_listing(s3_history):
    proxy, _ = s3_history
    proxy.faults.append(Fault(_s3_list, "repeat_token"))
    message = _unreadable(S3Store(BUCKET, PREFIX).keys, "BrokenPaging")
    assert "came back again" in message
    assert len(proxy.calls("ListObjectsV2")) == 2  # the token came back once: no third page


def test_s3_history_an_empty_listing_that_stays_is_never_an_empty_history(s3_history):
    proxy, _ = s3_history
    proxy.faults.append(Fault(_s3_list, "empty"))
    _unreadable(S3Store(BUCKET, PREFIX).keys, "IncompleteAnswer")


def test_s3_history_a_drip_ends_at_the_call_bound(s3_history):
    proxy, stored = s3_history
    proxy.faults.append(Fault(_s3_get, "drip", seconds=1.0))
    message = _unreadable(lambda: S3Store(BUCKET, PREFIX, DRIP_BOUND).read(sorted(stored)[0]), "Timeout")
    assert "no complete answer within" in message


def test_evidence_names_the_report_it_could_not_read(s3_history, tmp_path, capsys):
    proxy, stored = s3_history
    key = sorted(stored)[1]
    proxy.faults.append(Fault(lambda c: c.operation == "GetObject" and c.path.endswith(key), "denied"))
    code = main(
        ["evidence", "--history", f"s3://{BUCKET}/{PREFIX}", "--from", "2026-05-01", "--to", "2026-05-03"]
        + ["--out", str(tmp_path / "out")]
    )
    err = capsys.readouterr().err
    assert code == 2 and f"{key}: could not read GetObject" in err and "AccessDenied" in err, err
    assert not (tmp_path / "out" / "manifest.json").exists()


def test_evidence_refuses_a_deadline_that_cannot_be_met(tmp_path, capsys):
    code = main(
        ["evidence", "--history", str(tmp_path), "--from", "2026-05-01", "--to", "2026-05-03"]
        + ["--out", str(tmp_path / "out"), "--deadline", "0"]
    )
    assert code == 2 and "--deadline" in capsys.readouterr().err


# --- Cloud Storage (JSON API fake): objects.list, objects.get alt=media ---


def _gcs_list(c) -> bool:
    return c.path.endswith(f"/b/{BUCKET}/o")


def _gcs_get(c) -> bool:
    return c.path.startswith("/download/storage/v1/")


@pytest.fixture
def gcs_history():
    fake = FakeGcs()
    stored = _stored(GcsStore(BUCKET, "auditkit-history/gcp", client=fake.client()))
    proxy = FaultProxy(fake.endpoint, dialect="google")
    yield proxy, stored
    proxy.close()


def _gcs(proxy: FaultProxy, limits: Limits | None = None) -> GcsStore:
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    client = storage.Client(
        project="acme-prod", credentials=AnonymousCredentials(), client_options={"api_endpoint": proxy.endpoint}
    )
    return GcsStore(BUCKET, "auditkit-history/gcp", client=client, limits=limits)


@pytest.mark.parametrize(
    ("kind", "where"),
    [
        ("unavailable", _gcs_list),
        ("empty", _gcs_list),
        ("throttle", _gcs_get),
        ("short", _gcs_get),
        ("reset", _gcs_get),
    ],
)
def test_gcs_history_one_transient_fault_reads_as_stored(gcs_history, kind, where):
    proxy, stored = gcs_history
    proxy.faults.append(Fault(where, kind, times=1))
    _as_stored(_gcs(proxy), stored)
    assert proxy.faults[0].hits == 1


def test_gcs_history_faults_that_stay_are_unreadable(gcs_history):
    proxy, stored = gcs_history
    proxy.faults.append(Fault(_gcs_list, "repeat_token"))
    _unreadable(_gcs(proxy).keys, "BrokenPaging")
    assert len([c for c in proxy.seen if _gcs_list(c)]) == 2
    proxy.faults[:] = [Fault(_gcs_get, "denied")]
    message = _unreadable(lambda: _gcs(proxy).read(sorted(stored)[0]), "Forbidden")
    assert f"objects.get (gs://{BUCKET}/auditkit-history/gcp/{sorted(stored)[0]}" in message
    proxy.faults[:] = [Fault(_gcs_get, "drip", seconds=1.0)]
    _unreadable(lambda: _gcs(proxy, DRIP_BOUND).read(sorted(stored)[0]), "Timeout")


# --- Azure Blob (REST fake over HTTPS): List Blobs, Get Blob ---


def _blob_list(c) -> bool:
    return "comp=list" in c.query


def _blob_get(c) -> bool:
    return c.operation.startswith("GET ") and "comp=" not in c.query


@pytest.fixture
def blob_history():
    fake = FakeBlob()
    url = fake.container_url("acmeaudit", "insights-logs-auditkit")
    direct = AzureBlobStore(
        url, "auditkit-history/azure", credential=FakeCredential(), connection_verify=str(fake.cert)
    )
    stored = _stored(direct)
    upstream = f"https://127.0.0.1:{fake.server.server_address[1]}"
    proxy = FaultProxy(upstream, dialect="arm", tls=(str(fake.cert), str(fake.folder / "arm.key")))
    yield proxy, stored, fake
    proxy.close()


def _blob(proxy: FaultProxy, fake: FakeBlob, limits: Limits | None = None) -> AzureBlobStore:
    url = f"{proxy.endpoint}/acmeaudit/insights-logs-auditkit"
    return AzureBlobStore(
        url, "auditkit-history/azure", credential=FakeCredential(), limits=limits, connection_verify=str(fake.cert)
    )


@pytest.mark.parametrize(
    ("kind", "where"), [("unavailable", _blob_list), ("short", _blob_get), ("reset", _blob_get), ("half", _blob_list)]
)
def test_blob_history_one_transient_fault_reads_as_stored(blob_history, kind, where):
    proxy, stored, fake = blob_history
    proxy.faults.append(Fault(where, kind, times=1))
    _as_stored(_blob(proxy, fake), stored)
    assert proxy.faults[0].hits == 1


def test_blob_history_faults_that_stay_are_unreadable(blob_history):
    proxy, stored, fake = blob_history
    proxy.faults.append(Fault(_blob_list, "repeat_token"))
    _unreadable(_blob(proxy, fake).keys, "BrokenPaging")
    proxy.faults[:] = [Fault(_blob_get, "denied")]
    key = sorted(stored)[0]
    message = _unreadable(lambda: _blob(proxy, fake).read(key), "AuthorizationFailed")
    assert f"Get Blob ({proxy.endpoint}/acmeaudit/insights-logs-auditkit/auditkit-history/azure/{key}" in message
    proxy.faults[:] = [Fault(_blob_get, "drip", seconds=1.0)]
    _unreadable(lambda: _blob(proxy, fake, DRIP_BOUND).read(key), "Timeout")

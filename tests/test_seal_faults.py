"""Sealing and verifying a Cloud Storage archive when the wire fails: through the fault proxy
(tests/fault_proxy.py, Google's error format) in front of the fake GCS and the fake Cloud KMS of
tests/sealed_worlds.py. A verify read that never ends is that hour's ERROR; a sealing call that never ends
stops the run in time and keeps what it sealed.
"""

from __future__ import annotations

import pytest

from auditkit.auditors.findings import Status
from tests.sealed_worlds import SEALED_AT, T0, served_gcp_world


@pytest.fixture
def world():
    yield from served_gcp_world()


def _status(world, report) -> dict[str, str]:
    return {h: f.status.value for h, f in world.by_hour(report).items()}


def _through(proxy, bucket: str):
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    from auditkit.auditors.seal.gcs import GcsArchive

    client = storage.Client(
        project="acme-prod", credentials=AnonymousCredentials(), client_options={"api_endpoint": proxy.endpoint}
    )
    return GcsArchive(client, bucket, 2)


def test_a_listing_that_never_ends_or_a_seal_that_drips_is_an_error_of_its_hours(world):
    """Through the fault proxy (tests/fault_proxy.py, Google's error format): a nextPageToken that comes
    back again ends the listing as BrokenPaging (every hour ERROR); a seal whose answer drips a byte a
    second ends at its read's bound (--timeout 1 x 3 attempts) as that hour's ERROR."""
    from auditkit.auditors.failures import Deadline, Limits
    from auditkit.auditors.seal.verification import VerifyOptions, verify_sealed
    from auditkit.policies.gcp.rules import ARCHIVE_INTEGRITY
    from tests.fault_proxy import Fault, FaultProxy
    from tests.sealed_worlds import GRACE, SETTLE, T0, _gcp_classify

    world.seal()
    proxy = FaultProxy(world.gcs.endpoint, dialect="google")
    limits = Limits(3.0, Deadline.after(120))
    options = VerifyOptions(T0, SEALED_AT, SETTLE, GRACE, limits=limits)

    def verify():
        return verify_sealed(
            _through(proxy, world.gcs.bucket),
            world.keys(),
            options,
            ARCHIVE_INTEGRITY.control,
            SEALED_AT,
            _gcp_classify,
        )

    try:
        proxy.faults.append(Fault(lambda c: c.path.endswith("/o"), "repeat_token"))
        listed = verify()
        assert {f.status for f in listed.findings} == {Status.ERROR}
        assert listed.findings[0].message.startswith("could not list the archive (BrokenPaging: the page token")
        seal = "/auditkit-seals%2F2026%2F11%2F30%2F04.json"
        proxy.faults[:] = [Fault(lambda c: c.path.endswith(seal), "drip", seconds=1.0)]
        hours = world.by_hour(verify())
        assert hours["2026-11-30T04:00Z"].status is Status.ERROR
        assert "could not be read: Timeout: no complete answer within" in hours["2026-11-30T04:00Z"].message
        assert hours["2026-11-30T03:00Z"].status is Status.PASS and hours["2026-11-30T05:00Z"].status is Status.PASS
    finally:
        proxy.close()


def test_a_signature_that_drips_stops_the_sealing_in_time_and_the_next_run_goes_on(world):
    """Through the fault proxy (Google's error format) in front of the fake Cloud KMS: the second hour's
    asymmetricSign answers a byte a second. The run stops at that call's bound (--timeout 1 x 3 attempts),
    names it, and keeps the hour it had sealed, chained; the next run seals the rest and verify passes them."""
    import time

    from auditkit.auditors.failures import Deadline, Limits
    from auditkit.auditors.seal.cloud_kms import CloudKms
    from auditkit.auditors.seal.sealing import SealingStopped, SealOptions, seal_archive
    from auditkit.auditors.seal.watched import watched
    from tests.fault_proxy import Fault, FaultProxy
    from tests.sealed_worlds import SETTLE

    proxy = FaultProxy(world.kms.endpoint, dialect="google")
    signs = iter(range(100))
    proxy.faults.append(Fault(lambda c: c.path.endswith(":asymmetricSign") and next(signs) == 1, "drip", seconds=1.0))
    try:
        archive, signer = watched(
            world.archive(),
            CloudKms(world.kms.session(), world.version, 10, proxy.endpoint),
            Limits(3.0, Deadline.after(60)),
        )
        signer.prepare()
        started = time.monotonic()
        with pytest.raises(SealingStopped) as stopped:
            seal_archive(archive, signer, SealOptions(SETTLE, T0), SEALED_AT)
        assert time.monotonic() - started < 8
    finally:
        proxy.close()
    assert str(stopped.value).startswith(f"signing with {world.version}: no complete answer within")
    assert stopped.value.outcome is not None
    assert [s.key for s in stopped.value.outcome.sealed] == ["auditkit-seals/2026/11/30/03.json"]
    assert sorted(k for k in world.gcs.objects if k.startswith("auditkit-seals/")) == [
        "auditkit-seals/2026/11/30/03.json"
    ]
    again = world.seal()
    assert [s.key for s in again.sealed] == [f"auditkit-seals/2026/11/30/{h:02d}.json" for h in (4, 5)]
    assert again.sealed[0].statement.previous == stopped.value.outcome.sealed[0].link()
    assert {h: s for h, s in _status(world, world.verify()).items() if h < "2026-11-30T06"} == {
        f"2026-11-30T{h:02d}:00Z": "PASS" for h in (3, 4, 5)
    }

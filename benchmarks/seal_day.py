"""Sealing a busy day, and verifying a month of seals, on the fake GCS bucket and Cloud KMS.

Both go through the real clients (google-cloud-storage listing 1,000 objects a page, google-auth's
AuthorizedSession to the KMS REST API), so list pages, JSON decoding and signing are all counted.
Printed, against the bars of issue 27:
1. seal one day of BENCH_PER_DAY objects (default 100,000) over 24 hours: seconds (bar: under 30 s);
2. verify BENCH_DAYS days (default 30) of such days, sealed: list pages, objects listed, seal reads and
   content reads (bar: each object's metadata read once: objects listed = objects + seals, one listing,
   no content read without --deep), and seconds.
Objects are kept compact (metadata computed on demand) so a month fits in memory.
Run: .venv/bin/python benchmarks/seal_day.py   (BENCH_DAYS=3 for a quick check)
"""

from __future__ import annotations

import base64
import hashlib
import math
import os
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import google_crc32c  # noqa: E402

from auditkit.auditors.gcp.calls import classify  # noqa: E402
from auditkit.auditors.seal.cloud_kms import CloudKms  # noqa: E402
from auditkit.auditors.seal.gcs import GcsArchive  # noqa: E402
from auditkit.auditors.seal.sealing import SealOptions, seal_archive  # noqa: E402
from auditkit.auditors.seal.verification import VerifyOptions, verify_sealed  # noqa: E402
from auditkit.policies.gcp.rules import ARCHIVE_INTEGRITY  # noqa: E402
from tests.fakes.cloud_kms import KEY, FakeCloudKms  # noqa: E402
from tests.fakes.gcs_archive import FakeGcsArchive, _rfc3339  # noqa: E402

DAYS = int(os.environ.get("BENCH_DAYS", "30"))
PER_DAY = int(os.environ.get("BENCH_PER_DAY", "100000"))
START = datetime(2026, 10, 1, tzinfo=timezone.utc)
SETTLE, GRACE = timedelta(minutes=30), timedelta(hours=2)


class CompactObject:
    """A sink's object: its JSON resource built when listed, its bytes when read."""

    __slots__ = ("name", "created", "md5", "crc")

    def __init__(self, name: str, created: datetime) -> None:
        self.name, self.created = name, created
        data = self.data
        self.md5 = base64.b64encode(hashlib.md5(data).digest()).decode()  # noqa: S324 - GCS's own field
        self.crc = base64.b64encode(google_crc32c.value(data).to_bytes(4, "big")).decode()

    @property
    def data(self) -> bytes:
        return b'{"insertId":"%s","logName":"activity"}\n' % self.name.encode()

    @property
    def resource(self) -> dict:
        gen = str(int(self.created.timestamp() * 1_000_000))
        t = _rfc3339(self.created)
        return {
            "kind": "storage#object",
            "name": self.name,
            "bucket": "bench-archive",
            "generation": gen,
            "metageneration": "1",
            "size": str(len(self.data)),
            "md5Hash": self.md5,
            "crc32c": self.crc,
            "timeCreated": t,
            "updated": t,
        }


class TimedArchive(GcsArchive):
    """Keeps the seconds spent listing: the fake answers in this process, so its JSON costs count there."""

    listing = 0.0

    def list_all(self):  # type: ignore[no-untyped-def]
        t = time.perf_counter()
        try:
            return super().list_all()
        finally:
            self.listing += time.perf_counter() - t


def fill(gcs: FakeGcsArchive, day: int) -> None:
    base = START + timedelta(days=day)
    step = timedelta(days=1) / PER_DAY
    for i in range(PER_DAY):
        created = base + step * i
        name = f"cloudaudit.googleapis.com/data_access/{created:%Y/%m/%d/%H}:00:00_{created:%H}:59:59_S{i}.json"
        gcs.objects[name] = CompactObject(name, created)  # type: ignore[assignment]


def main() -> None:
    gcs, kms = FakeGcsArchive(bucket="bench-archive"), FakeCloudKms()
    version = kms.add_version(1)
    signer = CloudKms(kms.session(), version, 30, kms.endpoint)
    signer.prepare()
    try:
        fill(gcs, 0)
        archive = TimedArchive(gcs.client(), gcs.bucket, 60)
        t = time.perf_counter()
        day = seal_archive(archive, signer, SealOptions(SETTLE, START), START + timedelta(days=1, hours=1))
        seconds = time.perf_counter() - t
        leaves = sum(s.statement.leaf_count for s in day.sealed)
        print(
            f"seal one day: {leaves} objects in {len(day.sealed)} hourly seals, {seconds:.1f} s "
            f"({archive.usage.list_pages} list pages, {archive.listing:.1f} s of it listing) -> bar < 30 s: {'PASS' if seconds < 30 and leaves == PER_DAY else 'FAIL'}"
        )
        for d in range(1, DAYS):
            fill(gcs, d)
        now = START + timedelta(days=DAYS, hours=1)
        t = time.perf_counter()
        rest = seal_archive(GcsArchive(gcs.client(), gcs.bucket, 60), signer, SealOptions(SETTLE, START), now)
        print(f"seal the other {DAYS - 1} day(s): {len(rest.sealed)} seals, {time.perf_counter() - t:.1f} s")
        verifier = GcsArchive(gcs.client(), gcs.bucket, 60)
        options = VerifyOptions(START, START + timedelta(days=DAYS), SETTLE, GRACE)
        t = time.perf_counter()
        report = verify_sealed(
            verifier, CloudKms(kms.session(), KEY, 30, kms.endpoint), options, ARCHIVE_INTEGRITY.control, now, classify
        )
        seconds = time.perf_counter() - t
        u, objects, seals = verifier.usage, DAYS * PER_DAY, DAYS * 24
        once = u.objects_listed == objects + seals and u.list_pages == math.ceil((objects + seals) / 1000)
        counts = report.counts()
        print(
            f"verify {DAYS} day(s): {objects} objects, {seals} seals -> {u.list_pages} list pages, {u.objects_listed} "
            f"objects listed, {u.seal_reads} seal reads, {u.content_reads} content reads, {u.key_reads} key reads; "
            f"{counts['PASS']} hours verified, {counts['FAIL']} failed, {counts['ERROR']} errors; {seconds:.1f} s"
        )
        print(
            "bar: each object's metadata read once, no content read -> "
            + (
                "PASS"
                if once and u.content_reads == 0 and u.seal_reads == seals and counts["PASS"] == seals
                else "FAIL"
            )
        )
    finally:
        gcs.close()
        kms.close()


if __name__ == "__main__":
    main()

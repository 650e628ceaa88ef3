"""A forged month of CloudTrail deliveries with planted events, for the review tests (auditors/demo/review_step.py)."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from auditkit.auditors.demo.emulator_digests import new_key
from auditkit.auditors.demo.review_step import FolderS3, Planted, ReviewDelivery

ARCHIVE, TRAIL = "acme-audit-archive", "acme-trail"
FIRST_END = datetime(2026, 11, 1, 0, 0, 31, tzinfo=timezone.utc)  # the digest that ends Nov 1, 00:00:31
PLANTED = Planted(
    datetime(2026, 11, 24, 7, 0, tzinfo=timezone.utc),  # Tuesday 02:00 in New York
    datetime(2026, 11, 25, 15, 0, 10, tzinfo=timezone.utc),
    datetime(2026, 11, 26, 16, 0, 20, tzinfo=timezone.utc),
)


def forge(s3: object, hours: int, first_end: datetime = FIRST_END, bucket: str = ARCHIVE) -> ReviewDelivery:
    keys = {"us-east-1": new_key()}
    d = ReviewDelivery(s3, bucket, TRAIL, "us-east-1", keys, planted=PLANTED.records(bucket))
    d.hours(["us-east-1"], first_end, hours)
    return d


def forge_folder(root: Path, hours: int = 24 * 31) -> ReviewDelivery:
    return forge(FolderS3(root), hours)

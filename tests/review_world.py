"""A forged month of CloudTrail deliveries with planted events, for the review tests (auditors/demo/review_step.py)."""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

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


@dataclass(frozen=True)
class AlertCorpus:
    """One AWS alert's corpus (policies/alerts/corpus: CloudTrail events in AWS's documented shapes) as one log file."""

    alert: str
    pattern: str  # the alert's filter pattern, rendered with the corpus's example parameters
    events: list[dict[str, Any]]  # must_match first, then must_not_match; eventID e0, e1, ...
    must_match: int
    body: bytes  # the events as a gzipped CloudTrail log file


def aws_alert_corpora() -> list[AlertCorpus]:
    from auditkit.policies.alerts.catalog import alerts_on
    from auditkit.policies.alerts.corpus.aws import EXAMPLE_PARAMETERS

    out = []
    for alert in alerts_on("aws"):
        variant = alert.on("aws")
        assert variant is not None and variant.corpus is not None
        pattern = variant.render({k: v for k, v in EXAMPLE_PARAMETERS.items() if k in variant.parameters})
        events = [e.event for e in (*variant.corpus.must_match, *variant.corpus.must_not_match)]
        recs = [{**e, "eventTime": "2026-11-24T00:00:00Z", "eventID": f"e{i}"} for i, e in enumerate(events)]
        body = gzip.compress(json.dumps({"Records": recs}).encode())
        out.append(AlertCorpus(alert.id, pattern, events, len(variant.corpus.must_match), body))
    return out

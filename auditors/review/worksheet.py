"""The worksheet folder: index.html for the reviewer, one CSV per query, worksheet.json with provenance.

worksheet.json records the tool version, UTC times, the scope, what the digest checks proved, the SHA-256 of
every input file and of every other file of the folder; `auditkit review sign` re-hashes them all and refuses
a worksheet changed after it was written. The worksheet's own hash is the SHA-256 of worksheet.json.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import uuid
from pathlib import Path
from typing import Any

from auditkit import __version__
from auditkit.auditors.findings import iso_utc, utc_now
from auditkit.auditors.review.page import worksheet_html
from auditkit.auditors.review.run import QueryResult, Review

WORKSHEET = "worksheet.json"
VERSION = 1


def csv_text(r: QueryResult) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(r.columns)
    w.writerows(["" if v is None else v for v in row] for row in r.rows)
    return buf.getvalue()


def _query_doc(r: QueryResult, files: dict[str, str]) -> dict[str, Any]:
    q = r.query
    doc: dict[str, Any] = {
        "id": q.id,
        "title": q.title,
        "purpose": q.purpose,
        "citations": q.citations.as_dict(),
        "status": "not run" if r.not_run else "error" if r.error else "ran",
        "rows": len(r.rows),
    }
    if r.not_run or r.error:
        doc["why"] = r.not_run or r.error
    else:
        doc["csv"] = f"{q.id}.csv"
        doc["csv_sha256"] = files[f"{q.id}.csv"]
    return doc


def exit_code(review: Review) -> int:
    """0: every file read and proven as far as the source allows; 1: no records, an ERROR, or a refused file."""
    bad = any(r.error for r in review.inputs) or review.proof.refused or any(q.error for q in review.results)
    broken = review.proof.mode == "digests" and (review.proof.unverifiable_hours or review.proof.issues)
    return 1 if review.records == 0 or bad or broken else 0


def write(review: Review, out: Path, started: str) -> tuple[Path, str]:
    """Write the folder; returns worksheet.json's path and SHA-256."""
    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, str] = {}

    def put(name: str, text: str) -> None:
        data = text.encode()
        (out / name).write_bytes(data)
        files[name] = hashlib.sha256(data).hexdigest()

    for r in review.results:
        if not (r.not_run or r.error):
            put(f"{r.query.id}.csv", csv_text(r))
    put("index.html", worksheet_html(review, out))
    p, req = review.request.period, review.request
    s = req.params.settings
    doc = {
        "worksheet": VERSION,
        "id": str(uuid.uuid4()),
        "tool": {"name": "auditkit", "version": __version__},
        "cloud": "aws",
        "cadence": p.cadence.value,
        "period": {"label": p.label, "start": iso_utc(p.start), "end": iso_utc(p.end)},
        "started_at": started,
        "generated_at": iso_utc(utc_now()),
        "engine": review.engine,
        "scope": {
            "source": review.source,
            "regions": list(req.regions),
            "phi_buckets": list(req.params.phi_buckets),
            "archive_bucket": req.params.archive_bucket,
            "business_hours": s.business_hours_text,
            "time_zone": s.time_zone,
            "break_glass": list(s.break_glass),
        },
        "records": review.records,
        **(
            {"sieve": {"parsed_records": review.parsed, "conditions": review.sieve}} if review.sieve is not None else {}
        ),
        "proof": review.proof.as_json(),
        "inputs": [
            {
                "file": r.name,
                "sha256": r.sha256,
                "content_sha256": r.content_sha256,
                "records": r.records,
                "status": "ERROR" if r.error else "refused" if r.name in review.proof.refused else "read",
                **({"error": r.error} if r.error else {}),
            }
            for r in review.inputs
        ],
        "queries": [_query_doc(r, files) for r in review.results],
        "files": dict(sorted(files.items())),
        "exit_code": exit_code(review),
    }
    data = json.dumps(doc, indent=1).encode()
    path = out / WORKSHEET
    path.write_bytes(data)
    return path, hashlib.sha256(data).hexdigest()

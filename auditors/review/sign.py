"""`auditkit review sign`: the reviewer's sign-off, appended to the history chain as a review record.

Refused before anything is written: a worksheet whose files no longer match the SHA-256 worksheet.json
recorded (or that gained or lost a file), a worksheet of a period without records, a worksheet whose own hash
differs from the one `review aws --history` recorded when it was written.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from auditkit.auditors.findings import iso_utc, utc_now
from auditkit.auditors.history.chain import Head, record_history
from auditkit.auditors.history.stores import open_store
from auditkit.auditors.review.worksheet import WORKSHEET
from auditkit.policies.errors import ConfigError

OUTCOMES = ("no-findings", "findings", "escalated")
RUN_COMMAND, SIGN_COMMAND = "review aws", "review sign"


def read_worksheet(given: str) -> tuple[Path, dict[str, Any], str]:
    """The worksheet folder, its worksheet.json and that file's SHA-256; every file re-hashed."""
    path = Path(given)
    folder = path.parent if path.name == WORKSHEET else path
    try:
        data = (folder / WORKSHEET).read_bytes()
        doc = json.loads(data)
        files = dict(doc["files"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError("WORKSHEET", given, "a folder written by `auditkit review aws`", str(exc)) from None
    changed = []
    for name, sha in sorted(files.items()):
        f = folder / name
        if not f.is_file():
            changed.append(f"{name} is missing")
        elif hashlib.sha256(f.read_bytes()).hexdigest() != sha:
            changed.append(f"{name} changed after the worksheet was written")
    present = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    changed += [f"{n} was added after the worksheet was written" for n in sorted(present - set(files) - {WORKSHEET})]
    if changed:
        raise ConfigError(
            "WORKSHEET", given, "the worksheet exactly as `auditkit review aws` wrote it", "; ".join(changed)
        )
    if not doc.get("records"):
        raise ConfigError(
            "WORKSHEET", given, "a worksheet of a period with records", "the period had no records: nothing to sign"
        )
    return folder, doc, hashlib.sha256(data).hexdigest()


def recorded_hash(history: str, worksheet_id: str) -> str | None:
    """The worksheet's SHA-256 as `review aws --history` recorded it when it was written, if it did."""
    store = open_store(history, "--history")
    for key in reversed(store.keys()):
        if "-review-aws" not in key:
            continue
        run = json.loads(store.read(key)).get("review_run") or {}
        if run.get("worksheet_id") == worksheet_id:
            return str(run.get("worksheet_sha256"))
    return None


def review_record(
    doc: dict[str, Any],
    sha: str,
    folder: Path,
    reviewer: str,
    outcome: str,
    note: str | None,
    ticket: str | None,
    recorded: bool,
) -> dict[str, Any]:
    now = iso_utc(utc_now())
    return {
        "command": SIGN_COMMAND,
        "started_at": now,
        "review": {
            "cloud": doc.get("cloud", "aws"),
            "cadence": doc["cadence"],
            "period": doc["period"],
            "worksheet": {"id": doc["id"], "path": str(folder.resolve()), "sha256": sha},
            "worksheet_recorded_at_creation": recorded,
            "reviewer": reviewer,
            "outcome": outcome,
            "note": note,
            "ticket": ticket,
            "signed_at": now,
            "records": doc["records"],
            "queries": {q["id"]: q.get("rows") if q["status"] == "ran" else q["status"] for q in doc["queries"]},
        },
        "findings": [],
    }


def sign(given: str, reviewer: str | None, outcome: str, note: str | None, ticket: str | None, history: str) -> Head:
    if not reviewer or not reviewer.strip():
        raise ConfigError("--reviewer", reviewer, "the reviewer's identity (name, e-mail or employee id)")
    if outcome not in OUTCOMES:
        raise ConfigError("--outcome", outcome, OUTCOMES)
    folder, doc, sha = read_worksheet(given)
    at_creation = recorded_hash(history, doc["id"])
    if at_creation is not None and at_creation != sha:
        raise ConfigError(
            "WORKSHEET",
            given,
            "the worksheet as recorded in the history when it was written",
            f"worksheet.json's SHA-256 is {sha}, the history recorded {at_creation}",
        )
    record = review_record(doc, sha, folder, reviewer.strip(), outcome, note, ticket, at_creation is not None)
    return record_history(record, history)


def run_record(doc: dict[str, Any], sha: str) -> dict[str, Any]:
    """What `review aws --history` appends when it writes a worksheet (so sign can prove it unchanged)."""
    return {
        "command": RUN_COMMAND,
        "started_at": doc["started_at"],
        "review_run": {
            "worksheet_id": doc["id"],
            "worksheet_sha256": sha,
            "cadence": doc["cadence"],
            "period": doc["period"],
            "records": doc["records"],
        },
        "findings": [],
    }

"""The hash chain of scan history: each run's JSON report carries the SHA-256 of the previous one.

Layout: `YYYY/MM/DD/YYYYMMDDTHHMMSSZ-NNNNNN-COMMAND.json` under the destination, dated by the run's
start (UTC), NNNNNN the link's sequence number. Keys sort in run order, so "previous" is simply the
greatest key already there. The stored report gains a `history` object:

    {"sequence": n, "previous": {"key": "<previous key>", "sha256": "<hex of its exact bytes>"}}

The first link is `{"sequence": 0, "previous": null}`; a later link without a previous one is a break
(somebody restarted the chain). Deleting or editing any report breaks the link after it. What the
chain alone cannot show is the removal of the newest link(s): the evidence period's missing days
and the archive's Object Lock (history written into the locked archive) cover that.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import msgspec

from auditkit.auditors.history.stores import HistoryExists, HistoryStore, open_store

KEY = re.compile(r"^(\d{4})/(\d{2})/(\d{2})/(\d{8}T\d{6}Z)-(\d{6})-([a-z0-9-]+)\.json$")
_RETRIES = 3


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def link_key(started_at: datetime, sequence: int, command: str) -> str:
    t = started_at.astimezone(timezone.utc)
    slug = re.sub(r"[^a-z0-9]+", "-", command.lower()).strip("-") or "run"
    return f"{t:%Y/%m/%d}/{t:%Y%m%dT%H%M%SZ}-{sequence:06d}-{slug}.json"


def _started_at(doc: dict[str, Any]) -> datetime:
    stamp = doc.get("started_at")
    if not isinstance(stamp, str):
        raise ValueError("the report has no started_at: stamp it (Report.stamp) before recording history")
    return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


def append(store: HistoryStore, doc: dict[str, Any]) -> str:
    """Add one report as the chain's next link; returns its key. Retries if another writer won the race."""
    started = _started_at(doc)
    for _ in range(_RETRIES):
        keys = store.keys()
        previous = keys[-1] if keys else None
        if previous is None:
            sequence, link = 0, None
        else:
            m = KEY.match(previous)
            if m is None:
                raise ValueError(f"{store.description}: {previous} is not a history key; refusing to extend the chain")
            sequence = int(m.group(5)) + 1
            link = {"key": previous, "sha256": sha256(store.read(previous))}
        key = link_key(started, sequence, str(doc.get("command", "run")))
        if previous is not None and key <= previous:
            raise ValueError(
                f"{store.description}: the newest link {previous} is later than this run ({key}); "
                "the chain must grow in time order (check the clock)"
            )
        record = {**doc, "history": {"sequence": sequence, "previous": link}}
        try:
            store.create(key, json.dumps(record, indent=2).encode())
            return key
        except HistoryExists:
            continue
    raise ValueError(f"{store.description}: another writer kept extending the chain; history not written")


def record_history(report: Any, dest: str) -> str:
    """Append a stamped Report (or its JSON dict) to the history at `dest`; returns the stored key.

    The one entry point for `scan` and `verify`.
    """
    doc = report if isinstance(report, dict) else report.as_json()
    return append(open_store(dest), doc)


class PreviousLink(msgspec.Struct, frozen=True):
    key: str
    sha256: str


class HistoryLink(msgspec.Struct, frozen=True):
    sequence: int
    previous: PreviousLink | None = None


class Header(msgspec.Struct):
    """What the chain check reads of a stored report; other fields are skipped without being parsed."""

    started_at: str = ""
    command: str = ""
    history: HistoryLink | None = None


@dataclass(frozen=True)
class Link:
    key: str
    started_at: datetime
    sha256: str
    doc: Any  # the decoded report (a Header or a subclass the caller asked for)
    data: bytes = b""  # the stored bytes, exactly as hashed


@dataclass
class ChainCheck:
    """The verdict on one history: every link present and unaltered, or what is wrong."""

    source: str
    links: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {"source": self.source, "links": self.links, "intact": self.intact, "problems": list(self.problems)}


def _check_link(check: ChainCheck, key: str, h: HistoryLink | None, before: tuple[str, str, int] | None) -> None:
    if h is None:
        check.problems.append(f"{key}: no history link in the report")
        return
    prev = h.previous
    if before is None:
        if prev is not None or h.sequence != 0:
            check.problems.append(
                f"{key}: the first report present links to {prev.key if prev else '?'}, which is missing (deleted?)"
            )
        return
    prev_key, prev_hash, prev_seq = before
    if prev is None:
        check.problems.append(f"{key}: starts a new chain after {prev_key} (the chain was restarted)")
    elif prev.key != prev_key:
        check.problems.append(f"{key}: links to {prev.key}, but the report before it is {prev_key} (deleted?)")
    elif prev.sha256 != prev_hash:
        check.problems.append(f"{key}: {prev_key} was altered after it was written (SHA-256 differs from the link)")
    elif h.sequence != prev_seq + 1:
        check.problems.append(f"{key}: sequence {h.sequence} does not follow {prev_seq}")


def walk(
    source: str,
    items: Iterable[tuple[str, bytes] | tuple[str, bytes, str]],
    keep: Callable[[Link], None],
    decoder: msgspec.json.Decoder | None = None,
) -> ChainCheck:
    """Verify each (key, bytes[, sha256]) link in key order; hand every readable report to `keep`.

    A reader may hash in its own threads (hashlib releases the GIL) and pass the digest along.

    `decoder` decodes a report into a Header (sub)class: the evidence builder asks for the findings too.
    """
    decode = (decoder or msgspec.json.Decoder(Header)).decode
    check = ChainCheck(source)
    before: tuple[str, str, int] | None = None
    for key, data, *hashed in items:
        if KEY.match(key) is None:
            check.problems.append(f"{key}: not a history key (written by hand?)")
            continue
        check.links += 1
        digest = hashed[0] if hashed else sha256(data)
        try:
            doc = decode(data)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            check.problems.append(f"{key}: not an auditkit report ({exc}; altered?)")
            before = (key, digest, -1)
            continue
        _check_link(check, key, doc.history, before)
        before = (key, digest, doc.history.sequence if doc.history else -1)
        try:
            started = datetime.strptime(doc.started_at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
        except ValueError:
            check.problems.append(f"{key}: no started_at in the report")
            continue
        keep(Link(key, started, digest, doc, data))
    return check

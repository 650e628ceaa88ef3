"""The hash chain of scan history: each run's JSON report carries the SHA-256 of the previous one.

Layout: `YYYY/MM/DD/YYYYMMDDTHHMMSSZ-NNNNNN-COMMAND.json` under the destination, NNNNNN the link's
sequence number. Keys sort in append order, so "previous" is simply the greatest key already there:
a key is dated by the run's start (UTC), but never earlier than the newest link it follows. A run
that started before that link was written (two scans overlapping, the first to start the last to
finish) takes that link's time and the next sequence number; its report keeps its own `started_at`.
The stored report gains a `history` object:

    {"sequence": n, "previous": {"key": "<previous key>", "sha256": "<hex of its exact bytes>"}}

The first link is `{"sequence": 0, "previous": null}`; a later link without a previous one is a break
(somebody restarted the chain). Deleting or editing any report breaks the link after it. What the
chain alone cannot show is the removal or rewriting of the newest link(s), or every link re-hashed
after an edit: `append` returns the new head (key and SHA-256) for the caller to keep outside the
history (a CI artifact, a ticket), and `auditkit evidence --expect-head/--anchor` checks the history
still holds it. The archive's Object Lock keeps the stored reports from being replaced at all.

Concurrent writers: two runs that read the same newest link would both write sequence n+1 under
different keys (their times differ) and fork the chain, which no create-only write of the link itself
prevents. So a writer first claims the sequence number: `claims/NNNNNN.claim`, created only if absent,
holding the link's key and exact bytes. Whoever creates the claim owns link n+1; a writer that finds
the claim taken writes that link from the claim (its holder may have stopped before writing it; the
write is create-only, so doing it twice is harmless), re-reads the newest link and tries n+2.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import msgspec

from auditkit.auditors.history.stores import HistoryExists, HistoryStore, open_store

KEY = re.compile(r"^(\d{4})/(\d{2})/(\d{2})/(\d{8}T\d{6}Z)-(\d{6})-([a-z0-9-]+)\.json$")
CLAIMS = "claims"
_SKEW = timedelta(minutes=15)  # how far ahead of this clock the newest link may be dated (another machine's clock)
_RETRIES = 12  # each lost race means another writer added a link; a dozen covers a dozen concurrent runs


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def link_key(at: datetime, sequence: int, command: str) -> str:
    t = at.astimezone(timezone.utc)
    slug = re.sub(r"[^a-z0-9]+", "-", command.lower()).strip("-") or "run"
    return f"{t:%Y/%m/%d}/{t:%Y%m%dT%H%M%SZ}-{sequence:06d}-{slug}.json"


def key_time(key: str) -> datetime:
    """The time a history key is dated by: YYYY/MM/DD/YYYYMMDDTHHMMSSZ-..."""
    stamp = key.rsplit("/", 1)[-1][:16]
    return datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)


def claim_name(sequence: int) -> str:
    """Where a writer claims a sequence number; not a `.json` key, so no reader takes it for a report."""
    return f"{CLAIMS}/{sequence:06d}.claim"


def _started_at(doc: dict[str, Any]) -> datetime:
    stamp = doc.get("started_at")
    if not isinstance(stamp, str):
        raise ValueError("the report has no started_at: stamp it (Report.stamp) before recording history")
    return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


@dataclass(frozen=True)
class Head:
    """A link of the chain as stored: its key, the SHA-256 of its exact bytes and its sequence number.

    The newest link is the history's head. Kept outside the history (the anchor format below),
    it lets `auditkit evidence` prove that nothing up to it was altered, removed or re-hashed.
    """

    key: str
    sha256: str
    sequence: int

    def anchor(self, history: str) -> dict[str, Any]:
        """The anchor a scan prints and a CI system keeps: `{"history", "key", "sha256", "sequence"}`."""
        return {"history": history, "key": self.key, "sha256": self.sha256, "sequence": self.sequence}


def append(store: HistoryStore, doc: dict[str, Any]) -> Head:
    """Add one report as the chain's next link; returns the new head. Retries if another writer won the race."""
    started = _started_at(doc)
    command = str(doc.get("command", "run"))
    for attempt in range(_RETRIES):
        keys = store.keys()
        previous = keys[-1] if keys else None
        if previous is None:
            sequence, link, at = 0, None, started
        else:
            m = KEY.match(previous)
            if m is None:
                raise ValueError(f"{store.description}: {previous} is not a history key; refusing to extend the chain")
            sequence = int(m.group(5)) + 1
            link = {"key": previous, "sha256": sha256(store.read(previous))}
            at = started if started >= key_time(previous) else _not_ahead(store, previous)
        key = link_key(at, sequence, command)
        data = json.dumps({**doc, "history": {"sequence": sequence, "previous": link}}, indent=2).encode()
        try:
            store.create(claim_name(sequence), key.encode() + b"\n" + data)
        except HistoryExists:
            _finish_claimed(store, sequence)
            time.sleep(random.uniform(0, 0.05 * (attempt + 1)))  # let the other writers through
            continue
        _create_link(store, key, data)
        return Head(key, sha256(data), sequence)
    raise ValueError(f"{store.description}: another writer kept extending the chain; history not written")


def _not_ahead(store: HistoryStore, previous: str) -> datetime:
    """The time of a newest link this run started before (and follows): refused if it lies ahead of this
    clock, as every later key would follow it."""
    at = key_time(previous)
    if at > datetime.now(timezone.utc) + _SKEW:
        raise ValueError(
            f"{store.description}: the newest link {previous} is dated after now ({datetime.now(timezone.utc):%Y-%m-%dT%H:%M:%SZ}); "
            "the clock of this machine or of the one that wrote it is wrong (check the clock)"
        )
    return at


def _finish_claimed(store: HistoryStore, sequence: int) -> None:
    """Write the link another writer claimed, in case it stopped between its claim and its link."""
    name = claim_name(sequence)
    key, _, data = store.read(name).partition(b"\n")
    m = KEY.match(key.decode(errors="replace"))
    if m is None or int(m.group(5)) != sequence:
        raise ValueError(f"{store.description}: {name} does not claim a link {sequence:06d}; not written by auditkit?")
    _create_link(store, m.group(0), data)


def _create_link(store: HistoryStore, key: str, data: bytes) -> None:
    try:
        store.create(key, data)
    except HistoryExists:
        if store.read(key) != data:  # only the claim's holder (or whoever finishes its claim) writes this key
            raise ValueError(f"{store.description}: {key} holds another report than the one claimed") from None


def record_history(report: Any, dest: str) -> Head:
    """Append a stamped Report (or its JSON dict) to the history at `dest`; returns the new head.

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


_HEADER = msgspec.json.Decoder(Header)


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
    head: Head | None = None  # the newest link walked, as stored
    window_head: Head | None = None  # the newest link of the period a caller judged (set by that caller)
    digests: dict[str, str] = field(default_factory=dict, repr=False)  # every key walked -> SHA-256
    # Beyond the links: a head kept elsewhere that the history no longer holds, a report not locked.
    integrity: list[str] = field(default_factory=list)
    verified: list[str] = field(default_factory=list)  # what those checks found holding

    @property
    def intact(self) -> bool:
        """Every link present and unaltered."""
        return not self.problems

    @property
    def sound(self) -> bool:
        """Intact, and nothing beyond the links (anchors, locks) failed."""
        return not self.problems and not self.integrity

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "links": self.links,
            "intact": self.intact,
            "problems": list(self.problems),
            "head": _head(self.head),
            "window_head": _head(self.window_head),
            "integrity": list(self.integrity),
            "verified": list(self.verified),
        }


def _head(h: Head | None) -> dict[str, Any] | None:
    return {"key": h.key, "sha256": h.sha256, "sequence": h.sequence} if h else None


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


def _started_key(stamp: str) -> str:
    """Where a run's start sorts among keys: YYYY/MM/DD/YYYYMMDDTHHMMSSZ ("~", after all, without a start)."""
    try:
        t = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        return "~"
    return f"{t:%Y/%m/%d}/{t:%Y%m%dT%H%M%SZ}"


def walk(
    source: str,
    items: Iterable[tuple[str, bytes] | tuple[str, bytes, str]],
    keep: Callable[[Link], None],
    decoder: msgspec.json.Decoder | None = None,
    tail_after: str | None = None,
) -> ChainCheck:
    """Verify each (key, bytes[, sha256]) link in key order; hand every readable report to `keep`.

    A reader may hash in its own threads (hashlib releases the GIL) and pass the digest along.

    `decoder` decodes a report into a Header (sub)class: the evidence builder asks for the findings
    too. Links with keys after `tail_after` are only chain-checked (decoded as a Header, not kept),
    unless their run started at or before it: an overlapped run is filed after the link it follows.
    """
    decode = (decoder or _HEADER).decode
    check = ChainCheck(source)
    before: tuple[str, str, int] | None = None
    for key, data, *hashed in items:
        if KEY.match(key) is None:
            check.problems.append(f"{key}: not a history key (written by hand?)")
            continue
        check.links += 1
        digest = hashed[0] if hashed else sha256(data)
        check.digests[key] = digest
        tail = tail_after is not None and key > tail_after
        try:
            doc = (_HEADER.decode if tail else decode)(data)
            if tail and tail_after is not None and _started_key(doc.started_at) <= tail_after:
                tail, doc = False, decode(data)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            check.problems.append(f"{key}: not an auditkit report ({exc}; altered?)")
            before = (key, digest, -1)
            check.head = Head(key, digest, -1)
            continue
        _check_link(check, key, doc.history, before)
        sequence = doc.history.sequence if doc.history else -1
        before = (key, digest, sequence)
        check.head = Head(key, digest, sequence)
        try:
            started = datetime.strptime(doc.started_at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
        except ValueError:
            check.problems.append(f"{key}: no started_at in the report")
            continue
        if not tail:
            keep(Link(key, started, digest, doc, data))
    return check

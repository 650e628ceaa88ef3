"""Walk one digest chain: links, missing hours, the newest expected digest (pure).

Digests come one an hour per region while a trail logs with validation on, each naming the one
before it (key, SHA-256, signature). A digest whose previous fields are null starts a new chain:
CloudTrail signed it, so the hours before it were not logged with validation (not tampering).
Every other hole is a deletion, and each missing hour is reported on its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from auditkit.auditors.aws.verify.digests import Digest, Rejected
from auditkit.auditors.aws.verify.layout import HOUR, ChainId, digest_key_time, hour_label, iso
from auditkit.auditors.failures import Failure


@dataclass(frozen=True)
class Issue:
    """A verdict about one object or hour. `missing` names an object to look for under a delete marker."""

    failed: bool  # True: tampering or a gap; False: could not be read (ERROR)
    resource: str
    message: str
    missing: tuple[str, str] | None = None


@dataclass(frozen=True)
class Node:
    """A digest position in the chain: verified, rejected, or unreadable."""

    key: str
    time: datetime
    verdict: Digest | Rejected | Failure


@dataclass(frozen=True)
class Expectation:
    """How far the chain must reach: the latest digest delivery the trail shows (CloudTrail's, or the
    newest verified digest of another region), capped by the window's end; `grace` keeps out a digest
    that may still be on its way at the time of the run."""

    window_start: datetime
    head: datetime | None  # None: nothing shows a digest delivery
    grace: timedelta = timedelta(0)
    why: str = ""

    @property
    def reach(self) -> datetime | None:
        """Every digest that ends by this time must be in the bucket."""
        return None if self.head is None else self.head - self.grace


def farthest(*expectations: Expectation) -> Expectation:
    """The expectation that reaches furthest (the first of equals): the strongest evidence of delivery."""
    known = [e for e in expectations if e.reach is not None]
    return max(known, key=lambda e: e.reach) if known else expectations[0]  # type: ignore[arg-type, return-value]


@dataclass
class ChainVerdict:
    issues: list[Issue] = field(default_factory=list)
    verified: list[Digest] = field(default_factory=list)


def _slots(after: datetime, before: datetime) -> list[datetime]:
    """The hourly digest times strictly between two digests (rounded: digest times drift by seconds)."""
    n = round((before - after) / HOUR) - 1
    return [after + HOUR * k for k in range(1, n + 1)]


def _hour_gaps(chain: ChainId, slots: Sequence[datetime], why: str) -> list[Issue]:
    return [
        Issue(True, chain.hour_resource(t), f"no digest for the hour ending about {iso(t)} in {chain.label}: {why}")
        for t in slots
    ]


def _missing_digest(chain: ChainId, key: str, linker: str) -> Issue:
    return Issue(
        True,
        f"s3://{chain.bucket}/{key}",
        f"digest deleted: the chain links to it from {linker}, but it is not in the bucket",
        (chain.bucket, key),
    )


def _link(chain: ChainId, older: Node, newer: Node) -> list[Issue]:
    n = newer.verdict
    between = _slots(older.time, newer.time)
    if not isinstance(n, Digest):
        return _hour_gaps(chain, between, f"missing between {older.key} and {newer.key}, which cannot be verified")
    if n.previous_key is None:
        if not between:
            return []
        return [
            Issue(
                True,
                f"{chain.label}/{hour_label(between[0])}..{hour_label(between[-1])}",
                f"{len(between)} hour(s) without digests from {iso(older.time)} to {iso(newer.time)}: CloudTrail "
                f"restarted the chain at {newer.key} (no previous digest), so the trail was not logging with log "
                "file validation in between; events of those hours cannot be proven complete",
            )
        ]
    if n.previous_key == older.key and n.previous_bucket in (None, chain.bucket):
        o = older.verdict
        if isinstance(o, Digest) and (
            n.previous_signature != o.signature or (n.previous_sha256 and n.previous_sha256 != o.sha256)
        ):
            return [
                Issue(
                    True,
                    f"s3://{chain.bucket}/{older.key}",
                    f"broken chain: {newer.key} records a previous signature/hash that this digest does not have "
                    "(replaced by another validly signed digest)",
                )
            ]
        return []
    prev_time = digest_key_time(n.previous_key)
    if prev_time is None or prev_time <= older.time:
        return [
            Issue(
                True,
                f"s3://{chain.bucket}/{newer.key}",
                f"broken chain: it links to {n.previous_key}, not to {older.key}, the digest before it in the bucket",
            )
        ]
    linker = f"s3://{chain.bucket}/{newer.key}"
    rest = [t for t in between if abs(t - prev_time) > HOUR / 2]
    return [_missing_digest(chain, n.previous_key, linker)] + _hour_gaps(
        chain, rest, f"deleted; the chain runs through it from {iso(older.time)} to {iso(prev_time)}"
    )


def _tail(chain: ChainId, oldest: Node, start: datetime) -> list[Issue]:
    """Before the oldest digest in the window (no checkpoint to link to)."""
    o = oldest.verdict
    if not isinstance(o, Digest):
        return []
    if o.previous_key is None:
        count = int((oldest.time - start) / HOUR)
        if count < 1:
            return []
        return [
            Issue(
                True,
                f"{chain.label}/{hour_label(start)}..{hour_label(oldest.time - HOUR)}",
                f"no digests from {iso(start)} to {iso(oldest.time)}: the chain starts at {oldest.key} (no previous "
                "digest), so the trail was not logging with log file validation before it",
            )
        ]
    prev_time = digest_key_time(o.previous_key)
    if prev_time is None or prev_time < start:
        return []
    earlier = []
    t = prev_time - HOUR
    while t >= start:
        earlier.append(t)
        t -= HOUR
    return [_missing_digest(chain, o.previous_key, f"s3://{chain.bucket}/{oldest.key}")] + _hour_gaps(
        chain, sorted(earlier), f"deleted; the chain continues before the deleted digest {o.previous_key}"
    )


def _head(chain: ChainId, newest: Node, expect: Expectation) -> list[Issue]:
    if expect.reach is None:
        return []
    late = []
    t = newest.time + HOUR
    while t <= expect.reach:
        late.append(t)
        t += HOUR
    return _hour_gaps(
        chain,
        late,
        f"the newest digest in the bucket ends at {iso(newest.time)}, but {expect.why}: the newest digests were deleted",
    )


def walk(chain: ChainId, nodes: Sequence[Node], expect: Expectation, anchor: Node | None = None) -> ChainVerdict:
    """Judge a chain from its digests (sorted by time), optionally linked to a checkpointed anchor."""
    out = ChainVerdict(verified=[n.verdict for n in nodes if isinstance(n.verdict, Digest)])
    for n in nodes:
        if isinstance(n.verdict, Rejected):
            out.issues.append(Issue(True, f"s3://{n.verdict.bucket}/{n.verdict.key}", n.verdict.reason))
        elif isinstance(n.verdict, Failure):
            out.issues.append(Issue(False, f"s3://{chain.bucket}/{n.key}", n.verdict.describe()))
    chained = [anchor, *nodes] if anchor else list(nodes)
    if not chained:
        if expect.head is not None and expect.reach is not None and expect.reach >= expect.window_start + HOUR:
            out.issues.append(
                Issue(
                    True,
                    chain.label,
                    f"no digest of trail {chain.trail_name} in {chain.label} from {iso(expect.window_start)} to "
                    f"{iso(expect.head)}, but {expect.why}",
                )
            )
        return out
    for older, newer in zip(chained, chained[1:], strict=False):
        out.issues.extend(_link(chain, older, newer))
    if anchor is None:
        out.issues.extend(_tail(chain, chained[0], expect.window_start))
    out.issues.extend(_head(chain, chained[-1], expect))
    return out

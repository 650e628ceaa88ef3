"""Judge a sealed archive hour by hour (pure): each hour in the window is verified, failed, an error, or
still open, from its seal (read and signature-checked by the caller) and the objects as listed now.

- verified: the seal's signature holds, it links to the seal of the hour before, and every object it
  lists is there unchanged (the root recomputed from the objects as they are now is the signed root);
  no other object was created in the hour.
- failed: object altered (another version, size, hash or creation time), object missing, object not in
  the seal (slipped in), seal missing (a gap in the chain), seal not a valid seal of the hour, signature
  not valid, broken link. A bad signature fails the hour even when every object matches.
- error: the seal, the listing, a public key or a content read could not be read: nothing is claimed.
- open: the hour has not closed (its end plus the settle time is in the future, or an append blob created
  in it was written within the settle time), or it closed less than the grace time ago and its seal is
  not due yet.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from auditkit.policies.integrity.leaves import HOUR, ArchiveObject, Leaf, hour_label
from auditkit.policies.integrity.merkle import root
from auditkit.policies.integrity.seals import Link, Seal, period_of_key, seal_key

SHOWN = 5  # object names quoted per kind of problem; the rest are counted


@dataclass(frozen=True)
class SealRead:
    """Reading one hour's seal: the seal (None when absent or rejected), and what is wrong with it.

    `problem` is proven tampering (FAIL): not a seal, signature invalid, foreign key. `error` means it
    could not be judged (ERROR): unreadable, or its public key could not be fetched.
    """

    key: str
    seal: Seal | None = None
    problem: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class Expect:
    start: datetime  # the first hour judged
    end: datetime  # hours starting before this are judged
    now: datetime
    settle: timedelta  # an hour closes this long after its end (late writes, growing append blobs)
    grace: timedelta  # and its seal is due this long after it closed

    def hours(self) -> list[datetime]:
        n = max(0, int((self.end - self.start) / HOUR + 0.999999))
        return [self.start + HOUR * i for i in range(n)]


@dataclass(frozen=True)
class HourVerdict:
    period: datetime
    state: str  # verified | failed | error | open
    message: str
    seal: Seal | None = None


@dataclass
class _Findings:
    failed: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def open_reason(period: datetime, objects: Sequence[ArchiveObject], now: datetime, settle: timedelta) -> str | None:
    """Why the hour cannot be sealed yet, or None once it is closed (shared with the sealer)."""
    closes = period + HOUR + settle
    if now < closes:
        return f"the hour is not closed yet (closes at {_iso(closes)}: its end plus {_minutes(settle)} for late writes)"
    growing = sorted((o for o in objects if o.appendable and o.modified > now - settle), key=lambda o: o.name)
    if growing:
        g = growing[0]
        return (
            f"{len(growing)} append blob(s) created in it are still growing (e.g. {g.name}, last written "
            f"{_iso(g.modified)}, less than {_minutes(settle)} ago)"
        )
    return None


def _minutes(d: timedelta) -> str:
    return f"{int(d.total_seconds() // 60)} min"


def _quote(kind: str, items: list[str]) -> str:
    more = f" and {len(items) - SHOWN} more" if len(items) > SHOWN else ""
    return f"{len(items)} object(s) {kind}: {'; '.join(items[:SHOWN])}{more}"


def _link_problem(
    period: datetime, seal: Seal, reads: Mapping[datetime, SealRead], seal_keys: set[str], anchor: Link | None
) -> str | None:
    before = seal_key(period - HOUR)
    link = seal.statement.previous
    if link is None:
        earlier = sorted(k for k in seal_keys if (p := period_of_key(k)) is not None and p < period)
        return f"starts a new chain (no previous seal) although {earlier[-1]} exists" if earlier else None
    if link.key != before:
        return f"broken chain: it links to {link.key}, not to the seal of the hour before ({before})"
    if anchor is not None and anchor.key == before:
        expected: Link | None = anchor
    else:
        prev = reads.get(period - HOUR)
        expected = prev.seal.link() if prev is not None and prev.seal is not None else None
    if expected is None:
        if before not in seal_keys:
            return f"broken chain: it links to {before}, which is not in the archive (deleted)"
        return None  # the seal before is outside the window, or was judged on its own
    if link.sha256 != expected.sha256:
        return (
            f"broken chain: it records {before} with SHA-256 {link.sha256[:16]}..., but that seal now hashes to "
            f"{expected.sha256[:16]}... (replaced after this seal linked to it)"
        )
    return None


def _compare(
    seal: Seal,
    in_hour: Sequence[ArchiveObject],
    by_name: Mapping[str, ArchiveObject],
    content: Mapping[str, str | None] | None,
    out: _Findings,
) -> list[Leaf]:
    """Each sealed object against the object now; returns the leaves as they are now (for the root)."""
    altered, missing, now_leaves = [], [], []
    for leaf in seal.leaves:
        now = by_name.get(leaf.name)
        if now is None:
            missing.append(leaf.name)
            continue
        diff = leaf.differences(now)
        if content is not None and not diff:
            got = content.get(leaf.name)
            if got is None:
                out.errors.append(f"content of {leaf.name} could not be read")
            elif got != leaf.hash:
                diff.append(f"content hashes to {got}, sealed {leaf.hash}")
        if diff:
            altered.append(f"{leaf.name} ({', '.join(diff)})")
            continue
        now_leaves.append(Leaf(now.name, now.version, now.size, now.hash or leaf.hash, now.created))
    sealed = {leaf.name for leaf in seal.leaves}
    slipped = sorted(o.name for o in in_hour if o.name not in sealed)
    out.failed += [_quote(k, v) for k, v in (("altered", altered), ("missing", missing)) if v]
    if slipped:
        out.failed.append(_quote("not in any seal (slipped in)", slipped))
    return now_leaves


def _sealed_hour(
    period: datetime,
    read: SealRead,
    in_hour: Sequence[ArchiveObject],
    by_name: Mapping[str, ArchiveObject],
    context: tuple[Mapping[datetime, SealRead], set[str], Link | None],
    content: Mapping[str, str | None] | None,
) -> HourVerdict:
    seal = read.seal
    assert seal is not None
    out = _Findings()
    if read.problem:
        out.failed.append(read.problem)
    if read.error:
        out.errors.append(read.error)
    link = _link_problem(period, seal, *context)
    if link:
        out.failed.append(link)
    now_leaves = _compare(seal, in_hour, by_name, content, out)
    if out.failed:
        tail = f"; also could not judge: {'; '.join(out.errors)}" if out.errors else ""
        return HourVerdict(period, "failed", f"{read.key}: {'; '.join(out.failed)}{tail}", seal)
    if out.errors:
        return HourVerdict(period, "error", f"{read.key}: {'; '.join(out.errors)}", seal)
    recomputed = root([leaf.hash_of_leaf() for leaf in now_leaves]).hex()
    assert recomputed == seal.statement.root  # every leaf matched, so the tree is the sealed one
    linked = "linked to the hour before" if seal.statement.previous else "the chain's first seal"
    how = "contents hashed" if content is not None else "metadata compared; contents not read (--deep hashes them)"
    return HourVerdict(
        period,
        "verified",
        f"{seal.statement.leaf_count} object(s) sealed in {read.key}: signature by {seal.statement.key_version} "
        f"valid, {linked}, root {recomputed[:16]}... recomputed from the objects as they are now ({how})",
        seal,
    )


def _unsealed_hour(
    period: datetime,
    read: SealRead | None,
    in_hour: Sequence[ArchiveObject],
    expect: Expect,
    sealed: tuple[datetime | None, datetime | None],
) -> HourVerdict:
    oldest, newest = sealed
    key = seal_key(period)
    if read is not None and read.error:
        return HourVerdict(period, "error", f"{key}: {read.error}")
    if read is not None and read.problem:
        return HourVerdict(period, "failed", f"{key} is not a valid seal of this hour: {read.problem}")
    if oldest is not None and oldest > period:
        return HourVerdict(
            period,
            "failed",
            f"no seal: sealing began after this hour (the chain's first seal is {seal_key(oldest)}); the "
            f"{len(in_hour)} object(s) created in it are not proven complete or unaltered",
        )
    if newest is not None and newest > period:
        return HourVerdict(
            period,
            "failed",
            f"seal missing: no {key} although later hours are sealed (up to {seal_key(newest)}); the "
            f"{len(in_hour)} object(s) created in it are not proven complete or unaltered",
        )
    reason = open_reason(period, in_hour, expect.now, expect.settle)
    if reason:
        return HourVerdict(period, "open", f"still open, not sealed yet: {reason}; {len(in_hour)} object(s) so far")
    due = period + HOUR + expect.settle + expect.grace
    if expect.now < due:
        return HourVerdict(period, "open", f"closed, its seal is due by {_iso(due)}; {len(in_hour)} object(s)")
    return HourVerdict(
        period,
        "failed",
        f"seal missing: no {key} although the hour closed and its seal was due by {_iso(due)}; the "
        f"{len(in_hour)} object(s) created in it are not proven complete or unaltered",
    )


def judge_hours(
    expect: Expect,
    reads: Mapping[datetime, SealRead],
    seal_keys: set[str],
    objects: Sequence[ArchiveObject],
    anchor: Link | None = None,
    content: Mapping[str, str | None] | None = None,
) -> list[HourVerdict]:
    """One verdict per hour of the window (and one for a checkpointed anchor that changed).

    `reads` holds every seal read, by hour (the window's, the anchor's); `seal_keys` every seal key listed;
    `objects` every object listed now outside the seal prefix; `content` (with --deep) each sealed object's
    content hash, of the kind its leaf records (None: could not be read).
    """
    by_name = {o.name: o for o in objects}
    by_hour: dict[datetime, list[ArchiveObject]] = {}
    for o in objects:
        by_hour.setdefault(o.period, []).append(o)
    out = []
    if anchor is not None and (at := period_of_key(anchor.key)) is not None:
        a = reads.get(at)
        if a is None or a.seal is None or a.seal.sha256 != anchor.sha256:
            why = a.error if a is not None and a.error else "changed or removed after it was verified"
            state = "error" if a is not None and a.error else "failed"
            out.append(HourVerdict(at, state, f"{anchor.key} (the checkpoint's chain head): {why}"))
    periods = [p for k in seal_keys if (p := period_of_key(k)) is not None]
    sealed = (min(periods, default=None), max(periods, default=None))
    for period in expect.hours():
        read = reads.get(period)
        in_hour = by_hour.get(period, [])
        if read is not None and read.seal is not None:
            out.append(_sealed_hour(period, read, in_hour, by_name, (reads, seal_keys, anchor), content))
        else:
            out.append(_unsealed_hour(period, read, in_hour, expect, sealed))
    return out


def resource(archive: str, period: datetime) -> str:
    """A finding's subject: the archive's hour."""
    return f"{archive}/{hour_label(period)}"

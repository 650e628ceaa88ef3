"""Seal every closed hour since the archive's newest seal: list once, build each hour's tree, sign, write.

Hours are sealed in order and each seal links to the one before, so sealing stops at the first hour that
is still open (not over, or an append blob in it still growing) and says which hours wait. The chain's
head is the newest seal in the archive itself, so a sealer needs no state of its own; with no seal yet,
sealing starts at `since`. Append blobs without Content-MD5 are read once to hash their content.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar

from auditkit.auditors.seal.archive import Archive, Signer
from auditkit.policies.integrity.judge import open_reason
from auditkit.policies.integrity.leaves import HOUR, ArchiveObject, Leaf, hour_label, hour_of
from auditkit.policies.integrity.seals import (
    Link,
    Seal,
    SealRejected,
    parse_seal,
    period_of_key,
    seal_key,
    statement_for,
)

WORKERS = 16
T = TypeVar("T")
R = TypeVar("R")


class SealingRefused(Exception):
    """The archive's newest seal is not a valid seal: sealing on would chain to something unproven."""


class SealingStopped(Exception):
    """A call of the sealing did not end in time (auditors/seal/watched.py); `outcome`: what it had sealed."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.outcome: SealOutcome | None = None


@dataclass(frozen=True)
class SealOptions:
    settle: timedelta
    since: datetime  # where a first seal starts (ignored once the archive has seals)
    max_hours: int = 24 * 31  # per run: a long outage is caught up over several runs


@dataclass
class SealOutcome:
    archive: str
    sealed: list[Seal] = field(default_factory=list)
    waiting: list[tuple[datetime, str]] = field(default_factory=list)  # hours not sealable yet, and why
    head: Link | None = None
    unsealed_late: list[str] = field(default_factory=list)  # objects created in already-sealed hours

    def lines(self) -> list[str]:
        out = [
            f"sealed {hour_label(s.statement.period_start)}: {s.statement.leaf_count} object(s), root "
            f"{s.statement.root[:16]}..., {self.archive}/{s.key}"
            for s in self.sealed
        ]
        out += [f"open {hour_label(h)}: {why}" for h, why in self.waiting]
        if self.unsealed_late:
            out.append(
                f"warning: {len(self.unsealed_late)} object(s) were created in hours already sealed and are in no "
                f"seal (e.g. {self.unsealed_late[0]}); `auditkit verify` reports them as slipped in"
            )
        if not self.sealed and not self.waiting:
            out.append(f"nothing to seal in {self.archive}")
        return out


def _map(fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
    with ThreadPoolExecutor(WORKERS) as pool:
        return list(pool.map(fn, items))


def _head(archive: Archive, seal_keys: set[str]) -> Seal | None:
    dated = sorted((p, k) for k in seal_keys if (p := period_of_key(k)) is not None)
    if not dated:
        return None
    key = dated[-1][1]
    try:
        return parse_seal(key, archive.read(key))
    except SealRejected as exc:
        raise SealingRefused(
            f"the newest seal {archive.uri}/{key} is not a valid seal ({exc}); run `auditkit verify` and resolve it "
            "before sealing on"
        ) from None


def _leaves(archive: Archive, objects: list[ArchiveObject]) -> list[Leaf]:
    unhashed = [o for o in objects if o.hash is None]
    computed = dict(
        zip((o.name for o in unhashed), _map(lambda o: archive.content_hash(o, "sha256"), unhashed), strict=True)
    )
    return sorted((Leaf.of(o, computed.get(o.name)) for o in objects), key=lambda leaf: leaf.name)


def seal_archive(archive: Archive, signer: Signer, options: SealOptions, now: datetime) -> SealOutcome:
    outcome = SealOutcome(archive.uri)
    try:
        return _seal(archive, signer, options, now, outcome)
    except SealingStopped as exc:
        exc.outcome = outcome  # the hours sealed before the stop, chained: the caller reports them
        raise


def _seal(archive: Archive, signer: Signer, options: SealOptions, now: datetime, outcome: SealOutcome) -> SealOutcome:
    listing = archive.list_all()
    head = _head(archive, listing.seal_keys)
    outcome.head = head.link() if head else None
    start = head.statement.period_end if head else hour_of(options.since)
    if head:
        sealed_names = {leaf.name for leaf in head.leaves}
        outcome.unsealed_late = sorted(
            o.name for o in listing.objects if o.period == head.statement.period_start and o.name not in sealed_names
        )
    by_hour: dict[datetime, list[ArchiveObject]] = {}
    for o in listing.objects:
        by_hour.setdefault(o.period, []).append(o)
    period = start
    while period + HOUR <= now and len(outcome.sealed) < options.max_hours:
        objects = by_hour.get(period, [])
        reason = open_reason(period, objects, now, options.settle)
        if reason:
            break
        leaves = _leaves(archive, objects)
        statement = statement_for(archive.uri, period, leaves, outcome.head, signer.key_version, signer.algorithm)
        seal = Seal(seal_key(period), statement, signer.sign(statement.digest()), tuple(leaves))
        archive.create(seal.key, seal.to_bytes())
        outcome.sealed.append(seal)
        outcome.head = seal.link()
        period += HOUR
    limited = len(outcome.sealed) >= options.max_hours
    for waiting in _hours(period, now):
        why = open_reason(waiting, by_hour.get(waiting, []), now, options.settle)
        if why is None:
            why = (
                f"closed; this run sealed its limit of {options.max_hours} hour(s), the next run seals it"
                if limited
                else "closed; waits for the hour before it (seals are made in order)"
            )
        outcome.waiting.append((waiting, why))
    return outcome


def _hours(first: datetime, now: datetime) -> list[datetime]:
    out, t = [], first
    while t <= hour_of(now):
        out.append(t)
        t += HOUR
    return out

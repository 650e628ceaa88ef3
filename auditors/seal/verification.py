"""`auditkit verify gcp|azure`: one listing of the archive, the window's seals read and their signatures
checked concurrently, each hour judged (policies/integrity/judge.py), one finding per hour.

A failed listing is an ERROR for every hour of the window, naming it; a seal or public key that could
not be read is an ERROR of its hour; --deep reads each sealed object's content once to hash it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from auditkit.auditors.failures import Failure, Limits, fetch
from auditkit.auditors.findings import Finding, Report, Status
from auditkit.auditors.seal.archive import Archive, KeySource, KeyVersionNotFound, Listing, version_under
from auditkit.auditors.seal.checkpoint import load, save
from auditkit.policies.integrity.judge import Expect, HourVerdict, SealRead, judge_hours, resource
from auditkit.policies.integrity.leaves import HOUR, hour_of
from auditkit.policies.integrity.seals import Link, Seal, SealRejected, parse_seal, period_of_key, seal_key
from auditkit.policies.integrity.signatures import verifies

WORKERS = 16
T = TypeVar("T")
R = TypeVar("R")
Classify = Callable[[BaseException], tuple[str, str]]
# An open hour is OPEN: not verified (the control is not claimed for it) and not a gap; a later run judges it.
STATUS = {"verified": Status.PASS, "open": Status.OPEN, "failed": Status.FAIL, "error": Status.ERROR}


@dataclass(frozen=True)
class VerifyOptions:
    start: datetime
    end: datetime
    settle: timedelta
    grace: timedelta
    deep: bool = False
    checkpoint: str | None = None
    # Each read's bound and the run's --deadline; the listing is bounded by the deadline alone (a busy
    # archive lists for minutes). None: unbounded (library callers that bound the run themselves).
    limits: Limits | None = None


def _map(pool: ThreadPoolExecutor, fn: Callable[[T], R], items: Iterable[T]) -> dict[T, R]:
    items = list(dict.fromkeys(items))
    return dict(zip(items, pool.map(fn, items), strict=True))


def _attempt(
    fn: Callable[[], R], operation: str, subject: str, classify: Classify, limits: Limits | None = None
) -> R | Failure:
    """`fn()`, or the Failure that is an ERROR of the hour it belongs to; within `limits` when given (a drip
    or an endpoint that never answers ends there)."""
    value, failure = fetch(fn, operation, "", subject, classify, (), limits)
    return failure if failure is not None else value  # type: ignore[return-value]


def _read_seals(
    pool: ThreadPoolExecutor, archive: Archive, keys: list[str], classify: Classify, limits: Limits | None
) -> dict[str, Any]:
    def one(key: str) -> Seal | str | Failure:
        data = _attempt(lambda: archive.read(key), "read seal", f"{archive.uri}/{key}", classify, limits)
        if isinstance(data, Failure):
            return data
        try:
            return parse_seal(key, data)
        except SealRejected as exc:
            return str(exc)

    return _map(pool, one, keys)


def _judge_signatures(
    pool: ThreadPoolExecutor,
    archive: Archive,
    source: KeySource,
    parsed: dict[str, Any],
    classify: Classify,
    limits: Limits | None = None,
) -> dict[datetime, SealRead]:
    seals = [s for s in parsed.values() if isinstance(s, Seal)]
    wanted = [s.statement.key_version for s in seals if version_under(source.key, s.statement.key_version)]
    public = _map(
        pool,
        lambda v: _attempt(lambda: source.public_key(v), "get public key", v, _keep_missing(classify), limits),
        wanted,
    )
    archive.usage.add(key_reads=len(public))
    reads = {}
    for key, got in parsed.items():
        period = period_of_key(key)
        assert period is not None
        if isinstance(got, Failure):
            reads[period] = SealRead(key, error=f"could not be read: {got.code}: {got.message}")
        elif isinstance(got, str):
            reads[period] = SealRead(key, problem=got)
        else:
            reads[period] = _signature_read(archive, source, got, public)
    return reads


def _keep_missing(classify: Classify) -> Classify:
    def inner(exc: BaseException) -> tuple[str, str]:
        return ("KeyVersionNotFound", str(exc)) if isinstance(exc, KeyVersionNotFound) else classify(exc)

    return inner


def _signature_read(archive: Archive, source: KeySource, seal: Seal, public: dict[str, Any]) -> SealRead:
    s = seal.statement
    if s.archive != archive.uri:
        return SealRead(seal.key, seal, problem=f"seals another archive ({s.archive}), copied here")
    if not version_under(source.key, s.key_version):
        return SealRead(seal.key, seal, problem=f"signed by {s.key_version}, which is not a version of {source.key}")
    key = public[s.key_version]
    if isinstance(key, Failure):
        if key.code == "KeyVersionNotFound":
            return SealRead(seal.key, seal, problem=f"signed by {s.key_version}, a key version that does not exist")
        return SealRead(
            seal.key, seal, error=f"public key of {s.key_version} could not be read: {key.code}: {key.message}"
        )
    if not verifies(key, s.digest(), seal.signature):
        return SealRead(seal.key, seal, problem=f"signature does not verify with the public key of {s.key_version}")
    return SealRead(seal.key, seal)


def _content(
    pool: ThreadPoolExecutor,
    archive: Archive,
    reads: dict[datetime, SealRead],
    listing: Listing,
    hours: set[datetime],
    limits: Limits | None = None,
) -> dict[str, str | None]:
    by_name = {o.name: o for o in listing.objects}
    wanted = [
        (by_name[leaf.name], leaf.hash.split(":", 1)[0])
        for p, r in reads.items()
        if r.seal is not None and p in hours
        for leaf in r.seal.leaves
        if leaf.name in by_name and not leaf.differences(by_name[leaf.name])
    ]

    def one(item: tuple[Any, str]) -> str | None:
        # unread content is an ERROR of its hour (judge_hours), never a pass
        got = _attempt(lambda: archive.content_hash(*item), "read object", item[0].name, lambda e: ("", ""), limits)
        return None if isinstance(got, Failure) else got

    return {obj.name: h for (obj, _), h in _map(pool, one, wanted).items()}


def _listing_errors(control: str, archive: Archive, expect: Expect, failure: Failure) -> list[Finding]:
    why = (
        f"could not list the archive ({failure.code}: {failure.message}): no seal or object of this hour can be judged"
    )
    return [Finding(control, Status.ERROR, resource(archive.uri, h), "", "", why) for h in expect.hours()]


def _advance(verdicts: list[HourVerdict], anchor: Link | None) -> Link | None:
    """The newest seal of the run of verified hours from the first judged hour on (an open hour stops it)."""
    head = anchor
    for v in sorted(verdicts, key=lambda v: v.period):
        if v.state != "verified" or v.seal is None:
            break
        head = v.seal.link()
    return head


def verify_sealed(
    archive: Archive, source: KeySource, options: VerifyOptions, control: str, now: datetime, classify: Classify
) -> Report:
    started = time.perf_counter()
    anchors = load(options.checkpoint)
    anchor = anchors.get(archive.uri)
    anchor_hour = period_of_key(anchor.key) if anchor else None
    first = anchor_hour + HOUR if anchor_hour else hour_of(options.start)
    expect = Expect(first, options.end, now, options.settle, options.grace)
    whole = Limits(options.limits.run.left(), options.limits.run) if options.limits and options.limits.run else None
    listing = _attempt(archive.list_all, "list objects", archive.uri, classify, whole)
    verdicts: list[HourVerdict] = []
    if isinstance(listing, Failure):
        findings = _listing_errors(control, archive, expect, listing)
    else:
        hours = set(expect.hours())
        keys = [seal_key(h) for h in sorted(hours | ({anchor_hour} if anchor_hour else set()))]
        with ThreadPoolExecutor(WORKERS) as pool:
            parsed = _read_seals(pool, archive, [k for k in keys if k in listing.seal_keys], classify, options.limits)
            reads = _judge_signatures(pool, archive, source, parsed, classify, options.limits)
            content = _content(pool, archive, reads, listing, hours, options.limits) if options.deep else None
        verdicts = judge_hours(expect, reads, listing.seal_keys, listing.objects, anchor, content)
        findings = [
            Finding(control, STATUS[v.state], resource(archive.uri, v.period), "", "", v.message) for v in verdicts
        ]
    if options.checkpoint:
        head = _advance([v for v in verdicts if v.period != anchor_hour], anchor)
        save(options.checkpoint, {**anchors, **({archive.uri: head} if head else {})}, now)
    report = Report(findings)
    usage = archive.usage.as_dict()
    report.scanned = {
        "archive": archive.uri,
        "hours": len(expect.hours()),
        "seals_verified": sum(v.state == "verified" for v in verdicts),
        "objects_in_verified_hours": sum(
            v.seal.statement.leaf_count for v in verdicts if v.state == "verified" and v.seal
        ),
        **usage,
        "window": f"{expect.start:%Y-%m-%dT%H:%M:%SZ}..{expect.end:%Y-%m-%dT%H:%M:%SZ}",
        "api_calls": sum(usage[k] for k in ("list_pages", "seal_reads", "content_reads", "key_reads")),
        "seconds": round(time.perf_counter() - started, 3),
    }
    return report

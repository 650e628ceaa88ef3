"""`auditkit evidence`: read histories, check their chains, judge the period, write the package.

Exit codes: 0 every chain intact, every anchored head still held, every report locked (where the
store has locks) and a run every day; 1 any of those failed (the package is still written, and
says so); 2 the input could not be read (ConfigError).
"""

from __future__ import annotations

import hashlib
import json
import random
import secrets
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import msgspec

from auditkit import __version__
from auditkit.auditors.evidence.anchor import AnchorVerdict, ExpectedHead
from auditkit.auditors.evidence.contents import Package, RawReport
from auditkit.auditors.evidence.controls_table import controls_csv
from auditkit.auditors.evidence.exception_notes import ExceptionNote
from auditkit.auditors.evidence.integrity import check_anchors, check_locks, window_head
from auditkit.auditors.evidence.oscal import assessment_results, catalog
from auditkit.auditors.evidence.page import index_html
from auditkit.auditors.evidence.review_activity import ReviewLog
from auditkit.auditors.evidence.seal_proofs import PER_DAY, ProofCounts, SealedArchive, sealed_days
from auditkit.auditors.evidence.timeline import DECODER, Evidence, InStartOrder, Judge, Period
from auditkit.auditors.failures import Limits
from auditkit.auditors.findings import iso_utc, utc_now
from auditkit.auditors.history.chain import ChainCheck, Link, walk
from auditkit.auditors.history.stores import HistoryStore, LocalStore, open_store
from auditkit.policies.errors import ConfigError
from auditkit.policies.retention import RetentionRequirement, required_retention

_READERS = 16
_BATCH = 64


@dataclass
class Request:
    sources: list[str]
    period: Period
    out: Path
    sla: timedelta = timedelta(days=30)
    sample: int = 0
    seed: int | None = None
    sample_dates: list[date] = field(default_factory=list)
    expect: list[ExpectedHead] = field(default_factory=list)  # heads kept outside the histories
    retention: RetentionRequirement = field(default_factory=lambda: required_retention(["US"]))
    notes: list[ExceptionNote] = field(default_factory=list)
    seals: list[SealedArchive] = field(default_factory=list)  # archives whose sampled records get proofs
    proofs_per_day: int = PER_DAY
    limits: Limits | None = None  # each history call's bound and the run's --deadline


@dataclass
class Source:
    given: str  # the --history value
    store: HistoryStore
    keys: list[str]
    check: ChainCheck
    anchors: list[AnchorVerdict] = field(default_factory=list)
    locks: dict[str, Any] = field(default_factory=dict)


def _read_all(src: str, store: HistoryStore, keys: list[str]) -> Iterator[tuple[str, bytes, str]]:
    """(key, bytes, sha256) in key order, read and hashed concurrently in bounded batches."""

    def read(key: str) -> tuple[str, bytes, str]:
        try:
            data = store.read(key)
        except Exception as exc:
            raise ConfigError(
                "--history",
                src,
                "a history this identity can read, each call answered whole and in time",
                f"{key}: {exc}",
            ) from None
        return key, data, hashlib.sha256(data).hexdigest()

    with ThreadPoolExecutor(_READERS) as pool:
        for i in range(0, len(keys), _BATCH):
            yield from pool.map(read, keys[i : i + _BATCH])


def _period_end_key(period: Period) -> str:
    return f"{period.end:%Y/%m/%d}/~"  # sorts after every key of the period's last day


def read_sources(req: Request, judge: Judge, reviews: ReviewLog | None = None) -> list[Source]:
    """Every report of every history, chain-checked to its head; the period's (and earlier) ones judged."""
    out = []
    last = _period_end_key(req.period)
    for src in req.sources:
        store = open_store(src, "--history", req.limits)
        try:
            keys = store.keys()
        except Exception as exc:
            raise ConfigError(
                "--history", src, "a history this identity can list, each call answered whole and in time", str(exc)
            ) from None
        if not keys:
            raise ConfigError("--history", src, "a history written by --history", "no reports found there")
        source = store.description

        def keep(link: Link, source: str = source) -> None:
            if reviews is not None and reviews.wants(link):
                reviews.add(source, link)  # review links are sign-offs, not scan runs
            else:
                judge.add(source, link)

        runs = InStartOrder(keep)
        check = walk(source, _read_all(src, store, keys), runs.add, DECODER, last)
        runs.flush()
        check.window_head = window_head(check, last, runs.newest_key)
        out.append(Source(src, store, keys, check))
    return out


def check_integrity(req: Request, sources: list[Source]) -> None:
    for s in sources:
        s.anchors = check_anchors(s.check, s.given, req.expect)
        s.locks = check_locks(s.check, s.store, req.retention)


def sample_days(req: Request) -> tuple[list[date], int | None]:
    """The sampled days, reproducible: the same period, N and seed give the same days."""
    for d in req.sample_dates:
        if req.period.index(d) is None:
            raise ConfigError("--sample-dates", str(d), f"dates from {req.period.start} to {req.period.end}")
    if req.sample_dates:
        return sorted(set(req.sample_dates)), None
    if not req.sample:
        return [], None
    days = req.period.days
    if req.sample > len(days):
        raise ConfigError("--sample", req.sample, f"1 to {len(days)} (the days in the period)")
    seed = req.seed if req.seed is not None else secrets.randbelow(2**31)
    return sorted(random.Random(seed).sample(days, req.sample)), seed


def _sampled_keys(ev: Evidence, s: Source, d: date) -> list[str]:
    """A day's reports: the runs that started that day (the day they are judged on), and any report
    filed under that day that could not be judged (its start unknown; an auditor should see it)."""
    started = {r.key: r.started_at.date() for r in ev.runs if r.source == s.check.source}
    filed = [k for k in s.keys if k.startswith(f"{d:%Y/%m/%d}/") and k not in started]
    return sorted(filed + [k for k, day in started.items() if day == d])


def _write_samples(out: Path, ev: Evidence, sources: list[Source], days: list[date]) -> dict[tuple[str, str], str]:
    """Copy the sampled days' raw reports byte for byte; (source, key) -> path inside the package."""
    copied = {}
    for d in days:
        folder = out / "samples" / str(d)
        folder.mkdir(parents=True, exist_ok=True)
        found = 0
        for s in sources:
            for key in _sampled_keys(ev, s, d):
                target = folder / key.rsplit("/", 1)[-1]
                target.write_bytes(s.store.read(key))
                copied[(s.check.source, key)] = target.relative_to(out).as_posix()
                found += 1
        if not found:
            (folder / "NOT-RUN.txt").write_text(f"No report was recorded on {d} in any of the histories.\n")
    return copied


def _raw_reports(out: Path, ev: Evidence, sources: list[Source], copied: dict[tuple[str, str], str]) -> list[RawReport]:
    """Every report of the period, with where a reader finds it: the sample copy, the bucket, the folder."""
    by_source = {s.check.source: s for s in sources}
    raws = []
    for run in sorted(ev.runs, key=lambda r: (r.started_at, r.key)):
        s = by_source[run.source]
        stored = s.store.location(run.key)
        where = _relative(out, Path(stored)) if isinstance(s.store, LocalStore) else stored
        raws.append(RawReport(run.source, run.key, s.check.digests[run.key], copied.get((run.source, run.key)), where))
    return raws


def _relative(out: Path, target: Path) -> str | None:
    """A local history's report relative to the package (it resolves while the two stay side by side)."""
    import os

    try:
        return Path(os.path.relpath(target.resolve(), out.resolve())).as_posix()
    except ValueError:  # another drive: no relative path exists
        return None


def _write_proofs(out: Path, req: Request, days: list[date], seed: int | None) -> ProofCounts | None:
    """samples/DAY/seal-proofs.json for each sampled day, when --seals names archives."""
    if not req.seals:
        return None
    docs, counts = sealed_days(req.seals, days, req.proofs_per_day, seed)
    for d, doc in docs.items():
        folder = out / "samples" / str(d)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "seal-proofs.json").write_text(json.dumps(doc, indent=1) + "\n")
    return counts


def _manifest(
    out: Path, req: Request, sources: list[Source], samples: list[date], seed: int | None, proofs: ProofCounts | None
) -> dict:
    files = {
        p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(out.rglob("*"))
        if p.is_file() and p.name not in ("manifest.json", "SHA256SUMS")
    }
    return {
        "tool": {"name": "auditkit", "version": __version__},
        "generated_at": iso_utc(utc_now()),
        "period": {"from": str(req.period.start), "to": str(req.period.end)},
        "histories": [
            {
                **s.check.as_dict(),
                "history": s.given,
                "anchors": [a.as_dict() for a in s.anchors],
                "retention": s.locks,
            }
            for s in sources
        ],
        "required_retention": req.retention.describe(),
        "sla_days": req.sla.days,
        "samples": {"dates": [str(d) for d in samples], "seed": seed},
        **(
            {
                "seal_proofs": {
                    "archives": [{"archive": s.archive, "key": s.key} for s in req.seals],
                    "per_day": req.proofs_per_day,
                    **proofs.as_dict(),
                }
            }
            if proofs is not None
            else {}
        ),
        "exception_notes": [n.as_dict() for n in req.notes],
        "files": files,
    }


def build(req: Request) -> tuple[int, Evidence, list[ChainCheck]]:
    samples, seed = sample_days(req)  # refuse bad sampling before reading anything
    judge = Judge(req.period)
    reviews = ReviewLog(req.period)
    sources = read_sources(req, judge, reviews)
    ev = judge.finish()
    check_integrity(req, sources)
    checks = [s.check for s in sources]
    out = req.out
    out.mkdir(parents=True, exist_ok=True)
    generated = iso_utc(utc_now())
    copied = _write_samples(out, ev, sources, samples)
    proofs = _write_proofs(out, req, samples, seed)
    ev.seal_proofs = proofs.as_dict() if proofs is not None else None
    catalog_bytes = _json(catalog(ev, generated))
    (out / "catalog.json").write_bytes(catalog_bytes)
    raws = _raw_reports(out, ev, sources, copied)
    pkg = Package(ev, checks, raws, req.notes, req.sla, generated, hashlib.sha256(catalog_bytes).hexdigest())
    pkg.reviews = reviews
    (out / "assessment-results.json").write_bytes(_json(assessment_results(pkg)))
    (out / "index.html").write_text(index_html(pkg, samples, [str(s) for s in req.sources]))
    (out / "controls.csv").write_text(controls_csv(ev))
    (out / "manifest.json").write_text(json.dumps(_manifest(out, req, sources, samples, seed, proofs), indent=2))
    (out / "SHA256SUMS").write_text(_sums(out))
    broken = any(not c.sound for c in checks) or any(ev.missing_days(c.source) for c in checks)
    broken |= proofs is not None and bool(proofs.not_proven or proofs.errors)
    return (1 if broken else 0), ev, checks


def _sums(out: Path) -> str:
    """`sha256sum -c SHA256SUMS` format: every file of the package, manifest.json included."""
    return "".join(
        f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.relative_to(out).as_posix()}\n"
        for p in sorted(out.rglob("*"))
        if p.is_file() and p.name != "SHA256SUMS"
    )


def _json(doc: Any) -> bytes:
    return msgspec.json.format(msgspec.json.encode(doc))

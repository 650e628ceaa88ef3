"""`auditkit evidence`: read histories, check their chains, judge the period, write the package.

Exit codes: 0 chain intact and a run every day; 1 a chain is broken or a day inside the period has
no run (the package is still written, and says so); 2 the input could not be read (ConfigError).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import random
import secrets
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import msgspec

from auditkit import __version__
from auditkit.auditors.evidence.oscal import assessment_results
from auditkit.auditors.evidence.page import index_html
from auditkit.auditors.evidence.timeline import DECODER, ERROR, FAIL, NOT_RUN, PASS, Evidence, Judge, Period, uptime
from auditkit.auditors.findings import iso_utc, utc_now
from auditkit.auditors.history import ChainCheck, HistoryStore, open_store, walk
from auditkit.policies.errors import ConfigError

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


@dataclass
class Source:
    store: HistoryStore
    keys: list[str]
    check: ChainCheck


def _read_all(src: str, store: HistoryStore, keys: list[str]) -> Iterator[tuple[str, bytes, str]]:
    """(key, bytes, sha256) in key order, read and hashed concurrently in bounded batches."""

    def read(key: str) -> tuple[str, bytes, str]:
        try:
            data = store.read(key)
        except Exception as exc:
            raise ConfigError("--history", src, "a history this identity can read", f"{key}: {exc}") from None
        return key, data, hashlib.sha256(data).hexdigest()

    with ThreadPoolExecutor(_READERS) as pool:
        for i in range(0, len(keys), _BATCH):
            yield from pool.map(read, keys[i : i + _BATCH])


def _in_scope(keys: list[str], period: Period) -> list[str]:
    """Every key up to the period's end, and the first after it (its link proves the last day unaltered)."""
    last = f"{period.end:%Y/%m/%d}/~"
    inside = [k for k in keys if k <= last]
    after = keys[len(inside) : len(inside) + 1]
    return inside + after


def read_sources(req: Request, judge: Judge) -> list[Source]:
    out = []
    for src in req.sources:
        store = open_store(src, "--history")
        try:
            keys = store.keys()
        except Exception as exc:
            raise ConfigError("--history", src, "a history this identity can list", str(exc)) from None
        if not keys:
            raise ConfigError("--history", src, "a history written by --history", "no reports found there")
        wanted = _in_scope(keys, req.period)
        source = store.description
        check = walk(source, _read_all(src, store, wanted), lambda link, s=source: judge.add(s, link), DECODER)
        out.append(Source(store, keys, check))
    return out


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


def controls_csv(ev: Evidence) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(
        [
            "control",
            "title",
            "hipaa",
            "soc2",
            "nist_800_53",
            "days_in_period",
            "days_tested",
            "days_passed",
            "days_failed",
            "days_error",
            "days_not_run",
            "uptime_pct",
            "exceptions",
            "exceptions_open",
        ]
    )
    for cid in sorted(ev.controls):
        info, days = ev.controls[cid], ev.control_days(cid)
        mine = [e for e in ev.episodes if e.key[0] == cid]
        c = info.citations
        w.writerow(
            [
                cid,
                info.title,
                "; ".join(c.get("hipaa", [])),
                "; ".join(c.get("soc2", [])),
                "; ".join(c.get("nist_800_53", [])),
                len(days),
                len(days) - days.count(NOT_RUN),
                days.count(PASS),
                days.count(FAIL),
                days.count(ERROR),
                days.count(NOT_RUN),
                uptime(days),
                len(mine),
                sum(1 for e in mine if e.resolved is None),
            ]
        )
    return buf.getvalue()


def _write_samples(out: Path, sources: list[Source], days: list[date]) -> None:
    for d in days:
        folder = out / "samples" / str(d)
        folder.mkdir(parents=True, exist_ok=True)
        found = 0
        for s in sources:
            for key in (k for k in s.keys if k.startswith(f"{d:%Y/%m/%d}/")):
                (folder / key.rsplit("/", 1)[-1]).write_bytes(s.store.read(key))
                found += 1
        if not found:
            (folder / "NOT-RUN.txt").write_text(f"No report was recorded on {d} in any of the histories.\n")


def _manifest(out: Path, req: Request, sources: list[Source], samples: list[date], seed: int | None) -> dict:
    files = {
        p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(out.rglob("*"))
        if p.is_file() and p.name != "manifest.json"
    }
    return {
        "tool": {"name": "auditkit", "version": __version__},
        "generated_at": iso_utc(utc_now()),
        "period": {"from": str(req.period.start), "to": str(req.period.end)},
        "histories": [s.check.as_dict() for s in sources],
        "sla_days": req.sla.days,
        "samples": {"dates": [str(d) for d in samples], "seed": seed},
        "files": files,
    }


def build(req: Request) -> tuple[int, Evidence, list[ChainCheck]]:
    samples, seed = sample_days(req)  # refuse bad sampling before reading anything
    judge = Judge(req.period)
    sources = read_sources(req, judge)
    ev = judge.finish()
    checks = [s.check for s in sources]
    out = req.out
    out.mkdir(parents=True, exist_ok=True)
    generated = iso_utc(utc_now())
    (out / "index.html").write_text(index_html(ev, checks, req.sla, samples, generated))
    (out / "assessment-results.json").write_bytes(msgspec.json.format(msgspec.json.encode(assessment_results(ev))))
    (out / "controls.csv").write_text(controls_csv(ev))
    _write_samples(out, sources, samples)
    (out / "manifest.json").write_text(json.dumps(_manifest(out, req, sources, samples, seed), indent=2))
    broken = any(not c.intact for c in checks) or any(ev.missing_days(c.source) for c in checks)
    return (1 if broken else 0), ev, checks

"""Judge a period of scan history: a day-by-day status per control and resource, and every exception.

Pure: takes history links (already read and chain-checked) and returns plain data. A day with no
scan of a resource is NOT RUN, never a pass; a day's status is the worst of that day's runs. Subjects are
keyed by auditors/findings.py's subject_key, so a subject's PASS closes its own FAIL; an exception also
closes when its subject no longer exists (see Judge._close_vanished).
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any, Literal

import msgspec

from auditkit.auditors.findings import SubjectKey, subject_key
from auditkit.auditors.history.chain import Header, Link

NOT_RUN, PASS, ERROR, FAIL = 0, 1, 2, 3
LABEL = {NOT_RUN: "not run", PASS: "pass", ERROR: "error", FAIL: "fail"}
# An OPEN finding (a period not closed yet) judged nothing: the day counts as not run for it, never a pass.
_CODE = {"PASS": PASS, "ERROR": ERROR, "FAIL": FAIL, "OPEN": NOT_RUN}

Days = bytes | bytearray  # one status code per day of the period


class RecordedFinding(msgspec.Struct):
    """The fields of a stored finding the evidence reads; message and the rest are skipped unparsed."""

    control: str
    status: Literal["PASS", "FAIL", "ERROR", "OPEN"]
    resource: str
    account: str = ""
    region: str = ""


class RecordedReport(Header):
    findings: list[RecordedFinding] = msgspec.field(default_factory=list)
    summary: dict[str, Any] = msgspec.field(default_factory=dict)
    scope: dict[str, Any] = msgspec.field(default_factory=dict)


class _CitedFinding(msgspec.Struct):
    control: str
    title: str = ""
    citations: dict[str, list[str]] = msgspec.field(default_factory=dict)


class _CitedReport(msgspec.Struct):
    findings: list[_CitedFinding] = msgspec.field(default_factory=list)


DECODER = msgspec.json.Decoder(RecordedReport)
_CITED = msgspec.json.Decoder(_CitedReport)


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]

    def index(self, day: date) -> int | None:
        i = (day - self.start).days
        return i if 0 <= i <= (self.end - self.start).days else None

    @property
    def closes_at(self) -> datetime:
        """The first instant after the period (UTC midnight)."""
        return datetime(self.end.year, self.end.month, self.end.day, tzinfo=timezone.utc) + timedelta(days=1)


@dataclass
class Episode:
    """An exception: a control failing (or not judgeable) on a resource from first seen until a passing run."""

    key: SubjectKey
    status: str  # FAIL or ERROR, as first seen
    first_seen: datetime
    first_seen_in: str  # the history key of the report that showed it
    resolved: datetime | None = None
    resolved_in: str | None = None
    runs: int = 1
    resolution: str = ""  # PASSED, or GONE when its subject no longer exists

    @property
    def time_to_resolve(self) -> timedelta | None:
        return self.resolved - self.first_seen if self.resolved else None

    def sla_met(self, sla: timedelta, period_end: datetime) -> bool:
        """Resolved within the SLA; an open one meets it only while it is younger than the SLA at period end."""
        end = self.resolved or period_end
        return end - self.first_seen <= sla


@dataclass(frozen=True)
class ControlInfo:
    title: str
    citations: dict[str, list[str]]


@dataclass(frozen=True)
class Run:
    source: str
    key: str
    started_at: datetime
    command: str
    counts: dict[str, int]
    controls: frozenset[str]


@dataclass
class Evidence:
    period: Period
    subjects: dict[SubjectKey, bytearray] = field(default_factory=dict)
    controls: dict[str, ControlInfo] = field(default_factory=dict)
    episodes: list[Episode] = field(default_factory=list)
    runs: list[Run] = field(default_factory=list)
    run_days: dict[str, set[date]] = field(default_factory=dict)  # source -> days with a run
    verified_digests: dict[date, int] = field(default_factory=dict)  # verify runs: digest-hours per day
    # `--seals`: the sampled records' inclusion proofs (proven, not_proven, errors, hours_without_seal)
    seal_proofs: dict[str, int] | None = None
    _worst: dict[str, bytes] = field(default_factory=dict, repr=False)

    def missing_days(self, source: str) -> list[date]:
        seen = self.run_days.get(source, set())
        return [d for d in self.period.days if d not in seen]

    def control_days(self, control_id: str) -> bytes:
        """The control's worst status per day over its resources."""
        if not self._worst:
            for key, statuses in self.subjects.items():
                before = self._worst.get(key[0])
                self._worst[key[0]] = bytes(statuses) if before is None else bytes(map(max, before, statuses))
        return self._worst.get(control_id, bytes(len(self.period.days)))


def _cited(data: bytes) -> dict[str, ControlInfo]:
    """Titles and citations as a report recorded them (read once per control, not for every finding)."""
    try:
        report = _CITED.decode(data)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return {}
    return {f.control: ControlInfo(f.title, f.citations) for f in report.findings if f.title and f.citations}


def _catalog_info(control_id: str) -> ControlInfo:
    from auditkit.policies.catalog import CONTROLS

    c = CONTROLS.get(control_id)
    if c is None:
        return ControlInfo("(not in this version's catalog)", {"hipaa": [], "soc2": [], "nist_800_53": []})
    return ControlInfo(c.title, c.citations.as_dict())


PASSED, GONE = "passed", "subject no longer exists"
_REGION_CODE = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")


def _scanned_regions(scope: dict[str, Any]) -> set[str] | None:
    """The regions a run looked in, when its scope lists region codes; None: every enabled region."""
    listed = scope.get("regions")
    if isinstance(listed, list) and listed and all(isinstance(r, str) and _REGION_CODE.match(r) for r in listed):
        return set(listed)
    return None


class Judge:
    """Feed runs in time order (`add`), then read `evidence`."""

    def __init__(self, period: Period) -> None:
        self.evidence = Evidence(period)
        self._states: dict[SubjectKey, list[Any]] = {}
        self._open: dict[SubjectKey, list[Any]] = {}  # the states with an open exception
        self._width = len(period.days)

    def add(self, source: str, link: Link) -> None:
        ev, doc = self.evidence, link.doc
        day = link.started_at.date()
        if day > ev.period.end:
            return
        i = ev.period.index(day)
        summary, command = doc.summary, doc.command
        controls = self._findings(doc.findings, i, link)
        if i is not None:
            ev.runs.append(Run(source, link.key, link.started_at, command, _counts(summary), controls))
            ev.run_days.setdefault(source, set()).add(day)
            if command.startswith("verify"):
                ev.verified_digests[day] = ev.verified_digests.get(day, 0) + int(summary.get("digests", 0) or 0)

    def _findings(self, findings: Iterable[RecordedFinding], i: int | None, link: Link) -> frozenset[str]:
        ev, states, width = self.evidence, self._states, self._width
        seen: set[str] = set()
        present: set[SubjectKey] = set()
        judged: dict[tuple[str, str], bool] = {}  # (control, account) -> judged without an ERROR
        for f in findings:
            key = subject_key(f.control, f.resource, f.account, f.region)
            code = _CODE[f.status]
            present.add(key)
            judged[(f.control, f.account)] = judged.get((f.control, f.account), True) and code != ERROR
            if f.control not in seen:
                seen.add(f.control)
                if f.control not in ev.controls:
                    cited = _cited(link.data)
                    ev.controls[f.control] = cited.get(f.control) or _catalog_info(f.control)
            state = states.get(key)  # [days in the period, open exception or None]
            if state is None:
                state = states[key] = [bytearray(width), None]
            if i is not None and code > state[0][i]:
                state[0][i] = code
            if f.status == "OPEN":  # not judged yet: neither closes nor opens an exception
                continue
            episode = state[1]
            if code == PASS:
                if episode is not None:
                    self._close(key, link, PASSED)
            elif episode is None:
                state[1] = Episode(key, f.status, link.started_at, link.key)
                ev.episodes.append(state[1])
                self._open[key] = state
            else:
                episode.runs += 1
        self._close_vanished(present, judged, _scanned_regions(getattr(link.doc, "scope", {})), link)
        return frozenset(seen)

    def _close(self, key: SubjectKey, link: Link, resolution: str) -> None:
        state = self._open.pop(key)
        episode = state[1]
        episode.resolved, episode.resolved_in, episode.resolution = link.started_at, link.key, resolution
        state[1] = None

    def _close_vanished(
        self, present: set[SubjectKey], judged: dict[tuple[str, str], bool], regions: set[str] | None, link: Link
    ) -> None:
        """A subject missing from a run that judged its control for its account without an ERROR there,
        and looked in its region, no longer exists (a trail deleted, a bucket retired): its exception
        closes. A run that could not read everything, or looked elsewhere, closes nothing."""
        for key in [k for k in self._open if k not in present]:
            control, _resource, account, region = key
            if judged.get((control, account)) and (not region or regions is None or region in regions):
                self._close(key, link, GONE)

    def finish(self) -> Evidence:
        """Keep only exceptions still open at, or resolved within, the period."""
        ev = self.evidence
        ev.subjects = {k: days for k, (days, _) in self._states.items() if any(days)}  # seen inside the period
        start = ev.period.start
        ev.episodes = [e for e in ev.episodes if e.resolved is None or e.resolved.date() >= start]
        ev.episodes.sort(key=lambda e: (e.first_seen, e.key))
        return ev


class InStartOrder:
    """Hands a history's links to `feed` in order of their runs' starts, though the chain holds them in
    append order: a run that overlapped a later-started one recorded first comes after it in the chain.

    A window of the last `window` links is held and handed on earliest start first; a run overlapped
    by more later-appended runs than that is judged in append order.
    """

    def __init__(self, feed: Callable[[Link], None], window: int = 32) -> None:
        self._feed, self._window = feed, window
        self._held: list[tuple[datetime, str, Link]] = []
        self.newest_key: str | None = None  # the newest link handed in (links come in key order)

    def add(self, link: Link) -> None:
        self.newest_key = link.key
        heapq.heappush(self._held, (link.started_at, link.key, link))
        if len(self._held) > self._window:
            self._feed(heapq.heappop(self._held)[2])

    def flush(self) -> None:
        while self._held:
            self._feed(heapq.heappop(self._held)[2])


def _counts(summary: dict[str, Any]) -> dict[str, int]:
    """PASS, FAIL, ERROR; and OPEN when the run had periods still open (verify gcp|azure)."""
    kept = ("PASS", "FAIL", "ERROR", *(("OPEN",) if summary.get("OPEN") else ()))
    return {s: int(summary.get(s, 0) or 0) for s in kept}


def judge(period: Period, runs: Iterable[tuple[str, Link]]) -> Evidence:
    """Runs as (source, link), in any order: they are judged in time order."""
    j = Judge(period)
    for source, link in sorted(runs, key=lambda r: (r[1].started_at, r[1].key)):
        j.add(source, link)
    return j.finish()


def uptime(days: Days) -> float:
    """Percent of the period's days that passed; not run, error and fail days all count against it."""
    return round(100.0 * days.count(PASS) / len(days), 2) if days else 0.0

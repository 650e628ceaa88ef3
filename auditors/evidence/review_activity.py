"""The evidence package's "Activity reviews": for each cadence, the reviews the window expected and those signed.

A period of a cadence is expected when it ends inside the window; its review is due DUE_DAYS after it ends
(policies/review/catalog.py). A sign-off (`auditkit review sign`, a `review sign` link of the history) performs
it; one signed after its due date is late; a due period without a sign-off in the window is missed, one not yet
due is pending. Review links are kept out of the scan timeline: they are not scan runs.
"""

from __future__ import annotations

import html
import json
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from auditkit.auditors.evidence.timeline import Period
from auditkit.auditors.history.chain import Link
from auditkit.auditors.review.periods import label_of, named
from auditkit.policies.review.catalog import DUE_DAYS, Cadence

_ROOT = uuid.UUID("0b7c5a39-6a0e-5d7c-8f1e-3c2d9b4a7e61")


@dataclass(frozen=True)
class SignOff:
    source: str
    key: str
    sha256: str  # of the history link
    cadence: str
    period: str
    reviewer: str
    outcome: str
    signed_at: datetime
    worksheet: str
    worksheet_sha256: str
    ticket: str | None


@dataclass
class Expected:
    cadence: Cadence
    period: str
    due: date
    signed: list[SignOff] = field(default_factory=list)

    def state(self, window_end: date) -> str:
        if not self.signed:
            return "pending" if self.due > window_end else "missed"
        return "late" if self.signed[0].signed_at.date() > self.due else "on time"


class ReviewLog:
    def __init__(self, period: Period) -> None:
        self.period = period
        self.signoffs: list[SignOff] = []

    @staticmethod
    def wants(link: Link) -> bool:
        return str(getattr(link.doc, "command", "")).startswith("review")

    def add(self, source: str, link: Link) -> None:
        if link.doc.command != "review sign":
            return
        r = json.loads(link.data)["review"]
        self.signoffs.append(
            SignOff(
                source,
                link.key,
                link.sha256,
                r["cadence"],
                r["period"]["label"],
                r["reviewer"],
                r["outcome"],
                link.started_at,
                r["worksheet"]["path"],
                r["worksheet"]["sha256"],
                r.get("ticket"),
            )
        )

    def expected(self) -> list[Expected]:
        out = []
        for cadence in Cadence:
            labels = dict.fromkeys(label_of(cadence, d) for d in self.period.days)
            for label in labels:
                p = named(cadence, label)
                if not self.period.start <= p.last_day <= self.period.end:
                    continue
                e = Expected(cadence, label, p.last_day + timedelta(days=DUE_DAYS[cadence]))
                e.signed = sorted(
                    (s for s in self.signoffs if (s.cadence, s.period) == (cadence.value, label)),
                    key=lambda s: s.signed_at,
                )
                out.append(e)
        return out


def section(log: ReviewLog | None) -> str:
    e = html.escape
    if log is None:
        return ""
    rows, summary = [], []
    expected = log.expected()
    for cadence in Cadence:
        mine = [x for x in expected if x.cadence is cadence]
        states = [x.state(log.period.end) for x in mine]
        summary.append(
            f"<tr><td>{cadence.value}</td><td>{len(mine)}</td><td>{sum(s in ('on time', 'late') for s in states)}</td>"
            f"<td>{states.count('late')}</td><td class={'bad' if 'missed' in states else 'good'}>{states.count('missed')}</td>"
            f"<td>{states.count('pending')}</td></tr>"
        )
        for x, state in zip(mine, states, strict=True):
            if not x.signed and state == "pending":
                continue
            who = "<br>".join(
                f"{e(s.reviewer)}: {e(s.outcome)} at {s.signed_at:%Y-%m-%dT%H:%M:%SZ}"
                + (f" · <a href='{e(s.ticket)}'>ticket</a>" if s.ticket else "")
                + f"<br><code>{e(s.worksheet)}</code> SHA-256 <code>{s.worksheet_sha256}</code>"
                for s in x.signed
            )
            cls = "bad" if state in ("missed", "late") else "good"
            rows.append(
                f"<tr><td>{cadence.value}</td><td>{e(x.period)}</td><td>{x.due}</td><td class={cls}>{state}</td>"
                f"<td>{who or '-'}</td></tr>"
            )
    return (
        "<h2>Activity reviews (45 CFR 164.308(a)(1)(ii)(D))</h2><p>Reviews of the verified logs signed with "
        "<code>auditkit review sign</code>, per cadence: periods ending in this window, due "
        + ", ".join(f"{c.value} {DUE_DAYS[c]} day(s)" for c in Cadence)
        + " after they end.</p><table><tr><th>cadence</th><th>expected</th><th>performed</th><th>late</th>"
        "<th>missed</th><th>pending (not yet due)</th></tr>"
        + "".join(summary)
        + "</table><table><tr><th>cadence</th><th>period</th><th>due</th><th>state</th><th>reviewer, outcome, "
        "worksheet</th></tr>" + "".join(rows) + "</table>"
    )


def observations(log: ReviewLog | None) -> list[dict[str, Any]]:
    """One OSCAL observation (method EXAMINE) per sign-off, with the worksheet's hash."""
    if log is None:
        return []
    out = []
    for s in sorted(log.signoffs, key=lambda s: (s.signed_at, s.key)):
        out.append(
            {
                "uuid": str(uuid.uuid5(_ROOT, f"{s.source}|{s.key}")),
                "title": f"{s.cadence} activity review {s.period}: {s.outcome}",
                "description": f"{s.reviewer} reviewed the {s.cadence} worksheet of {s.period} "
                f"(SHA-256 {s.worksheet_sha256}) and signed it off as {s.outcome}: 45 CFR 164.308(a)(1)(ii)(D).",
                "props": [
                    {"name": n, "ns": "https://github.com/auditkit/auditkit/ns/oscal", "value": v}
                    for n, v in (
                        ("hipaa", "45 CFR 164.308(a)(1)(ii)(D)"),
                        ("cadence", s.cadence),
                        ("review-period", s.period),
                        ("reviewer", s.reviewer),
                        ("outcome", s.outcome),
                        ("worksheet-sha256", s.worksheet_sha256),
                        ("history-key", s.key),
                    )
                    if v
                ],
                "methods": ["EXAMINE"],
                "types": ["historic"],
                "collected": f"{s.signed_at:%Y-%m-%dT%H:%M:%SZ}",
            }
        )
    return out

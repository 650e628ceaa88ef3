"""Review periods: a UTC day, ISO week, month or quarter (or --from/--to), and the one before it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from auditkit.policies.errors import ConfigError
from auditkit.policies.review.catalog import Cadence

FORMS = {
    Cadence.DAILY: "YYYY-MM-DD",
    Cadence.WEEKLY: "YYYY-Www (ISO week, e.g. 2026-W48)",
    Cadence.MONTHLY: "YYYY-MM",
    Cadence.QUARTERLY: "YYYY-Qn",
}


@dataclass(frozen=True)
class ReviewPeriod:
    cadence: Cadence
    label: str
    start: datetime  # UTC, inclusive
    end: datetime  # UTC, exclusive

    @property
    def last_day(self) -> date:
        return (self.end - timedelta(seconds=1)).date()


def _utc(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, tzinfo=timezone.utc)


def _add_months(d: date, n: int) -> date:
    m = d.month - 1 + n
    return date(d.year + m // 12, m % 12 + 1, 1)


def bounds(cadence: Cadence, label: str) -> tuple[date, date]:
    """[first day, first day after) of a named period; ConfigError naming the form expected."""
    try:
        if cadence is Cadence.DAILY:
            d = date.fromisoformat(label)
            return d, d + timedelta(days=1)
        if cadence is Cadence.WEEKLY:
            m = re.fullmatch(r"(\d{4})-W(\d{2})", label)
            if not m:
                raise ValueError
            d = date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
            return d, d + timedelta(days=7)
        if cadence is Cadence.MONTHLY:
            m = re.fullmatch(r"(\d{4})-(\d{2})", label)
            if not m:
                raise ValueError
            d = date(int(m.group(1)), int(m.group(2)), 1)
            return d, _add_months(d, 1)
        m = re.fullmatch(r"(\d{4})-Q([1-4])", label)
        if not m:
            raise ValueError
        d = date(int(m.group(1)), 3 * (int(m.group(2)) - 1) + 1, 1)
        return d, _add_months(d, 3)
    except ValueError:
        raise ConfigError("--period", label, f"a {cadence.value} period {FORMS[cadence]}") from None


def label_of(cadence: Cadence, day: date) -> str:
    """The period of this cadence that holds `day`."""
    if cadence is Cadence.DAILY:
        return day.isoformat()
    if cadence is Cadence.WEEKLY:
        y, w, _ = day.isocalendar()
        return f"{y}-W{w:02d}"
    if cadence is Cadence.MONTHLY:
        return f"{day:%Y-%m}"
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def named(cadence: Cadence, label: str) -> ReviewPeriod:
    first, after = bounds(cadence, label)
    return ReviewPeriod(cadence, label, _utc(first), _utc(after))


def custom(cadence: Cadence, start: str, end: str) -> ReviewPeriod:
    """--from/--to: whole UTC days, --to inclusive."""
    try:
        a = date.fromisoformat(start)
    except ValueError:
        raise ConfigError("--from", start, "a date YYYY-MM-DD (UTC)") from None
    try:
        b = date.fromisoformat(end)
    except ValueError:
        raise ConfigError("--to", end, "a date YYYY-MM-DD (UTC), inclusive") from None
    if b < a:
        raise ConfigError("--to", end, f"a date on or after --from {a}")
    return ReviewPeriod(cadence, f"{a}..{b}", _utc(a), _utc(b + timedelta(days=1)))


def previous(p: ReviewPeriod) -> datetime:
    """The start of the period before it, of the same length (quarterly: the previous quarter)."""
    if p.cadence is Cadence.QUARTERLY and "Q" in p.label:
        first = p.start.date()
        return _utc(_add_months(first, -3))
    return p.start - (p.end - p.start)

"""`auditkit:review`: what an activity review needs to know about the organization, refused early.

    auditkit:review:
      businessHours: "08:00-18:00"        # or "Mon-Fri 08:00-18:00": the days business hours apply
      timeZone: America/New_York          # an IANA time zone; business hours are local times there
      breakGlass: [arn:aws:iam::123456789012:role/BreakGlass, emergency-admin]

Outside business hours is every time not inside them (on days not named, all day). Break-glass entries are
IAM user or role ARNs, or their names.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from auditkit.policies.errors import ConfigError

REVIEW_KEYS = ("businessHours", "timeZone", "breakGlass")
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_HOURS = re.compile(r"^(?:(Mon|Tue|Wed|Thu|Fri|Sat|Sun)-(Mon|Tue|Wed|Thu|Fri|Sat|Sun) )?(\d\d):(\d\d)-(\d\d):(\d\d)$")
_HOURS_ALLOWED = '"HH:MM-HH:MM" (24-hour, start before end), optionally after a day range: "Mon-Fri 08:00-18:00"'
_NAME = re.compile(r"^[\w+=,.@:/-]+$")


@dataclass(frozen=True)
class ReviewSettings:
    start_minute: int = 8 * 60  # business hours, local minutes after midnight: [start, end)
    end_minute: int = 18 * 60
    days: tuple[int, ...] = (1, 2, 3, 4, 5, 6, 7)  # ISO weekdays (Monday 1) business hours apply on
    time_zone: str = "UTC"
    break_glass: tuple[str, ...] = ()
    business_hours_text: str = "08:00-18:00"

    def describe(self) -> str:
        return f"{self.business_hours_text} {self.time_zone}"


def _business_hours(value: Any) -> tuple[int, int, tuple[int, ...]]:
    m = _HOURS.match(value) if isinstance(value, str) else None
    if m is None:
        raise ConfigError("review.businessHours", value, _HOURS_ALLOWED)
    first, last, h1, m1, h2, m2 = m.groups()
    start, end = int(h1) * 60 + int(m1), int(h2) * 60 + int(m2)
    if int(h1) > 23 or int(h2) > 24 or int(m1) > 59 or int(m2) > 59 or end > 24 * 60 or start >= end:
        raise ConfigError("review.businessHours", value, _HOURS_ALLOWED)
    if first is None:
        return start, end, tuple(range(1, 8))
    a, b = DAYS.index(first) + 1, DAYS.index(last) + 1
    days = tuple(range(a, b + 1)) if a <= b else (*range(a, 8), *range(1, b + 1))
    return start, end, days


def _time_zone(value: Any) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        if not isinstance(value, str) or not value:
            raise ValueError
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError("review.timeZone", value, "an IANA time zone name such as America/New_York or UTC") from None
    return value


def _break_glass(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise ConfigError("review.breakGlass", value, "a list of IAM user or role ARNs or names")
    for entry in value:
        if not isinstance(entry, str) or not _NAME.match(entry):
            raise ConfigError(
                "review.breakGlass", entry, "an IAM user or role ARN, or a name (letters, digits and +=,.@_-:/)"
            )
    return tuple(value)


def review_settings(raw: Any) -> ReviewSettings:
    if raw is None:
        return ReviewSettings()
    if not isinstance(raw, Mapping):
        raise ConfigError("review", raw, f"a mapping with {', '.join(REVIEW_KEYS)}")
    for key in raw:
        if key not in REVIEW_KEYS:
            raise ConfigError(f"review.{key}", raw[key], sorted(REVIEW_KEYS), "unknown setting")
    text = raw.get("businessHours", "08:00-18:00")
    start, end, days = _business_hours(text)
    return ReviewSettings(
        start, end, days, _time_zone(raw.get("timeZone", "UTC")), _break_glass(raw.get("breakGlass", [])), text
    )

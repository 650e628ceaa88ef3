"""Where CloudTrail puts digests and log files, and the times their names carry (pure)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

HOUR = timedelta(hours=1)
_DIGEST_TIME = re.compile(r"_(\d{8}T\d{6}Z)\.json\.gz$")
_LOG_TIME = re.compile(r"_CloudTrail_[^_/]+_(\d{8}T\d{4}Z)_[^/]+\.json\.gz$")


def utc(text: str) -> datetime:
    """'2015-08-17T15:01:31Z' (or with an offset) -> aware UTC datetime."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)


def iso(t: datetime) -> str:
    return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def hour_label(t: datetime) -> str:
    return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:00Z")


def digest_key_time(key: str) -> datetime | None:
    """The digest's end time from its key: `..._20150817T150131Z.json.gz`."""
    m = _DIGEST_TIME.search(key)
    return datetime.strptime(m.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc) if m else None


def log_key_time(key: str) -> datetime | None:
    """A log file's time from its name: `ACCT_CloudTrail_REGION_20150817T1455Z_UNIQUE.json.gz`."""
    m = _LOG_TIME.search(key)
    return datetime.strptime(m.group(1), "%Y%m%dT%H%MZ").replace(tzinfo=timezone.utc) if m else None


def days(start: datetime, end: datetime) -> list[date]:
    first, last = start.date(), end.date()
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


@dataclass(frozen=True)
class Window:
    """The digests to verify, by the time each digest ends."""

    start: datetime
    end: datetime


@dataclass(frozen=True)
class ChainId:
    """One digest chain: a trail's digests for one account in one region."""

    bucket: str
    prefix: str  # the trail's S3KeyPrefix, "" if none
    account: str
    region: str
    trail_name: str
    home_region: str
    org_id: str = ""

    @property
    def label(self) -> str:
        return f"{self.account}/{self.region}"

    def _base(self) -> str:
        org = f"{self.org_id}/" if self.org_id else ""
        head = f"{self.prefix.strip('/')}/" if self.prefix.strip("/") else ""
        return f"{head}AWSLogs/{org}{self.account}/"

    def digest_day_prefix(self, day: date) -> str:
        return f"{self._base()}CloudTrail-Digest/{self.region}/{day:%Y/%m/%d}/"

    def log_day_prefix(self, day: date) -> str:
        return f"{self._base()}CloudTrail/{self.region}/{day:%Y/%m/%d}/"

    def digest_key(self, end: datetime) -> str:
        """The key CloudTrail gives the digest that ends at `end`."""
        name = (
            f"{self.account}_CloudTrail-Digest_{self.region}_{self.trail_name}_{self.home_region}_"
            f"{end.astimezone(timezone.utc):%Y%m%dT%H%M%SZ}.json.gz"
        )
        return self.digest_day_prefix(end.date()) + name

    def is_own_digest(self, key: str) -> bool:
        """Another trail may write digests under the same prefix; its name is in the key."""
        name = key.rsplit("/", 1)[-1]
        return name.startswith(
            f"{self.account}_CloudTrail-Digest_{self.region}_{self.trail_name}_{self.home_region}_"
        ) and bool(_DIGEST_TIME.search(name))

    def hour_resource(self, t: datetime) -> str:
        return f"{self.account}/{self.region}/{hour_label(t)}"

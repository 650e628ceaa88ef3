"""The pieces every review query is built from: parameters, the engines' dialect, the AU-3 columns as SQL.

Each query of policies/review/catalog.py is SQL over the `records` relation (policies/review/records.py). The
AU-3 elements of a row (identity, UTC time, action, resource, origin, outcome, log file) are written here once,
so every query reports them alike; what differs between DuckDB and Athena comes from a Dialect.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from auditkit.policies.review.alert_sql import quote
from auditkit.settings.review_settings import ReviewSettings


class Dialect(Protocol):
    """What differs between the engines' SQL (auditors/review/dialect.py implements it once per engine)."""

    def ts(self, t: datetime) -> str: ...
    def iso(self, expr: str) -> str: ...
    def local_minute(self, expr: str, tz: str) -> str: ...
    def local_isodow(self, expr: str, tz: str) -> str: ...
    def local_text(self, expr: str, tz: str) -> str: ...
    def epoch(self, expr: str) -> str: ...
    def first(self, value: str, order: str) -> str: ...
    def joined(self, expr: str) -> str: ...


@dataclass(frozen=True)
class ReviewParams:
    start: datetime  # the period, UTC, [start, end)
    end: datetime
    baseline_start: datetime | None = None  # quarterly: the previous quarter, [baseline_start, start)
    phi_buckets: tuple[str, ...] = ()
    archive_bucket: str | None = None
    settings: ReviewSettings = field(default_factory=ReviewSettings)


class NotReviewable(Exception):
    """The query cannot run with what the review was given (the worksheet says why; never an empty pass)."""


IDENTITY = "COALESCE(identity_arn, user_name, principal_id, identity_type)"
PRINCIPAL = "COALESCE(issuer_arn, identity_arn, user_name, principal_id)"
ACTION = "event_source || ' ' || event_name"
RESOURCE = (
    "COALESCE(CASE WHEN bucket IS NOT NULL THEN 'arn:aws:s3:::' || bucket || COALESCE('/' || object_key, '') END, "
    "role_arn, policy_arn, resource_arn, '-')"
)
OUTCOME = (
    "CASE WHEN error_code IS NOT NULL THEN 'failure: ' || error_code "
    "WHEN login_result = 'Failure' THEN 'failure: ' || COALESCE(error_message, 'ConsoleLogin Failure') "
    "ELSE 'success' END"
)


def period(d: Dialect, p: ReviewParams) -> str:
    return f"event_time >= {d.ts(p.start)} AND event_time < {d.ts(p.end)}"


def au3(d: Dialect) -> str:
    """The AU-3 columns of one event."""
    return (
        f"{IDENTITY} AS identity, {d.iso('event_time')} AS time_utc, {ACTION} AS action, {RESOURCE} AS resource, "
        f"source_ip, user_agent, {OUTCOME} AS outcome, log_file, event_id"
    )


def au3_group(d: Dialect, identity: str) -> str:
    """The AU-3 columns of a group: its identity, first and last time, what was done where from, its first event."""
    return (
        f"{identity} AS identity, {d.iso('MIN(event_time)')} AS time_utc, {d.iso('MAX(event_time)')} AS last_utc, "
        f"{d.joined(ACTION)} AS action, {d.joined(RESOURCE_GROUP)} AS resource, {d.joined('source_ip')} AS source_ip, "
        f"{d.joined('user_agent')} AS user_agent, {d.joined(OUTCOME)} AS outcome, COUNT(*) AS events, "
        f"{d.first('log_file', 'event_time')} AS log_file, {d.first('event_id', 'event_time')} AS event_id"
    )


RESOURCE_GROUP = "COALESCE('arn:aws:s3:::' || bucket, role_arn, policy_arn, resource_arn, '-')"


def values_in(values: tuple[str, ...]) -> str:
    return "(" + ", ".join(quote(v) for v in values) + ")"

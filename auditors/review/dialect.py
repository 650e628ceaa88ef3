"""Every SQL difference between the review engines, in one place: DuckDB (embedded) and Athena (Trino).

The catalog's queries call these for time literals, time zones, epoch seconds, "the value of the first
event" and "the distinct values joined"; the Athena dialect also builds the `records` relation from the Glue
table over the trail's AWSLogs/ prefix (the columns of AWS's CloudTrail table for Athena, "Create the table
for CloudTrail logs in Athena using partition projection"), where DuckDB reads the ingested table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone

from auditkit.policies.review.alert_sql import quote
from auditkit.policies.review.records import COLUMNS


def _utc(t: datetime) -> datetime:
    return t.astimezone(timezone.utc) if t.tzinfo else t


class DuckDialect:
    name = "duckdb"

    def ts(self, t: datetime) -> str:
        return f"TIMESTAMP '{_utc(t):%Y-%m-%d %H:%M:%S}'"

    def iso(self, expr: str) -> str:
        return f"strftime({expr}, '%Y-%m-%dT%H:%M:%SZ')"

    def _local(self, expr: str, tz: str) -> str:
        # timezone('UTC', ts) reads the naive UTC time as an instant; timezone(tz, instant) is its local time.
        return f"timezone({quote(tz)}, timezone('UTC', {expr}))"

    def local_minute(self, expr: str, tz: str) -> str:
        local = self._local(expr, tz)
        return f"(hour({local}) * 60 + minute({local}))"

    def local_isodow(self, expr: str, tz: str) -> str:
        return f"isodow({self._local(expr, tz)})"

    def local_text(self, expr: str, tz: str) -> str:
        return f"strftime({self._local(expr, tz)}, '%Y-%m-%d %H:%M')"

    def epoch(self, expr: str) -> str:
        return f"epoch({expr})"

    def first(self, value: str, order: str) -> str:
        return f"arg_min({value}, {order})"

    def joined(self, expr: str) -> str:
        return f"array_to_string(list_sort(list_distinct(list({expr}))), ', ')"


@dataclass(frozen=True)
class AthenaTable:
    database: str
    table: str


class AthenaDialect:
    name = "athena"

    def ts(self, t: datetime) -> str:
        return f"from_iso8601_timestamp('{_utc(t):%Y-%m-%dT%H:%M:%SZ}')"

    def iso(self, expr: str) -> str:
        return f"date_format({expr}, '%Y-%m-%dT%H:%i:%sZ')"

    def local_minute(self, expr: str, tz: str) -> str:
        local = f"({expr} AT TIME ZONE {quote(tz)})"
        return f"(hour({local}) * 60 + minute({local}))"

    def local_isodow(self, expr: str, tz: str) -> str:
        return f"day_of_week({expr} AT TIME ZONE {quote(tz)})"

    def local_text(self, expr: str, tz: str) -> str:
        return f"date_format({expr} AT TIME ZONE {quote(tz)}, '%Y-%m-%d %H:%i')"

    def epoch(self, expr: str) -> str:
        return f"to_unixtime({expr})"

    def first(self, value: str, order: str) -> str:
        return f"min_by({value}, {order})"

    def joined(self, expr: str) -> str:
        return f"array_join(array_sort(array_distinct(array_agg({expr}))), ', ')"

    def records(self, table: AthenaTable, days: Sequence[date], refused: Sequence[str]) -> str:
        """The `records` relation over the Glue table: the period's day partitions, minus refused files."""
        cols = ["from_iso8601_timestamp(eventtime) AS event_time"]
        for c in COLUMNS:
            cols.append(f"{_athena_path(c.path)} AS {c.name}")
        cols.append('"$path" AS log_file')
        where = f"\"timestamp\" BETWEEN '{min(days):%Y/%m/%d}' AND '{max(days):%Y/%m/%d}'"
        if refused:
            where += ' AND "$path" NOT IN (' + ", ".join(quote(f) for f in sorted(refused)) + ")"
        source = f'"{table.database}"."{table.table}"'
        return f"records AS (SELECT {', '.join(cols)} FROM {source} WHERE {where})"


_JSON_STRINGS = ("requestParameters", "responseElements", "additionalEventData")


def _athena_path(path: tuple[str, ...]) -> str:
    """A CloudTrail path in the Athena table: struct fields, JSON strings, the first resource."""
    head = path[0].lower()
    if path[0] in _JSON_STRINGS:
        return f"json_extract_scalar({head}, '$.{'.'.join(path[1:])}')"
    if path[0] == "resources":
        return f"CASE WHEN cardinality(resources) > 0 THEN resources[1].{path[2].lower()} END"
    return ".".join(p.lower() for p in path)


def with_records(records: str, query: str) -> str:
    return f"WITH {records} {query}"

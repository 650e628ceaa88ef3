"""Which records a review can need: a sieve applied while the log files are read, before the engine parses them.

A busy account writes millions of records a week and a review's queries read a few thousand. Each query
declares a sieve: conditions on a few record fields, at least one of which every record its SQL can select
satisfies (an over-approximation, never narrower than the query). The engine keeps the records that pass the
union of the cadence's sieves and drops the rest before parsing them into columns; counting records is not
affected. A query that cannot say (a `!=` or NOT EXISTS on its own, for example) has the sieve EVERYTHING and
every record is kept.

Conditions compare the field's JSON string value exactly as the SQL does: `equals` is SQL `=`, `matches` is a
LIKE pattern whose only wildcard is `%` (case-sensitive; the SQL escapes a literal `_`). tests/test_review_sieve.py checks every AWS alert's
corpus and every query's rows with and without the sieve.

Known limit: a JSON object with a repeated key is read by msgspec (the sieve) with the last value and by DuckDB
(the engine) with the first. CloudTrail writes no such record, and a file changed after delivery fails its
digest (`review aws --trail`); a local copy is reviewed as it is, unverified, as its worksheet says.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from auditkit.policies.alerts.filter_pattern import Absent, Both, Compare, Either, Is, Node, parse_json_pattern
from auditkit.policies.review.records import BY_PATH, COLUMNS

SIEVE_COLUMNS: dict[str, tuple[str, ...]] = {c.name: c.path for c in COLUMNS if c.path[0] != "resources"}


@dataclass(frozen=True, order=True)
class Condition:
    column: str  # a column of policies/review/records.py (not resources: the sieve reads objects, not arrays)
    value: str
    like: bool = False  # value is a LIKE pattern whose only wildcard is `%` (the SQL escapes `_`); else SQL `=`
    lower: bool = False  # compared with the field in lower case (SQL `LOWER(column)`): value is lower case

    def __post_init__(self) -> None:
        if self.column not in SIEVE_COLUMNS:
            raise ValueError(f"sieve column {self.column!r}: one of {', '.join(sorted(SIEVE_COLUMNS))}")

    def describe(self) -> str:
        column = f"LOWER({self.column})" if self.lower else self.column
        return f"{column} {'LIKE' if self.like else '='} '{self.value}'"

    def matcher(self) -> Callable[[str], bool]:
        if self.like:
            pattern = re.compile(".*".join(re.escape(part) for part in self.value.split("%")), re.DOTALL)
            test: Callable[[str], bool] = lambda text: pattern.fullmatch(text) is not None  # noqa: E731
        else:
            test = self.value.__eq__
        if not self.lower:
            return test
        # Python and DuckDB lower ASCII alike; beyond ASCII their case mappings differ, so such a value is kept.
        return lambda text: not text.isascii() or test(text.lower())


@dataclass(frozen=True)
class Sieve:
    """Keep a record when any condition holds; `conditions` None keeps every record."""

    conditions: frozenset[Condition] | None

    def columns(self) -> tuple[str, ...]:
        return tuple(sorted({c.column for c in self.conditions or ()}))

    def describe(self) -> list[str]:
        """The conditions as the worksheet states them (a record meeting any one was parsed)."""
        return ["every record"] if self.conditions is None else sorted(c.describe() for c in self.conditions)


EVERYTHING = Sieve(None)


def any_of(*conditions: Condition) -> Sieve:
    return Sieve(frozenset(conditions))


def equals(column: str, values: Iterable[str]) -> Sieve:
    return Sieve(frozenset(Condition(column, v) for v in values))


def union(sieves: Iterable[Sieve]) -> Sieve:
    out: set[Condition] = set()
    for s in sieves:
        if s.conditions is None:
            return EVERYTHING
        out |= s.conditions
    return Sieve(frozenset(out))


def _column(steps: tuple[tuple[str, object], ...]) -> str | None:
    if any(kind != "key" for kind, _ in steps):
        return None
    name = BY_PATH.get(tuple(str(arg) for _, arg in steps))
    return name if name in SIEVE_COLUMNS else None


def _compare(node: Compare) -> Sieve:
    col, text = _column(node.steps), node.literal.text
    if col is None or node.op != "=" or node.literal.regex or node.literal.number is not None:
        return EVERYTHING  # a number compares as a number in CloudWatch: its JSON text is not the pattern's
    if "*" not in text:
        return any_of(Condition(col, text))
    if not text.strip("*") or "%" in text:
        return EVERYTHING
    return any_of(Condition(col, text.replace("*", "%"), like=True))


# How few records a condition on the column lets through in CloudTrail, best first: an event name is rare, an
# event source (every Describe* of EC2) is not. Unlisted columns rank with identity_type.
_SELECTIVE = ("event_name", "bucket", "role_arn", "policy_arn", "user_name", "identity_arn", "issuer_arn")


def _rank(s: Sieve) -> tuple[int, int, list[Condition]]:
    cols = [_SELECTIVE.index(c.column) if c.column in _SELECTIVE else len(_SELECTIVE) for c in s.conditions or ()]
    return (max(cols, default=0), len(cols), sorted(s.conditions or ()))


def _narrowest(parts: list[Sieve]) -> Sieve:
    """A conjunction needs every part, so any one part's sieve holds for it: the most selective one."""
    known = [p for p in parts if p.conditions is not None]
    return min(known, key=_rank) if known else EVERYTHING


def node_sieve(node: Node) -> Sieve:
    if isinstance(node, Compare):
        return _compare(node)
    if isinstance(node, (Absent, Is)):
        return EVERYTHING
    if isinstance(node, Both):
        return _narrowest([node_sieve(p) for p in node.parts])
    assert isinstance(node, Either)
    return union(node_sieve(p) for p in node.parts)


def pattern_sieve(pattern: str) -> Sieve:
    """The sieve of a rendered JSON filter pattern (the same tree alert_sql translates to SQL)."""
    return node_sieve(parse_json_pattern(pattern))

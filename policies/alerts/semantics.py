"""Semantic judges: an alert's filter is judged by what it matches in the alert's corpus, never by its text.

A filter satisfies an alert when it matches every must-match event and no must-not-match event. A
filter that cannot be parsed is an ERROR naming the filter (never a PASS or a FAIL). KQL scheduled queries
are not evaluated: their verdict says they are judged by configuration only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from auditkit.policies.alerts.activity_condition import ConditionError, compile_condition
from auditkit.policies.alerts.filter_pattern import compile_pattern
from auditkit.policies.alerts.filter_values import FilterPatternError
from auditkit.policies.alerts.logging_query import LoggingQueryError, compile_query
from auditkit.policies.alerts.model import CloudAlert, Corpus, Language


class Outcome(str, Enum):
    PASS = "pass"
    FAIL = "fail"
    ERROR = "error"
    CONFIGURATION_ONLY = "configuration_only"


@dataclass(frozen=True)
class FilterVerdict:
    """What one filter matched of one corpus. `missed`/`overmatched` name corpus events."""

    filter_name: str
    filter_text: str
    outcome: Outcome
    missed: tuple[str, ...] = ()
    overmatched: tuple[str, ...] = ()
    error: str = ""

    @property
    def passed(self) -> bool:
        return self.outcome is Outcome.PASS

    @property
    def message(self) -> str:
        name = f"filter {self.filter_name!r}" if self.filter_name else "the filter"
        if self.outcome is Outcome.ERROR:
            return f"{name} could not be read: {self.error}"
        if self.outcome is Outcome.CONFIGURATION_ONLY:
            return f"{name} is a log query AuditKit does not evaluate; it is judged by its configuration only"
        if self.outcome is Outcome.PASS:
            return f"{name} matches every must-match event and no must-not-match event"
        parts = []
        if self.missed:
            parts.append("misses " + "; ".join(repr(m) for m in self.missed))
        if self.overmatched:
            parts.append("also matches " + "; ".join(repr(m) for m in self.overmatched))
        return f"{name} " + " and ".join(parts)


def judge_matcher(matches: Callable[[Mapping[str, Any]], bool], corpus: Corpus, name: str, text: str) -> FilterVerdict:
    missed = tuple(e.name for e in corpus.must_match if not matches(e.event))
    over = tuple(e.name for e in corpus.must_not_match if matches(e.event))
    outcome = Outcome.PASS if not missed and not over else Outcome.FAIL
    return FilterVerdict(name, text, outcome, missed, over)


def judge_pattern(text: str, corpus: Corpus, name: str = "") -> FilterVerdict:
    """A CloudWatch Logs metric filter pattern against a CloudTrail corpus."""
    try:
        compiled = compile_pattern(text)
    except FilterPatternError as err:
        return FilterVerdict(name, text, Outcome.ERROR, error=str(err))
    return judge_matcher(compiled.matches, corpus, name, text)


def judge_query(text: str, corpus: Corpus, name: str = "") -> FilterVerdict:
    """A Cloud Logging filter (a log-based metric's) against an AuditLog corpus."""
    try:
        compiled = compile_query(text)
    except LoggingQueryError as err:
        return FilterVerdict(name, text, Outcome.ERROR, error=str(err))
    return judge_matcher(compiled.matches, corpus, name, text)


def judge_condition(
    condition: Mapping[str, Any], scopes: Sequence[str], corpus: Corpus, name: str = ""
) -> FilterVerdict:
    """An Azure activity log alert (condition and scopes) against an Activity Log corpus."""
    text = repr(dict(condition)) if isinstance(condition, Mapping) else repr(condition)
    try:
        compiled = compile_condition(condition, scopes)
    except ConditionError as err:
        return FilterVerdict(name, text, Outcome.ERROR, error=str(err))
    return judge_matcher(compiled.matches, corpus, name, text)


def judge(
    variant: CloudAlert,
    deployed: str | Mapping[str, Any],
    name: str = "",
    scopes: Sequence[str] = (),
) -> FilterVerdict:
    """Judge what a deployed filter (text, or an Azure condition) matches of the variant's corpus."""
    if variant.language is Language.KQL or variant.corpus is None:
        text = deployed if isinstance(deployed, str) else repr(deployed)
        return FilterVerdict(name, text, Outcome.CONFIGURATION_ONLY)
    if variant.language is Language.ACTIVITY_LOG_CONDITION:
        if isinstance(deployed, str):
            return FilterVerdict(name, deployed, Outcome.ERROR, error="an activity log alert condition is an object")
        return judge_condition(deployed, scopes, variant.corpus, name)
    if not isinstance(deployed, str):
        return FilterVerdict(name, repr(deployed), Outcome.ERROR, error="a filter is text")
    if variant.language is Language.LOGGING_QUERY:
        return judge_query(deployed, variant.corpus, name)
    return judge_pattern(deployed, variant.corpus, name)


def first_satisfying(verdicts: Sequence[FilterVerdict]) -> FilterVerdict | None:
    """The first filter that satisfies the alert; None when none does (the caller reports why each failed)."""
    return next((v for v in verdicts if v.passed), None)

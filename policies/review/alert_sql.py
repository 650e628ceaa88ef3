"""An alert's CloudWatch Logs filter pattern as a SQL predicate over the review's `records` columns.

The review's high-risk events are the events the deployed alarms count: each JSON pattern of the alert
catalog is parsed by the same parser the evaluator uses and rewritten node by node. CloudWatch semantics
carried over: a missing property matches neither `=` nor `!=` (SQL NULL), `NOT EXISTS` is IS NULL, `*`
is a wildcard anywhere in the value (LIKE), patterns are case sensitive. A node that has no exact SQL form
(IS NULL/TRUE/FALSE, %regex%, a path the records do not carry) is refused: the alert is then reported as not
reviewed, never approximated. tests/test_review_catalog.py checks every AWS alert against its corpus.
"""

from __future__ import annotations

from auditkit.policies.alerts.filter_pattern import Absent, Both, Compare, Either, Is, Node, parse_json_pattern
from auditkit.policies.review.records import BY_PATH


class Untranslatable(ValueError):
    """A pattern node with no exact SQL form over the records' columns."""


def quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _column(steps: tuple[tuple[str, object], ...]) -> str:
    if any(kind != "key" for kind, _ in steps):
        raise Untranslatable("array indexes and wildcard selectors are not translated")
    path = tuple(str(arg) for _, arg in steps)
    if path not in BY_PATH:
        raise Untranslatable(f"$.{'.'.join(path)} is not a column of the review's records")
    return BY_PATH[path]


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_").replace("*", "%")
    return f"{quote(escaped)} ESCAPE '\\'"


def like(column: str, pattern: str) -> str:
    """`column LIKE pattern` where `%` is the only wildcard and every other character is itself."""
    parts = (p.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") for p in pattern.split("%"))
    return f"{column} LIKE {quote('%'.join(parts))} ESCAPE '\\'"


def _compare(node: Compare) -> str:
    col, lit = _column(node.steps), node.literal
    if lit.regex:
        raise Untranslatable("%regex% values are not translated")
    if node.op not in ("=", "!="):
        raise Untranslatable(f"numeric comparison {node.op} is not translated")
    if "*" in lit.text:
        if lit.text.strip("*") == "":
            return f"{col} IS NOT NULL" if node.op == "=" else "FALSE"
        return f"{col} {'LIKE' if node.op == '=' else 'NOT LIKE'} {_like(lit.text)}"
    return f"{col} {node.op} {quote(lit.text)}"


def predicate(node: Node) -> str:
    if isinstance(node, Compare):
        return _compare(node)
    if isinstance(node, Absent):
        return f"{_column(node.steps)} IS NULL"
    if isinstance(node, Is):
        raise Untranslatable("IS NULL/TRUE/FALSE is not translated (the records keep text only)")
    joiner = " AND " if isinstance(node, Both) else " OR "
    assert isinstance(node, (Both, Either))
    return "(" + joiner.join(predicate(p) for p in node.parts) + ")"


def pattern_predicate(pattern: str) -> str:
    """The SQL predicate for a rendered JSON filter pattern; Untranslatable if it has no exact form."""
    return predicate(parse_json_pattern(pattern))

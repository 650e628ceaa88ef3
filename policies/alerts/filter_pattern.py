"""CloudWatch Logs filter patterns, parsed once and compiled to a closure that judges log events.

Source: AWS CloudWatch Logs User Guide, "Filter pattern syntax for metric filters, subscription filters,
filter log events, and Live Tail" (FilterAndPatternSyntax.html). Three forms:
- JSON `{ SELECTOR OP VALUE ... }`: selectors `$.a.b`, `$.a[0]`, `$.a[*]`, `$.*`, `$.['dotted.key']`;
  `= != < > <= >=`, `IS NULL|TRUE|FALSE`, `NOT EXISTS`; `&&` binds tighter than `||` ("() > && > ||").
- space-delimited `[a, b=..., ...]` and plain terms (`ERROR`, `"a phrase"`, `-term`, `?term`, `%regex%`):
  see filter_text.py.

Semantics the page states, and where it is silent what AWS was observed to do:
- A selector that points to an array or object matches neither `=` nor `!=` ("the filter won't match").
- `!=` on a missing property does not match (DataBiosphere/azul#5884, tested with the console's test
  pattern: `$.userIdentity.invokedBy != "x"` is false when `invokedBy` is absent). `NOT EXISTS` tests absence.
- Value nodes are strings and numbers; `null`, `true`, `false` are tested with `IS NULL|TRUE|FALSE` only.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from auditkit.policies.alerts.filter_selectors import MISSING, Steps, getter, resolve_all
from auditkit.policies.alerts.filter_text import compile_delimited, compile_terms
from auditkit.policies.alerts.filter_values import (
    FilterPatternError,
    Literal,
    comparison,
    read_quoted,
    read_regex,
    text_of,
)

Matcher = Callable[[Any], bool]
_NAME_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-@")
_OPERATORS = ("!=", "<=", ">=", "=", "<", ">")
_MAX_REGEX = 2  # "a limit of 2 regex for each filter pattern when creating a delimited or JSON filter pattern"
_MAX_WILDCARD_SELECTORS = 3  # "up to three wildcard selectors in a filter pattern with compound expressions"


@dataclass(frozen=True)
class CompiledPattern:
    """A parsed filter pattern. `matches` takes a parsed JSON record or the raw log message text."""

    text: str
    form: str  # "json" | "delimited" | "terms"
    _json: Matcher | None
    _message: Callable[[str], bool] | None

    def matches(self, event: Mapping[str, Any] | str) -> bool:
        if self._json is not None:
            if isinstance(event, str):
                try:
                    event = json.loads(event)
                except ValueError:
                    return False  # a JSON pattern never matches a message that is not JSON
            return self._json(event)
        assert self._message is not None
        return self._message(event if isinstance(event, str) else as_message(event))


def as_message(record: Mapping[str, Any]) -> str:
    """A JSON record as one line, the way CloudTrail delivers each event to CloudWatch Logs."""
    return json.dumps(record, separators=(",", ":"))


def compile_pattern(text: str) -> CompiledPattern:
    """Parse a filter pattern once; raises FilterPatternError (position and reason) if it cannot be parsed."""
    body = text.strip()
    if body.startswith("{"):
        if not body.endswith("}"):
            raise FilterPatternError(text, len(text), "a JSON pattern must end with '}'")
        start = text.index("{") + 1
        parser = _JsonParser(text, start, text.rindex("}"))
        return CompiledPattern(text, "json", compile_node(parser.parse()), None)
    if body.startswith("["):
        return CompiledPattern(text, "delimited", None, compile_delimited(text))
    return CompiledPattern(text, "terms", None, compile_terms(text))


class _JsonParser:
    """Recursive descent over the text between the braces: or := and ('||' and)*; and := unary ('&&' unary)*."""

    def __init__(self, pattern: str, start: int, end: int) -> None:
        self.pattern, self.pos, self.end = pattern, start, end
        self.regexes = 0
        self.wildcards = 0

    def parse(self) -> Node:
        self._skip()
        if self.pos >= self.end:
            raise FilterPatternError(self.pattern, self.pos, "empty JSON pattern")
        matcher = self._or()
        self._skip()
        if self.pos < self.end:
            raise FilterPatternError(self.pattern, self.pos, f"unexpected {self.pattern[self.pos]!r}")
        return matcher

    def _skip(self) -> None:
        while self.pos < self.end and self.pattern[self.pos].isspace():
            self.pos += 1

    def _peek(self, token: str) -> bool:
        self._skip()
        return self.pattern.startswith(token, self.pos) and self.pos + len(token) <= self.end

    def _or(self) -> Node:
        parts = [self._and()]
        while self._peek("||"):
            self.pos += 2
            parts.append(self._and())
        return Either(tuple(parts)) if len(parts) > 1 else parts[0]

    def _and(self) -> Node:
        parts = [self._unary()]
        while self._peek("&&"):
            self.pos += 2
            parts.append(self._unary())
        return Both(tuple(parts)) if len(parts) > 1 else parts[0]

    def _unary(self) -> Node:
        if self._peek("("):
            self.pos += 1
            inner = self._or()
            if not self._peek(")"):
                raise FilterPatternError(self.pattern, self.pos, "expected ')'")
            self.pos += 1
            return inner
        return self._comparison()

    def _comparison(self) -> Node:
        self._skip()
        at = self.pos
        if not self._peek("$"):
            raise FilterPatternError(self.pattern, self.pos, "expected a property selector starting with '$'")
        steps = self._selector()
        self._skip()
        for op in _OPERATORS:
            if self._peek(op):
                self.pos += len(op)
                literal = self._value()
                return Compare(steps, op, literal, comparison(self.pattern, at, op, literal))
        word = self._word().upper()
        if word == "IS":
            self._skip()
            after_is = self.pos
            what = self._word().upper()
            expected = {"NULL": None, "TRUE": True, "FALSE": False}
            if what not in expected:
                raise FilterPatternError(self.pattern, after_is, "expected NULL, TRUE or FALSE after IS")
            return Is(steps, expected[what])
        if word == "NOT" and self._word().upper() in ("EXISTS", "EXIST"):
            return Absent(steps)
        raise FilterPatternError(self.pattern, at, "expected an operator (= != < > <= >=), IS or NOT EXISTS")

    def _word(self) -> str:
        self._skip()
        start = self.pos
        while self.pos < self.end and self.pattern[self.pos].isalpha():
            self.pos += 1
        return self.pattern[start : self.pos]

    def _selector(self) -> Steps:
        p, wildcards = self.pattern, 0
        steps: list[tuple[str, Any]] = []
        self.pos += 1  # the '$'
        while self.pos < self.end and p[self.pos] in ".[":
            if p.startswith(".[", self.pos):
                self.pos += 1
            if p[self.pos] == ".":
                self.pos += 1
                if self.pos < self.end and p[self.pos] == "*":
                    self.pos += 1
                    steps.append(("any", None))
                    wildcards += 1
                    continue
                start = self.pos
                while self.pos < self.end and p[self.pos] in _NAME_CHARS:
                    self.pos += 1
                if start == self.pos:
                    raise FilterPatternError(p, start, "expected a property name after '.'")
                steps.append(("key", p[start : self.pos]))
            else:
                steps.append(self._bracket())
                wildcards += steps[-1][0] == "any"
        if not steps:
            raise FilterPatternError(p, self.pos, "a selector needs at least one property after '$'")
        if wildcards > 1:
            raise FilterPatternError(p, self.pos, "only one wildcard selector is allowed in a property selector")
        self.wildcards += wildcards
        if self.wildcards > _MAX_WILDCARD_SELECTORS:
            raise FilterPatternError(p, self.pos, "at most three wildcard selectors are allowed in a filter pattern")
        return tuple(steps)

    def _bracket(self) -> tuple[str, Any]:
        p, start = self.pattern, self.pos
        close = p.find("]", start)
        if close < 0 or close > self.end:
            raise FilterPatternError(p, start, "unterminated '['")
        inside = p[start + 1 : close].strip()
        self.pos = close + 1
        if inside == "*":
            return ("any", None)
        if inside.isdigit():
            return ("index", int(inside))
        if len(inside) >= 2 and inside[0] == inside[-1] and inside[0] in "'\"":
            return ("key", inside[1:-1])
        raise FilterPatternError(p, start, "expected [number], [*] or ['key'] after a property")

    def _value(self) -> Literal:
        self._skip()
        p, start = self.pattern, self.pos
        if start >= self.end:
            raise FilterPatternError(p, start, "expected a value after the operator")
        if p[start] == '"':
            text, self.pos = read_quoted(p, start)
            return Literal(text, quoted=True)
        if p[start] == "%":
            text, self.pos = read_regex(p, start)
            self.regexes += 1
            if self.regexes > _MAX_REGEX:
                raise FilterPatternError(p, start, "at most 2 %regex% are allowed in a JSON filter pattern")
            return Literal(text, regex=True)
        while self.pos < self.end and not p[self.pos].isspace() and p[self.pos] not in "()&|":
            self.pos += 1
        if start == self.pos:
            raise FilterPatternError(p, start, "expected a value after the operator")
        return Literal(p[start : self.pos])


@dataclass(frozen=True)
class Compare:
    steps: Steps
    op: str
    literal: Literal
    test: Matcher


@dataclass(frozen=True)
class Is:
    steps: Steps
    value: bool | None


@dataclass(frozen=True)
class Absent:
    steps: Steps


@dataclass(frozen=True)
class Both:
    parts: tuple[Node, ...]


@dataclass(frozen=True)
class Either:
    parts: tuple[Node, ...]


Node = Compare | Is | Absent | Both | Either


def compile_node(node: Node) -> Matcher:
    """One closure per node; an OR of exact string equalities on one selector becomes a set lookup."""
    if isinstance(node, Compare):
        return _on_value(node.steps, node.test)
    if isinstance(node, Is):
        want = node.value
        return _on_value(node.steps, lambda v: v is want, containers=True)
    if isinstance(node, Absent):
        return _absent(node.steps)
    if isinstance(node, Both):
        return _all([compile_node(p) for p in node.parts])
    return _any(_merge_equalities(node.parts))


def _exact(node: Node) -> Compare | None:
    """A `selector = "text"` comparison with no wildcard, regex or number: testable by set membership."""
    if not isinstance(node, Compare) or node.op != "=" or any(kind == "any" for kind, _ in node.steps):
        return None
    lit = node.literal
    return node if not lit.regex and "*" not in lit.text and lit.number is None else None


def _merge_equalities(parts: tuple[Node, ...]) -> list[Matcher]:
    groups: dict[Steps, set[str]] = {}
    rest: list[Matcher] = []
    for part in parts:
        exact = _exact(part)
        if exact is None:
            rest.append(compile_node(part))
        else:
            groups.setdefault(exact.steps, set()).add(exact.literal.text)
    merged = [_member(steps, frozenset(values)) for steps, values in groups.items()]
    return merged + rest


def _member(steps: Steps, values: frozenset[str]) -> Matcher:
    get = getter(steps)

    def member(e: Any) -> bool:
        v = get(e)
        if v.__class__ is str:
            return v in values
        text = text_of(v)  # a number written as a quoted string still equals it, as in `equality`
        return text is not None and text in values

    return member


def _on_value(steps: Steps, test: Matcher, containers: bool = False) -> Matcher:
    """Apply `test` to the value node(s) the selector reaches; arrays and objects never match a comparison."""

    def node_test(v: Any) -> bool:
        return (containers or not isinstance(v, (dict, list))) and test(v)

    if any(kind == "any" for kind, _ in steps):
        resolve = resolve_all(steps)
        return lambda e: any(node_test(v) for v in resolve(e))
    get = getter(steps)

    def on(e: Any) -> bool:
        v = get(e)
        return v is not MISSING and node_test(v)

    return on


def _absent(steps: Steps) -> Matcher:
    if any(kind == "any" for kind, _ in steps):
        resolve = resolve_all(steps)
        return lambda e: not resolve(e)
    get = getter(steps)
    return lambda e: get(e) is MISSING


def _all(parts: list[Matcher]) -> Matcher:
    if len(parts) == 2:
        a, b = parts
        return lambda e: a(e) and b(e)
    return lambda e: all(p(e) for p in parts)


def _any(parts: list[Matcher]) -> Matcher:
    if len(parts) == 1:
        return parts[0]
    if len(parts) == 2:
        a, b = parts
        return lambda e: a(e) or b(e)
    return lambda e: any(p(e) for p in parts)


def parse_json_pattern(text: str) -> Node:
    """The tree of a JSON filter pattern, as compile_pattern reads it (for translating it to other languages)."""
    body = text.strip()
    if not (body.startswith("{") and body.endswith("}")):
        raise FilterPatternError(text, 0, "expected a JSON pattern { ... }")
    return _JsonParser(text, text.index("{") + 1, text.rindex("}")).parse()

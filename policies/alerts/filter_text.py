"""The two text forms of CloudWatch Logs filter patterns: plain terms and space-delimited fields.

Source: AWS CloudWatch Logs User Guide, "Filter pattern syntax ..." sections "Using filter patterns to match
terms in unstructured log events" and "... in space-delimited log events".
- Terms: every term must occur (case sensitive, anywhere, so `ERROR` matches `ERRORCODE`); `-term` must not
  occur; `"a phrase"` is one term; `?a ?b` matches either, but "if you combine ? with other filter patterns,
  all question mark terms will be ignored"; `" "` matches everything; `%regex%` searches the message.
- Space-delimited: `[ip, user, ..., status_code = 4* || status_code = 410, bytes > 1000]`. A log line splits
  on spaces, with text in `[...]` or `"..."` one field (brackets and quotes dropped, as the page's extracted
  fields show); `...` stands for any number of fields. With fewer pattern fields than line fields, the last
  field takes the rest of the line: the page's `[w1=ERROR, w2]` returns `ERROR 09/25/2014 12:00:02 Failed
  to process request` ("include a blank w2 indicator").
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from auditkit.policies.alerts.filter_values import (
    FilterPatternError,
    Literal,
    comparison,
    compile_regex,
    read_quoted,
    read_regex,
)

_FIELD_OPS = ("!=", "<=", ">=", "=", "<", ">")
_NAME = re.compile(r"[A-Za-z0-9_]+")
_ELLIPSIS = "..."


def compile_terms(pattern: str) -> Callable[[str], bool]:
    """Plain terms: all required terms, no excluded term, or any `?` term when only `?` terms are given."""
    required: list[Callable[[str], bool]] = []
    excluded: list[Callable[[str], bool]] = []
    optional: list[Callable[[str], bool]] = []
    everything = False
    i = 0
    while i < len(pattern):
        if pattern[i].isspace():
            i += 1
            continue
        kind = pattern[i] if pattern[i] in "-?" else ""
        start = i + len(kind)
        test, i, blank = _term(pattern, start)
        everything = everything or blank
        {"": required, "-": excluded, "?": optional}[kind].append(test)
    if everything and not excluded:
        return lambda message: True
    if required or excluded:
        return lambda m: all(t(m) for t in required) and not any(t(m) for t in excluded)
    if optional:
        return lambda m: any(t(m) for t in optional)
    return lambda message: True  # the empty pattern matches every event


def _term(pattern: str, start: int) -> tuple[Callable[[str], bool], int, bool]:
    """One term at `start`: its test, the index after it, and whether it is the match-everything `" "`."""
    if start >= len(pattern) or pattern[start].isspace():
        raise FilterPatternError(pattern, start, "expected a term after '-' or '?'")
    if pattern[start] == '"':
        text, end = read_quoted(pattern, start)
        if not text.strip():
            return (lambda m: True), end, True
        return (lambda m: text in m), end, False
    if pattern[start] == "%":
        body, end = read_regex(pattern, start)
        rx = compile_regex(pattern, start, body)
        return (lambda m: rx.search(m) is not None), end, False
    end = start
    while end < len(pattern) and not pattern[end].isspace():
        end += 1
    word = pattern[start:end]
    return (lambda m: word in m), end, False


@dataclass(frozen=True)
class _Slot:
    name: str | None  # None for `...`
    test: Callable[[dict[str, str]], bool] | None


def compile_delimited(pattern: str) -> Callable[[str], bool]:
    body = pattern.strip()
    if not body.endswith("]"):
        raise FilterPatternError(pattern, len(pattern), "a space-delimited pattern must end with ']'")
    start = pattern.index("[") + 1
    slots = [_slot(pattern, s, e) for s, e in _split_fields(pattern, start, pattern.rindex("]"))]
    regexes = sum(1 for s, e in _split_fields(pattern, start, pattern.rindex("]")) if "%" in pattern[s:e])
    if regexes > 2:
        raise FilterPatternError(pattern, start, "at most 2 %regex% are allowed in a space-delimited filter pattern")
    tests = [s.test for s in slots if s.test is not None]

    def matches(message: str) -> bool:
        fields = _align(slots, split_line(message))
        return fields is not None and all(t(fields) for t in tests)

    return matches


def _split_fields(pattern: str, start: int, end: int) -> list[tuple[int, int]]:
    """Top-level comma-separated spans between the brackets (commas inside quotes or a regex do not count)."""
    spans, i, field_start = [], start, start
    while i < end:
        ch = pattern[i]
        if ch == '"':
            i = read_quoted(pattern, i)[1]
            continue
        if ch == "%":
            i = read_regex(pattern, i)[1]
            continue
        if ch == ",":
            spans.append((field_start, i))
            field_start = i + 1
        i += 1
    spans.append((field_start, end))
    # "[..., request=*.html*, status_code=4*,]": a trailing comma adds no field.
    return [(s, e) for s, e in spans if pattern[s:e].strip() or (s, e) != spans[-1]]


def _slot(pattern: str, start: int, end: int) -> _Slot:
    text = pattern[start:end].strip()
    if not text:
        raise FilterPatternError(pattern, start, "empty field in a space-delimited pattern")
    if text == _ELLIPSIS:
        return _Slot(None, None)
    if _NAME.fullmatch(text):
        return _Slot(text, None)
    parser = _ConditionParser(pattern, start, end)
    test = parser.parse()
    return _Slot(parser.first_name, test)


class _ConditionParser:
    """Conditions inside one field: `name OP value` joined by `&&` (binding tighter) and `||`."""

    def __init__(self, pattern: str, start: int, end: int) -> None:
        self.pattern, self.pos, self.end = pattern, start, end
        self.first_name: str | None = None

    def parse(self) -> Callable[[dict[str, str]], bool]:
        test = self._or()
        self._skip()
        if self.pos < self.end:
            raise FilterPatternError(self.pattern, self.pos, f"unexpected {self.pattern[self.pos]!r}")
        return test

    def _skip(self) -> None:
        while self.pos < self.end and self.pattern[self.pos].isspace():
            self.pos += 1

    def _peek(self, token: str) -> bool:
        self._skip()
        return self.pattern.startswith(token, self.pos)

    def _or(self) -> Callable[[dict[str, str]], bool]:
        parts = [self._and()]
        while self._peek("||"):
            self.pos += 2
            parts.append(self._and())
        return parts[0] if len(parts) == 1 else (lambda f: any(p(f) for p in parts))

    def _and(self) -> Callable[[dict[str, str]], bool]:
        parts = [self._condition()]
        while self._peek("&&"):
            self.pos += 2
            parts.append(self._condition())
        return parts[0] if len(parts) == 1 else (lambda f: all(p(f) for p in parts))

    def _condition(self) -> Callable[[dict[str, str]], bool]:
        self._skip()
        at = self.pos
        m = _NAME.match(self.pattern, self.pos, self.end)
        if not m:
            raise FilterPatternError(self.pattern, self.pos, "expected a field name")
        name = m.group(0)
        self.first_name = self.first_name or name
        self.pos = m.end()
        self._skip()
        op = next((o for o in _FIELD_OPS if self.pattern.startswith(o, self.pos)), None)
        if op is None:
            raise FilterPatternError(self.pattern, self.pos, "expected an operator (= != < > <= >=)")
        self.pos += len(op)
        test = comparison(self.pattern, at, op, self._value())
        return lambda fields: name in fields and test(fields[name])

    def _value(self) -> Literal:
        self._skip()
        p, start = self.pattern, self.pos
        if start < self.end and p[start] == '"':
            text, self.pos = read_quoted(p, start)
            return Literal(text, quoted=True)
        if start < self.end and p[start] == "%":
            text, self.pos = read_regex(p, start)
            return Literal(text, regex=True)
        while self.pos < self.end and not p[self.pos].isspace() and not p.startswith(("&&", "||"), self.pos):
            self.pos += 1
        if start == self.pos:
            raise FilterPatternError(p, start, "expected a value after the operator")
        return Literal(p[start : self.pos])


def split_line(message: str) -> list[str]:
    """Fields of a space-delimited log line; `[...]` and `"..."` are single fields without their delimiters."""
    fields: list[str] = []
    i, n = 0, len(message)
    while i < n:
        if message[i].isspace():
            i += 1
            continue
        closer = {"[": "]", '"': '"'}.get(message[i])
        if closer:
            end = message.find(closer, i + 1)
            end = n if end < 0 else end
            fields.append(message[i + 1 : end])
            i = end + 1
            continue
        start = i
        while i < n and not message[i].isspace():
            i += 1
        fields.append(message[start:i])
    return fields


def _align(slots: list[_Slot], fields: list[str]) -> dict[str, str] | None:
    """Bind named slots to line fields; `...` takes any number, the last named slot takes any surplus."""
    if _without_ellipsis(slots):
        if len(fields) < len(slots):
            return None
        bound = {s.name: f for s, f in zip(slots[:-1], fields, strict=False) if s.name}
        last = slots[-1].name
        if last:
            bound[last] = " ".join(fields[len(slots) - 1 :])
        return bound
    return _align_ellipsis(slots, fields, 0, 0, {})


def _without_ellipsis(slots: list[_Slot]) -> bool:
    return all(s.name is not None for s in slots)


def _align_ellipsis(
    slots: list[_Slot], fields: list[str], i: int, j: int, bound: dict[str, str]
) -> dict[str, str] | None:
    if i == len(slots):
        return bound if j == len(fields) else None
    slot = slots[i]
    if slot.name is None:
        for k in range(j, len(fields) + 1):
            found = _align_ellipsis(slots, fields, i + 1, k, bound)
            if found is not None:
                return found
        return None
    if j >= len(fields):
        return None
    return _align_ellipsis(slots, fields, i + 1, j + 1, {**bound, slot.name: fields[j]})

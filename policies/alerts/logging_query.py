"""Cloud Logging query language: the subset log-based metrics use, parsed once and evaluated over LogEntry JSON.

Source: cloud.google.com/logging/docs/view/logging-query-language. What this module relies on:
- "The NOT operator has the highest precedence, followed by OR and AND in that order": `a OR NOT b AND c`
  is `(a OR (NOT b)) AND c`. AND may be omitted (juxtaposition is AND); `-` may replace NOT; operators must
  be upper case ("lowercase and, or, and not are parsed as search terms"); `--` starts a comment.
- Comparisons `FIELD OP VALUE` with `= != < <= > >= : =~ !~`; `FIELD:*` tests presence; a parenthesized
  VALUE (`resource.type = ("a" OR "b")`) applies the field and operator to each element.
- String comparisons ignore letter case (NFKC_CF; casefold here); regular expressions (RE2) are case
  sensitive and unanchored. `:` is "has": a substring match.
- An array field: "each member of the array is compared to [VALUE] and the results are joined together
  using the OR operator". Field names inside protoPayload need not preserve case; jsonPayload and labels do.
- Missing payload/label fields: every comparison fails, `missing != foo` is FALSE, `NOT missing = foo` TRUE.
- A bare value is a global restriction: it matches if any field of the entry has it (`:`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

Entry = Mapping[str, Any]
Test = Callable[[Entry], bool]
_OPS = ("=~", "!~", "!=", "<=", ">=", ":", "=", "<", ">")
_BARE_STOP = set(' \t\r\n()":=<>!~,')
_SEVERITY = {"DEFAULT": 0, "DEBUG": 100, "INFO": 200, "NOTICE": 300, "WARNING": 400, "ERROR": 500}
_SEVERITY |= {"CRITICAL": 600, "ALERT": 700, "EMERGENCY": 800}
_EXACT_CASE_ROOTS = ("jsonPayload", "labels")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


class LoggingQueryError(ValueError):
    """A query that cannot be parsed (or uses what this evaluator does not support): position and reason."""

    def __init__(self, query: str, position: int, reason: str) -> None:
        self.query, self.position, self.reason = query, position, reason
        super().__init__(f"logging query {query!r}: {reason} at position {position}")


@dataclass(frozen=True)
class CompiledQuery:
    text: str
    _test: Test

    def matches(self, entry: Entry) -> bool:
        return self._test(entry)


def compile_query(text: str) -> CompiledQuery:
    """Parse once; raises LoggingQueryError naming the position. The empty query matches every entry."""
    parser = _Parser(text, _tokens(text))
    return CompiledQuery(text, parser.parse())


@dataclass(frozen=True)
class _Tok:
    kind: str  # "(" ")" "op" "word" "str"
    text: str
    pos: int
    glued: bool = False  # no space before it: `-term`, `a.b."c"`


def _tokens(text: str) -> list[_Tok]:
    toks: list[_Tok] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        glued = i > 0 and not text[i - 1].isspace()
        if ch.isspace():
            i += 1
        elif text.startswith("--", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
        elif ch in "()":
            toks.append(_Tok(ch, ch, i))
            i += 1
        elif ch == '"':
            value, end = _quoted(text, i)
            toks.append(_Tok("str", value, i, glued))
            i = end
        elif op := next((o for o in _OPS if text.startswith(o, i)), None):
            toks.append(_Tok("op", op, i))
            i += len(op)
        elif ch == "-" and i + 1 < n and not text[i + 1].isspace():
            toks.append(_Tok("op", "-", i))
            i += 1
        else:
            start = i
            while i < n and text[i] not in _BARE_STOP:
                i += 1
            if i == start:
                raise LoggingQueryError(text, i, f"unexpected {ch!r}")
            toks.append(_Tok("word", text[start:i], start, glued))
    return toks


def _quoted(text: str, start: int) -> tuple[str, int]:
    out, i = [], start + 1
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            out.append(text[i + 1])
            i += 2
        elif text[i] == '"':
            return "".join(out), i + 1
        else:
            out.append(text[i])
            i += 1
    raise LoggingQueryError(text, start, "unterminated quoted string")


class _Parser:
    """conj := disj ([AND] disj)*; disj := unary (OR unary)*; unary := (NOT|-) unary | primary."""

    def __init__(self, text: str, toks: list[_Tok]) -> None:
        self.text, self.toks, self.i = text, toks, 0

    def parse(self) -> Test:
        if not self.toks:
            return lambda e: True
        test = self._conj(())
        if self.i < len(self.toks):
            tok = self.toks[self.i]
            raise LoggingQueryError(self.text, tok.pos, f"unexpected {tok.text!r}")
        return test

    def _at(self, kind: str, text: str | None = None) -> bool:
        if self.i >= len(self.toks):
            return False
        tok = self.toks[self.i]
        return tok.kind == kind and (text is None or tok.text == text)

    def _conj(self, field: tuple[list[str], str] | tuple[()]) -> Test:
        parts = [self._disj(field)]
        while self.i < len(self.toks) and not self._at(")"):
            if self._at("word", "AND"):
                self.i += 1
            parts.append(self._disj(field))
        return parts[0] if len(parts) == 1 else (lambda e: all(p(e) for p in parts))

    def _disj(self, field: tuple[list[str], str] | tuple[()]) -> Test:
        parts = [self._unary(field)]
        while self._at("word", "OR"):
            self.i += 1
            parts.append(self._unary(field))
        return parts[0] if len(parts) == 1 else (lambda e: any(p(e) for p in parts))

    def _unary(self, field: tuple[list[str], str] | tuple[()]) -> Test:
        if self._at("word", "NOT") or self._at("op", "-"):
            self.i += 1
            inner = self._unary(field)
            return lambda e: not inner(e)
        return self._primary(field)

    def _primary(self, field: tuple[list[str], str] | tuple[()]) -> Test:
        if self.i >= len(self.toks):
            raise LoggingQueryError(self.text, len(self.text), "expected a comparison")
        tok = self.toks[self.i]
        if tok.kind == "(":
            self.i += 1
            inner = self._conj(field)
            if not self._at(")"):
                raise LoggingQueryError(self.text, tok.pos, "unbalanced '('")
            self.i += 1
            return inner
        if tok.kind not in ("word", "str"):
            raise LoggingQueryError(self.text, tok.pos, f"unexpected {tok.text!r}")
        self.i += 1
        if field:  # inside `FIELD OP ( ... )`: each value takes the field and operator
            path, op = field
            return _comparison(self.text, tok.pos, path, op, tok)
        if tok.kind == "word" and self._at("("):
            return self._function(tok)
        if tok.kind == "word":
            path = self._path(tok)
            if self._at("op") and self.toks[self.i].text != "-":
                return self._comparison_rhs(path, self.toks[self.i])
        return _global(tok.text)

    def _path(self, tok: _Tok) -> list[str]:
        path = [p for p in tok.text.split(".")]
        while tok.text.endswith(".") and self._at("str") and self.toks[self.i].glued:
            path[-1:] = [self.toks[self.i].text]
            self.i += 1
            if self._at("word") and self.toks[self.i].glued and self.toks[self.i].text.startswith("."):
                path += self.toks[self.i].text[1:].split(".")
                tok = self.toks[self.i]
                self.i += 1
        if any(not p for p in path):
            raise LoggingQueryError(self.text, tok.pos, f"malformed field path {tok.text!r}")
        return path

    def _comparison_rhs(self, path: list[str], op_tok: _Tok) -> Test:
        self.i += 1
        op = op_tok.text
        if self._at("("):
            self.i += 1
            inner = self._conj((path, op))
            if not self._at(")"):
                raise LoggingQueryError(self.text, op_tok.pos, "unbalanced '(' in a value expression")
            self.i += 1
            return inner
        if self.i >= len(self.toks) or self.toks[self.i].kind not in ("word", "str"):
            raise LoggingQueryError(self.text, op_tok.pos, f"expected a value after {op!r}")
        value = self.toks[self.i]
        self.i += 1
        return _comparison(self.text, value.pos, path, op, value)

    def _function(self, name: _Tok) -> Test:
        self.i += 1  # "("
        if name.text.lower() != "log_id" or not self._at("str"):
            raise LoggingQueryError(self.text, name.pos, f"function {name.text}() is not supported")
        log_id = self.toks[self.i].text.replace("/", "%2F")
        self.i += 1
        if not self._at(")"):
            raise LoggingQueryError(self.text, name.pos, "log_id() takes one quoted log id")
        self.i += 1
        return lambda e: str(e.get("logName", "")).endswith(f"/logs/{log_id}")


def _values(entry: Any, path: list[str]) -> list[Any] | None:
    """Values at `path`, array members spread (OR-joined by the caller); None when the field is missing."""
    nodes: list[Any] = [entry]
    exact = path[0] in _EXACT_CASE_ROOTS
    for name in path:
        nxt: list[Any] = []
        for node in nodes:
            for item in node if isinstance(node, list) else [node]:
                if isinstance(item, Mapping):
                    found = _key(item, name, exact)
                    if found is not None:
                        nxt.append(item[found])
        if not nxt:
            return None
        nodes = nxt
    return [v for node in nodes for v in (node if isinstance(node, list) else [node])]


def _key(node: Mapping[str, Any], name: str, exact: bool) -> str | None:
    if name in node:
        return name
    if exact:
        return None
    folded = name.casefold()
    return next((k for k in node if isinstance(k, str) and k.casefold() == folded), None)


def _comparison(query: str, pos: int, path: list[str], op: str, value: _Tok) -> Test:
    text = value.text
    if op == ":" and text == "*" and value.kind == "word":
        return lambda e: _values(e, path) is not None
    if op in ("=~", "!~"):
        try:
            rx = re.compile(text)
        except re.error as err:
            raise LoggingQueryError(query, pos, f"invalid regular expression: {err}") from None
        hit = (
            (lambda v: isinstance(v, str) and rx.search(v) is not None)
            if op == "=~"
            else (lambda v: isinstance(v, str) and rx.search(v) is None)
        )
        return _on_values(path, hit)
    if value.kind == "word" and text == "NULL_VALUE" and op in ("=", "!="):
        want_null = op == "="
        return _on_values(path, lambda v: (v is None) == want_null)
    compare = _scalar_compare(op, text, severity=path == ["severity"])
    return _on_values(path, compare)


def _on_values(path: list[str], test: Callable[[Any], bool]) -> Test:
    def on(e: Entry) -> bool:
        values = _values(e, path)
        return values is not None and any(test(v) for v in values)

    return on


def _scalar_compare(op: str, literal: str, severity: bool) -> Callable[[Any], bool]:
    folded = literal.casefold()
    number = float(literal) if _NUMBER.match(literal) else None

    def compare(v: Any) -> bool:
        if isinstance(v, (dict, list)) or v is None:
            return False
        if isinstance(v, bool):
            if folded not in ("true", "false"):
                return False
            return _order(op, int(v), int(folded == "true"))
        if severity and isinstance(v, str) and v.upper() in _SEVERITY and literal.upper() in _SEVERITY:
            return _order(op, _SEVERITY[v.upper()], _SEVERITY[literal.upper()])
        if op == ":":
            return folded in str(v).casefold()
        if number is not None and (isinstance(v, (int, float)) or (isinstance(v, str) and _NUMBER.match(v))):
            return _order(op, float(v), number)
        return _order(op, str(v).casefold(), folded)

    return compare


def _order(op: str, a: Any, b: Any) -> bool:
    if op == "=":
        return bool(a == b)
    if op == "!=":
        return bool(a != b)
    if op == "<":
        return bool(a < b)
    if op == "<=":
        return bool(a <= b)
    if op == ">":
        return bool(a > b)
    if op == ">=":
        return bool(a >= b)
    return False  # ":" on a bool or enum never reaches here


def _global(value: str) -> Test:
    """A bare value: some field anywhere in the entry has it (case-insensitive substring)."""
    folded = value.casefold()

    def search(node: Any) -> bool:
        if isinstance(node, Mapping):
            return any(search(v) for v in node.values())
        if isinstance(node, list):
            return any(search(v) for v in node)
        return node is not None and folded in str(node).casefold()

    return search

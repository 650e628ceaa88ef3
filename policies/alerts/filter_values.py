"""Values in CloudWatch Logs filter patterns: quoted and bare strings, `*` wildcards, `%regex%`, numbers.

Source: AWS CloudWatch Logs User Guide, "Filter pattern syntax for metric filters, subscription filters,
filter log events, and Live Tail" (FilterAndPatternSyntax.html and its sections regex-expressions,
matching-terms-json-log-events). Filter patterns are case sensitive; `*` matches any text; a regex is
enclosed in `%` and may only use alphanumerics, the symbols `: _ # = @ / ; , -`, the operators
`^ $ ? [ ] { } | \\ * + .` (no parentheses, no multi-byte characters).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_REGEX_ALLOWED = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:_#=@/;,- ^$?[]{}|\\*+.")
_QUANTIFIER_SPACES = re.compile(r"\{\s*(\d*)\s*,\s*(\d*)\s*\}")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


class FilterPatternError(ValueError):
    """A filter pattern that cannot be parsed: names the pattern, the position and what was expected."""

    def __init__(self, pattern: str, position: int, reason: str) -> None:
        self.pattern = pattern
        self.position = position
        self.reason = reason
        super().__init__(f"filter pattern {pattern!r}: {reason} at position {position}")


@dataclass(frozen=True)
class Literal:
    """A value as written in the pattern: its text, whether it was quoted or a %regex%."""

    text: str
    quoted: bool = False
    regex: bool = False

    @property
    def number(self) -> float | None:
        if self.regex or self.quoted or not _NUMBER.match(self.text):
            return None
        return float(self.text)


def read_quoted(pattern: str, start: int) -> tuple[str, int]:
    """The string that starts with `"` at `start` (backslash escapes the next character) and the end index."""
    out: list[str] = []
    i = start + 1
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            out.append(pattern[i + 1])
            i += 2
            continue
        if ch == '"':
            return "".join(out), i + 1
        out.append(ch)
        i += 1
    raise FilterPatternError(pattern, start, "unterminated quoted string")


def read_regex(pattern: str, start: int) -> tuple[str, int]:
    """The regex between the `%` at `start` and the next `%`, validated against AWS's supported syntax."""
    end = pattern.find("%", start + 1)
    if end < 0:
        raise FilterPatternError(pattern, start, "unterminated %regex% (no closing %)")
    body = pattern[start + 1 : end]
    if not body:
        raise FilterPatternError(pattern, start, "empty %regex%")
    for offset, ch in enumerate(body):
        if ch not in _REGEX_ALLOWED:
            why = (
                "parentheses are not supported in a %regex%" if ch in "()" else f"{ch!r} is not supported in a %regex%"
            )
            raise FilterPatternError(pattern, start + 1 + offset, why)
    return body, end + 1


def compile_regex(pattern: str, position: int, body: str) -> re.Pattern[str]:
    # AWS writes quantifiers as `{m, n}`; Python reads a brace with spaces as literal text.
    try:
        return re.compile(_QUANTIFIER_SPACES.sub(r"{\1,\2}", body))
    except re.error as err:
        raise FilterPatternError(pattern, position, f"invalid %regex%: {err}") from None


def text_of(value: Any) -> str | None:
    """The text a value node is matched as: strings as they are, numbers as JSON writes them; else None."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e16 else repr(value)
    return None


def string_matcher(pattern: str, position: int, literal: Literal) -> Callable[[str], bool]:
    """How a string is tested for `=`: a %regex% searches, `*` is a wildcard anywhere, else exact."""
    if literal.regex:
        rx = compile_regex(pattern, position, literal.text)
        return lambda s: rx.search(s) is not None
    if "*" in literal.text:
        if literal.text.strip("*") == "":
            return lambda s: True
        glob = re.compile("".join(".*" if part == "*" else re.escape(part) for part in re.split(r"(\*)", literal.text)))
        return lambda s: glob.fullmatch(s) is not None
    exact = literal.text
    return lambda s: s == exact


def equality(pattern: str, position: int, literal: Literal) -> Callable[[Any], bool]:
    """`=` on a value node (string or number). Numbers compare numerically with a numeric literal."""
    on_text = string_matcher(pattern, position, literal)
    number = literal.number

    def equal(value: Any) -> bool:
        if number is not None and isinstance(value, (int, float)) and not isinstance(value, bool):
            return value == number
        text = text_of(value)
        return text is not None and on_text(text)

    return equal


def ordering(pattern: str, position: int, op: str, literal: Literal) -> Callable[[Any], bool]:
    """`< > <= >=`: numeric only; a numeric string in the log compares as its number."""
    number = literal.number
    if number is None:
        raise FilterPatternError(pattern, position, f"operator {op} needs a number, got {literal.text!r}")
    compare: Callable[[float], bool] = {
        "<": lambda v: v < number,
        ">": lambda v: v > number,
        "<=": lambda v: v <= number,
        ">=": lambda v: v >= number,
    }[op]

    def ordered(value: Any) -> bool:
        if isinstance(value, bool) or value is None:
            return False
        if isinstance(value, (int, float)):
            return compare(value)
        if isinstance(value, str) and _NUMBER.match(value):
            return compare(float(value))
        return False

    return ordered


def comparison(pattern: str, position: int, op: str, literal: Literal) -> Callable[[Any], bool]:
    """The test one `OP VALUE` applies to a value node; `!=` is false where `=` could not apply."""
    if op == "=":
        return equality(pattern, position, literal)
    if op == "!=":
        equal = equality(pattern, position, literal)
        return lambda v: text_of(v) is not None and not equal(v)
    return ordering(pattern, position, op, literal)

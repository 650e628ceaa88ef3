"""Which Cloud Audit logs a Logging filter provably keeps.

Sources: the Logging query language (cloud.google.com/logging/docs/view/logging-query-language): terms
separated by whitespace are ANDed, OR binds tighter than AND, `:` is "has" (substring) and `LOG_ID("x")`
matches one log id; log names are URL-encoded in `logName` ("projects/P/logs/cloudaudit.googleapis.com%2Factivity").
Audit log ids: cloud.google.com/logging/docs/audit#types (activity, data_access, system_event, policy).
Only an OR of terms is proved; anything that may narrow (AND, NOT, '-', implicit AND) proves nothing.
"""

from __future__ import annotations

import re

AUDIT_TYPES = ("activity", "data_access", "system_event", "policy")
_FIELD_TERM = re.compile(r'^([A-Za-z_][\w.]*)(:|=|!=|>=|<=|>|<)("[^"]*"|[^\s()"]+)$')
_LOG_ID = re.compile(r'^log_id\("([^"]*)"\)$', re.IGNORECASE)
_OPERATOR_SPACES = re.compile(r'\s*(:|!=|>=|<=|=|>|<)\s*(?=(?:[^"]*"[^"]*")*[^"]*$)')


def _split_top(text: str) -> list[str] | None:
    """Whitespace-separated tokens outside quotes and parentheses; None if they do not balance."""
    tokens, depth, quoted, current = [], 0, False, ""
    for ch in text:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in "()":
            depth += 1 if ch == "(" else -1
            if depth < 0:
                return None
        if ch.isspace() and not quoted and depth == 0:
            if current:
                tokens.append(current)
            current = ""
        else:
            current += ch
    if quoted or depth:
        return None
    return tokens + ([current] if current else [])


def or_terms(text: str) -> list[str] | None:
    """The terms of `a OR b OR c` (groups kept whole); None if the filter is anything else."""
    text = _OPERATOR_SPACES.sub(r"\1", " ".join(text.split()))
    tokens = _split_top(text)
    if tokens is None:
        return None
    if len(tokens) == 1 and tokens[0].startswith("(") and tokens[0].endswith(")"):
        return or_terms(tokens[0][1:-1])
    if len(tokens) % 2 == 0 or any(t != "OR" for t in tokens[1::2]):
        return None
    return tokens[0::2]


def _term_types(term: str) -> set[str] | None:
    """Audit log types one term matches in every project; None if it is no simple term."""
    if term.startswith("(") and term.endswith(")"):
        return audit_types_kept(term[1:-1])
    if m := _LOG_ID.match(term):
        log_id = m.group(1).replace("%2F", "/")
        return {t for t in AUDIT_TYPES if log_id == f"cloudaudit.googleapis.com/{t}"}
    m = _FIELD_TERM.match(term)
    if not m:
        return None
    field, op, value = m.group(1), m.group(2), m.group(3).strip('"')
    if field != "logName" or op != ":" or not value:
        return set()  # a legal term, but not one that keeps audit logs everywhere
    return {t for t in AUDIT_TYPES if value in f"/logs/cloudaudit.googleapis.com%2F{t}"}


def audit_types_kept(text: str) -> set[str] | None:
    """The audit log types the filter keeps in every project (empty filter: all); None if unprovable."""
    if not text.strip():
        return set(AUDIT_TYPES)
    terms = or_terms(text)
    if terms is None:
        return None
    kept: set[str] = set()
    for term in terms:
        types = _term_types(term)
        if types is None:
            return None
        kept |= types
    return kept


def excludes_no_audit_log(exclusion: str) -> bool:
    """An exclusion is provably harmless only as an OR of exact log ids/names that are not audit logs."""
    terms = or_terms(exclusion)
    if not terms:
        return False
    for term in terms:
        if m := _LOG_ID.match(term):
            name = m.group(1)
        elif (m2 := _FIELD_TERM.match(term)) and m2.group(1) == "logName" and m2.group(2) == "=":
            name = m2.group(3).strip('"')
        else:
            return False
        if "cloudaudit.googleapis.com" in name:
            return False
    return True

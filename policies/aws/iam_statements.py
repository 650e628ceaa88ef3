"""One IAM statement matcher: does a policy statement apply to a request, as AWS evaluates it.

Every bucket-policy and key-policy check (the auditor's TLS and CloudTrail-write judges, the deploy-side
key-policy test) asks this module, so "what does this statement mean" is decided once.

API
---
``Request(principal, action, resource, context)``
    One request as AWS sees it. ``principal`` is one of ``Principal.aws(arn)``, ``Principal.account(id)``,
    ``Principal.service(name)``, ``Principal.anonymous()``. ``context`` maps condition keys to a value
    (``str``, ``bool``, ``int`` or a list of them for multi-valued keys such as ``aws:TagKeys``); keys are
    case-insensitive, as AWS's are ("Condition key names are not case-sensitive", IAM User Guide,
    "IAM JSON policy elements: Condition").
``statements(policy) -> tuple[Mapping, ...]``
    The statements of a policy document (a dict or its JSON text); a lone ``Statement`` object counts as one.
``statement_applies(stmt, request) -> bool``
    Principal/NotPrincipal, Action/NotAction, Resource/NotResource and Condition all match. A statement
    without Principal/NotPrincipal (an identity policy) applies to whoever it is attached to.
``conditions_hold(condition, context) -> bool``
    A ``Condition`` block against a request context.
``evaluate(policy, request) -> Decision``
    Explicit Deny beats Allow beats the implicit deny, over one policy's statements.
``condition_keys(stmt) -> frozenset[str]``
    The (lower-cased) keys a statement's Condition tests, for judges that need "conditioned on this only".
``UnsupportedPolicy``
    Raised for what this matcher cannot judge (unknown operator, malformed statement, a policy variable
    it cannot resolve); callers must fail closed on it, never treat it as "no match".

Semantics, from the IAM User Guide ("Condition operators", "Conditions with multiple context keys or values",
"Policy evaluation logic", "AWS JSON policy elements: Principal"):
- operators AND together, keys under one operator AND together, values of one key OR together; a negated
  operator (``StringNotEquals``, ``ArnNotLike``, ``NotIpAddress``…) with several values is a NOR;
- a key absent from the request makes a condition false, except a negated operator (true), ``…IfExists``
  (true), ``Null`` (tests presence) and ``ForAllValues:`` (true);
- ``Action`` matches case-insensitively with ``*``/``?``; ``Resource`` and ``StringLike`` case-sensitively;
  ``ArnLike``/``ArnEquals`` compare each of the six colon-separated ARN parts with wildcards;
- ``"*"`` and ``{"AWS": "*"}`` are everyone, anonymous included; an account id or ``arn:…:iam::ID:root``
  is every principal of that account; a role ARN also matches its sessions (``sts::ID:assumed-role/NAME/…``).
Policy variables (``${aws:username}``) are substituted from the context; one the context lacks raises
``UnsupportedPolicy``.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Literal

ContextValue = str | bool | int | float | list


class UnsupportedPolicy(ValueError):
    """A policy element this matcher cannot judge; the caller fails closed."""


@dataclass(frozen=True)
class Principal:
    kind: Literal["AWS", "Service", "Federated", "CanonicalUser", "Anonymous"]
    id: str = ""
    account_id: str = ""

    @staticmethod
    def aws(arn: str) -> Principal:
        parts = arn.split(":", 5)
        if len(parts) != 6 or parts[0] != "arn":
            raise ValueError(f"not an IAM principal ARN: {arn!r}")
        return Principal("AWS", arn, parts[4])

    @staticmethod
    def account(account_id: str, partition: str = "aws") -> Principal:
        return Principal("AWS", f"arn:{partition}:iam::{account_id}:root", account_id)

    @staticmethod
    def service(name: str) -> Principal:
        return Principal("Service", name)

    @staticmethod
    def anonymous() -> Principal:
        return Principal("Anonymous")


@dataclass(frozen=True)
class Request:
    principal: Principal
    action: str
    resource: str
    context: Mapping[str, ContextValue] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "context", {k.lower(): v for k, v in self.context.items()})


@dataclass(frozen=True)
class Decision:
    effect: Literal["Allow", "Deny", "ImplicitDeny"]
    statements: tuple[str, ...] = ()  # Sids (or "#index") of the statements that decided it

    @property
    def allowed(self) -> bool:
        return self.effect == "Allow"


def as_list(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def statements(policy: Mapping[str, Any] | str | None) -> tuple[Mapping[str, Any], ...]:
    if policy is None:
        return ()
    if isinstance(policy, str):
        try:
            policy = json.loads(policy)
        except json.JSONDecodeError as exc:
            raise UnsupportedPolicy(f"policy is not JSON: {exc}") from exc
    if not isinstance(policy, Mapping):
        raise UnsupportedPolicy(f"policy is not an object: {policy!r}"[:200])
    found = tuple(as_list(policy.get("Statement", [])))
    for s in found:
        if not isinstance(s, Mapping):
            raise UnsupportedPolicy(f"statement is not an object: {s!r}"[:200])
    return found


def label(stmt: Mapping[str, Any], index: int) -> str:
    return str(stmt.get("Sid") or f"#{index}")


def evaluate(policy: Mapping[str, Any] | str | None, request: Request) -> Decision:
    allow: list[str] = []
    deny: list[str] = []
    for i, stmt in enumerate(statements(policy)):
        if statement_applies(stmt, request):
            (deny if stmt["Effect"] == "Deny" else allow).append(label(stmt, i))
    if deny:
        return Decision("Deny", tuple(deny))
    return Decision("Allow", tuple(allow)) if allow else Decision("ImplicitDeny")


def statement_applies(stmt: Mapping[str, Any], request: Request) -> bool:
    if stmt.get("Effect") not in ("Allow", "Deny"):
        raise UnsupportedPolicy(f"statement {stmt.get('Sid', '?')!r}: Effect {stmt.get('Effect')!r}")
    ctx = request.context
    return (
        _element(stmt, "Principal", lambda v: _principal_matches(v, request.principal))
        and _element(stmt, "Action", lambda v: any(_action_matches(p, request.action) for p in as_list(v)))
        and _element(stmt, "Resource", lambda v: any(_glob(_subst(p, ctx), request.resource) for p in as_list(v)))
        and conditions_hold(stmt.get("Condition") or {}, ctx)
    )


def _element(stmt: Mapping[str, Any], name: str, matches: Callable[[Any], bool]) -> bool:
    """X / NotX: present → must match; NotX present → must not match; neither → Principal means
    'the identity it is attached to' (applies), Action/Resource are required."""
    if name in stmt:
        return matches(stmt[name])
    if f"Not{name}" in stmt:
        return not matches(stmt[f"Not{name}"])
    if name == "Principal":
        return True
    raise UnsupportedPolicy(f"statement {stmt.get('Sid', '?')!r} has neither {name} nor Not{name}")


def _principal_matches(value: Any, who: Principal) -> bool:
    if value == "*":
        return True
    if not isinstance(value, Mapping):
        raise UnsupportedPolicy(f"Principal {value!r} is neither '*' nor an object")
    for kind, ids in value.items():
        for pid in as_list(ids):
            if kind == "AWS" and (pid == "*" or _aws_principal_matches(str(pid), who)):
                return True
            if kind != "AWS" and kind == who.kind and str(pid).lower() == who.id.lower():
                return True
    return False


def _aws_principal_matches(pid: str, who: Principal) -> bool:
    if who.kind != "AWS":
        return False
    account = pid if re.fullmatch(r"\d{12}", pid) else None
    root = re.fullmatch(r"arn:[\w-]+:iam::(\d{12}):root", pid)
    if account or root:
        return who.account_id == (account or (root.group(1) if root else None))
    if pid == who.id:
        return True
    # A role's sessions are "arn:aws:sts::ID:assumed-role/NAME/SESSION"; the role ARN may carry a path.
    session = re.fullmatch(r"arn:([\w-]+):sts::(\d{12}):assumed-role/([^/]+)/.+", who.id)
    role = re.fullmatch(r"arn:([\w-]+):iam::(\d{12}):role/(?:.*/)?([^/]+)", pid)
    return bool(session and role and session.groups() == role.groups())


def _action_matches(pattern: Any, action: str) -> bool:
    return _glob(str(pattern).lower(), action.lower())


def _glob(pattern: str, value: str) -> bool:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, re.DOTALL) is not None


def _subst(value: Any, context: Mapping[str, ContextValue]) -> str:
    text = str(value)
    if "${" not in text:
        return text

    def one(m: re.Match) -> str:
        key = m.group(1)
        if key in ("*", "?", "$"):
            return key
        found = context.get(key.lower())
        if found is None or isinstance(found, list):
            raise UnsupportedPolicy(f"policy variable ${{{key}}} has no single value in the request")
        return _text(found)

    return re.sub(r"\$\{([^}]+)\}", one, text)


def _text(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def condition_keys(stmt: Mapping[str, Any]) -> frozenset[str]:
    condition = stmt.get("Condition") or {}
    if not isinstance(condition, Mapping):
        raise UnsupportedPolicy(f"Condition is not an object: {condition!r}"[:200])
    return frozenset(k.lower() for block in condition.values() if isinstance(block, Mapping) for k in block)


def conditions_hold(condition: Mapping[str, Any], context: Mapping[str, ContextValue]) -> bool:
    if not isinstance(condition, Mapping):
        raise UnsupportedPolicy(f"Condition is not an object: {condition!r}"[:200])
    context = {k.lower(): v for k, v in context.items()}
    for operator, block in condition.items():
        if not isinstance(block, Mapping):
            raise UnsupportedPolicy(f"condition {operator!r} is not an object")
        test = _Operator.parse(operator)
        if not all(test.holds(context.get(key.lower()), as_list(values), context) for key, values in block.items()):
            return False
    return True


def _iso_time(value: Any) -> datetime:
    text = _text(value)
    if re.fullmatch(r"\d+", text):
        return datetime.fromtimestamp(int(text), tz=timezone.utc)
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _arn_like(request: str, pattern: str) -> bool:
    got, want = request.split(":", 5), pattern.split(":", 5)
    return len(got) == len(want) == 6 and all(_glob(w, g) for w, g in zip(want, got, strict=True))


def _compared(parse: Callable[[str], Any], compare: Callable[[Any, Any], bool]) -> Callable[[str, str], bool]:
    """A condition operator over parsed values; a value that does not parse never matches."""

    def match(got: str, want: str) -> bool:
        try:
            return compare(parse(got), parse(want))
        except ValueError:
            return False

    return match


def _in_network(got: str, want: str) -> bool:
    try:
        return ipaddress.ip_address(got) in ipaddress.ip_network(want, strict=False)
    except ValueError:
        return False


# Positive comparisons (request value, policy value); a "Not" operator is the NOR of its positive twin.
_MATCHERS: dict[str, Callable[[str, str], bool]] = {
    "stringequals": lambda g, w: g == w,
    "stringequalsignorecase": lambda g, w: g.casefold() == w.casefold(),
    "stringlike": lambda g, w: _glob(w, g),
    "numericequals": _compared(float, lambda g, w: g == w),
    "numericlessthan": _compared(float, lambda g, w: g < w),
    "numericlessthanequals": _compared(float, lambda g, w: g <= w),
    "numericgreaterthan": _compared(float, lambda g, w: g > w),
    "numericgreaterthanequals": _compared(float, lambda g, w: g >= w),
    "dateequals": _compared(_iso_time, lambda g, w: g == w),
    "datelessthan": _compared(_iso_time, lambda g, w: g < w),
    "datelessthanequals": _compared(_iso_time, lambda g, w: g <= w),
    "dategreaterthan": _compared(_iso_time, lambda g, w: g > w),
    "dategreaterthanequals": _compared(_iso_time, lambda g, w: g >= w),
    "bool": lambda g, w: g.lower() == w.lower(),
    "binaryequals": lambda g, w: g == w,
    "ipaddress": _in_network,
    "arnequals": _arn_like,
    "arnlike": _arn_like,
}
_NEGATED = {
    "stringnotequals": "stringequals",
    "stringnotequalsignorecase": "stringequalsignorecase",
    "stringnotlike": "stringlike",
    "numericnotequals": "numericequals",
    "datenotequals": "dateequals",
    "notipaddress": "ipaddress",
    "arnnotequals": "arnequals",
    "arnnotlike": "arnlike",
}


@dataclass(frozen=True)
class _Operator:
    name: str
    base: str  # lower-cased positive operator, or "null"
    negated: bool
    if_exists: bool
    qualifier: str  # "", "foranyvalue" or "forallvalues"

    @staticmethod
    def parse(name: str) -> _Operator:
        qualifier, _, rest = name.rpartition(":")
        qualifier = qualifier.lower()
        low = rest.lower()
        if_exists = low.endswith("ifexists") and low != "null"
        low = low.removesuffix("ifexists") if if_exists else low
        base = _NEGATED.get(low, low)
        known = base in _MATCHERS or (base == "null" and not if_exists)
        if not known or qualifier not in ("", "foranyvalue", "forallvalues"):
            raise UnsupportedPolicy(f"condition operator {name!r} is not one AWS documents")
        return _Operator(name, base, low in _NEGATED, if_exists, qualifier)

    def holds(self, got: ContextValue | None, wanted: list, context: Mapping[str, ContextValue]) -> bool:
        present = got is not None and got != []
        if self.base == "null":
            return any(_text(w).lower() == ("false" if present else "true") for w in wanted)
        if not present:
            if self.qualifier:
                return self.qualifier == "forallvalues"
            return self.if_exists or self.negated
        patterns = [_subst(w, context) for w in wanted]
        values = [_text(v) for v in as_list(got)]

        def one(value: str) -> bool:
            hit = any(_MATCHERS[self.base](value, p) for p in patterns)
            return hit != self.negated

        if self.qualifier == "forallvalues":
            return all(one(v) for v in values)
        if self.qualifier == "foranyvalue" or not self.negated:
            return any(one(v) for v in values)
        # A negated operator over a multi-valued key without a qualifier: no value may match.
        return all(one(v) for v in values)

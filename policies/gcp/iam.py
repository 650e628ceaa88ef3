"""Who can write to (and delete from) a GCS archive, from IAM policy v3 bindings with conditions.

Source: googleapis google/iam/v1/policy.proto (Policy.version 3, Binding.condition as google.type.Expr) and
cloud.google.com/iam/docs/conditions-attribute-reference#request-time (`request.time < timestamp("...")`).
A binding counts only while its condition can hold: an expired time bound grants nothing; any condition
the scan cannot evaluate is assumed to hold for risky roles and not proved for the writer's create grant.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from enum import Enum

from auditkit.policies.gcp.facts import BindingFacts

WRITER_ROLE = "roles/storage.objectCreator"
# Roles that neither delete nor overwrite objects (storage.objects.create/get/list only).
NON_DESTRUCTIVE = {
    WRITER_ROLE,
    "roles/storage.objectViewer",
    "roles/storage.legacyObjectReader",
    "roles/storage.legacyBucketReader",
}
# Roles that include storage.objects.create (a writer holding one can write, if too broadly).
CREATES = {
    "roles/storage.admin",
    "roles/storage.objectAdmin",
    "roles/storage.objectUser",
    "roles/storage.legacyBucketWriter",
    "roles/storage.legacyBucketOwner",
    "roles/owner",
    "roles/editor",
}
_TIME_BOUND = re.compile(r'^request\.time\s*(<|<=|>|>=)\s*timestamp\(\s*"([^"]+)"\s*\)$')


class Holds(Enum):
    NOW = "now"  # every conjunct is a time bound that holds now
    LATER = "later"  # only time bounds, one starts in the future
    NEVER = "never"  # a time bound already ended
    MAYBE = "maybe"  # a condition the scan cannot evaluate


def _parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _unwrap(part: str) -> str:
    """Drop parentheses around the whole conjunct (not the ones closing timestamp(...))."""
    part = part.strip()
    while part.startswith("(") and part.endswith(")"):
        depth, inner = 0, part[1:-1]
        for ch in inner:
            depth += {"(": 1, ")": -1}.get(ch, 0)
            if depth < 0:
                return part
        part = inner.strip()
    return part


def condition_holds(expression: str | None, now: datetime) -> Holds:
    if not expression or not expression.strip():
        return Holds.NOW
    if "||" in expression:
        return Holds.MAYBE
    states = []
    for part in expression.split("&&"):
        m = _TIME_BOUND.match(_unwrap(part))
        if not m:
            states.append(Holds.MAYBE)
            continue
        try:
            at = _parse_time(m.group(2))
        except ValueError:
            states.append(Holds.MAYBE)
            continue
        before = m.group(1).startswith("<")
        if before:
            states.append(Holds.NOW if (now < at if m.group(1) == "<" else now <= at) else Holds.NEVER)
        else:
            states.append(Holds.NOW if (now > at if m.group(1) == ">" else now >= at) else Holds.LATER)
    for state in (Holds.NEVER, Holds.MAYBE, Holds.LATER):
        if state in states:
            return state
    return Holds.NOW


def _grant(b: BindingFacts) -> str:
    return f"{b.role} on {b.where}" + (f" if {b.condition}" if b.condition else "")


def writer_gaps(sink_name: str, writer: str, bindings: Iterable[BindingFacts], now: datetime) -> list[str]:
    """The sink's writer must be able to create objects now and hold nothing that deletes or overwrites."""
    held = [(b, condition_holds(b.condition, now)) for b in bindings if writer in b.members]
    risky = [b for b, state in held if b.role not in NON_DESTRUCTIVE and state is not Holds.NEVER]
    gaps = []
    if risky:
        roles = sorted({b.role for b in risky})
        places = "; ".join(_grant(b) for b in risky)
        gaps.append(f"sink {sink_name} writer {writer} holds {roles} on the archive; only {WRITER_ROLE} ({places})")
    creates = [(b, state) for b, state in held if b.role == WRITER_ROLE]
    if any(state is Holds.NOW for _, state in creates):
        return gaps
    if any(state is Holds.MAYBE for _, state in creates):
        conditions = [b.condition for b, state in creates if state is Holds.MAYBE]
        gaps.append(f"sink {sink_name} writer {writer} can create objects only if {conditions}: not provable")
    elif creates:
        gaps.append(
            f"sink {sink_name} writer {writer} cannot write: its {WRITER_ROLE} grant does not hold now "
            f"({'; '.join(_grant(b) for b, _ in creates)})"
        )
    elif not any(b.role in CREATES for b in risky):
        gaps.append(f"sink {sink_name} writer {writer} holds no {WRITER_ROLE} on the archive: it cannot write")
    return gaps

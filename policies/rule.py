"""A rule: which judge serves a control, per which subject, and which reads its verdict rests on.

Each cloud has one table of rules (policies/<cloud>/rules.py). The plan (`judge_<cloud>_plan`), the
live scan (auditors/<cloud>/assess.py) and the policy pack (crossguard/<cloud>_policies.py) iterate
that table; none of them names a control. A control id is written in the catalog and in its rule.

`per` is the kind of subject the control is judged per (a trail, a bucket, a subscription...): every
judge of one kind takes the same arguments, so the code that builds a kind's subjects can judge any
rule of that kind. `reads` name what the verdict rests on, as the live collector records a read that
failed; a live verdict whose reads did not all succeed is ERROR for that subject (failed_reads).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

Judge = Callable[..., list[str]]


@dataclass(frozen=True)
class Parts:
    """A judge made of independent parts, each resting on one read.

    The live scan adds up the parts' gaps; a plan judges each part on its own, so a value computed at
    apply leaves only its part undetermined, and an archive another stack manages is judged only on
    the parts whose reads this plan sets.
    """

    by_read: Mapping[str, Judge]

    def __call__(self, *args: Any) -> list[str]:
        return [gap for part in self.by_read.values() for gap in part(*args)]


@dataclass(frozen=True)
class Rule:
    control: str
    judge: Judge
    per: str
    reads: tuple[str, ...]
    # What a PASS shows, as text or a function of the judge's arguments; empty: the kind's own words.
    summary: str | Callable[..., str] = ""

    def parts(self) -> Mapping[str | None, Judge]:
        """The judge's independent parts by the read each rests on (one part, read None, when it has none)."""
        if isinstance(self.judge, Parts):
            return {read: part for read, part in self.judge.by_read.items()}
        return {None: self.judge}

    def passed(self, default: str, *args: Any) -> str:
        """The PASS message for a subject judged with `args`."""
        if callable(self.summary):
            return self.summary(*args)
        return self.summary or default


@dataclass(frozen=True)
class EvidenceRule:
    """A control judged over the delivered logs themselves (catalog.EVIDENCE_CONTROLS): never over a plan
    or a live setting, so no pack policy and no scan finding exist for it; `judged_by` names the command."""

    control: str
    judged_by: str
    per: str
    reads: tuple[str, ...] = field(default=())


def failed_reads(rule: Rule, failures: Iterable[tuple[str, str]]) -> list[str]:
    """What could not be read of what `rule` rests on: the descriptions of failures (read, description)
    whose read is one of the rule's, in the order they happened."""
    return [text for read, text in failures if read in rule.reads]


def of_kind(rules: Iterable[Rule | EvidenceRule], per: str) -> list[Rule]:
    """The rules judged per `per`, in table order."""
    return [r for r in rules if isinstance(r, Rule) and r.per == per]

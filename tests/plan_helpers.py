"""Weaken one resource of a rendered plan, as a hand edit in a pull request would."""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence

from auditkit.policies.verdicts import PlanResource


def weaken(resources: Sequence[PlanResource], name: str, change: Callable[[dict], object]) -> list[PlanResource]:
    out = copy.deepcopy(list(resources))
    for i, r in enumerate(out):
        if r.name == name:
            props = dict(r.props)
            change(props)
            out[i] = PlanResource(r.type, r.name, props)
    return out

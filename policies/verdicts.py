"""Cloud-neutral plan data: a resource as the plan (or a state export) shows it, and a control's verdict."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class PlanResource:
    type: str
    name: str
    props: Mapping[str, Any]


@dataclass(frozen=True)
class Verdict:
    control_id: str
    resources: tuple[str, ...]
    gaps: tuple[str, ...]
    # Fields computed at apply that some part of the control needed (a preview of new resources).
    undetermined: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        return not self.gaps and not self.undetermined

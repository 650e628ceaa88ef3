"""What a control is: one small object, defined once, joined on by id in every report."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Severity(str, Enum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class Enforcement(str, Enum):
    """How a pull request that breaks the control is treated by the policy pack."""

    MANDATORY = "mandatory"
    ADVISORY = "advisory"


@dataclass(frozen=True)
class Citations:
    """Where the obligation comes from: HIPAA Security Rule, SOC 2 TSC, NIST SP 800-53 rev5."""

    hipaa: tuple[str, ...]
    soc2: tuple[str, ...]
    nist: tuple[str, ...]

    def as_dict(self) -> dict[str, list[str]]:
        return {"hipaa": list(self.hipaa), "soc2": list(self.soc2), "nist_800_53": list(self.nist)}

    def short(self) -> str:
        """One line for tables: the first citation of each framework."""
        parts = [f"HIPAA {self.hipaa[0]}" if self.hipaa else "", f"SOC 2 {self.soc2[0]}" if self.soc2 else ""]
        if self.nist:
            parts.append(f"NIST {self.nist[0]}")
        return "; ".join(p for p in parts if p)


@dataclass(frozen=True)
class Control:
    id: str
    title: str
    severity: Severity
    enforcement: Enforcement
    rationale: str
    remediation: str
    citations: Citations

    @property
    def cloud(self) -> str:
        return self.id.split(".", 1)[0]

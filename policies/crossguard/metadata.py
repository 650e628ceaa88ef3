"""Pack metadata from the catalog: names, enforcement, severity, citations, remediation."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, PolicyComplianceFramework, Severity

from auditkit.policies.catalog import control
from auditkit.policies.controls import Control, Enforcement
from auditkit.policies.crossguard.pack_config import SCHEMA

_SEVERITY = {"low": Severity.LOW, "medium": Severity.MEDIUM, "high": Severity.HIGH, "critical": Severity.CRITICAL}


def policy_name(control_id: str) -> str:
    """aws.trail.log_validation -> auditkit-aws-trail-log-validation"""
    return "auditkit-" + control_id.replace(".", "-").replace("_", "-")


def frameworks(c: Control) -> list[PolicyComplianceFramework]:
    """The control's citations as compliance-framework entries (HIPAA, SOC 2, NIST 800-53)."""
    cites = c.citations
    return [
        PolicyComplianceFramework("HIPAA Security Rule", "45 CFR Part 164 Subpart C", ", ".join(cites.hipaa), c.title),
        PolicyComplianceFramework("SOC 2", "2017 TSC (rev. 2022)", ", ".join(cites.soc2), c.title),
        PolicyComplianceFramework("NIST SP 800-53", "Rev. 5", ", ".join(cites.nist), c.title),
    ]


def metadata(control_id: str) -> dict:
    c = control(control_id)
    cites = c.citations
    return {
        "description": f"{c.title} [{c.id}]. {c.rationale}",
        "enforcement_level": EnforcementLevel.MANDATORY
        if c.enforcement is Enforcement.MANDATORY
        else EnforcementLevel.ADVISORY,
        "config_schema": SCHEMA,
        "display_name": f"{c.id}: {c.title}",
        "severity": _SEVERITY[c.severity.value],
        # The SDK takes one framework per policy: HIPAA here, SOC 2 and NIST as tags.
        "framework": frameworks(c)[0],
        "tags": [
            c.id,
            *(f"soc2:{x}" for x in cites.soc2),
            *(f"nist-800-53:{x}" for x in cites.nist),
            *(f"hipaa:{x}" for x in cites.hipaa),
        ],
        "remediation_steps": c.remediation,
    }

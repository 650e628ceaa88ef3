"""Machine formats: JSON, SARIF 2.1.0 (GitHub code scanning) and JUnit XML."""

from __future__ import annotations

import hashlib
import json
import re
from xml.etree import ElementTree as ET

from auditkit import __version__
from auditkit.auditors.findings import Finding, Report, Status, iso_utc
from auditkit.policies.catalog import control
from auditkit.policies.controls import Enforcement, Severity

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
# GitHub ranks code-scanning alerts by this number (critical >= 9.0, high >= 7.0, medium >= 4.0).
SECURITY_SEVERITY = {Severity.CRITICAL: "9.5", Severity.HIGH: "8.0", Severity.MEDIUM: "5.5", Severity.LOW: "3.0"}


def to_json(report: Report, source: str = "") -> str:
    return json.dumps(report.as_json(), indent=2)


def _fingerprint(f: Finding) -> str:
    return hashlib.sha256("|".join(f.key).encode()).hexdigest()[:32]


def _rule(control_id: str) -> dict:
    c = control(control_id)
    cites = c.citations
    help_text = f"{c.remediation}\n\nHIPAA: {', '.join(cites.hipaa)}\nSOC 2: {', '.join(cites.soc2)}\nNIST 800-53: {', '.join(cites.nist)}"
    return {
        "id": c.id,
        "name": "".join(part.capitalize() for part in c.id.replace(".", "_").split("_")),
        "shortDescription": {"text": c.title},
        "fullDescription": {"text": c.rationale},
        "help": {"text": help_text, "markdown": help_text.replace("\n", "  \n")},
        "defaultConfiguration": {"level": "error" if c.enforcement is Enforcement.MANDATORY else "warning"},
        "properties": {
            "tags": ["security", "compliance", "hipaa", "soc2", c.cloud],
            "security-severity": SECURITY_SEVERITY[c.severity],
            "precision": "high",
            "citations": cites.as_dict(),
        },
    }


def _sarif_result(report: Report, f: Finding, rule_index: int, source: str) -> dict:
    c = control(f.control)
    level = "error" if f.status is Status.ERROR or c.enforcement is Enforcement.MANDATORY else "warning"
    prefix = "Could not judge: " if f.status is Status.ERROR else ""
    return {
        "ruleId": f.control,
        "ruleIndex": rule_index,
        "level": level,
        "message": {"text": f"{prefix}{f.resource}: {f.message}"},
        "locations": [
            {
                "physicalLocation": {"artifactLocation": {"uri": source}, "region": {"startLine": 1}},
                "logicalLocations": [{"fullyQualifiedName": f.resource, "kind": "resource"}],
            }
        ],
        "partialFingerprints": {"auditkitFinding/v1": _fingerprint(f)},
        "properties": {
            "status": f.status.value,
            "account": f.account,
            "region": f.region,
            **({"baseline": report.baseline_state[f.key]} if f.key in report.baseline_state else {}),
        },
    }


def _sarif_invocation(report: Report) -> list[dict]:
    p = report.provenance
    if p is None:
        return []
    return [
        {
            "commandLine": f"auditkit {p.command}",
            "startTimeUtc": iso_utc(p.started_at),
            "endTimeUtc": iso_utc(p.finished_at),
            # Could every check be judged? An ERROR means no: the run did not fully succeed.
            "executionSuccessful": report.counts()["ERROR"] == 0,
            "properties": {"scope": p.as_dict()["scope"], "retention": p.retention},
        }
    ]


def to_sarif(report: Report, source: str = "Pulumi.yaml") -> str:
    """SARIF 2.1.0; `source` is the file the alerts are attached to (the stack file when known)."""
    gaps = sorted(report.gaps, key=lambda f: (f.control, f.resource))
    rule_ids = sorted({f.control for f in gaps})
    index = {r: i for i, r in enumerate(rule_ids)}
    run: dict = {
        "tool": {
            "driver": {
                "name": "AuditKit",
                "version": __version__,
                "informationUri": "https://github.com/auditkit/auditkit",
                "rules": [_rule(r) for r in rule_ids],
            }
        },
        "automationDetails": {"id": "auditkit/drift/"},
        "results": [_sarif_result(report, f, index[f.control], source) for f in gaps],
        "properties": {"summary": report.summary()},
    }
    if invocations := _sarif_invocation(report):
        run["invocations"] = invocations
    return json.dumps({"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}, indent=2)


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_text(text: str) -> str:
    """Cloud error messages may carry control characters XML 1.0 cannot hold."""
    return _NOT_XML.sub("?", text)


def to_junit(report: Report, source: str = "") -> str:
    """One testcase per control x resource; FAIL is a failure, ERROR an error, OPEN (not judged yet) skipped."""
    counts = report.counts()
    suites = ET.Element(
        "testsuites",
        name="auditkit",
        tests=str(len(report.findings)),
        failures=str(counts["FAIL"]),
        errors=str(counts["ERROR"]),
        skipped=str(counts.get("OPEN", 0)),
    )
    if report.provenance is not None:
        p = report.provenance.as_dict()
        suites.set("timestamp", p["started_at"])
        props = ET.SubElement(suites, "properties")
        for name, value in (
            ("tool", f"auditkit {p['tool']['version']}"),
            ("command", p["command"]),
            ("started_at", p["started_at"]),
            ("finished_at", p["finished_at"]),
            ("scope", json.dumps(p["scope"], sort_keys=True)),
            ("retention", p["retention"]),
        ):
            ET.SubElement(props, "property", name=name, value=_xml_text(value))
    by_control: dict[str, list[Finding]] = {}
    for f in report.findings:
        by_control.setdefault(f.control, []).append(f)
    for control_id in sorted(by_control):
        items = by_control[control_id]
        suite = ET.SubElement(
            suites,
            "testsuite",
            name=control_id,
            tests=str(len(items)),
            failures=str(sum(f.status is Status.FAIL for f in items)),
            errors=str(sum(f.status is Status.ERROR for f in items)),
            skipped=str(sum(f.status is Status.OPEN for f in items)),
        )
        cites = control(control_id).citations
        for f in sorted(items, key=lambda f: f.resource):
            case = ET.SubElement(
                suite,
                "testcase",
                classname=control_id,
                name=_xml_text(f"{f.resource} ({f.account} {f.region})".replace(" ()", "")),
            )
            detail = _xml_text(
                f"{f.message}\nHIPAA {', '.join(cites.hipaa)}; SOC 2 {', '.join(cites.soc2)}; NIST {', '.join(cites.nist)}"
            )
            if f.status is Status.FAIL:
                ET.SubElement(case, "failure", message=_xml_text(f.message[:500]), type="gap").text = detail
            elif f.status is Status.ERROR:
                ET.SubElement(case, "error", message=_xml_text(f.message[:500]), type="could-not-judge").text = detail
            elif f.status is Status.OPEN:  # not judged yet: neither a pass nor a failure
                ET.SubElement(case, "skipped", message=_xml_text(f.message[:500]))
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"

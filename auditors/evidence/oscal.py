"""NIST OSCAL Assessment Results (JSON) for a period of scan history.

One observation per recorded run (method TEST, collected at the run's start, its history key as
evidence); one finding per AuditKit control, `satisfied` only when the control passed on every day
of the period (a day not run or in error is not a pass). Reviewed controls are the NIST SP 800-53
ids the controls cite. UUIDs are version 5, derived from content, so the same history gives the
same document.
"""

from __future__ import annotations

import uuid
from typing import Any

from auditkit import __version__
from auditkit.auditors.evidence.timeline import ERROR, FAIL, NOT_RUN, PASS, Evidence
from auditkit.auditors.findings import iso_utc, utc_now

OSCAL_VERSION = "1.2.1"
NS = "https://github.com/auditkit/auditkit/ns/oscal"
_ROOT = uuid.UUID("6f1c1a4e-0c53-5d0e-9a55-2d8f7c1e0a11")


def _uuid(*parts: str) -> str:
    return str(uuid.uuid5(_ROOT, "|".join(parts)))


def _prop(name: str, value: str) -> dict[str, str]:
    return {"name": name, "ns": NS, "value": value}


def _observations(ev: Evidence) -> tuple[list[dict[str, Any]], dict[str, list[str]]]:
    """Each run's observation, and the observations that tested each control (for related-observations)."""
    obs: list[dict[str, Any]] = []
    by_control: dict[str, list[str]] = {}
    for run in sorted(ev.runs, key=lambda r: (r.started_at, r.key)):
        oid = _uuid("observation", run.source, run.key)
        for c in run.controls:
            by_control.setdefault(c, []).append(oid)
        c = run.counts
        obs.append(
            {
                "uuid": oid,
                "title": f"auditkit {run.command or 'run'} {iso_utc(run.started_at)}",
                "description": f"{c['PASS']} passing, {c['FAIL']} failing, {c['ERROR']} could not be judged.",
                "props": [_prop("history-source", run.source)],
                "methods": ["TEST"],
                "types": ["control-objective"],
                "collected": iso_utc(run.started_at),
                "relevant-evidence": [
                    {"href": f"{run.source}/{run.key}", "description": "The run's JSON report in the history chain."}
                ],
            }
        )
    return obs, by_control


def _finding(ev: Evidence, control_id: str, related: list[str]) -> dict[str, Any]:
    info = ev.controls[control_id]
    days = ev.control_days(control_id)
    counts = {label: days.count(code) for code, label in ((PASS, "pass"), (FAIL, "fail"), (ERROR, "error"))}
    counts["not run"] = days.count(NOT_RUN)
    satisfied = counts["pass"] == len(days) and len(days) > 0
    exceptions = sum(1 for e in ev.episodes if e.key[0] == control_id)
    cites = info.citations
    finding: dict[str, Any] = {
        "uuid": _uuid("finding", control_id, str(ev.period.start), str(ev.period.end)),
        "title": f"{control_id}: {info.title}",
        "description": (
            f"Over {len(days)} days: {counts['pass']} passed, {counts['fail']} failed, {counts['error']} could not be "
            f"judged, {counts['not run']} not run; {exceptions} exception(s)."
        ),
        "props": [
            _prop("auditkit-control", control_id),
            *[_prop("hipaa", c) for c in cites.get("hipaa", [])],
            *[_prop("soc2", c) for c in cites.get("soc2", [])],
            *[_prop("nist-800-53", c) for c in cites.get("nist_800_53", [])],
        ],
        "target": {
            "type": "objective-id",
            "target-id": control_id,
            "status": {"state": "satisfied" if satisfied else "not-satisfied"},
        },
    }
    if related:
        finding["related-observations"] = [{"observation-uuid": o} for o in related]
    return finding


def assessment_results(ev: Evidence) -> dict[str, Any]:
    observations, by_control = _observations(ev)
    nist = sorted({n.lower() for info in ev.controls.values() for n in info.citations.get("nist_800_53", [])})
    plan = _uuid("plan", str(ev.period.start), str(ev.period.end))
    findings = [_finding(ev, cid, by_control.get(cid, [])) for cid in sorted(ev.controls)]
    result: dict[str, Any] = {
        "uuid": _uuid("result", str(ev.period.start), str(ev.period.end)),
        "title": f"AuditKit scheduled checks {ev.period.start} to {ev.period.end}",
        "description": "Every scheduled AuditKit scan and verification recorded in the tamper-evident history.",
        "start": f"{ev.period.start}T00:00:00Z",
        "end": iso_utc(ev.period.closes_at),
        "reviewed-controls": {
            "control-selections": [{"include-controls": [{"control-id": n} for n in nist]}]
            if nist
            else [{"include-all": {}}]
        },
    }
    if observations:
        result["observations"] = observations
    if findings:
        result["findings"] = findings
    return {
        "assessment-results": {
            "uuid": _uuid("assessment-results", str(ev.period.start), str(ev.period.end)),
            "metadata": {
                "title": f"AuditKit evidence {ev.period.start} to {ev.period.end}",
                "last-modified": iso_utc(utc_now()),
                "version": __version__,
                "oscal-version": OSCAL_VERSION,
            },
            "import-ap": {"href": f"#{plan}"},
            "results": [result],
            "back-matter": {
                "resources": [
                    {
                        "uuid": plan,
                        "title": "AuditKit scheduled scan plan",
                        "description": "Daily `auditkit scan` (and `verify`) runs with --history; see the README's "
                        "'Scheduled scans' section. The controls and their citations are AuditKit's catalog.",
                    }
                ]
            },
        }
    }

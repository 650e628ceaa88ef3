"""NIST OSCAL for a period of scan history: the Assessment Results, and the catalog its findings target.

Everything an OSCAL tool follows resolves inside the package:
- `catalog.json`, an OSCAL catalog of the AuditKit controls the period checked (HIPAA, SOC 2 and
  NIST SP 800-53 mappings as properties), linked from back-matter with its SHA-256; the document's
  local objectives name those controls, and each finding targets its control's objective.
- Every raw report of the period is a back-matter resource whose `rlinks` carry its SHA-256 (the
  sampled copy inside the package, and the stored object in its bucket or folder), and each run's
  observation points at that resource (`#uuid`). Links are percent-encoded relative URI references.
- Subjects: one inventory item per resource (its ARN / resource name / id, account, region); one
  observation per control and resource names it. Exceptions are risks (with the owner, ticket and
  accepted-until of `--exceptions`), related to their control's finding.
- The histories' heads (the newest report of the window and of the history) are back-matter resources.

UUIDs are version 5, derived from content, so the same history gives the same document.
"""

from __future__ import annotations

import uuid
from typing import Any

from auditkit import __version__
from auditkit.auditors.evidence.contents import Package, RawReport, uri_reference
from auditkit.auditors.evidence.review_activity import observations as review_observations
from auditkit.auditors.evidence.timeline import (
    ERROR,
    FAIL,
    GONE,
    NOT_RUN,
    PASS,
    ControlInfo,
    Days,
    Episode,
    Evidence,
    uptime,
)
from auditkit.auditors.findings import iso_utc
from auditkit.auditors.history.chain import ChainCheck, Head

OSCAL_VERSION = "1.2.1"
NS = "https://github.com/auditkit/auditkit/ns/oscal"
_ROOT = uuid.UUID("6f1c1a4e-0c53-5d0e-9a55-2d8f7c1e0a11")
_MAPPINGS = (("hipaa", "hipaa"), ("soc2", "soc2"), ("nist_800_53", "nist-800-53"))


def _uuid(*parts: str) -> str:
    return str(uuid.uuid5(_ROOT, "|".join(parts)))


def _props(*pairs: tuple[str, str]) -> list[dict[str, str]]:
    """Properties in AuditKit's namespace; empty values are left out (OSCAL strings may not be empty)."""
    return [{"name": n, "ns": NS, "value": " ".join(v.split())} for n, v in pairs if v and v.strip()]


def _mapping_props(info: ControlInfo) -> list[dict[str, str]]:
    return _props(*((name, c) for field, name in _MAPPINGS for c in info.citations.get(field, [])))


def objective_id(control_id: str) -> str:
    return f"{control_id}_obj"


def catalog(ev: Evidence, generated: str) -> dict[str, Any]:
    """The controls the period checked, as an OSCAL catalog: one group per cloud."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for cid in sorted(ev.controls):
        info = ev.controls[cid]
        control: dict[str, Any] = {"id": cid, "title": info.title}
        props = _mapping_props(info)
        if props:
            control["props"] = props
        control["parts"] = [{"id": f"{cid}_smt", "name": "statement", "prose": info.title}]
        groups.setdefault(cid.split(".", 1)[0], []).append(control)
    return {
        "catalog": {
            "uuid": _uuid("catalog", *sorted(ev.controls)),
            "metadata": _metadata("AuditKit controls", generated),
            "groups": [
                {"id": g, "title": f"AuditKit {g} controls", "controls": cs} for g, cs in sorted(groups.items())
            ],
        }
    }


def _metadata(title: str, generated: str) -> dict[str, str]:
    return {"title": title, "last-modified": generated, "version": __version__, "oscal-version": OSCAL_VERSION}


def _rlink(href: str, sha: str) -> dict[str, Any]:
    return {
        "href": uri_reference(href),
        "media-type": "application/json",
        "hashes": [{"algorithm": "SHA-256", "value": sha}],
    }


def _raw_resource(raw: RawReport) -> dict[str, Any]:
    rlinks = [_rlink(h, raw.sha256) for h in (raw.copy, raw.location) if h]
    resource: dict[str, Any] = {
        "uuid": _uuid("report", raw.source, raw.key),
        "title": f"Report {raw.key}",
        "description": "A run's JSON report, byte for byte as stored in the history chain"
        + (" (a copy is in this package's samples/)." if raw.copy else "."),
        "props": _props(("history", raw.source), ("history-key", raw.key), ("sha256", raw.sha256)),
    }
    if rlinks:
        resource["rlinks"] = rlinks
    return resource


def _head_props(label: str, h: Head | None) -> list[dict[str, str]]:
    return _props((f"{label}-key", h.key), (f"{label}-sha256", h.sha256)) if h else []


def _history_resource(c: ChainCheck) -> dict[str, Any]:
    verdict = "intact" if c.intact else f"BROKEN: {'; '.join(c.problems[:3])}"
    return {
        "uuid": _uuid("history", c.source),
        "title": f"History {c.source}",
        "description": f"{c.links} chained reports; chain {verdict}. "
        + (" ".join(c.integrity[:3]) if c.integrity else "No integrity problem beyond the links."),
        "props": [
            *_props(("history", c.source), ("chain-intact", "true" if c.intact else "false")),
            *_head_props("window-head", c.window_head),
            *_head_props("history-head", c.head),
        ],
    }


def _subject_uuid(key: tuple[str, str, str, str]) -> str:
    return _uuid("subject", key[1], key[2], key[3])


def _inventory(ev: Evidence) -> list[dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}
    for key in sorted(ev.subjects):
        sid = _subject_uuid(key)
        if sid not in seen:
            _, resource, account, region = key
            seen[sid] = {
                "uuid": sid,
                "description": f"{resource}"
                + (f" in account {account}" if account else "")
                + (f", {region}" if region else ""),
                # asset-id in OSCAL's own namespace, so a GRC tool lists the resource by its ARN / name / id
                "props": [{"name": "asset-id", "value": resource}]
                + _props(("resource", resource), ("account", account), ("region", region)),
            }
    return list(seen.values())


def _run_observations(pkg: Package) -> list[dict[str, Any]]:
    raws = {(r.source, r.key): r for r in pkg.raws}
    out = []
    for run in sorted(pkg.ev.runs, key=lambda r: (r.started_at, r.key)):
        c = run.counts
        obs: dict[str, Any] = {
            "uuid": _uuid("observation", run.source, run.key),
            "title": f"auditkit {run.command or 'run'} {iso_utc(run.started_at)}",
            "description": f"{c['PASS']} passing, {c['FAIL']} failing, {c['ERROR']} could not be judged"
            + (f", {c['OPEN']} still open (not judged yet)." if c.get("OPEN") else "."),
            "props": _props(("history", run.source), ("history-key", run.key)),
            "methods": ["TEST"],
            "types": ["historic"],
            "collected": iso_utc(run.started_at),
        }
        if (run.source, run.key) in raws:
            ref = _uuid("report", run.source, run.key)
            obs["relevant-evidence"] = [{"href": f"#{ref}", "description": "The run's JSON report (back-matter)."}]
        out.append(obs)
    return out


def _subject_observation(ev: Evidence, key: tuple[str, str, str, str], days: Days) -> dict[str, Any]:
    control, resource = key[0], key[1]
    counts = {label: days.count(code) for code, label in ((PASS, "passed"), (FAIL, "failed"), (ERROR, "error"))}
    return {
        "uuid": _uuid("subject-observation", *key),
        "title": f"{control} on {resource}",
        "description": f"Over {len(days)} days: {counts['passed']} passed, {counts['failed']} failed, "
        f"{counts['error']} could not be judged, {days.count(NOT_RUN)} not run ({uptime(days)}% uptime).",
        "methods": ["TEST"],
        "types": ["control-objective"],
        "subjects": [{"subject-uuid": _subject_uuid(key), "type": "inventory-item", "title": resource}],
        "collected": iso_utc(ev.period.closes_at),
    }


def _risk(pkg: Package, e: Episode) -> dict[str, Any]:
    note = pkg.note(e)
    accepted = note is not None and note.accepted_on(pkg.ev.period.end) and e.resolved is None
    status = "closed" if e.resolved else "deviation-approved" if accepted else "open"
    control, resource = e.key[0], e.key[1]
    risk: dict[str, Any] = {
        "uuid": _uuid("risk", *e.key, iso_utc(e.first_seen)),
        "title": f"{control} {e.status} on {resource}",
        "description": f"First seen {iso_utc(e.first_seen)} in {e.first_seen_in}; "
        + (
            f"resolved {iso_utc(e.resolved)} in {e.resolved_in}"
            + (f": {e.resolution}." if e.resolution == GONE else ".")
            if e.resolved
            else "still open at the end of the period."
        ),
        "statement": f"{control} did not pass on {resource}: the control's evidence is missing for that time.",
        "props": _props(("auditkit-control", control), ("resource", resource), ("first-seen-in", e.first_seen_in)),
        "status": status,
    }
    if note is not None:
        risk["props"] += _props(
            ("owner", note.owner),
            ("ticket", note.ticket),
            ("accepted-until", str(note.accepted_until)),
            ("exceptions-row", str(note.row)),
            ("justification", note.justification),
        )
        risk["deadline"] = f"{note.accepted_until}T23:59:59Z"
    return risk


def _finding(ev: Evidence, cid: str, related: list[str], risks: list[str]) -> dict[str, Any]:
    info, days = ev.controls[cid], ev.control_days(cid)
    satisfied = days.count(PASS) == len(days) and len(days) > 0
    exceptions = sum(1 for e in ev.episodes if e.key[0] == cid)
    finding: dict[str, Any] = {
        "uuid": _uuid("finding", cid, str(ev.period.start), str(ev.period.end)),
        "title": f"{cid}: {info.title}",
        "description": (
            f"Over {len(days)} days: {days.count(PASS)} passed, {days.count(FAIL)} failed, {days.count(ERROR)} could "
            f"not be judged, {days.count(NOT_RUN)} not run; {exceptions} exception(s)."
        ),
        "props": [*_props(("auditkit-control", cid)), *_mapping_props(info)],
        "target": {
            "type": "objective-id",
            "target-id": objective_id(cid),
            "status": {"state": "satisfied" if satisfied else "not-satisfied"},
        },
    }
    if related:
        finding["related-observations"] = [{"observation-uuid": o} for o in related]
    if risks:
        finding["related-risks"] = [{"risk-uuid": r} for r in risks]
    return finding


def _objective(cid: str, info: ControlInfo) -> dict[str, Any]:
    objective: dict[str, Any] = {"control-id": cid, "description": info.title}
    props = _mapping_props(info)
    if props:
        objective["props"] = props
    objective["parts"] = [
        {"id": objective_id(cid), "name": "objective", "prose": f"{info.title}, on every day of the period."}
    ]
    return objective


def _result(pkg: Package) -> dict[str, Any]:
    ev = pkg.ev
    subject_obs: list[dict[str, Any]] = []
    by_control: dict[str, list[str]] = {}
    for key, days in sorted(ev.subjects.items()):
        o = _subject_observation(ev, key, days)
        subject_obs.append(o)
        by_control.setdefault(key[0], []).append(o["uuid"])
    risks = [_risk(pkg, e) for e in ev.episodes]
    risks_by_control: dict[str, list[str]] = {}
    for e, r in zip(ev.episodes, risks, strict=True):
        risks_by_control.setdefault(e.key[0], []).append(r["uuid"])
    result: dict[str, Any] = {
        "uuid": _uuid("result", str(ev.period.start), str(ev.period.end)),
        "title": f"AuditKit scheduled checks {ev.period.start} to {ev.period.end}",
        "description": "Every scheduled AuditKit scan and verification recorded in the tamper-evident history.",
        "start": f"{ev.period.start}T00:00:00Z",
        "end": iso_utc(ev.period.closes_at),
        "reviewed-controls": {
            "control-selections": [{"include-controls": [{"control-id": c} for c in sorted(ev.controls)]}]
            if ev.controls
            else [{"include-all": {}}]
        },
    }
    inventory = _inventory(ev)
    if inventory:
        result["local-definitions"] = {"inventory-items": inventory}
    observations = _run_observations(pkg) + subject_obs + review_observations(pkg.reviews)
    if observations:
        result["observations"] = observations
    if risks:
        result["risks"] = risks
    findings = [_finding(ev, c, by_control.get(c, []), risks_by_control.get(c, [])) for c in sorted(ev.controls)]
    if findings:
        result["findings"] = findings
    return result


def assessment_results(pkg: Package) -> dict[str, Any]:
    ev = pkg.ev
    plan = _uuid("plan", str(ev.period.start), str(ev.period.end))
    resources: list[dict[str, Any]] = [
        {
            "uuid": plan,
            "title": "AuditKit scheduled scan plan",
            "description": "Daily `auditkit scan` (and `verify`) runs with --history; see the README's "
            "'Scheduled scans' section. The controls and their citations are in catalog.json.",
        },
        {
            "uuid": _uuid("catalog-resource"),
            "title": "AuditKit control catalog",
            "description": "The controls these findings target, with their HIPAA, SOC 2 and NIST SP 800-53 mappings.",
            "rlinks": [_rlink("catalog.json", pkg.catalog_sha256)]
            if pkg.catalog_sha256
            else [{"href": "catalog.json"}],
        },
        *(_history_resource(c) for c in pkg.checks),
        *(_raw_resource(r) for r in pkg.raws),
    ]
    doc: dict[str, Any] = {
        "uuid": _uuid("assessment-results", str(ev.period.start), str(ev.period.end)),
        "metadata": _metadata(f"AuditKit evidence {ev.period.start} to {ev.period.end}", pkg.generated),
        "import-ap": {"href": f"#{plan}"},
    }
    if ev.controls:
        doc["local-definitions"] = {
            "objectives-and-methods": [_objective(c, ev.controls[c]) for c in sorted(ev.controls)]
        }
    doc["results"] = [_result(pkg)]
    doc["back-matter"] = {"resources": resources}
    return {"assessment-results": doc}

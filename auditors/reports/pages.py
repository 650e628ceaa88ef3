"""Human formats: Markdown (CI job summaries) and a self-contained HTML page; the order all human formats share."""

from __future__ import annotations

import html

from auditkit.auditors.findings import Finding, Report, Status
from auditkit.policies.catalog import control
from auditkit.policies.controls import Severity

_SEVERITY = {Severity.CRITICAL: 0, Severity.HIGH: 1, Severity.MEDIUM: 2, Severity.LOW: 3}
_STATUS = {Status.ERROR: 0, Status.FAIL: 1}


def worst_first(report: Report) -> list[Finding]:
    """Gaps (FAIL and ERROR) first, by the control's severity (critical, high, medium, low), then control,
    status and resource; periods still open (OPEN) next; passing checks after them. An organization's findings are grouped by account first."""
    by_account = len({f.account for f in report.findings}) > 1

    def rank(f: Finding) -> tuple:
        account = f.account if by_account else ""
        if f.status is Status.PASS:
            return (account, 2, 0, f.control, 0, f.resource)
        if f.status is Status.OPEN:
            return (account, 1, 0, f.control, 0, f.resource)
        return (account, 0, _SEVERITY[control(f.control).severity], f.control, _STATUS[f.status], f.resource)

    return sorted(report.findings, key=rank)


def _scope(s: dict) -> str:
    """What was scanned, in the words of the clouds that were (accounts and regions, subscriptions...)."""
    parts = [
        f"{s[k]} {label}"
        for k, label in (
            ("accounts", "account(s)"),
            ("subscriptions", "subscription(s)"),
            ("regions", "region(s)"),
            ("api_calls", "API calls"),
        )
        if k in s
    ]
    if "seconds" in s:
        parts.append(f"{s['seconds']} s")
    if "required_retention" in s:
        parts.append(f"required retention {s['required_retention']}")
    return " · ".join(parts)


def title(report: Report) -> str:
    """What ran: `verify` proves delivered logs (a log integrity verification), the rest look for drift."""
    verify = report.provenance is not None and report.provenance.command.startswith("verify")
    return "AuditKit log integrity verification" if verify else "AuditKit drift scan"


def headline(report: Report) -> str:
    c = report.counts()
    s = report.summary()
    line = f"{c['FAIL']} {'gap' if c['FAIL'] == 1 else 'gaps'}, {c['ERROR']} could not be judged, {c['PASS']} passing"
    if c.get("OPEN"):
        line += f", {c['OPEN']} still open (not judged yet)"
    if "baseline" in s:
        b = s["baseline"]
        line += f" — since the baseline: {b['new']} new, {b['open']} still open, {b['resolved']} resolved"
    return line


def _cites(control_id: str) -> str:
    c = control(control_id).citations
    return f"HIPAA {', '.join(c.hipaa)}; SOC 2 {', '.join(c.soc2)}"


def to_markdown(report: Report, source: str = "") -> str:
    s = report.summary()
    lines = [
        f"# {title(report)}",
        "",
        f"**{headline(report)}** · {_scope(s)}",
        "",
        *([f"_{report.provenance.line()}_", ""] if report.provenance else []),
    ]
    gaps = [f for f in worst_first(report) if f.status is not Status.PASS]
    if gaps:  # FAIL, ERROR and OPEN: everything not claimed as passing
        lines += [
            "| status | severity | control | resource | finding | citations |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for f in gaps:
            state = report.baseline_state.get(f.key)
            status = f"{f.status.value}{f' ({state})' if state else ''}"
            msg = f.message.replace("|", "\\|")
            severity = control(f.control).severity.value
            lines.append(f"| {status} | {severity} | `{f.control}` | `{f.resource}` | {msg} | {_cites(f.control)} |")
    else:
        lines.append("No gaps: every control passes.")
    if report.still_open and not report.gaps:
        lines.append("No gaps in the closed periods; the periods listed as OPEN are not judged yet.")
    if report.resolved:
        lines += ["", "## Resolved since the baseline", ""]
        lines += [f"- `{f.control}` `{f.resource}`" for f in report.resolved]
    lines += ["", f"<details><summary>{s['PASS']} passing checks</summary>", ""]
    lines += [f"- `{f.control}` `{f.resource}`: {f.message}" for f in worst_first(report) if f.status is Status.PASS]
    lines += ["", "</details>", ""]
    return "\n".join(lines)


_CSS = """
body{font-family:system-ui,sans-serif;margin:2rem;color:#1b1f24}h1{margin-bottom:.2rem}
table{border-collapse:collapse;width:100%;margin-top:1rem}th,td{border:1px solid #d0d7de;padding:.4rem .6rem;
text-align:left;vertical-align:top;font-size:.9rem}th{background:#f6f8fa}code{font-size:.85rem}
.FAIL{background:#ffebe9}.ERROR{background:#fff8c5}.PASS{background:#dafbe1}.OPEN{background:#ddf4ff}.muted{color:#57606a}
.critical,.high{font-weight:600}.critical{color:#8250df}.high{color:#cf222e}.medium{color:#9a6700}
"""


def to_html(report: Report, source: str = "") -> str:
    s = report.summary()
    e = html.escape
    rows = []
    for f in worst_first(report):
        c = control(f.control)
        state = report.baseline_state.get(f.key, "")
        severity = c.severity.value
        rows.append(
            f"<tr class='{f.status.value}'><td>{f.status.value}{' (' + state + ')' if state else ''}</td>"
            f"<td class='{severity}'>{severity}</td><td><code>{e(f.control)}</code><br><span class='muted'>{e(c.title)}</span></td>"
            f"<td><code>{e(f.resource)}</code><br><span class='muted'>{e(f.account)} {e(f.region)}</span></td>"
            f"<td>{e(f.message)}</td><td>{e(_cites(f.control))}; NIST {e(', '.join(c.citations.nist))}</td></tr>"
        )
    resolved = "".join(f"<li><code>{e(f.control)}</code> <code>{e(f.resource)}</code></li>" for f in report.resolved)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{e(title(report))}</title><style>{_CSS}</style></head>
<body><h1>{e(title(report))}</h1>
<p><strong>{e(headline(report))}</strong></p>
<p class="muted">{e(_scope(s))}</p>
{f'<p class="muted">{e(report.provenance.line())}</p>' if report.provenance else ""}
<table><thead><tr><th>status</th><th>severity</th><th>control</th><th>resource</th><th>finding</th><th>citations</th></tr></thead>
<tbody>{"".join(rows)}</tbody></table>
{"<h2>Resolved since the baseline</h2><ul>" + resolved + "</ul>" if resolved else ""}
</body></html>
"""

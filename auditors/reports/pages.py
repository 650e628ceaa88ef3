"""Human formats: a terminal table, Markdown (CI job summaries) and a self-contained HTML page."""

from __future__ import annotations

import html
import io

from rich.console import Console
from rich.table import Table

from auditkit.auditors.findings import Finding, Report, Status
from auditkit.policies.catalog import control

_ICON = {Status.PASS: "PASS", Status.FAIL: "FAIL", Status.ERROR: "ERROR"}


def _rows(report: Report) -> list[Finding]:
    """Worst first; a scan of several accounts (an AWS organization) is grouped by account first."""
    rank = {Status.ERROR: 0, Status.FAIL: 1, Status.PASS: 2}
    by_account = len({f.account for f in report.findings}) > 1
    return sorted(
        report.findings, key=lambda f: (f.account if by_account else "", rank[f.status], f.control, f.resource)
    )


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


def _title(report: Report) -> str:
    """What ran: `verify` proves delivered logs (a log integrity verification), the rest look for drift."""
    verify = report.provenance is not None and report.provenance.command.startswith("verify")
    return "AuditKit log integrity verification" if verify else "AuditKit drift scan"


def _headline(report: Report) -> str:
    c = report.counts()
    s = report.summary()
    line = f"{c['FAIL']} {'gap' if c['FAIL'] == 1 else 'gaps'}, {c['ERROR']} could not be judged, {c['PASS']} passing"
    if "baseline" in s:
        b = s["baseline"]
        line += f" — since the baseline: {b['new']} new, {b['open']} still open, {b['resolved']} resolved"
    return line


def to_table(report: Report, source: str = "") -> str:
    buf = io.StringIO()
    console = Console(file=buf, width=160, force_terminal=False, color_system=None)
    caption = report.provenance.line() if report.provenance else None
    table = Table(title=f"{_title(report)} — {_headline(report)}", caption=caption, show_lines=False)
    # Several accounts (an organization): say whose finding it is, unless the resource already names it.
    accounts = len({f.account for f in report.findings}) > 1 and any(
        f.account not in f.resource for f in report.findings
    )
    regions = any(f.region for f in report.findings)  # Azure and GCP findings carry no region
    columns = ("status", *(("account",) if accounts else ()), "control", "resource", *(("region",) if regions else ()))
    for col in (*columns, "message"):
        table.add_column(col, overflow="fold")
    passing = [f for f in report.findings if f.status is Status.PASS]
    for f in _rows(report):
        if f.status is not Status.PASS:
            state = report.baseline_state.get(f.key)
            who = (f.account,) if accounts else ()
            where = (f.region,) if regions else ()
            status = _ICON[f.status] + (f" ({state})" if state else "")
            table.add_row(status, *who, f.control, f.resource, *where, f.message)
    if passing:
        who, where = ("",) * accounts, ("",) * regions
        controls = ", ".join(sorted({f.control for f in passing}))
        table.add_row("PASS", *who, f"{len(passing)} checks", "", *where, controls)
    console.print(table)
    return buf.getvalue()


def _cites(control_id: str) -> str:
    c = control(control_id).citations
    return f"HIPAA {', '.join(c.hipaa)}; SOC 2 {', '.join(c.soc2)}"


def to_markdown(report: Report, source: str = "") -> str:
    s = report.summary()
    lines = [
        f"# {_title(report)}",
        "",
        f"**{_headline(report)}** · {_scope(s)}",
        "",
        *([f"_{report.provenance.line()}_", ""] if report.provenance else []),
    ]
    gaps = [f for f in _rows(report) if f.status is not Status.PASS]
    if gaps:
        lines += ["| status | control | resource | finding | citations |", "| --- | --- | --- | --- | --- |"]
        for f in gaps:
            state = report.baseline_state.get(f.key)
            status = f"{f.status.value}{f' ({state})' if state else ''}"
            msg = f.message.replace("|", "\\|")
            lines.append(f"| {status} | `{f.control}` | `{f.resource}` | {msg} | {_cites(f.control)} |")
    else:
        lines.append("No gaps: every control passes.")
    if report.resolved:
        lines += ["", "## Resolved since the baseline", ""]
        lines += [f"- `{f.control}` `{f.resource}`" for f in report.resolved]
    lines += ["", f"<details><summary>{s['PASS']} passing checks</summary>", ""]
    lines += [f"- `{f.control}` `{f.resource}`: {f.message}" for f in _rows(report) if f.status is Status.PASS]
    lines += ["", "</details>", ""]
    return "\n".join(lines)


_CSS = """
body{font-family:system-ui,sans-serif;margin:2rem;color:#1b1f24}h1{margin-bottom:.2rem}
table{border-collapse:collapse;width:100%;margin-top:1rem}th,td{border:1px solid #d0d7de;padding:.4rem .6rem;
text-align:left;vertical-align:top;font-size:.9rem}th{background:#f6f8fa}code{font-size:.85rem}
.FAIL{background:#ffebe9}.ERROR{background:#fff8c5}.PASS{background:#dafbe1}.muted{color:#57606a}
"""


def to_html(report: Report, source: str = "") -> str:
    s = report.summary()
    e = html.escape
    rows = []
    for f in _rows(report):
        c = control(f.control)
        state = report.baseline_state.get(f.key, "")
        rows.append(
            f"<tr class='{f.status.value}'><td>{f.status.value}{' (' + state + ')' if state else ''}</td>"
            f"<td><code>{e(f.control)}</code><br><span class='muted'>{e(c.title)}</span></td>"
            f"<td><code>{e(f.resource)}</code><br><span class='muted'>{e(f.account)} {e(f.region)}</span></td>"
            f"<td>{e(f.message)}</td><td>{e(_cites(f.control))}; NIST {e(', '.join(c.citations.nist))}</td></tr>"
        )
    resolved = "".join(f"<li><code>{e(f.control)}</code> <code>{e(f.resource)}</code></li>" for f in report.resolved)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{e(_title(report))}</title><style>{_CSS}</style></head>
<body><h1>{e(_title(report))}</h1>
<p><strong>{e(_headline(report))}</strong></p>
<p class="muted">{e(_scope(s))}</p>
{f'<p class="muted">{e(report.provenance.line())}</p>' if report.provenance else ""}
<table><thead><tr><th>status</th><th>control</th><th>resource</th><th>finding</th><th>citations</th></tr></thead>
<tbody>{"".join(rows)}</tbody></table>
{"<h2>Resolved since the baseline</h2><ul>" + resolved + "</ul>" if resolved else ""}
</body></html>
"""

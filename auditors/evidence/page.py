"""index.html of the evidence package: one self-contained page an auditor opens offline.

Timelines are drawn as inline SVG with one rectangle per run of equal days (a year of a resource
is a handful of shapes, not 365 cells), each with a tooltip giving its dates and status.
"""

from __future__ import annotations

import html
from datetime import date, timedelta

from auditkit.auditors.evidence.timeline import ERROR, FAIL, LABEL, NOT_RUN, PASS, Evidence, uptime
from auditkit.auditors.findings import iso_utc
from auditkit.auditors.history import ChainCheck

_COLOUR = {PASS: "#2da44e", FAIL: "#cf222e", ERROR: "#bf8700", NOT_RUN: "#d0d7de"}
_CSS = """
body{font-family:system-ui,sans-serif;margin:2rem;color:#1b1f24;max-width:80rem}
table{border-collapse:collapse;width:100%;margin:.6rem 0 1.2rem}th,td{border:1px solid #d0d7de;padding:.3rem .5rem;
text-align:left;vertical-align:top;font-size:.85rem}th{background:#f6f8fa}code{font-size:.8rem}
.bad{color:#cf222e;font-weight:600}.good{color:#1a7f37;font-weight:600}.muted{color:#57606a}
svg{display:block}.key span{display:inline-block;width:.9rem;height:.9rem;margin:0 .3rem 0 1rem;vertical-align:middle}
"""
_W = 730  # px across the period


def strip(days: bytes, start: date) -> str:
    """An SVG bar: one rect per run of equal statuses."""
    n = len(days) or 1
    rects, i = [], 0
    while i < len(days):
        j = i
        while j + 1 < len(days) and days[j + 1] == days[i]:
            j += 1
        x, w = _W * i / n, max(_W * (j - i + 1) / n, 0.5)
        first, last = start + timedelta(days=i), start + timedelta(days=j)
        when = f"{first}" if i == j else f"{first} to {last}"
        rects.append(
            f'<rect x="{x:.1f}" y="0" width="{w:.1f}" height="14" fill="{_COLOUR[days[i]]}">'
            f"<title>{when}: {LABEL[days[i]]}</title></rect>"
        )
        i = j + 1
    return f'<svg width="{_W}" height="14" role="img">{"".join(rects)}</svg>'


def _chain_section(checks: list[ChainCheck], ev: Evidence) -> str:
    e = html.escape
    rows = []
    for c in checks:
        missing = ev.missing_days(c.source)
        verdict = "<span class='good'>intact</span>" if c.intact else "<span class='bad'>BROKEN</span>"
        problems = "".join(f"<li>{e(p)}</li>" for p in c.problems)
        gaps = ", ".join(str(d) for d in missing[:60]) + (f" … ({len(missing)} in all)" if len(missing) > 60 else "")
        rows.append(
            f"<tr><td><code>{e(c.source)}</code></td><td>{c.links}</td><td>{verdict}<ul>{problems}</ul></td>"
            f"<td>{'<span class=bad>' + str(len(missing)) + '</span>: ' + e(gaps) if missing else '0'}</td></tr>"
        )
    return (
        "<h2>1. The history chain</h2><p>Each report holds the SHA-256 of the one before it; a deleted or edited "
        "report breaks the link after it. Days with no run are listed: they are <em>not run</em>, never a pass.</p>"
        "<table><tr><th>history</th><th>reports</th><th>chain</th><th>days without a run</th></tr>"
        + "".join(rows)
        + "</table>"
    )


def _controls_section(ev: Evidence) -> str:
    e, start, out = html.escape, ev.period.start, []
    for cid in sorted(ev.controls):
        info, days = ev.controls[cid], ev.control_days(cid)
        cites = "; ".join(f"{k.upper().replace('_', ' ')} {', '.join(v)}" for k, v in info.citations.items() if v)
        rows = [
            f"<tr><td><code>{e(k[1])}</code><br><span class=muted>{e(k[2])} {e(k[3])}</span></td>"
            f"<td>{strip(d, start)}</td><td>{uptime(d)}%</td></tr>"
            for k, d in sorted(ev.subjects.items())
            if k[0] == cid
        ]
        out.append(
            f"<h3><code>{e(cid)}</code> {e(info.title)}</h3><p class=muted>{e(cites)}</p>"
            f"<table><tr><th>resource</th><th>{start} … {ev.period.end}</th><th>uptime</th></tr>"
            f"<tr><th>the control (worst of its resources)</th><td>{strip(days, start)}</td><td>{uptime(days)}%</td></tr>"
            + "".join(rows)
            + "</table>"
        )
    key = "".join(f"<span style='background:{_COLOUR[c]}'></span>{LABEL[c]}" for c in (PASS, FAIL, ERROR, NOT_RUN))
    return (
        "<h2>2. Controls, day by day</h2><p class=key>A day's status is the worst of that day's runs;"
        f" uptime is the share of the period's days that passed.{key}</p>" + "".join(out)
    )


def _exceptions_section(ev: Evidence, sla: timedelta) -> str:
    e, rows = html.escape, []
    for x in ev.episodes:
        ttr = x.time_to_resolve
        met = x.sla_met(sla, ev.period.closes_at)
        rows.append(
            f"<tr><td><code>{e(x.key[0])}</code></td><td><code>{e(x.key[1])}</code> {e(x.key[2])} {e(x.key[3])}</td>"
            f"<td>{x.status}</td><td>{iso_utc(x.first_seen)}</td>"
            f"<td>{iso_utc(x.resolved) if x.resolved else '<span class=bad>open</span>'}</td>"
            f"<td>{_duration(ttr) if ttr else '-'}</td>"
            f"<td>{'<span class=good>yes</span>' if met else '<span class=bad>no</span>'}</td>"
            f"<td><code>{e(x.first_seen_in)}</code><br><code>{e(x.resolved_in or '-')}</code></td></tr>"
        )
    return (
        f"<h2>3. Exceptions ({len(ev.episodes)})</h2><p>A failure or a check that could not be judged, from the first "
        f"run that showed it to the first run that passed again. SLA: {sla.days} day(s); an open exception meets it "
        "only while it is younger than the SLA at the end of the period.</p>"
        "<table><tr><th>control</th><th>resource</th><th>as first seen</th><th>first seen</th><th>resolved</th>"
        "<th>time to resolve</th><th>SLA met</th><th>reports (first seen, resolved)</th></tr>"
        + "".join(rows)
        + "</table>"
    )


def _duration(d: timedelta) -> str:
    hours = d.total_seconds() / 3600
    return f"{hours / 24:.1f} days" if hours >= 48 else f"{hours:.1f} hours"


def _verify_section(ev: Evidence) -> str:
    if not ev.verified_digests:
        return "<h2>4. Log integrity (verify)</h2><p>No <code>auditkit verify</code> runs in this history.</p>"
    rows = "".join(
        f"<tr><td>{d}</td><td>{ev.verified_digests.get(d, 0)}</td></tr>"
        for d in ev.period.days
        if d in ev.verified_digests
    )
    return (
        "<h2>4. Log integrity (verify)</h2><p>CloudTrail digest-hours verified per day (one digest per region per "
        "hour). Days absent here had no verify run.</p><table><tr><th>day</th><th>digest-hours verified</th></tr>"
        + rows
        + "</table>"
    )


def index_html(ev: Evidence, checks: list[ChainCheck], sla: timedelta, samples: list[date], generated: str) -> str:
    intact = all(c.intact for c in checks)
    missing = sum(len(ev.missing_days(c.source)) for c in checks)
    verdict = (
        "<span class=good>chain intact, a run every day</span>"
        if intact and not missing
        else f"<span class=bad>{'chain BROKEN' if not intact else 'chain intact'}; {missing} day(s) without a run</span>"
    )
    sample_list = ", ".join(f"<a href='samples/{d}/'>{d}</a>" for d in samples) or "none requested"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>AuditKit evidence {ev.period.start} to {ev.period.end}</title>
<style>{_CSS}</style></head><body>
<h1>AuditKit evidence, {ev.period.start} to {ev.period.end}</h1>
<p>{verdict} · {len(ev.runs)} runs · {len(ev.controls)} controls · {len(ev.subjects)} control × resource pairs ·
{len(ev.episodes)} exceptions · generated {generated}</p>
<p class=muted>Also in this package: <code>assessment-results.json</code> (NIST OSCAL Assessment Results),
<code>controls.csv</code>, the raw reports of the sampled days ({sample_list}) and <code>manifest.json</code>
(SHA-256 of every file).</p>
{_chain_section(checks, ev)}
{_controls_section(ev)}
{_exceptions_section(ev, sla)}
{_verify_section(ev)}
</body></html>
"""

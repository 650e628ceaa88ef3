"""index.html of the evidence package: one self-contained page an auditor opens offline or prints.

Timelines are inline SVG with one rectangle per run of equal days (a year of a resource is a
handful of shapes, not 365 cells) above a dated axis, and every day that did not pass is also
written out as text, so the page reads the same on paper as on screen.
"""

from __future__ import annotations

import html
import shlex
from datetime import date, timedelta

from auditkit.auditors.evidence.contents import Package
from auditkit.auditors.evidence.review_activity import section as review_section
from auditkit.auditors.evidence.timeline import (
    ERROR,
    FAIL,
    GONE,
    LABEL,
    NOT_RUN,
    PASS,
    Days,
    Episode,
    Evidence,
    Period,
    uptime,
)
from auditkit.auditors.findings import iso_utc
from auditkit.auditors.history.chain import ChainCheck, Head

_COLOUR = {PASS: "#2da44e", FAIL: "#cf222e", ERROR: "#bf8700", NOT_RUN: "#d0d7de"}
_CSS = """
body{font-family:system-ui,sans-serif;margin:2rem;color:#1b1f24;max-width:80rem}
table{border-collapse:collapse;width:100%;margin:.6rem 0 1.2rem}th,td{border:1px solid #d0d7de;padding:.3rem .5rem;
text-align:left;vertical-align:top;font-size:.85rem}th{background:#f6f8fa}code{font-size:.8rem;overflow-wrap:anywhere}
pre{background:#f6f8fa;padding:.6rem;white-space:pre-wrap;overflow-wrap:anywhere;font-size:.8rem}
.bad{color:#cf222e;font-weight:600}.good{color:#1a7f37;font-weight:600}.muted{color:#57606a}
svg{display:block}.key span{display:inline-block;width:.9rem;height:.9rem;margin:0 .3rem 0 1rem;vertical-align:middle}
svg,.key span{print-color-adjust:exact;-webkit-print-color-adjust:exact}
@media print{body{margin:0;max-width:none}h2{break-after:avoid}tr{break-inside:avoid}}
"""
_W = 730  # px across the period
_SPANS = 8  # non-passing spans written out per row; the rest counted


def spans(days: Days, start: date) -> list[tuple[date, date, int]]:
    """Runs of equal status: (first day, last day, status)."""
    out, i = [], 0
    while i < len(days):
        j = i
        while j + 1 < len(days) and days[j + 1] == days[i]:
            j += 1
        out.append((start + timedelta(days=i), start + timedelta(days=j), days[i]))
        i = j + 1
    return out


def _when(first: date, last: date) -> str:
    return f"{first}" if first == last else f"{first} to {last}"


def strip(days: Days, start: date) -> str:
    """An SVG bar: one rect per run of equal statuses (a tooltip on screen; the text column on paper)."""
    n = len(days) or 1
    rects = []
    for first, last, code in spans(days, start):
        i, j = (first - start).days, (last - start).days
        x, w = _W * i / n, max(_W * (j - i + 1) / n, 0.5)
        rects.append(
            f'<rect x="{x:.1f}" y="0" width="{w:.1f}" height="14" fill="{_COLOUR[code]}">'
            f"<title>{_when(first, last)}: {LABEL[code]}</title></rect>"
        )
    return f'<svg width="{_W}" height="14" role="img">{"".join(rects)}</svg>'


def ticks(period: Period) -> list[date]:
    """Dates to print on the axis: every day, week, month or quarter, whichever keeps labels apart."""
    days = period.days
    if len(days) <= 14:
        return days
    if len(days) <= 62:
        return days[::7]
    months = [d for d in days if d.day == 1] or days[:1]
    step = 1 if len(months) <= 13 else 3 if len(months) <= 40 else 12
    return months[::step]


def axis(period: Period) -> str:
    """The period's dates under the timelines: printed labels, no tooltip needed."""
    n = len(period.days) or 1
    marks = []
    for d in ticks(period):
        x = _W * (d - period.start).days / n
        label = f"{d:%Y-%m}" if d.day == 1 and len(period.days) > 62 else f"{d}"
        marks.append(
            f'<line x1="{x:.1f}" y1="0" x2="{x:.1f}" y2="5" stroke="#57606a"/>'
            f'<text x="{x + 2:.1f}" y="15" font-size="9" fill="#1b1f24">{label}</text>'
        )
    return f'<svg width="{_W + 60}" height="18" role="img" aria-label="dates">{"".join(marks)}</svg>'


def not_passing(days: Days, start: date) -> str:
    """The days that did not pass, as text (what the colours say, for paper)."""
    bad = [(f, last, c) for f, last, c in spans(days, start) if c != PASS]
    if not bad:
        return "every day passed"
    text = "; ".join(f"{LABEL[c]} {_when(f, last)}" for f, last, c in bad[:_SPANS])
    return text + (f"; … {len(bad) - _SPANS} more" if len(bad) > _SPANS else "")


def _head(h: Head | None) -> str:
    return f"<code>{html.escape(h.key)}</code><br>SHA-256 <code>{h.sha256}</code>" if h else "-"


def _chain_section(checks: list[ChainCheck], ev: Evidence) -> str:
    e = html.escape
    rows = []
    for c in checks:
        missing = ev.missing_days(c.source)
        verdict = "<span class='good'>intact</span>" if c.intact else "<span class='bad'>BROKEN</span>"
        problems = "".join(f"<li>{e(p)}</li>" for p in c.problems)
        beyond = "".join(f"<li class=bad>{e(p)}</li>" for p in c.integrity)
        held = "".join(f"<li>{e(p)}</li>" for p in c.verified)
        gaps = ", ".join(str(d) for d in missing[:60]) + (f" … ({len(missing)} in all)" if len(missing) > 60 else "")
        rows.append(
            f"<tr><td><code>{e(c.source)}</code></td><td>{c.links}</td><td>{verdict}<ul>{problems}{beyond}{held}</ul></td>"
            f"<td>{'<span class=bad>' + str(len(missing)) + '</span>: ' + e(gaps) if missing else '0'}</td>"
            f"<td>{_head(c.window_head)}</td><td>{_head(c.head)}</td></tr>"
        )
    return (
        "<h2>1. The history chain</h2><p>Each report holds the SHA-256 of the one before it; a deleted or edited "
        "report breaks the link after it. The head is the newest report: kept outside the history (the scan prints "
        "it), it shows that nothing up to it was removed, edited or re-hashed since. Days with no run are listed: "
        "they are <em>not run</em>, never a pass.</p>"
        "<table><tr><th>history</th><th>reports</th><th>chain, anchors, locks</th><th>days without a run</th>"
        "<th>head of the period</th><th>head of the history</th></tr>" + "".join(rows) + "</table>"
    )


def _controls_section(ev: Evidence) -> str:
    e, start, out = html.escape, ev.period.start, []
    ruler = axis(ev.period)
    for cid in sorted(ev.controls):
        info, days = ev.controls[cid], ev.control_days(cid)
        cites = "; ".join(f"{k.upper().replace('_', ' ')} {', '.join(v)}" for k, v in info.citations.items() if v)
        rows = [
            f"<tr><td><code>{e(k[1])}</code><br><span class=muted>{e(k[2])} {e(k[3])}</span></td>"
            f"<td>{strip(d, start)}<span class=muted>{e(not_passing(d, start))}</span></td><td>{uptime(d)}%</td></tr>"
            for k, d in sorted(ev.subjects.items())
            if k[0] == cid
        ]
        out.append(
            f"<h3><code>{e(cid)}</code> {e(info.title)}</h3><p class=muted>{e(cites)}</p>"
            f"<table><tr><th>resource</th><th>{start} … {ev.period.end}<br>{ruler}</th><th>uptime</th></tr>"
            f"<tr><th>the control (worst of its resources)</th><td>{strip(days, start)}"
            f"<span class=muted>{e(not_passing(days, start))}</span></td><td>{uptime(days)}%</td></tr>"
            + "".join(rows)
            + "</table>"
        )
    key = "".join(f"<span style='background:{_COLOUR[c]}'></span>{LABEL[c]}" for c in (PASS, FAIL, ERROR, NOT_RUN))
    return (
        "<h2>2. Controls, day by day</h2><p class=key>A day's status is the worst of that day's runs;"
        f" uptime is the share of the period's days that passed.{key}</p>" + "".join(out)
    )


def _note_cell(pkg: Package, x: Episode) -> str:
    note = pkg.note(x)
    if note is None:
        return "<span class=muted>none</span>"
    e = html.escape
    lapsed = not note.accepted_on(pkg.ev.period.end) and x.resolved is None
    until = f"<span class=bad>{note.accepted_until} (lapsed)</span>" if lapsed else f"{note.accepted_until}"
    parts = [f"owner {e(note.owner)}", f"ticket {e(note.ticket)}" if note.ticket else "", e(note.justification)]
    return "<br>".join(p for p in parts if p) + f"<br>accepted until {until}"


def _exceptions_section(pkg: Package) -> str:
    ev, sla, e, rows = pkg.ev, pkg.sla, html.escape, []
    for x in ev.episodes:
        ttr = x.time_to_resolve
        met = x.sla_met(sla, ev.period.closes_at)
        rows.append(
            f"<tr><td><code>{e(x.key[0])}</code></td><td><code>{e(x.key[1])}</code> {e(x.key[2])} {e(x.key[3])}</td>"
            f"<td>{x.status}</td><td>{iso_utc(x.first_seen)}</td>"
            f"<td>{iso_utc(x.resolved) if x.resolved else '<span class=bad>open</span>'}"
            f"{'<br>' + x.resolution if x.resolution == GONE else ''}</td>"
            f"<td>{_duration(ttr) if ttr else '-'}</td>"
            f"<td>{'<span class=good>yes</span>' if met else '<span class=bad>no</span>'}</td>"
            f"<td><code>{e(x.first_seen_in)}</code><br><code>{e(x.resolved_in or '-')}</code></td>"
            f"<td>{_note_cell(pkg, x)}</td></tr>"
        )
    unmatched = pkg.unmatched_notes()
    stray = (
        "<p class=bad>--exceptions rows matching no exception of the period: "
        + ", ".join(f"row {n.row} ({e(n.control)} on {e(n.resource)})" for n in unmatched)
        + "</p>"
        if unmatched
        else ""
    )
    return (
        f"<h2>3. Exceptions ({len(ev.episodes)})</h2><p>A failure or a check that could not be judged, from the first "
        f"run that showed it to the first run that passed again. SLA: {sla.days} day(s); an open exception meets it "
        "only while it is younger than the SLA at the end of the period.</p>"
        "<table><tr><th>control</th><th>resource</th><th>as first seen</th><th>first seen</th><th>resolved</th>"
        "<th>time to resolve</th><th>SLA met</th><th>reports (first seen, resolved)</th><th>accepted (owner, "
        "ticket, justification)</th></tr>" + "".join(rows) + "</table>" + stray
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


def verify_commands(pkg: Package, sources: list[str]) -> list[str]:
    """The exact commands that re-check this package and its histories."""
    q, p = shlex.quote, pkg.ev.period
    cmds = ["sha256sum -c SHA256SUMS   # in this folder: every file as manifest.json records it"]
    several = len(sources) > 1
    heads = []
    for src, c in zip(sources, pkg.checks, strict=True):
        if c.head is not None:
            heads += ["--expect-head", q(f"{src}={c.head.sha256}" if several else c.head.sha256)]
    history = " ".join(f"--history {q(s)}" for s in sources)
    cmds.append(f"auditkit evidence {history} --from {p.start} --to {p.end} --out recheck " + " ".join(heads))
    return cmds


def _seal_section(ev: Evidence, samples: list[date]) -> str:
    """The archive seals' inclusion proofs of the sampled days (evidence --seals), when there are any."""
    p = ev.seal_proofs
    if p is None:
        return ""
    ok = not (p["not_proven"] or p["errors"])
    state = f"<span class={'good' if ok else 'bad'}>{p['proven']} proven, {p['not_proven']} not proven, "
    state += f"{p['errors']} could not be read</span>, {p['hours_without_seal']} hour(s) without a seal"
    links = ", ".join(f"<a href='samples/{d}/seal-proofs.json'>{d}</a>" for d in samples)
    return (
        "<h2>Archive seals (sampled days)</h2><p>For a reproducible sample of each sampled day's archive objects: "
        f"the object, its hour's signed seal and its RFC 6962 audit path to the signed root. {state}.</p>"
        f"<p>Proofs: {links or 'no day sampled'} (<code>samples/DAY/seal-proofs.json</code>: each file says how to "
        "check its proofs by hand, with SHA-256 and an RSA verify and nothing of AuditKit's).</p>"
    )


def _how_to_verify(pkg: Package, sources: list[str]) -> str:
    cmds = html.escape("\n".join(verify_commands(pkg, sources)))
    return (
        "<h2>5. Verify this package</h2><ol><li>Recompute every file's SHA-256 and compare with "
        "<code>manifest.json</code> (<code>SHA256SUMS</code> lists the same hashes, and manifest.json's own).</li>"
        "<li>Rebuild from the histories, requiring each history still to hold the head recorded here: if anything up "
        "to that head was removed, edited or re-hashed since this package was built, the rebuild exits 1 and names "
        "the report.</li>"
        "<li>Open a sampled report (<code>samples/DATE/*.json</code>): its SHA-256 is in manifest.json, and the next "
        "day's report carries it in <code>history.previous.sha256</code>.</li></ol>"
        f"<pre>{cmds}</pre>"
    )


def index_html(pkg: Package, samples: list[date], sources: list[str]) -> str:
    ev, checks = pkg.ev, pkg.checks
    sound = all(c.sound for c in checks)
    missing = sum(len(ev.missing_days(c.source)) for c in checks)
    chain = "chain intact" if all(c.intact for c in checks) else "chain BROKEN"
    if sound and not missing:
        verdict = "<span class=good>chain intact, a run every day</span>"
    else:
        extra = "" if all(not c.integrity for c in checks) else "; integrity problems (section 1)"
        verdict = f"<span class=bad>{chain}; {missing} day(s) without a run{extra}</span>"
    sample_list = ", ".join(f"<a href='samples/{d}/'>{d}</a>" for d in samples) or "none requested"
    heads = "".join(
        f"<li><code>{html.escape(c.source)}</code>: head {_head(c.head)}</li>" for c in checks if c.head is not None
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>AuditKit evidence {ev.period.start} to {ev.period.end}</title>
<style>{_CSS}</style></head><body>
<h1>AuditKit evidence, {ev.period.start} to {ev.period.end}</h1>
<p>{verdict} · {len(ev.runs)} runs · {len(ev.controls)} controls · {len(ev.subjects)} control × resource pairs ·
{len(ev.episodes)} exceptions · generated {pkg.generated}</p>
<ul>{heads}</ul>
<p class=muted>Also in this package: <code>assessment-results.json</code> (NIST OSCAL Assessment Results) and
<code>catalog.json</code> (the controls, as an OSCAL catalog), <code>controls.csv</code>, the raw reports of the
sampled days ({sample_list}), <code>manifest.json</code> and <code>SHA256SUMS</code> (SHA-256 of every file).</p>
{_chain_section(checks, ev)}
{_controls_section(ev)}
{_exceptions_section(pkg)}
{_verify_section(ev)}
{review_section(pkg.reviews)}
{_seal_section(ev, samples)}
{_how_to_verify(pkg, sources)}
</body></html>
"""

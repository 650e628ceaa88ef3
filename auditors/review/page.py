"""index.html of a review worksheet: what was proven, then one section per query with its top rows."""

from __future__ import annotations

import html
import os
from pathlib import Path
from typing import Any

from auditkit.auditors.review.run import QueryResult, Review

TOP = 25
_CSS = """body{font-family:system-ui,sans-serif;margin:2rem;color:#1b1f24;max-width:90rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem}th,td{border:1px solid #d0d7de;padding:.25rem .4rem;
text-align:left;vertical-align:top;font-size:.8rem;overflow-wrap:anywhere}th{background:#f6f8fa}
.bad{color:#cf222e;font-weight:600}.good{color:#1a7f37;font-weight:600}.muted{color:#57606a}"""


def _link(review: Review, out: Path, log_file: str) -> str:
    """The raw records' file: relative to the worksheet when it is on this disk (the local folder or cache)."""
    e = html.escape
    local = Path(log_file)
    if log_file.startswith("s3://"):
        local = review.request.cache / log_file[len("s3://") :]
    if local.exists():
        rel = Path(os.path.relpath(local.resolve(), out.resolve())).as_posix()
        return f"<a href='{e(rel)}'>{e(local.name)}</a>"
    return f"<code>{e(log_file)}</code>"


def _rows(review: Review, out: Path, r: QueryResult) -> str:
    e = html.escape
    head = "".join(f"<th>{e(c)}</th>" for c in r.columns)
    lf = r.columns.index("log_file") if "log_file" in r.columns else -1

    def cell(i: int, v: Any) -> str:
        if i == lf and v:
            return f"<td>{_link(review, out, str(v))}</td>"
        return f"<td>{e('' if v is None else str(v))}</td>"

    body = "".join("<tr>" + "".join(cell(i, v) for i, v in enumerate(row)) + "</tr>" for row in r.rows[:TOP])
    more = f"<p class=muted>{len(r.rows) - TOP} more row(s) in {e(r.query.id)}.csv</p>" if len(r.rows) > TOP else ""
    return f"<table><tr>{head}</tr>{body}</table>{more}"


def _section(review: Review, out: Path, r: QueryResult) -> str:
    e, q = html.escape, r.query
    cites = "; ".join(f"{k.upper().replace('_', ' ')} {', '.join(v)}" for k, v in q.citations.as_dict().items())
    if r.not_run:
        status = f"<p class=bad>Not run: {e(r.not_run)}</p>"
    elif r.error:
        status = f"<p class=bad>ERROR: {e(r.error)}</p>"
    else:
        rows = _rows(review, out, r) if r.rows else ""
        status = f"<p><b>{len(r.rows)}</b> row(s) · <a href='{e(q.id)}.csv'>{e(q.id)}.csv</a></p>{rows}"
    return f"<h2 id='{e(q.id)}'>{e(q.title)}</h2><p>{e(q.purpose)}</p><p class=muted>{e(cites)}</p>{status}"


def _hours(labels: list[str]) -> str:
    if not labels:
        return "none"
    shown = ", ".join(labels[:48])
    return html.escape(shown + (f" … ({len(labels)} in all)" if len(labels) > 48 else ""))


def _proof(review: Review) -> str:
    e, p = html.escape, review.proof
    errors = [r for r in review.inputs if r.error]
    parts = [f"<p>{len(review.inputs)} log file(s) read, {review.records} record(s) in the period.</p>"]
    if review.sieve is not None and review.sieve != ["every record"]:
        parts.append(
            f"<p class=muted>The queries select from the {review.parsed} record(s) that meet one of these conditions "
            f"(every other record was counted, not parsed): {e('; '.join(review.sieve))}.</p>"
        )
    if p.mode == "none":
        parts.append(f"<p class=bad>Not verified: {e(p.why_none)}.</p>")
    else:
        parts.append(f"<p class=good>Verified hours ({len(p.verified_hours)}): {_hours(p.verified_hours)}</p>")
        cls = "bad" if p.unverifiable_hours else "good"
        parts.append(
            f"<p class={cls}>Unverifiable hours ({len(p.unverifiable_hours)}): {_hours(p.unverifiable_hours)}</p>"
        )
        parts += [f"<p class=bad>{e(i)}</p>" for i in p.issues]
        if p.unverified:
            parts.append(
                f"<p class=bad>{len(p.unverified)} file(s) no verified digest lists (reviewed, marked unverified)</p>"
            )
    parts += [
        f"<p class=bad>REFUSED {e(f)}: {e(w)} (its records are not reviewed)</p>" for f, w in sorted(p.refused.items())
    ]
    parts += [f"<p class=bad>ERROR {e(r.name)}: {e(r.error or '')}</p>" for r in errors]
    if review.records == 0:
        parts.append("<p class=bad>No records in this period: there is nothing to review or sign.</p>")
    return "".join(parts)


def worksheet_html(review: Review, out: Path) -> str:
    e, p = html.escape, review.request.period
    s = review.request.params.settings
    toc = "".join(
        f"<li><a href='#{e(r.query.id)}'>{e(r.query.title)}</a>: "
        f"{'not run' if r.not_run else 'ERROR' if r.error else str(len(r.rows)) + ' row(s)'}</li>"
        for r in review.results
    )
    sections = "".join(_section(review, out, r) for r in review.results)
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>AuditKit {p.cadence.value} review {e(p.label)}</title><style>{_CSS}</style></head><body>
<h1>AuditKit {p.cadence.value} activity review, {e(p.label)}</h1>
<p>{e(review.source)} · {e(review.engine)} · period {p.start:%Y-%m-%dT%H:%MZ} to {p.end:%Y-%m-%dT%H:%MZ} (UTC) ·
business hours {e(s.describe())}</p>
<h2>What was reviewed, and what is proven</h2>{_proof(review)}
<ul>{toc}</ul>{sections}
<p class=muted>Sign off: <code>auditkit review sign {e(str(out))} --reviewer ID --outcome no-findings|findings|escalated
--history DEST</code>. worksheet.json holds the SHA-256 of this page, every CSV and every input file.</p>
</body></html>
"""

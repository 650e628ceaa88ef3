"""The terminal table: fits the width it is shown at, coloured by status only where colour can show.

Width: `COLUMNS` when set (a positive number), else the terminal's (the stream's own, or whichever
of stdin/stdout/stderr is one, as with `auditkit scan | less`), else 160 (a file, a CI log). Below
140 columns control, resource, region and message share one cell, so nothing folds one letter wide.

Colour: only for a stream that is a terminal (or `FORCE_COLOR` set), never when `NO_COLOR` is set
(no-color.org: present and not empty) or `TERM=dumb`, and never in a file.
"""

from __future__ import annotations

import io
import os
import sys
from typing import TextIO

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from auditkit.auditors.findings import Finding, Report, Status
from auditkit.auditors.reports.pages import headline, title, worst_first
from auditkit.policies.catalog import control

FILE_WIDTH = 160
WIDE = 140  # at least this many columns: one column per field
STATUS_STYLE = {Status.FAIL: "bold red", Status.ERROR: "bold yellow", Status.PASS: "green", Status.OPEN: "cyan"}
SEVERITY_STYLE = {"critical": "bold magenta", "high": "red", "medium": "yellow", "low": "dim"}


def table_width(stream: TextIO | None) -> int:
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    if stream is None:
        return FILE_WIDTH
    for candidate in (stream, sys.stdin, sys.stdout, sys.stderr):
        try:
            return os.get_terminal_size(candidate.fileno()).columns or FILE_WIDTH
        except (AttributeError, ValueError, OSError, io.UnsupportedOperation):
            continue
    return FILE_WIDTH


def in_colour(stream: TextIO | None) -> bool:
    if stream is None or os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def to_table(report: Report, source: str = "", stream: TextIO | None = None) -> str:
    """The report as a terminal table, for `stream` (where the text goes; None: a file)."""
    buf = io.StringIO()
    colour, width = in_colour(stream), table_width(stream)
    console = Console(
        file=buf,
        width=width,
        force_terminal=colour,
        no_color=not colour,
        color_system="standard" if colour else None,
        highlight=False,
        emoji=False,
    )
    console.print(_table(report, width >= WIDE))
    return buf.getvalue()


def _table(report: Report, wide: bool) -> Table:
    caption = report.provenance.line() if report.provenance else None
    table = Table(
        title=f"{title(report)} — {headline(report)}",
        caption=caption,
        box=box.HEAVY_HEAD if wide else box.SIMPLE_HEAD,
        pad_edge=wide,
    )
    # Several accounts (an organization): say whose finding it is, unless the resource already names it.
    accounts = len({f.account for f in report.findings}) > 1 and any(
        f.account not in f.resource for f in report.findings
    )
    regions = any(f.region for f in report.findings)  # Azure and GCP findings carry no region
    table.add_column("status", no_wrap=True)
    table.add_column("severity", no_wrap=True)
    if wide:
        for col in (*(("account",) if accounts else ()), "control", "resource", *(("region",) if regions else ())):
            table.add_column(col, overflow="fold")
        table.add_column("message", overflow="fold", ratio=1)
    else:
        table.add_column("finding", overflow="fold", ratio=1)
    for f in worst_first(report):
        if f.status is not Status.PASS:
            table.add_row(*_gap_row(report, f, wide, accounts, regions))
    passing = [f for f in report.findings if f.status is Status.PASS]
    if passing:
        controls = ", ".join(sorted({f.control for f in passing}))
        label = Text(f"{len(passing)} checks")
        who, where = [Text("")] * accounts, [Text("")] * regions
        rest = [*who, label, Text(""), *where, Text(controls)] if wide else [Text.assemble(label, ": ", controls)]
        table.add_row(Text("PASS", STATUS_STYLE[Status.PASS]), Text(""), *rest)
    return table


def _gap_row(report: Report, f: Finding, wide: bool, accounts: bool, regions: bool) -> list[Text]:
    state = report.baseline_state.get(f.key)
    severity = control(f.control).severity.value
    status = Text(f.status.value + (f" ({state})" if state else ""), STATUS_STYLE[f.status])
    rated = Text(severity, SEVERITY_STYLE[severity])
    if wide:
        who = [Text(f.account)] if accounts else []
        where = [Text(f.region)] if regions else []
        return [status, rated, *who, Text(f.control, "bold"), Text(f.resource), *where, Text(f.message)]
    place = " · ".join(p for p in (f.region if regions else "", f.account if accounts else "") if p)
    cell = Text.assemble((f.control, "bold"), "\n", f.resource, (f" ({place})" if place else ""), "\n", f.message)
    return [status, rated, cell]

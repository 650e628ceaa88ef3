"""Report formats for CI and for auditors; all render the same Report."""

from __future__ import annotations

from collections.abc import Callable
from typing import TextIO

from auditkit.auditors.findings import Report
from auditkit.auditors.reports.machine import to_json, to_junit, to_sarif
from auditkit.auditors.reports.pages import to_html, to_markdown
from auditkit.auditors.reports.terminal import to_table

FORMATS: dict[str, Callable[[Report, str], str]] = {
    "json": to_json,
    "sarif": to_sarif,
    "junit": to_junit,
    "markdown": to_markdown,
    "html": to_html,
    "table": to_table,
}


def render(fmt: str, report: Report, source: str, stream: TextIO | None = None) -> str:
    """The report in `fmt`, for `stream` when it is shown there (the table fits its width and colours by
    status on a terminal); None when it goes to a file."""
    return to_table(report, source, stream) if fmt == "table" else FORMATS[fmt](report, source)

"""Report formats for CI and for auditors; all render the same Report."""

from __future__ import annotations

from collections.abc import Callable

from auditkit.auditors.findings import Report
from auditkit.auditors.reports.machine import to_json, to_junit, to_sarif
from auditkit.auditors.reports.pages import to_html, to_markdown, to_table

FORMATS: dict[str, Callable[[Report, str], str]] = {
    "json": to_json,
    "sarif": to_sarif,
    "junit": to_junit,
    "markdown": to_markdown,
    "html": to_html,
    "table": to_table,
}

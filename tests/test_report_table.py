"""The terminal table (and the HTML and Markdown pages) over a real scan's findings: fits the width, colours
by status only on a terminal, shows each control's severity, and puts the most severe gaps first.

The account is the console's defaults (a trail with default settings, its bucket, PHI buckets) on
the emulator, scanned by `auditkit scan aws`; severities come from the control catalog.
"""

from __future__ import annotations

import io
import json
import os
import pty
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import boto3
import pytest

from auditkit.auditors.cli import main
from auditkit.auditors.demo.story import console_defaults
from auditkit.auditors.findings import Report, Status, load_findings
from auditkit.auditors.reports import FORMATS
from auditkit.auditors.reports.terminal import to_table
from auditkit.policies.alerts.catalog import control_ids
from auditkit.policies.catalog import control

ROOT = Path(__file__).resolve().parent.parent
ANSI = re.compile(r"\x1b\[[0-9;]*m")
SCAN = ["scan", "aws", "--region", "us-east-1"]
RANK = {"critical": 0, "high": 1, "medium": 2, "low": 3}


@pytest.fixture
def console_account(boto_session: boto3.Session, monkeypatch) -> None:
    for name in ("NO_COLOR", "FORCE_COLOR", "COLUMNS"):
        monkeypatch.delenv(name, raising=False)
    console_defaults(boto_session)


@pytest.fixture
def report(console_account, tmp_path) -> Report:
    main([*SCAN, "--format", "json", "--output", str(tmp_path / "scan.json")])
    return Report(load_findings(json.loads((tmp_path / "scan.json").read_text())))


# The console account lacks every alert: the first critical gap in control order is an alert's.
FIRST = "aws.alerts.audit_archive_tampering"


def _gap_rows(table: str) -> list[tuple[str, str, str]]:
    """(status, severity, control) of each gap row, top to bottom, in either layout."""
    rows = []
    for line in ANSI.sub("", table).splitlines():
        m = re.match(r"^[\s│┃]*(FAIL|ERROR)\S*\s*[│┃]?\s*(critical|high|medium|low)\s*[│┃]?\s*([a-z0-9_.]+)", line)
        if m:
            rows.append((m.group(1), m.group(2), m.group(3)))
    return rows


def test_at_80_columns_no_line_is_wider_and_the_most_severe_gap_comes_first(console_account, monkeypatch, capsys):
    monkeypatch.setenv("COLUMNS", "80")
    assert main(SCAN) == 1
    table = capsys.readouterr().out
    lines = table.splitlines()
    assert max(len(line) for line in lines) <= 80 and "\x1b[" not in table  # not a terminal: no colour
    rows = _gap_rows(table)
    assert len(rows) == 11 + len(control_ids("aws")) and rows[0] == ("FAIL", "critical", FIRST)
    # every row shows its control's severity as the catalog gives it; critical, high, medium, low
    assert all(control(c).severity.value == sev for _, sev, c in rows)
    assert [RANK[sev] for _, sev, _ in rows] == sorted(RANK[sev] for _, sev, _ in rows)
    # within a severity, by control (the old table sorted by control alone: hardening came first)
    for sev in RANK:
        same = [c for _, s, c in rows if s == sev]
        assert same == sorted(same)
    (passing,) = [line.split() for line in lines if line.lstrip().startswith("PASS")]
    assert passing == ["PASS", "2", "checks:", "aws.trail.logging,", "aws.trail.multi_region"]


def test_a_wide_terminal_gets_a_column_per_field(report, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    table = to_table(report, "", io.StringIO())
    header = next(line for line in table.splitlines() if "status" in line)
    assert [h.strip() for h in header.strip("┃ ").split("┃")] == [
        "status",
        "severity",
        "control",
        "resource",
        "region",
        "message",
    ]
    assert max(len(line) for line in table.splitlines()) <= 200
    assert _gap_rows(table)[0] == ("FAIL", "critical", FIRST)


def _tty() -> tuple[io.TextIOWrapper, int]:
    """A real terminal (a pseudo-terminal's far end) to write to; its master side is returned to close."""
    master, far = pty.openpty()
    return open(far, "w", closefd=True), master


def test_colour_only_on_a_terminal_and_never_with_no_color(report, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    tty, master = _tty()
    try:
        assert tty.isatty()
        coloured = to_table(report, "", tty)
        assert "\x1b[1;31mFAIL" in coloured and "\x1b[1;35mcritical" in coloured  # red FAIL, magenta critical
        assert max(len(line) for line in ANSI.sub("", coloured).splitlines()) <= 80
        monkeypatch.setenv("NO_COLOR", "1")
        assert "\x1b[" not in to_table(report, "", tty)
        monkeypatch.delenv("NO_COLOR")
        monkeypatch.setenv("TERM", "dumb")
        assert "\x1b[" not in to_table(report, "", tty)
    finally:
        tty.close()
        os.close(master)
    monkeypatch.delenv("TERM")
    assert "\x1b[" not in to_table(report, "", io.StringIO())  # a pipe or a file
    assert "\x1b[" not in FORMATS["table"](report, "")  # what --output and --report-dir write
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert "\x1b[1;31mFAIL" in to_table(report, "", io.StringIO())


def _scan_on_a_terminal(env: dict[str, str], *extra: str) -> str:
    """`auditkit scan aws` in its own process with its stdout on a pseudo-terminal; what the terminal got."""
    master, far = pty.openpty()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "80", **env}
    proc = subprocess.Popen(
        [sys.executable, "-m", "auditkit.auditors.cli", *SCAN, *extra], stdout=far, stderr=subprocess.PIPE, env=env
    )
    os.close(far)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the terminal's far end closed: the process is done writing
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    assert proc.wait(timeout=120) == 1, proc.stderr.read() if proc.stderr else ""
    return b"".join(chunks).decode()


def test_the_scan_command_colours_its_table_on_a_terminal_unless_no_color(console_account, tmp_path):
    shown = _scan_on_a_terminal({})
    assert "\x1b[1;31mFAIL" in shown
    assert max(len(line) for line in ANSI.sub("", shown).splitlines()) <= 80
    assert _gap_rows(shown)[0] == ("FAIL", "critical", FIRST)
    plain = _scan_on_a_terminal({"NO_COLOR": "1"}, "--output", str(tmp_path / "table.txt"))
    assert "\x1b[" not in plain
    written = (tmp_path / "table.txt").read_text()
    assert "\x1b[" not in written and _gap_rows(written)[0] == ("FAIL", "critical", FIRST)
    shown_to_file = _scan_on_a_terminal({}, "--output", str(tmp_path / "again.txt"))
    assert "\x1b[" not in (tmp_path / "again.txt").read_text() and "FAIL" not in shown_to_file


class _Rows(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "br" and self._cell is not None:
            self._cell.append(" ")

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def test_html_and_markdown_show_severity_in_the_same_order(report, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    order = [(c, sev) for _, sev, c in _gap_rows(to_table(report, "", io.StringIO()))]
    parser = _Rows()
    parser.feed(FORMATS["html"](report, ""))
    header, *rows = parser.rows
    assert header[:3] == ["status", "severity", "control"]
    gaps = [(r[2].split()[0], r[1]) for r in rows if r[0].startswith(("FAIL", "ERROR"))]
    assert gaps == order and len(gaps) == len([f for f in report.findings if f.status is not Status.PASS])
    md = FORMATS["markdown"](report, "")
    md_rows = [line.split(" | ") for line in md.splitlines() if line.startswith(("| FAIL", "| ERROR"))]
    assert [(r[2].strip("`"), r[1]) for r in md_rows] == order

"""index.html an auditor reads on paper, and `--exceptions` notes beside each exception and in OSCAL risks."""

from __future__ import annotations

import hashlib
import json
import shlex
from datetime import date
from pathlib import Path

import pytest

from auditkit.auditors.cli import main
from auditkit.auditors.evidence.page import ticks
from auditkit.auditors.evidence.timeline import Period
from tests.schemas.oscal_schema import errors as schema_errors
from tests.synthetic_history import days, write_days

START = date(2026, 1, 1)
GAP = ("aws.trail.logging", "aws-resource-0000")


def evidence(history: Path, out: Path, start: date, end: date, *extra: str) -> int:
    argv = ["evidence", "--history", str(history), "--from", str(start), "--to", str(end), "--out", str(out)]
    return main([*argv, *extra])


def _gap_history(root: Path, n: int = 20) -> list[date]:
    period = days(START, n)
    write_days(root, period[:10])
    write_days(root, period[10:15], failing=[GAP])
    write_days(root, period[15:])
    return period


@pytest.mark.parametrize(
    ("n", "first", "labels"),
    [(10, "2026-01-01", 10), (30, "2026-01-01", 5), (365, "2026-01-01", 12), (1096, "2026-01-01", 12)],
)
def test_the_axis_prints_dates_a_reader_can_tell_apart(n, first, labels):
    marks = ticks(Period(START, days(START, n)[-1]))
    assert str(marks[0]) == first and len(marks) == labels


def test_the_page_reads_on_paper(tmp_path):
    history = tmp_path / "my history"
    period = _gap_history(history)
    out = tmp_path / "out"
    assert evidence(history, out, period[0], period[-1]) == 0
    page = (out / "index.html").read_text()
    # dates printed on the axis, and the failing days written out (no tooltip needed)
    assert '<text x="257.5" y="15" font-size="9" fill="#1b1f24">2026-01-08</text>' in page
    assert "fail 2026-01-11 to 2026-01-15" in page and "every day passed" in page
    assert "print-color-adjust:exact" in page
    # the head, and the exact commands that verify the package
    newest = "2026/01/20/20260120T061700Z-000019-scan-aws.json"
    sha = hashlib.sha256((history / newest).read_bytes()).hexdigest()
    assert f"<code>{newest}</code><br>SHA-256 <code>{sha}</code>" in page
    command = (
        f"auditkit evidence --history {shlex.quote(str(history))} --from 2026-01-01 --to 2026-01-20 "
        f"--out recheck --expect-head {sha}"
    )
    assert command.replace("'", "&#x27;") in page and "sha256sum -c SHA256SUMS" in page
    # the command works as printed: the history still holds the head
    assert evidence(history, tmp_path / "recheck", period[0], period[-1], "--expect-head", sha) == 0
    # SHA256SUMS covers every file, manifest.json included, as sha256sum -c reads it
    sums = dict(reversed(line.split("  ", 1)) for line in (out / "SHA256SUMS").read_text().splitlines())
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file() and p.name != "SHA256SUMS")
    assert sorted(sums) == files and "manifest.json" in sums
    assert all(hashlib.sha256((out / f).read_bytes()).hexdigest() == d for f, d in sums.items())


NOTES = """
- control: aws.trail.logging
  resource: aws-resource-0000
  owner: jane.doe@acme.example
  ticket: SEC-1234
  justification: trail replaced during the org migration
  accepted-until: 2026-02-28
- control: aws.trail.kms
  resource: aws-resource-0001
  owner: ops@acme.example
  ticket: SEC-9
  accepted-until: 2026-01-31
"""


def test_exception_notes_beside_the_exception_and_in_oscal_risks(tmp_path):
    period = days(START, 20)
    write_days(tmp_path / "h", period[:10])
    write_days(tmp_path / "h", period[10:], failing=[GAP])  # still open at the end
    (tmp_path / "notes.yaml").write_text(NOTES)
    code = evidence(
        tmp_path / "h", tmp_path / "out", period[0], period[-1], "--exceptions", str(tmp_path / "notes.yaml")
    )
    assert code == 0
    page = (tmp_path / "out" / "index.html").read_text()
    assert (
        "<td>owner jane.doe@acme.example<br>ticket SEC-1234<br>trail replaced during the org migration<br>"
        "accepted until 2026-02-28</td>" in page
    )
    assert "row 2 (aws.trail.kms on aws-resource-0001)" in page  # a row matching no exception is shown, not dropped
    oscal = json.loads((tmp_path / "out" / "assessment-results.json").read_text())
    assert schema_errors(oscal) == []
    (risk,) = oscal["assessment-results"]["results"][0]["risks"]
    props = {p["name"]: p["value"] for p in risk["props"]}
    assert risk["status"] == "deviation-approved" and risk["deadline"] == "2026-02-28T23:59:59Z"
    assert (props["owner"], props["ticket"], props["accepted-until"]) == (
        "jane.doe@acme.example",
        "SEC-1234",
        "2026-02-28",
    )
    assert props["justification"] == "trail replaced during the org migration"
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert [n["row"] for n in manifest["exception_notes"]] == [1, 2]


def test_a_lapsed_acceptance_is_open_again(tmp_path):
    period = days(START, 20)
    write_days(tmp_path / "h", period[:10])
    write_days(tmp_path / "h", period[10:], failing=[GAP])
    (tmp_path / "notes.yaml").write_text(NOTES.replace("2026-02-28", "2026-01-15"))
    assert (
        evidence(tmp_path / "h", tmp_path / "out", period[0], period[-1], "--exceptions", str(tmp_path / "notes.yaml"))
        == 0
    )
    assert "accepted until <span class=bad>2026-01-15 (lapsed)</span>" in (tmp_path / "out" / "index.html").read_text()
    (risk,) = json.loads((tmp_path / "out" / "assessment-results.json").read_text())["assessment-results"]["results"][
        0
    ]["risks"]
    assert risk["status"] == "open"


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("control: x", "the file holds a dict, not a list"),
        ("- control: aws.trail.logging\n  resource: r\n  ticket: T\n  accepted-until: 2026-01-01", "row 1: owner=None"),
        (
            "- {control: aws.trail.logging, resource: r, owner: o, ticket: T, accepted-until: 2026-13-01}",
            "row 1: accepted-until='2026-13-01' is not allowed",
        ),
        (
            "- {control: aws.trail.logging, resource: r, owner: o, ticket: T, accepted-until: 2026-01-01, expires: x}",
            "row 1: expires='x' is not allowed: unknown field",
        ),
        (
            "- {control: aws.nope, resource: r, owner: o, ticket: T, accepted-until: 2026-01-01}",
            "row 1: control='aws.nope' is not allowed",
        ),
        (
            "- {control: aws.trail.logging, resource: r, owner: o, accepted-until: 2026-01-01}",
            "row 1: justification=None is not allowed: neither given",
        ),
        ("- [a", "not YAML"),
    ],
)
def test_a_bad_exceptions_file_exits_2_naming_file_field_and_value(tmp_path, capsys, text, said):
    write_days(tmp_path / "h", days(START, 2))
    notes = tmp_path / "notes.yaml"
    notes.write_text(text)
    assert evidence(tmp_path / "h", tmp_path / "out", START, START, "--exceptions", str(notes)) == 2
    err = capsys.readouterr().err
    assert said in err and str(notes) in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()

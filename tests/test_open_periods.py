"""A period still open (an hour not closed, an append blob still growing, a seal not due yet) is OPEN:
never PASS (the control is not claimed verified for it), never FAIL (nothing is wrong yet). The same hour
verifies once it is closed and sealed; the summary names the open periods; the evidence timeline counts an
open hour as not run and opens no exception for it."""

from __future__ import annotations

import csv
from datetime import date

import pytest

from auditkit.auditors.cli import main
from auditkit.auditors.findings import Finding, Report, Status
from auditkit.auditors.history.chain import append
from auditkit.auditors.history.stores import LocalStore
from auditkit.auditors.report_delivery import summary_line
from auditkit.auditors.reports.machine import to_sarif
from auditkit.policies.azure.rules import ARCHIVE_INTEGRITY as AZURE_INTEGRITY
from tests.sealed_worlds import T0, monitor_blob, served_azure_world


@pytest.fixture
def world():
    yield from served_azure_world()


def test_an_hour_with_a_growing_append_blob_is_open_then_verified_once_closed_and_sealed(world):
    world.blob.append(monitor_blob(4), b'{"late":true}\n', T0.replace(hour=6, minute=5))
    early = T0.replace(hour=6, minute=20)
    world.seal(early)
    report = world.verify(early)
    hours = world.by_hour(report)
    assert hours["2026-11-30T03:00Z"].status is Status.PASS
    assert hours["2026-11-30T04:00Z"].status is Status.OPEN
    assert hours["2026-11-30T04:00Z"].message.startswith(
        f"still open, not sealed yet: 1 append blob(s) created in it are still growing (e.g. {monitor_blob(4)}"
    )
    assert hours["2026-11-30T05:00Z"].status is Status.OPEN
    assert report.exit_code() == 0 and report.gaps == []
    assert report.scanned["seals_verified"] == 1
    container = world.archive().uri
    summary = report.summary()
    assert summary["open_periods"] == [f"{container}/2026-11-30T0{h}:00Z" for h in (4, 5, 6)]
    assert (summary["PASS"], summary["OPEN"], summary["FAIL"], summary["ERROR"]) == (1, 3, 0, 0)
    assert summary_line(report).startswith("0 gaps, 0 could not be judged, 1 passing, 3 still open")

    later = T0.replace(hour=6, minute=40)
    world.seal(later)
    after = world.by_hour(world.verify(later))
    assert after["2026-11-30T04:00Z"].status is Status.PASS and after["2026-11-30T05:00Z"].status is Status.PASS
    assert after["2026-11-30T04:00Z"].message.startswith("1 object(s) sealed in auditkit-seals/2026/11/30/04.json")


def test_an_open_hour_is_neither_a_gap_nor_a_pass_in_counts_sarif_and_the_baseline():
    control = AZURE_INTEGRITY.control
    opened = Finding(control, Status.OPEN, "https://a.blob.core.windows.net/logs/2026-11-30T06:00Z", "", "", "open")
    passed = Finding(control, Status.PASS, "https://a.blob.core.windows.net/logs/2026-11-30T05:00Z", "", "", "ok")
    report = Report([opened, passed])
    assert report.counts() == {"PASS": 1, "FAIL": 0, "ERROR": 0, "OPEN": 1}
    assert report.summary()["failing_controls"] == [] and report.exit_code() == 0
    assert '"results": []' in to_sarif(report).replace("\n", "").replace("  ", "")
    report.compare([opened])
    assert report.baseline_state == {} and report.resolved == []
    # a scan that never has periods keeps its counts as they were
    assert Report([passed]).counts() == {"PASS": 1, "FAIL": 0, "ERROR": 0}


def _verify_report(day: date, hour: int, status: Status) -> dict:
    from datetime import datetime, timedelta, timezone

    from auditkit.auditors.findings import Provenance

    started = datetime(day.year, day.month, day.day, hour, 5, tzinfo=timezone.utc)
    subject = f"gs://acme-audit-archive/{day}T03:00Z"
    report = Report([Finding("gcp.archive.integrity", status, subject, "", "", status.value.lower())])
    report.provenance = Provenance(
        "verify gcp", started, started + timedelta(seconds=3), {"archive": ["gs://acme-audit-archive"]}, "-"
    )
    return report.as_json()


def test_the_evidence_counts_an_open_hour_as_not_run_and_opens_no_exception_for_it(tmp_path, capsys):
    store = LocalStore(str(tmp_path / "h"))
    day = date(2026, 11, 30)
    append(store, _verify_report(day, 3, Status.OPEN))  # at 03:05 the hour is open
    out = tmp_path / "out"
    code = main(["evidence", "--history", str(tmp_path / "h"), "--from", str(day), "--to", str(day), "--out", str(out)])
    assert code == 0  # a run happened that day: the chain and the days are whole
    [row] = [r for r in csv.DictReader((out / "controls.csv").open()) if r["control"] == "gcp.archive.integrity"]
    assert (row["days_passed"], row["days_failed"], row["days_not_run"], row["exceptions"]) == ("0", "0", "1", "0")
    assert "0 exceptions" in capsys.readouterr().err
    results = (out / "assessment-results.json").read_text()
    assert "0 passing, 0 failing, 0 could not be judged, 1 still open (not judged yet)." in results

    store2 = LocalStore(str(tmp_path / "h2"))
    append(store2, _verify_report(day, 3, Status.OPEN))
    append(store2, _verify_report(day, 9, Status.PASS))  # at 09:05 the same hour is sealed and verified
    out2 = tmp_path / "out2"
    main(["evidence", "--history", str(tmp_path / "h2"), "--from", str(day), "--to", str(day), "--out", str(out2)])
    [row] = [r for r in csv.DictReader((out2 / "controls.csv").open()) if r["control"] == "gcp.archive.integrity"]
    assert (row["days_passed"], row["days_not_run"], row["exceptions"]) == ("1", "0", "0")

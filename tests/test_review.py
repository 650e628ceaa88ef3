"""`auditkit review aws`: the query catalog over a forged month with planted events, row by row.

The month is forged with the verify forge (auditors/demo/emulator_digests.py) into a local folder; the
bucket path (digest checks, refused files, Athena, least privilege) runs on the moto server with the
CloudTrail stub for ListPublicKeys. Every planted event is found by exactly the queries that should find it.
"""

from __future__ import annotations

import gzip
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from auditkit.auditors.review.embedded import Embedded, InputFile
from auditkit.auditors.review.periods import named
from auditkit.auditors.review.run import ReviewRequest, review
from auditkit.policies.review.catalog import Cadence, ReviewParams
from auditkit.settings.review_settings import review_settings
from tests.review_world import ARCHIVE, PLANTED, aws_alert_corpora, forge_folder

NY = review_settings(
    {
        "businessHours": "Mon-Fri 08:00-18:00",
        "timeZone": "America/New_York",
        "breakGlass": ["arn:aws:iam::123456789012:role/break-glass"],
    }
)
PHI = ("acme-phi-records",)
EXPORT = "arn:aws:sts::123456789012:assumed-role/data-export/eve"
EXPORT_ROLE, APP_ROLE = "arn:aws:iam::123456789012:role/data-export", "arn:aws:iam::123456789012:role/app-backend"


@pytest.fixture(scope="module")
def month(tmp_path_factory):
    root = tmp_path_factory.mktemp("cloudtrail")
    d = forge_folder(root)
    return root, d


def _review(root: Path, cadence: str, label: str):
    period = named(Cadence(cadence), label)
    params = ReviewParams(period.start, period.end, None, PHI, ARCHIVE, NY)
    return review(ReviewRequest(period, params, logs=str(root)))


def rows(result, qid: str, *cols: str) -> list[tuple]:
    r = next(q for q in result.results if q.query.id == qid)
    assert r.error is None and r.not_run is None, (r.error, r.not_run)
    idx = [r.columns.index(c) for c in cols]
    return [tuple(row[i] for i in idx) for row in r.rows]


def _log_of(d, event_id: str) -> str:
    return next(k for k, recs in d.written.items() if any(r["eventID"] == event_id for r in recs))


def _app_reads(d, start: datetime, end: datetime) -> list[dict]:
    return [
        r
        for recs in d.written.values()
        for r in recs
        if r["eventName"] == "GetObject"
        and start <= datetime.fromisoformat(r["eventTime"].replace("Z", "+00:00")) < end
    ]


def test_daily_high_risk_events_are_the_planted_burst_only(month):
    root, d = month
    result = _review(root, "daily", "2026-11-24")
    got = rows(
        result, "daily.high_risk_events", "alert", "events", "identity", "time_utc", "resource", "source_ip", "outcome"
    )
    assert got == [
        (
            "phi_read_volume",
            600,
            EXPORT,
            "2026-11-24T07:00:00Z",
            "arn:aws:s3:::acme-phi-records",
            "198.51.100.23",
            "success",
        )
    ]
    first = rows(result, "daily.high_risk_events", "log_file", "event_id", "digest")[0]
    assert Path(first[0]).name == Path(_log_of(d, first[1])).name
    assert first[2] == "not verifiable (local folder)"
    assert (
        result.records
        == 600
        + 48
        + len(_app_reads(d, PLANTED.burst.replace(hour=0), PLANTED.burst.replace(hour=0) + timedelta(days=1)))
        - 600
    )


def test_daily_on_the_login_and_lifecycle_day(month):
    root, _ = month
    got = rows(
        _review(root, "daily", "2026-11-25"), "daily.high_risk_events", "alert", "identity", "time_utc", "action"
    )
    assert got == [
        (
            "console_login_without_mfa",
            "arn:aws:iam::123456789012:user/alice",
            "2026-11-25T15:00:10Z",
            "signin.amazonaws.com ConsoleLogin",
        )
    ]
    got = rows(_review(root, "daily", "2026-11-26"), "daily.high_risk_events", "alert", "identity", "resource")
    who = "arn:aws:sts::123456789012:assumed-role/platform-admin/bob"
    assert got == [
        ("audit_archive_tampering", who, f"arn:aws:s3:::{ARCHIVE}"),
        ("s3_bucket_policy_changes", who, f"arn:aws:s3:::{ARCHIVE}"),
    ]


def test_weekly_privileged_access(month):
    root, _ = month
    result = _review(root, "weekly", "2026-W48")
    assert rows(
        result, "weekly.console_logins", "identity", "time_utc", "source_ip", "user_agent", "outcome", "mfa_used"
    ) == [
        ("arn:aws:iam::123456789012:user/alice", "2026-11-25T15:00:10Z", "203.0.113.50", "Mozilla/5.0", "success", "No")
    ]
    for qid in (
        "weekly.root_use",
        "weekly.console_login_failures",
        "weekly.admin_role_assumptions",
        "weekly.break_glass",
    ):
        assert rows(result, qid, "identity") == [], qid


def test_monthly_configuration_changes(month):
    root, _ = month
    result = _review(root, "monthly", "2026-11")
    assert rows(
        result, "monthly.archive_changes", "alert", "identity", "time_utc", "action", "resource", "source_ip"
    ) == [
        (
            "audit_archive_tampering",
            "arn:aws:sts::123456789012:assumed-role/platform-admin/bob",
            "2026-11-26T16:00:20Z",
            "s3.amazonaws.com PutBucketLifecycle",
            f"arn:aws:s3:::{ARCHIVE}",
            "203.0.113.60",
        )
    ]
    for qid in (
        "monthly.logging_changes",
        "monthly.encryption_changes",
        "monthly.iam_changes",
        "monthly.network_changes",
    ):
        assert rows(result, qid, "identity") == [], qid


def test_quarterly_phi_access_patterns(month):
    root, d = month
    result = _review(root, "quarterly", "2026-Q4")
    app = (
        len(_app_reads(d, datetime(2026, 10, 1, tzinfo=timezone.utc), datetime(2027, 1, 1, tzinfo=timezone.utc))) - 600
    )
    by_principal = rows(result, "quarterly.phi_reads_by_principal", "identity", "events", "objects", "source_ip")
    assert by_principal == [(EXPORT_ROLE, 600, 600, "198.51.100.23"), (APP_ROLE, app, by_principal[1][2], "10.0.12.7")]
    # Nothing was read in the previous quarter: both principals read PHI for the first time, both moved up.
    assert rows(result, "quarterly.first_time_phi_readers", "identity", "events") == [
        (EXPORT_ROLE, 600),
        (APP_ROLE, app),
    ]
    assert rows(result, "quarterly.phi_top_movers", "identity", "reads", "previous_reads", "change") == [
        (EXPORT_ROLE, 600, 0, 600),
        (APP_ROLE, app, 0, app),
    ]
    off = rows(result, "quarterly.off_hours_phi_reads", "identity", "local_time")
    assert (
        len(off) == 600
        and {o[0] for o in off} == {EXPORT}
        and {o[1] for o in off}
        == {"2026-11-24 02:00", "2026-11-24 02:01", "2026-11-24 02:02", "2026-11-24 02:03", "2026-11-24 02:04"}
    )


def test_a_period_without_records_exits_1_and_cannot_be_signed(month, tmp_path, capsys):
    from auditkit.auditors.cli import main

    root, _ = month
    out = tmp_path / "ws"
    assert (
        main(["review", "aws", "--cadence", "daily", "--period", "2026-12-05", "--logs", str(root), "--out", str(out)])
        == 1
    )
    assert "no records in the period" in capsys.readouterr().err
    assert (
        main(
            [
                "review",
                "sign",
                str(out),
                "--reviewer",
                "r@acme.test",
                "--outcome",
                "no-findings",
                "--history",
                str(tmp_path / "h"),
            ]
        )
        == 2
    )
    assert "nothing to sign" in capsys.readouterr().err and not (tmp_path / "h").exists()


def _day_folder(tmp_path: Path, month_root: Path, day: str = "2026/11/24") -> Path:
    """A copy of one day's log files (a small folder to damage)."""
    import shutil

    src = month_root / "AWSLogs" / "123456789012" / "CloudTrail" / "us-east-1" / day
    dst = tmp_path / "logs" / "AWSLogs" / "123456789012" / "CloudTrail" / "us-east-1" / day
    shutil.copytree(src, dst)
    return tmp_path / "logs"


def test_an_unreadable_file_is_an_error_naming_it(month, tmp_path):
    from auditkit.auditors.review.worksheet import exit_code, write

    logs = _day_folder(tmp_path, month[0])
    victim = sorted(logs.rglob("*.json.gz"))[3]
    victim.write_bytes(b"not gzip")
    broken = sorted(logs.rglob("*.json.gz"))[4]
    broken.write_bytes(gzip.compress(b'{"Records": '))
    result = _review(logs, "daily", "2026-11-24")
    errors = {r.name: r.error for r in result.inputs if r.error}
    assert errors == {
        str(victim): "not gzip data (Error -3 while decompressing data: incorrect header check)",
        str(broken): "not a CloudTrail log file: not JSON, or no Records array",
    }
    path, _ = write(result, tmp_path / "ws", "2026-11-25T00:00:00Z")
    doc = json.loads(path.read_text())
    assert {i["file"]: i["error"] for i in doc["inputs"] if i["status"] == "ERROR"} == errors
    assert exit_code(result) == 1 and f"ERROR {victim}" in (tmp_path / "ws" / "index.html").read_text()


def test_sign_off_appends_a_review_record_and_refuses_a_changed_worksheet(month, tmp_path, capsys):
    from auditkit.auditors.cli import main

    root, _ = month
    out, history = tmp_path / "ws", tmp_path / "history"
    args = ["review", "aws", "--cadence", "daily", "--period", "2026-11-24", "--logs", str(root), "--out", str(out)]
    assert main([*args, "--phi-bucket", "acme-phi-records", "--history", str(history)]) == 0
    assert main(["review", "sign", str(out), "--outcome", "findings", "--history", str(history)]) == 2
    assert "--reviewer=None" in capsys.readouterr().err
    csv = out / "daily.high_risk_events.csv"
    original = csv.read_bytes()
    csv.write_bytes(original.replace(b"phi_read_volume", b"nothing"))
    assert (
        main(
            [
                "review",
                "sign",
                str(out),
                "--reviewer",
                "r@acme.test",
                "--outcome",
                "findings",
                "--history",
                str(history),
            ]
        )
        == 2
    )
    assert "daily.high_risk_events.csv changed after the worksheet was written" in capsys.readouterr().err
    csv.write_bytes(original)
    ws = out / "worksheet.json"
    doc = json.loads(ws.read_text())
    doc["records"] += 1  # a consistent rewrite of worksheet.json itself: the history recorded its hash
    ws.write_text(json.dumps(doc, indent=1))
    assert (
        main(
            [
                "review",
                "sign",
                str(out),
                "--reviewer",
                "r@acme.test",
                "--outcome",
                "findings",
                "--history",
                str(history),
            ]
        )
        == 2
    )
    assert "the history recorded" in capsys.readouterr().err
    doc["records"] -= 1
    ws.write_text(json.dumps(doc, indent=1))
    # json.dumps reproduces the bytes review wrote, so the hash matches again
    assert (
        main(
            [
                "review",
                "sign",
                str(out),
                "--reviewer",
                "r@acme.test",
                "--outcome",
                "escalated",
                "--ticket",
                "https://tickets.acme.test/SEC-1",
                "--history",
                str(history),
            ]
        )
        == 0
    )
    links = sorted(history.rglob("*.json"))
    assert [p.name.split("-", 2)[2] for p in links] == ["review-aws.json", "review-sign.json"]
    record = json.loads(links[1].read_text())
    import hashlib

    assert record["review"]["worksheet"]["sha256"] == hashlib.sha256(ws.read_bytes()).hexdigest()
    assert (record["review"]["reviewer"], record["review"]["outcome"], record["review"]["cadence"]) == (
        "r@acme.test",
        "escalated",
        "daily",
    )
    assert (
        record["review"]["period"]["label"] == "2026-11-24"
        and record["review"]["worksheet_recorded_at_creation"] is True
    )
    assert record["history"]["previous"]["key"] == links[0].relative_to(history).as_posix()


def test_every_aws_alert_translates_exactly_on_its_corpus():
    """The SQL the review runs for each alert matches exactly what the CloudWatch evaluator matches."""
    from auditkit.policies.alerts.filter_pattern import compile_pattern
    from auditkit.policies.review.alert_sql import pattern_predicate

    for c in aws_alert_corpora():
        engine = Embedded(threads=1)
        engine.ingest([InputFile("corpus", lambda body=c.body: body)])
        _, got = engine.run(f"SELECT event_id FROM records WHERE {pattern_predicate(c.pattern)} ORDER BY event_id")
        compiled = compile_pattern(c.pattern)
        want = sorted(f"e{i}" for i, e in enumerate(c.events) if compiled.matches(e))
        assert [g[0] for g in got] == want, c.alert
        assert len(want) == c.must_match, c.alert


def test_damaged_files_in_one_batch_are_each_named_and_the_others_still_reviewed():
    """DuckDB refuses a batch holding a damaged file; each file is then read alone, so the error names it."""
    rec = {"eventTime": "2026-11-24T00:00:00Z", "eventName": "GetObject", "eventID": "e1"}
    docs = {
        "good": gzip.compress(json.dumps({"Records": [rec]}).encode()),
        "empty": gzip.compress(b'{"Records": []}'),
        "blank": gzip.compress(b"  "),
        "no-records": gzip.compress(b'{"x": 1}'),
        "not-gzip": b"hello",
        "truncated": gzip.compress(b'{"Records": [')[:-5],
        "latin-1": gzip.compress('{"Records": [{"eventName": "\xe9"}]}'.encode("latin-1")),
    }
    engine = Embedded(threads=1)
    reads = engine.ingest([InputFile(k, lambda v=v: v) for k, v in docs.items()])
    not_cloudtrail = "not a CloudTrail log file: not JSON, or no Records array"
    assert {r.name: (r.records, r.error) for r in reads} == {
        "good": (1, None),
        "empty": (0, None),
        "blank": (0, not_cloudtrail),
        "no-records": (0, not_cloudtrail),
        "not-gzip": (0, "not gzip data (Error -3 while decompressing data: incorrect header check)"),
        "truncated": (0, "not gzip data (truncated)"),
        "latin-1": (0, "not UTF-8 text (invalid continuation byte at byte 28)"),
    }
    assert engine.run("SELECT log_file, event_id FROM records")[1] == [("good", "e1")]

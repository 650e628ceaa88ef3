"""The review's sieve: records passed over while the files are decoded are never records a query selects.

Every cadence over the forged month (tests/review_world.py) returns the same rows, row for row, and counts the
same records in the period, with the sieve as without it; every AWS alert's corpus (the CloudTrail events of
policies/alerts/corpus, from AWS's documented record shapes) is selected alike with and without the alert's
sieve. The sieve's conditions agree with DuckDB's own LIKE and LOWER, and the decoding keeps what it cannot
judge (escaped text, fields that are not strings, times that are not canonical) for the engine to decide.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import duckdb
import pytest

from auditkit.auditors.review.aws_proof import local_proof
from auditkit.auditors.review.embedded import Embedded, InputFile
from auditkit.auditors.review.log_decoding import DecodePlan, decode
from auditkit.auditors.review.periods import named, previous
from auditkit.auditors.review.run import period_records, read_start, run_queries
from auditkit.auditors.review.sources import local_files
from auditkit.policies.review.alert_sql import like, pattern_predicate, quote
from auditkit.policies.review.catalog import Cadence, ReviewParams, queries_for
from auditkit.policies.review.sieve import EVERYTHING, Condition, equals, pattern_sieve, union
from tests.review_world import ARCHIVE, aws_alert_corpora, forge_folder
from tests.test_review import NY, PHI

WEEK = ("2026-11-24T00:00:00Z", "2026-12-01T00:00:00Z")


@pytest.fixture(scope="module")
def month(tmp_path_factory):
    root = tmp_path_factory.mktemp("cloudtrail")
    forge_folder(root)
    return root


def _reviewed(files: list[InputFile], params: ReviewParams, cadence: Cadence, plan: DecodePlan | None, **engine):
    e = Embedded(threads=2, **engine)
    reads = e.ingest(files, plan)
    queries = queries_for(cadence)
    results = run_queries(e, params, queries, local_proof(params.start, params.end))
    passed = sum(r.passed_in_period for r in reads)
    return [(r.query.id, r.columns, r.rows, r.not_run) for r in results], period_records(e, params) + passed, e.count()


@pytest.mark.parametrize(
    "cadence,label", [("daily", "2026-11-24"), ("weekly", "2026-W48"), ("monthly", "2026-11"), ("quarterly", "2026-Q4")]
)
def test_every_cadence_selects_the_same_rows_with_and_without_its_sieve(month, cadence, label):
    period = named(Cadence(cadence), label)
    params = ReviewParams(period.start, period.end, previous(period), PHI, ARCHIVE, NY)
    files = local_files(str(month), read_start(period), period.end)
    sieve = union(q.reads(params) for q in queries_for(period.cadence))
    plan = DecodePlan(sieve, f"{period.start:%Y-%m-%dT%H:%M:%SZ}", f"{period.end:%Y-%m-%dT%H:%M:%SZ}")
    whole_rows, whole_count, whole_kept = _reviewed(files, params, period.cadence, None)
    rows, count, kept = _reviewed(files, params, period.cadence, plan)
    assert rows == whole_rows
    assert any(r[2] for r in rows), "the month plants events for every cadence"
    assert count == whole_count > 0
    assert sieve.conditions and kept < whole_kept, (kept, whole_kept)  # it does pass records over


def test_worker_processes_read_and_decode_alike(month):
    """Decoding in worker processes (each reads and hashes its files) gives what threads give."""
    period = named(Cadence.WEEKLY, "2026-W48")
    params = ReviewParams(period.start, period.end, None, PHI, ARCHIVE, NY)
    files = local_files(str(month), period.start, period.end)
    missing = InputFile(str(month / "gone.json.gz"), lambda: b"", 1, str(month / "gone.json.gz"))
    plan = DecodePlan(union(q.reads(params) for q in queries_for(Cadence.WEEKLY)), *WEEK)
    assert _reviewed(files, params, Cadence.WEEKLY, plan, processes_from=0) == _reviewed(
        files, params, Cadence.WEEKLY, plan
    )
    e = Embedded(threads=2, processes_from=0)
    reads = e.ingest([*files[:3], missing], plan)
    assert [r.sha256 is not None for r in reads] == [True, True, True, False]
    assert reads[-1].error is not None and reads[-1].error.startswith("could not be read: FileNotFoundError")


def test_every_aws_alert_selects_its_corpus_alike_through_its_sieve():
    corpora = aws_alert_corpora()
    for c in corpora:
        sieve = pattern_sieve(c.pattern)
        assert sieve.conditions is not None, c.alert  # every alert's pattern has a sieve narrower than every record
        got = []
        for plan in (None, DecodePlan(sieve, *WEEK)):
            engine = Embedded(threads=1)
            engine.ingest([InputFile("corpus", lambda body=c.body: body)], plan)
            got.append(engine.run(f"SELECT event_id FROM records WHERE {pattern_predicate(c.pattern)} ORDER BY 1")[1])
        assert got[0] == got[1] and len(got[0]) == c.must_match, c.alert
    assert len(corpora) == 18


@pytest.mark.parametrize(
    "condition,text",
    [
        (Condition("role_arn", "%admin%", like=True, lower=True), "arn:aws:iam::1:role/SiteADMIN"),
        (Condition("role_arn", "%admin%", like=True, lower=True), "arn:aws:iam::1:role/adm_in"),
        (Condition("role_arn", "%/a_b", like=True), "arn:aws:iam::1:role/axb"),
        (Condition("role_arn", "%/a_b", like=True), "arn:aws:iam::1:role/a_b"),
        (Condition("role_arn", "a%b%c", like=True), "abc"),
        (Condition("role_arn", "a%b%c", like=True), "a\nxbc"),
        (Condition("event_name", "AssumeRole"), "AssumeRoleWithSAML"),
        (Condition("role_arn", "100%", like=True), "100% sure"),
    ],
)
def test_a_condition_agrees_with_duckdb(condition, text):
    column = f"LOWER({condition.column})" if condition.lower else condition.column
    sql = like(column, condition.value) if condition.like else f"{column} = {quote(condition.value)}"
    want = duckdb.connect().execute(f"SELECT {sql} FROM (SELECT $t AS {condition.column})", {"t": text}).fetchone()
    assert (condition.matcher()(text),) == want


def test_a_value_lower_cases_differently_beyond_ascii_is_kept():
    """DuckDB lower-cases İ (U+0130) to i; Python to i and a combining dot: such a value is never passed over."""
    admin = Condition("role_arn", "%admin%", like=True, lower=True)
    assert duckdb.connect().execute("SELECT LOWER('ADMİN') LIKE '%admin%'").fetchone() == (True,)
    assert admin.matcher()("arn:aws:iam::1:role/ADMİN") is True
    assert admin.matcher()("arn:aws:iam::1:role/readonly") is False


def test_a_pattern_the_sieve_cannot_narrow_keeps_every_record():
    assert pattern_sieve('{ $.eventName != "GetObject" }') == EVERYTHING
    assert pattern_sieve('{ $.eventName = "A" || $.userIdentity.type != "Root" }') == EVERYTHING
    assert pattern_sieve("{ $.errorCode = 5 }") == EVERYTHING  # CloudWatch compares a number as a number
    both = pattern_sieve('{ $.eventSource = "ec2.amazonaws.com" && ($.eventName = "A" || $.eventName = "B*") }')
    assert both == union([equals("event_name", ["A"]), pattern_sieve('{ $.eventName = "B*" }')])


def _decoded(records: list[object] | str, sieve=None, raw: bytes | None = None):
    body = raw if raw is not None else json.dumps({"Records": records}).encode()
    return decode(gzip.compress(body), DecodePlan(sieve or equals("event_name", ["ConsoleLogin"]), *WEEK))


def test_decoding_keeps_what_it_cannot_judge_for_the_engine():
    t = "2026-11-25T10:00:00Z"
    ok = {"eventTime": t, "eventName": "GetObject"}
    escaped = b'{"Records":[{"eventTime":"2026-11-25T10:00:00Z","eventName":"Console\\u004cogin"}]}'
    assert _decoded([], raw=escaped).kept_records == 1  # msgspec unescapes: the field is ConsoleLogin
    whole = _decoded([ok, {"eventTime": t, "eventName": 5}])  # not a string: the file is kept whole
    assert (whole.records, whole.kept_records, whole.passed_in_period) == (2, 2, 0)
    odd = ["2026-02-30T00:00:00Z", "2026-11-25T10:00:00.123Z", "2026-11-25t10:00:00Z", None]
    got = _decoded([ok, *({"eventTime": x, "eventName": "GetObject"} for x in odd), {"eventName": "x"}])
    assert (got.records, got.kept_records, got.passed_in_period) == (6, 5, 1)
    outside = _decoded([{**ok, "eventTime": "2026-12-01T00:00:00Z"}, {**ok, "eventTime": "2026-11-23T23:59:59Z"}])
    assert (outside.kept_records, outside.passed_in_period) == (0, 0)
    record = {"eventTime": t, "eventName": "ConsoleLogin", "x": [1, 2]}
    pretty = _decoded([], raw=json.dumps({"Records": [record, ok]}, indent=2).encode())
    assert b"\n" not in pretty.kept and json.loads(pretty.kept) == record  # one record, one line


def test_a_damaged_record_the_sieve_passes_over_still_fails_its_file():
    body = b'{"Records":[{"eventTime":"2026-11-25T10:00:00Z","eventName":"GetObject","userAgent":"\xff"}]}'
    at = body.index(b"\xff")
    assert _decoded([], raw=body).error == f"not UTF-8 text (invalid start byte at byte {at})"
    assert _decoded([], raw=b'{"Records":[{"eventName":"GetObject"},]}').error == (
        "not a CloudTrail log file: not JSON, or no Records array"
    )


def test_the_engine_counts_every_record_and_parses_only_the_kept(tmp_path: Path):
    recs = [{"eventTime": "2026-11-25T10:00:00Z", "eventName": n, "eventID": n} for n in ("ConsoleLogin", "GetObject")]
    body = gzip.compress(json.dumps({"Records": recs}).encode())
    e = Embedded(threads=1)
    (read,) = e.ingest([InputFile("f", lambda: body)], DecodePlan(equals("event_name", ["ConsoleLogin"]), *WEEK))
    assert (read.records, read.passed_in_period, read.error) == (2, 1, None)
    assert e.run("SELECT event_id, log_file FROM records")[1] == [("ConsoleLogin", "f")]


def test_the_worksheet_states_the_sieve_and_what_it_parsed(month, tmp_path):
    from auditkit.auditors.review.page import worksheet_html
    from auditkit.auditors.review.run import ReviewRequest, review
    from auditkit.auditors.review.worksheet import write

    period = named(Cadence.WEEKLY, "2026-W48")
    result = review(
        ReviewRequest(period, ReviewParams(period.start, period.end, None, PHI, ARCHIVE, NY), logs=str(month))
    )
    path, _ = write(result, tmp_path, "2026-12-01T00:00:00Z")
    doc = json.loads(path.read_text())["sieve"]
    assert doc["conditions"] == [
        "LOWER(role_arn) LIKE '%/awsreservedsso_administratoraccess_%'",
        "LOWER(role_arn) LIKE '%/organizationaccountaccessrole'",
        "LOWER(role_arn) LIKE '%admin%'",
        "event_name = 'ConsoleLogin'",
        "identity_arn = 'arn:aws:iam::123456789012:role/break-glass'",
        "identity_arn LIKE '%:assumed-role/break-glass/%'",
        "identity_type = 'Root'",
        "issuer_arn = 'arn:aws:iam::123456789012:role/break-glass'",
        "role_arn = 'arn:aws:iam::123456789012:role/break-glass'",
    ]
    assert 0 < doc["parsed_records"] < sum(r.records for r in result.inputs)
    assert f"select from the {doc['parsed_records']} record(s) that meet one of these" in worksheet_html(
        result, tmp_path
    )

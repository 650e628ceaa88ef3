"""`auditkit review aws --trail`: the period is proven with verify's digest checks before it is reviewed, and
`--engine athena` sends the catalog's SQL through the Athena API (moto answers the API; it does not run SQL, so
the rendered Athena SQL's logic is run on DuckDB over the same records in its own test)."""

from __future__ import annotations

import gzip
import json
from datetime import timedelta
from pathlib import Path

import pytest

from auditkit.auditors.aws.clients import CallLog
from auditkit.auditors.aws.permissions import iam_action
from auditkit.auditors.demo.emulator_cloudtrail import CloudTrailStub
from auditkit.auditors.review.periods import named
from auditkit.auditors.review.run import AthenaOptions, ReviewRequest, review
from auditkit.policies.review.catalog import Cadence, ReviewParams
from tests.review_world import ARCHIVE, PLANTED, TRAIL, forge
from tests.test_review import EXPORT, NY, PHI, rows

DAY_END = PLANTED.burst.replace(hour=0, second=31)  # the digest that ends 2026-11-24 00:00:31
POLICY = Path(__file__).resolve().parent.parent / "auditors" / "aws" / "review-policy.json"


@pytest.fixture
def world(boto_session, aws_emulator, monkeypatch):
    s3 = boto_session.client("s3")
    s3.create_bucket(Bucket=ARCHIVE)
    boto_session.client("cloudtrail").create_trail(
        Name=TRAIL, S3BucketName=ARCHIVE, IsMultiRegionTrail=True, EnableLogFileValidation=True
    )
    d = forge(s3, 26, DAY_END)
    stub = CloudTrailStub(aws_emulator, {"us-east-1": [d.keys["us-east-1"].stub_key()]})
    last = DAY_END + timedelta(hours=25)
    stub.status[TRAIL] = {"IsLogging": True, "LatestDigestDeliveryTime": (last + timedelta(minutes=4)).timestamp()}
    monkeypatch.setenv("AWS_ENDPOINT_URL_CLOUDTRAIL", stub.endpoint)
    yield d
    stub.close()


def _request(tmp_path: Path, athena: AthenaOptions | None = None) -> ReviewRequest:
    period = named(Cadence.DAILY, "2026-11-24")
    params = ReviewParams(period.start, period.end, None, PHI, None, NY)
    return ReviewRequest(period, params, trail=TRAIL, regions=("us-east-1",), cache=tmp_path / "cache", athena=athena)


def test_the_bucket_is_proven_hour_by_hour_then_reviewed(world, tmp_path):
    result = review(_request(tmp_path))
    assert result.proof.verified_hours == [f"123456789012/us-east-1/2026-11-24T{h:02d}:00Z" for h in range(24)]
    assert result.proof.unverifiable_hours == [] and result.proof.issues == [] and result.proof.refused == {}
    got = rows(result, "daily.high_risk_events", "alert", "events", "identity", "log_file", "digest")
    burst_log = world.log_key("123456789012", "us-east-1", PLANTED.burst + timedelta(minutes=5, seconds=31), 0)
    digest = world.digest_key("123456789012", "us-east-1", PLANTED.burst + timedelta(hours=1, seconds=31))
    assert got == [("phi_read_volume", 600, EXPORT, f"s3://{ARCHIVE}/{burst_log}", f"s3://{ARCHIVE}/{digest}")]
    assert (tmp_path / "cache" / ARCHIVE / burst_log).is_file()  # the raw records, linked from the worksheet


def test_a_file_whose_hash_does_not_match_is_refused(world, boto_session, tmp_path):
    from auditkit.auditors.review.worksheet import exit_code

    key = world.log_key("123456789012", "us-east-1", PLANTED.burst + timedelta(minutes=5, seconds=31), 0)
    boto_session.client("s3").put_object(Bucket=ARCHIVE, Key=key, Body=gzip.compress(b'{"Records": []}'))
    result = review(_request(tmp_path))
    assert list(result.proof.refused) == [f"s3://{ARCHIVE}/{key}"]
    assert result.proof.refused[f"s3://{ARCHIVE}/{key}"].startswith("log file altered: SHA-256 of its content is")
    assert rows(result, "daily.high_risk_events", "alert") == [] and exit_code(result) == 1


class AthenaApi:
    """The Athena API as its reference documents it (StartQueryExecution, GetQueryExecution, GetQueryResults:
    header row first, NextToken paging). moto 5.2's Athena answers only the JSON 1.1 protocol, and this
    botocore speaks Athena's newer REST protocol to it (`/workgroups`: moto answers 404), so the calls are
    recorded here with their documented request and response shapes instead."""

    def __init__(self, answers: list[list[list[str]]]) -> None:
        self.answers, self.calls, self.queries = list(answers), [], {}

    def start_query_execution(self, **kw):
        self.calls.append(("StartQueryExecution", kw))
        qid = f"q{len(self.queries)}"
        self.queries[qid] = (kw, self.answers.pop(0))
        return {"QueryExecutionId": qid}

    def get_query_execution(self, QueryExecutionId):  # noqa: N803
        self.calls.append(("GetQueryExecution", {"QueryExecutionId": QueryExecutionId}))
        state = "RUNNING" if sum(c[0] == "GetQueryExecution" for c in self.calls) == 1 else "SUCCEEDED"
        return {"QueryExecution": {"QueryExecutionId": QueryExecutionId, "Status": {"State": state}}}

    def get_query_results(self, QueryExecutionId, NextToken=None):  # noqa: N803
        self.calls.append(("GetQueryResults", {"QueryExecutionId": QueryExecutionId, "NextToken": NextToken}))
        rows = self.queries[QueryExecutionId][1]
        page, rest = (rows[:2], rows[2:]) if NextToken is None else (rows[2:], [])
        doc = {"ResultSet": {"Rows": [{"Data": [{"VarCharValue": v} for v in r]} for r in page]}}
        if NextToken is None:
            doc["ResultSet"]["ResultSetMetadata"] = {"ColumnInfo": [{"Name": c, "Type": "varchar"} for c in rows[0]]}
        return {**doc, **({"NextToken": "t1"} if rest else {})}


def test_athena_sends_the_catalog_sql_through_the_athena_api():
    from auditkit.auditors.review.athena import AthenaEngine
    from auditkit.auditors.review.aws_proof import local_proof
    from auditkit.auditors.review.dialect import AthenaTable
    from auditkit.auditors.review.run import run_queries
    from auditkit.policies.review.catalog import queries_for

    header = ["alert", "severity", "events", "identity"]
    answers = [[header, ["phi_read_volume", "high", "600", EXPORT], ["root_use", "critical", "1", "root"]]]
    api = AthenaApi(answers)
    period = named(Cadence.DAILY, "2026-11-24")
    params = ReviewParams(period.start, period.end, None, PHI, ARCHIVE, NY)
    days = [period.start.date(), period.end.date()]
    refused = ["s3://acme-audit-archive/AWSLogs/x.json.gz"]
    engine = AthenaEngine(api, "auditkit-review", AthenaTable("auditkit_review", "cloudtrail"), days, refused, poll=0)
    [result] = run_queries(engine, params, queries_for(Cadence.DAILY), local_proof(period.start, period.end))
    assert result.columns == header and result.rows == [
        ("phi_read_volume", "high", "600", EXPORT),
        ("root_use", "critical", "1", "root"),
    ]
    assert [c[0] for c in api.calls] == [
        "StartQueryExecution",
        "GetQueryExecution",
        "GetQueryExecution",
        "GetQueryResults",
        "GetQueryResults",
    ]
    start = api.calls[0][1]
    assert (start["WorkGroup"], start["QueryExecutionContext"]) == ("auditkit-review", {"Database": "auditkit_review"})
    sql = start["QueryString"]
    assert sql.startswith("WITH records AS (SELECT from_iso8601_timestamp(eventtime) AS event_time")
    assert 'FROM "auditkit_review"."cloudtrail" WHERE "timestamp" BETWEEN \'2026/11/24\' AND \'2026/11/25\'' in sql
    assert "AND \"$path\" NOT IN ('s3://acme-audit-archive/AWSLogs/x.json.gz')" in sql
    assert (
        "min_by(log_file, event_time)" in sql and "to_unixtime(event_time)" in sql and "HAVING COUNT(*) >= 500" in sql
    )
    assert api.calls[4][1]["NextToken"] == "t1"


class LoopingResults(AthenaApi):
    """GetQueryResults that hands back the NextToken it was given: a result set that would never end."""

    def get_query_results(self, QueryExecutionId, NextToken=None):  # noqa: N803
        return {**super().get_query_results(QueryExecutionId, None), "NextToken": "t1"}


def test_athena_results_whose_page_token_repeats_are_that_querys_error():
    from auditkit.auditors.review.athena import AthenaEngine
    from auditkit.auditors.review.aws_proof import local_proof
    from auditkit.auditors.review.dialect import AthenaTable
    from auditkit.auditors.review.run import run_queries
    from auditkit.policies.review.catalog import queries_for

    api = LoopingResults([[["alert"], ["root_use"], ["root_use"]]])
    period = named(Cadence.DAILY, "2026-11-24")
    params = ReviewParams(period.start, period.end, None, PHI, ARCHIVE, NY)
    days = [period.start.date()]
    engine = AthenaEngine(api, "auditkit-review", AthenaTable("auditkit_review", "cloudtrail"), days, poll=0)
    [result] = run_queries(engine, params, queries_for(Cadence.DAILY), local_proof(period.start, period.end))
    assert result.error is not None and result.error.startswith("BrokenPaging: the page token 't1' came back again")
    assert [c[0] for c in api.calls].count("GetQueryResults") == 2


def _trino_on_duckdb(con) -> None:
    """The Trino functions the Athena dialect uses, as DuckDB macros (same meaning on these values)."""
    con.execute("SET TimeZone = 'UTC'")
    con.execute("CREATE MACRO from_iso8601_timestamp(s) AS strptime(s, '%Y-%m-%dT%H:%M:%SZ')::TIMESTAMPTZ")
    con.execute("CREATE MACRO to_unixtime(t) AS epoch(t)")
    con.execute("CREATE MACRO date_format(t, f) AS strftime(t, replace(replace(f, '%i', '%M'), '%s', '%S'))")
    con.execute("CREATE MACRO array_join(a, sep) AS array_to_string(a, sep)")
    con.execute("CREATE MACRO json_extract_scalar(j, p) AS json_extract_string(j, p)")
    con.execute("CREATE MACRO day_of_week(t) AS isodow(t)")


@pytest.mark.slow  # seconds a case: `make test-slow` runs it (CI runs both)
def test_the_rendered_athena_sql_gives_the_embedded_rows_on_the_same_records():
    """Every catalog query, rendered for Athena over a table in the shape of AWS's CloudTrail table, run on DuckDB."""
    import tempfile

    import duckdb

    from auditkit.auditors.review.athena import AthenaEngine
    from auditkit.auditors.review.dialect import AthenaTable
    from auditkit.auditors.review.run import ReviewRequest as Req
    from auditkit.policies.review.catalog import queries_for
    from tests.review_world import forge_folder

    root = Path(tempfile.mkdtemp())
    d = forge_folder(root, 48 + 24 * 22)  # Nov 1 to Nov 24
    con = duckdb.connect()
    _trino_on_duckdb(con)
    con.execute("CREATE SCHEMA auditkit_review")
    con.execute(
        "CREATE TABLE auditkit_review.cloudtrail (eventtime VARCHAR, eventsource VARCHAR, eventname VARCHAR, "
        "eventtype VARCHAR, awsregion VARCHAR, recipientaccountid VARCHAR, useridentity STRUCT(type VARCHAR, "
        "arn VARCHAR, principalid VARCHAR, accountid VARCHAR, username VARCHAR, invokedby VARCHAR, sessioncontext "
        "STRUCT(sessionissuer STRUCT(arn VARCHAR))), sourceipaddress VARCHAR, useragent VARCHAR, errorcode VARCHAR, "
        "errormessage VARCHAR, requestparameters VARCHAR, responseelements VARCHAR, additionaleventdata VARCHAR, "
        'resources STRUCT(arn VARCHAR)[], eventid VARCHAR, "$path" VARCHAR, "timestamp" VARCHAR)'
    )
    for key, recs in d.written.items():
        day = "/".join(key.split("/")[-4:-1])
        for r in recs:
            ident = r["userIdentity"]
            issuer = (ident.get("sessionContext") or {}).get("sessionIssuer") or {}
            con.execute(
                "INSERT INTO auditkit_review.cloudtrail VALUES (?, ?, ?, ?, ?, ?, {'type': ?, 'arn': ?, 'principalid': ?, "
                "'accountid': ?, 'username': ?, 'invokedby': ?, 'sessioncontext': {'sessionissuer': {'arn': ?}}}, ?, ?, ?, ?, "
                "?, ?, ?, ?, ?, ?, ?)",
                [
                    r["eventTime"],
                    r["eventSource"],
                    r["eventName"],
                    r["eventType"],
                    r["awsRegion"],
                    r["recipientAccountId"],
                    ident["type"],
                    ident.get("arn"),
                    ident.get("principalId"),
                    ident.get("accountId"),
                    ident.get("userName"),
                    ident.get("invokedBy"),
                    issuer.get("arn"),
                    r["sourceIPAddress"],
                    r["userAgent"],
                    r.get("errorCode"),
                    r.get("errorMessage"),
                    _json(r.get("requestParameters")),
                    _json(r.get("responseElements")),
                    _json(r.get("additionalEventData")),
                    [{"arn": x["ARN"]} for x in r.get("resources", [])] or None,
                    r["eventID"],
                    str(root / key),
                    day,
                ],
            )

    class DuckAsAthena:
        def __init__(self, athena):
            self.sql_of, self.dialect = athena.sql, athena.dialect

        def run(self, sql):
            cur = con.execute(self.sql_of(sql))
            return [c[0] for c in cur.description], cur.fetchall()

    for cadence, label in ((Cadence.DAILY, "2026-11-24"), (Cadence.WEEKLY, "2026-W47"), (Cadence.MONTHLY, "2026-11")):
        period = named(cadence, label)
        params = ReviewParams(period.start, period.end, None, PHI, ARCHIVE, NY)
        embedded = review(Req(period, params, logs=str(root)))
        days = [period.start.date() + timedelta(days=i) for i in range((period.end - period.start).days + 1)]
        athena = AthenaEngine(None, "wg", AthenaTable("auditkit_review", "cloudtrail"), days)
        from auditkit.auditors.review.run import run_queries

        got = run_queries(DuckAsAthena(athena), params, queries_for(cadence), embedded.proof)
        for e, a in zip(embedded.results, got, strict=True):
            assert (e.not_run, e.error) == (a.not_run, a.error), e.query.id
            assert [tuple(str(v) for v in row) for row in a.rows] == [tuple(str(v) for v in row) for row in e.rows], (
                e.query.id
            )


def _json(v):
    return None if v is None else json.dumps(v)


def test_every_call_of_a_review_is_in_the_shipped_policy_and_nothing_more(world, boto_session, tmp_path):
    """auditors/aws/review-policy.json: the statements of the calls a review makes, exactly (a trail, an
    organization trail on moto; Athena's operations as AthenaEngine calls them); the Glue and results-bucket
    statements are what Athena itself needs to run them (Athena User Guide, "Access to the Glue Data Catalog")."""
    doc = json.loads(POLICY.read_text())
    by_sid = {s["Sid"]: {s["Action"]} if isinstance(s["Action"], str) else set(s["Action"]) for s in doc["Statement"]}
    calls = CallLog()
    req = _request(tmp_path / "trail")
    req.calls = calls
    review(req)
    boto_session.client("organizations").create_organization(FeatureSet="ALL")
    boto_session.client("cloudtrail").update_trail(Name=TRAIL, IsOrganizationTrail=True)
    req = _request(tmp_path / "org")
    req.calls = calls
    review(req)
    used = {iam_action(*key.split(":")) for key in calls.counts}
    assert used == by_sid["AuditKitReviewReadTheTrail"] | by_sid["AuditKitReviewReadTheArchive"]
    from auditkit.auditors.review.athena import AthenaEngine
    from auditkit.auditors.review.dialect import AthenaTable

    api = AthenaApi([[["records"], ["1"]]])
    AthenaEngine(api, "auditkit-review", AthenaTable("d", "t"), [PLANTED.burst.date()], poll=0).run("SELECT 1")
    assert {f"athena:{op}" for op, _ in api.calls} == by_sid["AuditKitReviewRunAthenaQueries"]
    assert by_sid["AuditKitReviewArchiveKeyThroughS3Only"] == {"kms:Decrypt"}


def test_the_demo_review_step_finds_exactly_the_planted_events(boto_session, aws_emulator, tmp_path):
    from auditkit.auditors.demo.review_step import run_review_step

    assert run_review_step(boto_session, aws_emulator, tmp_path) is True
    doc = json.loads((tmp_path / "6-daily-review" / "worksheet.json").read_text())
    assert [q["rows"] for q in doc["queries"]] == [4] and len(doc["proof"]["verified_hours"]) == 24


def test_a_log_file_read_is_bounded_retried_and_named_when_it_fails(world, moto_endpoint, monkeypatch, tmp_path):
    """Through the fault proxy (tests/fault_proxy.py): a body cut short once is read again; a denied file is an
    ERROR naming it, its records left out, the rest of the period still reviewed."""
    from auditkit.auditors.review.worksheet import exit_code
    from tests.fault_proxy import Fault, proxied

    burst = world.log_key("123456789012", "us-east-1", PLANTED.burst + timedelta(minutes=5, seconds=31), 0)
    other = world.log_key("123456789012", "us-east-1", PLANTED.burst.replace(hour=3, minute=5, second=31), 0)

    def on(key):
        return lambda c: c.operation == "GetObject" and c.path.endswith(key)

    with proxied(moto_endpoint, monkeypatch, max_attempts=2) as proxy:
        proxy.faults += [Fault(on(burst), "short", times=1), Fault(on(other), "denied")]
        result = review(_request(tmp_path))
    errors = {r.name: r.error for r in result.inputs if r.error}
    assert list(errors) == [f"s3://{ARCHIVE}/{other}"]
    assert (
        "could not read GetObject" in errors[f"s3://{ARCHIVE}/{other}"]
        and "AccessDenied" in errors[f"s3://{ARCHIVE}/{other}"]
    )
    assert rows(result, "daily.high_risk_events", "alert", "events") == [("phi_read_volume", 600)]  # read again whole
    assert len([c for c in proxy.seen if on(burst)(c)]) == 2 and exit_code(result) == 1

"""One review: choose the files, prove them (AWS), read them into an engine, run the cadence's queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from auditkit.auditors.aws.clients import AccountSession, CallLog
from auditkit.auditors.failures import DEFAULT_TIMEOUT, Deadline
from auditkit.auditors.findings import iso_utc
from auditkit.auditors.review import aws_proof
from auditkit.auditors.review.aws_proof import Proof
from auditkit.auditors.review.embedded import Embedded, FileRead, InputFile
from auditkit.auditors.review.log_decoding import DecodePlan
from auditkit.auditors.review.periods import ReviewPeriod, previous
from auditkit.auditors.review.sources import local_files
from auditkit.policies.review.catalog import NotReviewable, ReviewParams, ReviewQuery, period, queries_for
from auditkit.policies.review.sieve import union


class Engine(Protocol):
    dialect: Any

    def run(self, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]: ...


@dataclass
class AthenaOptions:
    workgroup: str
    database: str
    table: str


@dataclass
class ReviewRequest:
    period: ReviewPeriod
    params: ReviewParams
    logs: str | None = None  # a local folder
    trail: str | None = None  # or the trail whose bucket is read
    regions: tuple[str, ...] = ()
    profile: str | None = None
    region: str | None = None
    cache: Path = Path(".auditkit-cache")
    athena: AthenaOptions | None = None
    calls: CallLog = field(default_factory=CallLog)  # every AWS API call, by service:Operation
    timeout: float = DEFAULT_TIMEOUT  # seconds one attempt of a call may wait on the network (--timeout)
    deadline: Deadline | None = None  # when the whole review's reads must end (--deadline)


@dataclass
class QueryResult:
    query: ReviewQuery
    columns: list[str] = field(default_factory=list)
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    not_run: str | None = None  # why the query could not run with what the review was given
    error: str | None = None  # the engine failed it


@dataclass
class Review:
    request: ReviewRequest
    engine: str
    proof: Proof
    inputs: list[FileRead]
    records: int
    results: list[QueryResult]
    calls: CallLog = field(default_factory=CallLog)
    source: str = ""
    sent: list[str] = field(default_factory=list)  # Athena: the SQL sent
    # Embedded: the sieve's conditions, and how many records met one and were parsed into the engine's table
    sieve: list[str] | None = None
    parsed: int = 0


def period_records(engine: Engine, params: ReviewParams) -> int:
    """Records whose eventTime is inside the period (the files read also hold the hour after it)."""
    _, rows = engine.run(f"SELECT COUNT(*) AS records FROM records WHERE {period(engine.dialect, params)}")
    return int(rows[0][0]) if rows and rows[0][0] is not None else 0


def read_start(period: ReviewPeriod) -> Any:
    """The quarterly review compares with the previous quarter, so it reads that quarter too."""
    return previous(period) if period.cadence.value == "quarterly" else period.start


def run_queries(
    engine: Engine, params: ReviewParams, queries: tuple[ReviewQuery, ...], proof: Proof
) -> list[QueryResult]:
    out = []
    for q in queries:
        r = QueryResult(q)
        try:
            sql = q.build(engine.dialect, params)
        except NotReviewable as exc:
            r.not_run = str(exc)
            out.append(r)
            continue
        try:
            r.columns, r.rows = engine.run(sql)
        except Exception as exc:  # an engine failure is that query's ERROR, the others still run
            r.error = f"{type(exc).__name__}: {exc}"
        _add_digests(r, proof)
        out.append(r)
    return out


def _add_digests(r: QueryResult, proof: Proof) -> None:
    """Each row names the digest that vouches for its log file (AWS), or why none does."""
    if "log_file" not in r.columns:
        return
    i = r.columns.index("log_file")

    def digest(f: Any) -> str:
        if proof.mode == "none":
            return "not verifiable (local folder)"
        return proof.digest_of.get(str(f), "unverified: no verified digest lists this file")

    r.columns = [*r.columns, "digest"]
    r.rows = [(*row, digest(row[i])) for row in r.rows]


def _local(req: ReviewRequest, start: Any) -> tuple[list[InputFile], Proof, str]:
    assert req.logs is not None
    return local_files(req.logs, start, req.period.end), aws_proof.local_proof(start, req.period.end), req.logs


def review(req: ReviewRequest) -> Review:
    start = read_start(req.period)
    params = ReviewParams(
        req.period.start,
        req.period.end,
        previous(req.period),
        req.params.phi_buckets,
        req.params.archive_bucket,
        req.params.settings,
    )
    calls = req.calls
    queries = queries_for(req.period.cadence)
    if req.logs:
        files, proof, source = _local(req, start)
        return _embedded(req, params, queries, files, None, proof, calls, source)
    assert req.trail is not None
    acct = AccountSession.open(req.profile, req.region, calls, req.timeout, req.deadline)
    trail = aws_proof.find_trail(acct, req.trail, req.region or acct.default_region)
    regions = req.regions or (str(trail.get("HomeRegion") or acct.default_region),)
    bucket_plan = aws_proof.plan(acct, trail, regions, start, req.period.end, req.cache)
    source = f"trail {trail['TrailARN']} (s3://{trail['S3BucketName']})"
    if params.archive_bucket is None:  # the trail's own bucket is the archive the alert watches
        params = ReviewParams(
            params.start,
            params.end,
            params.baseline_start,
            params.phi_buckets,
            str(trail["S3BucketName"]),
            params.settings,
        )
    if req.athena:
        from auditkit.auditors.review.athena_review import athena_review

        return athena_review(req, params, queries, acct, bucket_plan, calls, source)
    return _embedded(req, params, queries, bucket_plan.files, bucket_plan, None, calls, source)


def _embedded(
    req: ReviewRequest,
    params: ReviewParams,
    queries: tuple[ReviewQuery, ...],
    files: list[InputFile],
    bucket_plan: aws_proof.BucketPlan | None,
    proof: Proof | None,
    calls: CallLog,
    source: str,
) -> Review:
    engine = Embedded()
    sieve = union(q.reads(params) for q in queries)
    plan = DecodePlan(sieve, iso_utc(params.start), iso_utc(params.end), content_hash=bucket_plan is not None)
    reads = engine.ingest(files, plan)
    if bucket_plan is not None:
        proof = aws_proof.judge(bucket_plan, reads)
        for name in proof.refused:
            engine.con.execute("DELETE FROM records WHERE log_file = ?", [name])
    assert proof is not None
    results = run_queries(engine, params, queries, proof)
    # Records the sieve passed over were counted as they were decoded; refused files' records do not count.
    passed = sum(r.passed_in_period for r in reads if not r.error and r.name not in proof.refused)
    records = period_records(engine, params) + passed
    parsed = engine.count()
    review = Review(req, "embedded (DuckDB)", proof, reads, records, results, calls, source)
    review.sieve, review.parsed = sieve.describe(), parsed
    return review

"""The Athena path of a review: every file still proven (verify's hash_log over the bucket), then SQL on Athena."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from auditkit.auditors.aws.clients import AccountSession, CallLog
from auditkit.auditors.aws.verify import collect
from auditkit.auditors.aws.verify.layout import days
from auditkit.auditors.review import aws_proof
from auditkit.auditors.review.athena import AthenaEngine
from auditkit.auditors.review.dialect import AthenaTable
from auditkit.auditors.review.embedded import FileRead
from auditkit.policies.review.catalog import ReviewParams, ReviewQuery

if TYPE_CHECKING:
    from auditkit.auditors.review.run import Review, ReviewRequest


def _hash(acct: AccountSession, name: str) -> FileRead:
    bucket, key = name[len("s3://") :].split("/", 1)
    read = collect.hash_log(acct, acct.default_region, bucket, key)
    if read.failure:
        return FileRead(name, error=read.failure.describe())
    if read.absent:
        return FileRead(name, error="deleted between listing and reading")
    if read.not_gzip:
        return FileRead(name, error="not gzip data")
    return FileRead(name, content_sha256=read.sha256)


def athena_review(
    req: ReviewRequest,
    params: ReviewParams,
    queries: tuple[ReviewQuery, ...],
    acct: AccountSession,
    bucket_plan: aws_proof.BucketPlan,
    calls: CallLog,
    source: str,
) -> Review:
    from auditkit.auditors.review.run import Review, period_records, run_queries

    assert req.athena is not None
    with ThreadPoolExecutor(aws_proof.WORKERS) as pool:
        reads = list(pool.map(lambda f: _hash(acct, f.name), bucket_plan.files))
    proof = aws_proof.judge(bucket_plan, reads)
    unreadable = [r.name for r in reads if r.error]
    engine = AthenaEngine(
        acct.client("athena"),
        req.athena.workgroup,
        AthenaTable(req.athena.database, req.athena.table),
        days(bucket_plan.start, bucket_plan.end),
        [*proof.refused, *unreadable],
    )
    results = run_queries(engine, params, queries, proof)
    records = period_records(engine, params)
    workgroup = f"Athena (workgroup {req.athena.workgroup})"
    return Review(req, workgroup, proof, reads, records, results, calls, source, engine.sent)

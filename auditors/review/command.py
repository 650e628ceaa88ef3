"""`auditkit review`: `review aws` writes a worksheet for a period; `review sign` records the sign-off."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from auditkit.auditors.failures import DEFAULT_TIMEOUT, add_deadline_argument
from auditkit.policies.errors import ConfigError


def add_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="review_command", required=True)
    a = sub.add_parser("aws", help="review a period of CloudTrail records: a worksheet per cadence")
    a.add_argument(
        "--cadence", required=True, choices=["daily", "weekly", "monthly", "quarterly"], help="which review to run"
    )
    a.add_argument("--period", help="2026-11-30 (daily), 2026-W48 (weekly), 2026-11 (monthly), 2026-Q4 (quarterly)")
    a.add_argument("--from", dest="start", metavar="DATE", help="first UTC day of a custom period (with --to)")
    a.add_argument("--to", dest="end", metavar="DATE", help="last UTC day of a custom period, inclusive")
    where = a.add_mutually_exclusive_group(required=True)
    where.add_argument("--logs", metavar="DIR", help="a local folder of CloudTrail log files (not verifiable)")
    where.add_argument("--trail", help="read and verify the trail's bucket (name or ARN)")
    a.add_argument("--region", action="append", default=[], help="regions whose logs to read (default: home region)")
    a.add_argument("--profile", help="AWS named profile")
    a.add_argument(
        "--phi-bucket",
        action="append",
        default=[],
        help="a PHI bucket (repeatable; default: the stack's aws.s3DataEvents list)",
    )
    a.add_argument("--archive-bucket", help="the audit archive bucket (default: the trail's bucket, or the stack's)")
    a.add_argument(
        "--engine", choices=["embedded", "athena"], default="embedded", help="DuckDB in process, or Amazon Athena"
    )
    a.add_argument("--workgroup", default="auditkit-review", help="Athena workgroup (--engine athena)")
    a.add_argument("--database", default="auditkit_review", help="Glue database (--engine athena)")
    a.add_argument("--table", default="cloudtrail", help="Glue table (--engine athena)")
    a.add_argument("--cache", default=".auditkit-cache", help="folder for the log files fetched from S3")
    a.add_argument(
        "--timeout", type=float, default=DEFAULT_TIMEOUT, help="seconds one AWS call attempt may wait on the network"
    )
    add_deadline_argument(a)
    a.add_argument("--out", required=True, metavar="DIR", help="a new or empty folder for the worksheet")
    a.add_argument("--history", metavar="DEST", help="record the worksheet's hash in this history chain")
    a.add_argument("--stack", help="read auditkit:review and aws settings from Pulumi.<stack>.yaml")
    a.add_argument("--stacks-dir", help="folder that holds Pulumi.<stack>.yaml (default: ./stacks)")
    s = sub.add_parser("sign", help="sign off a worksheet: append a review record to the history chain")
    s.add_argument("worksheet", metavar="WORKSHEET", help="the worksheet folder (or its worksheet.json)")
    s.add_argument("--reviewer", help="who reviewed (required)")
    s.add_argument(
        "--outcome", required=True, choices=["no-findings", "findings", "escalated"], help="what the review concluded"
    )
    s.add_argument("--note", help="what was found or decided")
    s.add_argument("--ticket", help="URL of the ticket that tracks the findings")
    s.add_argument("--history", required=True, metavar="DEST", help="the history chain to append the record to")


def run(args: argparse.Namespace) -> int:
    if args.review_command == "sign":
        from auditkit.auditors.review.sign import sign

        head = sign(args.worksheet, args.reviewer, args.outcome, args.note, args.ticket, args.history)
        print(f"auditkit: review signed: {head.key} sha256 {head.sha256}", file=sys.stderr)
        return 0
    from auditkit.auditors.review.cli_request import request_from

    return _review(args, request_from(args))


def _review(args: argparse.Namespace, req: object) -> int:
    from auditkit.auditors.findings import iso_utc, utc_now
    from auditkit.auditors.review.run import ReviewRequest, review
    from auditkit.auditors.review.worksheet import exit_code, write

    assert isinstance(req, ReviewRequest)
    started = iso_utc(utc_now())
    result = review(req)
    path, sha = write(result, Path(args.out), started)
    if args.history:
        import json

        from auditkit.auditors.history.chain import record_history
        from auditkit.auditors.review.sign import run_record

        record_history(run_record(json.loads(path.read_bytes()), sha), args.history)
    code = exit_code(result)
    p = req.period
    if result.records == 0:
        print(
            f"auditkit: review {p.cadence.value} {p.label}: no records in the period; nothing to review",
            file=sys.stderr,
        )
    for r in result.inputs:
        if r.error:
            print(f"auditkit: ERROR {r.name}: {r.error}", file=sys.stderr)
    for f, why in sorted(result.proof.refused.items()):
        print(f"auditkit: REFUSED {f}: {why}", file=sys.stderr)
    print(
        f"auditkit: review {p.cadence.value} {p.label}: {result.records} records, "
        f"{len(result.proof.verified_hours)} verified hour(s), {len(result.proof.unverifiable_hours)} unverifiable; "
        f"worksheet {path} sha256 {sha}",
        file=sys.stderr,
    )
    return code


def check_out(out: str) -> Path:
    path = Path(out)
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise ConfigError("--out", out, "a new or empty folder", "it already holds files")
    return path

"""The `auditkit evidence` command line: arguments in, a package out."""

from __future__ import annotations

import argparse
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from auditkit.auditors import stack_options
from auditkit.auditors.evidence.seal_proofs import MAX_PER_DAY, PER_DAY
from auditkit.auditors.evidence.timeline import Period
from auditkit.auditors.failures import add_deadline_argument
from auditkit.policies.errors import ConfigError

if TYPE_CHECKING:
    from auditkit.auditors.evidence.package import Request
    from auditkit.auditors.evidence.seal_proofs import SealedArchive


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--history",
        action="append",
        default=[],
        required=True,
        metavar="SRC",
        help="a history written by --history (repeatable: one chain per scheduled job)",
    )
    p.add_argument("--from", dest="start", required=True, metavar="DATE", help="first day of the period (YYYY-MM-DD)")
    p.add_argument("--to", dest="end", required=True, metavar="DATE", help="last day of the period, inclusive")
    p.add_argument("--out", required=True, metavar="DIR", help="a new or empty folder for the package")
    p.add_argument("--sample", type=int, default=0, metavar="N", help="copy the raw reports of N random days")
    p.add_argument("--seed", type=int, default=None, help="seed for --sample (recorded in manifest.json)")
    p.add_argument("--sample-dates", nargs="+", default=[], metavar="DATE", help="sample these days instead")
    p.add_argument("--sla-days", type=int, default=30, help="days an exception may stay open (default 30)")
    p.add_argument(
        "--expect-head",
        action="append",
        default=[],
        metavar="[SRC=]SHA256",
        help="a head the history must still hold (the SHA-256 a scan printed); SRC= with several --history",
    )
    p.add_argument(
        "--anchor",
        action="append",
        default=[],
        metavar="FILE",
        help='a head kept outside the history: JSON {"history", "key", "sha256"} as a scan prints it',
    )
    p.add_argument(
        "--exceptions", metavar="FILE", help="YAML: owner, justification/ticket, accepted-until per exception"
    )
    p.add_argument(
        "--seals",
        action="append",
        default=[],
        metavar="ARCHIVE=KEY",
        help="a GCS or Azure archive with seals and its sealing key (repeatable): each sampled day's package "
        "holds the inclusion proofs of a sample of its objects (gs://BUCKET=projects/.../cryptoKeys/K or "
        "https://ACCOUNT.blob.core.windows.net/CONTAINER=https://VAULT/keys/NAME)",
    )
    p.add_argument(
        "--proofs-per-day",
        type=int,
        default=None,
        metavar="N",
        help=f"objects proven per sampled day and archive (default {PER_DAY}, at most {MAX_PER_DAY})",
    )
    stack_options.add_arguments(p)  # the retention each stored report must be locked for (S3, GCS, Azure histories)
    add_deadline_argument(p)


def _day(option: str, value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ConfigError(option, value, "a date YYYY-MM-DD (UTC day)") from None


def request_from(args: argparse.Namespace) -> Request:
    from auditkit.auditors.evidence.anchor import expected_head, read_anchor, resolve
    from auditkit.auditors.evidence.exception_notes import load_notes
    from auditkit.auditors.evidence.package import Request
    from auditkit.auditors.failures import Limits, run_deadline
    from auditkit.auditors.history.stores import STORE_CALL_SECONDS
    from auditkit.auditors.stack_options import retention_for, stack_settings

    start, end = _day("--from", args.start), _day("--to", args.end)
    if end < start:
        raise ConfigError("--to", args.end, f"a date on or after --from {start}")
    if args.sample and args.sample_dates:
        raise ConfigError("--sample-dates", args.sample_dates, "either --sample N (with --seed) or --sample-dates")
    if args.sample < 0:
        raise ConfigError("--sample", args.sample, "a positive number of days")
    if args.seed is not None and not args.sample:
        raise ConfigError("--seed", args.seed, "use together with --sample N")
    if args.sla_days < 0:
        raise ConfigError("--sla-days", args.sla_days, "0 or more days")
    out = Path(args.out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ConfigError("--out", args.out, "a new or empty folder", "it already holds files")
    dates = [_day("--sample-dates", d) for d in args.sample_dates]
    seals, per_day = _seals(args)
    heads = [expected_head(v) for v in args.expect_head] + [read_anchor(f) for f in args.anchor]
    settings, _ = stack_settings(args)
    limits = Limits(STORE_CALL_SECONDS, run_deadline(args))
    return Request(
        list(args.history),
        Period(start, end),
        out,
        timedelta(days=args.sla_days),
        args.sample,
        args.seed,
        dates,
        resolve(heads, list(args.history)),
        retention_for(args, settings),
        load_notes(args.exceptions) if args.exceptions else [],
        seals,
        per_day,
        limits,
    )


def _seals(args: argparse.Namespace) -> tuple[list[SealedArchive], int]:
    """--seals and --proofs-per-day, checked before any cloud call: proofs are of sampled days only."""
    from auditkit.auditors.evidence.seal_proofs import sealed_archive

    per_day = PER_DAY if args.proofs_per_day is None else args.proofs_per_day
    if args.proofs_per_day is not None and not args.seals:
        raise ConfigError("--proofs-per-day", args.proofs_per_day, "use together with --seals ARCHIVE=KEY")
    if not 1 <= per_day <= MAX_PER_DAY:
        raise ConfigError("--proofs-per-day", per_day, f"1 to {MAX_PER_DAY} objects per sampled day and archive")
    if args.seals and not (args.sample or args.sample_dates):
        why = "proofs are of the sampled days' records: use together with --sample N or --sample-dates"
        raise ConfigError("--seals", args.seals[0], why)
    seals = [sealed_archive(v) for v in args.seals]
    archives = [s.archive for s in seals]
    twice = sorted({a for a in archives if archives.count(a) > 1})
    if twice:
        raise ConfigError("--seals", twice[0], "each archive once")
    return seals, per_day


def run(args: argparse.Namespace) -> int:
    from auditkit.auditors.evidence.package import build

    req = request_from(args)
    code, ev, checks = build(req)
    for c in checks:
        missing = ev.missing_days(c.source)
        state = "intact" if c.intact else f"BROKEN ({len(c.problems)} problem(s): {c.problems[0]})"
        head = f"; head {c.head.key} sha256 {c.head.sha256}" if c.head else ""
        print(
            f"auditkit: history {c.source}: {c.links} reports, chain {state}, {len(missing)} day(s) without a run"
            + head,
            file=sys.stderr,
        )
        for line in c.integrity:
            print(f"auditkit: history {c.source}: {line}", file=sys.stderr)
        for line in c.verified:
            print(f"auditkit: history {c.source}: {line}", file=sys.stderr)
    if ev.seal_proofs is not None:
        p = ev.seal_proofs
        print(
            f"auditkit: seal proofs of the sampled days: {p['proven']} proven, {p['not_proven']} not proven, "
            f"{p['errors']} could not be read, {p['hours_without_seal']} hour(s) without a seal "
            "(samples/DAY/seal-proofs.json)",
            file=sys.stderr,
        )
    print(
        f"auditkit: evidence {req.period.start} to {req.period.end}: {len(ev.controls)} controls, "
        f"{len(ev.episodes)} exceptions -> {(req.out / 'index.html').resolve()}",
        file=sys.stderr,
    )
    return code

"""The `auditkit evidence` command line: arguments in, a package out."""

from __future__ import annotations

import argparse
import sys
from datetime import date, timedelta
from pathlib import Path

from auditkit.auditors.evidence.timeline import Period
from auditkit.policies.errors import ConfigError


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


def _day(option: str, value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ConfigError(option, value, "a date YYYY-MM-DD (UTC day)") from None


def request_from(args: argparse.Namespace):  # -> Request (imported lazily)
    from auditkit.auditors.evidence.package import Request

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
    return Request(
        list(args.history), Period(start, end), out, timedelta(days=args.sla_days), args.sample, args.seed, dates
    )


def run(args: argparse.Namespace) -> int:
    from auditkit.auditors.evidence.package import build

    req = request_from(args)
    code, ev, checks = build(req)
    for c in checks:
        missing = ev.missing_days(c.source)
        state = "intact" if c.intact else f"BROKEN ({len(c.problems)} problem(s): {c.problems[0]})"
        print(
            f"auditkit: history {c.source}: {c.links} reports, chain {state}, {len(missing)} day(s) without a run",
            file=sys.stderr,
        )
    print(
        f"auditkit: evidence {req.period.start} to {req.period.end}: {len(ev.controls)} controls, "
        f"{len(ev.episodes)} exceptions -> {(req.out / 'index.html').resolve()}",
        file=sys.stderr,
    )
    return code

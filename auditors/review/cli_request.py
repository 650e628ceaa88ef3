"""`review aws` arguments into a ReviewRequest, every one checked before any cloud call."""

from __future__ import annotations

import argparse
from pathlib import Path

from auditkit.auditors.failures import checked_timeout, run_deadline
from auditkit.auditors.review.command import check_out
from auditkit.auditors.review.periods import custom, named
from auditkit.auditors.review.run import AthenaOptions, ReviewRequest
from auditkit.policies.errors import ConfigError
from auditkit.policies.review.catalog import Cadence, ReviewParams
from auditkit.settings.review_settings import ReviewSettings
from auditkit.settings.stack_settings import StackSettings


def _settings(args: argparse.Namespace) -> StackSettings | None:
    if args.stacks_dir and not args.stack:
        raise ConfigError("--stacks-dir", args.stacks_dir, "use together with --stack")
    if not args.stack:
        return None
    from auditkit.settings.stack_file import find_stack_file
    from auditkit.settings.stack_settings import read_stack_file

    return read_stack_file(find_stack_file(args.stack, args.stacks_dir))


def request_from(args: argparse.Namespace) -> ReviewRequest:
    cadence = Cadence(args.cadence)
    if args.period and (args.start or args.end):
        raise ConfigError("--period", args.period, "either --period or --from/--to")
    if args.period:
        period = named(cadence, args.period)
    elif args.start and args.end:
        period = custom(cadence, args.start, args.end)
    else:
        raise ConfigError("--period", None, "a period (--period, or --from and --to)")
    if args.engine == "athena" and not args.trail:
        raise ConfigError("--engine", "athena", "use with --trail (Athena reads the trail's bucket)")
    check_out(args.out)
    settings = _settings(args)
    aws = settings.aws if settings else None
    phi = tuple(args.phi_bucket) or (aws.s3_buckets if aws and aws.s3_buckets else ())
    archive = args.archive_bucket or (aws.archive_bucket_name if aws else None)
    params = ReviewParams(
        period.start, period.end, None, phi, archive, settings.review if settings else ReviewSettings()
    )
    athena = AthenaOptions(args.workgroup, args.database, args.table) if args.engine == "athena" else None
    return ReviewRequest(
        period,
        params,
        args.logs,
        args.trail,
        tuple(args.region),
        args.profile,
        args.region[0] if args.region else None,
        Path(args.cache),
        athena,
        timeout=checked_timeout(args.timeout),
        deadline=run_deadline(args),
    )

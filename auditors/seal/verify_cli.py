"""What `verify gcp` and `verify azure` share: the window and judging options (checked before any cloud
call), --prove, and the report's way out (report_delivery: formats, --history, exit codes)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from datetime import datetime, timedelta

from auditkit.auditors import report_delivery
from auditkit.auditors.failures import Limits, add_deadline_argument, checked_timeout, run_deadline
from auditkit.auditors.seal.archive import Archive, KeySource
from auditkit.auditors.seal.verification import Classify, VerifyOptions
from auditkit.policies.errors import ConfigError

NO_RETENTION = "not judged (verify proves the sealed archive over the window)"
SETTLE_MINUTES = 30
GRACE_MINUTES = 120


def add_minutes_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--settle",
        type=int,
        default=SETTLE_MINUTES,
        metavar="MINUTES",
        help=f"an hour closes this long after its end, once no append blob in it grew for as long "
        f"(default {SETTLE_MINUTES})",
    )


def add_arguments(p: argparse.ArgumentParser) -> None:
    from auditkit.auditors.aws.verify.command import TIME_FORMS

    p.add_argument("--start", help=f"oldest hour to verify ({TIME_FORMS}; default: --end minus 1 day)")
    p.add_argument("--end", help=f"verify the hours before this time ({TIME_FORMS}; default: now)")
    add_minutes_arguments(p)
    p.add_argument(
        "--grace",
        type=int,
        default=GRACE_MINUTES,
        metavar="MINUTES",
        help=f"a closed hour's seal is due this long after it closed; later, no seal is a gap (default {GRACE_MINUTES})",
    )
    p.add_argument("--deep", action="store_true", help="also read and hash every sealed object's content")
    p.add_argument("--prove", metavar="OBJECT", help="print one object's Merkle audit path against its signed root")
    p.add_argument("--checkpoint", help="JSON file: each archive's newest verified seal; the next run judges new hours")
    p.add_argument("--timeout", type=float, default=20.0, help="seconds per API call before ERROR")
    add_deadline_argument(p, 3600.0)
    report_delivery.add_arguments(p)
    p.set_defaults(fail_on="any")  # no --baseline: every gap counts


def _minutes(option: str, value: int) -> timedelta:
    if value < 0:
        raise ConfigError(option, value, "a number of minutes, 0 or more")
    return timedelta(minutes=value)


def options_from(args: argparse.Namespace, now: datetime) -> VerifyOptions:
    from auditkit.auditors.aws.verify.command import window_from_args

    if args.prove is not None:
        given = [
            (o, v)
            for o, v in (
                ("--start", args.start),
                ("--end", args.end),
                ("--deep", args.deep),
                ("--checkpoint", args.checkpoint),
                ("--history", args.history),
                ("--report-dir", args.report_dir),
            )
            if v
        ]
        if given or args.format != "table":
            why = "--prove prints one object's proof as JSON; it takes no window, report or checkpoint options"
            option, value = given[0] if given else ("--format", args.format)
            raise ConfigError(option, value, why)
    window = window_from_args(args, now)
    return VerifyOptions(
        window.start,
        window.end,
        _minutes("--settle", args.settle),
        _minutes("--grace", args.grace),
        args.deep,
        args.checkpoint,
        # a seal, key or object read: --timeout per attempt, three attempts; the listing: the run's deadline
        Limits(checked_timeout(args.timeout) * 3, run_deadline(args)),
    )


def deliver(
    args: argparse.Namespace,
    options: VerifyOptions,
    opened: Callable[[], tuple[Archive, KeySource]],
    control: str,
    classify: Classify,
    command: str,
    now: datetime | None = None,
) -> int:
    from auditkit.auditors.findings import utc_now
    from auditkit.auditors.seal.checkpoint import load
    from auditkit.auditors.seal.proof import prove
    from auditkit.auditors.seal.verification import verify_sealed

    load(options.checkpoint)  # a bad checkpoint is refused before any cloud call
    started = utc_now()
    archive, source = opened()
    if args.prove is not None:
        proven, doc = prove(archive, source, args.prove)
        report_delivery.write_output(json.dumps(doc, indent=1) + "\n", args.output)
        return 0 if proven else 1
    report = verify_sealed(archive, source, options, control, now or started, classify)
    scope = {
        "archive": [archive.uri],
        "key": [source.key],
        "window": [report.scanned["window"]],
        "content": ["hashed (--deep)" if options.deep else "metadata only"],
    }
    report.stamp(command, started, scope, NO_RETENTION)
    return report_delivery.deliver(report, args, "Pulumi.yaml", None)

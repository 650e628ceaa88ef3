"""`auditkit verify aws`: arguments (checked before any cloud call), then the report and exit code."""

from __future__ import annotations

import argparse
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from auditkit.auditors import report_delivery
from auditkit.auditors.aws.verify.layout import Window
from auditkit.auditors.failures import DEFAULT_TIMEOUT, add_deadline_argument, checked_timeout, run_deadline
from auditkit.policies.aws.regions import checked_regions
from auditkit.policies.errors import ConfigError

if TYPE_CHECKING:
    from auditkit.auditors.aws.verify.run import VerifyOptions

# A day of an organization's log files takes longer to read than a scan: an hour, then the report.
VERIFY_DEADLINE = 3600.0
TIME_FORMS = "ISO 8601 UTC, e.g. 2026-11-30T06:00:00Z or 2026-11-30"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--trail", help="trail name or ARN (default: every trail the account can describe)")
    p.add_argument("--region", action="append", default=[], help="regions to verify (repeatable; default: enabled)")
    p.add_argument("--start", help=f"oldest digest end time to verify ({TIME_FORMS}; default: --end minus 1 day)")
    p.add_argument("--end", help=f"newest digest end time to verify ({TIME_FORMS}; default: now)")
    who = p.add_mutually_exclusive_group()
    who.add_argument("--role-arn", action="append", default=[], help="verify this account via AssumeRole")
    who.add_argument(
        "--organization", action="store_true", help="organization trails: every ACTIVE member account's prefix"
    )
    p.add_argument("--checkpoint", help="JSON file: verified digests and chain heads; the next run reads new hours")
    p.add_argument("--profile", help="AWS named profile (default: the standard credential chain)")
    p.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, help="seconds per API call before ERROR")
    add_deadline_argument(p, VERIFY_DEADLINE)
    report_delivery.add_arguments(p)
    p.set_defaults(fail_on="any")  # no --baseline: every gap counts


def _time(field: str, text: str | None, default: datetime) -> datetime:
    if text is None:
        return default
    try:
        t = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(field, text, TIME_FORMS) from None
    return t.replace(tzinfo=timezone.utc) if t.tzinfo is None else t.astimezone(timezone.utc)


def window_from_args(args: argparse.Namespace, now: datetime | None = None) -> Window:
    end = _time("--end", args.end, now or datetime.now(timezone.utc))
    start = _time("--start", args.start, end - timedelta(days=1))
    if start >= end:
        raise ConfigError("--start", args.start, f"a time before --end ({end:%Y-%m-%dT%H:%M:%SZ})")
    return Window(start, end)


def run(args: argparse.Namespace) -> int:
    from auditkit.auditors.aws.scan import credential_problem
    from auditkit.auditors.aws.verify.checkpoint import load
    from auditkit.auditors.aws.verify.run import CONTROL, verify_aws
    from auditkit.auditors.findings import Finding, Report, Status, utc_now

    window = window_from_args(args)
    checked_timeout(args.timeout)
    checked_regions(args.region)  # like `scan`: a typo is refused with the nearest names, before any call
    load(args.checkpoint)  # a bad checkpoint is refused before any cloud call
    started = utc_now()
    problem = credential_problem(args.profile, args.region[0] if args.region else None)
    if problem:  # nothing can be read: one ERROR per account asked for, written like any report
        labels = ["organization"] if args.organization else list(args.role_arn) or ["caller"]
        region = args.region[0] if args.region else ""
        report = Report([Finding(CONTROL, Status.ERROR, label, "unknown", region, problem) for label in labels])
        report.stamp("verify aws", started, verify_scope(_options(args, window)), NO_RETENTION)
        return report_delivery.deliver(report, args, "Pulumi.yaml", None)
    options = _options(args, window)
    # SARIF alerts attach to a file of the repository; the findings name the S3 objects and hours.
    report = verify_aws(options)
    report.stamp("verify aws", started, verify_scope(options), NO_RETENTION)
    return report_delivery.deliver(report, args, "Pulumi.yaml", None)


def _options(args: argparse.Namespace, window: Window) -> VerifyOptions:
    from auditkit.auditors.aws.verify.run import VerifyOptions

    return VerifyOptions(
        window,
        args.trail,
        tuple(args.region),
        tuple(args.role_arn),
        args.organization,
        args.checkpoint,
        args.profile,
        args.timeout,
        run_deadline(args),
    )


NO_RETENTION = "not judged (verify proves the delivered logs over the window)"


def verify_scope(options: VerifyOptions) -> dict[str, list[str]]:
    w = options.window
    return {
        "window": [f"{w.start:%Y-%m-%dT%H:%M:%SZ}..{w.end:%Y-%m-%dT%H:%M:%SZ}"],
        "trails": [options.trail or "every trail described"],
        "regions": list(options.regions) or ["every enabled region"],
        "accounts": list(options.role_arns) or ["caller" + (" + organization members" if options.organization else "")],
    }

"""`auditkit scan`: one pipeline for any list of clouds.

Stack and retention, baseline, each cloud's options (all checked before any cloud call), the scans,
the stamp, then the report's delivery. `scan <cloud>` is a list of one; `scan all` is the clouds the
stack declares, merged into one report. A cloud is one `CloudScan` row: its `scan.py` defines the
arguments, turns them into options, says what the options cover, and scans.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from auditkit.auditors import report_delivery, stack_options
from auditkit.auditors.aws import scan as aws
from auditkit.auditors.azure import scan as azure
from auditkit.auditors.failures import add_deadline_argument
from auditkit.auditors.findings import Finding, Report, utc_now
from auditkit.auditors.gcp import scan as gcp
from auditkit.policies.errors import ConfigError
from auditkit.policies.retention import RetentionRequirement
from auditkit.settings.stack_settings import StackSettings

Options = TypeVar("Options")


@dataclass(frozen=True)
class CloudScan(Generic[Options]):
    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    options_from: Callable[[argparse.Namespace, StackSettings | None, RetentionRequirement], Options]
    scope: Callable[[Options], dict[str, list[str]]]
    scan: Callable[[Options], Report]


CLOUDS: tuple[CloudScan[Any], ...] = (
    CloudScan(
        "aws",
        "scan AWS accounts (standard AWS environment, incl. AWS_ENDPOINT_URL)",
        aws.add_arguments,
        aws.options_from,
        aws.scope,
        aws.scan_aws,
    ),
    CloudScan(
        "gcp",
        "scan GCP organizations, folders and projects (Application Default Credentials)",
        gcp.add_arguments,
        gcp.options_from,
        gcp.scope,
        gcp.scan_gcp,
    ),
    CloudScan(
        "azure",
        "scan Azure subscriptions (DefaultAzureCredential)",
        azure.add_arguments,
        azure.options_from,
        azure.scope,
        azure.scan_azure,
    ),
)
ALL = "all"


def _add_common(p: argparse.ArgumentParser) -> None:
    stack_options.add_arguments(p)
    report_delivery.add_arguments(p)
    report_delivery.add_baseline_arguments(p)
    add_deadline_argument(p)


def add_arguments(p: argparse.ArgumentParser) -> None:
    clouds = p.add_subparsers(dest="cloud", required=True)
    for cloud in CLOUDS:
        one = clouds.add_parser(cloud.name, help=cloud.help)
        cloud.add_arguments(one)
        _add_common(one)
        one.set_defaults(from_stack=False)
    every = clouds.add_parser(ALL, help="scan every cloud the stack declares and merge the reports")
    # The stack names the GCP target and the Azure subscription; what is left to say is how to reach them.
    aws.add_account_arguments(every)
    azure.add_endpoint_argument(every)
    _add_common(every)
    every.set_defaults(from_stack=True)


def run(args: argparse.Namespace) -> int:
    if args.from_stack and not args.stack:
        raise ConfigError("--stack", None, "a stack name: its config says which clouds to scan")
    settings, source = stack_options.stack_settings(args)
    required = stack_options.retention_for(args, settings)
    report_delivery.check_fail_on(args)
    baseline = report_delivery.load_baseline(args.baseline)
    scope: dict[str, list[str]] = {}
    if args.from_stack:
        assert settings is not None  # --stack is given
        clouds = [c for c in CLOUDS if c.name in settings.clouds]
        scope["clouds"] = list(settings.clouds)
    else:
        clouds = [c for c in CLOUDS if c.name == args.cloud]
    jobs = [(cloud, cloud.options_from(args, settings, required)) for cloud in clouds]
    for cloud, options in jobs:
        scope.update(cloud.scope(options))
    started = utc_now()
    reports: list[Report] = []
    try:
        for cloud, options in jobs:
            reports.append(cloud.scan(options))
    except KeyboardInterrupt as exc:
        raise _interrupted(exc, reports, jobs, args, (started, scope, required), source, baseline) from None
    report = merged(reports, required) if args.from_stack else reports[0]
    report.stamp(f"scan {args.cloud}", started, scope, required.describe())
    return report_delivery.deliver(report, args, source, baseline)


def _interrupted(
    exc: KeyboardInterrupt,
    reports: list[Report],
    jobs: list[tuple[CloudScan[Any], Any]],
    args: argparse.Namespace,
    stamp: tuple[datetime, dict[str, list[str]], RetentionRequirement],
    source: str,
    baseline: list[Finding] | None,
) -> report_delivery.Interrupted:
    """Ctrl-C mid-scan: the clouds (and accounts) finished so far, delivered as an incomplete report."""
    started, scope, required = stamp
    done = [cloud.name for cloud, _ in jobs[: len(reports)]]
    stopped = jobs[len(reports)][0].name if len(reports) < len(jobs) else ""
    partial = exc.partial if isinstance(exc, report_delivery.Interrupted) else None
    found = reports + ([partial] if partial is not None else [])
    unfinished = f"{stopped} not finished" + (f"; {', '.join(done)} finished" if done else "")
    if not any(r.findings for r in found):
        return report_delivery.deliver_interrupted(None, args, source, baseline, unfinished)
    report = merged(found, required)
    report.stamp(f"scan {args.cloud}", started, scope, required.describe())
    return report_delivery.deliver_interrupted(report, args, source, baseline, unfinished)


def merged(reports: Sequence[Report], required: RetentionRequirement) -> Report:
    """One report of several clouds; its exit code comes from the worst of them."""
    report = Report([f for r in reports for f in r.findings])
    report.scanned = {
        "clouds": len(reports),
        "seconds": round(sum(r.scanned.get("seconds", 0) for r in reports), 3),
        "required_retention": required.describe(),
    }
    return report

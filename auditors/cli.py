"""The `auditkit` command: plan a stack offline, scan live accounts, run the demo.

Only `plan` and `demo` import the Pulumi SDK; `--help`, `--version` and `scan` stay light.
"""

from __future__ import annotations

import argparse
import sys

from auditkit import __version__
from auditkit.auditors.options import add_common, add_retention_options
from auditkit.policies.errors import ConfigError


def _plan(args: argparse.Namespace) -> int:
    from auditkit.auditors.plan_command import run_plan

    return run_plan(args)


def _scan_aws(args: argparse.Namespace) -> int:
    from auditkit.auditors.aws.scan import AwsScanOptions, scan_aws
    from auditkit.auditors.findings import utc_now
    from auditkit.auditors.scan_command import emit, load_baseline, retention_for, stack_settings

    settings, source = stack_settings(args)
    required = retention_for(args, settings)
    baseline = load_baseline(args.baseline)
    scope = None
    if args.scope_tag:
        key, sep, value = args.scope_tag.partition("=")
        if not sep or not key:
            raise ConfigError("--scope-tag", args.scope_tag, "KEY=VALUE, e.g. data-classification=phi")
        scope = (key, value)
    options = AwsScanOptions(
        required,
        args.profile,
        tuple(args.role_arn),
        tuple(args.region),
        scope,
        args.timeout,
        organization=args.organization,
        role_name=args.role_name,
    )
    started = utc_now()
    report = scan_aws(options)
    report.stamp("scan aws", started, _aws_scope(args), required.describe())
    if baseline is not None:
        report.compare(baseline)
    return emit(report, args, source)


def _aws_scope(args: argparse.Namespace) -> dict[str, list[str]]:
    organization = getattr(args, "organization", False)
    scope = {
        "accounts": [f"every active account of the organization, through role {args.role_name}"]
        if organization
        else list(args.role_arn) or ["the caller's account"],
        "regions": list(args.region) or ["every enabled region"],
    }
    if getattr(args, "scope_tag", None):
        scope["buckets"] = [f"tagged {args.scope_tag}"]
    return scope


def _scan_azure(args: argparse.Namespace) -> int:
    from auditkit.auditors.azure.scan import AzureScanOptions, scan_azure
    from auditkit.auditors.findings import utc_now
    from auditkit.auditors.scan_command import emit, load_baseline, retention_for, stack_settings

    if not args.subscription:
        raise ConfigError("--subscription", None, "one or more subscription ids")
    settings, source = stack_settings(args)
    required = retention_for(args, settings)
    baseline = load_baseline(args.baseline)
    started = utc_now()
    report = scan_azure(
        AzureScanOptions(required, tuple(args.subscription), args.arm_endpoint, args.shared_key_allowed)
    )
    report.stamp("scan azure", started, {"subscriptions": list(args.subscription)}, required.describe())
    if baseline is not None:
        report.compare(baseline)
    return emit(report, args, source)


def _scan_gcp(args: argparse.Namespace) -> int:
    from auditkit.auditors.findings import utc_now
    from auditkit.auditors.gcp.scan import GcpScanOptions, scan_gcp
    from auditkit.auditors.scan_command import emit, load_baseline, retention_for, stack_settings

    targets = (
        [f"organizations/{o}" for o in args.organization]
        + [f"folders/{f}" for f in args.folder]
        + [f"projects/{p}" for p in args.project]
    )
    if not targets:
        raise ConfigError(
            "--organization/--folder/--project", None, "at least one organization, folder or project to scan"
        )
    if not args.timeout > 0:
        raise ConfigError("--timeout", args.timeout, "a number of seconds greater than 0")
    settings, source = stack_settings(args)
    required = retention_for(args, settings)
    exemptions, kms_key = {}, None
    if settings is not None and settings.gcp is not None:
        exemptions, kms_key = dict(settings.gcp.exemptions), settings.gcp.kms_key_name
    baseline = load_baseline(args.baseline)
    started = utc_now()
    report = scan_gcp(GcpScanOptions(required, tuple(targets), exemptions, kms_key, args.timeout))
    report.stamp("scan gcp", started, {"targets": targets}, required.describe())
    if baseline is not None:
        report.compare(baseline)
    return emit(report, args, source)


def _scan_all(args: argparse.Namespace) -> int:
    """Every cloud the stack declares, one merged report (exit code from the worst of them)."""
    from auditkit.auditors.aws.scan import AwsScanOptions, scan_aws
    from auditkit.auditors.azure.scan import AzureScanOptions, scan_azure
    from auditkit.auditors.findings import Report, utc_now
    from auditkit.auditors.gcp.scan import GcpScanOptions, scan_gcp
    from auditkit.auditors.scan_command import emit, load_baseline, stack_settings

    if not args.stack:
        raise ConfigError("--stack", None, "a stack name: its config says which clouds to scan")
    settings, source = stack_settings(args)
    assert settings is not None
    required = settings.retention
    baseline = load_baseline(args.baseline)
    started = utc_now()
    reports, scope = [], {}
    if settings.aws is not None:
        reports.append(
            scan_aws(
                AwsScanOptions(required, args.profile, tuple(args.role_arn), tuple(args.region), None, args.timeout)
            )
        )
        scope.update(_aws_scope(args))
    if settings.gcp is not None:
        g = settings.gcp
        kind = {"organization": "organizations", "folder": "folders", "project": "projects"}[g.scope]
        target = f"{kind}/{g.scope_id}"
        reports.append(scan_gcp(GcpScanOptions(required, (target,), dict(g.exemptions), g.kms_key_name, args.timeout)))
        scope["targets"] = [target]
    if settings.azure is not None:
        a = settings.azure
        reports.append(
            scan_azure(AzureScanOptions(required, (a.subscription_id,), args.arm_endpoint, a.shared_key_access))
        )
        scope["subscriptions"] = [a.subscription_id]
    report = Report([f for r in reports for f in r.findings])
    report.scanned = {
        "clouds": len(reports),
        "seconds": round(sum(r.scanned.get("seconds", 0) for r in reports), 3),
        "required_retention": required.describe(),
    }
    report.stamp("scan all", started, {"clouds": list(settings.clouds), **scope}, required.describe())
    if baseline is not None:
        report.compare(baseline)
    return emit(report, args, source)


def _demo(args: argparse.Namespace) -> int:
    from pathlib import Path

    from auditkit.auditors.demo.story import run_demo

    return run_demo(Path(args.reports))


def _evidence(args: argparse.Namespace) -> int:
    from auditkit.auditors.evidence.command import run

    return run(args)


def _add_evidence_parser(sub: argparse._SubParsersAction) -> None:
    from auditkit.auditors.evidence.command import add_arguments

    evidence = sub.add_parser(
        "evidence", help="an auditor's package from scan history: timelines, exceptions, OSCAL, samples, manifest"
    )
    add_arguments(evidence)
    evidence.set_defaults(func=_evidence)


def add_plan_arguments(plan: argparse.ArgumentParser) -> None:
    add_retention_options(plan)
    plan.add_argument(
        "--format", choices=("table", "json", "sarif", "junit"), default="table", help="output format (default: table)"
    )
    plan.add_argument("--output", help="write the plan (or the --check report) to this file instead of stdout")
    plan.add_argument(
        "--check", action="store_true", help="judge the plan with the policy pack; exit 1 on a mandatory violation"
    )
    plan.add_argument("--state", help="with --check: judge a `pulumi stack export` file instead of rendering a stack")
    plan.add_argument(
        "--cloud", action="append", default=[], help="with --state: clouds the state declares (aws, gcp, azure)"
    )
    plan.add_argument(
        "--azure-resource",
        action="append",
        default=[],
        help="with --state: an Azure ePHI resource id that needs audit logs",
    )


def _add_aws_scan_arguments(aws: argparse.ArgumentParser) -> None:
    aws.add_argument("--profile", help="AWS named profile (default: the standard credential chain)")
    aws.add_argument("--role-arn", action="append", default=[], help="scan this account via AssumeRole (repeatable)")
    aws.add_argument(
        "--region", action="append", default=[], help="regions to scan (repeatable; default: every enabled region)"
    )
    aws.add_argument(
        "--timeout", type=float, default=20.0, help="seconds per API call before it counts as a timeout (ERROR)"
    )


def _add_scan_parsers(sub: argparse._SubParsersAction) -> None:
    scan = sub.add_parser("scan", help="scan live accounts for drift from the controls")
    clouds = scan.add_subparsers(dest="cloud", required=True)
    aws = clouds.add_parser("aws", help="scan AWS accounts (standard AWS environment, incl. AWS_ENDPOINT_URL)")
    _add_aws_scan_arguments(aws)
    aws.add_argument("--scope-tag", help="only buckets with this tag are in scope, e.g. data-classification=phi")
    # Whole organizations (issue 14): accounts from organizations:ListAccounts, each entered through --role-name.
    aws.add_argument(
        "--organization", action="store_true", help="scan every active account of the caller's organization"
    )
    aws.add_argument("--role-name", help="with --organization: the role to assume in each account, e.g. AuditKitScan")
    add_common(aws)
    aws.set_defaults(func=_scan_aws)
    gcp = clouds.add_parser(
        "gcp", help="scan GCP organizations, folders and projects (Application Default Credentials)"
    )
    gcp.add_argument("--organization", action="append", default=[], help="organization id (repeatable)")
    gcp.add_argument("--folder", action="append", default=[], help="folder id (repeatable)")
    gcp.add_argument("--project", action="append", default=[], help="project id (repeatable)")
    gcp.add_argument(
        "--timeout", type=float, default=20.0, help="seconds per API call before it counts as a timeout (ERROR)"
    )
    add_common(gcp)
    gcp.set_defaults(func=_scan_gcp)
    azure = clouds.add_parser("azure", help="scan Azure subscriptions (DefaultAzureCredential)")
    azure.add_argument("--subscription", action="append", default=[], help="subscription id (repeatable)")
    azure.add_argument("--arm-endpoint", default="https://management.azure.com", help="ARM endpoint (sovereign clouds)")
    azure.add_argument(
        "--shared-key-allowed", action="store_true", help="do not report shared-key access on the archive"
    )
    add_common(azure)
    azure.set_defaults(func=_scan_azure)
    every = clouds.add_parser("all", help="scan every cloud the stack declares and merge the reports")
    _add_aws_scan_arguments(every)
    every.add_argument("--arm-endpoint", default="https://management.azure.com", help="ARM endpoint for the Azure part")
    add_common(every)
    every.set_defaults(func=_scan_all)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="auditkit", description=__doc__.split("\n\n")[0])
    parser.add_argument("--version", action="version", version=f"auditkit {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    plan = sub.add_parser("plan", help="render a stack offline (mock engine) and show resources with their control ids")
    add_plan_arguments(plan)
    plan.set_defaults(func=_plan)
    _add_scan_parsers(sub)
    # --- verify (issue 15): prove the delivered logs complete and unaltered; self-contained block ---
    from auditkit.auditors.aws.verify.command import add_verify_arguments, run_verify

    verify = sub.add_parser("verify", help="prove delivered audit logs complete and unaltered (signed digest chain)")
    verify_clouds = verify.add_subparsers(dest="cloud", required=True)
    verify_aws = verify_clouds.add_parser("aws", help="walk CloudTrail's digest chain for each trail, region, hour")
    add_verify_arguments(verify_aws)
    verify_aws.set_defaults(func=run_verify)
    # --- end verify ---

    _add_evidence_parser(sub)
    demo = sub.add_parser(
        "demo", help="credential-free demo: console defaults -> shipped baseline -> drift, on an embedded AWS emulator"
    )
    demo.add_argument("--reports", default="reports", help="folder for the HTML, SARIF and JSON reports")
    demo.set_defaults(func=_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # fail closed: a crash must never read as "gaps found" (1) or "clean" (0)
        print(f"error: auditkit could not finish: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

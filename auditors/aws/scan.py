"""`auditkit scan aws`: collect every account concurrently, judge each snapshot, one report.

Accounts come from the caller, from each --role-arn, or from the whole organization
(--organization --role-name NAME: organizations:ListAccounts, paged, from the management account,
then AssumeRole into each active account's NAME role, concurrently in a bounded pool).
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import Executor, ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from auditkit.auditors.failures import DEFAULT_TIMEOUT, Deadline, checked_timeout, run_deadline
from auditkit.auditors.findings import Finding, Report, Status
from auditkit.policies.aws.regions import checked_regions, partition_of
from auditkit.policies.aws.rules import WHOLE_ACCOUNT
from auditkit.policies.errors import ConfigError
from auditkit.policies.retention import RetentionRequirement
from auditkit.settings.stack_settings import StackSettings

if TYPE_CHECKING:
    from auditkit.auditors.aws.clients import AccountSession, CallLog
    from auditkit.auditors.failures import Failure

# The argument parser of every command imports this module: boto3, the collectors and rich load only
# when a scan runs, so `auditkit --help` stays light (benchmarks/cli_startup.py).

WORKERS = 16  # API calls in flight, shared by every account
ACCOUNT_WORKERS = 8  # accounts collected at once


@dataclass(frozen=True)
class AwsScanOptions:
    required: RetentionRequirement
    profile: str | None = None
    role_arns: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    scope_tag: tuple[str, str] | None = None
    timeout: float = DEFAULT_TIMEOUT
    organization: bool = False
    role_name: str | None = None
    # The buckets the PHI read-volume alert must count (a stack's aws.alerts.phiBuckets); None: those in scope.
    phi_buckets: tuple[str, ...] | None = None
    deadline: Deadline | None = None  # the run's (--deadline); None: each call's own limit only

    def __post_init__(self) -> None:
        checked_regions(self.regions)
        checked_timeout(self.timeout)
        if self.organization and not self.role_name:
            raise ConfigError("--role-name", None, "the role to assume in each member account, e.g. AuditKitScan")
        if self.role_name and not self.organization:
            raise ConfigError("--role-name", self.role_name, "use together with --organization")
        if self.organization and self.role_arns:
            raise ConfigError("--role-arn", list(self.role_arns), "either --organization or --role-arn, not both")


def add_account_arguments(p: argparse.ArgumentParser) -> None:
    """Which accounts and regions, and how long a call may take: `scan aws` and `scan all`."""
    p.add_argument("--profile", help="AWS named profile (default: the standard credential chain)")
    p.add_argument("--role-arn", action="append", default=[], help="scan this account via AssumeRole (repeatable)")
    p.add_argument(
        "--region", action="append", default=[], help="regions to scan (repeatable; default: every enabled region)"
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        help="seconds per API call before it counts as a timeout (ERROR)",
    )


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_account_arguments(p)
    p.add_argument("--scope-tag", help="only buckets with this tag are in scope, e.g. data-classification=phi")
    # Whole organizations (issue 14): accounts from organizations:ListAccounts, each entered through --role-name.
    p.add_argument("--organization", action="store_true", help="scan every active account of the caller's organization")
    p.add_argument("--role-name", help="with --organization: the role to assume in each account, e.g. AuditKitScan")


def options_from(
    args: argparse.Namespace, settings: StackSettings | None, required: RetentionRequirement
) -> AwsScanOptions:
    """The flags as options, checked before any call. Under `scan all` only the account flags exist."""
    accounts = (args.profile, tuple(args.role_arn), tuple(args.region))
    if args.from_stack:
        alerts = settings.aws.alerts if settings is not None and settings.aws is not None else None
        phi = alerts.phi_buckets if alerts is not None else None
        return AwsScanOptions(required, *accounts, timeout=args.timeout, phi_buckets=phi, deadline=run_deadline(args))
    scope_tag = None
    if args.scope_tag:
        key, sep, value = args.scope_tag.partition("=")
        if not sep or not key:
            raise ConfigError("--scope-tag", args.scope_tag, "KEY=VALUE, e.g. data-classification=phi")
        scope_tag = (key, value)
    return AwsScanOptions(
        required,
        *accounts,
        scope_tag,
        args.timeout,
        organization=args.organization,
        role_name=args.role_name,
        deadline=run_deadline(args),
    )


def scope(options: AwsScanOptions) -> dict[str, list[str]]:
    """What the report covers, in words: accounts, regions, and the bucket tag when one narrows it."""
    found = {
        "accounts": [f"every active account of the organization, through role {options.role_name}"]
        if options.organization
        else list(options.role_arns) or ["the caller's account"],
        "regions": list(options.regions) or ["every enabled region"],
    }
    if options.scope_tag:
        found["buckets"] = [f"tagged {'='.join(options.scope_tag)}"]
    return found


LOGIN = (
    "log in with `aws sso login` or `aws configure` (add --profile NAME for a named profile), or set AWS_PROFILE, "
    "or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; on AWS compute, give the instance or task a role"
)


def credential_problem(profile: str | None, region: str | None) -> str | None:
    """The caller's credentials, loaded once before any scan call: None when they load, else what is missing
    and how to log in. Without it every call fails alike and the judges' rows read like findings about
    the account ("no CloudTrail trail") when nothing was read at all."""
    import boto3
    import botocore.exceptions
    import botocore.session

    from auditkit.auditors.aws.clients import classify

    try:
        credentials = boto3.Session(profile_name=profile, region_name=region).get_credentials()
        if credentials is not None:
            credentials.get_frozen_credentials()  # SSO and assume-role profiles resolve here
            return None
        where = f"profile {profile!r}" if profile else "the environment, ~/.aws, an SSO login or an instance role"
        return f"NoCredentials: no AWS credentials found (looked in {where}): nothing was read; {LOGIN}"
    except botocore.exceptions.ProfileNotFound as exc:
        known = ", ".join(sorted(botocore.session.Session(profile=None).available_profiles)) or "none"
        return (
            f"ProfileNotFound: no profile {exc.kwargs.get('profile')!r} in the AWS config and credentials files "
            f"(profiles there: {known}): nothing was read; {LOGIN}"
        )
    except Exception as exc:  # an expired SSO token, a refused role: the credentials exist but do not load
        code, message = classify(exc)
        return f"{code}: the AWS credentials could not be loaded ({message}): nothing was read; {LOGIN}"


def _asked(options: AwsScanOptions) -> list[str]:
    """The accounts the scan was asked for, as labels, before any call could name them."""
    if options.organization:
        return ["organizations:ListAccounts"]
    return list(options.role_arns) or ["caller"]


@dataclass(frozen=True)
class Target:
    label: str
    account: str
    role_arn: str | None  # None: the caller's own session


def _progress() -> AbstractContextManager[Any]:
    if not sys.stderr.isatty():
        return nullcontext()
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    err = Console(stderr=True)
    return Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=err, transient=True)


def organization_targets(base: AccountSession, role_name: str) -> tuple[list[Target], Failure | None]:
    """Every ACTIVE account of the caller's organization (ListAccounts, paged by NextToken)."""
    from auditkit.auditors.failures import pages

    def accounts() -> list[dict]:
        org = base.client("organizations")  # 20: the documented maximum page size
        return [a for page in pages(org.list_accounts, "NextToken", MaxResults=20) for a in page["Accounts"]]

    listed, failure = base.read(accounts, "ListAccounts", base.default_region, "organizations:ListAccounts")
    if failure:
        return [], failure
    me, _ = base.read(
        lambda: str(base.client("sts").get_caller_identity()["Account"]),
        "GetCallerIdentity",
        base.default_region,
        "sts:GetCallerIdentity",
    )
    partition = partition_of(base.default_region)
    targets = []
    for a in sorted(listed or [], key=lambda a: a["Id"]):
        if (a.get("State") or a.get("Status")) != "ACTIVE":
            continue  # suspended or closing accounts cannot be entered
        role = None if a["Id"] == me else f"arn:{partition}:iam::{a['Id']}:role/{role_name}"
        targets.append(Target(role or f"account {a['Id']} (caller)", a["Id"], role))
    return targets, None


def _one(
    target: Target, base: AccountSession, options: AwsScanOptions, pool: Executor
) -> tuple[list[Finding], list[str]]:
    """One account: enter it, collect, judge. Whatever fails is an ERROR for this account only."""
    from auditkit.auditors.aws.assess import account_error, assess
    from auditkit.auditors.aws.clients import classify
    from auditkit.auditors.aws.collect import collect_account
    from auditkit.auditors.failures import Failure

    hint = target.account or "unknown"
    session = base
    if target.role_arn:
        try:
            session = base.assume(target.role_arn)
        except Exception as exc:  # an account we cannot enter is an ERROR, not a skipped account
            code, message = classify(exc)
            failure = Failure("AssumeRole", base.default_region, target.role_arn, code, message)
            return [account_error(hint, target.label, failure)], []
    try:
        snap = collect_account(session, list(options.regions) or None, options.scope_tag, pool, hint)
        snap.alerts.phi_buckets = options.phi_buckets
        return assess(snap, options.required), snap.regions
    except Exception as exc:  # a bug or an answer nobody expected: this account is ERROR, others go on
        return [account_error(hint, target.label, None, exc)], []


def _targets(base: AccountSession, options: AwsScanOptions) -> tuple[list[Target], list[Finding]]:
    from auditkit.auditors.aws.assess import account_error

    if options.organization:
        targets, failure = organization_targets(base, options.role_name or "")
        if failure:
            return [], [account_error("organization", "organizations:ListAccounts", failure)]
        return targets, []
    if options.role_arns:
        return [Target(r, r.split(":")[4] if r.count(":") >= 5 else "unknown", r) for r in options.role_arns], []
    return [Target("caller", "", None)], []


def scan_aws(options: AwsScanOptions, calls: CallLog | None = None) -> Report:
    """Scan the caller's account, each --role-arn account or a whole organization; judge every AWS control."""
    from auditkit.auditors.aws.clients import AccountSession, CallLog

    calls = calls or CallLog()
    started = time.perf_counter()
    region = options.regions[0] if options.regions else None
    problem = credential_problem(options.profile, region)
    if problem:
        unread = [
            Finding(WHOLE_ACCOUNT.control, Status.ERROR, label, "unknown", region or "", problem)
            for label in _asked(options)
        ]
        return _report(unread, len(unread), set(), calls, started, options)
    base = AccountSession.open(options.profile, region, calls, options.timeout, options.deadline)
    targets, findings = _targets(base, options)
    regions_seen: set[str] = set()
    pool, accounts = ThreadPoolExecutor(WORKERS), ThreadPoolExecutor(max(1, min(ACCOUNT_WORKERS, len(targets))))
    try:
        with _progress() as progress:
            task = (
                progress.add_task(f"scanning {len(targets)} account(s)", total=len(targets))
                if progress is not None
                else None
            )
            for result, regions in accounts.map(lambda t: _one(t, base, options, pool), targets):
                findings.extend(result)
                regions_seen.update(regions)
                if task is not None:
                    progress.update(task, advance=1)
    except KeyboardInterrupt:
        # Ctrl-C: do not wait for calls in flight (up to --timeout and its retries); keep the accounts done.
        for executor in (accounts, pool):
            executor.shutdown(wait=False, cancel_futures=True)
        from auditkit.auditors.report_delivery import Interrupted

        raise Interrupted(_report(findings, len(targets), regions_seen, calls, started, options)) from None
    for executor in (accounts, pool):
        executor.shutdown()
    return _report(findings, len(targets), regions_seen, calls, started, options)


def _report(
    findings: list[Finding], accounts: int, regions: set[str], calls: CallLog, started: float, options: AwsScanOptions
) -> Report:
    # Grouped by account: one account's findings together, in account order.
    report = Report(sorted(findings, key=lambda f: f.account))
    report.scanned = {
        "accounts": accounts,
        "regions": len(regions),
        "api_calls": calls.total,
        "seconds": round(time.perf_counter() - started, 3),
        "required_retention": options.required.describe(),
    }
    if options.organization:
        report.scanned["organization"] = True
    return report

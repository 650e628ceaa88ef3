"""`auditkit scan aws`: collect every account concurrently, judge each snapshot, one report."""

from __future__ import annotations

import sys
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from auditkit.auditors.aws.assess import account_error, assess
from auditkit.auditors.aws.clients import DEFAULT_TIMEOUT, AccountSession, CallLog, Failure, classify
from auditkit.auditors.aws.collect import collect_account
from auditkit.auditors.findings import Finding, Report
from auditkit.policies.retention import RetentionRequirement

WORKERS = 16


@dataclass(frozen=True)
class AwsScanOptions:
    required: RetentionRequirement
    profile: str | None = None
    role_arns: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    scope_tag: tuple[str, str] | None = None
    timeout: float = DEFAULT_TIMEOUT


def _progress() -> Progress | nullcontext:
    err = Console(stderr=True)
    if not sys.stderr.isatty():
        return nullcontext()
    return Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=err, transient=True)


def scan_aws(options: AwsScanOptions, calls: CallLog | None = None) -> Report:
    """Scan the caller's account, or each --role-arn account, and judge every AWS control."""
    calls = calls or CallLog()
    started = time.perf_counter()
    base = AccountSession.open(options.profile, options.regions[0] if options.regions else None, calls, options.timeout)
    targets: list[tuple[str, AccountSession | None, Failure | None]] = []
    if options.role_arns:
        for role in options.role_arns:
            try:
                targets.append((role, base.assume(role), None))
            except Exception as exc:  # an account we cannot enter is an ERROR, not a skipped account
                code, message = classify(exc)
                targets.append((role, None, Failure("AssumeRole", base.default_region, role, code, message)))
    else:
        targets.append(("caller", base, None))

    findings: list[Finding] = []
    regions_seen: set[str] = set()
    with (
        ThreadPoolExecutor(WORKERS) as pool,
        ThreadPoolExecutor(min(4, len(targets))) as accounts,
        _progress() as progress,
    ):
        task = (
            progress.add_task(f"scanning {len(targets)} account(s)", total=len(targets))
            if isinstance(progress, Progress)
            else None
        )

        def one(target: tuple[str, AccountSession | None, Failure | None]) -> tuple[list[Finding], list[str]]:
            label, session, failure = target
            hint = label.split(":")[4] if label.startswith("arn:") and label.count(":") >= 5 else "unknown"
            if session is None:
                return [account_error(hint, label, failure)], []
            try:
                snap = collect_account(session, list(options.regions) or None, options.scope_tag, pool, hint)
                findings = assess(snap, options.required)
            except Exception as exc:  # a bug or an answer nobody expected: this account is ERROR, others go on
                return [account_error(hint, label, None, exc)], []
            if task is not None:
                progress.update(task, advance=1, description=f"account {snap.account}: {len(snap.trails)} trails")
            return findings, snap.regions

        for result, regions in accounts.map(one, targets):
            findings.extend(result)
            regions_seen.update(regions)
    report = Report(findings)
    report.scanned = {
        "accounts": len(targets),
        "regions": len(regions_seen),
        "api_calls": calls.total,
        "seconds": round(time.perf_counter() - started, 3),
        "required_retention": options.required.describe(),
    }
    return report

"""Synthetic scan histories: a day's report per cloud, built from the real Finding/Report/chain code.

Resources and controls come from the catalog; nothing here decides a verdict the evidence builder
computes (it only says which findings fail on which day).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

from auditkit.auditors.findings import Finding, Provenance, Report, Status
from auditkit.auditors.history.chain import append
from auditkit.auditors.history.stores import LocalStore
from auditkit.policies.alerts.catalog import control_ids
from auditkit.policies.catalog import controls_for

ACCOUNT = {"aws": "123456789012", "gcp": "acme-prod", "azure": "0b1f6471-1bf0-4dda-aec3-111122223333"}


def resources(cloud: str, per_run: int) -> list[tuple[str, str]]:
    """(control, resource) pairs: the cloud's controls over enough resources to make `per_run` findings."""
    # The controls these histories were written for; the alert controls (one per alert) have their own tests.
    controls = [c.id for c in controls_for(cloud) if c.id not in control_ids(cloud)]
    return [(controls[i % len(controls)], f"{cloud}-resource-{i // len(controls):04d}") for i in range(per_run)]


def day_report(
    day: date,
    cloud: str = "aws",
    per_run: int = 22,
    failing: Iterable[tuple[str, str]] = (),
    erroring: Iterable[tuple[str, str]] = (),
    at: time = time(6, 17),
) -> Report:
    fail, error = set(failing), set(erroring)
    findings = []
    for control, resource in resources(cloud, per_run):
        status = (
            Status.ERROR
            if (control, resource) in error
            else Status.FAIL
            if (control, resource) in fail
            else Status.PASS
        )
        findings.append(Finding(control, status, resource, ACCOUNT[cloud], "us-east-1", f"synthetic {status.value}"))
    report = Report(findings)
    started = datetime.combine(day, at, tzinfo=timezone.utc)
    report.provenance = Provenance(
        f"scan {cloud}", started, started + timedelta(seconds=40), {"accounts": [ACCOUNT[cloud]]}, "US: 6 years"
    )
    return report


def write_days(root: Path, days: Iterable[date], cloud: str = "aws", per_run: int = 22, **kw) -> LocalStore:
    store = LocalStore(str(root))
    for d in days:
        append(store, day_report(d, cloud, per_run, **kw).as_json())
    return store


def days(start: date, n: int) -> list[date]:
    return [start + timedelta(days=i) for i in range(n)]

"""`auditkit scan gcp`: the organizations, folders and projects given, with Application Default Credentials."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from auditkit.auditors.findings import Finding, Report, Status
from auditkit.auditors.gcp.assess import assess
from auditkit.auditors.gcp.calls import RetryBudget, classify, with_retries
from auditkit.auditors.gcp.collect import GcpClients, collect
from auditkit.auditors.gcp.logging_rest import LoggingRest
from auditkit.policies.retention import RetentionRequirement

SCOPES = ("https://www.googleapis.com/auth/cloud-platform.read-only",)
RETRIES_PER_SCAN = 10


@dataclass(frozen=True)
class GcpScanOptions:
    required: RetentionRequirement
    targets: tuple[str, ...]  # organizations/O, folders/F, projects/P
    exemptions: Mapping[str, str] = field(default_factory=dict)
    kms_key: str | None = None
    timeout: float = 20.0  # seconds per call attempt (and for the credential refresh)
    # One endpoint for Resource Manager, Logging and Storage (tests, Private Service Connect); None: Google's.
    endpoint: str | None = None


def _credentials(timeout: float, budget: RetryBudget) -> tuple[Any, str | None]:
    """ADC, refreshed once up front with a deadline: google-auth's own token request waits up to 120 s."""
    import google.auth
    from google.auth.transport.requests import Request

    credentials, project = google.auth.default(scopes=SCOPES)
    with_retries(lambda: credentials.refresh(functools.partial(Request(), timeout=timeout)), budget)
    return credentials, project


def default_clients(options: GcpScanOptions, credentials: Any = None) -> GcpClients:
    from google.auth.transport.requests import AuthorizedSession
    from google.cloud import resourcemanager_v3, storage

    budget = RetryBudget(RETRIES_PER_SCAN)
    project = None
    if credentials is None:
        credentials, project = _credentials(options.timeout, budget)
    endpoint = options.endpoint
    rm = {"credentials": credentials, "transport": "rest"}
    if endpoint:
        rm["client_options"] = {"api_endpoint": endpoint}
    session = AuthorizedSession(credentials, refresh_timeout=options.timeout)
    return GcpClients(
        resourcemanager_v3.ProjectsClient(**rm),
        resourcemanager_v3.FoldersClient(**rm),
        resourcemanager_v3.OrganizationsClient(**rm),
        LoggingRest(session, endpoint or "https://logging.googleapis.com", options.timeout),
        # The project is only a default for creating buckets, which the scan never does.
        storage.Client(
            project=project or "_",
            credentials=credentials,
            client_options={"api_endpoint": endpoint} if endpoint else None,
        ),
        options.timeout,
        budget,
    )


def scan_gcp(options: GcpScanOptions, clients: Callable[[GcpScanOptions], GcpClients] = default_clients) -> Report:
    started = time.perf_counter()
    try:
        with ThreadPoolExecutor(16) as pool:
            snap = collect(clients(options), list(options.targets), pool)
        findings = assess(snap, options.required, options.exemptions, options.kms_key)
    except Exception as exc:  # no credentials, a bug, an answer nobody expected: ERROR, never a clean exit
        code, message = classify(exc)
        findings = [
            Finding("gcp.audit.data_access", Status.ERROR, t, t.split("/")[-1], "", f"{code}: {message}")
            for t in options.targets
        ]
    report = Report(findings)
    report.scanned = {
        "targets": len(options.targets),
        "seconds": round(time.perf_counter() - started, 3),
        "required_retention": options.required.describe(),
    }
    return report

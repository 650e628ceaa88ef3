"""`auditkit scan gcp`: the organizations, folders and projects given, with Application Default Credentials.

Google's libraries load when a scan starts, not when the CLI defines `scan gcp`'s arguments: every
other command (and `--help`) builds this parser too.
"""

from __future__ import annotations

import argparse
import functools
import time
import warnings
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from auditkit.auditors.failures import DEFAULT_TIMEOUT, Deadline, checked_timeout, run_deadline
from auditkit.auditors.findings import Report
from auditkit.policies.errors import ConfigError
from auditkit.policies.retention import RetentionRequirement
from auditkit.settings.stack_settings import GcpSettings, StackSettings

if TYPE_CHECKING:
    from auditkit.auditors.gcp.calls import RetryBudget
    from auditkit.auditors.gcp.collect import GcpClients

SCOPES = ("https://www.googleapis.com/auth/cloud-platform.read-only",)
RETRIES_PER_SCAN = 10


@dataclass(frozen=True)
class GcpScanOptions:
    required: RetentionRequirement
    targets: tuple[str, ...]  # organizations/O, folders/F, projects/P
    exemptions: Mapping[str, str] = field(default_factory=dict)
    kms_key: str | None = None
    timeout: float = DEFAULT_TIMEOUT  # seconds per call attempt (and for the credential refresh)
    # One endpoint for Resource Manager, Logging, Monitoring and Storage (tests, Private Service Connect);
    # None: Google's.
    endpoint: str | None = None
    deadline: Deadline | None = None  # the run's (--deadline); None: each call's own limit only
    # The stack's archive project and bucket and PHI buckets, which the alerts watch (scan --stack); empty:
    # the archive the targets' sinks reach, and no PHI bucket named.
    alert_parameters: Mapping[str, str | tuple[str, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        checked_timeout(self.timeout)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--organization", action="append", default=[], help="organization id (repeatable)")
    p.add_argument("--folder", action="append", default=[], help="folder id (repeatable)")
    p.add_argument("--project", action="append", default=[], help="project id (repeatable)")
    p.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        help="seconds per API call before it counts as a timeout (ERROR)",
    )


KINDS = {"organization": "organizations", "folder": "folders", "project": "projects"}


def options_from(
    args: argparse.Namespace, settings: StackSettings | None, required: RetentionRequirement
) -> GcpScanOptions:
    """The flags' targets, or under `scan all` the one the stack declares; exemptions and key from the stack."""
    gcp = settings.gcp if settings is not None else None
    if args.from_stack:
        assert gcp is not None  # `scan all` asks only the clouds the stack declares
        targets = [f"{KINDS[gcp.scope]}/{gcp.scope_id}"]
    else:
        targets = (
            [f"organizations/{o}" for o in args.organization]
            + [f"folders/{f}" for f in args.folder]
            + [f"projects/{p}" for p in args.project]
        )
        if not targets:
            raise ConfigError(
                "--organization/--folder/--project", None, "at least one organization, folder or project to scan"
            )
    exemptions, kms_key = (dict(gcp.exemptions), gcp.kms_key_name) if gcp is not None else ({}, None)
    return GcpScanOptions(
        required,
        tuple(targets),
        exemptions,
        kms_key,
        args.timeout,
        deadline=run_deadline(args),
        alert_parameters=alert_parameters(gcp),
    )


def alert_parameters(gcp: GcpSettings | None) -> dict[str, str | tuple[str, ...]]:
    """What the stack's alerts watch: its archive's project and bucket, and its PHI buckets when named."""
    if gcp is None:
        return {}
    out: dict[str, str | tuple[str, ...]] = {"archive_project": gcp.archive_project, "archive_bucket": gcp.bucket_name}
    if gcp.alerts is not None and gcp.alerts.phi_buckets:
        out["phi_buckets"] = tuple(gcp.alerts.phi_buckets)
    return out


def scope(options: GcpScanOptions) -> dict[str, list[str]]:
    return {"targets": list(options.targets)}


def _credentials(timeout: float, budget: RetryBudget) -> tuple[Any, str | None]:
    """ADC, refreshed once up front with a deadline: google-auth's own token request waits up to 120 s."""
    import google.auth
    from google.auth.transport.requests import Request

    from auditkit.auditors.gcp.calls import with_retries

    credentials, project = google.auth.default(scopes=SCOPES)
    with_retries(lambda: credentials.refresh(functools.partial(Request(), timeout=timeout)), budget)
    return credentials, project


def default_clients(options: GcpScanOptions, credentials: Any = None) -> GcpClients:
    from google.auth.transport.requests import AuthorizedSession
    from google.cloud import resourcemanager_v3
    from google.cloud.storage import Client as StorageClient

    from auditkit.auditors.failures import Limits
    from auditkit.auditors.gcp.calls import ATTEMPTS, BACKOFF_SECONDS, RetryBudget, whole_answers
    from auditkit.auditors.gcp.collect import GcpClients
    from auditkit.auditors.gcp.logging_rest import LoggingRest, MonitoringRest

    budget = RetryBudget(RETRIES_PER_SCAN)
    project = None
    if credentials is None:
        credentials, project = _credentials(options.timeout, budget)
    endpoint = options.endpoint
    rm = {"credentials": credentials, "transport": "rest"}
    if endpoint:
        rm["client_options"] = {"api_endpoint": endpoint}
    session = whole_answers(AuthorizedSession(credentials, refresh_timeout=options.timeout))
    return GcpClients(
        resourcemanager_v3.ProjectsClient(**rm),
        resourcemanager_v3.FoldersClient(**rm),
        resourcemanager_v3.OrganizationsClient(**rm),
        LoggingRest(session, endpoint or "https://logging.googleapis.com", options.timeout),
        # The project is only a default for creating buckets, which the scan never does.
        StorageClient(
            project=project or "_",
            credentials=credentials,
            client_options={"api_endpoint": endpoint} if endpoint else None,
            _http=session,  # its answers are checked whole (whole_answers)
        ),
        options.timeout,
        budget,
        # One call: every attempt and the backoffs between them (calls.with_retries).
        Limits(options.timeout * ATTEMPTS + BACKOFF_SECONDS * 2**ATTEMPTS, options.deadline),
        MonitoringRest(session, endpoint or "https://monitoring.googleapis.com", options.timeout),
    )


def quiet_google_python_notice() -> None:
    """google.api_core warns at import, once per library, that Google will stop supporting this Python in
    new releases (a FutureWarning for whoever maintains the environment, twice per scan): not a finding,
    and not the user's to act on mid-scan. Only that notice is silenced, only when a GCP scan loads them."""
    warnings.filterwarnings("ignore", message="You are using a Python version", category=FutureWarning)


def scan_gcp(options: GcpScanOptions, clients: Callable[[GcpScanOptions], GcpClients] = default_clients) -> Report:
    quiet_google_python_notice()
    from auditkit.auditors.gcp.assess import assess, target_error
    from auditkit.auditors.gcp.calls import classify
    from auditkit.auditors.gcp.collect import collect

    started = time.perf_counter()
    pool = ThreadPoolExecutor(16)
    try:
        snap = collect(clients(options), list(options.targets), pool)
        findings = assess(
            snap, options.required, options.exemptions, options.kms_key, alert_parameters=options.alert_parameters
        )
    except KeyboardInterrupt:
        # Ctrl-C: do not wait for calls in flight; nothing is judged until every target is read.
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    except Exception as exc:  # no credentials, a bug, an answer nobody expected: ERROR, never a clean exit
        code, message = classify(exc)
        findings = [target_error(t, f"{code}: {message}") for t in options.targets]
    pool.shutdown()
    report = Report(findings)
    report.scanned = {
        "targets": len(options.targets),
        "seconds": round(time.perf_counter() - started, 3),
        "required_retention": options.required.describe(),
    }
    return report

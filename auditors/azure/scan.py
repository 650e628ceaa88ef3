"""`auditkit scan azure`: each subscription collected and judged; one report."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from azure.core.pipeline.policies import SansIOHTTPPolicy

from auditkit.auditors.azure.archives import read_archives
from auditkit.auditors.azure.assess import assess
from auditkit.auditors.azure.collect import AzureClients, classify, collect_subscription
from auditkit.auditors.findings import Finding, Report, Status
from auditkit.policies.retention import RetentionRequirement

ARM = "https://management.azure.com"
WORKERS = 16


@dataclass(frozen=True)
class AzureScanOptions:
    required: RetentionRequirement
    subscriptions: tuple[str, ...]
    arm_endpoint: str = ARM
    shared_key_allowed: bool = False


class CallCounter(SansIOHTTPPolicy):
    """Counts the ARM requests a scan makes (each page and retry included)."""

    def __init__(self) -> None:
        self.count = 0
        self._lock = threading.Lock()

    def on_request(self, request: Any) -> None:
        with self._lock:
            self.count += 1


def default_clients(
    credential: Any, subscription: str, endpoint: str, counter: CallCounter | None = None
) -> AzureClients:
    from azure.mgmt.monitor import MonitorManagementClient
    from azure.mgmt.resource.resources import ResourceManagementClient
    from azure.mgmt.storage import StorageManagementClient

    kw: dict[str, Any] = {"base_url": endpoint, "credential_scopes": [_scope(endpoint)]}
    if counter is not None:
        kw["per_call_policies"] = [counter]
    storage: dict[str, Any] = {}
    lock = threading.Lock()

    def storage_for(sub: str) -> Any:
        with lock:
            if sub.lower() not in storage:
                storage[sub.lower()] = StorageManagementClient(credential, sub, **kw)
            return storage[sub.lower()]

    return AzureClients(
        MonitorManagementClient(credential, subscription, **kw),
        ResourceManagementClient(credential, subscription, **kw),
        storage_for,
    )


def _scope(endpoint: str) -> str:
    return f"{ARM}/.default" if endpoint == ARM else f"{endpoint}/.default"


def credential_problem(credential: Any, endpoint: str) -> str | None:
    """One token request before any scan call; None when it works, else what was tried and how to log in.

    DefaultAzureCredential logs every source's failure as a warning (and the SDK would repeat the chain
    for each call): quiet them here and say it once.
    """
    from azure.core.exceptions import ClientAuthenticationError

    quiet = logging.getLogger("azure.identity")
    level = quiet.level
    quiet.setLevel(logging.CRITICAL)
    try:
        credential.get_token(_scope(endpoint))
        return None
    except ClientAuthenticationError:
        chain = getattr(credential, "credentials", None) or (credential,)
        # DefaultAzureCredential keeps a placeholder for a source that failed to start: not a source of its own.
        names = [type(c).__name__ for c in chain if not type(c).__name__.startswith("Failed")]
        sources = ", ".join(n.removesuffix("Credential") or n for n in names)
        return (
            f"AuthenticationFailed: no Azure credential (tried {sources}). Log in with `az login`, or set "
            "AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET for a service principal."
        )
    finally:
        quiet.setLevel(level)


def _subscription_error(sub: str, message: str) -> Finding:
    return Finding("azure.activity_log.export", Status.ERROR, f"/subscriptions/{sub}", sub, "", message)


def scan_azure(
    options: AzureScanOptions,
    credential: Any = None,
    clients: Callable[..., AzureClients] = default_clients,
) -> Report:
    """DefaultAzureCredential unless a credential is given (tests give a fake; ARM still answers)."""
    if credential is None:
        from azure.identity import DefaultAzureCredential

        credential = DefaultAzureCredential()
    started = time.perf_counter()
    counter = CallCounter()
    findings: list[Finding] = []
    problem = credential_problem(credential, options.arm_endpoint)
    if problem:
        findings = [_subscription_error(sub, problem) for sub in options.subscriptions]
    else:
        with ThreadPoolExecutor(WORKERS) as pool:
            for sub in options.subscriptions:
                try:
                    bound = clients(credential, sub, options.arm_endpoint, counter)
                    snap = collect_subscription(bound, sub, pool)
                    read_archives(bound, snap, pool)
                    findings += assess(snap, options.required, options.shared_key_allowed)
                except Exception as exc:  # this subscription is ERROR; the others go on
                    code, message = classify(exc)
                    findings.append(_subscription_error(sub, f"{code}: {message}"))
    report = Report(findings)
    report.scanned = {
        "subscriptions": len(options.subscriptions),
        "api_calls": counter.count,
        "seconds": round(time.perf_counter() - started, 3),
        "required_retention": options.required.describe(),
    }
    return report

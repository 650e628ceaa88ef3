"""`auditkit scan azure`: each subscription collected and judged; one report."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from azure.core.pipeline.policies import SansIOHTTPPolicy

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

    kw: dict[str, Any] = {
        "base_url": endpoint,
        "credential_scopes": [f"{ARM}/.default" if endpoint == ARM else f"{endpoint}/.default"],
    }
    if counter is not None:
        kw["per_call_policies"] = [counter]
    return AzureClients(
        MonitorManagementClient(credential, subscription, **kw),
        StorageManagementClient(credential, subscription, **kw),
        ResourceManagementClient(credential, subscription, **kw),
    )


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
    with ThreadPoolExecutor(WORKERS) as pool:
        for sub in options.subscriptions:
            try:
                snap = collect_subscription(clients(credential, sub, options.arm_endpoint, counter), sub, pool)
                findings += assess(snap, options.required, options.shared_key_allowed)
            except Exception as exc:  # this subscription is ERROR; the others go on
                code, message = classify(exc)
                findings.append(
                    Finding(
                        "azure.activity_log.export",
                        Status.ERROR,
                        f"/subscriptions/{sub}",
                        sub,
                        "",
                        f"{code}: {message}",
                    )
                )
    report = Report(findings)
    report.scanned = {
        "subscriptions": len(options.subscriptions),
        "api_calls": counter.count,
        "seconds": round(time.perf_counter() - started, 3),
        "required_retention": options.required.describe(),
    }
    return report

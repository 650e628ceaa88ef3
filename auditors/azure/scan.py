"""`auditkit scan azure`: each subscription collected and judged; one report."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from auditors.azure.assess import assess
from auditors.azure.collect import AzureClients, classify, collect_subscription
from auditors.findings import Finding, Report, Status
from policies.retention import RetentionRequirement

ARM = "https://management.azure.com"
WORKERS = 16


@dataclass(frozen=True)
class AzureScanOptions:
    required: RetentionRequirement
    subscriptions: tuple[str, ...]
    arm_endpoint: str = ARM
    shared_key_allowed: bool = False


def default_clients(credential: Any, subscription: str, endpoint: str) -> AzureClients:
    from azure.mgmt.monitor import MonitorManagementClient
    from azure.mgmt.resource.resources import ResourceManagementClient
    from azure.mgmt.storage import StorageManagementClient

    kw = {"base_url": endpoint, "credential_scopes": [f"{ARM}/.default" if endpoint == ARM else f"{endpoint}/.default"]}
    return AzureClients(
        MonitorManagementClient(credential, subscription, **kw),
        StorageManagementClient(credential, subscription, **kw),
        ResourceManagementClient(credential, subscription, **kw),
    )


def scan_azure(
    options: AzureScanOptions,
    credential: Any = None,
    clients: Callable[[Any, str, str], AzureClients] = default_clients,
) -> Report:
    """DefaultAzureCredential unless a credential is given (tests give a fake; ARM still answers)."""
    if credential is None:
        from azure.identity import DefaultAzureCredential

        credential = DefaultAzureCredential()
    started = time.perf_counter()
    findings: list[Finding] = []
    with ThreadPoolExecutor(WORKERS) as pool:
        for sub in options.subscriptions:
            try:
                snap = collect_subscription(clients(credential, sub, options.arm_endpoint), sub, pool)
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
        "seconds": round(time.perf_counter() - started, 3),
        "required_retention": options.required.describe(),
    }
    return report

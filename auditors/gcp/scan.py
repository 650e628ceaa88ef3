"""`auditkit scan gcp`: the organizations, folders and projects given, with Application Default Credentials."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from auditkit.auditors.findings import Finding, Report, Status
from auditkit.auditors.gcp.assess import assess
from auditkit.auditors.gcp.collect import GcpClients, classify, collect
from auditkit.policies.retention import RetentionRequirement


@dataclass(frozen=True)
class GcpScanOptions:
    required: RetentionRequirement
    targets: tuple[str, ...]  # organizations/O, folders/F, projects/P
    exemptions: Mapping[str, str] = field(default_factory=dict)
    kms_key: str | None = None


def default_clients() -> GcpClients:
    from google.cloud import resourcemanager_v3, storage
    from google.cloud.logging_v2.services.config_service_v2 import ConfigServiceV2Client

    return GcpClients(
        resourcemanager_v3.ProjectsClient(),
        resourcemanager_v3.FoldersClient(),
        resourcemanager_v3.OrganizationsClient(),
        ConfigServiceV2Client(),
        storage.Client(),
    )


def scan_gcp(options: GcpScanOptions, clients: Callable[[], GcpClients] = default_clients) -> Report:
    started = time.perf_counter()
    try:
        with ThreadPoolExecutor(16) as pool:
            snap = collect(clients(), list(options.targets), pool)
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

"""Azure: Activity Log and resource diagnostic settings into an immutable archive, and a workspace.

The public API for your own Pulumi program: `from auditkit.components.azure import AuditLogExport, HighRiskAlerts, ImmutableLogArchive`.
Loaded on first use (`lazy_exports`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from auditkit.components import lazy_exports

if TYPE_CHECKING:
    from auditkit.components.azure.archive_sealing import ArchiveSealing, ArchiveSealingArgs
    from auditkit.components.azure.high_risk_alerts import HighRiskAlerts, HighRiskAlertsArgs
    from auditkit.components.azure.log_archive import ImmutableLogArchive, ImmutableLogArchiveArgs
    from auditkit.components.azure.log_export import (
        AuditLogExport,
        AuditLogExportArgs,
        AuditWorkspace,
        AuditWorkspaceArgs,
    )

_WHERE = {
    "ArchiveSealing": "archive_sealing",
    "ArchiveSealingArgs": "archive_sealing",
    "AuditLogExport": "log_export",
    "AuditLogExportArgs": "log_export",
    "AuditWorkspace": "log_export",
    "AuditWorkspaceArgs": "log_export",
    "HighRiskAlerts": "high_risk_alerts",
    "HighRiskAlertsArgs": "high_risk_alerts",
    "ImmutableLogArchive": "log_archive",
    "ImmutableLogArchiveArgs": "log_archive",
}
__all__ = [
    "ArchiveSealing",
    "ArchiveSealingArgs",
    "AuditLogExport",
    "AuditLogExportArgs",
    "AuditWorkspace",
    "AuditWorkspaceArgs",
    "HighRiskAlerts",
    "HighRiskAlertsArgs",
    "ImmutableLogArchive",
    "ImmutableLogArchiveArgs",
]

__getattr__ = lazy_exports(__name__, _WHERE)

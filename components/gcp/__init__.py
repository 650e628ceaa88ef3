"""GCP: Data Access audit configs, sinks of every audit log, and a locked, tiered GCS archive.

The public API for your own Pulumi program: `from auditkit.components.gcp import DataAccessAuditLogs, ImmutableLogArchive`.
Loaded on first use (`lazy_exports`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from auditkit.components import lazy_exports

if TYPE_CHECKING:
    from auditkit.components.gcp.archive_sealing import ArchiveSealing, ArchiveSealingArgs
    from auditkit.components.gcp.audit_logs import DataAccessAuditLogs, DataAccessAuditLogsArgs, Exemption
    from auditkit.components.gcp.log_archive import ImmutableLogArchive, ImmutableLogArchiveArgs

_WHERE = {
    "ArchiveSealing": "archive_sealing",
    "ArchiveSealingArgs": "archive_sealing",
    "DataAccessAuditLogs": "audit_logs",
    "DataAccessAuditLogsArgs": "audit_logs",
    "Exemption": "audit_logs",
    "ImmutableLogArchive": "log_archive",
    "ImmutableLogArchiveArgs": "log_archive",
}
__all__ = [
    "ArchiveSealing",
    "ArchiveSealingArgs",
    "DataAccessAuditLogs",
    "DataAccessAuditLogsArgs",
    "Exemption",
    "ImmutableLogArchive",
    "ImmutableLogArchiveArgs",
]

__getattr__ = lazy_exports(__name__, _WHERE)

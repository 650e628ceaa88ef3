"""Azure: Activity Log and resource diagnostic settings into an immutable archive, and a workspace.

The public API for your own Pulumi program: `from auditkit.components.azure import AuditLogExport, ImmutableLogArchive`.
Loaded on first use (`lazy_exports`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from auditkit.components import lazy_exports

if TYPE_CHECKING:
    from auditkit.components.azure.log_archive import ImmutableLogArchive, ImmutableLogArchiveArgs
    from auditkit.components.azure.log_export import (
        AuditLogExport,
        AuditLogExportArgs,
        AuditWorkspace,
        AuditWorkspaceArgs,
    )

_WHERE = {
    "AuditLogExport": "log_export",
    "AuditLogExportArgs": "log_export",
    "AuditWorkspace": "log_export",
    "AuditWorkspaceArgs": "log_export",
    "ImmutableLogArchive": "log_archive",
    "ImmutableLogArchiveArgs": "log_archive",
}
__all__ = [
    "AuditLogExport",
    "AuditLogExportArgs",
    "AuditWorkspace",
    "AuditWorkspaceArgs",
    "ImmutableLogArchive",
    "ImmutableLogArchiveArgs",
]

__getattr__ = lazy_exports(__name__, _WHERE)

"""Azure: Activity Log and resource diagnostic settings into an immutable archive, and a workspace.

The public API for your own Pulumi program: `from auditkit.components.azure import AuditLogExport, ImmutableLogArchive`.
Loaded on first use, so importing a sibling module (limits, rendering) never pulls in the Pulumi SDK.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

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


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{_WHERE[name]}"), name)

"""GCP: Data Access audit configs, sinks of every audit log, and a locked, tiered GCS archive.

The public API for your own Pulumi program: `from auditkit.components.gcp import DataAccessAuditLogs, ImmutableLogArchive`.
Loaded on first use, so importing a sibling module (limits, rendering) never pulls in the Pulumi SDK.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from auditkit.components.gcp.audit_logs import DataAccessAuditLogs, DataAccessAuditLogsArgs, Exemption
    from auditkit.components.gcp.log_archive import ImmutableLogArchive, ImmutableLogArchiveArgs

_WHERE = {
    "DataAccessAuditLogs": "audit_logs",
    "DataAccessAuditLogsArgs": "audit_logs",
    "Exemption": "audit_logs",
    "ImmutableLogArchive": "log_archive",
    "ImmutableLogArchiveArgs": "log_archive",
}
__all__ = [
    "DataAccessAuditLogs",
    "DataAccessAuditLogsArgs",
    "Exemption",
    "ImmutableLogArchive",
    "ImmutableLogArchiveArgs",
]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{_WHERE[name]}"), name)

"""AWS: a multi-region CloudTrail with data events, and its immutable, tiered S3 archive.

The public API for your own Pulumi program: `from auditkit.components.aws import AuditTrail, ImmutableLogArchive`.
Loaded on first use, so importing a sibling module (limits, rendering) never pulls in the Pulumi SDK.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from auditkit.components.aws.audit_trail import AuditTrail, AuditTrailArgs, trail_arn
    from auditkit.components.aws.log_archive import ImmutableLogArchive, ImmutableLogArchiveArgs

_WHERE = {
    "AuditTrail": "audit_trail",
    "AuditTrailArgs": "audit_trail",
    "trail_arn": "audit_trail",
    "ImmutableLogArchive": "log_archive",
    "ImmutableLogArchiveArgs": "log_archive",
}
__all__ = ["AuditTrail", "AuditTrailArgs", "ImmutableLogArchive", "ImmutableLogArchiveArgs", "trail_arn"]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{_WHERE[name]}"), name)

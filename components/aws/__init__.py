"""AWS: a multi-region CloudTrail with data events, and its immutable, tiered S3 archive.

The public API for your own Pulumi program: `from auditkit.components.aws import AuditTrail, ImmutableLogArchive`.
Loaded on first use (`lazy_exports`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from auditkit.components import lazy_exports

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

__getattr__ = lazy_exports(__name__, _WHERE)

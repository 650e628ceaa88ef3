"""Data Access audit logs on, and every audit log exported to the archive, at org, folder or project scope."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypedDict

import pulumi
import pulumi_gcp as gcp
from pulumi import Input, Output, ResourceOptions

from auditkit.policies.errors import ConfigError
from auditkit.settings.gcp_limits import SCOPES, check_log_bucket_days, check_numeric_id, check_project

AUDIT_LOG_FILTER = 'logName:"cloudaudit.googleapis.com"'
LOG_TYPES = ("ADMIN_READ", "DATA_READ", "DATA_WRITE")
MEMBER_PREFIXES = ("user:", "serviceAccount:", "group:", "domain:")
# The log bucket of the hot copy (gcp.logBucketRetentionDays) in the archive project; the alerts count it.
HOT_BUCKET_ID = "auditkit-audit-logs"


@dataclass(frozen=True)
class Exemption:
    member: str
    reason: str


@dataclass
class DataAccessAuditLogsArgs:
    scope: str  # organization | folder | project
    scope_id: str
    archive_bucket: Input[str]
    exemptions: tuple[Exemption, ...] = ()
    # Optional Cloud Logging bucket for hot queries (<= 3650 days): project and retention.
    log_bucket_project: str | None = None
    log_bucket_retention_days: int | None = None
    log_bucket_locked: bool = True
    sink_name: str = "auditkit-audit-logs"
    labels: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.scope not in SCOPES:
            raise ConfigError("gcp.scope", self.scope, SCOPES)
        if self.scope == "project":
            check_project("gcp.projectId", self.scope_id)
        else:
            check_numeric_id(f"gcp.{self.scope}Id", self.scope_id)
        for e in self.exemptions:
            if not e.member.startswith(MEMBER_PREFIXES):
                raise ConfigError("gcp.exemptedMembers.member", e.member, [f"{p}..." for p in MEMBER_PREFIXES])
            if not e.reason.strip():
                raise ConfigError("gcp.exemptedMembers.reason", e.reason, "a non-empty reason (auditors ask for it)")
        if self.log_bucket_retention_days is not None:
            check_log_bucket_days(self.log_bucket_retention_days)
            check_project("gcp.logBucketProject", self.log_bucket_project)


class _AuditConfigSettings(TypedDict):
    """What the organization, folder and project audit configs share."""

    service: str
    audit_log_configs: list[gcp.organizations.IamAuditConfigAuditLogConfigArgsDict]
    opts: ResourceOptions


class _SinkSettings(TypedDict):
    """What the organization, folder and project sinks share."""

    name: str
    destination: Output[str]
    filter: str
    description: str


class DataAccessAuditLogs(pulumi.ComponentResource):
    """IAM audit config for allServices, a sink of every audit log to the archive, its writer create-only."""

    def __init__(self, name: str, args: DataAccessAuditLogsArgs, opts: ResourceOptions | None = None) -> None:
        super().__init__("auditkit:gcp:DataAccessAuditLogs", name, None, opts)
        self._audit_config(name, args)
        destination = Output.concat("storage.googleapis.com/", args.archive_bucket)
        self.sink = self._sink(f"{name}-sink", args, destination, args.sink_name)
        gcp.storage.BucketIAMMember(
            f"{name}-sink-writer",
            bucket=args.archive_bucket,
            role="roles/storage.objectCreator",
            member=self.sink.writer_identity,
            opts=ResourceOptions(parent=self),
        )
        if args.log_bucket_retention_days is not None and args.log_bucket_project:
            self._hot_copy(name, args)
        self.register_outputs({"sink_writer_identity": self.sink.writer_identity})

    def _audit_config(self, name: str, args: DataAccessAuditLogsArgs) -> None:
        """Non-authoritative audit configs: an authoritative IAM policy would wipe the scope's bindings."""
        exempted = [e.member for e in args.exemptions]
        # One shape for the three scopes' config dicts (TypedDicts compare by their keys).
        configs: list[gcp.organizations.IamAuditConfigAuditLogConfigArgsDict] = [
            {"log_type": t, "exempted_members": exempted} if exempted and t != "ADMIN_READ" else {"log_type": t}
            for t in LOG_TYPES
        ]
        common: _AuditConfigSettings = {
            "service": "allServices",
            "audit_log_configs": configs,
            "opts": ResourceOptions(parent=self),
        }
        if args.scope == "organization":
            gcp.organizations.IamAuditConfig(f"{name}-config", org_id=args.scope_id, **common)
        elif args.scope == "folder":
            gcp.folder.IamAuditConfig(f"{name}-config", folder=f"folders/{args.scope_id}", **common)
        else:
            gcp.projects.IAMAuditConfig(f"{name}-config", project=args.scope_id, **common)

    def _hot_copy(self, name: str, args: DataAccessAuditLogsArgs) -> None:
        """A second sink to a Cloud Logging bucket, for queries; the archive stays the record."""
        log_bucket = gcp.logging.ProjectBucketConfig(
            f"{name}-log-bucket",
            project=args.log_bucket_project,
            location="global",
            bucket_id=HOT_BUCKET_ID,
            retention_days=args.log_bucket_retention_days,
            locked=args.log_bucket_locked,
            opts=ResourceOptions(parent=self),
        )
        hot = Output.concat("logging.googleapis.com/", log_bucket.id)
        hot_sink = self._sink(f"{name}-hot-sink", args, hot, f"{args.sink_name}-hot")
        # A sink writing to a log bucket needs logging.bucketWriter in that bucket's project.
        gcp.projects.IAMMember(
            f"{name}-hot-sink-writer",
            project=args.log_bucket_project,
            role="roles/logging.bucketWriter",
            member=hot_sink.writer_identity,
            opts=ResourceOptions(parent=self),
        )

    def _sink(
        self, name: str, args: DataAccessAuditLogsArgs, destination: Output[str], sink_name: str
    ) -> gcp.logging.OrganizationSink | gcp.logging.FolderSink | gcp.logging.ProjectSink:
        child = ResourceOptions(parent=self)
        common: _SinkSettings = {
            "name": sink_name,
            "destination": destination,
            "filter": AUDIT_LOG_FILTER,
            "description": "AuditKit: every Cloud Audit log",
        }
        if args.scope == "organization":
            return gcp.logging.OrganizationSink(name, org_id=args.scope_id, include_children=True, opts=child, **common)
        if args.scope == "folder":
            return gcp.logging.FolderSink(name, folder=args.scope_id, include_children=True, opts=child, **common)
        return gcp.logging.ProjectSink(name, project=args.scope_id, unique_writer_identity=True, opts=child, **common)

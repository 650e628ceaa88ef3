"""The stack program: reads settings and builds each cloud's audit-logging components."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
from pulumi_azure_native import resources as azure_resources

from auditkit.components.aws.alerts import HighRiskAlerts, HighRiskAlertsArgs
from auditkit.components.aws.audit_trail import AuditTrail, AuditTrailArgs, trail_arn
from auditkit.components.aws.log_archive import ImmutableLogArchive, ImmutableLogArchiveArgs
from auditkit.components.azure import archive_sealing as azure_sealing
from auditkit.components.azure import log_archive as azure_archive
from auditkit.components.azure.high_risk_alerts import HighRiskAlerts as AzureHighRiskAlerts
from auditkit.components.azure.high_risk_alerts import HighRiskAlertsArgs as AzureHighRiskAlertsArgs
from auditkit.components.azure.log_export import (
    AuditLogExport,
    AuditLogExportArgs,
    AuditWorkspace,
    AuditWorkspaceArgs,
    monitor_containers,
)
from auditkit.components.gcp import alerts as gcp_alerts
from auditkit.components.gcp import archive_sealing as gcp_sealing
from auditkit.components.gcp import log_archive as gcp_archive
from auditkit.components.gcp.audit_logs import HOT_BUCKET_ID, DataAccessAuditLogs, DataAccessAuditLogsArgs, Exemption
from auditkit.settings.aws_limits import archive_key_alias, check_bucket_name
from auditkit.settings.azure_limits import check_resource_group, check_resource_id
from auditkit.settings.sealing_settings import check_sealed_containers
from auditkit.settings.stack_settings import AwsSettings, AzureSettings, GcpSettings, StackSettings


@dataclass
class AwsAuditLogging:
    archive: ImmutableLogArchive
    trail: AuditTrail
    alerts: HighRiskAlerts | None = None


@dataclass(frozen=True)
class AwsLocation:
    """Where the provider deploys: its account, region and partition (never assumed)."""

    account_id: pulumi.Input[str]
    region: pulumi.Input[str]
    partition: pulumi.Input[str]
    dns_suffix: pulumi.Input[str]


# Stand-ins that let every argument be checked before the first cloud call.
STAND_IN = AwsLocation("123456789012", "us-east-1", "aws", "amazonaws.com")


def provider_location() -> AwsLocation:
    """The provider's own account, region and partition (aws:region, AWS_REGION, profile...)."""
    partition = aws.get_partition_output()
    return AwsLocation(
        aws.get_caller_identity_output().account_id,
        aws.get_region_output().region,
        partition.partition,
        partition.dns_suffix,
    )


def _fits_with_access_suffix(name: str) -> str:
    # The provider's region may be longer than the configured one (AWS_REGION, profile).
    check_bucket_name("aws.archiveBucketName", f"{name}-access")
    return name


def _alerts_args(settings: StackSettings, a: AwsSettings, at: AwsLocation, archive: Any) -> HighRiskAlertsArgs | None:
    if a.alerts is None:
        return None
    return HighRiskAlertsArgs(
        stack=settings.name,
        log_group_name=_log_group_name(settings, a),
        archive_bucket=archive,
        account_id=at.account_id,
        partition=at.partition,
        email=a.alerts.email,
        https=a.alerts.https,
        phi_buckets=a.alerts.phi_buckets,
        guard_duty=a.alerts.guard_duty,
        tags={"auditkit:stack": settings.name},
    )


def _log_group_name(settings: StackSettings, a: AwsSettings) -> str:
    return f"/auditkit/{settings.name}/cloudtrail/{a.trail_name}"


def _aws(settings: StackSettings, a: AwsSettings, at: AwsLocation) -> tuple[ImmutableLogArchiveArgs, AuditTrailArgs]:
    archive_name: pulumi.Input[str]
    if a.archive_bucket_name:
        archive_name = a.archive_bucket_name
    else:
        # The default name embeds the account id; check its shape with a 12-digit stand-in.
        check_bucket_name("aws.archiveBucketName", f"auditkit-{settings.name}-123456789012-{a.region}-access")
        archive_name = pulumi.Output.concat("auditkit-", settings.name, "-", at.account_id, "-", at.region).apply(
            _fits_with_access_suffix
        )
    access_logs = pulumi.Output.concat(archive_name, "-access") if a.access_logs else None
    tags = {"auditkit:stack": settings.name}
    archive_args = ImmutableLogArchiveArgs(
        retention=settings.retention,
        account_id=at.account_id,
        region=at.region,
        writer_trail_arns=[trail_arn(at.partition, at.region, at.account_id, a.trail_name)],
        bucket_name=archive_name,
        key_alias=archive_key_alias(settings.name),
        access_log_bucket_name=access_logs,
        partition=at.partition,
        dns_suffix=at.dns_suffix,
        organization_id=a.organization_id if a.organization_trail else None,
        hot_days=a.hot_days,
        cold_after_days=a.cold_after_days,
        warm_storage_class=a.warm_storage_class,
        protect=a.protect,
        tags=tags,
    )
    trail_args = AuditTrailArgs(
        trail_name=a.trail_name,
        region=at.region,
        account_id=at.account_id,
        log_group_name=_log_group_name(settings, a),
        partition=at.partition,
        s3_buckets=a.s3_buckets,
        lambda_data_events=a.lambda_data_events,
        dynamodb_data_events=a.dynamodb_data_events,
        organization_trail=a.organization_trail,
        cloudwatch_retention_days=a.cloudwatch_retention_days,
        tags=tags,
        excluded_buckets=[archive_name] + ([access_logs] if access_logs is not None else []),
    )
    return archive_args, trail_args


def _gcp_sealing_args(g: GcpSettings) -> gcp_sealing.ArchiveSealingArgs | None:
    s = g.sealing
    if s is None:
        return None
    return gcp_sealing.ArchiveSealingArgs(
        project=g.archive_project,
        bucket_name=g.bucket_name,
        location=s.key_location,
        account_id=s.account_id,
        key_ring_name=s.key_ring,
        key_name=s.key_name,
        verifiers=list(s.verifiers),
        protect=g.protect,
    )


def _azure_sealing_args(
    settings: StackSettings, a: AzureSettings, archive: azure_archive.ImmutableLogArchiveArgs
) -> azure_sealing.ArchiveSealingArgs | None:
    """Checked with a stand-in storage account id; the archive's own id replaces it at registration."""
    s = a.sealing
    if s is None:
        return None
    return azure_sealing.ArchiveSealingArgs(
        resource_group_name=a.resource_group,
        location=a.location,
        subscription_id=a.subscription_id,
        tenant_id=s.tenant_id,
        vault_name=s.vault_name,
        storage_account_id=a.storage_account_id,
        containers=check_sealed_containers(s, archive.containers),
        key_name=s.key_name,
        protect=a.protect,
        tags={"auditkit-stack": settings.name},
    )


def _gcp_alerts_args(settings: StackSettings, g: GcpSettings) -> gcp_alerts.HighRiskAlertsArgs | None:
    """Where the audit logs are counted: the project itself, or the log bucket the aggregated sink fills."""
    if g.alerts is None:
        return None
    central = g.scope != "project"
    project = g.archive_project if central else g.scope_id
    return gcp_alerts.HighRiskAlertsArgs(
        stack=settings.name,
        project=project,
        archive_project=g.archive_project,
        archive_bucket=g.bucket_name,
        log_bucket=f"projects/{project}/locations/global/buckets/{HOT_BUCKET_ID}" if central else None,
        email=g.alerts.email,
        phi_buckets=g.alerts.phi_buckets,
        labels={"auditkit-stack": settings.name},
    )


def _gcp_args(
    settings: StackSettings, g: GcpSettings
) -> tuple[gcp_archive.ImmutableLogArchiveArgs, DataAccessAuditLogsArgs]:
    archive = gcp_archive.ImmutableLogArchiveArgs(
        retention=settings.retention,
        project=g.archive_project,
        bucket_name=g.bucket_name,
        location=g.location,
        lock=g.lock,
        nearline_days=g.nearline_days,
        coldline_days=g.coldline_days,
        archive_days=g.archive_days,
        kms_key_name=g.kms_key_name,
        protect=g.protect,
        labels={"auditkit-stack": settings.name},
    )
    logs = DataAccessAuditLogsArgs(
        scope=g.scope,
        scope_id=g.scope_id,
        archive_bucket=g.bucket_name,
        exemptions=tuple(Exemption(m, r) for m, r in g.exemptions),
        log_bucket_project=g.archive_project if g.log_bucket_retention_days else None,
        log_bucket_retention_days=g.log_bucket_retention_days,
        log_bucket_locked=g.lock,
    )
    return archive, logs


def _azure_alerts_args(settings: StackSettings, a: AzureSettings) -> AzureHighRiskAlertsArgs | None:
    """Built (and so checked) before anything registers; the archive and workspace ids are swapped in after."""
    if a.alerts is None:
        return None
    return AzureHighRiskAlertsArgs(
        stack=settings.name,
        subscription_id=a.subscription_id,
        resource_group_name=a.resource_group,
        archive_account_id=a.storage_account_id,
        location=a.location,
        email=a.alerts.email,
        webhook=a.alerts.webhook,
        tags={"auditkit-stack": settings.name},
    )


def _azure_args(
    settings: StackSettings, a: AzureSettings
) -> tuple[azure_archive.ImmutableLogArchiveArgs, AuditWorkspaceArgs | None]:
    check_resource_group(a.resource_group)
    for rid in a.diagnostic_resources:
        check_resource_id(rid)
    archive = azure_archive.ImmutableLogArchiveArgs(
        retention=settings.retention,
        resource_group_name=a.resource_group,
        location=a.location,
        account_name=a.storage_account_name,
        containers=monitor_containers(a.diagnostic_resources),
        shared_key_access=a.shared_key_access,
        cool_days=a.cool_days,
        cold_days=a.cold_days,
        archive_days=a.archive_days,
        protect=a.protect,
        tags={"auditkit-stack": settings.name},
    )
    ws = a.workspace
    workspace = (
        AuditWorkspaceArgs(a.resource_group, a.location, ws.name, ws.retention_days, ws.total_retention_days, ws.tables)
        if ws
        else None
    )
    return archive, workspace


def _azure(
    settings: StackSettings,
    a: AzureSettings,
    checked: tuple[azure_archive.ImmutableLogArchiveArgs, AuditWorkspaceArgs | None],
    sealing_args: azure_sealing.ArchiveSealingArgs | None = None,
) -> tuple[azure_archive.ImmutableLogArchive, AuditLogExport, AuditWorkspace | None]:
    archive_args, workspace_args = checked
    alerts_args = _azure_alerts_args(settings, a)
    if a.create_resource_group:
        group = azure_resources.ResourceGroup(
            "azure-audit-group", resource_group_name=a.resource_group, location=a.location
        )
        archive_args.resource_group_name = group.name
        if workspace_args is not None:
            workspace_args.resource_group_name = group.name  # created first
        if alerts_args is not None:
            alerts_args.resource_group_name = group.name
    # else: an existing group (azure.resourceGroup as an id, or createResourceGroup: false) is used by name
    archive = azure_archive.ImmutableLogArchive("azure-audit-archive", archive_args)
    workspace = AuditWorkspace("azure-audit-workspace", workspace_args) if workspace_args else None
    export = AuditLogExport(
        "azure-audit-export",
        AuditLogExportArgs(
            storage_account_id=archive.account.id,
            resource_ids=a.diagnostic_resources,
            workspace_id=workspace.workspace.id if workspace else None,
        ),
        pulumi.ResourceOptions(depends_on=archive.policies),
    )
    pulumi.export("azure_archive_account", archive.account.name)
    if sealing_args is not None:
        sealing_args.resource_group_name = archive_args.resource_group_name
        sealing_args.storage_account_id = archive.account.id
        # the containers' immutability policies first: the sealer never writes before the lock holds
        sealer = azure_sealing.ArchiveSealing(
            "azure-archive-sealing", sealing_args, pulumi.ResourceOptions(depends_on=archive.policies)
        )
        pulumi.export("azure_sealing_key", sealer.key.key_uri)
        pulumi.export("azure_sealer_principal", sealer.identity.principal_id)
    if alerts_args is not None:
        alerts_args.archive_account_id = archive.account.id
        alerts_args.workspace_id = workspace.workspace.id if workspace else None
        alerts = AzureHighRiskAlerts("azure-high-risk-alerts", alerts_args)
        pulumi.export("azure_alerts_action_group_id", alerts.action_group.id)
    return archive, export, workspace


def build_stack(settings: StackSettings) -> dict[str, object]:
    """Register every component the settings ask for.

    All component args are built (and so checked) with a stand-in account id before
    the first cloud call or resource registration.
    """
    built: dict[str, object] = {}
    gcp_args = _gcp_args(settings, settings.gcp) if settings.gcp is not None else None
    gcp_seal = _gcp_sealing_args(settings.gcp) if settings.gcp is not None else None
    gcp_alerts_args = _gcp_alerts_args(settings, settings.gcp) if settings.gcp is not None else None
    azure_args = _azure_args(settings, settings.azure) if settings.azure is not None else None
    azure_seal = (
        _azure_sealing_args(settings, settings.azure, azure_args[0])
        if settings.azure is not None and azure_args is not None
        else None
    )
    if settings.azure is not None:
        _azure_alerts_args(settings, settings.azure)
    if settings.aws is not None:
        stand_in = _aws(settings, settings.aws, STAND_IN)
        _alerts_args(settings, settings.aws, STAND_IN, stand_in[0].bucket_name)
        archive_args, trail_args = _aws(settings, settings.aws, provider_location())
        alerts_args = _alerts_args(settings, settings.aws, provider_location(), archive_args.bucket_name)
        archive = ImmutableLogArchive("audit-archive", archive_args)
        trail = AuditTrail("audit-trail", trail_args, archive)
        alerts = None
        if alerts_args is not None:
            alerts_args.log_group_name = trail.log_group.name  # the filters wait for the log group
            alerts = HighRiskAlerts("high-risk-alerts", alerts_args)
            pulumi.export("aws_alerts_topic_arn", alerts.topic.arn)
        pulumi.export("aws_trail_arn", trail.trail.arn)
        pulumi.export("aws_archive_bucket", archive.bucket.bucket)
        built["aws"] = AwsAuditLogging(archive, trail, alerts)
        if settings.aws.athena:
            from auditkit.components.aws.review_engine import review_engine

            built["aws_review"] = review_engine(settings, settings.aws, archive)
    if gcp_args is not None:
        gcp_bucket = gcp_archive.ImmutableLogArchive("gcp-audit-archive", gcp_args[0])
        gcp_logs = DataAccessAuditLogs("gcp-audit-logs", gcp_args[1], pulumi.ResourceOptions(depends_on=[gcp_bucket]))
        pulumi.export("gcp_archive_bucket", gcp_bucket.bucket.name)
        built["gcp"] = (gcp_bucket, gcp_logs)
        if gcp_seal is not None:
            # after the bucket (and its lock): the sealer's grants name it
            built["gcp_sealing"] = gcp_sealing.ArchiveSealing(
                "gcp-archive-sealing", gcp_seal, pulumi.ResourceOptions(depends_on=[gcp_bucket])
            )
            pulumi.export("gcp_sealing_key", gcp_sealing.crypto_key_name(gcp_seal))
            pulumi.export("gcp_sealer", gcp_seal.email)
        if gcp_alerts_args is not None:
            # The metrics count what the sinks deliver: a bucket-scoped metric needs its log bucket first.
            built["gcp_alerts"] = gcp_alerts.HighRiskAlerts(
                "gcp-high-risk-alerts", gcp_alerts_args, pulumi.ResourceOptions(depends_on=[gcp_logs])
            )
    if settings.azure is not None and azure_args is not None:
        built["azure"] = _azure(settings, settings.azure, azure_args, azure_seal)
    return built


def settings_from_pulumi_config() -> StackSettings:
    """Settings from the running Pulumi program's config (the `pulumi up` path)."""
    from auditkit.settings.pulumi_config import settings_from_pulumi_config as read

    settings = read()
    assert settings is not None  # required=True never answers None
    return settings

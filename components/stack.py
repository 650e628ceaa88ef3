"""The stack program: reads settings and builds each cloud's audit-logging components."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.aws.audit_trail import AuditTrail, AuditTrailArgs, trail_arn
from components.aws.limits import check_bucket_name
from components.aws.log_archive import ImmutableLogArchive, ImmutableLogArchiveArgs
from components.settings import AwsSettings, StackSettings


@dataclass
class AwsAuditLogging:
    archive: ImmutableLogArchive
    trail: AuditTrail


def _aws(
    settings: StackSettings, a: AwsSettings, account_id: pulumi.Input[str]
) -> tuple[ImmutableLogArchiveArgs, AuditTrailArgs]:
    partition = "aws"
    archive_name: pulumi.Input[str]
    if a.archive_bucket_name:
        archive_name = a.archive_bucket_name
    else:
        # The default name embeds the account id; check its shape with a 12-digit stand-in.
        check_bucket_name("aws.archiveBucketName", f"auditkit-{settings.name}-123456789012-{a.region}-access")
        archive_name = pulumi.Output.concat("auditkit-", settings.name, "-", account_id, "-", a.region)
    access_logs = pulumi.Output.concat(archive_name, "-access") if a.access_logs else None
    tags = {"auditkit:stack": settings.name}
    archive_args = ImmutableLogArchiveArgs(
        retention=settings.retention,
        account_id=account_id,
        region=a.region,
        writer_trail_arns=[trail_arn(partition, a.region, account_id, a.trail_name)],
        bucket_name=archive_name,
        access_log_bucket_name=access_logs,
        partition=partition,
        organization_id=a.organization_id if a.organization_trail else None,
        hot_days=a.hot_days,
        cold_after_days=a.cold_after_days,
        warm_storage_class=a.warm_storage_class,
        protect=a.protect,
        tags=tags,
    )
    trail_args = AuditTrailArgs(
        trail_name=a.trail_name,
        region=a.region,
        account_id=account_id,
        partition=partition,
        s3_buckets=a.s3_buckets,
        lambda_data_events=a.lambda_data_events,
        dynamodb_data_events=a.dynamodb_data_events,
        organization_trail=a.organization_trail,
        cloudwatch_retention_days=a.cloudwatch_retention_days,
        tags=tags,
        excluded_buckets=[archive_name] + ([access_logs] if access_logs is not None else []),
    )
    return archive_args, trail_args


def build_stack(settings: StackSettings) -> dict[str, object]:
    """Register every component the settings ask for.

    All component args are built (and so checked) with a stand-in account id before
    the first cloud call or resource registration.
    """
    built: dict[str, object] = {}
    if settings.aws is not None:
        _aws(settings, settings.aws, "123456789012")
        account_id = aws.get_caller_identity_output().account_id
        archive_args, trail_args = _aws(settings, settings.aws, account_id)
        archive = ImmutableLogArchive("audit-archive", archive_args)
        trail = AuditTrail("audit-trail", trail_args, archive)
        pulumi.export("aws_trail_arn", trail.trail.arn)
        pulumi.export("aws_archive_bucket", archive.bucket.bucket)
        built["aws"] = AwsAuditLogging(archive, trail)
    return built


def settings_from_pulumi_config() -> StackSettings:
    """Settings from the running Pulumi program's config (the `pulumi up` path)."""
    from components.settings import parse_settings

    config = pulumi.Config("auditkit")
    raw = {}
    for key in ("jurisdictions", "clouds", "aws", "minors", "retentionYears"):
        value = config.get_object(key)
        if value is not None:
            raw[key] = value
    return parse_settings(pulumi.get_stack(), raw, pulumi.Config("aws").get("region"))

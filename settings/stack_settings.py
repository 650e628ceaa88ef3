"""Stack settings: the `auditkit:*` config of a stack, parsed and refused early.

Every field is checked here, before any resource is registered, with an error that
names the field, the value and what is allowed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from auditkit.policies.errors import ConfigError
from auditkit.policies.retention import RetentionRequirement, resolve_retention
from auditkit.settings.alert_settings import (
    AwsAlertSettings,
    GcpAlertSettings,
    alert_settings,
    gcp_alert_settings,
)
from auditkit.settings.aws_limits import check_bucket_name as aws_bucket
from auditkit.settings.azure_settings import AzureSettings, azure_settings
from auditkit.settings.gcp_limits import check_bucket_name as gcs_bucket
from auditkit.settings.pulumi_values import check_keys, flag, whole
from auditkit.settings.review_settings import ReviewSettings, review_settings
from auditkit.settings.sealing_settings import GcpSealingSettings, gcp_sealing

CLOUDS = ("aws", "gcp", "azure")
TOP_KEYS = ("jurisdictions", "minors", "retentionYears", "clouds", "aws", "gcp", "azure", "review")
AWS_DEFAULTS: dict[str, Any] = {
    # None: auditkit-<stack>, so two stacks in one account never share a trail name.
    "trailName": None,
    "organizationTrail": False,
    "organizationId": None,
    "s3DataEvents": "all",
    "lambdaDataEvents": True,
    "dynamodbDataEvents": True,
    "hotDays": 90,
    "warmStorageClass": "STANDARD_IA",
    "coldAfterDays": 365,
    "cloudwatchRetentionDays": 365,
    "archiveBucketName": None,
    "accessLogs": True,
    "protect": True,
    # `auditkit review aws --engine athena`: a Glue table over the trail's AWSLogs/ prefix and an Athena workgroup.
    "athena": False,
    # High-risk activity alerts (components/aws/alerts.py): `false` deploys none; a mapping of ALERT_KEYS.
    "alerts": {},
}


@dataclass(frozen=True)
class AwsSettings:
    region: str
    trail_name: str
    organization_trail: bool
    organization_id: str | None
    s3_buckets: tuple[str, ...] | None
    lambda_data_events: bool
    dynamodb_data_events: bool
    hot_days: int
    warm_storage_class: str
    cold_after_days: int
    cloudwatch_retention_days: int
    archive_bucket_name: str | None
    access_logs: bool
    protect: bool
    athena: bool = False
    alerts: AwsAlertSettings | None = None


GCP_DEFAULTS: dict[str, Any] = {
    "scope": None,
    "organizationId": None,
    "folderId": None,
    "projectId": None,
    "archiveProject": None,
    "location": "US",
    "bucketName": None,
    "lock": True,
    "nearlineDays": 30,
    "coldlineDays": 90,
    "archiveDays": 365,
    "kmsKeyName": None,
    "exemptedMembers": [],
    "logBucketRetentionDays": None,
    "protect": True,
    "sealing": None,  # `auditkit seal gcp`: false/absent none; true or a mapping (settings/sealing_settings.py)
    # High-risk activity alerts (components/gcp/alerts.py): `false` deploys none; a mapping of GCP_ALERT_KEYS;
    # unset: deployed when the audit logs reach a project or log bucket where log-based metrics count them.
    "alerts": None,
}


@dataclass(frozen=True)
class GcpSettings:
    scope: str
    scope_id: str
    archive_project: str
    location: str
    bucket_name: str
    lock: bool
    nearline_days: int
    coldline_days: int
    archive_days: int
    kms_key_name: str | None
    exemptions: tuple[tuple[str, str], ...]
    log_bucket_retention_days: int | None
    protect: bool
    sealing: GcpSealingSettings | None = None
    alerts: GcpAlertSettings | None = None


@dataclass(frozen=True)
class StackSettings:
    name: str
    retention: RetentionRequirement
    clouds: tuple[str, ...]
    aws: AwsSettings | None
    gcp: GcpSettings | None = None
    azure: AzureSettings | None = None
    review: ReviewSettings = ReviewSettings()
    # The stack file read (None: the Pulumi runtime's config), so a later error can name it.
    source: Path | None = field(default=None, compare=False)


def _default_name_fits(stack: str, name: str, key: str, check: Callable[[str, str], str]) -> str:
    """A default bucket name holds the stack name: a stack name the bucket rules refuse is said as such,
    not as an error about `key`, which the user never wrote. (The AWS default embeds the account id and
    the `-access` suffix of its access-log bucket: checked with a 12-digit stand-in.)"""
    try:
        check(key, name)
    except ConfigError as exc:
        raise ConfigError(
            "stack",
            stack,
            f"a stack name of lowercase letters, digits and '-' short enough for the bucket name, or set "
            f"auditkit:{key} to a bucket name of your own",
            f"the stack name is part of the default bucket name {name!r} ({key}), and bucket names allow {exc.allowed}",
        ) from None
    return name


def _aws(raw: Any, region: str, stack: str) -> AwsSettings:
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise ConfigError("aws", raw, "a mapping of AWS settings")
    check_keys("aws.", raw, list(AWS_DEFAULTS))
    v = {**AWS_DEFAULTS, **raw}
    v["trailName"] = f"auditkit-{stack}" if v["trailName"] is None else v["trailName"]
    if v["archiveBucketName"] is None:
        _default_name_fits(stack, f"auditkit-{stack}-123456789012-{region}-access", "aws.archiveBucketName", aws_bucket)
    s3 = v["s3DataEvents"]
    if s3 == "all":
        buckets = None
    elif isinstance(s3, list) and all(isinstance(b, str) for b in s3):
        buckets = tuple(s3)
    else:
        raise ConfigError("aws.s3DataEvents", s3, "'all' or a list of bucket names")
    organization_trail = flag("aws.organizationTrail", v["organizationTrail"])  # "false" is false: parse first
    if organization_trail and not v["organizationId"]:
        raise ConfigError(
            "aws.organizationId", None, "an organization id like o-a1b2c3d4e5", "required for an organization trail"
        )
    for key in ("trailName", "warmStorageClass"):
        if not isinstance(v[key], str):
            raise ConfigError(f"aws.{key}", v[key], "a string")
    return AwsSettings(
        region=region,
        trail_name=v["trailName"],
        organization_trail=organization_trail,
        organization_id=v["organizationId"],
        s3_buckets=buckets,
        lambda_data_events=flag("aws.lambdaDataEvents", v["lambdaDataEvents"]),
        dynamodb_data_events=flag("aws.dynamodbDataEvents", v["dynamodbDataEvents"]),
        hot_days=whole("aws.hotDays", v["hotDays"]),
        warm_storage_class=v["warmStorageClass"],
        cold_after_days=whole("aws.coldAfterDays", v["coldAfterDays"]),
        cloudwatch_retention_days=whole("aws.cloudwatchRetentionDays", v["cloudwatchRetentionDays"]),
        archive_bucket_name=v["archiveBucketName"],
        access_logs=flag("aws.accessLogs", v["accessLogs"]),
        protect=flag("aws.protect", v["protect"]),
        athena=flag("aws.athena", v["athena"]),
        alerts=alert_settings(v["alerts"], buckets),
    )


def _gcp(raw: Any, stack: str) -> GcpSettings:
    if not isinstance(raw, Mapping):
        raise ConfigError("gcp", raw, "a mapping of GCP settings with at least scope and archiveProject")
    check_keys("gcp.", raw, list(GCP_DEFAULTS))
    v = {**GCP_DEFAULTS, **raw}
    scopes = ("organization", "folder", "project")
    if v["scope"] not in scopes:
        raise ConfigError("gcp.scope", v["scope"], scopes)
    id_key = {"organization": "organizationId", "folder": "folderId", "project": "projectId"}[v["scope"]]
    if v[id_key] in (None, ""):
        raise ConfigError(f"gcp.{id_key}", v[id_key], f"the {v['scope']} to turn Data Access logs on for")
    if not isinstance(v["archiveProject"], str):
        raise ConfigError("gcp.archiveProject", v["archiveProject"], "the project id that holds the archive bucket")
    if not isinstance(v["exemptedMembers"] or [], list):
        raise ConfigError("gcp.exemptedMembers", v["exemptedMembers"], "a list of {member, reason} entries")
    key = v["kmsKeyName"]
    if key is not None and (
        not isinstance(key, str)
        or not re.fullmatch(r"projects/[^/]+/locations/[^/]+/keyRings/[^/]+/cryptoKeys/[^/]+", key)
    ):
        raise ConfigError("gcp.kmsKeyName", key, "projects/P/locations/L/keyRings/R/cryptoKeys/K")
    exemptions = []
    for e in v["exemptedMembers"] or []:
        if not isinstance(e, Mapping) or set(e) != {"member", "reason"}:
            raise ConfigError(
                "gcp.exemptedMembers", e, "entries {member: serviceAccount:..., reason: why it is exempt}"
            )
        exemptions.append((str(e["member"]), str(e["reason"])))
    return GcpSettings(
        scope=v["scope"],
        scope_id=str(v[id_key]),
        archive_project=v["archiveProject"],
        location=str(v["location"]),
        bucket_name=v["bucketName"]
        or _default_name_fits(stack, f"auditkit-{stack}-{v['archiveProject']}-audit", "gcp.bucketName", gcs_bucket),
        lock=flag("gcp.lock", v["lock"]),
        nearline_days=whole("gcp.nearlineDays", v["nearlineDays"]),
        coldline_days=whole("gcp.coldlineDays", v["coldlineDays"]),
        archive_days=whole("gcp.archiveDays", v["archiveDays"]),
        kms_key_name=v["kmsKeyName"],
        exemptions=tuple(exemptions),
        log_bucket_retention_days=v["logBucketRetentionDays"],
        protect=flag("gcp.protect", v["protect"]),
        sealing=gcp_sealing(v["sealing"], str(v["location"])),
        alerts=gcp_alert_settings(v["alerts"], v["scope"] == "project" or v["logBucketRetentionDays"] is not None),
    )


def parse_settings(
    name: str, config: Mapping[str, Any], aws_region: str | None = None, azure: Mapping[str, Any] | None = None
) -> StackSettings:
    """Settings from the `auditkit:` namespace of a stack's config (keys without the namespace).

    The AWS region is the provider's own `aws:region`, so the program and the provider agree.
    """
    check_keys("", config, TOP_KEYS)
    jurisdictions = config.get("jurisdictions", ["US"])
    if isinstance(jurisdictions, str) or not isinstance(jurisdictions, list):
        raise ConfigError("jurisdictions", jurisdictions, "a list such as [US, CA]")
    minors = flag("minors", config.get("minors", False))
    explicit = config.get("retentionYears")
    retention = resolve_retention(
        jurisdictions, minors, None if explicit is None else whole("retentionYears", explicit)
    )
    clouds = config.get("clouds", ["aws"])
    if not isinstance(clouds, list) or not clouds:
        raise ConfigError("clouds", clouds, f"a non-empty list of {', '.join(CLOUDS)}")
    for cloud in clouds:
        if cloud not in CLOUDS:
            raise ConfigError("clouds", cloud, CLOUDS)
    if not isinstance(aws_region, (str, type(None))):
        raise ConfigError("aws:region", aws_region, "an AWS region name such as us-east-1")
    aws = _aws(config.get("aws"), aws_region or "us-east-1", name) if "aws" in clouds else None
    gcp = _gcp(config.get("gcp"), name) if "gcp" in clouds else None
    provider = azure or {}
    az = (
        azure_settings(
            config.get("azure"),
            provider.get("subscriptionId"),
            provider.get("location"),
            retention,
            provider.get("tenantId"),
        )
        if "azure" in clouds
        else None
    )
    return StackSettings(name, retention, tuple(clouds), aws, gcp, az, review_settings(config.get("review")))


def read_stack_file(
    path: Path, overrides: Mapping[str, Any] | None = None, flags: Mapping[str, str] | None = None
) -> StackSettings:
    """Settings from stacks/Pulumi.<stack>.yaml, as the Pulumi CLI would pass them to the program.

    `overrides` replace `auditkit:` keys (the CLI's --jurisdiction/--minors/--retention-years); `flags`
    names the flag of each (`retentionYears` -> `--retention-years`). Errors name the file, or the flag
    when the refused value came from one.
    """
    from auditkit.settings.stack_file import read_stack_config, stack_error

    stack = read_stack_config(path)
    config = {**stack.auditkit, **(overrides or {})}
    try:
        settings = parse_settings(stack.name, config, stack.aws_region, stack.azure)
    except ConfigError as exc:
        raise stack_error(exc, path, {k: v for k, v in (flags or {}).items() if k in (overrides or {})}) from None
    return replace(settings, source=path)

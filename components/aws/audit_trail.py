"""The audit trail: records management and data events everywhere and delivers them to the archive."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
from pulumi import Input, Output, ResourceOptions

from auditkit.components.aws import rendering
from auditkit.components.aws.log_archive import ImmutableLogArchive
from auditkit.policies.errors import ConfigError
from auditkit.settings.aws_limits import (
    check_bucket_name,
    check_log_retention,
    check_selector_values,
    check_trail_name,
)


@dataclass
class AuditTrailArgs:
    trail_name: str
    # The provider's region and partition (aws.get_region / aws.get_partition), never assumed.
    region: Input[str]
    account_id: Input[str]
    partition: Input[str] = "aws"
    # None: every bucket in the account; else these bucket names only.
    s3_buckets: Sequence[str] | None = None
    lambda_data_events: bool = True
    dynamodb_data_events: bool = True
    organization_trail: bool = False
    cloudwatch_retention_days: int = 365
    tags: dict[str, str] = field(default_factory=dict)
    # Buckets that must never be selected: the archive and its access-log bucket (filled by the stack).
    excluded_buckets: Sequence[Input[str]] = ()
    # Account-scoped; None: /auditkit/<stack>/cloudtrail/<trail>.
    log_group_name: str | None = None

    def __post_init__(self) -> None:
        check_trail_name("aws.trailName", self.trail_name)
        check_log_retention("aws.cloudwatchRetentionDays", self.cloudwatch_retention_days)
        if self.s3_buckets is not None:
            if not self.s3_buckets:
                raise ConfigError("aws.s3DataEvents", [], "'all' or a non-empty list of bucket names")
            for b in self.s3_buckets:
                check_bucket_name("aws.s3DataEvents", b)
        placeholder = ["x"] * len(self.excluded_buckets)
        check_selector_values(
            rendering.selector_value_count(
                # The count does not depend on the partition's name.
                rendering.data_event_selectors(
                    "aws", self.s3_buckets, placeholder, self.lambda_data_events, self.dynamodb_data_events
                )
            )
        )


def trail_arn(partition: Input[str], region: Input[str], account_id: Input[str], trail_name: str) -> Output[str]:
    """A trail's ARN is known before it exists, which lets the archive's policies name it."""
    return Output.concat("arn:", partition, ":cloudtrail:", region, ":", account_id, f":trail/{trail_name}")


class AuditTrail(pulumi.ComponentResource):
    """A multi-region CloudTrail trail with data events, validation, KMS and CloudWatch delivery."""

    trail: aws.cloudtrail.Trail
    log_group: aws.cloudwatch.LogGroup

    def __init__(
        self, name: str, args: AuditTrailArgs, archive: ImmutableLogArchive, opts: ResourceOptions | None = None
    ) -> None:
        super().__init__("auditkit:aws:AuditTrail", name, None, opts)
        child = ResourceOptions(parent=self)
        arn = trail_arn(args.partition, args.region, args.account_id, args.trail_name)

        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-log-group",
            name=args.log_group_name or f"/auditkit/{pulumi.get_stack()}/cloudtrail/{args.trail_name}",
            retention_in_days=args.cloudwatch_retention_days,
            kms_key_id=archive.key.arn,
            tags=args.tags,
            opts=child,
        )
        role = self._cloudwatch_role(name, args, arn)
        selectors = Output.all(args.partition, *args.excluded_buckets).apply(
            lambda v: rendering.data_event_selectors(
                v[0], args.s3_buckets, v[1:], args.lambda_data_events, args.dynamodb_data_events
            )
        )
        self.trail = aws.cloudtrail.Trail(
            f"{name}-trail",
            name=args.trail_name,
            s3_bucket_name=archive.bucket.id,
            is_multi_region_trail=True,
            include_global_service_events=True,
            is_organization_trail=args.organization_trail,
            enable_logging=True,
            enable_log_file_validation=True,
            kms_key_id=archive.key.arn,
            cloud_watch_logs_group_arn=self.log_group.arn.apply(lambda a: f"{a}:*"),
            cloud_watch_logs_role_arn=role.arn,
            advanced_event_selectors=selectors,
            tags=args.tags,
            # CloudTrail checks the bucket policy when the trail is created.
            opts=ResourceOptions(parent=self, depends_on=[archive.bucket_policy]),
        )
        self.register_outputs({"trail_arn": self.trail.arn, "log_group_arn": self.log_group.arn})

    def _cloudwatch_role(self, name: str, args: AuditTrailArgs, arn: Output) -> aws.iam.Role:
        """The role CloudTrail assumes to deliver into the log group."""
        role = aws.iam.Role(
            f"{name}-cloudwatch-role",
            description="CloudTrail delivers events to CloudWatch Logs",
            assume_role_policy=arn.apply(lambda v: json.dumps(rendering.cloudtrail_assume_role_policy(v))),
            tags=args.tags,
            opts=ResourceOptions(parent=self),
        )
        aws.iam.RolePolicy(
            f"{name}-cloudwatch-delivery",
            role=role.id,
            policy=self.log_group.arn.apply(lambda a: json.dumps(rendering.cloudwatch_delivery_policy(a))),
            opts=ResourceOptions(parent=self),
        )
        return role

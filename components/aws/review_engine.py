"""Opt-in (`auditkit:aws.athena: true`): what `auditkit review aws --engine athena` queries the archive with.

- A Glue database and table over the trail's `AWSLogs/` prefix in the shape of AWS's CloudTrail table for
  Athena, with partition projection (Athena User Guide, "Create the table for CloudTrail logs in Athena using
  partition projection"): partitions `region` (enum) and `timestamp` (yyyy/MM/dd), so no partition is ever
  added by hand and a review reads only the days of its period.
- A results bucket: private, TLS-only, SSE-KMS with the archive key, results expiring after `results_days`.
- A workgroup whose settings are enforced (clients cannot override where results go or their encryption),
  with CloudWatch metrics on.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
from pulumi import Input, Output, ResourceOptions

_STRING = "string"
_IDENTITY = (
    "struct<type:string,principalid:string,arn:string,accountid:string,invokedby:string,accesskeyid:string,"
    "username:string,sessioncontext:struct<attributes:struct<mfaauthenticated:string,creationdate:string>,"
    "sessionissuer:struct<type:string,principalid:string,arn:string,accountid:string,username:string>>>"
)
COLUMNS: tuple[tuple[str, str], ...] = (
    ("eventversion", _STRING),
    ("useridentity", _IDENTITY),
    ("eventtime", _STRING),
    ("eventsource", _STRING),
    ("eventname", _STRING),
    ("awsregion", _STRING),
    ("sourceipaddress", _STRING),
    ("useragent", _STRING),
    ("errorcode", _STRING),
    ("errormessage", _STRING),
    ("requestparameters", _STRING),
    ("responseelements", _STRING),
    ("additionaleventdata", _STRING),
    ("requestid", _STRING),
    ("eventid", _STRING),
    ("readonly", _STRING),
    ("resources", "array<struct<arn:string,accountid:string,type:string>>"),
    ("eventtype", _STRING),
    ("apiversion", _STRING),
    ("recipientaccountid", _STRING),
    ("serviceeventdetails", _STRING),
    ("sharedeventid", _STRING),
    ("vpcendpointid", _STRING),
    ("eventcategory", _STRING),
    ("tlsdetails", "struct<tlsversion:string,ciphersuite:string,clientprovidedhostheader:string>"),
)


@dataclass
class ActivityReviewEngineArgs:
    archive_bucket: Input[str]
    archive_key_arn: Input[str]
    account_id: Input[str]
    regions: Sequence[str]
    trail_prefix: str = ""  # the trail's S3KeyPrefix
    organization_id: str | None = None
    results_days: int = 30
    projection_start: str = "2024/01/01"
    database: str = "auditkit_review"
    table: str = "cloudtrail"
    workgroup: str = "auditkit-review"
    tags: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        from auditkit.policies.errors import ConfigError

        if not self.regions:
            raise ConfigError("review_engine.regions", list(self.regions), "at least one region the trail logs")
        if not 1 <= self.results_days <= 365:
            raise ConfigError("review_engine.results_days", self.results_days, "1 to 365 days")


class ActivityReviewEngine(pulumi.ComponentResource):
    database: aws.glue.CatalogDatabase
    table: aws.glue.CatalogTable
    results: aws.s3.Bucket
    workgroup: aws.athena.Workgroup

    def __init__(self, name: str, args: ActivityReviewEngineArgs, opts: ResourceOptions | None = None) -> None:
        super().__init__("auditkit:aws:ActivityReviewEngine", name, None, opts)
        child = ResourceOptions(parent=self)
        tags = {"auditkit:role": "activity-review", **args.tags}
        self.database = aws.glue.CatalogDatabase(f"{name}-database", name=args.database, opts=child)
        self.table = self._table(name, args, child)
        self.results = self._results(name, args, tags, child)
        self.workgroup = aws.athena.Workgroup(
            f"{name}-workgroup",
            name=args.workgroup,
            force_destroy=False,
            configuration={
                "enforce_workgroup_configuration": True,
                "publish_cloudwatch_metrics_enabled": True,
                "result_configuration": {
                    "output_location": Output.concat("s3://", self.results.bucket, "/results/"),
                    "encryption_configuration": {"encryption_option": "SSE_KMS", "kms_key_arn": args.archive_key_arn},
                },
            },
            tags=tags,
            opts=child,
        )
        self.register_outputs(
            {
                "database": self.database.name,
                "table": self.table.name,
                "workgroup": self.workgroup.name,
                "results_bucket": self.results.bucket,
            }
        )

    def _table(self, name: str, args: ActivityReviewEngineArgs, child: ResourceOptions) -> aws.glue.CatalogTable:
        head = f"{args.trail_prefix.strip('/')}/" if args.trail_prefix.strip("/") else ""
        org = f"{args.organization_id}/" if args.organization_id else ""
        base = Output.concat("s3://", args.archive_bucket, "/", head, "AWSLogs/", org, args.account_id, "/CloudTrail/")
        return aws.glue.CatalogTable(
            f"{name}-table",
            name=args.table,
            database_name=self.database.name,
            table_type="EXTERNAL_TABLE",
            partition_keys=[{"name": "region", "type": _STRING}, {"name": "timestamp", "type": _STRING}],
            parameters={
                "classification": "cloudtrail",
                "projection.enabled": "true",
                "projection.region.type": "enum",
                "projection.region.values": ",".join(args.regions),
                "projection.timestamp.type": "date",
                "projection.timestamp.format": "yyyy/MM/dd",
                "projection.timestamp.interval": "1",
                "projection.timestamp.interval.unit": "DAYS",
                "projection.timestamp.range": f"{args.projection_start},NOW",
                "storage.location.template": Output.concat(base, "${region}/${timestamp}"),
            },
            storage_descriptor={
                "location": base,
                "input_format": "com.amazon.emr.cloudtrail.CloudTrailInputFormat",
                "output_format": "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
                "ser_de_info": {"serialization_library": "org.apache.hive.hcatalog.data.JsonSerDe"},
                "columns": [{"name": n, "type": t} for n, t in COLUMNS],
            },
            opts=child,
        )

    def _results(
        self, name: str, args: ActivityReviewEngineArgs, tags: dict[str, str], child: ResourceOptions
    ) -> aws.s3.Bucket:
        bucket = aws.s3.Bucket(f"{name}-results", tags={**tags, "auditkit:role": "athena-results"}, opts=child)
        aws.s3.BucketPublicAccessBlock(
            f"{name}-results-public-access-block",
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-results-sse",
            bucket=bucket.id,
            rules=[
                {
                    "apply_server_side_encryption_by_default": {
                        "sse_algorithm": "aws:kms",
                        "kms_master_key_id": args.archive_key_arn,
                    },
                    "bucket_key_enabled": True,
                }
            ],
            opts=child,
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-results-lifecycle",
            bucket=bucket.id,
            rules=[
                {
                    "id": "expire-query-results",
                    "status": "Enabled",
                    "filter": {"prefix": ""},
                    "expiration": {"days": args.results_days},
                    "abort_incomplete_multipart_upload": {"days_after_initiation": 1},
                }
            ],
            opts=child,
        )
        aws.s3.BucketPolicy(
            f"{name}-results-policy",
            bucket=bucket.id,
            policy=bucket.arn.apply(
                lambda arn: json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Sid": "DenyInsecureTransport",
                                "Effect": "Deny",
                                "Principal": "*",
                                "Action": "s3:*",
                                "Resource": [arn, f"{arn}/*"],
                                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                            }
                        ],
                    }
                )
            ),
            opts=child,
        )
        return bucket


def review_engine(settings: object, aws_settings: object, archive: object) -> ActivityReviewEngine:
    """The stack's review engine over its own archive (components/stack.py, when aws.athena is true)."""
    from auditkit.components.aws.log_archive import ImmutableLogArchive
    from auditkit.settings.stack_settings import AwsSettings, StackSettings

    assert isinstance(settings, StackSettings) and isinstance(aws_settings, AwsSettings)
    assert isinstance(archive, ImmutableLogArchive)
    args = ActivityReviewEngineArgs(
        archive_bucket=archive.bucket.bucket,
        archive_key_arn=archive.key.arn,
        account_id=aws.get_caller_identity_output().account_id,
        regions=[aws_settings.region],
        organization_id=aws_settings.organization_id if aws_settings.organization_trail else None,
        tags={"auditkit:stack": settings.name},
    )
    engine = ActivityReviewEngine("activity-review", args)
    pulumi.export("aws_review_workgroup", engine.workgroup.name)
    return engine

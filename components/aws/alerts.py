"""High-risk activity alerts: the trail's CloudWatch Logs copy examined, not only kept (HIPAA 164.312(b)).

Per alert of the alert catalog (policies/alerts/catalog.py): a metric filter on the trail's log group with
the catalog's pattern, and an alarm on its metric (actions enabled, threshold and period from the catalog)
whose ALARM action publishes to one KMS-encrypted SNS topic; the topic's email and https subscriptions come
from stack settings. GuardDuty with S3 Protection watches for the anomalous access a threshold cannot
express (off-hours, unusual callers). The scan, plan and pack judge what this deploys by what it matches.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
from pulumi import Input, Output, ResourceOptions

from auditkit.components.alert_recipients import recipient_name
from auditkit.policies.alerts.catalog import alerts_on
from auditkit.policies.alerts.model import Alert
from auditkit.policies.aws.alert_judges import S3_PROTECTION
from auditkit.policies.errors import ConfigError
from auditkit.settings.aws_limits import archive_key_alias, check_bucket_name, check_filter_pattern

# A bucket name at its longest (S3 allows 63 characters): the archive's name may be computed at apply.
_LONGEST_BUCKET = "a" * 63


@dataclass
class HighRiskAlertsArgs:
    stack: str
    # The trail's CloudWatch Logs log group (AuditTrail.log_group.name) and its archive bucket.
    log_group_name: Input[str]
    archive_bucket: Input[str]
    account_id: Input[str]
    partition: Input[str] = "aws"
    email: Sequence[str] = ()
    https: Sequence[str] = ()
    # None: the PHI buckets are not named, so the PHI read-volume filter is not deployed (GuardDuty still is).
    phi_buckets: Sequence[str] | None = None
    guard_duty: bool = True
    tags: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        archive_key_alias(self.stack, "alerts")
        if isinstance(self.archive_bucket, str):
            check_bucket_name("aws.archiveBucketName", self.archive_bucket)
        for alert in self.alerts:
            variant = alert.on("aws")
            assert variant is not None
            check_filter_pattern(
                "aws.alerts.phiBuckets", list(self.phi_buckets or ()), variant.render(self.parameters(_LONGEST_BUCKET))
            )
        if not isinstance(self.guard_duty, bool):
            raise ConfigError("aws.alerts.guardDuty", self.guard_duty, "true or false")

    @property
    def key_alias(self) -> str:
        return archive_key_alias(self.stack, "alerts")

    @property
    def namespace(self) -> str:
        """The metrics' CloudWatch namespace: one per stack, so two stacks in one account never share a metric."""
        return f"AuditKit/{self.stack}"

    @property
    def alerts(self) -> tuple[Alert, ...]:
        """The AWS alerts whose filter can be rendered: all of them once the PHI buckets are named."""
        return tuple(
            a for a in alerts_on("aws") if self.phi_buckets or "phi_buckets" not in a.variant("aws").parameters
        )

    def parameters(self, archive: str) -> dict[str, str | Sequence[str]]:
        return {"archive_bucket": archive, **({"phi_buckets": list(self.phi_buckets)} if self.phi_buckets else {})}


def alerts_key_policy(partition: str, account_id: str) -> dict:
    """The topic key's policy: the account administers it; CloudWatch alarms of this account encrypt with it.

    An alarm cannot publish to an SSE-KMS topic unless the key lets cloudwatch.amazonaws.com use it (Amazon
    SNS Developer Guide, "Configure AWS KMS permissions for AWS services"); aws:SourceAccount binds it here.
    """
    root = {"AWS": f"arn:{partition}:iam::{account_id}:root"}
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "AccountAdministers", "Effect": "Allow", "Principal": root, "Action": "kms:*", "Resource": "*"},
            {
                "Sid": "CloudWatchAlarmsPublish",
                "Effect": "Allow",
                "Principal": {"Service": "cloudwatch.amazonaws.com"},
                "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
            },
        ],
    }


class HighRiskAlerts(pulumi.ComponentResource):
    """Metric filters and alarms on the trail's log group, an encrypted topic with subscribers, GuardDuty."""

    topic: aws.sns.Topic
    key: aws.kms.Key
    filters: dict[str, aws.cloudwatch.LogMetricFilter]
    alarms: dict[str, aws.cloudwatch.MetricAlarm]
    detector: aws.guardduty.Detector | None

    def __init__(self, name: str, args: HighRiskAlertsArgs, opts: ResourceOptions | None = None) -> None:
        super().__init__("auditkit:aws:HighRiskAlerts", name, None, opts)
        child = ResourceOptions(parent=self)
        tags = {"auditkit:role": "high-risk-alerts", **args.tags}
        self.key = aws.kms.Key(
            f"{name}-key",
            description="AuditKit high-risk alert topic",
            enable_key_rotation=True,
            policy=Output.all(args.partition, args.account_id).apply(lambda v: json.dumps(alerts_key_policy(*v))),
            tags=tags,
            opts=child,
        )
        aws.kms.Alias(f"{name}-key-alias", name=args.key_alias, target_key_id=self.key.key_id, opts=child)
        self.topic = aws.sns.Topic(
            f"{name}-topic", name=f"auditkit-{args.stack}-alerts", kms_master_key_id=self.key.arn, tags=tags, opts=child
        )
        for protocol, endpoints in (("email", args.email), ("https", args.https)):
            for endpoint in endpoints:
                aws.sns.TopicSubscription(
                    f"{name}-{recipient_name(protocol, endpoint)}",
                    topic=self.topic.arn,
                    protocol=protocol,
                    endpoint=endpoint,
                    opts=child,
                )
        self.filters, self.alarms = {}, {}
        for alert in args.alerts:
            self._alert(name, args, alert, tags)
        self.detector = self._guard_duty(name, tags) if args.guard_duty else None
        self.register_outputs(
            {
                "topic_arn": self.topic.arn,
                "alarms": [a.name for a in self.alarms.values()],
                "detector_id": self.detector.id if self.detector else None,
            }
        )

    def _alert(self, name: str, args: HighRiskAlertsArgs, alert: Alert, tags: dict[str, str]) -> None:
        variant = alert.variant("aws")
        pattern = Output.from_input(args.archive_bucket).apply(lambda b: variant.render(args.parameters(b)))
        metric = aws.cloudwatch.LogMetricFilterMetricTransformationArgs(
            name=alert.id, namespace=args.namespace, value="1"
        )
        self.filters[alert.id] = aws.cloudwatch.LogMetricFilter(
            f"{name}-{alert.slug}-filter",
            name=f"auditkit-{args.stack}-{alert.id}",
            log_group_name=args.log_group_name,
            pattern=pattern,
            metric_transformation=metric,
            opts=ResourceOptions(parent=self),
        )
        cites = "; ".join(alert.citations.hipaa + alert.citations.soc2 + alert.citations.nist)
        self.alarms[alert.id] = aws.cloudwatch.MetricAlarm(
            f"{name}-{alert.slug}-alarm",
            name=f"auditkit-{args.stack}-{alert.id}",
            alarm_description=f"{alert.title}. {alert.risk} ({cites})"[:1024],
            metric_name=alert.id,
            namespace=args.namespace,
            statistic="Sum",
            period=variant.threshold.period_seconds,
            evaluation_periods=1,
            threshold=variant.threshold.count,
            comparison_operator="GreaterThanOrEqualToThreshold",
            # No matching event means no datapoint: that is the quiet state, not an unknown one.
            treat_missing_data="notBreaching",
            actions_enabled=True,
            alarm_actions=[self.topic.arn],
            tags=tags,
            opts=ResourceOptions(parent=self, depends_on=[self.filters[alert.id]]),
        )

    def _guard_duty(self, name: str, tags: dict[str, str]) -> aws.guardduty.Detector:
        detector = aws.guardduty.Detector(
            f"{name}-guardduty",
            enable=True,
            finding_publishing_frequency="FIFTEEN_MINUTES",
            tags=tags,
            opts=ResourceOptions(parent=self),
        )
        aws.guardduty.DetectorFeature(
            f"{name}-guardduty-s3-protection",
            detector_id=detector.id,
            name=S3_PROTECTION,
            status="ENABLED",
            opts=ResourceOptions(parent=self),
        )
        return detector

"""High-risk activity alerts on GCP: the audit logs examined, not only kept (HIPAA 164.312(b)).

Per alert of the alert catalog (policies/alerts/catalog.py): a log-based metric with the catalog's Cloud
Logging filter, and an enabled alert policy with a threshold condition on that metric
(`logging.googleapis.com/user/NAME`, count and window from the catalog) notifying email channels from stack
settings. All of it lives where the audit logs are counted: the project itself for a project-scope stack
(a metric counts the logs that arrive in its project), or the archive project's log bucket that the
aggregated sink routes every audit log to (a bucket-scoped metric, LogMetric.bucketName, counts what is
routed into that bucket from every project below the organization or folder). The scan, plan and pack judge
what this deploys by what it matches (policies/gcp/alert_judges.py).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_gcp as gcp
from pulumi import ResourceOptions

from auditkit.components.alert_recipients import recipient_name
from auditkit.policies.alerts.catalog import alerts_on
from auditkit.policies.alerts.model import Alert
from auditkit.policies.errors import ConfigError
from auditkit.policies.gcp.alert_judges import USER_METRIC
from auditkit.settings.gcp_limits import check_bucket_name, check_project

# LogMetric.name: "limited to 100 characters"; LogMetric.filter: "limited to 20,000 characters"
# (google/logging/v2/logging_metrics.proto).
METRIC_NAME_MAX, FILTER_MAX = 100, 20_000
_METRIC_NAME = re.compile(r"^[A-Za-z0-9_\-.,+!*'()%]+$")


@dataclass
class HighRiskAlertsArgs:
    stack: str
    project: str  # the project the metrics, policies and channels live in
    archive_project: str
    archive_bucket: str
    # projects/P/locations/L/buckets/B: count what an aggregated sink routes there; None: the project's own logs.
    log_bucket: str | None = None
    email: Sequence[str] = ()
    # None: the PHI buckets are not named, so the PHI read-volume metric is not deployed.
    phi_buckets: Sequence[str] | None = None
    labels: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_project("gcp.alerts.project", self.project)
        check_project("gcp.archiveProject", self.archive_project)
        check_bucket_name("gcp.bucketName", self.archive_bucket)
        if self.log_bucket is not None and not self.log_bucket.startswith(f"projects/{self.project}/locations/"):
            raise ConfigError("gcp.alerts.logBucket", self.log_bucket, f"a log bucket of projects/{self.project}")
        for alert in self.alerts:
            name = self.metric_name(alert)
            if len(name) > METRIC_NAME_MAX or not _METRIC_NAME.match(name):
                raise ConfigError(
                    "stack",
                    self.stack,
                    f"a stack name that keeps the metric name {name!r} within 100 letters, digits, _-.",
                )
            query = alert.variant("gcp").render(self.parameters)
            if len(query) > FILTER_MAX:
                raise ConfigError(
                    "gcp.alerts.phiBuckets",
                    list(self.phi_buckets or ()),
                    f"fewer buckets: the filter is {len(query)} characters, at most {FILTER_MAX}",
                )

    @property
    def alerts(self) -> tuple[Alert, ...]:
        """The GCP alerts whose filter can be rendered: all of them once the PHI buckets are named."""
        return tuple(
            a for a in alerts_on("gcp") if self.phi_buckets or "phi_buckets" not in a.variant("gcp").parameters
        )

    @property
    def parameters(self) -> dict[str, str | Sequence[str]]:
        phi = {"phi_buckets": list(self.phi_buckets)} if self.phi_buckets else {}
        return {"archive_project": self.archive_project, "archive_bucket": self.archive_bucket, **phi}

    def metric_name(self, alert: Alert) -> str:
        return f"auditkit-{self.stack}-{alert.id}"


class HighRiskAlerts(pulumi.ComponentResource):
    """Log-based metrics, alert policies on them and the email channels they notify."""

    metrics: dict[str, gcp.logging.Metric]
    policies: dict[str, gcp.monitoring.AlertPolicy]
    channels: list[gcp.monitoring.NotificationChannel]

    def __init__(self, name: str, args: HighRiskAlertsArgs, opts: ResourceOptions | None = None) -> None:
        super().__init__("auditkit:gcp:HighRiskAlerts", name, None, opts)
        child = ResourceOptions(parent=self)
        labels = {"auditkit-role": "high-risk-alerts", **args.labels}
        self.channels = [
            gcp.monitoring.NotificationChannel(
                f"{name}-{recipient_name('email', email)}",
                project=args.project,
                type="email",
                display_name=f"AuditKit {args.stack} alerts: {email}",
                labels={"email_address": email},
                enabled=True,
                user_labels=labels,
                opts=child,
            )
            for email in args.email
        ]
        self.metrics, self.policies = {}, {}
        for alert in args.alerts:
            self._alert(name, args, alert, labels)
        self.register_outputs(
            {
                "metrics": [m.name for m in self.metrics.values()],
                "alert_policies": [p.name for p in self.policies.values()],
                "channels": [c.name for c in self.channels],
            }
        )

    def _alert(self, name: str, args: HighRiskAlertsArgs, alert: Alert, labels: dict[str, str]) -> None:
        variant = alert.variant("gcp")
        metric_name = args.metric_name(alert)
        cites = "; ".join(alert.citations.hipaa + alert.citations.soc2 + alert.citations.nist)
        self.metrics[alert.id] = gcp.logging.Metric(
            f"{name}-{alert.slug}-metric",
            name=metric_name,
            project=args.project,
            bucket_name=args.log_bucket,
            filter=variant.render(args.parameters),
            description=f"AuditKit: {alert.title}"[:8000],
            metric_descriptor={"metric_kind": "DELTA", "value_type": "INT64", "unit": "1"},
            opts=ResourceOptions(parent=self),
        )
        window = f"{variant.threshold.period_seconds}s"
        condition: gcp.monitoring.AlertPolicyConditionArgsDict = {
            "display_name": alert.title,
            "condition_threshold": {
                "filter": f'metric.type="{USER_METRIC}{metric_name}"',
                # At least `count` matching entries in one window: the sum over the window exceeds count - 1.
                "comparison": "COMPARISON_GT",
                "threshold_value": variant.threshold.count - 1,
                "duration": "0s",
                "aggregations": [
                    {
                        "alignment_period": window,
                        "per_series_aligner": "ALIGN_SUM",
                        "cross_series_reducer": "REDUCE_SUM",
                    }
                ],
                "trigger": {"count": 1},
            },
        }
        self.policies[alert.id] = gcp.monitoring.AlertPolicy(
            f"{name}-{alert.slug}-policy",
            project=args.project,
            display_name=f"AuditKit {args.stack}: {alert.title}",
            combiner="OR",
            enabled=True,
            conditions=[condition],
            notification_channels=[c.name for c in self.channels],
            documentation={"content": f"{alert.risk} ({cites})", "mime_type": "text/markdown"},
            user_labels=labels,
            opts=ResourceOptions(parent=self, depends_on=[self.metrics[alert.id]]),
        )

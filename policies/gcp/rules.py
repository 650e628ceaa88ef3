"""The GCP rule table: for each GCP control, its judge, the subject it is judged per, and what it reads.

`auditkit plan` and the pack (policies/gcp/plan_facts.py, crossguard/gcp_policies.py) and the live scan
(auditors/gcp/assess.py) iterate this table. What each kind of subject is, and so what its judges take:

- scope: an organization, folder or project (configs, exemptions allowed, scopes, ancestors).
- any route: where a scope's logs go (route, its archive, whether the scope is a parent, now); the control
  passes on the first route that passes.
- bucket: the Cloud Storage archive a route ends in (LogArchive).
- alert: a scope's high-risk activity alerting (AlertWiring): log-based metrics, alert policies, channels.

Reads are the families the collector records a failure under (auditors/gcp/collect.py): "node"
(GetProject, GetFolder), "iam" (a node's GetIamPolicy), "sinks" (ListSinks), "gs" (GetBucket and its
IAM policy), "archive-iam" (GetIamPolicy of the archive's project), and for the alerts (auditors/gcp/alerts.py)
"metrics" (logging projects.metrics.list), "alert-policies" (monitoring projects.alertPolicies.list),
"channels" (monitoring projects.notificationChannels.list), "archive-project" (GetProject of the archive
bucket's project number); auditors/gcp/scan-role.json grants them.
"""

from __future__ import annotations

from functools import partial

from auditkit.policies.alerts.catalog import alerts_on
from auditkit.policies.alerts.model import Alert
from auditkit.policies.gcp import alert_judges, judges
from auditkit.policies.gcp.seal_protection import seal_protection, seal_protection_summary
from auditkit.policies.rule import EvidenceRule, Rule

DATA_ACCESS = Rule(
    "gcp.audit.data_access",
    judges.data_access,
    per="scope",
    reads=("node", "iam"),
    summary="DATA_READ, DATA_WRITE and ADMIN_READ on for allServices",
)
SINK_EXPORT = Rule(
    "gcp.sink.export",
    judges.route_gaps,
    per="any route",
    reads=("node", "sinks", "gs", "archive-iam"),
    summary=judges.reaches,
)
RETENTION_LOCK = Rule("gcp.bucket.retention_lock", judges.retention_lock, per="bucket", reads=("gs",))
LIFECYCLE = Rule(
    "gcp.bucket.lifecycle",
    judges.archive_lifecycle,
    per="bucket",
    reads=("gs",),
    summary=judges.lifecycle_summary,
)
HARDENING = Rule("gcp.bucket.hardening", judges.hardening, per="bucket", reads=("gs",))
# The seals (`auditkit seal gcp`) under the bucket's locked retention policy, and the sealer unable to delete.
SEAL_PROTECTION = Rule(
    "gcp.archive.seal_protection",
    seal_protection,
    per="bucket",
    reads=("gs", "archive-iam"),
    summary=seal_protection_summary,
)

RULES: tuple[Rule | EvidenceRule, ...] = (
    DATA_ACCESS,
    SINK_EXPORT,
    RETENTION_LOCK,
    LIFECYCLE,
    HARDENING,
    SEAL_PROTECTION,
)
# A scan target that could not be read at all is an ERROR of this control.
WHOLE_TARGET = DATA_ACCESS

# Judged over the sealed archive by `auditkit verify gcp` (auditors/seal/), never by the plan, pack or scan.
ARCHIVE_INTEGRITY = EvidenceRule(
    "gcp.archive.integrity",
    judged_by="auditkit verify gcp",
    per="seal chain",
    reads=("storage.objects.list", "storage.objects.get", "cloudkms.cryptoKeyVersions.viewPublicKey"),
)
RULES = (*RULES, ARCHIVE_INTEGRITY)

# High-risk activity alerts (policies/alerts/catalog.py), one control per alert, judged per "alert": a scope's
# (or a plan's) AlertWiring, by what its log-based metrics match (policies/gcp/alert_judges.py). "node" and
# "sinks": which projects and log buckets receive the scope's audit logs, so which metrics can see them.
ALERT_READS = ("node", "sinks", "metrics", "alert-policies", "channels")
# The archive's project id (GetProject of the archive bucket's project number), for the alerts that name it.
ARCHIVE_READS = ("archive-project",)


def _parameters(alert: Alert) -> tuple[str, ...]:
    variant = alert.on("gcp")
    return variant.parameters if variant else ()


def _alert_rule(alert: Alert) -> Rule:
    return Rule(
        alert.control_id("gcp"),
        partial(alert_judges.alert_gaps, alert.id),
        per="alert",
        reads=ALERT_READS + (ARCHIVE_READS if "archive_project" in _parameters(alert) else ()),
        summary=partial(alert_judges.alert_summary, alert.id),
    )


ALERT_RULES: tuple[Rule, ...] = tuple(_alert_rule(a) for a in alerts_on("gcp"))
RULES = (*RULES, *ALERT_RULES)

"""The AWS rule table: for each AWS control, its judge, the subject it is judged per, and what it reads.

`auditkit plan` and the pack (policies/aws/plan_facts.py, crossguard/aws_policies.py) and the live
scan (auditors/aws/assess.py) iterate this table. What each kind of subject is, and so what its judges take:

- trail: one trail (TrailFacts); in the pack, a resource policy on the trail.
- any trail: one trail; the control passes on the first trail that passes, and fails on the account.
- account: every trail that records; coverage is judged over their union.
- bucket: the trails, the buckets in scope (name -> ARN space) and their region (None in a plan).
- archive: a trail's log archive (LogArchive).
- log chain: judged over the delivered logs by `auditkit verify aws`.
- alert: the account's high-risk activity alerting (AlertWiring): filters, alarms, topics, GuardDuty.

Reads are the API operations as the collector records a failure (Failure.operation); the least-privilege
policy (auditors/aws/scan-policy.json) grants each of them.
"""

from __future__ import annotations

from functools import partial

from auditkit.policies.alerts.catalog import alerts_on
from auditkit.policies.alerts.model import Alert
from auditkit.policies.aws import alert_judges, judges
from auditkit.policies.rule import EvidenceRule, Rule

# What a coverage verdict rests on: every region's trails, each one's status and selectors.
TRAIL_READS = ("DescribeRegions", "DescribeTrails", "GetTrailStatus", "GetEventSelectors")

MULTI_REGION = Rule(
    "aws.trail.multi_region",
    judges.multi_region,
    per="any trail",
    reads=("GetCallerIdentity", *TRAIL_READS),
    summary=judges.records_everywhere,
)
LOGGING = Rule(
    "aws.trail.logging",
    judges.logging,
    per="trail",
    reads=("DescribeTrails", "GetTrailStatus"),
    summary=judges.delivering,
)
S3_DATA_EVENTS = Rule(
    "aws.trail.s3_data_events",
    judges.s3_data_events,
    per="bucket",
    reads=(*TRAIL_READS, "ListBuckets", "GetResources", "GetBucketLogging", "GetBucketLocation"),
)
LAMBDA_DATA_EVENTS = Rule("aws.trail.lambda_data_events", judges.lambda_data_events, per="account", reads=TRAIL_READS)
DYNAMODB_DATA_EVENTS = Rule(
    "aws.trail.dynamodb_data_events", judges.dynamodb_data_events, per="account", reads=TRAIL_READS
)
LOG_VALIDATION = Rule("aws.trail.log_validation", judges.log_validation, per="trail", reads=("DescribeTrails",))
# GetCallerIdentity: whether the trail's key is this account's to describe (and so what manages it).
KMS = Rule("aws.trail.kms", judges.kms, per="trail", reads=("DescribeTrails", "DescribeKey", "GetCallerIdentity"))
CLOUDWATCH = Rule("aws.trail.cloudwatch", judges.cloudwatch, per="trail", reads=("DescribeTrails", "GetTrailStatus"))
INTEGRITY = EvidenceRule(
    "aws.trail.integrity",
    judged_by="auditkit verify aws",
    per="log chain",
    reads=("DescribeTrails", "GetTrailStatus", "ListPublicKeys", "ListObjectsV2", "GetObject", "ListObjectVersions"),
)
OBJECT_LOCK = Rule("aws.bucket.object_lock", judges.object_lock, per="archive", reads=("GetObjectLockConfiguration",))
LIFECYCLE = Rule(
    "aws.bucket.lifecycle",
    judges.archive_lifecycle,
    per="archive",
    reads=("GetBucketLifecycleConfiguration",),
    summary=judges.lifecycle_summary,
)
HARDENING = Rule(
    "aws.bucket.hardening",
    judges.hardening,
    per="archive",
    # GetPublicAccessBlock twice over: the bucket's (s3) and the account's (s3control); DescribeKey: its key's
    # manager, described in the bucket's region (GetBucketLocation) unless the key's ARN names one.
    reads=(
        "GetBucketVersioning",
        "GetPublicAccessBlock",
        "GetBucketPolicy",
        "GetBucketEncryption",
        "DescribeKey",
        "GetBucketLocation",
    ),
    summary="versioned, private, TLS-only, CloudTrail can write, SSE-KMS with a customer-managed key",
)

RULES: tuple[Rule | EvidenceRule, ...] = (
    MULTI_REGION,
    LOGGING,
    S3_DATA_EVENTS,
    LAMBDA_DATA_EVENTS,
    DYNAMODB_DATA_EVENTS,
    LOG_VALIDATION,
    KMS,
    CLOUDWATCH,
    INTEGRITY,
    OBJECT_LOCK,
    LIFECYCLE,
    HARDENING,
)
# An account that could not be entered or read is an ERROR of this control: every account must pass it first.
WHOLE_ACCOUNT = MULTI_REGION

# High-risk activity alerts (policies/alerts/catalog.py), one control per alert, judged per "alert": the
# account's (or plan's) AlertWiring, by what its metric filters match (policies/aws/alert_judges.py).
ALERT_READS = ("DescribeTrails", "DescribeMetricFilters", "DescribeAlarms", "ListSubscriptionsByTopic")
# Which buckets hold PHI is the scan's bucket scope (less the trails' destinations and the archive's
# access-log bucket, known from GetBucketLogging); GuardDuty S3 Protection watches them for anomalies.
PHI_READS = ("ListBuckets", "GetResources", "GetBucketLogging", "ListDetectors", "GetDetector")


def _alert_rule(alert: Alert) -> Rule:
    return Rule(
        alert.control_id("aws"),
        partial(alert_judges.alert_gaps, alert.id),
        per="alert",
        reads=ALERT_READS + (PHI_READS if alert.id == alert_judges.PHI_READ_VOLUME else ()),
        summary=partial(alert_judges.alert_summary, alert.id),
    )


ALERT_RULES: tuple[Rule, ...] = tuple(_alert_rule(a) for a in alerts_on("aws"))
RULES = (*RULES, *ALERT_RULES)

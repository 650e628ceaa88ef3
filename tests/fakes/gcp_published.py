"""A GCP organization as Google's APIs return it, built from the published shapes (never from our renderer).

Sources, cited per builder:
- Default sinks and buckets: cloud.google.com/logging/docs/routing/overview#default-sinks and
  /logging/docs/buckets (`_Required`: 400 days, cannot be changed; `_Default`: 30 days, unlocked), with the
  filters the docs print; LogSink fields from googleapis google/logging/v2/logging_config.proto.
- Sink writer identities: /logging/docs/export/configure_export_v2#dest-auth
  (service-PROJECT_NUMBER@gcp-sa-logging / oORG_NUMBER-...@gcp-sa-logging).
- Buckets: cloud.google.com/storage/docs/json_api/v1/buckets#resource (projectNumber, retentionPeriod and
  metageneration as strings, iamConfiguration, autoclass, lifecycle.rule[].condition).
- IAM: google/iam/v1/policy.proto (version 3; Binding.condition is a google.type.Expr) and the legacy
  convenience bindings every bucket gets (cloud.google.com/storage/docs/access-control/iam-roles#legacy-roles).
"""

from __future__ import annotations

from collections.abc import Iterable

_AUDIT_IDS = ("activity", "system_event", "access_transparency")
REQUIRED_FILTER = " OR ".join(
    f'LOG_ID("{source}.googleapis.com/{t}")' for t in _AUDIT_IDS for source in ("cloudaudit", "externalaudit")
)
DEFAULT_FILTER = " AND ".join(
    f'NOT LOG_ID("{source}.googleapis.com/{t}")' for t in _AUDIT_IDS for source in ("cloudaudit", "externalaudit")
)
AUDIT_FILTER = 'logName:"cloudaudit.googleapis.com"'
WRITER = "roles/storage.objectCreator"


def default_sinks(parent: str) -> list[dict]:
    """_Required and _Default as sinks.list returns them for any project, folder or organization."""
    return [
        {
            "name": "_Required",
            "destination": f"logging.googleapis.com/{parent}/locations/global/buckets/_Required",
            "filter": REQUIRED_FILTER,
            "createTime": "2021-03-01T17:04:12.518930Z",
            "updateTime": "2021-03-01T17:04:12.518930Z",
        },
        {
            "name": "_Default",
            "destination": f"logging.googleapis.com/{parent}/locations/global/buckets/_Default",
            "filter": DEFAULT_FILTER,
            "createTime": "2021-03-01T17:04:12.674383Z",
            "updateTime": "2021-03-01T17:04:12.674383Z",
        },
    ]


def writer_for(parent: str, number: str) -> str:
    kind = parent.split("/")[0]
    if kind == "projects":
        return f"serviceAccount:service-{number}@gcp-sa-logging.iam.gserviceaccount.com"
    prefix = {"organizations": "o", "folders": "f"}[kind]
    return f"serviceAccount:{prefix}{parent.split('/')[1]}-{number}@gcp-sa-logging.iam.gserviceaccount.com"


def sink(
    parent: str,
    name: str,
    destination: str,
    *,
    filter_: str = AUDIT_FILTER,
    writer: str | None = None,
    include_children: bool = False,
    intercept_children: bool = False,
    disabled: bool = False,
    exclusions: Iterable[dict] = (),
) -> dict:
    """A LogSink as projects|folders|organizations.sinks.list returns it (REST v2, camelCase)."""
    body = {
        "name": name,
        "destination": destination,
        "filter": filter_,
        "writerIdentity": writer or writer_for(parent, "812345678901"),
        "includeChildren": include_children,
        "createTime": "2024-05-02T09:12:44.112233Z",
        "updateTime": "2024-05-02T09:12:44.112233Z",
    }
    if intercept_children:
        body["interceptChildren"] = True
    if disabled:
        body["disabled"] = True
    if exclusions:
        body["exclusions"] = list(exclusions)
    return body


def audit_all_services() -> list[dict]:
    """AuditConfig for allServices with every log type on (policy.proto AuditConfig/AuditLogConfig)."""
    return [
        {
            "service": "allServices",
            "auditLogConfigs": [{"logType": t} for t in ("ADMIN_READ", "DATA_READ", "DATA_WRITE")],
        }
    ]


def tiered_lifecycle(retention_days: int) -> dict:
    return {
        "rule": [
            {"action": {"type": "SetStorageClass", "storageClass": c}, "condition": {"age": a, "isLive": True}}
            for a, c in ((30, "NEARLINE"), (90, "COLDLINE"), (365, "ARCHIVE"))
        ]
        + [{"action": {"type": "Delete"}, "condition": {"age": retention_days}}]
    }


def bucket(
    project_number: str,
    *,
    retention_seconds: str = "220924800",
    locked: bool = True,
    lifecycle: dict | None = None,
    storage_class: str = "STANDARD",
    autoclass: bool = False,
) -> dict:
    """A buckets.get answer: int64 fields are JSON strings, times RFC 3339."""
    body = {
        "selfLink": "https://www.googleapis.com/storage/v1/b/NAME",
        "projectNumber": project_number,
        "metageneration": "4",
        "location": "US",
        "locationType": "multi-region",
        "storageClass": storage_class,
        "etag": "CAQ=",
        "timeCreated": "2024-05-02T09:10:01.771Z",
        "updated": "2024-05-02T09:14:19.035Z",
        "retentionPolicy": {
            "retentionPeriod": retention_seconds,
            "effectiveTime": "2024-05-02T09:10:01.771Z",
            **({"isLocked": True} if locked else {}),
        },
        "iamConfiguration": {
            "bucketPolicyOnly": {"enabled": True, "lockedTime": "2024-07-31T09:10:01.771Z"},
            "uniformBucketLevelAccess": {"enabled": True, "lockedTime": "2024-07-31T09:10:01.771Z"},
            "publicAccessPrevention": "enforced",
        },
        "softDeletePolicy": {"retentionDurationSeconds": "604800", "effectiveTime": "2024-05-02T09:10:01.771Z"},
        "lifecycle": lifecycle if lifecycle is not None else tiered_lifecycle(2557),
    }
    if autoclass:
        body["autoclass"] = {
            "enabled": True,
            "toggleTime": "2024-05-02T09:10:01.771Z",
            "terminalStorageClass": "ARCHIVE",
            "terminalStorageClassUpdateTime": "2024-05-02T09:10:01.771Z",
        }
    return body


def bucket_bindings(project_id: str, *extra: dict) -> list[dict]:
    """The convenience bindings every bucket has, then the given ones."""
    return [
        {
            "role": "roles/storage.legacyBucketOwner",
            "members": [f"projectEditor:{project_id}", f"projectOwner:{project_id}"],
        },
        {"role": "roles/storage.legacyBucketReader", "members": [f"projectViewer:{project_id}"]},
        *extra,
    ]


def grant(role: str, member: str, expression: str | None = None, title: str = "temporary") -> dict:
    body = {"role": role, "members": [member]}
    if expression:
        body["condition"] = {"title": title, "expression": expression}
    return body


# Alerting, as projects.metrics.list (Logging v2) and projects.alertPolicies.list /
# projects.notificationChannels.list (Monitoring v3) return it, camelCase REST JSON of:
# - googleapis google/logging/v2/logging_metrics.proto LogMetric (name is the metric id, not a path;
#   bucketName "projects/P/locations/L/buckets/B" for a bucket-scoped metric; metricDescriptor filled by Logging;
#   cloud.google.com/logging/docs/reference/v2/rest/v2/projects.metrics#LogMetric);
# - google/monitoring/v3/alert.proto AlertPolicy (name projects/P/alertPolicies/ID, conditions[].name,
#   conditionThreshold with aggregations, comparison, thresholdValue, duration, trigger; enabled "should always be
#   populated on List and Get"; creationRecord/mutationRecord; cloud.google.com/monitoring/api/ref_v3/rest/v3/
#   projects.alertPolicies#AlertPolicy);
# - google/monitoring/v3/notification.proto NotificationChannel (type "email", labels.email_address partly masked
#   on read: "Fields containing sensitive information ... are only partially populated on retrieval";
#   verificationStatus, enabled; cloud.google.com/monitoring/api/ref_v3/rest/v3/projects.notificationChannels).
_RECORD = {"mutateTime": "2024-05-02T09:20:31.004512Z", "mutatedBy": "terraform@acme-audit.iam.gserviceaccount.com"}


def log_metric(project: str, name: str, filter_: str, *, bucket: str | None = None, disabled: bool = False) -> dict:
    """A counter log-based metric (DELTA INT64, unit "1") as projects.metrics.list returns it."""
    body = {
        "name": name,
        "description": "",
        "filter": filter_,
        "metricDescriptor": {
            "name": f"{project}/metricDescriptors/logging.googleapis.com/user/{name}",
            "type": f"logging.googleapis.com/user/{name}",
            "metricKind": "DELTA",
            "valueType": "INT64",
            "unit": "1",
            "description": "",
            "monitoredResourceTypes": ["global"],
        },
        "createTime": "2024-05-02T09:18:02.441376Z",
        "updateTime": "2024-05-02T09:18:02.441376Z",
    }
    if bucket:
        body["bucketName"] = bucket
    if disabled:
        body["disabled"] = True
    return body


def alert_policy(
    project: str,
    policy_id: str,
    metric: str,
    channels: Iterable[str],
    *,
    enabled: bool | None = True,
    threshold: float = 0,
    filter_: str | None = None,
) -> dict:
    """An alert policy with one threshold condition on a log-based metric, as alertPolicies.list returns it."""
    name = f"{project}/alertPolicies/{policy_id}"
    body: dict = {
        "name": name,
        "displayName": f"alert on {metric}",
        "combiner": "OR",
        "creationRecord": _RECORD,
        "mutationRecord": _RECORD,
        "conditions": [
            {
                "name": f"{name}/conditions/{policy_id}1",
                "displayName": f"{metric} > {threshold:g}",
                "conditionThreshold": {
                    "filter": filter_
                    or f'metric.type="logging.googleapis.com/user/{metric}" AND resource.type="global"',
                    "aggregations": [
                        {"alignmentPeriod": "300s", "perSeriesAligner": "ALIGN_SUM", "crossSeriesReducer": "REDUCE_SUM"}
                    ],
                    "comparison": "COMPARISON_GT",
                    "thresholdValue": threshold,
                    "duration": "0s",
                    "trigger": {"count": 1},
                },
            }
        ],
        "notificationChannels": list(channels),
    }
    if enabled is not None:
        body["enabled"] = enabled
    return body


def email_channel(
    project: str, channel_id: str, *, enabled: bool | None = True, verification: str | None = "VERIFIED"
) -> dict:
    """An email notification channel as notificationChannels.list returns it (the address partly masked)."""
    body: dict = {
        "type": "email",
        "displayName": "Security on-call",
        "labels": {"email_address": "s*******@acme.example"},
        "name": f"{project}/notificationChannels/{channel_id}",
        "creationRecord": _RECORD,
        "mutationRecords": [_RECORD],
    }
    if verification is not None:
        body["verificationStatus"] = verification
    if enabled is not None:
        body["enabled"] = enabled
    return body

"""The control catalog: every control AuditKit enforces, with its citations, in one place.

Control ids are the join key across the components, the policy pack, the drift
auditor and every report format. Never rename one.
"""

from __future__ import annotations

from auditkit.policies.alerts.catalog import alerts_on
from auditkit.policies.alerts.model import Alert
from auditkit.policies.controls import Citations, Control, Enforcement, Severity
from auditkit.policies.errors import ConfigError

_AUDIT = "45 CFR 164.312(b)"
_REVIEW = "45 CFR 164.308(a)(1)(ii)(D)"
_INTEGRITY = "45 CFR 164.312(c)(1)"
_INTEGRITY_MECH = "45 CFR 164.312(c)(2)"
_RETENTION = "45 CFR 164.316(b)(2)(i)"
_ENCRYPTION = "45 CFR 164.312(a)(2)(iv)"
_ACCESS = "45 CFR 164.312(a)(1)"
_TRANSMISSION = "45 CFR 164.312(e)(1)"

M, A = Enforcement.MANDATORY, Enforcement.ADVISORY

_AWS = (
    Control(
        "aws.trail.multi_region",
        "A multi-region trail records management events, read and write",
        Severity.HIGH,
        M,
        "Control-plane changes (IAM, bucket policies, key policies) happen in every region; a single-region "
        "or write-only trail leaves who-changed-access unrecorded.",
        "Set is_multi_region_trail, include_global_service_events and log all management events (no readOnly filter).",
        Citations((_AUDIT, _REVIEW), ("CC7.2", "CC6.3", "CC8.1"), ("AU-2", "AU-12", "CM-3")),
    ),
    Control(
        "aws.trail.logging",
        "The trail is actually logging",
        Severity.CRITICAL,
        M,
        "A stopped trail records nothing while every other setting still looks compliant.",
        "Run StartLogging on the trail (enable_logging=true) and alert on StopLogging.",
        Citations((_AUDIT,), ("CC7.2",), ("AU-12", "AU-5")),
    ),
    Control(
        "aws.trail.s3_data_events",
        "S3 object-level reads and writes are recorded for every bucket in scope",
        Severity.HIGH,
        M,
        "Object reads are how ePHI leaves; CloudTrail does not record them unless data events are selected, "
        "and a read-only or write-only selector records half of the activity.",
        "Add an advanced event selector with eventCategory=Data, resources.type=AWS::S3::Object and no readOnly "
        "filter, covering every bucket in scope (excluding only the trail's own destination buckets).",
        Citations((_AUDIT, _REVIEW), ("CC7.2", "CC6.1"), ("AU-2", "AU-12")),
    ),
    Control(
        "aws.trail.lambda_data_events",
        "Lambda invocations are recorded",
        Severity.MEDIUM,
        A,
        "Functions that process ePHI act on behalf of users; invocation records tie data access to callers.",
        "Add an advanced event selector with eventCategory=Data and resources.type=AWS::Lambda::Function.",
        Citations((_AUDIT,), ("CC7.2",), ("AU-2", "AU-12")),
    ),
    Control(
        "aws.trail.dynamodb_data_events",
        "DynamoDB item-level activity is recorded",
        Severity.MEDIUM,
        A,
        "Item reads and writes on tables holding ePHI are data access the Security Rule asks to record.",
        "Add an advanced event selector with eventCategory=Data and resources.type=AWS::DynamoDB::Table.",
        Citations((_AUDIT,), ("CC7.2",), ("AU-2", "AU-12")),
    ),
    Control(
        "aws.trail.log_validation",
        "Log file integrity validation (signed digest hash chain) is on",
        Severity.HIGH,
        M,
        "Digest files let an auditor prove no log file was altered or deleted after delivery.",
        "Set enable_log_file_validation=true.",
        Citations((_INTEGRITY, _INTEGRITY_MECH), ("CC7.2", "CC6.1"), ("AU-9", "AU-10")),
    ),
    Control(
        "aws.trail.kms",
        "Log files are encrypted with a customer-managed KMS key",
        Severity.MEDIUM,
        M,
        "Audit records contain identifiers of patients' data; a customer key adds an access check and a usage "
        "log on every decrypt.",
        "Set the trail's kms_key_id to a customer-managed key with rotation enabled.",
        Citations((_ENCRYPTION,), ("CC6.1",), ("SC-28", "AU-9")),
    ),
    Control(
        "aws.trail.cloudwatch",
        "The trail delivers to CloudWatch Logs for alerting",
        Severity.MEDIUM,
        A,
        "Information system activity review needs events where alarms can fire within minutes, not in an archive.",
        "Set cloud_watch_logs_group_arn and cloud_watch_logs_role_arn; keep the log group's retention set.",
        Citations((_REVIEW, _AUDIT), ("CC7.2", "CC7.3"), ("AU-6", "SI-4")),
    ),
    Control(
        "aws.trail.integrity",
        "Every hour of CloudTrail logs in the audit window is present and unaltered (signed digest chain verified)",
        Severity.CRITICAL,
        M,
        "A validation flag that is on proves nothing about the logs themselves: a deleted or edited log file, a "
        "removed digest hour or a forged file is only found by walking CloudTrail's signed digest chain.",
        "Run `auditkit verify aws` daily with a checkpoint; restore deleted versions from the Object Lock archive, "
        "investigate who altered or removed objects (S3 data events on the archive), and keep the trail logging.",
        Citations((_INTEGRITY, _INTEGRITY_MECH, _AUDIT), ("CC7.2", "CC7.3"), ("AU-9", "AU-10")),
    ),
    Control(
        "aws.bucket.object_lock",
        "The log archive has Object Lock in COMPLIANCE mode with default retention >= the required retention",
        Severity.CRITICAL,
        M,
        "GOVERNANCE mode can be bypassed with a permission; only COMPLIANCE makes the records write-once for "
        "the whole legal retention, even against the root user.",
        "Enable Object Lock with a COMPLIANCE default retention of at least the required years.",
        Citations((_INTEGRITY, _RETENTION), ("CC6.1", "CC7.2"), ("AU-9", "AU-11")),
    ),
    Control(
        "aws.bucket.lifecycle",
        "The log archive is tiered and nothing expires before the required retention",
        Severity.HIGH,
        M,
        "A lifecycle expiry shorter than the legal retention silently destroys records the law requires.",
        "Use transitions to colder classes and set every expiration to at least the required retention days.",
        Citations((_RETENTION,), ("CC7.2", "C1.2"), ("AU-11", "SI-12")),
    ),
    Control(
        "aws.bucket.hardening",
        "The log archive is versioned, private, TLS-only and encrypted with SSE-KMS",
        Severity.HIGH,
        M,
        "Audit logs are evidence; they must not be readable by the public, over plaintext, or without a key check.",
        "Enable versioning, block all public access, deny aws:SecureTransport=false, and default to SSE-KMS.",
        Citations((_ACCESS, _TRANSMISSION, _ENCRYPTION), ("CC6.1", "CC6.7"), ("AC-3", "SC-8", "SC-28")),
    ),
)

_GCP = (
    Control(
        "gcp.audit.data_access",
        "Data Access audit logs (DATA_READ, DATA_WRITE, ADMIN_READ) are on for allServices",
        Severity.HIGH,
        M,
        "GCP turns Data Access logs off by default (BigQuery aside): reads of ePHI in Cloud Storage, Cloud SQL or "
        "the Healthcare API are unrecorded until an audit config asks for them.",
        "Add an IAM audit config for allServices with DATA_READ, DATA_WRITE and ADMIN_READ at the organization, "
        "folder or project; exempt members only with a recorded reason.",
        Citations((_AUDIT, _REVIEW), ("CC7.2", "CC6.1"), ("AU-2", "AU-12")),
    ),
    Control(
        "gcp.sink.export",
        "A sink exports every audit log to the archive, its writer granted only object creation",
        Severity.HIGH,
        M,
        "Cloud Logging keeps Data Access logs 30 days; the legal retention needs an export to storage nobody can shorten.",
        'Create a sink with filter logName:"cloudaudit.googleapis.com" to the archive bucket (include children at '
        "organization or folder scope) and grant its writer identity roles/storage.objectCreator only.",
        Citations((_AUDIT, _RETENTION), ("CC7.2",), ("AU-4", "AU-9", "AU-11")),
    ),
    Control(
        "gcp.bucket.retention_lock",
        "The archive bucket has a locked retention policy >= the required retention",
        Severity.CRITICAL,
        M,
        "An unlocked retention policy can be shortened or removed; a locked one makes audit logs write-once for its period.",
        "Set a retention policy of at least the required seconds and lock it (irreversible).",
        Citations((_INTEGRITY, _RETENTION), ("CC6.1", "CC7.2"), ("AU-9", "AU-11")),
    ),
    Control(
        "gcp.bucket.lifecycle",
        "No lifecycle rule deletes log blobs before the required retention",
        Severity.HIGH,
        M,
        "A Delete rule younger than the legal retention destroys records the law requires.",
        "Use SetStorageClass NEARLINE/COLDLINE/ARCHIVE and Delete only at age >= the required retention days.",
        Citations((_RETENTION,), ("CC7.2", "C1.2"), ("AU-11", "SI-12")),
    ),
    Control(
        "gcp.bucket.hardening",
        "The archive has uniform access, enforced public access prevention, CMEK when configured, and overwrite protection",
        Severity.HIGH,
        M,
        "Audit logs are evidence: no ACL surprises, no public reads, the customer's key when the stack names one.",
        "Enable uniform bucket-level access, set public_access_prevention=enforced, set the CMEK key; keep versioning "
        "or a retention policy (GCS allows only one of the two).",
        Citations((_ACCESS, _ENCRYPTION), ("CC6.1",), ("AC-3", "AC-6", "SC-28")),
    ),
    Control(
        "gcp.archive.seal_protection",
        "The archive's seals are under its locked retention policy and the sealing identity cannot delete",
        Severity.HIGH,
        M,
        "Seals prove each hour complete only while they cannot be removed or replaced: a seal outside a locked "
        "retention policy, or a sealer that may delete or overwrite, could rewrite the chain along with the logs.",
        "Lock the bucket's retention policy (it covers every object, auditkit-seals/ included); grant the sealing "
        "service account only roles/storage.objectViewer and roles/storage.objectCreator conditioned on "
        "auditkit-seals/ (gcp.sealing in the stack settings does), nothing else on the bucket or its project.",
        Citations((_INTEGRITY, _INTEGRITY_MECH), ("CC6.1", "CC7.2"), ("AU-9", "AC-6", "SI-7")),
    ),
    Control(
        "gcp.archive.integrity",
        "Every hour of the GCS log archive is sealed, and the objects are as sealed (signed Merkle seal chain verified)",
        Severity.CRITICAL,
        M,
        "A locked retention policy is a policy-only control: it says objects cannot be changed, not that none was "
        "removed or slipped in before the lock held. Google signs nothing in a sink's output; only AuditKit's hourly "
        "seals (a Merkle root over every object, signed by a Cloud KMS HSM key, chained) prove each hour complete.",
        "Run `auditkit seal gcp` hourly under a sealing service account that may only sign, list, read and create "
        "under auditkit-seals/; run `auditkit verify gcp` daily with a checkpoint; investigate altered, missing or "
        "slipped-in objects and any hour without a seal (Cloud Storage data access logs of the archive).",
        Citations((_INTEGRITY, _INTEGRITY_MECH), ("CC7.2",), ("AU-9", "AU-10", "SI-7")),
    ),
)

_AZURE = (
    Control(
        "azure.activity_log.export",
        "A subscription diagnostic setting exports every Activity Log category",
        Severity.HIGH,
        M,
        "Azure keeps the Activity Log 90 days; who changed access, keys and policies must be kept for the legal retention.",
        "Create a subscription diagnostic setting with Administrative, Security, ServiceHealth, Alert, Recommendation, "
        "Policy, Autoscale and ResourceHealth to the immutable archive storage account (and a workspace for queries); "
        "categories may be split over several settings to the same archive. A workspace alone does not count.",
        Citations((_AUDIT, _REVIEW), ("CC7.2", "CC6.3", "CC8.1"), ("AU-2", "AU-11", "AU-12")),
    ),
    Control(
        "azure.diagnostics.resources",
        "Every ePHI resource in scope sends its audit logs to the immutable archive",
        Severity.HIGH,
        M,
        "Azure collects no resource logs until a diagnostic setting asks: Key Vault, Storage, SQL, FHIR and Cosmos DB "
        "access to ePHI is otherwise unrecorded.",
        "Add a diagnostic setting with category group 'audit' (or 'allLogs', or every category Azure lists in the "
        "type's audit group) to the archive storage account; a workspace alone is not immutable. SQL: audit the server "
        "to Azure Monitor with a SQLSecurityAuditEvents setting on its master database, or the database with one on it.",
        Citations((_AUDIT, _REVIEW), ("CC7.2", "CC6.1"), ("AU-2", "AU-12")),
    ),
    Control(
        "azure.storage.immutability",
        "Every log container is under a locked immutability policy >= the required retention (its own or the account's)",
        Severity.CRITICAL,
        M,
        "An unlocked immutability policy can be shortened or deleted; only a locked one makes the logs write-once.",
        "Set a container immutability policy (or an account-level version immutability policy, which also covers "
        "containers created later) of at least the required days with protected append writes, then lock it.",
        Citations((_INTEGRITY, _RETENTION), ("CC6.1", "CC7.2"), ("AU-9", "AU-11")),
    ),
    Control(
        "azure.storage.lifecycle",
        "No lifecycle rule deletes log blobs before the required retention",
        Severity.HIGH,
        M,
        "A lifecycle delete shorter than the legal retention destroys records the law requires. Azure Monitor writes "
        "append blobs in insights-* containers, which lifecycle management can delete but never tier: only deletes "
        "whose blobTypes and prefixMatch can reach them are judged, and tiering is not claimed for logs.",
        "Delete appendBlob (and any insights-* prefix) only after the required retention days; tier block blobs "
        "cool -> cold -> archive where cost matters.",
        Citations((_RETENTION,), ("CC7.2", "C1.2"), ("AU-11", "SI-12")),
    ),
    Control(
        "azure.storage.hardening",
        "The archive account is HTTPS-only, TLS 1.2+, without public blob access or shared keys",
        Severity.HIGH,
        M,
        "Audit logs are evidence: no plaintext transport, no anonymous reads, no account keys that bypass Entra ID.",
        "Set supportsHttpsTrafficOnly, minimumTlsVersion TLS1_2, allowBlobPublicAccess false and allowSharedKeyAccess false.",
        Citations((_ACCESS, _TRANSMISSION), ("CC6.1", "CC6.7"), ("AC-3", "SC-8", "IA-2")),
    ),
    Control(
        "azure.workspace.retention",
        "Log Analytics audit tables keep the required retention (capped at the 12-year maximum)",
        Severity.MEDIUM,
        A,
        "The workspace is where alerts and investigations run; its retention must be a decision, and anything beyond "
        "its 12-year ceiling has to come from the immutable archive.",
        "Set the workspace's retentionInDays (30-730) and each audit table's totalRetentionInDays to the required "
        "days, at most 4383 (12 years); the immutable archive keeps anything longer.",
        Citations((_REVIEW,), ("CC7.2", "CC7.3"), ("AU-6", "AU-11")),
    ),
    Control(
        "azure.archive.seal_protection",
        "The archive's seals are under a locked immutability policy and the sealing identity cannot delete",
        Severity.HIGH,
        M,
        "Seals prove each hour complete only while they cannot be removed or replaced: a seal in a container "
        "without a locked immutability policy, or a sealer that may delete, move or write elsewhere, could "
        "rewrite the chain along with the logs.",
        "Lock the immutability policy of every sealed container (or the account's version-level policy); give the "
        "sealing identity only blob read and blobs/write and blobs/add/action confined by its assignment's "
        "condition to auditkit-seals/ (azure.sealing in the stack settings does), no other role on the account.",
        Citations((_INTEGRITY, _INTEGRITY_MECH), ("CC6.1", "CC7.2"), ("AU-9", "AC-6", "SI-7")),
    ),
    Control(
        "azure.archive.integrity",
        "Every hour of the Azure log container is sealed, and the blobs are as sealed (signed Merkle seal chain verified)",
        Severity.CRITICAL,
        M,
        "An immutability policy is a policy-only control, and Azure Monitor's append blobs keep growing until their "
        "hour ends; nothing Microsoft writes is signed. Only AuditKit's hourly seals (a Merkle root over every blob "
        "of a closed hour, signed by a Key Vault key, chained) prove each hour complete and unaltered.",
        "Run `auditkit seal azure` hourly under a sealing identity with Key Vault sign on one key, blob read/list and "
        "create-only writes under auditkit-seals/; run `auditkit verify azure` daily with a checkpoint; investigate "
        "altered, missing or slipped-in blobs and any hour without a seal (StorageWrite/StorageDelete logs).",
        Citations((_INTEGRITY, _INTEGRITY_MECH), ("CC7.2",), ("AU-9", "AU-10", "SI-7")),
    ),
)

# High-risk activity alerts: one control per alert and cloud, derived here (and only here) from the alert
# catalog, which carries each alert's citations. A cloud is listed once its rule table judges its alerts.
ALERT_CLOUDS = ("aws", "gcp", "azure")
_ALERT_REMEDIATION = {
    "aws": "Deploy auditkit.components.aws.HighRiskAlerts (stack setting auditkit:aws.alerts), or keep a metric "
    "filter on the trail's CloudWatch log group that matches the alert's events, an alarm on its metric with "
    "actions enabled and an ALARM action, and an SNS topic with a confirmed subscription.",
    "gcp": "Deploy auditkit.components.gcp.HighRiskAlerts (stack setting auditkit:gcp.alerts), or keep a log-based metric that sees the audit logs (in the project, or bucket-scoped on the log bucket an aggregated sink routes them to) matching the alert's events, an enabled alert policy on it and an enabled, verified notification channel.",
    "azure": "Deploy auditkit.components.azure.HighRiskAlerts (stack setting auditkit:azure.alerts), or keep an enabled activity log alert at subscription scope whose condition matches the alert's events, with an enabled action group that has a receiver (the failed-access burst: an enabled scheduled query rule on the audit workspace).",
}
_GUARD_DUTY = " Also enable GuardDuty with S3 Protection (detector feature S3_DATA_EVENTS) in the trail's region."


def _alert_control(alert: Alert, cloud: str) -> Control:
    variant = alert.on(cloud)
    assert variant is not None
    remediation = _ALERT_REMEDIATION[cloud] + (_GUARD_DUTY if (cloud, alert.id) == ("aws", "phi_read_volume") else "")
    return Control(
        alert.control_id(cloud),
        alert.title,
        alert.severity,
        A,  # detective: an alert that is missing is reported, never a blocked deployment
        alert.risk,
        f"{remediation} AuditKit's filter: {variant.filter}",
        alert.citations,
    )


_ALERT_CONTROLS = tuple(_alert_control(a, cloud) for cloud in ALERT_CLOUDS for a in alerts_on(cloud))
CONTROLS: dict[str, Control] = {c.id: c for c in (*_AWS, *_GCP, *_AZURE, *_ALERT_CONTROLS)}

# Judged over the delivered logs by `auditkit verify`, never over a plan or a live setting: no policy-pack
# policy and no `auditkit scan` finding can exist for these.
EVIDENCE_CONTROLS = frozenset({"aws.trail.integrity", "gcp.archive.integrity", "azure.archive.integrity"})


def control(control_id: str) -> Control:
    """The control with this id, or a ConfigError listing the known ids."""
    try:
        return CONTROLS[control_id]
    except KeyError:
        raise ConfigError("control", control_id, sorted(CONTROLS)) from None


def controls_for(cloud: str) -> list[Control]:
    return [c for c in CONTROLS.values() if c.cloud == cloud]

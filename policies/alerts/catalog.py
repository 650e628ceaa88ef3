"""The alert catalog, beside the control catalog: every high-risk activity alert, its risk and citations.

An alert's scan control id is `<cloud>.alerts.<id>` (Alert.control_id). Each alert names, per cloud, the
filter AuditKit deploys and the corpus that judges any filter, AuditKit's or a customer's, by what it matches.
Every alert carries HIPAA 164.308(a)(1)(ii)(D) (information system activity review) and 164.312(b) (record
and examine activity), SOC 2 CC7.2/CC7.3 (monitor, evaluate events) and NIST SI-4/AU-6, plus what is specific.
"""

from __future__ import annotations

from auditkit.policies.alerts.aws_alerts import AWS_ALERTS
from auditkit.policies.alerts.azure_alerts import AZURE_ALERTS
from auditkit.policies.alerts.gcp_alerts import GCP_ALERTS
from auditkit.policies.alerts.model import Alert, CloudAlert
from auditkit.policies.controls import Citations, Severity

_REVIEW, _AUDIT = "45 CFR 164.308(a)(1)(ii)(D)", "45 CFR 164.312(b)"
_TABLES: dict[str, dict[str, CloudAlert]] = {"aws": AWS_ALERTS, "gcp": GCP_ALERTS, "azure": AZURE_ALERTS}
C, H, M = Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM


def _cite(hipaa: tuple[str, ...] = (), soc2: tuple[str, ...] = (), nist: tuple[str, ...] = ()) -> Citations:
    return Citations((_REVIEW, _AUDIT, *hipaa), ("CC7.2", "CC7.3", *soc2), ("SI-4", "AU-6", *nist))


_LOGIN, _AUTHN = "45 CFR 164.308(a)(5)(ii)(C)", "45 CFR 164.312(d)"
_ACCESS_MOD, _ACCESS = "45 CFR 164.308(a)(4)(ii)(C)", "45 CFR 164.312(a)(1)"
_INTEGRITY, _ENCRYPTION = "45 CFR 164.312(c)(1)", "45 CFR 164.312(a)(2)(iv)"
_INCIDENT, _TRANSMISSION = "45 CFR 164.308(a)(6)(ii)", "45 CFR 164.312(e)(1)"

_ACCESS_CHANGE = _cite((_ACCESS_MOD,), ("CC6.2", "CC6.3"), ("AC-2(4)", "AC-6"))
_LOG_TAMPER = _cite((_INTEGRITY,), ("CC6.1",), ("AU-9", "AU-5"))
_NETWORK = _cite((_TRANSMISSION,), ("CC6.6", "CC8.1"), ("SC-7", "CM-3"))
_CONFIG = _cite(soc2=("CC8.1",), nist=("CM-3",))

# (id, title, risk, severity, citations)
_ALERTS: tuple[tuple[str, str, str, Severity, Citations], ...] = (
    (
        "root_use",
        "The root user is used",
        "Root bypasses every IAM control and its use is never routine.",
        C,
        _cite((_ACCESS,), ("CC6.1",), ("AC-6(9)", "AC-2(12)")),
    ),
    (
        "unauthorized_calls",
        "API calls are denied",
        "Repeated denials show probing or a compromised principal testing its reach.",
        M,
        _cite((_ACCESS,), ("CC6.1",), ("AC-3",)),
    ),
    (
        "console_login_without_mfa",
        "An IAM user signs in to the console without MFA",
        "A password alone reaches systems holding ePHI.",
        H,
        _cite((_AUTHN,), ("CC6.1",), ("IA-2(1)",)),
    ),
    (
        "console_login_failures",
        "Console sign-ins fail repeatedly",
        "Repeated failures are password guessing or credential stuffing.",
        M,
        _cite((_LOGIN,), ("CC6.1",), ("AC-7",)),
    ),
    (
        "iam_policy_changes",
        "IAM policies change",
        "Policy edits change who can read ePHI and who can erase the audit trail.",
        H,
        _ACCESS_CHANGE,
    ),
    (
        "privilege_escalation",
        "A principal gains new credentials or administrator rights",
        "New keys, passwords, group memberships, trust policies or AdministratorAccess are the usual escalation paths.",
        H,
        _ACCESS_CHANGE,
    ),
    (
        "audit_logging_changes",
        "Audit logging is reconfigured or stopped",
        "Stopping or narrowing audit logging hides everything that follows.",
        C,
        _LOG_TAMPER,
    ),
    (
        "kms_key_changes",
        "Encryption keys are disabled, scheduled for deletion or re-permissioned",
        "A disabled or deleted key makes ePHI and logs unreadable; a key policy change grants decrypt.",
        H,
        _cite((_ENCRYPTION,), ("CC6.1",), ("SC-12", "SC-28")),
    ),
    (
        "s3_bucket_policy_changes",
        "S3 bucket access, encryption or retention settings change",
        "Bucket policies, ACLs, encryption, lifecycle, Object Lock and public access blocks decide who reads ePHI and how long it is kept.",
        H,
        _cite((_ACCESS,), ("CC6.1", "CC8.1"), ("AC-3", "CM-3")),
    ),
    (
        "audit_archive_tampering",
        "The audit archive's protection changes",
        "Lifecycle, policy, versioning or immutability changes on the archive can shorten or erase the audit record.",
        C,
        _LOG_TAMPER,
    ),
    (
        "config_changes",
        "AWS Config recording changes",
        "A stopped recorder leaves configuration drift unrecorded.",
        M,
        _CONFIG,
    ),
    (
        "firewall_changes",
        "Firewall rules change (security groups, GCP firewall rules, NSGs)",
        "An opened rule exposes systems holding ePHI.",
        M,
        _NETWORK,
    ),
    ("network_acl_changes", "Network ACLs change", "NACL edits open or close whole subnets.", M, _NETWORK),
    (
        "network_gateway_changes",
        "Network gateways change",
        "New internet or customer gateways create paths in and out.",
        M,
        _NETWORK,
    ),
    (
        "route_changes",
        "Routes change",
        "Route edits can send traffic around inspection or out of the network.",
        M,
        _NETWORK,
    ),
    (
        "network_changes",
        "VPC networks or peerings change",
        "New networks and peerings create unreviewed paths to ePHI.",
        M,
        _NETWORK,
    ),
    (
        "organizations_changes",
        "AWS Organizations changes",
        "Leaving the organization or detaching SCPs removes guardrails and the organization trail.",
        H,
        _cite(soc2=("CC8.1",), nist=("CM-3", "AC-2")),
    ),
    (
        "phi_read_volume",
        "PHI objects are read in bulk",
        "A burst of object reads above normal is how ePHI leaves: exfiltration or a misused credential.",
        H,
        _cite((_INCIDENT,), ("CC6.7",), ("SI-4(2)", "AU-6(3)")),
    ),
    (
        "project_ownership_changes",
        "Project owners are added or removed",
        "Owner is full control of the project, its data and its audit configuration.",
        H,
        _ACCESS_CHANGE,
    ),
    (
        "audit_config_changes",
        "Audit log configuration changes",
        "Removing Data Access logs or exempting members blinds the audit trail.",
        C,
        _LOG_TAMPER,
    ),
    (
        "custom_role_changes",
        "Custom IAM roles change",
        "Editing a custom role silently changes every grant that uses it.",
        M,
        _ACCESS_CHANGE,
    ),
    (
        "bucket_iam_changes",
        "Cloud Storage bucket IAM changes",
        "Bucket grants decide who reads ePHI; allUsers makes it public.",
        H,
        _ACCESS_CHANGE,
    ),
    (
        "sql_instance_changes",
        "Cloud SQL instance configuration changes",
        "Authorized networks, backups and flags protect databases holding ePHI.",
        M,
        _CONFIG,
    ),
    (
        "archive_iam_changes",
        "IAM changes on the audit archive's project or bucket",
        "Whoever gains rights on the archive can read or erase the audit record.",
        C,
        _LOG_TAMPER,
    ),
    (
        "policy_assignment_changes",
        "Azure Policy assignments change",
        "Removing an assignment switches off the guardrails it enforced.",
        M,
        _CONFIG,
    ),
    (
        "security_solution_changes",
        "Security solutions change",
        "Removing a security solution removes detection.",
        M,
        _cite(soc2=("CC8.1",), nist=("CM-3",)),
    ),
    (
        "sql_firewall_changes",
        "SQL server firewall rules change",
        "An opened rule exposes databases holding ePHI.",
        M,
        _NETWORK,
    ),
    ("public_ip_changes", "Public IP addresses change", "A new public IP is a new path in.", M, _NETWORK),
    (
        "role_assignment_changes",
        "Role assignments are written",
        "A role assignment grants access to ePHI or to the audit archive.",
        H,
        _ACCESS_CHANGE,
    ),
    (
        "key_vault_access_policy_changes",
        "Key Vault access policies change",
        "Access policies grant use of keys and secrets that protect ePHI.",
        H,
        _cite((_ENCRYPTION,), ("CC6.1",), ("SC-12", "AC-6")),
    ),
    (
        "failed_access_burst",
        "Bursts of failed Key Vault, FHIR or SQL access",
        "Many denials in minutes are probing of the systems holding ePHI.",
        M,
        _cite((_LOGIN, _INCIDENT), ("CC6.1",), ("AC-7",)),
    ),
)


def _build() -> tuple[Alert, ...]:
    alerts = []
    for alert_id, title, risk, severity, citations in _ALERTS:
        variants = tuple(table[alert_id] for table in _TABLES.values() if alert_id in table)
        alerts.append(Alert(alert_id, title, risk, severity, citations, variants))
    return tuple(alerts)


ALERTS: tuple[Alert, ...] = _build()
ALERTS_BY_ID: dict[str, Alert] = {a.id: a for a in ALERTS}


def alerts_on(cloud: str) -> tuple[Alert, ...]:
    return tuple(a for a in ALERTS if a.on(cloud) is not None)


def control_ids(cloud: str) -> tuple[str, ...]:
    return tuple(a.control_id(cloud) for a in alerts_on(cloud))

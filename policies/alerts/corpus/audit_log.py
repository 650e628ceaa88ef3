"""Cloud Audit Logs entries shaped as Google documents them.

- LogEntry JSON: cloud.google.com/logging/docs/reference/v2/rest/v2/LogEntry (logName with the URL-encoded
  log id `cloudaudit.googleapis.com%2Factivity` / `%2Fdata_access`, resource {type, labels}, severity,
  protoPayload).
- AuditLog payload: googleapis/googleapis google/cloud/audit/audit_log.proto (serviceName, methodName,
  resourceName, authenticationInfo.principalEmail, authorizationInfo[], requestMetadata, request, response,
  serviceData, status) and cloud.google.com/logging/docs/audit/understanding-audit-logs.
- IAM policy changes: serviceData is google.iam.v1.logging.AuditData (google/iam/v1/logging/audit_data.proto)
  whose policyDelta (google/iam/v1/policy.proto PolicyDelta) has bindingDeltas [{action ADD|REMOVE, role,
  member}] and auditConfigDeltas [{action, service, exemptedMember, logType}].
"""

from __future__ import annotations

from typing import Any

from auditkit.policies.alerts.model import CorpusEvent

LOG_ENTRY = "Cloud Logging REST reference, LogEntry; googleapis google/cloud/audit/audit_log.proto"
POLICY_DELTA = f"{LOG_ENTRY}; google/iam/v1/logging/audit_data.proto and google/iam/v1/policy.proto PolicyDelta"
PROJECT = "clinic-prod"


def entry(
    method: str,
    service: str,
    resource_type: str,
    labels: dict[str, str],
    resource_name: str,
    *,
    log: str = "activity",
    project: str = PROJECT,
    principal: str = "alice@example.com",
    request: dict[str, Any] | None = None,
    service_data: dict[str, Any] | None = None,
    status: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One audit log entry; `log` is activity (Admin Activity) or data_access."""
    payload: dict[str, Any] = {
        "@type": "type.googleapis.com/google.cloud.audit.AuditLog",
        "status": status or {},
        "authenticationInfo": {"principalEmail": principal},
        "requestMetadata": {"callerIp": "203.0.113.10", "callerSuppliedUserAgent": "google-cloud-sdk gcloud/470.0.0"},
        "serviceName": service,
        "methodName": method,
        "authorizationInfo": [{"resource": resource_name, "permission": _permission(method), "granted": not status}],
        "resourceName": resource_name,
    }
    if request is not None:
        payload["request"] = request
    if service_data is not None:
        payload["serviceData"] = service_data
    return {
        "protoPayload": payload,
        "insertId": "1x2y3z4a5b6c",
        "resource": {"type": resource_type, "labels": {"project_id": project, **labels}},
        "timestamp": "2024-05-01T12:34:56.789Z",
        "severity": "NOTICE" if log == "activity" else "INFO",
        "logName": f"projects/{project}/logs/cloudaudit.googleapis.com%2F{log}",
        "receiveTimestamp": "2024-05-01T12:34:57.123Z",
    }


def _permission(method: str) -> str:
    return method.replace("google.iam.admin.v1.", "iam.roles.").replace("v1.compute.", "compute.")


def binding_delta(action: str, role: str, member: str) -> dict[str, str]:
    return {"action": action, "role": role, "member": member}


def policy_delta(*bindings: dict[str, str], audit_configs: list[dict[str, str]] | None = None) -> dict[str, Any]:
    delta: dict[str, Any] = {"bindingDeltas": list(bindings)} if bindings else {}
    if audit_configs:
        delta["auditConfigDeltas"] = audit_configs
    return {"@type": "type.googleapis.com/google.iam.v1.logging.AuditData", "policyDelta": delta}


def project_iam(deltas: dict[str, Any], project: str = PROJECT, method: str = "SetIamPolicy") -> dict[str, Any]:
    """SetIamPolicy on a project, as Resource Manager logs it."""
    return entry(
        method,
        "cloudresourcemanager.googleapis.com",
        "project",
        {},
        f"projects/{project}",
        project=project,
        request={"@type": "type.googleapis.com/google.iam.v1.SetIamPolicyRequest", "resource": project},
        service_data=deltas,
    )


def bucket(method: str, name: str, *, log: str = "activity", **kw: Any) -> dict[str, Any]:
    """A Cloud Storage bucket-level entry (storage.setIamPermissions, storage.buckets.update...)."""
    return entry(
        method,
        "storage.googleapis.com",
        "gcs_bucket",
        {"bucket_name": name, "location": "us"},
        f"projects/_/buckets/{name}",
        log=log,
        **kw,
    )


def gcs_object(method: str, bucket_name: str, **kw: Any) -> dict[str, Any]:
    """A Data Access entry for an object (storage.objects.get / list / create)."""
    name = f"projects/_/buckets/{bucket_name}/objects/patients/123/chart.pdf"
    labels = {"bucket_name": bucket_name, "location": "us"}
    return entry(method, "storage.googleapis.com", "gcs_bucket", labels, name, log="data_access", **kw)


def compute(method: str, resource_type: str, name: str, *, log: str = "activity") -> dict[str, Any]:
    """A Compute Engine entry (v1.compute.firewalls.insert ...); resource types gce_firewall_rule etc."""
    kind = method.split(".")[2]
    labels = {"firewall_rule_id" if kind == "firewalls" else f"{kind[:-1]}_id": "5555555555555555555"}
    return entry(
        method, "compute.googleapis.com", resource_type, labels, f"projects/{PROJECT}/global/{kind}/{name}", log=log
    )


def event(name: str, rec: dict[str, Any], source: str = LOG_ENTRY) -> CorpusEvent:
    return CorpusEvent(name, source, rec)

"""The GCP rule table: per alert, the log-based metric filter AuditKit deploys in the project receiving audit logs.

CIS Google Cloud Platform Foundation Benchmark 2.4-2.11 filters (as Prowler's GCP logging checks carry them)
where CIS has one; sink/log-bucket changes, IAM changes on the archive and PHI read volume beyond it.
Precedence reminder (Logging query language): OR binds tighter than AND, so groups are parenthesized.
"""

from __future__ import annotations

from auditkit.policies.alerts.corpus.gcp import CORPORA
from auditkit.policies.alerts.model import SINGLE_EVENT, CloudAlert, Language, Threshold


def _cis(ref: str) -> tuple[str, ...]:
    return (f"CIS Google Cloud Platform Foundation {ref}",)


def _alert(
    alert_id: str, query: str, benchmark: tuple[str, ...] = (), threshold: Threshold = SINGLE_EVENT, **kw: str
) -> CloudAlert:
    return CloudAlert("gcp", Language.LOGGING_QUERY, query, CORPORA[alert_id], threshold, benchmark, any_of=kw or None)


def _methods(*names: str, field: str = "protoPayload.methodName", op: str = "=") -> str:
    return "(" + " OR ".join(f'{field}{op}"{n}"' for n in names) + ")"


_CONFIG = "google.logging.v2.ConfigServiceV2."

GCP_ALERTS: dict[str, CloudAlert] = {
    "project_ownership_changes": _alert(
        "project_ownership_changes",
        '(protoPayload.serviceName="cloudresourcemanager.googleapis.com") AND (ProjectOwnership OR projectOwnerInvitee) '
        'OR (protoPayload.serviceData.policyDelta.bindingDeltas.action="REMOVE" AND '
        'protoPayload.serviceData.policyDelta.bindingDeltas.role="roles/owner") '
        'OR (protoPayload.serviceData.policyDelta.bindingDeltas.action="ADD" AND '
        'protoPayload.serviceData.policyDelta.bindingDeltas.role="roles/owner")',
        _cis("2.4"),
    ),
    "audit_config_changes": _alert(
        "audit_config_changes",
        'protoPayload.methodName="SetIamPolicy" AND protoPayload.serviceData.policyDelta.auditConfigDeltas:*',
        _cis("2.5"),
    ),
    "custom_role_changes": _alert(
        "custom_role_changes",
        'resource.type="iam_role" AND '
        + _methods(
            "google.iam.admin.v1.CreateRole", "google.iam.admin.v1.DeleteRole", "google.iam.admin.v1.UpdateRole"
        ),
        _cis("2.6"),
    ),
    "firewall_changes": _alert(
        "firewall_changes",
        'resource.type="gce_firewall_rule" AND '
        + _methods("compute.firewalls.patch", "compute.firewalls.insert", "compute.firewalls.delete", op=":"),
        _cis("2.7"),
    ),
    "route_changes": _alert(
        "route_changes",
        'resource.type="gce_route" AND ' + _methods("compute.routes.delete", "compute.routes.insert", op=":"),
        _cis("2.8"),
    ),
    "network_changes": _alert(
        "network_changes",
        'resource.type="gce_network" AND '
        + _methods(
            "compute.networks.insert",
            "compute.networks.patch",
            "compute.networks.delete",
            "compute.networks.removePeering",
            "compute.networks.addPeering",
            op=":",
        ),
        _cis("2.9"),
    ),
    "bucket_iam_changes": _alert(
        "bucket_iam_changes",
        'resource.type="gcs_bucket" AND protoPayload.methodName="storage.setIamPermissions"',
        _cis("2.10"),
    ),
    "sql_instance_changes": _alert(
        "sql_instance_changes", 'protoPayload.methodName="cloudsql.instances.update"', _cis("2.11")
    ),
    "audit_logging_changes": _alert(
        "audit_logging_changes",
        'protoPayload.serviceName="logging.googleapis.com" AND '
        + _methods(
            *(
                _CONFIG + m
                for m in (
                    "UpdateSink",
                    "DeleteSink",
                    "UpdateBucket",
                    "DeleteBucket",
                    "CreateExclusion",
                    "UpdateExclusion",
                    "UpdateCmekSettings",
                    "UpdateSettings",
                )
            )
        ),
    ),
    "archive_iam_changes": _alert(
        "archive_iam_changes",
        '(protoPayload.methodName="SetIamPolicy" AND resource.type="project" AND '
        'resource.labels.project_id="${archive_project}") OR '
        '(protoPayload.methodName="storage.setIamPermissions" AND resource.type="gcs_bucket" AND '
        'resource.labels.bucket_name="${archive_bucket}")',
    ),
    "phi_read_volume": _alert(
        "phi_read_volume",
        'protoPayload.serviceName="storage.googleapis.com" AND protoPayload.methodName="storage.objects.get" AND '
        "NOT protoPayload.status.code:* AND ${phi_buckets}",
        threshold=Threshold(count=500),
        phi_buckets="resource.labels.bucket_name",
    ),
}

"""GCP corpora: Cloud Audit Logs entries a correct log-based metric filter must match, and near misses.

Shapes: corpus/audit_log.py. Method names as Cloud Audit Logs record them: Resource Manager `SetIamPolicy`,
IAM `google.iam.admin.v1.CreateRole`, Compute `v1.compute.firewalls.insert` (cloud.google.com/compute/docs/
logging/audit-logging), Cloud Storage `storage.setIamPermissions` / `storage.objects.get`
(cloud.google.com/storage/docs/audit-logging), Cloud SQL `cloudsql.instances.update`, Logging
`google.logging.v2.ConfigServiceV2.UpdateSink` (cloud.google.com/logging/docs/audit).
"""

from __future__ import annotations

from typing import Any

from auditkit.policies.alerts.corpus.audit_log import (
    POLICY_DELTA,
    binding_delta,
    bucket,
    compute,
    entry,
    event,
    gcs_object,
    policy_delta,
    project_iam,
)
from auditkit.policies.alerts.model import Corpus, CorpusEvent

ARCHIVE_PROJECT = "auditkit-archive"
ARCHIVE_BUCKET = "auditkit-archive-logs"
PHI = ("clinic-phi-records", "clinic-phi-imaging")
OTHER_BUCKET = "clinic-static-assets"
EXAMPLE_PARAMETERS: dict[str, str | tuple[str, ...]] = {
    "archive_project": ARCHIVE_PROJECT,
    "archive_bucket": ARCHIVE_BUCKET,
    "phi_buckets": PHI,
}
_DENIED = {"code": 7, "message": "PERMISSION_DENIED"}


def _c(must: list[CorpusEvent], must_not: list[CorpusEvent]) -> Corpus:
    return Corpus(tuple(must), tuple(must_not))


def _iam(name: str, *bindings: dict[str, str], project: str = "clinic-prod") -> CorpusEvent:
    return event(name, project_iam(policy_delta(*bindings), project), POLICY_DELTA)


def _project_ownership() -> Corpus:
    return _c(
        [
            _iam("owner added", binding_delta("ADD", "roles/owner", "user:mallory@example.com")),
            _iam("owner removed", binding_delta("REMOVE", "roles/owner", "user:bob@example.com")),
            _iam(
                "owner added to a group with an editor removed",
                binding_delta("REMOVE", "roles/editor", "group:ops@example.com"),
                binding_delta("ADD", "roles/owner", "group:ops@example.com"),
            ),
        ],
        [
            _iam("viewer added", binding_delta("ADD", "roles/viewer", "user:carol@example.com")),
            event(
                "GetIamPolicy",
                entry(
                    "GetIamPolicy",
                    "cloudresourcemanager.googleapis.com",
                    "project",
                    {},
                    "projects/clinic-prod",
                    log="data_access",
                ),
            ),
            event(
                "bucket owner granted (Cloud Storage, not the project)",
                bucket(
                    "storage.setIamPermissions",
                    OTHER_BUCKET,
                    service_data=policy_delta(
                        binding_delta("ADD", "roles/storage.legacyBucketOwner", "user:carol@example.com")
                    ),
                ),
                POLICY_DELTA,
            ),
        ],
    )


def _audit_config(action: str, log_type: str, **extra: str) -> dict[str, str]:
    return {"action": action, "service": "allServices", "logType": log_type, **extra}


def _audit_config_changes() -> Corpus:
    org = entry(
        "SetIamPolicy",
        "cloudresourcemanager.googleapis.com",
        "organization",
        {"organization_id": "123456789012"},
        "organizations/123456789012",
        service_data=policy_delta(audit_configs=[_audit_config("REMOVE", "DATA_WRITE")]),
    )
    return _c(
        [
            event(
                "Data Access logs turned off",
                project_iam(policy_delta(audit_configs=[_audit_config("REMOVE", "DATA_READ")])),
                POLICY_DELTA,
            ),
            event(
                "member exempted from audit logs",
                project_iam(
                    policy_delta(
                        audit_configs=[_audit_config("ADD", "DATA_READ", exemptedMember="user:mallory@example.com")]
                    )
                ),
                POLICY_DELTA,
            ),
            event("organization audit config changed", org, POLICY_DELTA),
        ],
        [
            _iam("binding change only", binding_delta("ADD", "roles/viewer", "user:carol@example.com")),
            event(
                "GetIamPolicy",
                entry(
                    "GetIamPolicy",
                    "cloudresourcemanager.googleapis.com",
                    "project",
                    {},
                    "projects/clinic-prod",
                    log="data_access",
                ),
            ),
            event(
                "bucket IAM change",
                bucket(
                    "storage.setIamPermissions",
                    OTHER_BUCKET,
                    service_data=policy_delta(
                        binding_delta("ADD", "roles/storage.objectViewer", "user:carol@example.com")
                    ),
                ),
                POLICY_DELTA,
            ),
        ],
    )


def _role(method: str, log: str = "activity") -> dict[str, Any]:
    return entry(
        f"google.iam.admin.v1.{method}",
        "iam.googleapis.com",
        "iam_role",
        {"role_name": "projects/clinic-prod/roles/phiReader"},
        "projects/clinic-prod/roles/phiReader",
        log=log,
    )


def _compute(kind: str, resource_type: str, must: list[str], must_not: list[tuple[str, str, str]]) -> Corpus:
    """Compute Engine calls; a must-match entry is a verb of `kind` or a full method (another API version)."""
    methods = [m if "." in m else f"v1.compute.{kind}.{m}" for m in must]
    return _c(
        [event(m.removeprefix("v1.compute."), compute(m, resource_type, "example")) for m in methods],
        [
            event(
                f"{k}.{m}",
                compute(
                    f"v1.compute.{k}.{m}", rt, "example", log="data_access" if m in ("get", "list") else "activity"
                ),
            )
            for k, m, rt in must_not
        ],
    )


def _sql(method: str, log: str = "activity", settings: dict[str, Any] | None = None) -> dict[str, Any]:
    """A Cloud SQL Admin API entry; `settings` is the DatabaseInstance.settings the update request carried."""
    request = {
        "@type": "type.googleapis.com/google.cloud.sql.v1.SqlInstancesUpdateRequest",
        "body": {"settings": settings},
    }
    return entry(
        f"cloudsql.instances.{method}",
        "cloudsql.googleapis.com",
        "cloudsql_database",
        {"database_id": "clinic-prod:ehr"},
        "instances/ehr",
        log=log,
        request=request if settings is not None else None,
    )


def _sink(method: str, log: str = "activity") -> dict[str, Any]:
    name = (
        "projects/clinic-prod/sinks/auditkit-archive"
        if "Sink" in method
        else "projects/clinic-prod/locations/global/buckets/_Default"
    )
    return entry(
        f"google.logging.v2.ConfigServiceV2.{method}",
        "logging.googleapis.com",
        "logging_sink" if "Sink" in method else "logging_bucket",
        {"name": name.rsplit("/", 1)[-1]},
        name,
        log=log,
    )


def _archive_iam_changes() -> Corpus:
    grant = policy_delta(binding_delta("ADD", "roles/storage.admin", "user:mallory@example.com"))
    return _c(
        [
            _iam(
                "editor added on the archive project",
                binding_delta("ADD", "roles/editor", "user:mallory@example.com"),
                project=ARCHIVE_PROJECT,
            ),
            _iam(
                "binding removed on the archive project",
                binding_delta("REMOVE", "roles/logging.viewer", "group:auditors@example.com"),
                project=ARCHIVE_PROJECT,
            ),
            event(
                "archive bucket IAM changed",
                bucket("storage.setIamPermissions", ARCHIVE_BUCKET, project=ARCHIVE_PROJECT, service_data=grant),
                POLICY_DELTA,
            ),
        ],
        [
            _iam("editor added on another project", binding_delta("ADD", "roles/editor", "user:mallory@example.com")),
            event(
                "another bucket's IAM changed",
                bucket("storage.setIamPermissions", OTHER_BUCKET, service_data=grant),
                POLICY_DELTA,
            ),
            event(
                "archive bucket IAM read",
                bucket("storage.getIamPermissions", ARCHIVE_BUCKET, project=ARCHIVE_PROJECT, log="data_access"),
            ),
        ],
    )


def _phi_read_volume() -> Corpus:
    return _c(
        [
            event("object read from PHI bucket", gcs_object("storage.objects.get", PHI[0])),
            event("object read from second PHI bucket", gcs_object("storage.objects.get", PHI[1])),
            event(
                "object read by a service account",
                gcs_object("storage.objects.get", PHI[0], principal="etl@clinic-prod.iam.gserviceaccount.com"),
            ),
        ],
        [
            event("object read from another bucket", gcs_object("storage.objects.get", OTHER_BUCKET)),
            event("objects listed in PHI bucket", gcs_object("storage.objects.list", PHI[0])),
            event("object written to PHI bucket", gcs_object("storage.objects.create", PHI[0])),
            event("object read denied on PHI bucket", gcs_object("storage.objects.get", PHI[0], status=_DENIED)),
        ],
    )


def _bucket_iam(name: str, bucket_name: str, role: str, member: str, action: str = "ADD") -> CorpusEvent:
    deltas = policy_delta(binding_delta(action, role, member))
    return event(name, bucket("storage.setIamPermissions", bucket_name, service_data=deltas), POLICY_DELTA)


CORPORA: dict[str, Corpus] = {
    "project_ownership_changes": _project_ownership(),
    "audit_config_changes": _audit_config_changes(),
    "custom_role_changes": _c(
        [event(m, _role(m)) for m in ("CreateRole", "UpdateRole", "DeleteRole")],
        [event(m, _role(m, "data_access")) for m in ("GetRole", "ListRoles")]
        + [
            event(
                "CreateServiceAccountKey",
                entry(
                    "google.iam.admin.v1.CreateServiceAccountKey",
                    "iam.googleapis.com",
                    "service_account",
                    {"email_id": "etl@clinic-prod.iam.gserviceaccount.com"},
                    "projects/-/serviceAccounts/etl",
                ),
            )
        ],
    ),
    "firewall_changes": _compute(
        "firewalls",
        "gce_firewall_rule",
        ["insert", "patch", "delete"],
        [
            ("firewalls", "get", "gce_firewall_rule"),
            ("firewalls", "list", "gce_firewall_rule"),
            ("routes", "insert", "gce_route"),
        ],
    ),
    "route_changes": _compute(
        "routes",
        "gce_route",
        ["insert", "delete", "beta.compute.routes.insert"],
        [("routes", "get", "gce_route"), ("routes", "list", "gce_route"), ("firewalls", "insert", "gce_firewall_rule")],
    ),
    "network_changes": _compute(
        "networks",
        "gce_network",
        ["insert", "patch", "delete", "addPeering", "removePeering"],
        [
            ("networks", "get", "gce_network"),
            ("networks", "list", "gce_network"),
            ("subnetworks", "insert", "gce_subnetwork"),
        ],
    ),
    "bucket_iam_changes": _c(
        [
            _bucket_iam("public read granted", OTHER_BUCKET, "roles/storage.objectViewer", "allUsers"),
            _bucket_iam("admin granted on PHI bucket", PHI[0], "roles/storage.admin", "user:mallory@example.com"),
            _bucket_iam("reader removed", PHI[1], "roles/storage.objectViewer", "group:analysts@example.com", "REMOVE"),
        ],
        [
            event("bucket IAM read", bucket("storage.getIamPermissions", PHI[0], log="data_access")),
            event("bucket lifecycle updated", bucket("storage.buckets.update", PHI[0])),
            _iam("project IAM change", binding_delta("ADD", "roles/viewer", "user:carol@example.com")),
        ],
    ),
    "sql_instance_changes": _c(
        [
            event(
                "authorized networks opened",
                _sql("update", settings={"ipConfiguration": {"authorizedNetworks": [{"value": "0.0.0.0/0"}]}}),
            ),
            event("backups disabled", _sql("update", settings={"backupConfiguration": {"enabled": False}})),
            event(
                "flags changed",
                _sql("update", settings={"databaseFlags": [{"name": "log_connections", "value": "off"}]}),
            ),
        ],
        [
            event("instance read", _sql("get", "data_access")),
            event("instances listed", _sql("list", "data_access")),
            event("instance restarted", _sql("restart")),
        ],
    ),
    "audit_logging_changes": _c(
        [event(m, _sink(m)) for m in ("UpdateSink", "DeleteSink", "UpdateBucket", "CreateExclusion")],
        [
            event(m, _sink(m, "data_access" if m.startswith(("List", "Get")) else "activity"))
            for m in ("ListSinks", "GetBucket", "CreateSink")
        ],
    ),
    "archive_iam_changes": _archive_iam_changes(),
    "phi_read_volume": _phi_read_volume(),
}

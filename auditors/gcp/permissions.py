"""The read-only GCP permissions the scan needs (a custom role), and how requests map to them."""

from __future__ import annotations

import json
import re
from pathlib import Path

ROLE_FILE = Path(__file__).with_name("scan-role.json")

_PERMISSIONS = (
    (r"^POST /v3/projects/[^/]+:getIamPolicy$", "resourcemanager.projects.getIamPolicy"),
    (r"^POST /v3/folders/[^/]+:getIamPolicy$", "resourcemanager.folders.getIamPolicy"),
    (r"^POST /v3/organizations/[^/]+:getIamPolicy$", "resourcemanager.organizations.getIamPolicy"),
    (r"^GET /v3/projects/[^/]+$", "resourcemanager.projects.get"),
    (r"^GET /v3/folders/[^/]+$", "resourcemanager.folders.get"),
    (r"^GET /v2/(projects|folders|organizations)/[^/]+/sinks$", "logging.sinks.list"),
    (r"^GET /v2/projects/[^/]+/metrics$", "logging.logMetrics.list"),
    (r"^GET /v3/projects/[^/]+/alertPolicies$", "monitoring.alertPolicies.list"),
    (r"^GET /v3/projects/[^/]+/notificationChannels$", "monitoring.notificationChannels.list"),
    (r"^GET /storage/v1/b/[^/]+/iam$", "storage.buckets.getIamPolicy"),
    (r"^GET /storage/v1/b/[^/]+$", "storage.buckets.get"),
)


def gcp_permission(request: str) -> str:
    for pattern, permission in _PERMISSIONS:
        if re.search(pattern, request):
            return permission
    return f"(unmapped) {request}"


def role_permissions() -> set[str]:
    return set(json.loads(ROLE_FILE.read_text())["includedPermissions"])

"""Policy-pack configuration: the same jurisdictions/minors as a stack, so retention is computed once."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pulumi_policy import PolicyConfigSchema

from auditkit.policies.errors import ConfigError
from auditkit.policies.retention import JURISDICTIONS, RetentionRequirement, resolve_retention

SCHEMA = PolicyConfigSchema(
    properties={
        "jurisdictions": {
            "type": "array",
            "items": {"type": "string", "enum": sorted(JURISDICTIONS)},
            "default": ["US"],
        },
        "minors": {"type": "boolean", "default": False},
        "retentionYears": {"type": "integer", "minimum": 1},
        "clouds": {"type": "array", "items": {"type": "string"}, "default": ["aws"]},
        "s3Scope": {"description": "'all' or the bucket names whose S3 data events must be recorded", "default": "all"},
        "archiveBuckets": {"type": "array", "items": {"type": "string"}, "default": []},
        "gcpExemptedMembers": {
            "type": "object",
            "description": "members allowed to be exempted from Data Access logs, with the reason",
            "additionalProperties": {"type": "string"},
            "default": {},
        },
        "gcpKmsKey": {"type": "string", "description": "the CMEK key the GCS archive must use"},
        "azureResources": {
            "type": "array",
            "items": {"type": "string"},
            "description": "ids of Azure resources holding ePHI; each needs a diagnostic setting with its audit logs",
            "default": [],
        },
        "azureSharedKeyAccess": {"type": "boolean", "default": False},
    }
)


@dataclass(frozen=True)
class PackConfig:
    required: RetentionRequirement
    clouds: tuple[str, ...]
    s3_scope: tuple[str, ...] | None
    archive_buckets: tuple[str, ...]
    gcp_exemptions: dict[str, str]
    gcp_kms_key: str | None
    azure_resources: tuple[str, ...]
    azure_shared_key_access: bool


def parse_pack_config(raw: Mapping[str, Any] | None) -> PackConfig:
    raw = dict(raw or {})
    raw.pop("enforcementLevel", None)
    required = resolve_retention(
        raw.get("jurisdictions") or ["US"], bool(raw.get("minors", False)), raw.get("retentionYears")
    )
    scope = raw.get("s3Scope", "all")
    if scope != "all" and not (isinstance(scope, list) and all(isinstance(b, str) for b in scope)):
        raise ConfigError("s3Scope", scope, "'all' or a list of bucket names")
    return PackConfig(
        required=required,
        clouds=tuple(raw.get("clouds", ["aws"])),
        s3_scope=None if scope == "all" else tuple(scope),
        archive_buckets=tuple(raw.get("archiveBuckets") or ()),
        gcp_exemptions=dict(raw.get("gcpExemptedMembers") or {}),
        gcp_kms_key=raw.get("gcpKmsKey"),
        azure_resources=tuple(raw.get("azureResources") or ()),
        azure_shared_key_access=bool(raw.get("azureSharedKeyAccess", False)),
    )


def config_for(jurisdictions: list[str], minors: bool, retention_years: int | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"jurisdictions": jurisdictions, "minors": minors}
    if retention_years is not None:
        out["retentionYears"] = retention_years
    return out

"""Policy-pack configuration: the stack's own `auditkit:*` settings, plus what applies to every policy.

Where each value comes from:
- retention (jurisdictions, minors, retentionYears), clouds and scopes: the stack's config, read
  with the stack program's own reader (components.stack_config), so pack and stack never disagree;
- the policy config file (`--policy-pack-config`): enforcement levels, and `archiveBuckets`.
  A value it gives for a stack setting must agree with the stack, or it is refused.
Without AuditKit stack settings (`auditkit plan --check`, a stack that does not use the
components) the policy config's values are used as they are.

The engine fills each policy's config from the schema's defaults separately
(pulumi/pulumi-policy tests/integration/config scenario 2), so stack settings have no schema
default here: a default would be indistinguishable from a value someone wrote.
Config numbers arrive as floats (`ConfigureAnalyzerRequest` carries a google.protobuf.Struct).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pulumi_policy import PolicyConfigSchema

from auditkit.policies.errors import ConfigError
from auditkit.policies.retention import JURISDICTIONS, RetentionRequirement, resolve_retention

SCHEMA = PolicyConfigSchema(
    properties={
        "jurisdictions": {"type": "array", "items": {"type": "string", "enum": sorted(JURISDICTIONS)}},
        "minors": {"type": "boolean"},
        "retentionYears": {"type": "integer", "minimum": 1},
        "clouds": {"type": "array", "items": {"type": "string"}},
        "s3Scope": {"description": "'all' or the bucket names whose S3 data events must be recorded"},
        "archiveBuckets": {"type": "array", "items": {"type": "string"}, "default": []},
        "phiBuckets": {
            "type": "array",
            "items": {"type": "string"},
            "description": "the buckets whose object reads the PHI read-volume alert counts (auditkit:aws.alerts.phiBuckets)",
        },
        "gcpExemptedMembers": {
            "type": "object",
            "description": "members allowed to be exempted from Data Access logs, with the reason",
            "additionalProperties": {"type": "string"},
        },
        "gcpKmsKey": {"type": "string", "description": "the CMEK key the GCS archive must use"},
        "gcpPhiBuckets": {
            "type": "array",
            "items": {"type": "string"},
            "description": "the buckets whose object reads the GCP PHI read-volume alert counts (auditkit:gcp.alerts.phiBuckets)",
        },
        "azureResources": {
            "type": "array",
            "items": {"type": "string"},
            "description": "ids of Azure resources holding ePHI; each needs a diagnostic setting with its audit logs",
        },
        "azureSharedKeyAccess": {"type": "boolean"},
    }
)
RETENTION_KEYS = ("jurisdictions", "minors", "retentionYears")


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
    phi_buckets: tuple[str, ...] | None = None
    gcp_phi_buckets: tuple[str, ...] | None = None


def whole_number(field: str, value: Any) -> int | None:
    """8, 8.0 and "8" are the same number of years; 8.5 and "eight" are refused."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ConfigError(field, value, "a whole number")
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            raise ConfigError(field, value, "a whole number") from None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, int):
        return value
    raise ConfigError(field, value, "a whole number")


def boolean(field: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise ConfigError(field, value, "true or false")


def settings_config(settings: Any) -> dict[str, Any]:
    """A StackSettings as pack config values: what `plan --check` and the analyzer both judge by."""
    out: dict[str, Any] = {
        "jurisdictions": list(settings.retention.jurisdictions),
        "minors": settings.retention.minors,
        "retentionYears": settings.retention.years,
        "clouds": list(settings.clouds),
    }
    if settings.aws is not None:
        out["s3Scope"] = "all" if settings.aws.s3_buckets is None else list(settings.aws.s3_buckets)
        if settings.aws.alerts is not None and settings.aws.alerts.phi_buckets:
            out["phiBuckets"] = list(settings.aws.alerts.phi_buckets)
    if settings.gcp is not None:
        out["gcpExemptedMembers"] = dict(settings.gcp.exemptions)
        if settings.gcp.kms_key_name:
            out["gcpKmsKey"] = settings.gcp.kms_key_name
        if settings.gcp.alerts is not None and settings.gcp.alerts.phi_buckets:
            out["gcpPhiBuckets"] = list(settings.gcp.alerts.phi_buckets)
    if settings.azure is not None:
        out["azureResources"] = list(settings.azure.diagnostic_resources)
        out["azureSharedKeyAccess"] = settings.azure.shared_key_access
    return out


def stack_settings() -> Any:
    """The analyzed stack's AuditKit settings (PULUMI_CONFIG), or None if it declares none."""
    from auditkit.settings.pulumi_config import settings_from_pulumi_config

    return settings_from_pulumi_config(os.environ.get("PULUMI_STACK", "stack"), required=False)


def _retention(raw: Mapping[str, Any]) -> RetentionRequirement:
    jurisdictions = raw.get("jurisdictions") or ["US"]
    minors = boolean("minors", raw.get("minors", False))
    return resolve_retention(jurisdictions, minors, whole_number("retentionYears", raw.get("retentionYears")))


def _agree(raw: Mapping[str, Any], stack: Mapping[str, Any]) -> dict[str, Any]:
    """The stack's values; a policy-config value that disagrees with them is refused."""
    given = [k for k in RETENTION_KEYS if k in raw]
    if given:
        declared = {"jurisdictions": stack["jurisdictions"], "minors": stack["minors"]}
        mine, theirs = _retention({**declared, **{k: raw[k] for k in given}}), _retention(stack)
        if mine.years != theirs.years:
            raise ConfigError(
                given[0],
                raw[given[0]],
                f"the stack's own auditkit:* settings ({theirs.describe()}), or leave it out",
                f"the policy config asks for {mine.describe()}, which disagrees with the stack",
            )
    for key, value in stack.items():
        if key in raw and key not in RETENTION_KEYS and raw[key] != value:
            raise ConfigError(key, raw[key], f"the stack's auditkit:* value {value!r}, or leave it out", "disagrees")
    return {**raw, **stack}


def parse_pack_config(raw: Mapping[str, Any] | None, stack: Any = None) -> PackConfig:
    """raw: one policy's config as the engine sends it; stack: the stack's StackSettings, if any."""
    raw = dict(raw or {})
    raw.pop("enforcementLevel", None)
    if stack is not None:
        raw = _agree(raw, settings_config(stack))
    scope = raw.get("s3Scope", "all")
    if scope != "all" and not (isinstance(scope, list) and all(isinstance(b, str) for b in scope)):
        raise ConfigError("s3Scope", scope, "'all' or a list of bucket names")
    phi, gcp_phi = raw.get("phiBuckets"), raw.get("gcpPhiBuckets")
    for key, value in (("phiBuckets", phi), ("gcpPhiBuckets", gcp_phi)):
        if value is not None and not (isinstance(value, list) and value and all(isinstance(b, str) for b in value)):
            raise ConfigError(key, value, "a non-empty list of bucket names")
    clouds = raw.get("clouds", ["aws"])
    if isinstance(clouds, str) or not isinstance(clouds, list):
        raise ConfigError("clouds", clouds, "a list such as [aws, gcp]")
    return PackConfig(
        required=stack.retention if stack is not None else _retention(raw),
        clouds=tuple(str(c).lower() for c in clouds),
        s3_scope=None if scope == "all" else tuple(scope),
        archive_buckets=tuple(raw.get("archiveBuckets") or ()),
        gcp_exemptions=dict(raw.get("gcpExemptedMembers") or {}),
        gcp_kms_key=raw.get("gcpKmsKey"),
        azure_resources=tuple(raw.get("azureResources") or ()),
        azure_shared_key_access=boolean("azureSharedKeyAccess", raw.get("azureSharedKeyAccess", False)),
        phi_buckets=tuple(phi) if phi else None,
        gcp_phi_buckets=tuple(gcp_phi) if gcp_phi else None,
    )


def config_for(jurisdictions: list[str], minors: bool, retention_years: int | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"jurisdictions": jurisdictions, "minors": minors}
    if retention_years is not None:
        out["retentionYears"] = retention_years
    return out

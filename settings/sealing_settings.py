"""`auditkit:gcp.sealing` and `auditkit:azure.sealing`: the sealing identity and signing key of the archive
(components/gcp/archive_sealing.py, components/azure/archive_sealing.py; `auditkit seal gcp|azure`).

Absent or `false`: no sealing. `true`: every default. A mapping: the keys below. Checked before anything is
registered, against the providers' own name limits: every field refused names the field, the value and
what is allowed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from auditkit.policies.errors import ConfigError
from auditkit.settings.pulumi_values import check_keys

GCP_SEALING_KEYS = ("accountId", "keyRing", "keyName", "keyLocation", "verifiers")
AZURE_SEALING_KEYS = ("vaultName", "keyName", "containers", "tenantId")

# Service account ids: 6-30 characters, lowercase letters, digits and hyphens, starting with a letter
# (cloud.google.com/iam/docs/service-accounts-create#creating).
_ACCOUNT_ID = re.compile(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")
# Key ring and key names: 1-63 letters, digits, '_' and '-' (cloud.google.com/kms/docs/resource-hierarchy).
_KMS_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,63}$")
# Cloud KMS locations are lowercase: global, us, us-central1, nam-eur-asia1 (cloud.google.com/kms/docs/locations).
_KMS_LOCATION = re.compile(r"^[a-z][a-z0-9-]*[a-z0-9]$")
_MEMBER = re.compile(r"^(user|group|serviceAccount|domain):[^\s:]+$")
# Key Vault names: 3-24 characters, letters, digits and '-', starting with a letter, ending with a letter
# or digit, no '--'; key names: 1-127 letters, digits and '-'
# (learn.microsoft.com/azure/key-vault/general/about-keys-secrets-certificates#objects-identifiers-and-versioning).
_VAULT = re.compile(r"^[a-zA-Z](?!.*--)[a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$")
_VAULT_KEY = re.compile(r"^[a-zA-Z0-9-]{1,127}$")
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


@dataclass(frozen=True)
class GcpSealingSettings:
    account_id: str = "auditkit-sealer"
    key_ring: str = "auditkit"
    key_name: str = "archive-seal"
    key_location: str = "us"
    verifiers: tuple[str, ...] = ()


@dataclass(frozen=True)
class AzureSealingSettings:
    vault_name: str
    tenant_id: str
    containers: tuple[str, ...] | None  # None: every container of the archive
    key_name: str = "auditkit-seal"


def _mapping(where: str, raw: Any, keys: tuple[str, ...]) -> Mapping[str, Any] | None:
    """None when sealing is off (absent, false); {} for `true`; else the checked mapping."""
    if raw is None or raw is False or raw in ("false", "False"):
        return None
    if raw is True or raw in ("true", "True"):
        return {}
    if not isinstance(raw, Mapping):
        raise ConfigError(where, raw, "false, true (every default), or a mapping of " + ", ".join(keys))
    check_keys(where + ".", raw, keys)
    return raw


def _name(field: str, value: Any, pattern: re.Pattern[str], allowed: str) -> str:
    if not isinstance(value, str) or not pattern.match(value):
        raise ConfigError(field, value, allowed)
    return value


def gcp_sealing(raw: Any, location: str) -> GcpSealingSettings | None:
    """`gcp.sealing`; the key ring's location defaults to the archive bucket's, lowercased (US -> us)."""
    v = _mapping("gcp.sealing", raw, GCP_SEALING_KEYS)
    if v is None:
        return None
    d = GcpSealingSettings()
    verifiers = v.get("verifiers", [])
    if not isinstance(verifiers, list):
        raise ConfigError("gcp.sealing.verifiers", verifiers, "a list of IAM members")
    for m in verifiers:
        _name("gcp.sealing.verifiers", m, _MEMBER, "IAM members such as group:auditors@example.com")
    if len(set(verifiers)) != len(verifiers):
        raise ConfigError("gcp.sealing.verifiers", verifiers, "each member once")
    kms_name = "1-63 letters, digits, '_' and '-'"
    return GcpSealingSettings(
        account_id=_name(
            "gcp.sealing.accountId",
            v.get("accountId", d.account_id),
            _ACCOUNT_ID,
            "6-30 characters: a-z, 0-9, '-', starting with a letter",
        ),
        key_ring=_name("gcp.sealing.keyRing", v.get("keyRing", d.key_ring), _KMS_NAME, kms_name),
        key_name=_name("gcp.sealing.keyName", v.get("keyName", d.key_name), _KMS_NAME, kms_name),
        key_location=_name(
            "gcp.sealing.keyLocation",
            v.get("keyLocation", location.lower()),
            _KMS_LOCATION,
            "a Cloud KMS location: global, us, us-central1, ...",
        ),
        verifiers=tuple(verifiers),
    )


def azure_sealing(raw: Any, tenant: Any) -> AzureSealingSettings | None:
    """`azure.sealing`. Its containers (default: all the archive's) must be the archive's own, locked ones:
    check_sealed_containers, once the archive's containers are known. The tenant is `azure.sealing.tenantId`,
    else the provider's `azure-native:tenantId`."""
    v = _mapping("azure.sealing", raw, AZURE_SEALING_KEYS)
    if v is None:
        return None
    if "vaultName" not in v:
        raise ConfigError(
            "azure.sealing.vaultName", None, "the Key Vault to create for the sealing key (3-24 characters)"
        )
    vault = _name(
        "azure.sealing.vaultName",
        v["vaultName"],
        _VAULT,
        "3-24 letters, digits and '-', starting with a letter, ending with a letter or digit, no '--'",
    )
    key = _name("azure.sealing.keyName", v.get("keyName", "auditkit-seal"), _VAULT_KEY, "1-127 letters, digits, '-'")
    tenant_id = v.get("tenantId", tenant)
    if tenant_id is None:
        raise ConfigError("azure.sealing.tenantId", None, "the vault's Entra tenant id (or set azure-native:tenantId)")
    _name("azure.sealing.tenantId", tenant_id, _GUID, "a tenant id GUID")
    containers = v.get("containers")
    if containers is not None:
        if not isinstance(containers, list) or not containers or not all(isinstance(c, str) for c in containers):
            raise ConfigError("azure.sealing.containers", containers, "a non-empty list of the archive's containers")
        if len(set(containers)) != len(containers):
            raise ConfigError("azure.sealing.containers", containers, "each container once")
    return AzureSealingSettings(vault, str(tenant_id), tuple(containers) if containers else None, key)


def check_sealed_containers(sealing: AzureSealingSettings, archive_containers: tuple[str, ...]) -> tuple[str, ...]:
    """The containers to seal: the ones named, each one of the archive's; else all of the archive's."""
    for c in sealing.containers or ():
        if c not in archive_containers:
            why = "only the archive's containers are under its locked immutability policy"
            raise ConfigError("azure.sealing.containers", c, sorted(archive_containers), why)
    return sealing.containers or archive_containers

"""The sealing identity and key of an Azure log container (`auditkit seal azure`, issue 27).

A user-assigned managed identity that may only: use one Key Vault key (Key Vault Crypto User on that
key: sign and the other key operations listed below, never delete; RBAC vault, premium SKU for an
HSM-backed RSA key, purge protection on), and, on each sealed container, read and list blobs and create blobs under `auditkit-seals/` (a custom
role with blobs/read, blobs/write and blobs/add/action and no delete, its writes conditioned on the
blob path). The containers' locked immutability policy keeps the seals as it keeps the logs.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import pulumi
from pulumi import Input, ResourceOptions
from pulumi_azure_native import authorization, keyvault, managedidentity

from auditkit.policies.errors import ConfigError
from auditkit.policies.integrity.seals import PREFIX

# Key Vault Crypto User, a built-in role: its id and data actions as Microsoft publishes them in
# MicrosoftDocs/azure-docs articles/role-based-access-control/built-in-roles/security.md ("Key Vault Crypto
# User", commit 03e5750af10b23b5ba437d5b333ec5e9437844f9): keys/read, update, backup, encrypt, decrypt, wrap,
# unwrap, sign, verify; no delete, purge or create, and nothing on secrets or certificates. Assigned on the one key.
KEY_VAULT_CRYPTO_USER = "12338af0-0e69-4776-bea7-57ae8d297424"
KEY_VAULT_CRYPTO_USER_DATA_ACTIONS = tuple(
    f"Microsoft.KeyVault/vaults/keys/{a}"
    for a in (
        "read",
        "update/action",
        "backup/action",
        "encrypt/action",
        "decrypt/action",
        "wrap/action",
        "unwrap/action",
        "sign/action",
        "verify/action",
    )
)
BLOBS = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs"
SEALER_DATA_ACTIONS = (f"{BLOBS}/read", f"{BLOBS}/write", f"{BLOBS}/add/action")
SEAL_WRITES_ONLY = (
    f"((!(ActionMatches{{'{BLOBS}/write'}}) AND !(ActionMatches{{'{BLOBS}/add/action'}})) "
    f"OR (@Resource[{BLOBS}:path] StringStartsWith '{PREFIX}'))"
)


@dataclass
class ArchiveSealingArgs:
    resource_group_name: Input[str]
    location: str
    subscription_id: str
    tenant_id: str
    vault_name: str
    storage_account_id: Input[str]
    containers: tuple[str, ...]
    key_name: str = "auditkit-seal"
    protect: bool = True
    tags: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not 3 <= len(self.vault_name) <= 24 or not self.vault_name.replace("-", "").isalnum():
            raise ConfigError("azure.sealing.vaultName", self.vault_name, "3-24 characters: letters, digits and '-'")
        if not self.containers:
            raise ConfigError("azure.sealing.containers", list(self.containers), "at least one log container to seal")


def _role(scope: str, *parts: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "/".join((scope, *parts))))


class ArchiveSealing(pulumi.ComponentResource):
    def __init__(self, name: str, args: ArchiveSealingArgs, opts: ResourceOptions | None = None) -> None:
        super().__init__("auditkit:azure:ArchiveSealing", name, None, opts)
        child = ResourceOptions(parent=self)
        self.identity = managedidentity.UserAssignedIdentity(
            f"{name}-sealer",
            resource_group_name=args.resource_group_name,
            location=args.location,
            tags=args.tags,
            opts=child,
        )
        sku: keyvault.SkuArgsDict = {
            "family": keyvault.SkuFamily.A,
            "name": keyvault.SkuName.PREMIUM,
        }  # HSM-backed keys
        properties: keyvault.VaultPropertiesArgsDict = {
            "tenant_id": args.tenant_id,
            "sku": sku,
            "enable_rbac_authorization": True,
            "enable_purge_protection": True,
            "enable_soft_delete": True,
        }
        vault = keyvault.Vault(
            f"{name}-vault",
            vault_name=args.vault_name,
            resource_group_name=args.resource_group_name,
            location=args.location,
            properties=properties,
            tags=args.tags,
            opts=ResourceOptions(parent=self, protect=args.protect),
        )
        self.key = keyvault.Key(
            f"{name}-key",
            key_name=args.key_name,
            vault_name=vault.name,
            resource_group_name=args.resource_group_name,
            properties={"kty": "RSA-HSM", "key_size": 2048, "key_ops": ["sign", "verify"]},
            opts=ResourceOptions(parent=self, protect=args.protect),
        )
        authorization.RoleAssignment(
            f"{name}-sign",
            scope=self.key.id,
            role_definition_id=f"/subscriptions/{args.subscription_id}/providers/Microsoft.Authorization/roleDefinitions/{KEY_VAULT_CRYPTO_USER}",
            principal_id=self.identity.principal_id,
            principal_type="ServicePrincipal",
            opts=child,
        )
        scope = pulumi.Output.from_input(args.storage_account_id)
        role = authorization.RoleDefinition(
            f"{name}-seal-writer",
            role_definition_id=_role(args.subscription_id, name, "seal-writer"),
            role_name=f"AuditKit archive sealer ({name})",
            description="Read and list log blobs; create blobs (seals) only, never delete",
            scope=scope,
            permissions=[{"data_actions": list(SEALER_DATA_ACTIONS), "actions": [], "not_data_actions": []}],
            assignable_scopes=[scope],
            opts=child,
        )
        for container in args.containers:
            authorization.RoleAssignment(
                f"{name}-seal-{container}",
                scope=pulumi.Output.concat(scope, "/blobServices/default/containers/", container),
                role_definition_id=role.id,
                condition=SEAL_WRITES_ONLY,
                condition_version="2.0",
                principal_id=self.identity.principal_id,
                principal_type="ServicePrincipal",
                opts=child,
            )
        self.register_outputs({"sealer": self.identity.principal_id, "key": self.key.key_uri})

"""The Azure log archive: a hardened storage account whose log containers are immutable for the retention."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
from pulumi import Input, ResourceOptions
from pulumi_azure_native import storage

from auditkit.policies.retention import RetentionRequirement
from auditkit.settings.azure_limits import check_account_name, check_immutability, check_tiers


@dataclass
class ImmutableLogArchiveArgs:
    retention: RetentionRequirement
    resource_group_name: Input[str]
    location: str
    account_name: str
    # Azure Monitor writes into containers it names itself (insights-activity-logs,
    # insights-logs-<category>); a policy protects them only if they exist first.
    containers: tuple[str, ...]
    shared_key_access: bool = False
    cool_days: int = 30
    cold_days: int = 90
    archive_days: int = 180
    protect: bool = True
    tags: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_account_name(self.account_name)
        check_immutability(self.retention)
        check_tiers(self.cool_days, self.cold_days, self.archive_days, self.retention.days)


def management_policy(args: ImmutableLogArchiveArgs) -> storage.ManagementPolicySchemaArgsDict:
    """Block blobs: cool -> cold -> archive -> delete; append blobs (Azure Monitor's) can only be deleted."""
    keep: storage.DateAfterModificationArgsDict = {"days_after_modification_greater_than": args.retention.days}
    return {
        "rules": [
            {
                "name": "audit-log-tiers",
                "enabled": True,
                "type": "Lifecycle",
                "definition": {
                    "filters": {"blob_types": ["blockBlob"]},
                    "actions": {
                        "base_blob": {
                            "tier_to_cool": {"days_after_modification_greater_than": args.cool_days},
                            "tier_to_cold": {"days_after_modification_greater_than": args.cold_days},
                            "tier_to_archive": {"days_after_modification_greater_than": args.archive_days},
                            "delete": keep,
                        }
                    },
                },
            },
            {
                "name": "audit-log-expiry",
                "enabled": True,
                "type": "Lifecycle",
                "definition": {"filters": {"blob_types": ["appendBlob"]}, "actions": {"base_blob": {"delete": keep}}},
            },
        ]
    }


class ImmutableLogArchive(pulumi.ComponentResource):
    """StorageV2 account (HTTPS only, TLS 1.2, no public or shared-key access), immutable log containers, lifecycle."""

    account: storage.StorageAccount

    def __init__(self, name: str, args: ImmutableLogArchiveArgs, opts: ResourceOptions | None = None) -> None:
        super().__init__("auditkit:azure:ImmutableLogArchive", name, None, opts)
        child = ResourceOptions(parent=self)
        kept = ResourceOptions(parent=self, protect=args.protect)
        self.account = storage.StorageAccount(
            f"{name}-account",
            account_name=args.account_name,
            resource_group_name=args.resource_group_name,
            location=args.location,
            kind="StorageV2",
            sku={"name": "Standard_GRS"},
            access_tier=storage.AccessTier.HOT,
            enable_https_traffic_only=True,
            minimum_tls_version="TLS1_2",
            allow_blob_public_access=False,
            allow_shared_key_access=args.shared_key_access,
            tags={"auditkit-role": "audit-archive", **args.tags},
            opts=kept,
        )
        self.policies = []
        for container in args.containers:
            c = storage.BlobContainer(
                f"{name}-{container}",
                account_name=self.account.name,
                resource_group_name=args.resource_group_name,
                container_name=container,
                public_access=storage.PublicAccess.NONE,
                opts=child,
            )
            # Locking is not a resource property: `auditkit azure lock-immutability` (or the
            # documented az command) locks each policy after deployment.
            self.policies.append(
                storage.BlobContainerImmutabilityPolicy(
                    f"{name}-{container}-immutability",
                    account_name=self.account.name,
                    resource_group_name=args.resource_group_name,
                    container_name=c.name,
                    immutability_policy_name="default",
                    immutability_period_since_creation_in_days=args.retention.days,
                    allow_protected_append_writes=True,
                    opts=kept,
                )
            )
        storage.ManagementPolicy(
            f"{name}-lifecycle",
            account_name=self.account.name,
            resource_group_name=args.resource_group_name,
            management_policy_name="default",
            policy=management_policy(args),
            opts=kept,
        )
        self.register_outputs({"storage_account_id": self.account.id, "containers": list(args.containers)})

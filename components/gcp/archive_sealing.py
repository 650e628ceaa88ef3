"""The sealing identity and key of a GCS log archive (`auditkit seal gcp`, issue 27).

A service account that may only: sign with one Cloud KMS HSM key (roles/cloudkms.signerVerifier on the
key, nothing else in KMS), list and read the archive (roles/storage.objectViewer) and create objects
under `auditkit-seals/` (roles/storage.objectCreator with an IAM condition on the object name: no
delete, so no overwrite). Verifiers get roles/cloudkms.publicKeyViewer on the key. The key is
protected: destroying it would leave every seal it signed unverifiable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pulumi
import pulumi_gcp as gcp
from pulumi import Input, ResourceOptions

from auditkit.policies.errors import ConfigError
from auditkit.policies.integrity.seals import PREFIX

ALGORITHM = "RSA_SIGN_PKCS1_2048_SHA256"
SIGNER = "roles/cloudkms.signerVerifier"
PUBLIC_KEY_VIEWER = "roles/cloudkms.publicKeyViewer"
READER = "roles/storage.objectViewer"
CREATOR = "roles/storage.objectCreator"
_ACCOUNT_ID = re.compile(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")


@dataclass
class ArchiveSealingArgs:
    project: str
    bucket_name: str
    location: str = "us"  # the key ring's location (the archive's, or a multi-region)
    account_id: str = "auditkit-sealer"
    key_ring_name: str = "auditkit"
    key_name: str = "archive-seal"
    verifiers: list[str] = field(default_factory=list)  # members who may read the public key
    protect: bool = True

    def __post_init__(self) -> None:
        if not _ACCOUNT_ID.match(self.account_id):
            raise ConfigError(
                "gcp.sealing.accountId", self.account_id, "6-30 characters: a-z, 0-9, '-', starting with a letter"
            )
        bad = [m for m in self.verifiers if not re.match(r"^(user|group|serviceAccount|domain):.+", m)]
        if bad:
            raise ConfigError("gcp.sealing.verifiers", bad[0], "IAM members such as group:auditors@example.com")

    @property
    def email(self) -> str:
        return f"{self.account_id}@{self.project}.iam.gserviceaccount.com"


def seal_prefix_condition(bucket: str) -> gcp.storage.BucketIAMMemberConditionArgsDict:
    return {
        "title": "auditkit seals only",
        "description": "create objects under auditkit-seals/ only",
        "expression": f'resource.name.startsWith("projects/_/buckets/{bucket}/objects/{PREFIX}")',
    }


class ArchiveSealing(pulumi.ComponentResource):
    def __init__(self, name: str, args: ArchiveSealingArgs, opts: ResourceOptions | None = None) -> None:
        super().__init__("auditkit:gcp:ArchiveSealing", name, None, opts)
        child = ResourceOptions(parent=self)
        member = f"serviceAccount:{args.email}"
        self.account = gcp.serviceaccount.Account(
            f"{name}-sealer",
            account_id=args.account_id,
            project=args.project,
            display_name="AuditKit archive sealer",
            opts=child,
        )
        ring = gcp.kms.KeyRing(
            f"{name}-ring", name=args.key_ring_name, location=args.location, project=args.project, opts=child
        )
        self.key = gcp.kms.CryptoKey(
            f"{name}-key",
            name=args.key_name,
            key_ring=ring.id,
            purpose="ASYMMETRIC_SIGN",
            version_template={"algorithm": ALGORITHM, "protection_level": "HSM"},
            opts=ResourceOptions(parent=self, protect=args.protect),
        )
        deps = ResourceOptions(parent=self, depends_on=[self.account])
        gcp.kms.CryptoKeyIAMMember(f"{name}-sign", crypto_key_id=self.key.id, role=SIGNER, member=member, opts=deps)
        for i, verifier in enumerate(args.verifiers):
            gcp.kms.CryptoKeyIAMMember(
                f"{name}-verify-{i}", crypto_key_id=self.key.id, role=PUBLIC_KEY_VIEWER, member=verifier, opts=child
            )
        gcp.storage.BucketIAMMember(f"{name}-read", bucket=args.bucket_name, role=READER, member=member, opts=deps)
        gcp.storage.BucketIAMMember(
            f"{name}-write-seals",
            bucket=args.bucket_name,
            role=CREATOR,
            member=member,
            condition=seal_prefix_condition(args.bucket_name),
            opts=deps,
        )
        self.register_outputs({"sealer": args.email, "key": self.key.id})


def crypto_key_name(args: ArchiveSealingArgs) -> Input[str]:
    """The key `auditkit verify gcp --key` names."""
    return f"projects/{args.project}/locations/{args.location}/keyRings/{args.key_ring_name}/cryptoKeys/{args.key_name}"

"""Sealed archives on the fakes, through the real SDK clients: a GCS bucket with Cloud KMS, an Azure
container with Key Vault. Objects are written as Cloud Logging sinks and Azure Monitor write them
(tests/fakes/gcs_archive.py, blob_archive.py cite the shapes)."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from auditkit.auditors.cli import build_parser
from auditkit.auditors.seal.cloud_kms import CloudKms
from auditkit.auditors.seal.gcs import GcsArchive
from auditkit.auditors.seal.sealing import SealOptions, seal_archive
from auditkit.auditors.seal.verification import VerifyOptions, verify_sealed
from auditkit.policies.gcp.rules import ARCHIVE_INTEGRITY
from tests.fakes.cloud_kms import KEY, FakeCloudKms
from tests.fakes.gcs_archive import FakeGcsArchive

T0 = datetime(2026, 11, 30, 3, tzinfo=timezone.utc)
SETTLE = timedelta(minutes=30)
GRACE = timedelta(hours=2)
SEALED_AT = T0 + timedelta(hours=3, minutes=50)  # 03, 04, 05 closed; 06 open


def sink_name(hour: int, shard: int) -> str:
    """Cloud Logging's object names for a sink to Cloud Storage (logging/docs/export/storage#gcs-organization)."""
    return f"cloudaudit.googleapis.com/activity/2026/11/30/{hour:02d}:00:00_{hour:02d}:59:59_S{shard}.json"


@dataclass
class GcpWorld:
    gcs: FakeGcsArchive
    kms: FakeCloudKms
    version: str

    def archive(self) -> GcsArchive:
        return GcsArchive(self.gcs.client(), self.gcs.bucket, 10)

    def signer(self, version: str | None = None) -> CloudKms:
        signer = CloudKms(self.kms.session(), version or self.version, 10, self.kms.endpoint)
        signer.prepare()
        return signer

    def keys(self, key: str = KEY) -> CloudKms:
        return CloudKms(self.kms.session(), key, 10, self.kms.endpoint)

    def seal(self, now: datetime = SEALED_AT, since: datetime = T0):
        return seal_archive(self.archive(), self.signer(), SealOptions(SETTLE, since), now)

    def verify(self, now: datetime = SEALED_AT, deep: bool = False, checkpoint: str | None = None, archive=None):
        options = VerifyOptions(T0, now, SETTLE, GRACE, deep, checkpoint)
        return verify_sealed(
            archive or self.archive(), self.keys(), options, ARCHIVE_INTEGRITY.control, now, _gcp_classify
        )

    def by_hour(self, report) -> dict[str, Any]:
        return {f.resource.rsplit("/", 1)[1]: f for f in report.findings}


def _gcp_classify(exc: BaseException) -> tuple[str, str]:
    from auditkit.auditors.gcp.calls import classify

    return classify(exc)


def gcp_world() -> GcpWorld:
    gcs, kms = FakeGcsArchive(), FakeCloudKms()
    version = kms.add_version(1)
    for hour in (3, 4, 5, 6):
        for shard in range(3):
            created = T0.replace(hour=hour) + timedelta(minutes=5 + 20 * shard, seconds=7, microseconds=123000)
            gcs.put(
                sink_name(hour, shard),
                b'{"logName":"activity","n":%d}\n' % (hour * 10 + shard),
                created,
                composite=shard == 2,
            )
    return GcpWorld(gcs, kms, version)


def parse(argv: list[str]) -> argparse.Namespace:
    return build_parser().parse_args(argv)


@dataclass
class AzureWorld:
    blob: Any
    vault: Any
    kid: str

    def archive(self):
        from auditkit.auditors.seal.azure_blob import BlobArchive
        from tests.fakes.arm import FakeCredential

        return BlobArchive(self.blob.container_client(FakeCredential()), 10)

    def key_vault(self, key: str, versioned: bool):
        from auditkit.auditors.seal.key_vault import KeyVault
        from tests.fakes.arm import FakeCredential

        return KeyVault(FakeCredential(), key, 10, versioned, connection_verify=str(self.vault.cert))

    def seal(self, now: datetime, kid: str | None = None):
        signer = self.key_vault(kid or self.kid, True)
        signer.prepare()
        return seal_archive(self.archive(), signer, SealOptions(SETTLE, T0), now)

    def verify(self, now: datetime, deep: bool = False):
        from auditkit.auditors.azure.collect import classify
        from auditkit.policies.azure.rules import ARCHIVE_INTEGRITY as AZURE_INTEGRITY

        options = VerifyOptions(T0, now, SETTLE, GRACE, deep)
        source = self.key_vault(self.kid.rsplit("/", 1)[0], False)
        return verify_sealed(self.archive(), source, options, AZURE_INTEGRITY.control, now, classify)

    def by_hour(self, report) -> dict[str, Any]:
        return {f.resource.rsplit("/", 1)[1]: f for f in report.findings}


def monitor_blob(hour: int, resource: str = "VAULTS/KV-PHI") -> str:
    """Azure Monitor's blob for one hour of a resource's logs (azure-monitor/essentials/resource-logs#send-to-azure-storage)."""
    return (
        f"resourceId=/SUBSCRIPTIONS/1A66CE04-B633-4A0B-B2BC-A912EC8986A6/RESOURCEGROUPS/VIRUELA1/PROVIDERS/"
        f"MICROSOFT.KEYVAULT/{resource}/y=2026/m=11/d=30/h={hour:02d}/m=00/PT1H.json"
    )


def azure_world() -> AzureWorld:
    from tests.fakes.blob_archive import FakeBlobArchive
    from tests.fakes.key_vault import FakeKeyVault

    blob, vault = FakeBlobArchive(), FakeKeyVault()
    kid = vault.add_key()
    for hour in (3, 4, 5):
        for minute in (2, 21, 44, 58):
            blob.append(monitor_blob(hour), b'{"category":"AuditEvent"}\n', T0.replace(hour=hour, minute=minute))
    return AzureWorld(blob, vault, kid)


def served_gcp_world(sealed: bool = False) -> Iterator[GcpWorld]:
    """A pytest fixture's body: the fake GCS and Cloud KMS for one test (sealed: hours 03-05 sealed), then closed."""
    w = gcp_world()
    if sealed:
        w.seal()
    yield w
    w.gcs.close()
    w.kms.close()


def served_azure_world() -> Iterator[AzureWorld]:
    """A pytest fixture's body: the fake Blob container and Key Vault for one test, then closed."""
    w = azure_world()
    yield w
    w.blob.close()
    w.vault.close()

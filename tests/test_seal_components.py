"""The sealing identities and keys under the mock engine: exactly the grants `seal` needs, nothing more."""

import pytest

from auditkit.components.azure.archive_sealing import SEAL_WRITES_ONLY, SEALER_DATA_ACTIONS
from auditkit.components.azure.archive_sealing import ArchiveSealing as AzureSealing
from auditkit.components.azure.archive_sealing import ArchiveSealingArgs as AzureArgs
from auditkit.components.gcp.archive_sealing import ArchiveSealing, ArchiveSealingArgs, crypto_key_name
from auditkit.components.mock_engine import render
from auditkit.policies.errors import ConfigError

SEALER = "serviceAccount:auditkit-sealer@acme-audit.iam.gserviceaccount.com"


def _gcp(**kw):
    args = ArchiveSealingArgs("acme-audit", "acme-audit-archive", verifiers=["group:auditors@acme.example"], **kw)
    return {r.name: r for r in render(lambda: ArchiveSealing("seal", args), "s")}


def test_gcp_sealer_signs_with_one_hsm_key_reads_the_archive_and_creates_only_seals():
    r = _gcp()
    key = r["seal-key"]
    assert key.type == "gcp:kms/cryptoKey:CryptoKey"
    assert key.inputs["purpose"] == "ASYMMETRIC_SIGN"
    assert key.inputs["versionTemplate"] == {"algorithm": "RSA_SIGN_PKCS1_2048_SHA256", "protectionLevel": "HSM"}
    grants = {
        (
            x.type.split(":")[1],
            x.inputs["role"],
            x.inputs["member"],
            str(x.inputs.get("condition", {}).get("expression")),
        )
        for x in r.values()
        if "role" in x.inputs
    }
    assert grants == {
        ("kms/cryptoKeyIAMMember", "roles/cloudkms.signerVerifier", SEALER, "None"),
        ("kms/cryptoKeyIAMMember", "roles/cloudkms.publicKeyViewer", "group:auditors@acme.example", "None"),
        ("storage/bucketIAMMember", "roles/storage.objectViewer", SEALER, "None"),
        (
            "storage/bucketIAMMember",
            "roles/storage.objectCreator",
            SEALER,
            'resource.name.startsWith("projects/_/buckets/acme-audit-archive/objects/auditkit-seals/")',
        ),
    }
    assert r["seal-sealer"].inputs["accountId"] == "auditkit-sealer"
    assert crypto_key_name(ArchiveSealingArgs("acme-audit", "b")) == (
        "projects/acme-audit/locations/us/keyRings/auditkit/cryptoKeys/archive-seal"
    )


def test_gcp_sealing_refuses_bad_names_before_registering_anything():
    with pytest.raises(ConfigError, match="gcp.sealing.accountId"):
        ArchiveSealingArgs("p", "b", account_id="X")
    with pytest.raises(ConfigError, match="gcp.sealing.verifiers"):
        ArchiveSealingArgs("p", "b", verifiers=["auditors@acme.example"])


def test_azure_sealer_signs_with_one_key_and_writes_only_under_the_seal_prefix():
    args = AzureArgs(
        "rg-audit",
        "eastus",
        "1a66ce04-b633-4a0b-b2bc-a912ec8986a6",
        "72f988bf-86f1-41af-91ab-2d7cd011db47",
        "acme-audit-kv",
        "/subscriptions/1a66ce04-b633-4a0b-b2bc-a912ec8986a6/resourceGroups/rg-audit/providers/Microsoft.Storage/storageAccounts/acmeauditlogs",
        ("insights-logs-auditevent", "insights-activity-logs"),
    )
    r = {x.name: x for x in render(lambda: AzureSealing("seal", args), "s")}
    assert r["seal-key"].inputs["properties"] == {"kty": "RSA-HSM", "keySize": 2048, "keyOps": ["sign", "verify"]}
    vault = r["seal-vault"].inputs["properties"]
    assert vault["enableRbacAuthorization"] is True and vault["enablePurgeProtection"] is True
    assert vault["sku"] == {"family": "A", "name": "premium"}
    assert r["seal-sign"].inputs["roleDefinitionId"].endswith("/roleDefinitions/12338af0-0e69-4776-bea7-57ae8d297424")
    role = r["seal-seal-writer"].inputs
    assert role["permissions"] == [{"dataActions": list(SEALER_DATA_ACTIONS), "actions": [], "notDataActions": []}]
    assert not any("delete" in a for a in role["permissions"][0]["dataActions"])
    scopes = sorted(x.inputs["scope"] for x in r.values() if x.name.startswith("seal-seal-insights"))
    assert scopes == [
        f"{args.storage_account_id}/blobServices/default/containers/insights-activity-logs",
        f"{args.storage_account_id}/blobServices/default/containers/insights-logs-auditevent",
    ]
    assert {x.inputs["condition"] for x in r.values() if x.name.startswith("seal-seal-insights")} == {SEAL_WRITES_ONLY}
    assert "StringStartsWith 'auditkit-seals/'" in SEAL_WRITES_ONLY
    with pytest.raises(ConfigError, match="azure.sealing.containers"):
        AzureArgs("rg", "eastus", "s", "t", "acme-kv", "id", ())

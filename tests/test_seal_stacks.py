"""`auditkit:gcp.sealing` and `auditkit:azure.sealing` in the stack program (mock engine): the sealing
identity and key registered with the archive they seal, from checked settings; refused values stop the
program before anything is registered."""

import pytest

from auditkit.components.azure.archive_sealing import KEY_VAULT_CRYPTO_USER, SEAL_WRITES_ONLY
from auditkit.components.mock_engine import render
from auditkit.components.stack import build_stack
from auditkit.policies.errors import ConfigError
from auditkit.settings.stack_settings import parse_settings
from tests.conftest import rendered
from tests.test_refused_config import registered_before_error

BASE = {
    "archiveProject": "acme-audit",
    "bucketName": "acme-audit-archive",
    "scope": "project",
    "projectId": "acme-prod",
}
SUB = "11111111-2222-3333-4444-555555555555"
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
KV = f"/subscriptions/{SUB}/resourceGroups/rg-phi/providers/Microsoft.KeyVault/vaults/kv-phi"
PROVIDER = {"subscriptionId": SUB, "location": "eastus2", "tenantId": TENANT}


def _gcp(**gcp):
    return parse_settings("g", {"clouds": ["gcp"], "gcp": {**BASE, **gcp}})


def _azure(provider=PROVIDER, **azure):
    cfg = {"clouds": ["azure"], "azure": {"storageAccountName": "auditarchive", "diagnosticResources": [KV], **azure}}
    return parse_settings("z", cfg, None, provider)


def test_no_sealing_unless_asked():
    assert not any("sealing" in name for name in rendered(_gcp()))
    assert not any("sealing" in name for name in rendered(_gcp(sealing=False)))
    assert not any("sealing" in name for name in rendered(_azure()))


def test_gcp_sealing_true_registers_the_sealer_and_an_hsm_key_in_the_archive_buckets_location():
    r = rendered(_gcp(sealing=True))
    sealer = "serviceAccount:auditkit-sealer@acme-audit.iam.gserviceaccount.com"
    assert r["gcp-archive-sealing-sealer"].inputs["accountId"] == "auditkit-sealer"
    assert r["gcp-archive-sealing-ring"].inputs == {"name": "auditkit", "location": "us", "project": "acme-audit"}
    assert r["gcp-archive-sealing-key"].inputs["versionTemplate"]["protectionLevel"] == "HSM"
    writes = r["gcp-archive-sealing-write-seals"].inputs
    assert (writes["bucket"], writes["member"], writes["role"]) == (
        "acme-audit-archive",
        sealer,
        "roles/storage.objectCreator",
    )
    assert r["gcp-archive-sealing-write-seals"].component == "gcp-archive-sealing"
    assert r["gcp-archive-sealing-read"].inputs["bucket"] == r["gcp-audit-archive-bucket"].inputs["name"]


def test_gcp_sealing_settings_name_the_key_and_its_verifiers():
    r = rendered(
        _gcp(
            location="EUROPE-WEST3",
            sealing={
                "accountId": "log-sealer",
                "keyRing": "seals",
                "keyName": "hourly",
                "verifiers": ["group:auditors@acme.example"],
            },
        )
    )
    assert r["gcp-archive-sealing-ring"].inputs["location"] == "europe-west3"
    assert r["gcp-archive-sealing-key"].inputs["name"] == "hourly"
    assert r["gcp-archive-sealing-verify-0"].inputs["member"] == "group:auditors@acme.example"
    assert (
        r["gcp-archive-sealing-sign"].inputs["member"] == "serviceAccount:log-sealer@acme-audit.iam.gserviceaccount.com"
    )


@pytest.mark.parametrize(
    ("sealing", "field"),
    [
        ({"accountId": "X"}, "gcp.sealing.accountId"),
        ({"keyRing": "a/b"}, "gcp.sealing.keyRing"),
        ({"keyName": "k" * 64}, "gcp.sealing.keyName"),
        ({"keyLocation": "US"}, "gcp.sealing.keyLocation"),
        ({"verifiers": ["auditors@acme.example"]}, "gcp.sealing.verifiers"),
        ({"verifiers": ["group:a@b.c", "group:a@b.c"]}, "gcp.sealing.verifiers"),
        ({"keyname": "k"}, "gcp.sealing.keyname"),
        ("yes", "gcp.sealing"),
    ],
)
def test_gcp_sealing_refused_before_anything_is_registered(sealing, field):
    exc, resources = registered_before_error({"clouds": ["gcp"], "gcp": {**BASE, "sealing": sealing}})
    assert exc.field == field and resources == []


def test_azure_sealing_registers_vault_key_and_per_container_grants_on_the_archive_account():
    s = _azure(sealing={"vaultName": "acme-seal-kv"})
    assert s.azure is not None and s.azure.sealing is not None and s.azure.sealing.tenant_id == TENANT
    r = {x.name: x for x in render(lambda: build_stack(s), "z")}
    vault = r["azure-archive-sealing-vault"].inputs
    assert vault["vaultName"] == "acme-seal-kv" and vault["properties"]["tenantId"] == TENANT
    assert vault["resourceGroupName"] == "auditkit-audit"
    sign = r["azure-archive-sealing-sign"].inputs["roleDefinitionId"]
    assert sign == f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/{KEY_VAULT_CRYPTO_USER}"
    # the archive account's own ARM id (the mock engine's, as Azure returns it), not the stand-in
    [account] = {
        x.inputs["scope"].split("/blobServices/")[0]
        for x in r.values()
        if "/blobServices/" in str(x.inputs.get("scope"))
    }
    mock_subscription = "00000000-0000-0000-0000-000000000000"  # AuditKitMocks.azure_subscription, not SUB
    assert account == (
        f"/subscriptions/{mock_subscription}/resourceGroups/auditkit-audit/providers/Microsoft.Storage/storageAccounts/auditarchive"
    )
    grants = {
        x.inputs["scope"]: x.inputs["condition"]
        for x in r.values()
        if x.name.startswith("azure-archive-sealing-seal-insights")
    }
    assert grants == {
        f"{account}/blobServices/default/containers/{c}": SEAL_WRITES_ONLY
        for c in ("insights-activity-logs", "insights-logs-auditevent")
    }


def test_azure_sealing_of_named_containers_only_and_the_tenant_from_the_settings():
    s = _azure(
        provider={"subscriptionId": SUB, "location": "eastus2"},
        sealing={"vaultName": "acme-seal-kv", "containers": ["insights-logs-auditevent"], "tenantId": TENANT},
    )
    r = render(lambda: build_stack(s), "z")
    scopes = [x.inputs["scope"] for x in r if x.name.startswith("azure-archive-sealing-seal-insights")]
    assert len(scopes) == 1 and scopes[0].endswith("/containers/insights-logs-auditevent")


@pytest.mark.parametrize(
    ("sealing", "provider", "field"),
    [
        ({"vaultName": "kv"}, PROVIDER, "azure.sealing.vaultName"),
        ({"vaultName": "acme--kv"}, PROVIDER, "azure.sealing.vaultName"),
        ({"vaultName": "1acme-kv"}, PROVIDER, "azure.sealing.vaultName"),
        ({}, PROVIDER, "azure.sealing.vaultName"),
        (True, PROVIDER, "azure.sealing.vaultName"),
        ({"vaultName": "acme-kv", "keyName": "a_b"}, PROVIDER, "azure.sealing.keyName"),
        ({"vaultName": "acme-kv"}, {"subscriptionId": SUB}, "azure.sealing.tenantId"),
        ({"vaultName": "acme-kv", "tenantId": "acme"}, PROVIDER, "azure.sealing.tenantId"),
        ({"vaultName": "acme-kv", "containers": ["insights-logs-signinlogs"]}, PROVIDER, "azure.sealing.containers"),
        ({"vaultName": "acme-kv", "containers": []}, PROVIDER, "azure.sealing.containers"),
    ],
)
def test_azure_sealing_refused_before_anything_is_registered(sealing, provider, field):
    azure = {"storageAccountName": "auditarchive", "diagnosticResources": [KV], "sealing": sealing}
    exc, resources = registered_before_error({"clouds": ["azure"], "azure": azure}, provider)
    assert exc.field == field and resources == []


def test_a_container_outside_the_archive_is_refused_saying_why():
    with pytest.raises(ConfigError) as caught:
        build_stack(_azure(sealing={"vaultName": "acme-kv", "containers": ["insights-logs-signinlogs"]}))
    assert "locked immutability policy" in str(caught.value) and "insights-logs-auditevent" in str(caught.value)

"""`auditkit scan azure`: the real azure-mgmt clients against a fake ARM over HTTPS, seeded from the
published example responses (tests/fakes/arm_published.py names each Azure/azure-rest-api-specs file):
faults, permissions, call counts, the command without credentials."""

import json

import pytest

from auditkit.auditors.azure.scan import AzureScanOptions, scan_azure
from auditkit.auditors.findings import Status
from auditkit.policies.retention import required_retention
from tests.fakes.arm import FakeCredential
from tests.fakes.arm_grants import shipped_sealer
from tests.fakes.arm_published import ACCOUNT, GROUP, KV, SUB, WORKSPACE, PublishedWorld

US = required_retention(["US"])
SUBSCRIPTION = f"/subscriptions/{SUB}"
OTHER_SUB = "fb9f25f9-5785-4510-a38f-a62f188eb9f8"  # listSubscriptionDiagnosticSettings.json's subscription


def scan(arm, world=None, required=US, load=True):
    if load:
        (world or PublishedWorld(required.days)).load(arm)
    return scan_azure(AzureScanOptions(required, (SUB,), arm_endpoint=arm.endpoint), FakeCredential())


def by(report, control):
    return {f.resource: (f.status, f.message) for f in report.findings if f.control == control}


def test_the_real_clients_use_the_api_versions_they_pin(arm):
    """listSubscriptionDiagnosticSettings.json is served for the monitor client's 2021-05-01-preview."""
    report = scan(arm)
    assert {f.status for f in report.findings} == {Status.PASS}
    assert (
        "GET",
        f"{SUBSCRIPTION}/providers/microsoft.insights/diagnosticsettings",
        "2021-05-01-preview",
    ) in arm.requests


def test_enumerated_resources_without_settings_fail_even_if_no_stack_knew_them(arm):
    """A Cosmos DB account in the resource list (paged), with an empty listDiagnosticSettings.json value."""
    world = PublishedWorld(US.days)
    cosmos = f"{GROUP}/Microsoft.DocumentDB/databaseAccounts/cosmos-phi"
    world.resources.append(cosmos)
    world.categories[cosmos] = {"DataPlaneRequests": ["audit", "allLogs"], "ControlPlaneRequests": ["audit", "allLogs"]}
    found = by(scan(arm, world), "azure.diagnostics.resources")
    assert found[KV][0] is Status.PASS
    assert found[cosmos] == (Status.FAIL, f"{cosmos}: no diagnostic setting")


def test_retention_is_judged_against_the_scan_jurisdictions(arm):
    """BlobContainersGet.json policies of 6 years, scanned for NY minors (21 years)."""
    PublishedWorld(US.days).load(arm)
    ny = required_retention(["NY"], minors=True)
    ((status, message),) = by(scan(arm, required=ny, load=False), "azure.storage.immutability").values()
    assert status is Status.FAIL and f"retention 2192 days < required {ny.describe()}" in message


def test_container_reads_denied_is_error_and_the_rest_is_still_judged(arm):
    PublishedWorld(US.days).load(arm)
    arm.faults[f"{ACCOUNT}/blobServices".lower()] = (403, "AuthorizationFailed")
    report = scan(arm, load=False)
    errors = [(f.control, "AuthorizationFailed" in f.message) for f in report.findings if f.status is Status.ERROR]
    assert errors == [("azure.storage.immutability", True)]
    assert by(report, "azure.storage.hardening")[ACCOUNT][0] is Status.PASS
    assert report.exit_code() == 2


def test_resource_list_denied_is_error_not_an_empty_subscription(arm):
    PublishedWorld(US.days).load(arm)
    arm.faults[f"{SUBSCRIPTION}/resources"] = (403, "AuthorizationFailed")
    found = by(scan(arm, load=False), "azure.diagnostics.resources")
    assert list(found) == [SUBSCRIPTION]
    assert found[SUBSCRIPTION][0] is Status.ERROR and "AuthorizationFailed" in found[SUBSCRIPTION][1]


@pytest.mark.slow  # waits out the SDK's retries against an endpoint that never answers
def test_unreachable_arm_is_error_for_everything():
    report = scan_azure(AzureScanOptions(US, (SUB,), arm_endpoint="https://127.0.0.1:9"), FakeCredential())
    assert report.findings and {f.status for f in report.findings} == {Status.ERROR}
    assert report.exit_code() == 2


def test_the_shipped_role_is_exactly_what_the_scan_uses(arm):
    from auditkit.auditors.azure.permissions import rbac_action, role_actions

    sealed = PublishedWorld(US.days, authorization=shipped_sealer(ACCOUNT))  # its roles are read too
    scan(arm, sealed)
    used = {rbac_action(method, path) for method, path, _ in arm.requests}
    assert used == role_actions()
    assert all(a.lower().endswith("/read") for a in role_actions())


def test_reports_count_the_arm_requests(arm):
    report = scan(arm)
    assert report.scanned["api_calls"] == len(arm.requests) > 0
    from auditkit.auditors.reports import FORMATS

    assert f"1 subscription(s) · {len(arm.requests)} API calls" in FORMATS["markdown"](report, "")


@pytest.mark.parametrize(
    ("path", "change", "control", "fragment"),
    [
        (
            ACCOUNT,
            lambda b: b["properties"].update(minimumTlsVersion="TLS1_0"),
            "azure.storage.hardening",
            "minimum TLS version is TLS1_0",
        ),
        (ACCOUNT, lambda b: b["properties"].pop("allowSharedKeyAccess"), "azure.storage.hardening", "shared-key"),
        (
            WORKSPACE,
            lambda b: b["properties"].update(retentionInDays=7),
            "azure.workspace.retention",
            "interactive retention 7 days",
        ),
    ],
)
def test_archive_hardening_and_workspace_retention_fail_when_weakened(arm, path, change, control, fragment):
    """StorageAccountGetProperties.json (which omits allowSharedKeyAccess: null means allowed) and WorkspacesGet.json."""
    PublishedWorld(US.days).load(arm)
    change(arm.routes[path.lower()])
    report = scan(arm, load=False)
    ((status, message),) = by(report, control).values()
    assert status is Status.FAIL and fragment in message
    assert {f.control for f in report.gaps} == {control}


# --- 9. one clear error without credentials ---------------------------------------------------------


def test_scan_azure_without_credentials_says_once_what_was_tried(capsys, monkeypatch, arm):
    """No credential source on this machine: one ERROR per subscription naming the sources and `az login`, exit 2,
    no credential chain in the log and no call to ARM."""
    from auditkit.auditors.cli import main

    for var in (
        "AZURE_CLIENT_ID",
        "AZURE_TENANT_ID",
        "AZURE_CLIENT_SECRET",
        "AZURE_USERNAME",
        "AZURE_FEDERATED_TOKEN_FILE",
    ):
        monkeypatch.delenv(var, raising=False)
    for var in ("MSI_ENDPOINT", "IDENTITY_ENDPOINT", "IDENTITY_HEADER"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AZURE_CONFIG_DIR", "/nonexistent-azure-config")
    monkeypatch.setenv("PATH", "/nonexistent-bin")  # no az, azd or pwsh to ask
    args = ["scan", "azure", "--subscription", SUB, "--subscription", OTHER_SUB, "--arm-endpoint", arm.endpoint]
    assert main([*args, "--format", "json"]) == 2
    out, err = capsys.readouterr()
    findings = json.loads(out)["findings"]
    assert [(f["status"], f["resource"]) for f in findings] == [
        ("ERROR", SUBSCRIPTION),
        ("ERROR", f"/subscriptions/{OTHER_SUB}"),
    ]
    message = findings[0]["message"]
    assert message.startswith("AuthenticationFailed: no Azure credential (tried Environment, ")
    assert "ManagedIdentity, " in message and "AzureCli, " in message and "Log in with `az login`" in message
    assert "EnvironmentCredential" not in err and arm.requests == []
    assert main([*args, "--format", "table"]) == 2
    out, err = capsys.readouterr()
    assert out.count("no Azure credential") == 2 and len((out + err).splitlines()) < 25, out + err

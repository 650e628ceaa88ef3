"""`auditkit scan azure`: the real azure-mgmt clients against a fake ARM over HTTPS."""

import pytest

from auditkit.auditors.azure.scan import AzureScanOptions, scan_azure
from auditkit.auditors.findings import Status
from auditkit.components.mock_engine import render
from auditkit.components.settings import parse_settings
from auditkit.components.stack import build_stack
from tests.fakes.arm import FakeArm, FakeCredential
from tests.fakes.arm_world import INSIGHTS, load_rendered

SUB = "00000000-0000-0000-0000-000000000000"
RG = f"/subscriptions/{SUB}/resourceGroups/rg-phi/providers"
KV = f"{RG}/Microsoft.KeyVault/vaults/kv-phi"
SQL = f"{RG}/Microsoft.Sql/servers/sql/databases/records"
BLOB = f"{RG}/Microsoft.Storage/storageAccounts/phiblobs"


@pytest.fixture
def arm(monkeypatch):
    fake = FakeArm()
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(fake.cert))
    yield fake
    fake.close()


def deploy(arm, resource_ids=(KV, SQL, BLOB), locked=True, jurisdictions=("TX",)):
    s = parse_settings(
        "z",
        {
            "jurisdictions": list(jurisdictions),
            "clouds": ["azure"],
            "azure": {
                "storageAccountName": "auditarchive",
                "diagnosticResources": list(resource_ids),
                "workspace": {"name": "law-audit", "retentionDays": 90},
            },
        },
        None,
        {"subscriptionId": SUB},
    )
    load_rendered(arm, SUB, render(lambda: build_stack(s), "z"), resource_ids, locked=locked)
    return s.retention


def scan(arm, required, **kw):
    return scan_azure(AzureScanOptions(required, (SUB,), arm_endpoint=arm.endpoint, **kw), FakeCredential())


def by(report, control):
    return {f.resource: (f.status, f.message) for f in report.findings if f.control == control}


def test_the_deployed_components_pass_every_azure_control(arm):
    required = deploy(arm)
    report = scan(arm, required)
    assert {f.control for f in report.findings} == {
        "azure.activity_log.export",
        "azure.diagnostics.resources",
        "azure.storage.immutability",
        "azure.storage.lifecycle",
        "azure.storage.hardening",
        "azure.workspace.retention",
    }
    assert [f for f in report.findings if f.status is not Status.PASS] == []
    assert set(by(report, "azure.diagnostics.resources")) == {KV, SQL, BLOB}
    # The real clients used the API versions they pin, over HTTPS.
    assert (
        "GET",
        f"/subscriptions/{SUB}/providers/microsoft.insights/diagnosticsettings",
        "2021-05-01-preview",
    ) in arm.requests


def test_unlocked_policies_are_a_gap_until_the_lock_step(arm):
    required = deploy(arm, locked=False)
    gaps = [f for f in scan(arm, required).gaps]
    assert [f.control for f in gaps] == ["azure.storage.immutability"]
    assert "is Unlocked: it can still be shortened or deleted (run the lock step)" in gaps[0].message


def test_enumerated_resources_without_settings_fail_even_if_the_stack_never_knew_them(arm):
    required = deploy(arm, resource_ids=(KV,))
    stranger = f"{RG}/Microsoft.DocumentDB/databaseAccounts/cosmos-phi"
    arm.routes[f"/subscriptions/{SUB}/resources"].append(
        {"id": stranger, "name": "cosmos-phi", "type": "Microsoft.DocumentDB/databaseAccounts"}
    )
    arm.set(f"{stranger}/{INSIGHTS}", [])
    found = by(scan(arm, required), "azure.diagnostics.resources")
    assert found[KV][0] is Status.PASS
    assert found[stranger] == (Status.FAIL, f"{stranger}: no diagnostic setting")


def test_activity_log_missing_categories_and_retention_gaps(arm):
    required = deploy(arm, jurisdictions=("NY",))
    sub_settings = arm.routes[f"/subscriptions/{SUB}/{INSIGHTS}"]
    sub_settings[0]["properties"]["logs"] = sub_settings[0]["properties"]["logs"][:2]
    report = scan(arm, required)
    status, message = by(report, "azure.activity_log.export")[f"/subscriptions/{SUB}"]
    assert status is Status.FAIL
    assert (
        message
        == "Activity Log categories not exported: ServiceHealth, Alert, Recommendation, Policy, Autoscale, ResourceHealth"
    )
    assert {f.control for f in report.gaps} == {"azure.activity_log.export"}


def test_retention_is_judged_against_the_scan_jurisdictions(arm):
    deploy(arm, jurisdictions=("TX",))  # 2557 days deployed
    from auditkit.policies.retention import required_retention

    immutability = by(scan(arm, required_retention(["NY"], minors=True)), "azure.storage.immutability")
    ((status, message),) = immutability.values()
    assert status is Status.FAIL and "retention 2557 days < required 21 years (7671 days)" in message


def test_access_denied_is_error_and_the_rest_is_still_judged(arm):
    required = deploy(arm)
    arm.faults[
        f"/subscriptions/{SUB}/resourcegroups/auditkit-audit/providers/microsoft.storage/storageaccounts/auditarchive/blobservices"
    ] = (403, "AuthorizationFailed")
    report = scan(arm, required)
    errors = [(f.control, "AuthorizationFailed" in f.message) for f in report.findings if f.status is Status.ERROR]
    assert errors == [("azure.storage.immutability", True)]
    assert by(report, "azure.storage.hardening") and all(
        s is Status.PASS for s, _ in by(report, "azure.storage.hardening").values()
    )
    assert report.exit_code() == 2


def test_resource_list_denied_is_error_not_an_empty_subscription(arm):
    required = deploy(arm)
    arm.faults[f"/subscriptions/{SUB}/resources"] = (403, "AuthorizationFailed")
    found = by(scan(arm, required), "azure.diagnostics.resources")
    assert list(found.values()) == [(Status.ERROR, found[f"/subscriptions/{SUB}"][1])]
    assert "AuthorizationFailed" in found[f"/subscriptions/{SUB}"][1]


def test_no_management_policy_is_a_gap_not_an_error(arm):
    required = deploy(arm)
    del arm.routes[
        f"/subscriptions/{SUB}/resourcegroups/auditkit-audit/providers/microsoft.storage/storageaccounts/auditarchive/managementpolicies/default"
    ]
    found = by(scan(arm, required), "azure.storage.lifecycle")
    assert list(found.values()) == [(Status.FAIL, "no rule tiers blobs to cool, cold or archive")]


def test_unreachable_arm_is_error_for_everything(arm):
    required = deploy(arm)
    report = scan_azure(AzureScanOptions(required, (SUB,), arm_endpoint="https://127.0.0.1:9"), FakeCredential())
    assert report.findings and {f.status for f in report.findings} == {Status.ERROR}
    assert report.exit_code() == 2


def test_the_shipped_role_is_exactly_what_the_scan_uses(arm):
    from auditkit.auditors.azure.permissions import rbac_action, role_actions

    required = deploy(arm)
    scan(arm, required)
    used = {rbac_action(method, path) for method, path, _ in arm.requests}
    assert used == role_actions()
    assert all(a.endswith("/read") for a in role_actions())


def test_scan_azure_command_without_credentials_fails_closed(capsys, monkeypatch, arm):
    from auditkit.auditors.cli import main

    # No credential source at all on this machine: every call fails to authenticate -> ERROR, exit 2.
    for var in (
        "AZURE_CLIENT_ID",
        "AZURE_TENANT_ID",
        "AZURE_CLIENT_SECRET",
        "AZURE_USERNAME",
        "MSI_ENDPOINT",
        "IDENTITY_ENDPOINT",
    ):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AZURE_CONFIG_DIR", "/nonexistent-azure-config")
    code = main(["scan", "azure", "--subscription", SUB, "--arm-endpoint", arm.endpoint, "--format", "json"])
    assert code == 2
    import json

    doc = json.loads(capsys.readouterr().out)
    assert doc["summary"]["ERROR"] >= 1 and doc["summary"]["PASS"] == 0


def test_sql_database_without_server_auditing_to_monitor_is_a_gap(arm):
    required = deploy(arm)
    server = SQL.rsplit("/databases/", 1)[0]
    arm.set(
        f"{server}/extendedAuditingSettings/default",
        {"id": "x", "name": "default", "properties": {"state": "Disabled"}},
    )
    found = by(scan(arm, required), "azure.diagnostics.resources")
    assert found[KV][0] is Status.PASS
    assert found[SQL] == (
        Status.FAIL,
        f"{SQL}: server sql does not audit to Azure Monitor (SQLSecurityAuditEvents stays empty)",
    )


def test_reports_count_the_arm_requests(arm):
    required = deploy(arm)
    report = scan(arm, required)
    assert report.scanned["api_calls"] == len(arm.requests) > 0
    from auditkit.auditors.reports import FORMATS

    assert f"1 subscription(s) · {len(arm.requests)} API calls" in FORMATS["markdown"](report, "")


@pytest.mark.parametrize(
    ("path_suffix", "change", "control", "fragment"),
    [
        (
            "/resourcegroups/auditkit-audit/providers/microsoft.storage/storageaccounts/auditarchive",
            lambda body: body["properties"].update(minimumTlsVersion="TLS1_0"),
            "azure.storage.hardening",
            "minimum TLS version is TLS1_0",
        ),
        (
            "/resourcegroups/auditkit-audit/providers/microsoft.operationalinsights/workspaces/law-audit",
            lambda body: body["properties"].update(retentionInDays=7),
            "azure.workspace.retention",
            "interactive retention 7 days",
        ),
    ],
)
def test_archive_hardening_and_workspace_retention_fail_when_weakened(arm, path_suffix, change, control, fragment):
    required = deploy(arm)
    change(arm.routes[f"/subscriptions/{SUB}{path_suffix}"])
    report = scan(arm, required)
    ((status, message),) = by(report, control).values()
    assert status is Status.FAIL and fragment in message
    assert {f.control for f in report.gaps} == {control}

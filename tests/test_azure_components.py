"""Azure components under the mock engine: per resource type, per jurisdiction, refused inputs, plan judgement."""

import pytest

from auditkit.policies.azure.facts import ACTIVITY_LOG_CATEGORIES
from auditkit.policies.azure.plan_facts import judge_azure_plan
from auditkit.policies.retention import required_retention
from auditkit.policies.verdicts import PlanResource
from auditkit.settings.stack_settings import parse_settings
from tests.conftest import rendered
from tests.plan_helpers import weaken

SUB = "11111111-2222-3333-4444-555555555555"
RG = f"/subscriptions/{SUB}/resourceGroups/rg-phi/providers"
KV = f"{RG}/Microsoft.KeyVault/vaults/kv-phi"
FHIR = f"{RG}/Microsoft.HealthcareApis/workspaces/hds/fhirservices/fhir"
SQL = f"{RG}/Microsoft.Sql/servers/sql/databases/records"
BLOB = f"{RG}/Microsoft.Storage/storageAccounts/phiblobs"
COSMOS = f"{RG}/Microsoft.DocumentDB/databaseAccounts/cosmos-phi"


def azure_settings(jurisdictions=("US",), minors=False, **azure):
    cfg = {
        "jurisdictions": list(jurisdictions),
        "minors": minors,
        "clouds": ["azure"],
        "azure": {"storageAccountName": "auditarchive", **azure},
    }
    return parse_settings("z", cfg, None, {"subscriptionId": SUB, "location": "eastus2"})


@pytest.mark.parametrize(
    ("rid", "uri_suffix", "logs", "containers"),
    [
        (KV, "", [{"categoryGroup": "audit", "enabled": True}], ["insights-logs-auditevent"]),
        (FHIR, "", [{"category": "AuditLogs", "enabled": True}], ["insights-logs-auditlogs"]),
        (
            SQL,
            "",
            [{"categoryGroup": "audit", "enabled": True}],
            ["insights-logs-devopsoperationsaudit", "insights-logs-sqlsecurityauditevents"],
        ),
        (
            BLOB,
            "/blobServices/default",
            [{"categoryGroup": "audit", "enabled": True}],
            ["insights-logs-storagedelete", "insights-logs-storageread", "insights-logs-storagewrite"],
        ),
        (
            COSMOS,
            "",
            [{"categoryGroup": "audit", "enabled": True}],
            ["insights-logs-controlplanerequests", "insights-logs-dataplanerequests"],
        ),
    ],
)
def test_each_resource_type_gets_its_audit_logs_and_immutable_containers(rid, uri_suffix, logs, containers):
    r = rendered(azure_settings(diagnosticResources=[rid]))
    settings = [x for x in r.values() if x.type == "azure-native:monitor:DiagnosticSetting"]
    setting = next(x for x in settings if not x.inputs["resourceUri"].endswith("/databases/master"))
    assert setting.inputs["resourceUri"] == rid + uri_suffix
    assert setting.inputs["logs"] == logs
    assert (
        setting.inputs["storageAccountId"]
        == "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/auditkit-audit/providers/Microsoft.Storage/storageAccounts/auditarchive"
    )
    made = sorted(x.inputs["containerName"] for x in r.values() if x.type == "azure-native:storage:BlobContainer")
    assert made == sorted(["insights-activity-logs", *containers])
    policies = [x for x in r.values() if x.type == "azure-native:storage:BlobContainerImmutabilityPolicy"]
    assert sorted(p.inputs["containerName"] for p in policies) == made


@pytest.mark.parametrize(
    ("jurisdictions", "minors", "days"), [(["US"], False, 2192), (["TX"], False, 2557), (["NY"], True, 7671)]
)
def test_immutability_and_lifecycle_follow_the_jurisdictions(jurisdictions, minors, days):
    r = rendered(azure_settings(jurisdictions=jurisdictions, minors=minors))
    policy = r["azure-audit-archive-insights-activity-logs-immutability"].inputs
    assert policy["immutabilityPeriodSinceCreationInDays"] == days
    assert policy["allowProtectedAppendWrites"] is True and policy["immutabilityPolicyName"] == "default"
    rules = r["azure-audit-archive-lifecycle"].inputs["policy"]["rules"]
    assert rules[0]["definition"]["actions"]["baseBlob"] == {
        "tierToCool": {"daysAfterModificationGreaterThan": 30},
        "tierToCold": {"daysAfterModificationGreaterThan": 90},
        "tierToArchive": {"daysAfterModificationGreaterThan": 180},
        "delete": {"daysAfterModificationGreaterThan": days},
    }
    assert rules[1]["definition"] == {
        "filters": {"blobTypes": ["appendBlob"]},
        "actions": {"baseBlob": {"delete": {"daysAfterModificationGreaterThan": days}}},
    }


def test_activity_log_account_and_workspace():
    r = rendered(azure_settings(workspace={"name": "law-audit", "retentionDays": 90, "totalRetentionDays": 4383}))
    activity = r["azure-audit-export-activity-log"].inputs
    assert [x["category"] for x in activity["logs"]] == list(ACTIVITY_LOG_CATEGORIES)
    assert activity["workspaceId"].endswith("/providers/Microsoft.OperationalInsights/workspaces/law-audit")
    account = r["azure-audit-archive-account"].inputs
    assert (
        account["enableHttpsTrafficOnly"],
        account["minimumTlsVersion"],
        account["allowBlobPublicAccess"],
        account["allowSharedKeyAccess"],
    ) == (True, "TLS1_2", False, False)
    tables = {
        x.inputs["tableName"]: x.inputs["totalRetentionInDays"]
        for x in r.values()
        if x.type == "azure-native:operationalinsights:Table"
    }
    assert tables == {"AzureActivity": 4383, "AzureDiagnostics": 4383}
    assert r["azure-audit-workspace-workspace"].inputs["retentionInDays"] == 90


@pytest.mark.parametrize(
    ("azure", "message"),
    [
        (
            {"storageAccountName": "Audit-Archive"},
            "azure.storageAccountName='Audit-Archive' is not allowed: allowed: 3-24 lowercase letters and digits",
        ),
        (
            {"coldDays": 50},
            "azure.coldDays=50 is not allowed: the cool tier keeps blobs at least 30 days; allowed: >= 60",
        ),
        (
            {"archiveDays": 120},
            "azure.archiveDays=120 is not allowed: the cold tier keeps blobs at least 90 days; allowed: >= 180",
        ),
        (
            {"archiveDays": 2100},
            "azure.archiveDays=2100 is not allowed: the archive tier keeps blobs 180 days before the delete at day 2192",
        ),
        (
            {"workspace": {"name": "law-test", "retentionDays": 14}},
            "azure.workspace.retentionDays=14 is not allowed: allowed: 30-730 days",
        ),
        (
            {"workspace": {"name": "law-test", "retentionDays": 90, "totalRetentionDays": 7671}},
            "azure.workspace.totalRetentionDays=7671 is not allowed: Log Analytics total retention tops out at 12 years",
        ),
        ({"diagnosticResources": [f"{RG}/Microsoft.Web/sites/app"]}, "azure.diagnosticResources='/subscriptions/"),
        ({"resourceGroup": "bad/group"}, "azure.resourceGroup='bad/group' is not allowed"),
        (
            {"workspace": {"name": "law-test", "retention": 30}},
            "azure.workspace.retention=30 is not allowed: unknown setting",
        ),
    ],
)
def test_refused_azure_inputs(azure, message):
    from tests.test_refused_config import registered_before_error

    exc, resources = registered_before_error(
        {"clouds": ["azure"], "azure": {"storageAccountName": "auditarchive", **azure}}, azure={"subscriptionId": SUB}
    )
    assert message in str(exc)
    assert resources == []


def test_subscription_is_required():
    from auditkit.policies.errors import ConfigError

    with pytest.raises(ConfigError, match="azure-native:subscriptionId=None"):
        parse_settings("z", {"clouds": ["azure"], "azure": {"storageAccountName": "auditarchive"}})


def test_immutability_beyond_146000_days_is_refused():
    from auditkit.policies.errors import ConfigError

    with pytest.raises(ConfigError, match="Azure Blob container immutability holds at most") as err:
        rendered(
            parse_settings(
                "z",
                {"clouds": ["azure"], "retentionYears": 401, "azure": {"storageAccountName": "auditarchive"}},
                None,
                {"subscriptionId": SUB},
            )
        )
    assert (err.value.field, err.value.value, err.value.allowed) == ("retentionYears", 401, "at most 399 years")


@pytest.fixture(scope="module")
def azure_plan():
    s = azure_settings(
        jurisdictions=["TX"],
        diagnosticResources=[KV, SQL],
        workspace={"name": "law-test", "retentionDays": 90},
        alerts={"email": ["security@example.org"]},
    )
    return [PlanResource(r.type, r.name, r.state) for r in rendered(s).values() if r.custom], s


def _failing(resources, s, **kw):
    return {
        v.control_id: v.gaps
        for v in judge_azure_plan(resources, s.retention, s.azure.diagnostic_resources, **kw)
        if not v.passed
    }


@pytest.mark.parametrize(
    ("name", "change", "control", "fragment"),
    [
        (
            "azure-audit-export-activity-log",
            lambda p: p["logs"].pop(1),
            "azure.activity_log.export",
            "Activity Log categories not exported: Security",
        ),
        (
            "azure-audit-export-0-kv-phi",
            lambda p: p.update(logs=[{"categoryGroup": "audit", "enabled": False}]),
            "azure.diagnostics.resources",
            "kv-phi: its diagnostic settings do not send the audit categories (auditevent)",
        ),
        (
            "azure-audit-archive-insights-logs-auditevent-immutability",
            lambda p: p.update(immutabilityPeriodSinceCreationInDays=365),
            "azure.storage.immutability",
            "container insights-logs-auditevent retention 365 days < required",
        ),
        (
            "azure-audit-archive-insights-logs-auditevent-immutability",
            lambda p: p.update(state="Unlocked"),
            "azure.storage.immutability",
            "is Unlocked: it can still be shortened or deleted (run the lock step)",
        ),
        (
            "azure-audit-archive-insights-activity-logs-immutability",
            lambda p: p.update(allowProtectedAppendWrites=False),
            "azure.storage.immutability",
            "does not allow protected append writes",
        ),
        (
            "azure-audit-archive-lifecycle",
            lambda p: p["policy"]["rules"][1]["definition"]["actions"]["baseBlob"]["delete"].update(
                daysAfterModificationGreaterThan=365
            ),
            "azure.storage.lifecycle",
            "rule 'audit-log-expiry' deletes appendBlob 365 days after Modification",
        ),
        (
            "azure-audit-archive-account",
            lambda p: p.update(minimumTlsVersion="TLS1_0"),
            "azure.storage.hardening",
            "minimum TLS version is TLS1_0",
        ),
        (
            "azure-audit-archive-account",
            lambda p: p.update(allowSharedKeyAccess=True),
            "azure.storage.hardening",
            "shared-key (account key) access is not disabled",
        ),
        (
            "azure-audit-workspace-azureactivity",
            lambda p: p.update(totalRetentionInDays=5000),
            "azure.workspace.retention",
            "total retention 5000 days > 4383",
        ),
    ],
)
def test_plan_judge_fails_exactly_the_weakened_control(azure_plan, name, change, control, fragment):
    resources, s = azure_plan
    assert _failing(resources, s) == {}
    gaps = _failing(weaken(resources, name, change), s)
    assert list(gaps) == [control], gaps
    assert any(fragment in g for g in gaps[control]), gaps


def test_a_missing_diagnostic_setting_is_a_gap(azure_plan):
    resources, s = azure_plan
    without_kv = [r for r in resources if r.name != "azure-audit-export-0-kv-phi"]
    gaps = _failing(without_kv, s)
    assert gaps == {"azure.diagnostics.resources": (f"{KV}: no diagnostic setting",)}


def test_sql_databases_get_server_auditing_to_azure_monitor(azure_plan):
    """Server-level auditing to Azure Monitor, and the master database's SQLSecurityAuditEvents setting
    (sql 2021-11-01 spec, isAzureMonitorTargetEnabled): removing either is a gap."""
    resources, s = azure_plan
    auditing = [r for r in resources if r.type == "azure-native:sql:ExtendedServerBlobAuditingPolicy"]
    assert [
        (r.props["serverName"], r.props["resourceGroupName"], r.props["state"], r.props["isAzureMonitorTargetEnabled"])
        for r in auditing
    ] == [("sql", "rg-phi", "Enabled", True)]
    (master,) = [r for r in resources if r.props.get("resourceUri", "").endswith("/databases/master")]
    assert master.props["resourceUri"] == SQL.rsplit("/databases/", 1)[0] + "/databases/master"
    assert master.props["logs"] == [{"category": "SQLSecurityAuditEvents", "enabled": True}]
    prefix = f"{SQL}: SQLSecurityAuditEvents reach no archive: server level: "
    suffix = "; database level: the database does not audit to Azure Monitor"
    gaps = _failing([r for r in resources if r.type != "azure-native:sql:ExtendedServerBlobAuditingPolicy"], s)
    assert gaps == {"azure.diagnostics.resources": (prefix + "server sql does not audit to Azure Monitor" + suffix,)}
    gaps = _failing([r for r in resources if r is not master], s)
    missing = "no diagnostic setting on the master database sends SQLSecurityAuditEvents to the archive"
    assert gaps == {"azure.diagnostics.resources": (prefix + missing + suffix,)}


def test_workspace_days_written_as_pulumi_config_strings_are_whole_numbers():
    from auditkit.policies.errors import ConfigError

    """`pulumi config set --path 'auditkit:azure.workspace.retentionDays' 90` stores the string '90'."""
    ws = azure_settings(workspace={"name": "law-audit", "retentionDays": "90", "totalRetentionDays": 2557.0})
    assert (ws.azure.workspace.retention_days, ws.azure.workspace.total_retention_days) == (90, 2557)
    with pytest.raises(ConfigError, match="azure.workspace.retentionDays"):
        azure_settings(workspace={"name": "law-audit", "retentionDays": "ninety"})


def test_azure_settings_on_unaudited_types_or_in_other_case_do_not_create_scope():
    vnet = PlanResource(
        "azure-native:monitor:DiagnosticSetting",
        "vnet",
        {
            "resourceUri": "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/virtualNetworks/v",
            "logs": [{"categoryGroup": "allLogs", "enabled": True}],
            "workspaceId": "/w",
        },
    )
    blob = PlanResource(
        "azure-native:monitor:DiagnosticSetting",
        "blob",
        {
            "resourceUri": "/subscriptions/s/resourceGroups/g/providers/Microsoft.Storage/storageAccounts/a/BLOBSERVICES/default",
            "logs": [{"categoryGroup": "audit", "enabled": True}],
            "storageAccountId": "/subscriptions/s/resourceGroups/g/providers/Microsoft.Storage/storageAccounts/archive",
        },
    )
    verdicts = judge_azure_plan([vnet, blob], required_retention(["US"]), require_activity_log=False)
    assert [(v.control_id, v.gaps) for v in verdicts] == [("azure.diagnostics.resources", ())]

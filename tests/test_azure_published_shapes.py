"""`auditkit scan azure` against a subscription built from Microsoft's published example responses:
retention actually met, SQL auditing paths, split Activity Log settings, categories from Azure.

The real azure-mgmt clients talk to the fake ARM over HTTPS; every body is an example from
Azure/azure-rest-api-specs (tests/fakes/arm_published.py names the files). Each test names the
example whose shape decides its verdict.
"""

import pytest

from auditkit.auditors.findings import Status
from auditkit.policies.retention import required_retention
from tests.fakes.arm_published import (
    ACCOUNT,
    FHIR,
    KV,
    SERVER,
    SQL_DB,
    SUB,
    WORKSPACE,
    PublishedWorld,
    log,
    scan,
    setting,
    subscription_setting,
)

US = required_retention(["US"])
SUBSCRIPTION = f"/subscriptions/{SUB}"
MASTER = f"{SERVER}/databases/master"


def verdict(report, control, resource):
    (found,) = [(f.status, f.message) for f in report.findings if f.control == control and f.resource == resource]
    return found


def test_the_published_world_passes_every_control_with_paged_lists(arm):
    """Resources list paged by nextLink (2 per page); settings as listDiagnosticSettings.json (allLogs, metrics,
    retentionPolicy, empty workspaceId); ids in mixed case (`resourcegroups`, `microsoft.operationalinsights`)."""
    report = scan(arm, PublishedWorld(US.days))
    assert [f for f in report.findings if f.status is not Status.PASS] == []
    assert {f.resource for f in report.findings if f.control == "azure.diagnostics.resources"} == {
        KV,
        SQL_DB,
        FHIR,
        *[r for r in PublishedWorld(US.days).resources if r.endswith("phiblobs")],
    }
    assert len([p for m, p, _ in arm.requests if p == f"{SUBSCRIPTION}/resources"]) == 2
    assert report.scanned["api_calls"] == len(arm.requests)


# --- 4. retention must actually be met ------------------------------------------------------------------


def test_audit_logs_sent_only_to_a_workspace_do_not_count(arm):
    """listDiagnosticSettings.json with the storage account removed and a workspace id set instead."""
    world = PublishedWorld(US.days)
    world.settings[KV] = [setting(KV, [log(group="allLogs")], storage=None, workspace=WORKSPACE)]
    found = verdict(scan(arm, world), "azure.diagnostics.resources", KV)
    assert found == (
        Status.FAIL,
        f"{KV}: its audit logs go only to a Log Analytics workspace, not to the immutable archive",
    )


def test_the_activity_log_sent_only_to_a_workspace_does_not_count(arm):
    """listSubscriptionDiagnosticSettings.json with the storageAccountId dropped."""
    world = PublishedWorld(US.days)
    world.activity = [subscription_setting("ds4", [log(group="allLogs")], None, WORKSPACE)]
    status, message = verdict(scan(arm, world), "azure.activity_log.export", SUBSCRIPTION)
    assert status is Status.FAIL and message.startswith("the Activity Log goes only to a Log Analytics workspace")


def test_workspace_tables_must_keep_the_required_days(arm):
    """WorkspacesGet.json (retentionInDays 30) and TablesGet.json (totalRetentionInDays 50): far from 6 years."""
    world = PublishedWorld(US.days, tables={"AzureActivity": 50, "AzureDiagnostics": US.days})
    world.workspace["retentionInDays"] = 30
    found = verdict(scan(arm, world), "azure.workspace.retention", WORKSPACE)
    assert found == (Status.FAIL, f"table AzureActivity: total retention 50 days < required {US.describe()}")


def test_workspace_retention_beyond_twelve_years_is_capped_and_says_so(arm):
    """TablesGet.json with the 4383-day maximum: NY minors need 21 years, which only the archive can keep."""
    ny = required_retention(["NY"], minors=True)
    world = PublishedWorld(ny.days, tables={"AzureActivity": 4383, "AzureDiagnostics": 4383})
    found = verdict(scan(arm, world, ny), "azure.workspace.retention", WORKSPACE)
    assert found == (
        Status.PASS,
        f"audit tables keep 4383 days (the 12-year maximum; {ny.describe()} must come from the immutable archive)",
    )
    world = PublishedWorld(ny.days, tables={"AzureActivity": 4000, "AzureDiagnostics": 4383})
    status, message = verdict(scan(arm, world, ny), "azure.workspace.retention", WORKSPACE)
    assert status is Status.FAIL and message.startswith(
        "table AzureActivity: total retention 4000 days < required 4383 days"
    )


# --- 5. SQL auditing as Azure defines it ------------------------------------------------------------------


def test_server_auditing_as_published_does_not_reach_azure_monitor(arm):
    """ExtendedServerBlobAuditingCreateMin.json (200 body): Enabled to a storage endpoint, isAzureMonitorTargetEnabled
    false; DatabaseExtendedAuditingSettingsList.json: the database's own auditing Disabled."""
    world = PublishedWorld(US.days)
    world.server_auditing["isAzureMonitorTargetEnabled"] = False
    found = verdict(scan(arm, world), "azure.diagnostics.resources", SQL_DB)
    assert found == (
        Status.FAIL,
        f"{SQL_DB}: SQLSecurityAuditEvents reach no archive: server level: server sqlphi does not audit to Azure "
        "Monitor; database level: the database does not audit to Azure Monitor",
    )


def test_server_auditing_needs_the_master_database_setting(arm):
    """The isAzureMonitorTargetEnabled description (sql 2021-11-01 spec): for server-level audit the diagnostic
    setting with SQLSecurityAuditEvents goes on the `master` database."""
    world = PublishedWorld(US.days)
    world.settings[MASTER] = []
    status, message = verdict(scan(arm, world), "azure.diagnostics.resources", SQL_DB)
    assert status is Status.FAIL
    assert (
        "server level: no diagnostic setting on the master database sends SQLSecurityAuditEvents to the archive"
        in message
    )


@pytest.mark.parametrize(("storage", "status"), [(ACCOUNT, Status.PASS), (None, Status.FAIL)])
def test_database_level_auditing_is_the_other_path(arm, storage, status):
    """DatabaseExtendedAuditingSettingsList.json turned Enabled with isAzureMonitorTargetEnabled; the server's off and
    master has no setting; the database's own setting (audit group) must reach the archive."""
    world = PublishedWorld(US.days)
    world.server_auditing["state"] = "Disabled"
    world.settings[MASTER] = []
    world.database_auditing.update(state="Enabled", isAzureMonitorTargetEnabled=True)
    world.settings[SQL_DB] = [setting(SQL_DB, [log(group="audit")], storage=storage, workspace=WORKSPACE)]
    found, message = verdict(scan(arm, world), "azure.diagnostics.resources", SQL_DB)
    assert found is status
    if status is Status.FAIL:
        assert message.endswith(
            "database level: its diagnostic setting does not send SQLSecurityAuditEvents to the archive"
        )


# --- 7. Activity Log categories split over several settings -----------------------------------------------


def split(storage_a, storage_b):
    first = [log(c) for c in ("Administrative", "Security", "ServiceHealth", "Alert")]
    rest = [log(c) for c in ("Recommendation", "Policy", "Autoscale", "ResourceHealth")]
    return [subscription_setting("ds1", first, storage_a, None), subscription_setting("ds2", rest, storage_b, None)]


def test_categories_split_over_two_settings_to_the_same_archive_pass(arm):
    """listSubscriptionDiagnosticSettings.json, twice, each with half the categories; the archive id in two casings."""
    world = PublishedWorld(US.days, activity=split(ACCOUNT, ACCOUNT.upper().replace("SUBSCRIPTIONS", "subscriptions")))
    found = verdict(scan(arm, world), "azure.activity_log.export", SUBSCRIPTION)
    assert found == (Status.PASS, "all eight categories exported to the archive")


def test_categories_split_over_two_archives_fail(arm):
    """The same two settings, the second to an account the other one does not hold."""
    other = ACCOUNT.replace("appteststorage1", "elsewhere")
    world = PublishedWorld(US.days, activity=split(ACCOUNT, other))
    world.load(arm)
    arm.set(other, {**world.account, "id": other, "name": "elsewhere"})
    report = scan(arm, None)
    found = verdict(report, "azure.activity_log.export", SUBSCRIPTION)
    assert found == (
        Status.FAIL,
        "Activity Log categories not exported: Recommendation, Policy, Autoscale, ResourceHealth",
    )


# --- 8. which categories are "audit": what Azure lists ----------------------------------------------------


def test_a_new_audit_category_listed_by_azure_is_required(arm):
    """listDiagnosticSettingsCategories.json shape: Azure lists a further Key Vault category in the audit group;
    a setting naming only AuditEvent misses it, one with the audit group covers it."""
    world = PublishedWorld(US.days)
    world.categories[KV]["AuditEventV2"] = ["audit", "allLogs"]
    world.settings[KV] = [setting(KV, [log("AuditEvent")])]
    found = verdict(scan(arm, world), "azure.diagnostics.resources", KV)
    assert found == (Status.FAIL, f"{KV}: its diagnostic settings do not send the audit categories (auditeventv2)")
    world.settings[KV] = [setting(KV, [log(group="audit")])]
    world.containers["insights-logs-auditeventv2"] = world.containers["insights-logs-auditevent"]
    assert verdict(scan(arm, world), "azure.diagnostics.resources", KV)[0] is Status.PASS


@pytest.mark.parametrize(
    ("logs", "status"),
    [([log(group="allLogs")], Status.PASS), ([log("AuditLogs", enabled=False), log("DiagnosticLogs")], Status.FAIL)],
)
def test_a_type_without_an_audit_group_is_judged_on_its_listed_categories(arm, logs, status):
    """listDiagnosticSettingsCategories.json for a FHIR service: AuditLogs in allLogs only, no `audit` group."""
    world = PublishedWorld(US.days)
    world.categories[FHIR]["DiagnosticLogs"] = ["allLogs"]
    world.settings[FHIR] = [setting(FHIR, logs)]
    world.containers["insights-logs-diagnosticlogs"] = world.containers["insights-logs-auditlogs"]
    found, message = verdict(scan(arm, world), "azure.diagnostics.resources", FHIR)
    assert found is status
    if status is Status.FAIL:
        assert message == f"{FHIR}: its diagnostic settings do not send the audit categories (auditlogs)"


def test_categories_that_cannot_be_read_are_an_error_for_that_resource(arm):
    """diagnosticSettingsCategories denied: the Key Vault's verdict is ERROR; the others are still judged."""
    world = PublishedWorld(US.days)
    world.load(arm)
    arm.faults[f"{KV}/providers/microsoft.insights/diagnosticSettingsCategories".lower()] = (403, "AuthorizationFailed")
    report = scan(arm, None)
    status, message = verdict(report, "azure.diagnostics.resources", KV)
    assert status is Status.ERROR and "DiagnosticSettingsCategory.List" in message and "AuthorizationFailed" in message
    assert verdict(report, "azure.diagnostics.resources", FHIR)[0] is Status.PASS

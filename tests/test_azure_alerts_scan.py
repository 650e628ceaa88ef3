"""`auditkit scan azure` judges the subscription's alerts by what their conditions match.

The real azure-mgmt-monitor clients against the fake ARM, which serves activity log alerts, action groups and
scheduled query rules shaped as Azure/azure-rest-api-specs publishes them (tests/fakes/arm_alerts.py names
each example: ActivityLogAlertRule_ListBySubscriptionId.json, listActionGroups.json,
listScheduledQueryRulesBySubscription.json). The conditions are a customer's own, in the CIS benchmark's
one-alert-per-operation layout, never rendered by AuditKit.
"""

from __future__ import annotations

import pytest

from auditkit.auditors.findings import Status
from auditkit.policies.alerts.catalog import control_ids
from tests.fakes.arm_alerts import INSIGHTS, activity_alert
from tests.fakes.arm_published import ARCHIVE_SUB, SUB, PublishedWorld, scan

US_DAYS = 2192
SUBSCRIPTION = f"/subscriptions/{SUB}"
ALERTS = f"{SUBSCRIPTION}/{INSIGHTS}/activitylogalerts".lower()
GROUPS = f"{SUBSCRIPTION}/{INSIGHTS}/actiongroups".lower()
QUERIES = f"{SUBSCRIPTION}/{INSIGHTS}/scheduledqueryrules".lower()


def alerts(report) -> dict[str, tuple[Status, str]]:
    found = {f.control: (f.status, f.message) for f in report.findings if f.control in control_ids("azure")}
    assert {f.resource for f in report.findings if f.control in found} == {SUBSCRIPTION}
    return found


def test_a_cis_layout_passes_every_alert_read_in_three_paged_listings(arm):
    report = scan(arm, PublishedWorld(US_DAYS))
    found = alerts(report)
    assert set(found) == set(control_ids("azure")) and {s for s, _ in found.values()} == {Status.PASS}
    assert found["azure.alerts.firewall_changes"][1] == (
        "activity log alerts 'create-update-nsg', 'delete-nsg', 'create-update-nsg-rule', 'delete-nsg-rule' "
        "together -> action group 'SampleActionGroup'"
    )
    assert found["azure.alerts.audit_archive_tampering"][1] == (
        "activity log alert 'archive-protection' -> action group 'SampleActionGroup' (1 receiver)"
    )
    assert found["azure.alerts.failed_access_burst"][1] == (
        "scheduled query rule 'failed-access' (its KQL is judged by configuration only) -> action group "
        "'SampleActionGroup' (1 receiver)"
    )
    listings = [(p, api) for _, p, api in arm.requests if p in (ALERTS, GROUPS, QUERIES)]
    # 16 alerts two a page (the fake's nextLink, followed by azure-core): 8 pages; one group, one query rule.
    assert listings.count((ALERTS, "2020-10-01")) == 8
    assert listings.count((GROUPS, "2023-01-01")) == 1 and listings.count((QUERIES, "2022-08-01-preview")) == 1
    assert len(listings) == 10


def test_a_neutering_clause_fails_naming_the_events_it_misses(arm):
    world = PublishedWorld(US_DAYS)
    nsg = world.alerting.alert("create-update-nsg")
    nsg["properties"]["condition"]["allOf"].append({"field": "resourceGroup", "equals": "legacy"})
    status, message = alerts(scan(arm, world))["azure.alerts.firewall_changes"]
    nsg_id = "/resourceGroups/clinic-prod/providers/Microsoft.Network/networkSecurityGroups/web-nsg"
    assert status is Status.FAIL
    assert message.startswith(
        f"no enabled activity log alert that reaches someone matches 'Microsoft.Network/networkSecurityGroups/write on {nsg_id}'"
    )


def test_an_archive_alert_scoped_elsewhere_misses_and_a_wide_one_overmatches(arm):
    """The published world's archive lives in another subscription (listDiagnosticSettings.json's storageAccountId)."""
    world = PublishedWorld(US_DAYS)
    archive = world.alerting.alert("archive-protection")
    archive["properties"]["scopes"] = [f"subscriptions/{SUB}"]  # where the archive is not
    status, message = alerts(scan(arm, world))["azure.alerts.audit_archive_tampering"]
    assert status is Status.FAIL and message.startswith("no activity log alert matches the alert's events (e.g. ")
    archive["properties"]["scopes"] = [f"subscriptions/{ARCHIVE_SUB}", f"subscriptions/{SUB}"]  # every account's
    status, message = alerts(scan(arm, world))["azure.alerts.audit_archive_tampering"]
    assert status is Status.FAIL
    assert "activity log alert 'archive-protection' also matches 'lifecycle policy written on another account'" in (
        message
    )


@pytest.mark.parametrize(
    ("turn", "gap"),
    [
        (
            lambda w: w.alerting.groups[0]["properties"].update(enabled=False),
            "action group 'SampleActionGroup' is disabled",
        ),
        (
            lambda w: w.alerting.groups[0]["properties"]["emailReceivers"][0].update(status="Disabled"),
            "action group 'SampleActionGroup' has no receiver that is not disabled",
        ),
        (
            lambda w: w.alerting.alert("key-vault-access-policy")["properties"].update(enabled=False),
            "activity log alert 'key-vault-access-policy' matches the alert's events but is disabled",
        ),
    ],
    ids=["group disabled", "receiver unsubscribed", "alert disabled"],
)
def test_an_alert_that_reaches_nobody_fails(arm, turn, gap):
    world = PublishedWorld(US_DAYS)
    turn(world)
    status, message = alerts(scan(arm, world))["azure.alerts.key_vault_access_policy_changes"]
    assert status is Status.FAIL and gap in message


def test_one_alert_with_any_of_passes_like_the_cis_layout(arm):
    world = PublishedWorld(US_DAYS)
    ops = [a for a in world.alerting.alerts if "public-ip" in a["name"]]
    for a in ops:
        world.alerting.alerts.remove(a)
    either = {
        "anyOf": [
            {"field": "operationName", "equals": f"Microsoft.Network/publicIPAddresses/{v}"}
            for v in ("write", "delete")
        ]
    }
    world.alerting.alerts.append(activity_alert(SUB, "public-ips", either))
    status, message = alerts(scan(arm, world))["azure.alerts.public_ip_changes"]
    assert (status, message) == (
        Status.PASS,
        "activity log alert 'public-ips' -> action group 'SampleActionGroup' (1 receiver)",
    )


def test_a_query_rule_missing_a_source_or_off_the_workspace_fails(arm):
    world = PublishedWorld(US_DAYS)
    rule = world.alerting.queries[0]["properties"]
    rule["criteria"]["allOf"][0]["query"] = "AzureDiagnostics | where Category == 'AuditEvent'"
    status, message = alerts(scan(arm, world))["azure.alerts.failed_access_burst"]
    assert (status, message) == (Status.FAIL, "scheduled query rule 'failed-access' does not read FHIR, SQL failures")
    rule["scopes"] = [f"{SUBSCRIPTION}/resourcegroups/apptest/providers/microsoft.operationalinsights/workspaces/other"]
    status, message = alerts(scan(arm, world))["azure.alerts.failed_access_burst"]
    assert status is Status.FAIL and message.startswith("no scheduled query rule is scoped to the audit workspace ")


@pytest.mark.parametrize(
    ("path", "errs"),
    [
        (ALERTS, set(control_ids("azure")) - {"azure.alerts.failed_access_burst"}),
        (GROUPS, set(control_ids("azure"))),
        (QUERIES, {"azure.alerts.failed_access_burst"}),
    ],
    ids=["alerts", "action groups", "query rules"],
)
def test_an_unread_listing_is_error_for_exactly_the_alerts_that_read_it(arm, path, errs):
    PublishedWorld(US_DAYS).load(arm)
    arm.faults[path] = (403, "AuthorizationFailed")
    found = alerts(scan(arm, None))
    assert {c for c, (s, _) in found.items() if s is Status.ERROR} == errs
    assert {s for c, (s, _) in found.items() if c not in errs} <= {Status.PASS}
    assert all("AuthorizationFailed" in found[c][1] for c in errs)


def test_an_unreadable_condition_is_error_naming_the_alert(arm):
    world = PublishedWorld(US_DAYS)
    world.alerting.alerts = [a for a in world.alerting.alerts if "role-assignment" not in a["name"]]
    world.alerting.alerts.append(activity_alert(SUB, "roles", {"field": "eventName", "equals": "x"}))
    status, message = alerts(scan(arm, world))["azure.alerts.role_assignment_changes"]
    assert status is Status.ERROR
    assert (
        "activity log alert 'roles' could not be read: activity log alert condition allOf[1]: unknown field" in message
    )

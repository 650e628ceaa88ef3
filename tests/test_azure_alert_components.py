"""Azure HighRiskAlerts under the mock engine: what it registers, what the plan says it satisfies, what it refuses."""

from __future__ import annotations

import copy

import pytest

from auditkit.components.plan import plan_stack
from auditkit.policies.alerts.catalog import ALERTS_BY_ID, alerts_on, control_ids
from auditkit.policies.alerts.model import Language
from auditkit.policies.azure.plan_facts import judge_azure_plan
from auditkit.policies.errors import ConfigError
from auditkit.policies.verdicts import PlanResource
from auditkit.settings.stack_settings import parse_settings
from tests.conftest import rendered
from tests.test_azure_components import SUB, azure_settings
from tests.test_refused_config import registered_before_error

ALERTS = {"email": ["security@example.org"], "webhook": ["https://hooks.example.org/auditkit"]}
ACTIVITY = [a for a in alerts_on("azure") if a.on("azure").language is Language.ACTIVITY_LOG_CONDITION]
ARCHIVE = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/auditkit-audit/providers/Microsoft.Storage/storageAccounts/auditarchive"
WORKSPACE = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/auditkit-audit/providers/Microsoft.OperationalInsights/workspaces/audit-ws"
GROUP = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/auditkit-audit/providers/Microsoft.Insights/actionGroups/auditkit-z-alerts"


@pytest.fixture(scope="module")
def r():
    return rendered(azure_settings(alerts=ALERTS, workspace={"name": "audit-ws"}))


def _of(r, token):
    return [x for x in r.values() if x.type == token]


def test_one_activity_log_alert_per_catalog_alert_with_its_condition_and_scope(r):
    found = {
        x.name.removeprefix("azure-high-risk-alerts-"): x.inputs
        for x in _of(r, "azure-native:monitor:ActivityLogAlert")
    }
    assert sorted(found) == sorted(a.id.replace("_", "-") for a in ACTIVITY)
    params = {"subscription_id": SUB, "archive_account_id": ARCHIVE}
    for alert in ACTIVITY:
        inputs = found[alert.id.replace("_", "-")]
        variant = alert.on("azure")
        assert inputs["condition"] == variant.render_condition(params)
        assert inputs["scopes"] == list(variant.render_scopes(params))
        assert inputs["actions"] == {"actionGroups": [{"actionGroupId": GROUP}]}
        assert (inputs["enabled"], inputs["location"]) == (True, "Global")
        assert "45 CFR 164.312(b)" in inputs["description"]
    assert found["firewall-changes"]["scopes"] == [f"/subscriptions/{SUB}"]
    assert found["audit-archive-tampering"]["scopes"] == [ARCHIVE]


def test_the_action_group_reaches_the_receivers_the_settings_name(r):
    (group,) = _of(r, "azure-native:monitor:ActionGroup")
    inputs = group.inputs
    assert inputs["actionGroupName"] == "auditkit-z-alerts" and len(inputs["groupShortName"]) <= 12
    assert [e["emailAddress"] for e in inputs["emailReceivers"]] == ALERTS["email"]
    assert [w["serviceUri"] for w in inputs["webhookReceivers"]] == ALERTS["webhook"]
    assert inputs["enabled"] is True


def test_the_failed_access_query_runs_on_the_audit_workspace(r):
    (rule,) = _of(r, "azure-native:monitor:ScheduledQueryRule")
    inputs = rule.inputs
    variant = ALERTS_BY_ID["failed_access_burst"].on("azure")
    assert inputs["scopes"] == [WORKSPACE]
    assert inputs["criteria"]["allOf"][0]["query"] == variant.filter
    assert (inputs["evaluationFrequency"], inputs["windowSize"], inputs["enabled"]) == ("PT5M", "PT5M", True)
    assert inputs["actions"] == {"actionGroups": [GROUP]}
    assert inputs["location"] == "eastus2"


def test_the_plan_credits_every_alert_to_what_it_deploys(r):
    verdicts = {
        v.control_id: v for v in plan_stack(azure_settings(alerts=ALERTS, workspace={"name": "audit-ws"})).verdicts
    }
    for control in control_ids("azure"):
        assert verdicts[control].passed, verdicts[control]
        assert "azure-high-risk-alerts-action-group" in verdicts[control].resources
    assert verdicts["azure.alerts.failed_access_burst"].resources[0] == "azure-high-risk-alerts-failed-access-burst"


def _plan(r):
    return [PlanResource(x.type, x.name, x.state) for x in r.values() if x.custom]


def _gaps(resources):
    s = azure_settings()
    return {
        v.control_id: v.gaps
        for v in judge_azure_plan(resources, s.retention, (), subscription=SUB)
        if v.control_id.startswith("azure.alerts.") and not v.passed
    }


def test_a_condition_narrowed_in_the_plan_fails_naming_the_event_it_misses(r):
    resources = _plan(r)
    assert _gaps(resources) == {}
    weak = copy.deepcopy(next(x for x in resources if x.name == "azure-high-risk-alerts-public-ip-changes"))
    weak.props["condition"]["allOf"][1]["anyOf"].pop()  # the delete
    resources = [weak if x.name == weak.name else x for x in resources]
    ip = "/resourceGroups/clinic-prod/providers/Microsoft.Network/publicIPAddresses/web-ip"
    assert _gaps(resources) == {
        "azure.alerts.public_ip_changes": (
            f"no enabled activity log alert that reaches someone matches 'Microsoft.Network/publicIPAddresses/delete on {ip}'",
        )
    }


def test_without_receivers_or_a_workspace_the_plan_says_what_is_missing():
    verdicts = {v.control_id: v for v in plan_stack(azure_settings()).verdicts}
    assert verdicts["azure.alerts.role_assignment_changes"].gaps == (
        "activity log alert 'azure-high-risk-alerts-role-assignment-changes': action group "
        "'azure-high-risk-alerts-action-group' has no receiver that is not disabled",
    )
    assert verdicts["azure.alerts.failed_access_burst"].gaps == (
        "no diagnostic setting sends to a Log Analytics workspace, so no scheduled query can examine failed "
        "Key Vault, FHIR or SQL access",
    )


def test_alerts_false_deploys_none_and_the_plan_fails_each_alert():
    r = rendered(azure_settings(alerts=False))
    assert not [x for x in r.values() if x.type.startswith("azure-native:monitor:") and "Alert" in x.type]
    verdicts = [v for v in plan_stack(azure_settings(alerts=False)).verdicts if v.control_id in control_ids("azure")]
    assert len(verdicts) == len(control_ids("azure")) and not any(v.passed for v in verdicts)


@pytest.mark.parametrize(
    ("alerts", "field", "value"),
    [
        ({"email": ["not-an-address"]}, "azure.alerts.email", "not-an-address"),
        ({"webhook": ["http://hooks.example.org/x"]}, "azure.alerts.webhook", "http://hooks.example.org/x"),
        ({"email": ["a@example.org", "a@example.org"]}, "azure.alerts.email", ["a@example.org", "a@example.org"]),
        ({"sms": ["+15550100"]}, "azure.alerts.sms", ["+15550100"]),
        ("on", "azure.alerts", "on"),
    ],
)
def test_refused_alert_settings_name_the_field_before_anything_registers(alerts, field, value):
    azure = {"subscriptionId": SUB, "location": "eastus2"}
    config = {"clouds": ["azure"], "azure": {"storageAccountName": "auditarchive", "alerts": alerts}}
    exc, resources = registered_before_error(config, azure)
    assert (exc.field, exc.value) == (field, value)
    assert resources == []
    with pytest.raises(ConfigError, match=field.replace(".", r"\.")):
        parse_settings("z", config, None, azure)

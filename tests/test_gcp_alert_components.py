"""GCP HighRiskAlerts under the mock engine: where it deploys, what it registers, what the plan and the pack
say it satisfies, and what it refuses before anything is registered."""

from __future__ import annotations

import pytest

from auditkit.components.plan import plan_stack
from auditkit.policies.alerts.catalog import alerts_on, control_ids
from auditkit.policies.errors import ConfigError
from auditkit.policies.gcp.plan_facts import judge_gcp_plan
from auditkit.policies.verdicts import PlanResource
from auditkit.settings.stack_settings import parse_settings
from tests.conftest import rendered
from tests.plan_helpers import weaken
from tests.test_refused_config import registered_before_error

ALERTS = {"email": ["security@acme.example", "oncall@acme.example"], "phiBuckets": ["acme-phi-records"]}
BASE = {"archiveProject": "acme-audit", "bucketName": "acme-audit-archive"}
ORG = {"scope": "organization", "organizationId": "123456789012", "logBucketRetentionDays": 400}
HOT = "projects/acme-audit/locations/global/buckets/auditkit-audit-logs"
PARAMS = {"archive_project": "acme-audit", "archive_bucket": "acme-audit-archive", "phi_buckets": ["acme-phi-records"]}


def settings(**gcp):
    return parse_settings("g", {"jurisdictions": ["CA"], "clouds": ["gcp"], "gcp": {**BASE, **gcp}})


def _of(r, token):
    return [x for x in r.values() if x.type == token]


@pytest.fixture(scope="module")
def org():
    return rendered(settings(**ORG, alerts=ALERTS))


def test_an_organization_counts_in_the_archive_projects_log_bucket(org):
    """The aggregated hot sink routes every audit log to the log bucket: bucket-scoped metrics count them there."""
    hot_sink = org["gcp-audit-logs-hot-sink"].inputs
    assert hot_sink["destination"] == f"logging.googleapis.com/{HOT}" and hot_sink["includeChildren"] is True
    metrics = {m.inputs["name"]: m.inputs for m in _of(org, "gcp:logging/metric:Metric")}
    assert sorted(metrics) == sorted(f"auditkit-g-{a.id}" for a in alerts_on("gcp"))
    for alert in alerts_on("gcp"):
        m = metrics[f"auditkit-g-{alert.id}"]
        assert (m["project"], m["bucketName"]) == ("acme-audit", HOT)
        assert m["filter"] == alert.on("gcp").render(PARAMS)
        assert m["metricDescriptor"] == {"metricKind": "DELTA", "valueType": "INT64", "unit": "1"}


def test_one_enabled_policy_per_alert_on_its_metric_notifies_every_email_channel(org):
    channels = _of(org, "gcp:monitoring/notificationChannel:NotificationChannel")
    assert sorted(c.inputs["labels"]["email_address"] for c in channels) == sorted(ALERTS["email"])
    assert {(c.inputs["type"], c.inputs["enabled"], c.inputs["project"]) for c in channels} == {
        ("email", True, "acme-audit")
    }
    names = sorted(c.state["name"] for c in channels)
    for alert in alerts_on("gcp"):
        p = org[f"gcp-high-risk-alerts-{alert.id.replace('_', '-')}-policy"].inputs
        assert (p["project"], p["enabled"], p["combiner"]) == ("acme-audit", True, "OR")
        assert sorted(p["notificationChannels"]) == names
        (condition,) = p["conditions"]
        threshold = condition["conditionThreshold"]
        variant = alert.on("gcp")
        assert threshold["filter"] == f'metric.type="logging.googleapis.com/user/auditkit-g-{alert.id}"'
        # At least `count` entries in one window: the window's sum exceeds count - 1.
        assert (threshold["comparison"], threshold["thresholdValue"]) == ("COMPARISON_GT", variant.threshold.count - 1)
        assert threshold["aggregations"] == [
            {
                "alignmentPeriod": f"{variant.threshold.period_seconds}s",
                "perSeriesAligner": "ALIGN_SUM",
                "crossSeriesReducer": "REDUCE_SUM",
            }
        ]
    assert (
        org["gcp-high-risk-alerts-phi-read-volume-policy"].inputs["conditions"][0]["conditionThreshold"][
            "thresholdValue"
        ]
        == 499
    )


def test_a_project_counts_its_own_logs_and_without_phi_buckets_skips_the_phi_metric():
    r = rendered(settings(scope="project", projectId="acme-prod", alerts={"email": ["security@acme.example"]}))
    metrics = _of(r, "gcp:logging/metric:Metric")
    assert {(m.inputs["project"], m.inputs.get("bucketName")) for m in metrics} == {("acme-prod", None)}
    assert sorted(m.inputs["name"] for m in metrics) == sorted(
        f"auditkit-g-{a.id}" for a in alerts_on("gcp") if a.id != "phi_read_volume"
    )


def test_unset_alerts_deploy_only_where_the_logs_are_counted_and_false_deploys_none():
    counted = rendered(settings(scope="project", projectId="acme-prod"))
    assert len(_of(counted, "gcp:logging/metric:Metric")) == len(alerts_on("gcp")) - 1  # no PHI bucket named
    assert _of(counted, "gcp:monitoring/notificationChannel:NotificationChannel") == []
    nowhere = rendered(settings(scope="organization", organizationId="123456789012"))
    assert [x for x in nowhere.values() if x.type.startswith("gcp:monitoring/")] == []
    off = rendered(settings(scope="project", projectId="acme-prod", alerts=False))
    assert [x for x in off.values() if "monitoring" in x.type or "logging/metric" in x.type] == []


@pytest.mark.parametrize(
    ("gcp", "field", "fragment"),
    [
        (
            {"scope": "organization", "organizationId": "1", "alerts": {"email": ["a@acme.example"]}},
            "gcp.alerts",
            "gcp.logBucketRetentionDays set too (or gcp.scope: project), or gcp.alerts: false",
        ),
        ({**ORG, "alerts": {"email": ["not-an-address"]}}, "gcp.alerts.email", "email addresses"),
        ({**ORG, "alerts": {"email": ["a@acme.example", "a@acme.example"]}}, "gcp.alerts.email", "once"),
        ({**ORG, "alerts": {"phiBuckets": []}}, "gcp.alerts.phiBuckets", "a non-empty list of bucket names"),
        ({**ORG, "alerts": {"phiBuckets": ['phi"x']}}, "gcp.alerts.phiBuckets", "3-63 lowercase letters, digits"),
        ({**ORG, "alerts": {"emails": []}}, "gcp.alerts.emails", "did you mean `gcp.alerts.email`"),
        ({**ORG, "alerts": "on"}, "gcp.alerts", "false, or a mapping of email, phiBuckets"),
    ],
)
def test_bad_alert_settings_are_refused_naming_field_value_and_what_is_allowed(gcp, field, fragment):
    with pytest.raises(ConfigError) as err:
        settings(**gcp)
    assert err.value.field == field and fragment in str(err.value)


def test_limits_are_checked_before_anything_is_registered():
    from auditkit.components.gcp.alerts import HighRiskAlertsArgs

    with pytest.raises(ConfigError) as err:  # LogMetric.name holds at most 100 characters
        HighRiskAlertsArgs("x" * 80, "acme-prod", "acme-audit", "acme-audit-archive")
    assert err.value.field == "stack" and "within 100" in str(err.value)
    many = [f"clinic-phi-{i:03d}-{'x' * 44}" for i in range(400)]  # LogMetric.filter holds at most 20,000
    gcp = {**BASE, "scope": "project", "projectId": "acme-prod", "alerts": {"phiBuckets": many}}
    exc, resources = registered_before_error({"clouds": ["gcp"], "gcp": gcp})
    assert exc.field == "gcp.alerts.phiBuckets" and "at most 20000" in str(exc)
    assert resources == []


def test_the_plan_lists_alert_resources_with_their_control_ids():
    plan = plan_stack(settings(**ORG, alerts=ALERTS))
    assert [v for v in plan.verdicts if not v.passed] == []
    by_name = {r.name: r for r in plan.resources}
    assert by_name["gcp-high-risk-alerts-route-changes-metric"].controls == ["gcp.alerts.route_changes"]
    assert by_name["gcp-high-risk-alerts-route-changes-policy"].controls == ["gcp.alerts.route_changes"]
    channel = next(r for r in plan.resources if r.type == "gcp:monitoring/notificationChannel:NotificationChannel")
    assert channel.controls == sorted(control_ids("gcp"))


def _plan(s):
    return [PlanResource(r.type, r.name, r.state) for r in rendered(s).values() if r.custom]


def _gaps(resources, s):
    verdicts = judge_gcp_plan(resources, s.retention, phi_buckets=s.gcp.alerts.phi_buckets)
    return {v.control_id: v.gaps for v in verdicts if not v.passed}


def test_a_neutered_metric_filter_fails_its_alert_alone_in_the_plan_naming_what_it_misses():
    s = settings(**ORG, alerts=ALERTS)
    clause = ' AND NOT protoPayload.serviceData.policyDelta.bindingDeltas.member="allUsers"'
    weakened = weaken(
        _plan(s), "gcp-high-risk-alerts-bucket-iam-changes-metric", lambda p: p.update(filter=p["filter"] + clause)
    )
    gaps = _gaps(weakened, s)
    assert list(gaps) == ["gcp.alerts.bucket_iam_changes"]
    assert gaps["gcp.alerts.bucket_iam_changes"] == (
        f"no log-based metric on {HOT} matches the alert exactly: filter "
        "'projects/acme-audit/metrics/auditkit-g-bucket_iam_changes' misses 'public read granted'",
    )


def test_a_disabled_policy_or_one_without_channels_fails_in_the_plan():
    s = settings(**ORG, alerts=ALERTS)
    name = "gcp-high-risk-alerts-sql-instance-changes-policy"
    assert _gaps(weaken(_plan(s), name, lambda p: p.update(enabled=False)), s) == {
        "gcp.alerts.sql_instance_changes": (f"alert policy {name} is disabled",)
    }
    assert _gaps(weaken(_plan(s), name, lambda p: p.update(notificationChannels=[])), s) == {
        "gcp.alerts.sql_instance_changes": (f"alert policy {name} has no notification channel",)
    }


def test_a_first_preview_resolves_a_policys_channels_through_the_references_the_engine_sends(monkeypatch):
    """At a first preview a channel's name is unknown (Monitoring assigns it); the engine names the channel each
    policy input came from (propertyDependencies), and the pack follows it. Without that, the alerts wait."""
    from tests.engine_harness import COMPUTED
    from tests.test_policy_pack_gcp_preview import gcp_preview, new_stack

    def computed_channels(with_dependency):
        def edit(r, props, deps) -> None:
            if r.type == "gcp:monitoring/alertPolicy:AlertPolicy":
                props["notificationChannels"] = [COMPUTED]
                if with_dependency:  # the demo's one channel (stacks/Pulumi.demo.yaml)
                    deps["notificationChannels"] = ["gcp-high-risk-alerts-email-715a027903"]

        return edit

    followed = gcp_preview(monkeypatch, new_stack(computed_channels(True)))
    assert [p for p in followed if "alerts" in p] == []
    waiting = gcp_preview(monkeypatch, new_stack(computed_channels(False)))
    alert_policies = {p: d for p, d in waiting.items() if "alerts" in p}
    assert len(alert_policies) == len(alerts_on("gcp"))
    assert all(
        "before apply: notificationChannels.0 computed at apply" in d[0].message for d in alert_policies.values()
    )

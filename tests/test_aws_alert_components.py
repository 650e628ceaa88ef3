"""HighRiskAlerts under the mock engine: what it registers, what the plan says it satisfies, what it refuses."""

from __future__ import annotations

import json

import pytest

from auditkit.components.plan import plan_stack
from auditkit.policies.alerts.catalog import ALERTS_BY_ID, alerts_on, control_ids
from auditkit.policies.errors import ConfigError
from auditkit.settings.stack_settings import parse_settings
from tests.conftest import rendered, settings
from tests.test_refused_config import registered_before_error

ALERTS = {"email": ["security@example.org"], "https": ["https://hooks.example.org/auditkit"], "phiBuckets": ["phi-a"]}
LOG_GROUP = "/auditkit/test/cloudtrail/auditkit-test"


@pytest.fixture(scope="module")
def r():
    return rendered(settings(aws={"alerts": ALERTS}))


def _of(r, token):
    return [x for x in r.values() if x.type == token]


def test_one_filter_and_one_alarm_per_alert_on_the_trails_log_group(r):
    archive = r["audit-archive-bucket"].inputs["bucket"]
    params = {"archive_bucket": archive, "phi_buckets": ["phi-a"]}
    filters = {
        x.inputs["metricTransformation"]["name"]: x for x in _of(r, "aws:cloudwatch/logMetricFilter:LogMetricFilter")
    }
    assert sorted(filters) == sorted(a.id for a in alerts_on("aws"))
    topic = r["high-risk-alerts-topic"].state["arn"]
    for alert in alerts_on("aws"):
        variant = alert.on("aws")
        f = filters[alert.id].inputs
        assert f["logGroupName"] == LOG_GROUP == r["audit-trail-log-group"].inputs["name"]
        assert f["pattern"] == variant.render(params)
        assert f["metricTransformation"] == {"name": alert.id, "namespace": "AuditKit/test", "value": "1"}
        alarm = r[f"high-risk-alerts-{alert.id.replace('_', '-')}-alarm"].inputs
        assert (alarm["metricName"], alarm["namespace"], alarm["statistic"]) == (alert.id, "AuditKit/test", "Sum")
        assert (alarm["threshold"], alarm["period"]) == (variant.threshold.count, variant.threshold.period_seconds)
        assert alarm["comparisonOperator"] == "GreaterThanOrEqualToThreshold" and alarm["actionsEnabled"] is True
        assert alarm["alarmActions"] == [topic]
    assert r["high-risk-alerts-phi-read-volume-alarm"].inputs["threshold"] == 500


def test_the_topic_is_encrypted_with_a_key_cloudwatch_alarms_may_use(r):
    key = r["high-risk-alerts-key"]
    assert r["high-risk-alerts-topic"].inputs["kmsMasterKeyId"] == key.state["arn"]
    assert key.inputs["enableKeyRotation"] is True
    statements = {s["Sid"]: s for s in json.loads(key.inputs["policy"])["Statement"]}
    publish = statements["CloudWatchAlarmsPublish"]
    assert publish["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert publish["Action"] == ["kms:Decrypt", "kms:GenerateDataKey*"]
    assert publish["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}
    assert r["high-risk-alerts-key-alias"].inputs["name"] == "alias/auditkit/test/alerts"


def test_subscriptions_come_from_settings_and_keep_their_names_when_reordered(r):
    subs = _of(r, "aws:sns/topicSubscription:TopicSubscription")
    topic = r["high-risk-alerts-topic"].state["arn"]
    assert sorted((s.inputs["protocol"], s.inputs["endpoint"], s.inputs["topic"]) for s in subs) == [
        ("email", "security@example.org", topic),
        ("https", "https://hooks.example.org/auditkit", topic),
    ]
    two = {"email": ["a@example.org", "b@example.org"]}
    names = {
        x.name for x in _of(rendered(settings(aws={"alerts": two})), "aws:sns/topicSubscription:TopicSubscription")
    }
    swapped = {"email": ["b@example.org", "a@example.org"]}
    again = rendered(settings(aws={"alerts": swapped}))
    assert names == {x.name for x in _of(again, "aws:sns/topicSubscription:TopicSubscription")}


def test_guardduty_watches_s3_data_events(r):
    (detector,) = _of(r, "aws:guardduty/detector:Detector")
    (feature,) = _of(r, "aws:guardduty/detectorFeature:DetectorFeature")
    assert detector.inputs["enable"] is True
    assert feature.inputs == {
        "detectorId": detector.state["arn"].rsplit("/", 1)[1],
        "name": "S3_DATA_EVENTS",
        "status": "ENABLED",
    }


def test_every_child_is_the_components_and_the_plan_names_the_controls_each_satisfies(r):
    component = r["high-risk-alerts"]
    assert component.type == "auditkit:aws:HighRiskAlerts" and not component.custom
    children = [x for x in r.values() if x.component == "high-risk-alerts"]
    assert len(children) == 2 * len(alerts_on("aws")) + 7  # key, alias, topic, 2 subscriptions, detector, feature
    plan = plan_stack(parse_settings("test", {"clouds": ["aws"], "aws": {"alerts": ALERTS}}))
    controls = {p.name: p.controls for p in plan.resources}
    assert controls["high-risk-alerts-root-use-filter"] == ["aws.alerts.root_use"]
    assert controls["high-risk-alerts-root-use-alarm"] == ["aws.alerts.root_use"]
    assert set(controls["high-risk-alerts-topic"]) == set(control_ids("aws"))
    assert controls["high-risk-alerts-guardduty"] == ["aws.alerts.phi_read_volume"]
    assert controls["high-risk-alerts-guardduty-s3-protection"] == ["aws.alerts.phi_read_volume"]
    assert set(controls["high-risk-alerts"]) == set(control_ids("aws"))
    assert [v.control_id for v in plan.gaps] == []


def test_without_named_phi_buckets_the_phi_filter_is_not_deployed_and_the_plan_says_why():
    r = rendered(settings(aws={"alerts": {"email": ["security@example.org"]}}))
    assert "high-risk-alerts-phi-read-volume-filter" not in r and "high-risk-alerts-guardduty" in r
    plan = plan_stack(parse_settings("test", {"clouds": ["aws"], "aws": {"alerts": {"email": ["s@example.org"]}}}))
    (gap,) = plan.gaps
    assert gap.control_id == "aws.alerts.phi_read_volume" and gap.gaps[0].startswith("no PHI bucket is named")
    # The buckets whose data events the stack records are the PHI buckets unless named otherwise.
    listed = rendered(settings(aws={"s3DataEvents": ["phi-x", "phi-y"], "alerts": {}}))
    assert '"phi-x"' in listed["high-risk-alerts-phi-read-volume-filter"].inputs["pattern"]


def test_guardduty_off_and_alerts_off():
    r = rendered(settings(aws={"alerts": {"guardDuty": "false", "phiBuckets": ["phi-a"]}}))
    assert _of(r, "aws:guardduty/detector:Detector") == [] and "high-risk-alerts-topic" in r
    off = rendered(settings(aws={"alerts": False}))
    assert not [
        x for x in off.values() if x.type.startswith(("aws:cloudwatch/metricAlarm", "aws:sns", "aws:guardduty"))
    ]
    assert "high-risk-alerts" not in off


@pytest.mark.parametrize(
    ("alerts", "message"),
    [
        ({"emails": ["a@example.org"]}, "aws.alerts.emails="),
        ({"email": ["not-an-address"]}, "aws.alerts.email='not-an-address' is not allowed: allowed: email addresses"),
        ({"email": "a@example.org"}, "aws.alerts.email='a@example.org' is not allowed: allowed: a list of email"),
        ({"email": ["a@example.org", "a@example.org"]}, "allowed: each of the email addresses"),
        ({"https": ["http://hooks.example.org/x"]}, "aws.alerts.https='http://hooks.example.org/x' is not allowed"),
        ({"phiBuckets": ["Bad_Bucket"]}, "aws.alerts.phiBuckets='Bad_Bucket' is not allowed"),
        ({"phiBuckets": []}, "aws.alerts.phiBuckets=[] is not allowed: allowed: a non-empty list of bucket names"),
        ({"guardDuty": "yes"}, "aws.alerts.guardDuty='yes' is not allowed: allowed: true or false"),
    ],
)
def test_bad_alert_settings_are_refused_naming_field_value_and_what_is_allowed(alerts, message):
    with pytest.raises(ConfigError) as err:
        parse_settings("test", {"clouds": ["aws"], "aws": {"alerts": alerts}})
    assert message in str(err.value)


def test_an_unknown_alert_key_suggests_the_near_one_and_a_bad_shape_lists_the_keys():
    with pytest.raises(ConfigError, match=r"did you mean `aws.alerts.email`"):
        parse_settings("test", {"clouds": ["aws"], "aws": {"alerts": {"emails": []}}})
    with pytest.raises(ConfigError, match=r"allowed: false, or a mapping of email, https, phiBuckets, guardDuty"):
        parse_settings("test", {"clouds": ["aws"], "aws": {"alerts": "on"}})


def test_too_many_phi_buckets_for_one_pattern_are_refused_before_anything_is_registered():
    many = [f"clinic-phi-records-bucket-{i:02d}-{'x' * 30}" for i in range(12)]
    exc, resources = registered_before_error({"aws": {"alerts": {"phiBuckets": many}}})
    assert exc.field == "aws.alerts.phiBuckets" and "characters" in str(exc) and "1024" in str(exc)
    assert resources == []
    # What fits is the catalog's pattern with the names: the limit is CloudWatch Logs', not ours.
    variant = ALERTS_BY_ID["phi_read_volume"].on("aws")
    assert len(variant.render({"phi_buckets": many[:5]})) <= 1024 < len(variant.render({"phi_buckets": many}))


def test_a_first_preview_judges_the_alerts_through_the_references_the_engine_sends(monkeypatch):
    """At a first preview every ARN and id is unknown; the engine names the resources each input came from
    (propertyDependencies). The pack follows them: filter -> log group, alarm -> topic <- subscription."""
    from tests.engine_harness import COMPUTED, EngineResource
    from tests.test_policy_pack_preview import run, trail

    pattern = ALERTS_BY_ID["root_use"].on("aws").render({})
    resources = [
        EngineResource("aws:cloudwatch/logGroup:LogGroup", "logs", {"name": "/audit/trail", "arn": COMPUTED}),
        trail(cloudWatchLogsGroupArn=COMPUTED, deps={"cloudWatchLogsGroupArn": ["logs"]}),
        EngineResource(
            "aws:cloudwatch/logMetricFilter:LogMetricFilter",
            "root-filter",
            {
                "logGroupName": COMPUTED,
                "pattern": pattern,
                "metricTransformation": {"name": "root_use", "namespace": "AuditKit/dev", "value": "1"},
            },
            {"logGroupName": ["logs"]},
        ),
        EngineResource("aws:sns/topic:Topic", "topic", {"name": "alerts", "arn": COMPUTED}),
        EngineResource(
            "aws:sns/topicSubscription:TopicSubscription",
            "oncall",
            {"topic": COMPUTED, "protocol": "email", "endpoint": "oncall@example.org"},
            {"topic": ["topic"]},
        ),
        EngineResource(
            "aws:cloudwatch/metricAlarm:MetricAlarm",
            "root-alarm",
            {
                "metricName": "root_use",
                "namespace": "AuditKit/dev",
                # protobuf Struct numbers arrive as floats
                **{"statistic": "Sum", "period": 300.0, "evaluationPeriods": 1.0, "threshold": 1.0},
                "comparisonOperator": "GreaterThanOrEqualToThreshold",
                "actionsEnabled": True,
                "alarmActions": [COMPUTED],
            },
            {"alarmActions": ["topic"]},
        ),
    ]
    diagnostics = run(monkeypatch, resources)
    assert [d for d in diagnostics if d.policy == "auditkit-aws-alerts-root-use"] == []
    kms = [d.message for d in diagnostics if d.policy == "auditkit-aws-alerts-kms-key-changes"]
    assert len(kms) == 1 and "[aws.alerts.kms_key_changes] no metric filter on /audit/trail matches" in kms[0]

"""The pack as the Pulumi engine runs it: pulumi-policy's analyzer service fed protobuf Structs
(numbers as doubles, secrets wrapped, unknowns at preview), config via Configure and PULUMI_CONFIG.
See tests/engine_harness.py for the engine facts each piece reproduces."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from auditkit.components.plan import plan_stack
from auditkit.policies.alerts.catalog import control_ids
from auditkit.policies.catalog import CONTROLS, EVIDENCE_CONTROLS
from auditkit.policies.crossguard.metadata import policy_name
from auditkit.policies.crossguard.offline import plan_resources
from auditkit.settings.stack_settings import read_stack_file
from tests.engine_harness import Analyzer, EngineResource, Secret, resource_policies, stack_config
from tests.test_policy_pack import AZURE_BREAKS, BREAKS, GCP_ALERT_BREAKS, GCP_BREAKS, mutate

COVERAGE = (
    "aws.trail.multi_region",
    "aws.trail.s3_data_events",
    "aws.trail.lambda_data_events",
    "aws.trail.dynamodb_data_events",
)
DEMO = Path("stacks/Pulumi.demo.yaml")
DEMO_CONFIG = yaml.safe_load(DEMO.read_text())["config"]
ALL_BREAKS = {**BREAKS, **GCP_BREAKS, **GCP_ALERT_BREAKS, **AZURE_BREAKS}


@pytest.fixture(scope="module")
def demo_plan():
    return plan_resources(plan_stack(read_stack_file(DEMO)))


def engine(resources) -> list[EngineResource]:
    return [EngineResource(r.type, r.name, r.inputs) for r in resources]


def preview(monkeypatch, resources, config=DEMO_CONFIG, policy_config=None):
    with stack_config(monkeypatch, config):
        return Analyzer(policy_config).preview(resources)


def test_every_policy_is_covered_by_an_engine_case():
    assert sorted(ALL_BREAKS) == sorted(set(CONTROLS) - EVIDENCE_CONTROLS)  # verify-only controls have no policy


def test_the_compliant_demo_plan_passes_every_policy_through_the_engine(monkeypatch, demo_plan):
    assert preview(monkeypatch, engine(demo_plan)) == []


@pytest.mark.parametrize("control_id", sorted(ALL_BREAKS))
def test_each_policy_reports_its_violation_through_the_engine(monkeypatch, demo_plan, control_id):
    name, change = ALL_BREAKS[control_id]
    diagnostics = preview(monkeypatch, engine(mutate(demo_plan, name, change)))
    # A trail that is not logging records nothing: every coverage control fails with it.
    also = COVERAGE if control_id == "aws.trail.logging" else ()
    # No CloudWatch Logs delivery: no metric filter sees an event, every alert fails with it.
    also = tuple(control_ids("aws")) if control_id == "aws.trail.cloudwatch" else also
    assert {d.policy for d in diagnostics} == {policy_name(c) for c in (control_id, *also)}
    assert {d.level for d in diagnostics} == {CONTROLS[c].enforcement.value for c in (control_id, *also)}
    assert any(f"\n[{control_id}] " in d.message for d in diagnostics)
    # Stack policies name the resource; for a resource policy the engine attaches the analyzed one.
    assert all(d.urn.startswith("urn:pulumi:dev::") or d.policy in resource_policies() for d in diagnostics)


def test_secret_inputs_are_judged_on_their_value(monkeypatch, demo_plan):
    def secret_kms(p):
        p["kmsKeyId"] = Secret(p["kmsKeyId"])

    resources = engine(mutate(demo_plan, "audit-trail-trail", secret_kms))
    trail = next(r for r in resources if r.name == "audit-trail-trail")
    assert preview(monkeypatch, resources) == []
    # The same trail without its key is still reported: the secret was read, not skipped.
    bare = EngineResource(trail.type, trail.name, {**trail.props, "kmsKeyId": Secret("")})
    with stack_config(monkeypatch, DEMO_CONFIG):
        assert {d.policy for d in Analyzer().analyze(bare)} == {"auditkit-aws-trail-kms"}


def test_config_numbers_as_floats_and_strings_are_accepted(monkeypatch, demo_plan):
    """retentionYears: 8 arrives as "8" in PULUMI_CONFIG and 8.0 in the policy config Struct."""
    config = {**DEMO_CONFIG, "auditkit:retentionYears": 8, "auditkit:minors": "false"}
    diagnostics = preview(
        monkeypatch, engine(demo_plan), config, {"auditkit-aws-bucket-object-lock": {"retentionYears": 8}}
    )
    lock = [d for d in diagnostics if d.policy == "auditkit-aws-bucket-object-lock"]
    assert [d.level for d in lock] == ["mandatory"]
    assert "default retention 7 years < required 8 years (2922 days)" in lock[0].message


def test_retention_comes_from_the_stack_config_for_every_cloud(monkeypatch, demo_plan):
    """A NY-minors stack: the GCP and Azure archives (7 years) fail too, with no policy config at all."""
    config = {**DEMO_CONFIG, "auditkit:jurisdictions": ["NY"], "auditkit:minors": "true"}
    diagnostics = preview(monkeypatch, engine(demo_plan), config, {"all": "mandatory"})
    failing = {d.policy for d in diagnostics}
    assert {
        "auditkit-gcp-bucket-retention-lock",
        "auditkit-azure-storage-immutability",
        "auditkit-aws-bucket-object-lock",
    } <= failing
    retention = [d.message.split("\n", 1)[1] for d in diagnostics if "required" in d.message.split("\n", 1)[1]]
    assert len(retention) >= 3 and all("21 years (7671 days)" in m or "required 7671" in m for m in retention)
    assert not any(".0 days" in m for m in retention)  # Struct doubles are shown as the whole days they are


def test_a_policy_config_retention_that_disagrees_with_the_stack_is_refused(monkeypatch, demo_plan):
    diagnostics = preview(
        monkeypatch, engine(demo_plan), policy_config={"auditkit-aws-bucket-lifecycle": {"jurisdictions": ["US"]}}
    )
    assert [(d.policy, d.level) for d in diagnostics] == [("auditkit-aws-bucket-lifecycle", "mandatory")]
    assert "the configuration is refused: jurisdictions=['US']" in diagnostics[0].message
    assert "disagrees with the stack" in diagnostics[0].message


def test_a_refused_stack_config_is_a_mandatory_violation_not_a_crash(monkeypatch, demo_plan):
    config = {**DEMO_CONFIG, "auditkit:retentionYears": 3}
    diagnostics = preview(monkeypatch, engine(demo_plan), config)
    mandatory = {d.policy for d in diagnostics if d.level == "mandatory"}
    assert "auditkit-aws-bucket-object-lock" in mandatory and "auditkit-gcp-bucket-lifecycle" in mandatory
    assert all("retentionYears=3 is not allowed" in d.message for d in diagnostics)


def test_a_selector_shape_the_evaluator_does_not_know_fails_only_the_controls_that_read_it(monkeypatch, demo_plan):
    def unknown_operator(p):
        p["advancedEventSelectors"][0]["fieldSelectors"][0]["matches"] = ["Management"]

    diagnostics = preview(monkeypatch, engine(mutate(demo_plan, "audit-trail-trail", unknown_operator)))
    assert {d.policy for d in diagnostics} == {
        "auditkit-aws-trail-multi-region",
        "auditkit-aws-trail-s3-data-events",
        "auditkit-aws-trail-lambda-data-events",
        "auditkit-aws-trail-dynamodb-data-events",
    }
    assert all("could not be judged: UnknownShape" in d.message for d in diagnostics)


def test_a_malformed_resource_is_reported_as_not_judged_never_raised(monkeypatch, demo_plan):
    """An AttributeError deep in a fact builder: the analyzer still answers, the policy that reads it says why."""

    def malformed(p):
        p["rules"] = "expire everything"

    diagnostics = preview(monkeypatch, engine(mutate(demo_plan, "audit-archive-lifecycle", malformed)))
    assert [(d.policy, d.level) for d in diagnostics] == [("auditkit-aws-bucket-lifecycle", "mandatory")]
    assert "could not be judged: AttributeError: 'str' object has no attribute 'get'" in diagnostics[0].message


def test_the_analyzer_describes_every_policy_without_stack_setting_defaults():
    """GetAnalyzerInfo is what `pulumi policy publish` and the engine read; the engine fills schema
    defaults into each policy's config, so stack settings must have none."""
    info = Analyzer().servicer.GetAnalyzerInfo(None, None)
    assert sorted(p.name for p in info.policies) == sorted(policy_name(c) for c in set(CONTROLS) - EVIDENCE_CONTROLS)
    for p in info.policies:
        schema = dict(p.configSchema.properties)
        assert "default" not in schema["jurisdictions"] and "default" not in schema["clouds"]

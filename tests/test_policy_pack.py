"""The CrossGuard pack: each policy fires on its non-compliant fixture, and only then.

Through `auditkit plan --check` on state files and the shipped stacks, and the files the pack ships with:
tests/test_policy_pack_check.py.
"""

import copy
from pathlib import Path

import pytest
from pulumi_policy import EnforcementLevel, ResourceValidationPolicy, StackValidationPolicy

from auditkit.components.plan import plan_stack
from auditkit.policies.alerts.catalog import alerts_on, control_ids
from auditkit.policies.catalog import CONTROLS, EVIDENCE_CONTROLS, controls_for
from auditkit.policies.controls import Enforcement
from auditkit.policies.crossguard.metadata import policy_name
from auditkit.policies.crossguard.offline import Resource, check, plan_resources
from auditkit.policies.crossguard.pack import all_policies
from auditkit.settings.stack_settings import read_stack_file

# phiBuckets, gcpPhiBuckets: the demo stack's (stacks/Pulumi.demo.yaml), which its PHI read-volume filter counts.
CA = {
    "jurisdictions": ["CA"],
    "minors": False,
    "phiBuckets": ["acme-phi-*", "acme-patient-uploads"],
    "gcpPhiBuckets": ["acme-telehealth-phi"],
}


@pytest.fixture(scope="module")
def compliant() -> list[Resource]:
    return plan_resources(plan_stack(read_stack_file(Path("stacks/Pulumi.demo.yaml"))))


def mutate(resources, name, change):
    out = []
    for r in resources:
        if r.name == name:
            props = copy.deepcopy(dict(r.inputs))
            change(props)
            r = Resource(r.type, r.name, r.urn, props, props)
        out.append(r)
    return out


def _s3_write_only(p):
    p["advancedEventSelectors"][1]["fieldSelectors"].append({"field": "readOnly", "equals": ["false"]})


def _drop_selector(label):
    def change(p):
        p["advancedEventSelectors"] = [s for s in p["advancedEventSelectors"] if s["name"] != label]

    return change


BREAKS = {
    "aws.trail.logging": ("audit-trail-trail", lambda p: p.update(enableLogging=False)),
    "aws.trail.log_validation": ("audit-trail-trail", lambda p: p.update(enableLogFileValidation=False)),
    "aws.trail.kms": ("audit-trail-trail", lambda p: p.pop("kmsKeyId")),
    "aws.trail.cloudwatch": ("audit-trail-trail", lambda p: p.pop("cloudWatchLogsGroupArn")),
    "aws.trail.multi_region": ("audit-trail-trail", lambda p: p.update(includeGlobalServiceEvents=False)),
    "aws.trail.s3_data_events": ("audit-trail-trail", _s3_write_only),
    "aws.trail.lambda_data_events": ("audit-trail-trail", _drop_selector("Lambda invocations")),
    "aws.trail.dynamodb_data_events": ("audit-trail-trail", _drop_selector("DynamoDB item activity")),
    "aws.bucket.object_lock": (
        "audit-archive-object-lock",
        lambda p: p["rule"]["defaultRetention"].update(mode="GOVERNANCE"),
    ),
    "aws.bucket.lifecycle": ("audit-archive-lifecycle", lambda p: p["rules"][0]["expiration"].update(days=365)),
    "aws.bucket.hardening": ("audit-archive-public-access-block", lambda p: p.update(restrictPublicBuckets=False)),
}


def _neutered(p):
    """An extra clause no corpus event satisfies: the filter still parses and still reads like the alert."""
    inner = p["pattern"].strip().removeprefix("{").removesuffix("}")
    p["pattern"] = "{ (" + inner + ') && ($.awsRegion = "eu-west-3") }'


# Each alert's filter neutered by a clause: the alert's own policy fires, no other.
BREAKS.update(
    {a.control_id("aws"): (f"high-risk-alerts-{a.id.replace('_', '-')}-filter", _neutered) for a in alerts_on("aws")}
)

# A trail that is not logging records nothing, so every coverage control fails with it (issue 14 item 5).
ALSO_FIRES = {
    "aws.trail.logging": {
        "aws.trail.multi_region",
        "aws.trail.s3_data_events",
        "aws.trail.lambda_data_events",
        "aws.trail.dynamodb_data_events",
    },
    # No CloudWatch Logs delivery, no metric filter sees an event: every alert fails with it.
    "aws.trail.cloudwatch": set(control_ids("aws")),
}


def test_there_is_one_policy_per_control():
    assert sorted(p.tags[0] for p in all_policies()) == sorted(set(CONTROLS) - EVIDENCE_CONTROLS)
    assert set(BREAKS) == {c.id for c in controls_for("aws")} - EVIDENCE_CONTROLS


def test_the_compliant_plan_has_no_violation(compliant):
    assert check(compliant, CA) == []


@pytest.mark.parametrize("control_id", sorted(BREAKS))
def test_each_policy_fires_on_its_fixture_and_only_it(compliant, control_id):
    name, change = BREAKS[control_id]
    violations = check(mutate(compliant, name, change), CA)
    assert {v.control for v in violations} == {control_id} | ALSO_FIRES.get(control_id, set())
    assert {v.policy for v in violations} == {policy_name(c) for c in {control_id} | ALSO_FIRES.get(control_id, set())}
    assert all(v.message.startswith(f"[{v.control}] ") for v in violations)
    assert all(v.urn and v.urn.startswith("urn:pulumi:demo::auditkit::") for v in violations)


def test_retention_follows_the_pack_config(compliant):
    # The demo renders 7 years (CA); a NY pediatric stack needs 21.
    ny = check(compliant, {**CA, "jurisdictions": ["NY"], "minors": True})
    assert sorted({v.control for v in ny}) == [
        "aws.bucket.lifecycle",
        "aws.bucket.object_lock",
        "azure.storage.immutability",
        "azure.storage.lifecycle",
        "azure.workspace.retention",
        "gcp.bucket.lifecycle",
        "gcp.bucket.retention_lock",
    ]
    assert any("21 years (7671 days)" in v.message for v in ny)


def test_enforcement_severity_and_citations_come_from_the_catalog():
    for p in all_policies():
        c = CONTROLS[p.tags[0]]
        expected = EnforcementLevel.MANDATORY if c.enforcement is Enforcement.MANDATORY else EnforcementLevel.ADVISORY
        assert p.enforcement_level is expected, p.name
        assert p.severity.value == c.severity.value
        assert p.framework.name == "HIPAA Security Rule" and p.framework.reference == ", ".join(c.citations.hipaa)
        assert {f"soc2:{x}" for x in c.citations.soc2} | {f"nist-800-53:{x}" for x in c.citations.nist} <= set(p.tags)
        assert p.remediation_steps == c.remediation
    kinds = {p.tags[0]: type(p) for p in all_policies()}
    assert kinds["aws.trail.logging"] is ResourceValidationPolicy
    assert kinds["aws.bucket.object_lock"] is StackValidationPolicy
    assert {p.name for p in all_policies() if p.enforcement_level is EnforcementLevel.MANDATORY} >= {
        "auditkit-aws-bucket-object-lock",
        "auditkit-aws-bucket-lifecycle",
        "auditkit-aws-trail-log-validation",
    }


def test_enforcement_overrides_and_disabling(compliant):
    broken = mutate(compliant, "audit-trail-trail", lambda p: p.update(enableLogFileValidation=False))
    assert [v.enforcement for v in check(broken, CA)] == ["mandatory"]
    assert [v.enforcement for v in check(broken, CA, {"auditkit-aws-trail-log-validation": "advisory"})] == ["advisory"]
    assert check(broken, CA, {"auditkit-aws-trail-log-validation": "disabled"}) == []


def test_archive_managed_elsewhere_is_judged_on_what_the_plan_touches():
    lifecycle = Resource(
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
        "lc",
        "urn:pulumi:s::p::x::lc",
        {"bucket": "central-logs", "rules": [{"id": "r", "status": "Enabled", "expiration": {"days": 30}}]},
        {},
    )
    lifecycle = Resource(lifecycle.type, lifecycle.name, lifecycle.urn, lifecycle.inputs, lifecycle.inputs)
    cfg = {**CA, "clouds": [], "archiveBuckets": ["central-logs"]}
    violations = check([lifecycle], cfg)
    assert {v.control for v in violations} == {"aws.bucket.lifecycle"}
    # An app stack that declares no AWS logging and touches no archive is not asked for a trail.
    assert check([], {**CA, "clouds": []}) == []


GCP_BREAKS = {
    "gcp.audit.data_access": ("gcp-audit-logs-config", lambda p: p["auditLogConfigs"].pop(2)),
    "gcp.sink.export": ("gcp-audit-logs-sink", lambda p: p.update(disabled=True)),
    # Shorter than the law (unlocking it would also expose the seals: gcp.archive.seal_protection).
    "gcp.bucket.retention_lock": (
        "gcp-audit-archive-bucket",
        lambda p: p["retentionPolicy"].update(retentionPeriod=86400),
    ),
    # Only the Delete rule left: nothing tiers (an early Delete under a locked retention is only advisory).
    "gcp.bucket.lifecycle": ("gcp-audit-archive-bucket", lambda p: p.update(lifecycleRules=p["lifecycleRules"][3:])),
    "gcp.bucket.hardening": ("gcp-audit-archive-bucket", lambda p: p.update(uniformBucketLevelAccess=False)),
    # The sealer granted a role that deletes (the demo stack seals its archive: gcp.sealing).
    "gcp.archive.seal_protection": ("gcp-archive-sealing-read", lambda p: p.update(role="roles/storage.objectAdmin")),
}


def _gcp_neutered(p):
    """An extra clause no corpus event satisfies: the metric's filter still parses and still reads like the alert."""
    p["filter"] = "(" + p["filter"] + ') AND resource.labels.location="antarctica-south1"'


# Each GCP alert's metric filter neutered: the alert's own (advisory) policy fires, no other.
GCP_ALERT_BREAKS = {
    a.control_id("gcp"): (f"gcp-high-risk-alerts-{a.id.replace('_', '-')}-metric", _gcp_neutered)
    for a in alerts_on("gcp")
}


@pytest.mark.parametrize("control_id", sorted(GCP_ALERT_BREAKS))
def test_each_gcp_alert_policy_fires_on_its_neutered_metric_and_only_it(compliant, control_id):
    name, change = GCP_ALERT_BREAKS[control_id]
    violations = check(mutate(compliant, name, change), {**CA, "clouds": ["aws", "gcp"]})
    assert {v.control for v in violations} == {control_id}
    assert {v.enforcement for v in violations} == {"advisory"}
    # What is closest then may be another alert's metric (bucket IAM changes match some archive IAM events).
    assert all(v.message.startswith(f"[{control_id}] no log-based metric on ") for v in violations)


@pytest.mark.parametrize("control_id", sorted(GCP_BREAKS))
def test_each_gcp_policy_fires_on_its_fixture_and_only_it(compliant, control_id):
    name, change = GCP_BREAKS[control_id]
    violations = check(mutate(compliant, name, change), {**CA, "clouds": ["aws", "gcp"]})
    assert {v.control for v in violations} == {control_id}
    assert all(v.mandatory for v in violations)


def test_gcp_raw_resources_without_components_are_judged():
    bucket = {
        "name": "raw-logs",
        "retentionPolicy": {"retentionPeriod": "86400", "isLocked": False},
        "uniformBucketLevelAccess": True,
        "publicAccessPrevention": "enforced",
        "lifecycleRules": [],
    }
    sink = {
        "name": "s",
        "project": "p",
        "destination": "storage.googleapis.com/raw-logs",
        "filter": 'logName:"cloudaudit.googleapis.com"',
    }
    resources = [
        Resource("gcp:storage/bucket:Bucket", "raw", "urn:pulumi:s::p::gcp:storage/bucket:Bucket::raw", bucket, bucket),
        Resource(
            "gcp:logging/projectSink:ProjectSink",
            "sink",
            "urn:pulumi:s::p::gcp:logging/projectSink:ProjectSink::sink",
            sink,
            sink,
        ),
    ]
    violations = check(resources, {**CA, "clouds": ["gcp"]})
    # A stack that declares GCP and deploys no log-based metric alerts on nothing (advisory, per alert).
    assert sorted({v.control for v in violations}) == sorted(
        ["gcp.audit.data_access", "gcp.bucket.lifecycle", "gcp.bucket.retention_lock", *control_ids("gcp")]
    )


KV = "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-telehealth/providers/Microsoft.KeyVault/vaults/kv-telehealth"
AZURE_BREAKS = {
    "azure.activity_log.export": ("azure-audit-export-activity-log", lambda p: p.update(logs=p["logs"][:3])),
    "azure.diagnostics.resources": (
        "azure-audit-export-0-kv-telehealth",
        lambda p: p.update(logs=[{"categoryGroup": "audit", "enabled": False}]),
    ),
    "azure.storage.immutability": (
        "azure-audit-archive-insights-logs-auditevent-immutability",
        lambda p: p.update(immutabilityPeriodSinceCreationInDays=30),
    ),
    "azure.storage.lifecycle": (
        "azure-audit-archive-lifecycle",
        lambda p: p["policy"]["rules"][1]["definition"]["actions"]["baseBlob"]["delete"].update(
            daysAfterModificationGreaterThan=365
        ),
    ),
    "azure.storage.hardening": ("azure-audit-archive-account", lambda p: p.update(allowBlobPublicAccess=True)),
    "azure.workspace.retention": ("azure-audit-workspace-workspace", lambda p: p.update(retentionInDays=7)),
}
# Each activity log alert's condition neutered by a clause no corpus event satisfies; the query rule disabled.
AZURE_BREAKS.update(
    {
        a.control_id("azure"): (
            f"azure-high-risk-alerts-{a.id.replace('_', '-')}",
            lambda p: p["condition"]["allOf"].append({"field": "resourceGroup", "equals": "legacy"}),
        )
        for a in alerts_on("azure")
        if a.id != "failed_access_burst"
    }
)
AZURE_BREAKS["azure.alerts.failed_access_burst"] = (
    "azure-high-risk-alerts-failed-access-burst",
    lambda p: p.update(enabled=False),
)
# The sealing identity's own role gains blob delete.
AZURE_BREAKS["azure.archive.seal_protection"] = (
    "azure-archive-sealing-seal-writer",
    lambda p: p["permissions"][0]["dataActions"].append(
        "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/delete"
    ),
)


@pytest.mark.parametrize("control_id", sorted(AZURE_BREAKS))
def test_each_azure_policy_fires_on_its_fixture_and_only_it(compliant, control_id):
    name, change = AZURE_BREAKS[control_id]
    cfg = {**CA, "clouds": ["aws", "gcp", "azure"], "azureResources": [KV]}
    assert check(compliant, cfg) == []
    violations = check(mutate(compliant, name, change), cfg)
    assert {v.control for v in violations} == {control_id}

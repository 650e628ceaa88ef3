"""GCP components under the mock engine: scopes, retention by jurisdiction, refused inputs, plan judgement."""

import pytest

from auditkit.policies.crossguard.offline import Resource, check
from auditkit.policies.errors import ConfigError
from auditkit.policies.gcp.plan_facts import judge_gcp_plan
from auditkit.policies.retention import required_retention
from auditkit.policies.verdicts import PlanResource
from auditkit.settings.stack_settings import parse_settings
from tests.conftest import rendered
from tests.plan_helpers import weaken

BASE = {"archiveProject": "acme-audit", "bucketName": "acme-audit-archive"}
ALERTS = {"email": ["security@acme.example"], "phiBuckets": ["acme-phi-records"]}


def gcp_settings(jurisdictions=("US",), minors=False, **gcp):
    cfg = {"jurisdictions": list(jurisdictions), "minors": minors, "clouds": ["gcp"], "gcp": {**BASE, **gcp}}
    return parse_settings("g", cfg)


def project_scope(**kw):
    return gcp_settings(scope="project", projectId="acme-prod", **kw)


@pytest.mark.parametrize(
    ("scope", "extra", "config_type", "sink_type", "owner"),
    [
        (
            "organization",
            {"organizationId": "123456789012"},
            "gcp:organizations/iamAuditConfig:IamAuditConfig",
            "gcp:logging/organizationSink:OrganizationSink",
            {"orgId": "123456789012"},
        ),
        (
            "folder",
            {"folderId": "456"},
            "gcp:folder/iamAuditConfig:IamAuditConfig",
            "gcp:logging/folderSink:FolderSink",
            {"folder": "456"},
        ),
        (
            "project",
            {"projectId": "acme-prod"},
            "gcp:projects/iAMAuditConfig:IAMAuditConfig",
            "gcp:logging/projectSink:ProjectSink",
            {"project": "acme-prod"},
        ),
    ],
)
def test_each_scope_gets_its_audit_config_and_sink(scope, extra, config_type, sink_type, owner):
    r = rendered(gcp_settings(scope=scope, **extra))
    config = r["gcp-audit-logs-config"]
    assert config.type == config_type
    assert config.inputs["service"] == "allServices"
    assert [c["logType"] for c in config.inputs["auditLogConfigs"]] == ["ADMIN_READ", "DATA_READ", "DATA_WRITE"]
    if scope == "folder":
        assert config.inputs["folder"] == "folders/456"
    sink = r["gcp-audit-logs-sink"]
    assert sink.type == sink_type
    assert {k: sink.inputs[k] for k in owner} == owner
    assert sink.inputs["destination"] == "storage.googleapis.com/acme-audit-archive"
    assert sink.inputs["filter"] == 'logName:"cloudaudit.googleapis.com"'
    if scope == "project":
        assert sink.inputs["uniqueWriterIdentity"] is True
    else:
        assert sink.inputs["includeChildren"] is True
    writer = r["gcp-audit-logs-sink-writer"].inputs
    assert writer["role"] == "roles/storage.objectCreator"
    assert writer["member"] == sink.state["writerIdentity"] and writer["bucket"] == "acme-audit-archive"


@pytest.mark.parametrize(
    ("jurisdictions", "minors", "days"),
    [(["US"], False, 2192), (["US", "CA"], False, 2557), (["NY"], True, 7671)],
)
def test_retention_lock_and_delete_follow_the_jurisdictions(jurisdictions, minors, days):
    bucket = rendered(project_scope(jurisdictions=jurisdictions, minors=minors))["gcp-audit-archive-bucket"].inputs
    assert bucket["retentionPolicy"] == {"retentionPeriod": str(days * 86400), "isLocked": True}
    assert bucket["lifecycleRules"] == [
        {
            "action": {"type": "SetStorageClass", "storageClass": "NEARLINE"},
            "condition": {"age": 30, "withState": "LIVE"},
        },
        {
            "action": {"type": "SetStorageClass", "storageClass": "COLDLINE"},
            "condition": {"age": 90, "withState": "LIVE"},
        },
        {
            "action": {"type": "SetStorageClass", "storageClass": "ARCHIVE"},
            "condition": {"age": 365, "withState": "LIVE"},
        },
        {"action": {"type": "Delete"}, "condition": {"age": days, "withState": "ANY"}},
    ]
    assert bucket["uniformBucketLevelAccess"] is True and bucket["publicAccessPrevention"] == "enforced"
    assert "versioning" not in bucket  # GCS refuses versioning beside a retention policy


def test_exemptions_cmek_unlocked_and_hot_log_bucket():
    r = rendered(
        project_scope(
            lock=False,
            kmsKeyName="projects/p/locations/us/keyRings/k/cryptoKeys/c",
            logBucketRetentionDays=400,
            exemptedMembers=[
                {"member": "serviceAccount:etl@p.iam.gserviceaccount.com", "reason": "bulk de-identified export"}
            ],
        )
    )
    configs = {c["logType"]: c.get("exemptedMembers") for c in r["gcp-audit-logs-config"].inputs["auditLogConfigs"]}
    assert configs == {
        "ADMIN_READ": None,
        "DATA_READ": ["serviceAccount:etl@p.iam.gserviceaccount.com"],
        "DATA_WRITE": ["serviceAccount:etl@p.iam.gserviceaccount.com"],
    }
    bucket = r["gcp-audit-archive-bucket"].inputs
    assert bucket["retentionPolicy"]["isLocked"] is False
    assert bucket["encryption"] == {"defaultKmsKeyName": "projects/p/locations/us/keyRings/k/cryptoKeys/c"}
    log_bucket = r["gcp-audit-logs-log-bucket"].inputs
    assert (log_bucket["retentionDays"], log_bucket["locked"], log_bucket["project"]) == (400, False, "acme-audit")
    assert (
        r["gcp-audit-logs-hot-sink"].inputs["destination"]
        == "logging.googleapis.com/projects/acme-audit/locations/global/buckets/auditkit-audit-logs"
    )


def test_hot_log_bucket_sink_writer_is_granted_bucket_writer():
    r = rendered(gcp_settings(scope="organization", organizationId="1", logBucketRetentionDays=400))
    grant = r["gcp-audit-logs-hot-sink-writer"].inputs
    assert (grant["role"], grant["project"]) == ("roles/logging.bucketWriter", "acme-audit")
    assert grant["member"] == r["gcp-audit-logs-hot-sink"].state["writerIdentity"]


@pytest.mark.parametrize(
    ("gcp", "message"),
    [
        ({"scope": "account"}, "gcp.scope='account' is not allowed: allowed: organization, folder, project"),
        ({"scope": "organization"}, "gcp.organizationId=None is not allowed"),
        (
            {"scope": "project", "projectId": "Bad_Project"},
            "gcp.projectId='Bad_Project' is not allowed: allowed: a project id",
        ),
        (
            {"scope": "folder", "folderId": "folders/12"},
            "gcp.folderId='folders/12' is not allowed: allowed: a numeric id",
        ),
        (
            {"scope": "project", "projectId": "acme-prod", "coldlineDays": 40},
            "gcp.coldlineDays=40 is not allowed: NEARLINE keeps objects at least 30 days; allowed: >= 60",
        ),
        (
            {"scope": "project", "projectId": "acme-prod", "archiveDays": 100},
            "gcp.archiveDays=100 is not allowed: COLDLINE keeps objects at least 90 days; allowed: >= 180",
        ),
        (
            {"scope": "project", "projectId": "acme-prod", "archiveDays": 2000},
            "gcp.archiveDays=2000 is not allowed: ARCHIVE keeps objects 365 days before the delete at day 2192",
        ),
        (
            {"scope": "project", "projectId": "acme-prod", "logBucketRetentionDays": 7671},
            "gcp.logBucketRetentionDays=7671 is not allowed: Cloud Logging buckets keep logs at most 10 years; rely on the locked GCS archive",
        ),
        (
            {"scope": "project", "projectId": "acme-prod", "bucketName": "my-google-logs"},
            "gcp.bucketName='my-google-logs' is not allowed",
        ),
        (
            {
                "scope": "project",
                "projectId": "acme-prod",
                "exemptedMembers": [{"member": "alice@x.com", "reason": "r"}],
            },
            "gcp.exemptedMembers.member='alice@x.com'",
        ),
        (
            {
                "scope": "project",
                "projectId": "acme-prod",
                "exemptedMembers": [{"member": "user:a@x.com", "reason": " "}],
            },
            "gcp.exemptedMembers.reason=' ' is not allowed",
        ),
        (
            {"scope": "project", "projectId": "acme-prod", "exemptedMembers": ["user:a@x.com"]},
            "gcp.exemptedMembers='user:a@x.com'",
        ),
        (
            {"scope": "project", "projectId": "acme-prod", "lifecycle": []},
            "gcp.lifecycle=[] is not allowed: unknown setting",
        ),
    ],
)
def test_refused_gcp_inputs_name_field_value_and_allowed(gcp, message):
    from tests.test_refused_config import registered_before_error

    exc, resources = registered_before_error({"clouds": ["gcp"], "gcp": {**BASE, **gcp}})
    assert message in str(exc)
    assert resources == []


def test_retention_beyond_the_gcs_cap_is_refused():
    century = parse_settings(
        "g", {"clouds": ["gcp"], "retentionYears": 101, "gcp": {**BASE, "scope": "project", "projectId": "acme-prod"}}
    )
    with pytest.raises(ConfigError) as err:
        rendered(century)
    assert str(err.value) == (
        "retentionYears=101 is not allowed: Cloud Storage bucket lock holds at most "
        "a retention period under 3,155,760,000 s; allowed: at most 99 years"
    )


@pytest.fixture(scope="module")
def gcp_plan():
    s = gcp_settings(
        jurisdictions=["CA"],
        scope="organization",
        organizationId="123456789012",
        logBucketRetentionDays=400,
        alerts=ALERTS,
    )
    return [PlanResource(r.type, r.name, r.state) for r in rendered(s).values() if r.custom], s.retention


def _failing(resources, required, **kw):
    verdicts = judge_gcp_plan(resources, required, phi_buckets=ALERTS["phiBuckets"], **kw)
    return {v.control_id: v.gaps for v in verdicts if not v.passed}


@pytest.mark.parametrize(
    ("name", "change", "control", "fragment"),
    [
        (
            "gcp-audit-archive-bucket",
            lambda p: p["retentionPolicy"].update(isLocked=False),
            "gcp.bucket.retention_lock",
            "is not locked",
        ),
        (
            "gcp-audit-archive-bucket",
            lambda p: p["retentionPolicy"].update(retentionPeriod="31536000"),
            "gcp.bucket.retention_lock",
            "< required 220924800 s",
        ),
        (
            "gcp-audit-archive-bucket",
            # Only the Delete rule left: nothing tiers. (An early Delete rule under the LOCKED retention is
            # refused by Cloud Storage: advisory, see tests/test_gcp_lifecycle.py.)
            lambda p: p.update(lifecycleRules=p["lifecycleRules"][3:]),
            "gcp.bucket.lifecycle",
            "logs are never tiered",
        ),
        (
            "gcp-audit-archive-bucket",
            lambda p: p.update(publicAccessPrevention="inherited"),
            "gcp.bucket.hardening",
            "public access prevention is inherited",
        ),
        (
            "gcp-audit-logs-sink",
            lambda p: p.update(filter='logName:"cloudaudit.googleapis.com%2Factivity"'),
            "gcp.sink.export",
            "does not export every audit log",
        ),
        (
            "gcp-audit-logs-sink",
            lambda p: p.update(includeChildren=False),
            "gcp.sink.export",
            "does not include child projects",
        ),
        (
            "gcp-audit-logs-sink-writer",
            lambda p: p.update(role="roles/storage.admin"),
            "gcp.sink.export",
            "holds ['roles/storage.admin']",
        ),
        (
            "gcp-audit-logs-config",
            lambda p: p["auditLogConfigs"].pop(1),
            "gcp.audit.data_access",
            "DATA_READ is not logged",
        ),
        (
            "gcp-audit-logs-config",
            lambda p: p["auditLogConfigs"][1].update(exemptedMembers=["user:dev@acme.com"]),
            "gcp.audit.data_access",
            "user:dev@acme.com is exempted from DATA_READ on allServices without a recorded reason",
        ),
    ],
)
def test_plan_judge_fails_exactly_the_weakened_control(gcp_plan, name, change, control, fragment):
    resources, required = gcp_plan
    assert _failing(resources, required) == {}
    gaps = _failing(weaken(resources, name, change), required)
    assert list(gaps) == [control]
    assert any(fragment in g for g in gaps[control]), gaps


def test_plan_lists_gcp_resources_with_control_ids(capsys):
    from auditkit.auditors.cli import main

    assert main(["plan", "--stack", "demo", "--format", "json"]) == 0
    import json

    doc = json.loads(capsys.readouterr().out)
    by_name = {r["name"]: r for r in doc["resources"]}
    assert by_name["gcp-audit-archive-bucket"]["controls"] == [
        "gcp.archive.seal_protection",
        "gcp.bucket.hardening",
        "gcp.bucket.lifecycle",
        "gcp.bucket.retention_lock",
    ]
    assert by_name["gcp-audit-logs-config"]["controls"] == ["gcp.audit.data_access"]
    assert by_name["gcp-audit-logs-sink"]["controls"] == ["gcp.sink.export"]
    assert doc["gaps"] == []


@pytest.mark.parametrize(
    ("sink_filter", "gaps"),
    [
        ('logName:"cloudaudit.googleapis.com"', ()),
        (
            'logName:"cloudaudit.googleapis.com%2Factivity"',
            ("does not export every audit log",),
        ),
    ],
)
def test_a_sink_to_a_bucket_outside_the_plan_is_judged_on_the_sink(sink_filter, gaps):
    """The central archive is another stack's: the plan cannot see its grants (`auditkit scan gcp` reads
    them), so the export is judged on the sink itself — never refused for the missing bucket."""
    sink = PlanResource(
        "gcp:logging/projectSink:ProjectSink",
        "sink",
        {
            "project": "acme-prod",
            "name": "audit",
            "destination": "storage.googleapis.com/central-audit-archive",
            "filter": sink_filter,
            "writerIdentity": "serviceAccount:service-1@gcp-sa-logging.iam.gserviceaccount.com",
        },
    )
    verdicts = {v.control_id: v for v in judge_gcp_plan([sink], required_retention(["US"]), require_audit=False)}
    assert set(verdicts) == {"gcp.audit.data_access", "gcp.sink.export"}
    export = verdicts["gcp.sink.export"]
    assert len(export.gaps) == len(gaps) and all(g in export.gaps[0] for g in gaps)


def test_a_broad_binding_for_the_sink_writer_fails_sink_export():
    s = gcp_settings(scope="project", projectId="acme-prod", alerts=ALERTS)
    resources = [PlanResource(r.type, r.name, r.state) for r in rendered(s).values() if r.custom]
    writer = next(r for r in resources if r.name == "gcp-audit-logs-sink-writer").props["member"]
    binding = PlanResource(
        "gcp:storage/bucketIAMBinding:BucketIAMBinding",
        "admins",
        {"bucket": "acme-audit-archive", "role": "roles/storage.admin", "members": [writer]},
    )
    verdicts = judge_gcp_plan([*resources, binding], s.retention, phi_buckets=ALERTS["phiBuckets"])
    gaps = {v.control_id: v.gaps for v in verdicts if not v.passed}
    assert list(gaps) == ["gcp.sink.export"] and "roles/storage.admin" in gaps["gcp.sink.export"][0]


def test_gcp_resources_in_a_stack_that_does_not_declare_gcp_are_not_asked_for_audit_logs():
    network = {"name": "vpc"}
    resources = [
        Resource(
            "gcp:compute/network:Network", "vpc", "urn:pulumi:s::p::gcp:compute/network:Network::vpc", network, network
        )
    ]
    undeclared = check(resources, {"jurisdictions": ["US"], "clouds": ["aws"]})
    assert not any(v.control.startswith("gcp.") for v in undeclared)
    assert {v.control for v in check(resources, {"jurisdictions": ["US"], "clouds": ["gcp"]})} >= {
        "gcp.audit.data_access",
        "gcp.sink.export",
    }

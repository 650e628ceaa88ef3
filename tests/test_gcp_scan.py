"""`auditkit scan gcp`: the real Google clients (Resource Manager and Storage SDKs, Logging REST through
google-auth's AuthorizedSession) against the fake GCP, loaded with what our components render."""

from dataclasses import replace

import pytest
from google.auth.credentials import AnonymousCredentials

from auditkit.auditors.findings import Status
from auditkit.auditors.gcp.scan import GcpScanOptions, alert_parameters, default_clients, scan_gcp
from auditkit.components.mock_engine import render
from auditkit.components.stack import build_stack
from auditkit.policies.alerts.catalog import control_ids
from auditkit.policies.gcp.facts import AuditConfigFacts
from auditkit.policies.gcp.judges import data_access
from auditkit.settings.stack_settings import parse_settings
from tests.fakes.gcp import FakeGcp
from tests.fakes.gcp_world import ORG, PROJECT, load_rendered, organization


@pytest.fixture
def gcp():
    fake = FakeGcp()
    yield fake
    fake.close()


def clients_for(fake):
    return lambda options: default_clients(replace(options, endpoint=fake.http_endpoint), AnonymousCredentials())


ALERTS = {"email": ["security@acme.example"], "phiBuckets": ["acme-phi-records"]}


def deploy(fake, scope="organization", **gcp):
    """The stack deployed with its alerts: where an organization or folder sink routes, a log bucket counts them."""
    if scope != "project":
        gcp.setdefault("logBucketRetentionDays", 400)
    gcp.setdefault("alerts", ALERTS)
    ids = {
        "organization": {"organizationId": "123456789012"},
        "folder": {"folderId": "456"},
        "project": {"projectId": "acme-prod"},
    }[scope]
    s = parse_settings(
        "g",
        {
            "jurisdictions": ["CA"],
            "clouds": ["gcp"],
            "gcp": {"scope": scope, **ids, "archiveProject": "acme-audit", "bucketName": "acme-audit-archive", **gcp},
        },
    )
    organization(fake, audit_configs=False)
    load_rendered(fake, render(lambda: build_stack(s), "g"))
    return s


def scan(fake, s, targets=(PROJECT,)):
    options = GcpScanOptions(
        s.retention,
        tuple(targets),
        dict(s.gcp.exemptions),
        s.gcp.kms_key_name,
        alert_parameters=alert_parameters(s.gcp),
    )
    return scan_gcp(options, clients_for(fake))


def by(report, control):
    return {f.resource: (f.status, f.message) for f in report.findings if f.control == control}


@pytest.mark.parametrize("scope", ["organization", "folder", "project"])
def test_deployed_components_pass_for_a_project_below_the_scope(gcp, scope):
    report = scan(gcp, deploy(gcp, scope))
    assert {f.control for f in report.findings} == {
        "gcp.audit.data_access",
        "gcp.sink.export",
        "gcp.bucket.retention_lock",
        "gcp.bucket.lifecycle",
        "gcp.bucket.hardening",
        "gcp.archive.seal_protection",
        *control_ids("gcp"),
    }
    assert [f for f in report.findings if f.status is not Status.PASS] == []


def test_data_access_is_inherited_only_from_real_ancestors(gcp):
    s = deploy(gcp, "project")
    other = "projects/acme-scratch"
    gcp.nodes[other] = {"parent": ORG}
    report = scan(gcp, s, targets=(PROJECT, other))
    access = by(report, "gcp.audit.data_access")
    assert access[PROJECT][0] is Status.PASS
    assert access[other] == (
        Status.FAIL,
        "no audit config for allServices at project:acme-scratch: Data Access logs are off (GCP's default)",
    )
    assert by(report, "gcp.sink.export")[other][0] is Status.FAIL


def test_data_access_must_be_on_at_the_exported_scope():
    scratch = AuditConfigFacts("project:scratch", "allServices", {"ADMIN_READ": (), "DATA_READ": (), "DATA_WRITE": ()})
    org = AuditConfigFacts("orgId:1", "allServices", {"ADMIN_READ": (), "DATA_READ": (), "DATA_WRITE": ()})
    assert data_access([scratch], scopes=["orgId:1"]) == [
        "no audit config for allServices at orgId:1: Data Access logs are off (GCP's default)"
    ]
    assert data_access([org], scopes=["project:prod"]) == []  # inherited from the organization
    assert data_access([scratch], {"user:a@x.com": " "}, ["project:scratch"]) == []


def test_exemptions_need_a_reason_from_the_stack(gcp):
    s = deploy(
        gcp,
        "organization",
        exemptedMembers=[{"member": "serviceAccount:etl@x.iam.gserviceaccount.com", "reason": "bulk export"}],
    )
    assert by(scan(gcp, s), "gcp.audit.data_access")[PROJECT][0] is Status.PASS
    report = scan_gcp(GcpScanOptions(s.retention, (PROJECT,)), clients_for(gcp))
    status, message = by(report, "gcp.audit.data_access")[PROJECT]
    assert (
        status is Status.FAIL and "serviceAccount:etl@x.iam.gserviceaccount.com is exempted from DATA_READ" in message
    )


def test_unlocked_short_archive_and_disabled_sink(gcp):
    s = deploy(gcp, "organization")
    body, bindings = gcp.buckets["acme-audit-archive"]
    body["retentionPolicy"] = {"retentionPeriod": "31536000", "isLocked": False}
    gcp.sinks[ORG][0]["disabled"] = True  # the component's sink (the fake lists _Required/_Default first)
    report = scan(gcp, s)
    lock = by(report, "gcp.bucket.retention_lock")["gs://acme-audit-archive"]
    assert lock[0] is Status.FAIL and "is not locked" in lock[1] and "< required 220924800 s" in lock[1]
    assert by(report, "gcp.sink.export")[PROJECT][0] is Status.FAIL


def test_denied_ancestor_policy_makes_an_incomplete_project_an_error(gcp):
    s = deploy(gcp, "organization")
    gcp.denied.add(f"/v3/{ORG}:getIamPolicy")
    status, message = by(scan(gcp, s), "gcp.audit.data_access")[PROJECT]
    assert status is Status.ERROR and "Forbidden" in message  # a 403 over REST; gRPC says PermissionDenied


def test_denied_sinks_and_denied_bucket_are_errors(gcp):
    s = deploy(gcp, "organization")
    gcp.denied.update({f"/v2/{ORG}/sinks", "/storage/v1/b/acme-audit-archive"})
    report = scan(gcp, s)
    assert by(report, "gcp.sink.export")[PROJECT][0] is Status.ERROR
    assert (
        f"could not read ListSinks ({ORG}, ): Forbidden: injected denial" in by(report, "gcp.sink.export")[PROJECT][1]
    )
    assert by(report, "gcp.audit.data_access")[PROJECT][0] is Status.PASS  # the sinks are not the audit configs
    assert report.exit_code() == 2


def test_the_shipped_gcp_role_is_exactly_what_the_scan_uses(gcp):
    from auditkit.auditors.gcp.permissions import gcp_permission, role_permissions

    scan(gcp, deploy(gcp, "organization", logBucketRetentionDays=400), targets=(PROJECT, ORG))
    used = {gcp_permission(r) for r in gcp.requests}
    assert used == role_permissions()


def test_scan_gcp_command_refuses_no_target_and_fails_closed_without_credentials(capsys, monkeypatch, tmp_path):
    import json

    from auditkit.auditors.cli import main

    assert main(["scan", "gcp"]) == 2
    assert "at least one organization, folder or project" in capsys.readouterr().err
    # No Application Default Credentials on this machine: ERROR for the target, exit 2, report still written.
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "missing.json"))
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path))
    assert main(["scan", "gcp", "--project", "acme-prod", "--format", "json"]) == 2
    doc = json.loads(capsys.readouterr().out)
    assert [(f["control"], f["status"]) for f in doc["findings"]] == [("gcp.audit.data_access", "ERROR")]


@pytest.mark.parametrize(
    ("change", "control", "fragment"),
    [
        (
            lambda body: body["lifecycle"].update(rule=body["lifecycle"]["rule"][3:]),
            "gcp.bucket.lifecycle",
            "logs are never tiered",
        ),
        (
            lambda body: body["iamConfiguration"].update(publicAccessPrevention="inherited"),
            "gcp.bucket.hardening",
            "public access prevention is inherited",
        ),
    ],
)
def test_archive_lifecycle_and_hardening_fail_when_weakened(gcp, change, control, fragment):
    s = deploy(gcp, "organization")
    change(gcp.buckets["acme-audit-archive"][0])
    report = scan(gcp, s)
    status, message = by(report, control)["gs://acme-audit-archive"]
    assert status is Status.FAIL and fragment in message
    assert {f.control for f in report.gaps} == {control}


def test_a_hot_log_bucket_beside_the_archive_is_neither_an_archive_nor_a_gap(gcp):
    s = deploy(gcp, "organization", logBucketRetentionDays=400)
    status, message = by(scan(gcp, s), "gcp.sink.export")[PROJECT]
    assert status is Status.PASS
    assert message == (
        f"every audit log reaches {ORG}/sinks/auditkit-audit-logs -> storage.googleapis.com/acme-audit-archive"
    )

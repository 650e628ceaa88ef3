"""`auditkit scan gcp`: the real Google clients against fake Resource Manager, Storage (REST) and Logging (gRPC)."""

import grpc
import pytest
from google.auth.credentials import AnonymousCredentials
from google.cloud import resourcemanager_v3, storage
from google.cloud.logging_v2.services.config_service_v2 import ConfigServiceV2Client
from google.cloud.logging_v2.services.config_service_v2.transports import ConfigServiceV2GrpcTransport

from auditkit.auditors.findings import Status
from auditkit.auditors.gcp.collect import GcpClients
from auditkit.auditors.gcp.scan import GcpScanOptions, scan_gcp
from auditkit.components.mock_engine import render
from auditkit.components.settings import parse_settings
from auditkit.components.stack import build_stack
from tests.fakes.gcp import FakeGcp
from tests.fakes.gcp_world import load_rendered

ORG, PROJECT, FOLDER = "organizations/123456789012", "projects/acme-prod", "folders/456"


@pytest.fixture
def gcp():
    fake = FakeGcp()
    yield fake
    fake.close()


def clients_for(fake):
    opts = {"api_endpoint": fake.http_endpoint}
    anon = AnonymousCredentials()
    return lambda: GcpClients(
        resourcemanager_v3.ProjectsClient(credentials=anon, transport="rest", client_options=opts),
        resourcemanager_v3.FoldersClient(credentials=anon, transport="rest", client_options=opts),
        resourcemanager_v3.OrganizationsClient(credentials=anon, transport="rest", client_options=opts),
        ConfigServiceV2Client(transport=ConfigServiceV2GrpcTransport(channel=grpc.insecure_channel(fake.grpc_target))),
        storage.Client(project="acme-audit", credentials=anon, client_options=opts),
    )


def deploy(fake, scope="organization", **gcp):
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
    load_rendered(fake, render(lambda: build_stack(s), "g"))
    fake.nodes.setdefault(ORG, {})
    fake.nodes.setdefault(FOLDER, {})["parent"] = ORG
    fake.nodes.setdefault(PROJECT, {})["parent"] = FOLDER
    return s


def scan(fake, s, targets=(PROJECT,)):
    return scan_gcp(
        GcpScanOptions(s.retention, tuple(targets), dict(s.gcp.exemptions), s.gcp.kms_key_name), clients_for(fake)
    )


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
    gcp.sinks[ORG][0]["disabled"] = True
    report = scan(gcp, s)
    lock = by(report, "gcp.bucket.retention_lock")["gs://acme-audit-archive"]
    assert lock[0] is Status.FAIL and "is not locked" in lock[1] and "< required 220924800 s" in lock[1]
    assert by(report, "gcp.sink.export")[PROJECT][0] is Status.FAIL


def test_denied_ancestor_policy_makes_an_incomplete_project_an_error(gcp):
    s = deploy(gcp, "organization")
    gcp.denied.add(f"/v3/{ORG}:getIamPolicy")
    status, message = by(scan(gcp, s), "gcp.audit.data_access")[PROJECT]
    assert status is Status.ERROR and "Forbidden" in message  # a 403 over REST; gRPC says PermissionDenied


def test_denied_sinks_over_grpc_and_denied_bucket_are_errors(gcp):
    s = deploy(gcp, "organization")
    gcp.denied.update({f"ListSinks:{ORG}", "/storage/v1/b/acme-audit-archive"})
    report = scan(gcp, s)
    assert by(report, "gcp.sink.export")[PROJECT][0] is Status.ERROR
    assert "PermissionDenied" in by(report, "gcp.sink.export")[PROJECT][1]
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
            lambda body: body["lifecycle"]["rule"][3]["condition"].update(age=365),
            "gcp.bucket.lifecycle",
            "a Delete rule (age 365)",
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


def test_hot_log_bucket_must_be_locked(gcp):
    s = deploy(gcp, "organization", logBucketRetentionDays=400)
    assert by(scan(gcp, s), "gcp.sink.export")[PROJECT][0] is Status.PASS
    name = next(iter(gcp.log_buckets))
    gcp.log_buckets[name]["locked"] = False
    status, message = by(scan(gcp, s), "gcp.sink.export")[PROJECT]
    assert status is Status.FAIL
    assert (
        message
        == f"log bucket {name} (retention 400 days) is not locked: its retention can be shortened or the bucket deleted"
    )

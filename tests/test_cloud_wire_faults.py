"""`scan gcp` and `scan azure` through the fault proxy (tests/fault_proxy.py) in front of their fakes, with the
real Google and azure-mgmt clients: a transient fault (5xx, throttling, a reset, a body cut short, an empty
200) ends in the clean verdicts; a fault that stays (denial, 5xx, empty 200s, a page token that repeats) is
ERROR on exactly the verdicts that read it, exit 2, never a PASS or a made-up FAIL, never a hang."""

from __future__ import annotations

import pytest
from google.auth.credentials import AnonymousCredentials

from auditkit.auditors.azure.scan import AzureScanOptions, scan_azure
from auditkit.auditors.findings import Report, Status
from auditkit.auditors.gcp.scan import GcpScanOptions, alert_parameters, default_clients, scan_gcp
from auditkit.components.mock_engine import render
from auditkit.components.stack import build_stack
from auditkit.policies.alerts.catalog import control_ids
from auditkit.policies.retention import required_retention
from auditkit.settings.stack_settings import parse_settings
from tests.fakes.arm import FakeCredential
from tests.fakes.arm_published import ACCOUNT, SUB, WORKSPACE, PublishedWorld
from tests.fakes.gcp import FakeGcp
from tests.fakes.gcp_world import ORG, PROJECT, load_rendered, organization
from tests.fault_proxy import Fault, FaultProxy

# Slow (the fault matrix on the wire): left out of `make test`, run by `make test-slow` (CI runs both).
pytestmark = pytest.mark.slow

GCP_ARCHIVE = "gs://acme-audit-archive"
GCP_BUCKET_CONTROLS = {
    "gcp.bucket.retention_lock",
    "gcp.bucket.lifecycle",
    "gcp.bucket.hardening",
    "gcp.archive.seal_protection",
}
GCP_FINDINGS = 6 + len(control_ids("gcp"))  # the audit-logging controls, seal protection, one per alert
US = required_retention(["US"])
SUBSCRIPTION = f"/subscriptions/{SUB}"
AZURE_ARCHIVE_CONTROLS = {
    "azure.storage.immutability",
    "azure.storage.lifecycle",
    "azure.storage.hardening",
    "azure.archive.seal_protection",
}


def errors(report: Report) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for f in report.findings:
        if f.status is Status.ERROR:
            out.setdefault(f.control, set()).add(f.resource)
    return out


# --- GCP: an organization-wide sink to a locked archive, Data Access logs on at the organization ---


@pytest.fixture
def google():
    fake = FakeGcp()
    settings = parse_settings(
        "g",
        {
            "jurisdictions": ["CA"],
            "clouds": ["gcp"],
            "gcp": {
                "scope": "organization",
                "organizationId": "123456789012",
                "archiveProject": "acme-audit",
                "bucketName": "acme-audit-archive",
                # The alerts count the audit logs in the archive project's log bucket.
                "logBucketRetentionDays": 400,
                "alerts": {"email": ["security@acme.example"], "phiBuckets": ["acme-phi-records"]},
            },
        },
    )
    organization(fake, audit_configs=False)
    load_rendered(fake, render(lambda: build_stack(settings), "g"))
    proxy = FaultProxy(fake.http_endpoint, dialect="google")
    yield proxy, settings
    proxy.close()
    fake.close()


def scan_google(proxy: FaultProxy, settings) -> Report:
    options = GcpScanOptions(
        settings.retention,
        (PROJECT,),
        timeout=5.0,
        endpoint=proxy.endpoint,
        alert_parameters=alert_parameters(settings.gcp),
    )
    return scan_gcp(options, lambda o: default_clients(o, AnonymousCredentials()))


def on_org_policy(c) -> bool:
    return c.path == f"/v3/{ORG}:getIamPolicy"


def on_archive(c) -> bool:
    return c.path.startswith("/storage/v1/b/acme-audit-archive")


def on_project_sinks(c) -> bool:
    return c.path == f"/v2/{PROJECT}/sinks"


def test_gcp_clean_through_the_proxy(google):
    report = scan_google(*google)
    assert len(report.findings) == GCP_FINDINGS and {f.status for f in report.findings} == {Status.PASS}


@pytest.mark.parametrize(
    ("kind", "where"),
    [
        ("unavailable", on_org_policy),
        ("throttle", on_archive),
        ("reset", on_project_sinks),
        ("short", on_project_sinks),
        ("short", on_org_policy),
        ("empty", on_archive),
        ("empty", on_org_policy),
        ("empty", on_project_sinks),
    ],
)
def test_gcp_one_transient_fault_ends_in_the_clean_verdicts(google, kind, where):
    proxy, settings = google
    proxy.faults.append(Fault(where, kind, times=1))
    report = scan_google(proxy, settings)
    assert {f.status for f in report.findings} == {Status.PASS} and len(report.findings) == GCP_FINDINGS, (
        report.as_json()
    )
    assert len([c for c in proxy.seen if where(c)]) >= 2


@pytest.mark.parametrize(
    ("kind", "where", "expected", "code"),
    [
        # The organization's audit configs unread: the project's Data Access logs could be on or off.
        ("denied", on_org_policy, {"gcp.audit.data_access": {PROJECT}}, "Forbidden"),
        ("empty", on_org_policy, {"gcp.audit.data_access": {PROJECT}}, "IncompleteAnswer"),
        # The archive unread: its four controls, and the route that ends in it.
        (
            "unavailable",
            on_archive,
            {**dict.fromkeys(GCP_BUCKET_CONTROLS, {GCP_ARCHIVE}), "gcp.sink.export": {PROJECT}},
            "ServiceUnavailable",
        ),
        (
            "empty",
            on_archive,
            {**dict.fromkeys(GCP_BUCKET_CONTROLS, {GCP_ARCHIVE}), "gcp.sink.export": {PROJECT}},
            "IncompleteAnswer",
        ),
        # The project's sinks listing never ends: whether a sink there intercepts the logs is unknown.
        ("repeat_token", on_project_sinks, {"gcp.sink.export": {PROJECT}}, "BrokenPaging"),
    ],
)
def test_gcp_a_fault_that_stays_errs_exactly_what_reads_it(google, kind, where, expected, code):
    proxy, settings = google
    proxy.faults.append(Fault(where, kind))
    report = scan_google(proxy, settings)
    assert errors(report) == expected, report.as_json()
    assert report.counts()["FAIL"] == 0 and report.exit_code() == 2
    assert all(code in f.message for f in report.findings if f.status is Status.ERROR)
    if kind == "repeat_token":
        assert len([c for c in proxy.seen if where(c)]) == 2  # the token came back once: no third page


# --- Azure: the published example world (tests/fakes/arm_published.py) ---


@pytest.fixture
def azure(arm):
    PublishedWorld(US.days).load(arm)
    proxy = FaultProxy(arm.endpoint, dialect="arm", tls=(str(arm.cert), str(arm.key)))
    yield proxy
    proxy.close()


def scan_arm(proxy: FaultProxy) -> Report:
    return scan_azure(AzureScanOptions(US, (SUB,), arm_endpoint=proxy.endpoint), FakeCredential())


def on_account(c) -> bool:
    return c.path.lower() == ACCOUNT.lower()


def on_resources(c) -> bool:
    return c.path.lower() == f"{SUBSCRIPTION}/resources".lower()


def on_lifecycle(c) -> bool:
    return c.path.lower() == f"{ACCOUNT}/managementPolicies/default".lower()


def on_containers(c) -> bool:
    return c.path.lower() == f"{ACCOUNT}/blobServices/default/containers".lower()


def on_workspace(c) -> bool:
    return c.path.lower() == WORKSPACE.lower()


def test_azure_clean_through_the_proxy(azure):
    report = scan_arm(azure)
    assert len(report.findings) == 10 + len(control_ids("azure")) and {f.status for f in report.findings} == {
        Status.PASS
    }


@pytest.mark.parametrize(
    ("kind", "where"),
    [
        ("unavailable", on_account),
        ("throttle", on_account),
        ("reset", on_resources),
        ("short", on_resources),
        ("empty", on_lifecycle),
        ("empty", on_workspace),
    ],
)
def test_azure_one_transient_fault_ends_in_the_clean_verdicts(azure, kind, where):
    azure.faults.append(Fault(where, kind, times=1))
    report = scan_arm(azure)
    assert {f.status for f in report.findings} == {Status.PASS} and len(report.findings) == 10 + len(
        control_ids("azure")
    ), report.as_json()
    assert len([c for c in azure.seen if where(c)]) >= 2


@pytest.mark.parametrize(
    ("kind", "where", "expected", "code"),
    [
        ("denied", on_account, dict.fromkeys(AZURE_ARCHIVE_CONTROLS, {ACCOUNT}), "AuthorizationFailed"),
        ("unavailable", on_workspace, {"azure.workspace.retention": {WORKSPACE}}, "ServiceUnavailable"),
        ("empty", on_lifecycle, {"azure.storage.lifecycle": {ACCOUNT}}, "EmptyAnswer"),
        ("repeat_token", on_resources, {"azure.diagnostics.resources": {SUBSCRIPTION}}, "BrokenPaging"),
        ("repeat_token", on_containers, {"azure.storage.immutability": {ACCOUNT}}, "BrokenPaging"),
    ],
)
def test_azure_a_fault_that_stays_errs_exactly_what_reads_it(azure, kind, where, expected, code):
    azure.faults.append(Fault(where, kind))
    report = scan_arm(azure)
    found = {control: {r.lower() for r in resources} for control, resources in errors(report).items()}
    assert found == {control: {r.lower() for r in resources} for control, resources in expected.items()}
    assert report.counts()["FAIL"] == 0 and report.exit_code() == 2
    assert all(code in f.message for f in report.findings if f.status is Status.ERROR)

"""The live GCP alert judges: the real clients (google-auth's AuthorizedSession over REST) against the fake GCP,
seeded with the published shapes (tests/fakes/gcp_published.py: LogMetric, AlertPolicy, NotificationChannel
from googleapis google/logging/v2/logging_metrics.proto, google/monitoring/v3/alert.proto and notification.proto,
as the REST references print them). The fake never evaluates a filter: AuditKit's evaluator decides what a
metric matches (policies/alerts/logging_query.py)."""

from __future__ import annotations

import math

import pytest

from auditkit.auditors.findings import Status
from auditkit.auditors.gcp.scan import GcpScanOptions, default_clients, scan_gcp
from auditkit.policies.alerts.catalog import alerts_on, control_ids
from auditkit.policies.retention import required_retention
from tests.fakes import gcp_published as pub
from tests.fakes.gcp import FakeGcp
from tests.fakes.gcp_world import ARCHIVE, AUDIT, CENTRAL, ORG, PROJECT, add_sink, archive, organization

PHI = ("acme-phi-records",)
STACK = {"archive_project": AUDIT.split("/")[1], "archive_bucket": ARCHIVE, "phi_buckets": PHI}
CHANNEL = f"{PROJECT}/notificationChannels/4711"
CENTRAL_BUCKET = f"{CENTRAL}/locations/global/buckets/central-audit"
ROOT = "gcp.alerts.audit_config_changes"


@pytest.fixture
def gcp():
    fake = FakeGcp()
    organization(fake)
    archive(fake, add_sink(fake, PROJECT, "audit-archive", f"storage.googleapis.com/{ARCHIVE}"))
    yield fake
    fake.close()


def alerting(fake: FakeGcp, project: str = PROJECT, bucket: str | None = None, skip: tuple[str, ...] = ()) -> None:
    """Every catalog alert's filter as a customer's metric, an alert policy on each and one email channel."""
    for i, alert in enumerate(alerts_on("gcp")):
        if alert.id in skip:
            continue
        variant = alert.on("gcp")
        assert variant is not None
        name = f"customer-{alert.id}"
        fake.metrics.setdefault(project, []).append(
            pub.log_metric(project, name, variant.render(dict(STACK)), bucket=bucket)
        )
        policy = pub.alert_policy(project, str(9000 + i), name, [f"{project}/notificationChannels/4711"])
        fake.alert_policies.setdefault(project, []).append(policy)
    fake.channels.setdefault(project, []).append(pub.email_channel(project, "4711"))


def metric(fake: FakeGcp, alert_id: str, project: str = PROJECT) -> dict:
    return next(m for m in fake.metrics[project] if m["name"] == f"customer-{alert_id}")


def policy(fake: FakeGcp, alert_id: str, project: str = PROJECT) -> dict:
    return next(p for p in fake.alert_policies[project] if f"customer-{alert_id}" in p["displayName"])


def scan(fake: FakeGcp, targets=(PROJECT,), parameters=STACK):
    options = GcpScanOptions(
        required_retention(["CA"]), tuple(targets), endpoint=fake.http_endpoint, alert_parameters=parameters
    )
    from google.auth.credentials import AnonymousCredentials

    return scan_gcp(options, lambda o: default_clients(o, AnonymousCredentials()))


def verdict(report, control, resource=PROJECT):
    (found,) = [(f.status, f.message) for f in report.findings if f.control == control and f.resource == resource]
    return found


def test_every_alert_passes_with_one_call_per_page_and_project(gcp):
    alerting(gcp)
    report = scan(gcp)
    alerts = {f.control: f for f in report.findings if f.control in control_ids("gcp")}
    assert set(alerts) == set(control_ids("gcp")) and {f.status for f in alerts.values()} == {Status.PASS}
    index = [a.id for a in alerts_on("gcp")].index("audit_config_changes")
    assert alerts[ROOT].message == (
        f"metric {PROJECT}/metrics/customer-audit_config_changes -> alert policy "
        f"{PROJECT}/alertPolicies/{9000 + index} -> channel {CHANNEL}"
    )
    pages = math.ceil(len(alerts_on("gcp")) / 2)  # the fake answers two items per page
    assert gcp.requests.count(f"GET /v2/{PROJECT}/metrics") == pages
    assert gcp.requests.count(f"GET /v3/{PROJECT}/alertPolicies") == pages
    assert gcp.requests.count(f"GET /v3/{PROJECT}/notificationChannels") == 1
    # No other project receives this project's audit logs: only its own alerting is read.
    assert not [r for r in gcp.requests if r.endswith(("/metrics", "/alertPolicies")) and PROJECT not in r]


def test_a_differently_written_filter_that_matches_the_same_events_passes(gcp):
    alerting(gcp)
    # Clauses reordered, lowercase values (string comparisons ignore case), `:` for the methods.
    metric(gcp, "audit_config_changes")["filter"] = (
        'protoPayload.serviceData.policyDelta.auditConfigDeltas:* protoPayload.methodName="setiampolicy"'
    )
    assert verdict(scan(gcp), ROOT)[0] is Status.PASS


def test_a_neutered_filter_fails_naming_the_events_it_misses(gcp):
    alerting(gcp)
    # One extra clause: still reads like CIS 2.10, and a bucket made public slips through.
    m = metric(gcp, "bucket_iam_changes")
    m["filter"] += ' AND NOT protoPayload.serviceData.policyDelta.bindingDeltas.member="allUsers"'
    status, message = verdict(scan(gcp), "gcp.alerts.bucket_iam_changes")
    assert status is Status.FAIL
    # Where the project's logs are counted: the project itself, and its _Required and _Default log buckets.
    where = "; ".join(
        [f"{PROJECT} (its own logs)", *(f"{PROJECT}/locations/global/buckets/{b}" for b in ("_Required", "_Default"))]
    )
    assert message == (
        f"no log-based metric on {where} matches the alert exactly: "
        f"filter '{PROJECT}/metrics/customer-bucket_iam_changes' misses 'public read granted'"
    )


def test_an_unparseable_filter_is_an_error_naming_the_metric(gcp):
    alerting(gcp)
    metric(gcp, "route_changes")["filter"] = 'resource.type="gce_route" AND (protoPayload.methodName:"insert"'
    status, message = verdict(scan(gcp), "gcp.alerts.route_changes")
    assert status is Status.ERROR
    assert message.startswith(f"filter '{PROJECT}/metrics/customer-route_changes' could not be read: ")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda p, c: p.update(enabled=False), "alert policy {policy} is disabled"),
        (lambda p, c: p.update(notificationChannels=[]), "alert policy {policy} has no notification channel"),
        (lambda p, c: c.update(enabled=False), "alert policy {policy}: its channel {channel} is disabled"),
        (
            lambda p, c: c.update(verificationStatus="UNVERIFIED"),
            "alert policy {policy}: its channel {channel} is UNVERIFIED (it requires verification and lacks it)",
        ),
        (
            lambda p, c: p.update(notificationChannels=[f"{PROJECT}/notificationChannels/404"]),
            f"alert policy {{policy}}: its channel {PROJECT}/notificationChannels/404 does not exist",
        ),
    ],
)
def test_a_policy_that_reaches_nobody_fails(gcp, change, expected):
    alerting(gcp)
    target = policy(gcp, "firewall_changes")
    change(target, gcp.channels[PROJECT][0])
    status, message = verdict(scan(gcp), "gcp.alerts.firewall_changes")
    assert (status, message) == (Status.FAIL, expected.format(policy=target["name"], channel=CHANNEL))


def test_a_policy_that_does_not_say_whether_it_is_enabled_is_an_error(gcp):
    # AlertPolicy.enabled: "On read, clients should not make any assumption about the state if it has not been
    # populated" (google/monitoring/v3/alert.proto).
    alerting(gcp)
    target = policy(gcp, "network_changes")
    del target["enabled"]
    status, message = verdict(scan(gcp), "gcp.alerts.network_changes")
    assert (status, message) == (Status.ERROR, f"alert policy {target['name']} does not say whether it is enabled")


def test_a_metric_no_policy_watches_fails(gcp):
    alerting(gcp)
    target = policy(gcp, "custom_role_changes")
    target["conditions"][0]["conditionThreshold"]["filter"] = 'metric.type="logging.googleapis.com/user/other"'
    status, message = verdict(scan(gcp), "gcp.alerts.custom_role_changes")
    assert status is Status.FAIL
    assert message == (
        f"metric {PROJECT}/metrics/customer-custom_role_changes feeds "
        "logging.googleapis.com/user/customer-custom_role_changes, which no alert policy watches"
    )


@pytest.mark.parametrize("denied", ["/v2/projects/acme-prod/metrics", "/v3/projects/acme-prod/notificationChannels"])
def test_unread_alerting_is_an_error_for_the_alerts_only(gcp, denied):
    alerting(gcp)
    gcp.denied.add(denied)
    report = scan(gcp)
    statuses = {f.control: f.status for f in report.findings}
    assert {statuses[c] for c in control_ids("gcp")} == {Status.ERROR}
    assert {s for c, s in statuses.items() if c not in control_ids("gcp")} == {Status.PASS}
    assert "Forbidden: injected denial" in verdict(report, ROOT)[1]
    assert report.exit_code() == 2


def test_an_unread_archive_project_is_an_error_for_the_archive_alert_alone(gcp):
    alerting(gcp)
    number = gcp.buckets[ARCHIVE][0]["projectNumber"]
    gcp.denied.add(f"GET /v3/projects/{number}")  # GetProject of the archive's project, by its number
    report = scan(gcp, parameters={"phi_buckets": PHI})  # no stack: the archive is what the sinks reach
    status, message = verdict(report, "gcp.alerts.archive_iam_changes")
    assert status is Status.ERROR
    assert message.startswith("the archive's project is not known, so no metric can be shown to watch its IAM; ")
    assert f"GetProject (projects/{number}" in message
    others = {f.status for f in report.findings if f.control != "gcp.alerts.archive_iam_changes"}
    assert others == {Status.PASS}  # GetProject of the archive's project number is only this alert's read


def test_without_a_stack_the_archive_comes_from_the_sinks_and_no_phi_bucket_is_named(gcp):
    alerting(gcp)
    report = scan(gcp, parameters={})
    assert verdict(report, "gcp.alerts.archive_iam_changes")[0] is Status.PASS
    assert verdict(report, "gcp.alerts.phi_read_volume") == (
        Status.FAIL,
        "no PHI bucket is named (auditkit:gcp.alerts.phiBuckets, scanned with --stack), so no metric can be shown "
        "to count reads of PHI",
    )


def test_an_organization_counts_in_the_log_bucket_its_aggregated_sink_fills(gcp):
    """A bucket-scoped metric (LogMetric.bucketName) in the central project counts every project's audit logs;
    a metric of that project without a bucket counts only the logs that arrive there."""
    add_sink(gcp, ORG, "central", f"logging.googleapis.com/{CENTRAL_BUCKET}", include_children=True)
    alerting(gcp, CENTRAL, bucket=CENTRAL_BUCKET)
    report = scan(gcp, targets=(PROJECT, ORG))
    for target in (PROJECT, ORG):
        assert {f.status for f in report.findings if f.control in control_ids("gcp") and f.resource == target} == {
            Status.PASS
        }
    for m in gcp.metrics[CENTRAL]:
        del m["bucketName"]
    status, message = verdict(scan(gcp, targets=(ORG,)), ROOT, ORG)
    assert (status, message) == (
        Status.FAIL,
        f"no log-based metric counts the audit logs in {CENTRAL_BUCKET}",
    )


def test_a_disabled_aggregated_sink_counts_nowhere(gcp):
    add_sink(gcp, ORG, "central", f"logging.googleapis.com/{CENTRAL_BUCKET}", include_children=True, disabled=True)
    alerting(gcp, CENTRAL, bucket=CENTRAL_BUCKET)
    status, message = verdict(scan(gcp, targets=(ORG,)), ROOT, ORG)
    assert (status, message) == (
        Status.FAIL,
        "no Cloud Logging project or log bucket receives the scope's audit logs",
    )


def test_scan_with_a_stack_watches_the_stacks_archive_and_phi_buckets():
    import argparse

    from auditkit.auditors.gcp.scan import options_from
    from auditkit.settings.stack_settings import parse_settings

    gcp = {"scope": "project", "projectId": "acme-prod", "archiveProject": "acme-audit", "bucketName": ARCHIVE}
    s = parse_settings("g", {"clouds": ["gcp"], "gcp": {**gcp, "alerts": {"phiBuckets": list(PHI)}}})
    args = argparse.Namespace(from_stack=False, organization=[], folder=[], project=["acme-prod"], timeout=5.0)
    args.deadline = 60.0
    assert options_from(args, s, s.retention).alert_parameters == STACK
    unnamed = parse_settings("g", {"clouds": ["gcp"], "gcp": gcp})
    assert options_from(args, unnamed, s.retention).alert_parameters == {
        "archive_project": "acme-audit",
        "archive_bucket": ARCHIVE,
    }
    assert options_from(args, None, s.retention).alert_parameters == {}


def test_a_channel_in_a_project_the_scan_does_not_list_is_unread_never_missing(gcp):
    alerting(gcp)
    target = policy(gcp, "sql_instance_changes")
    target["notificationChannels"] = [f"{CENTRAL}/notificationChannels/77"]
    status, message = verdict(scan(gcp), "gcp.alerts.sql_instance_changes")
    assert (status, message) == (
        Status.ERROR,
        f"the notification channel {CENTRAL}/notificationChannels/77 was not read",
    )


def test_a_metric_on_a_log_bucket_counts_only_what_its_sinks_let_in(gcp):
    """_Required keeps Admin Activity, System Event and Access Transparency logs (pub.REQUIRED_FILTER, as the
    routing docs print it): a metric there sees firewall changes, never a Data Access object read."""
    alerting(gcp, bucket=f"{PROJECT}/locations/global/buckets/_Required")
    report = scan(gcp)
    assert verdict(report, "gcp.alerts.firewall_changes")[0] is Status.PASS
    status, message = verdict(report, "gcp.alerts.phi_read_volume")
    assert status is Status.FAIL
    assert "matches the alert's events (e.g. 'object read from PHI bucket'" in message, message

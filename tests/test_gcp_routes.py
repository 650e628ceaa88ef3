"""Default sinks, routes through other projects, intercepting sinks.

The world is an organization as Google creates it (tests/fakes/gcp_published.py): every organization, folder
and project lists the `_Required` and `_Default` sinks into its own `_Required`/`_Default` log buckets
(cloud.google.com/logging/docs/routing/overview#default-sinks), sinks come from Logging REST v2 sinks.list
(LogSink in googleapis google/logging/v2/logging_config.proto: include_children, intercept_children,
writer_identity, disabled), paged two at a time.
"""

import pytest

from auditkit.auditors.findings import Status
from auditkit.policies.alerts.catalog import control_ids
from tests.fakes import gcp_published as pub
from tests.fakes.gcp_world import (
    ARCHIVE,
    CENTRAL,
    FOLDER,
    NUMBERS,
    ORG,
    PROJECT,
    add_sink,
    archive,
    scan,
    verdicts,
)

GCS = f"storage.googleapis.com/{ARCHIVE}"


def export(report):
    return verdicts(report, "gcp.sink.export")[PROJECT]


# Case 1: the _Default/_Required sinks and buckets every resource has.


def test_google_defaults_alone_fail_without_judging_their_log_buckets(gcp):
    """Only _Required (400 days, audit activity) and _Default (30 days, unlocked) exist: no archive route, and
    neither log bucket is judged as an archive (no gcp.bucket.* finding, no 'not locked' message)."""
    report = scan(gcp)
    status, message = export(report)
    assert status is Status.FAIL
    assert message.startswith("no enabled sink routes every audit log to a Cloud Storage archive (routes seen: ")
    assert f"{PROJECT}/sinks/_Default -> logging.googleapis.com/{PROJECT}/locations/global/buckets/_Default" in message
    assert "locked" not in message
    # the alerts are judged too (nothing here deploys them): one finding each, no bucket finding
    assert {f.control for f in report.findings} == {"gcp.audit.data_access", "gcp.sink.export", *control_ids("gcp")}
    assert verdicts(report, "gcp.audit.data_access")[PROJECT][0] is Status.PASS


def test_google_defaults_beside_an_aggregated_archive_sink_pass(gcp):
    writer = add_sink(gcp, ORG, "audit-archive", GCS, include_children=True)
    archive(gcp, writer)
    report = scan(gcp)
    assert export(report) == (Status.PASS, f"every audit log reaches {ORG}/sinks/audit-archive -> {GCS}")
    assert [f for f in report.gaps if f.control not in control_ids("gcp")] == []  # no alert is deployed here
    assert {f.resource for f in report.findings if f.control.startswith("gcp.bucket.")} == {f"gs://{ARCHIVE}"}


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"disabled": True}, "sink audit-archive is disabled"),
        ({"include_children": False}, "no enabled sink routes every audit log"),  # the project's logs never reach it
        (
            {"exclusions": [{"name": "no-gce", "filter": 'resource.type="gce_instance"'}]},
            "has exclusions ['resource.type=\"gce_instance\"'] that may drop audit logs",
        ),
    ],
)
def test_a_sink_counts_only_enabled_complete_and_aggregated(gcp, change, fragment):
    kw = {"include_children": True, **change}
    archive(gcp, add_sink(gcp, ORG, "audit-archive", GCS, **kw))
    status, message = export(scan(gcp))
    assert status is Status.FAIL and fragment in message


# Case 2: routes through other projects (organization sink -> central project -> its sink -> locked bucket).


def _central_route(gcp, **central_sink):
    add_sink(gcp, ORG, "to-central", f"logging.googleapis.com/{CENTRAL}", include_children=True)
    writer = add_sink(
        gcp, CENTRAL, "central-archive", GCS, writer=pub.writer_for(CENTRAL, NUMBERS[CENTRAL]), **central_sink
    )
    archive(gcp, writer)


def test_a_route_through_the_central_project_ends_in_its_archive(gcp):
    """Destination `logging.googleapis.com/projects/P`: P's sinks reroute the logs
    (cloud.google.com/logging/docs/export/configure_export_v2#overview)."""
    _central_route(gcp)
    report = scan(gcp)
    assert export(report) == (
        Status.PASS,
        f"every audit log reaches {ORG}/sinks/to-central -> {CENTRAL}/sinks/central-archive -> {GCS}",
    )
    assert f"GET /v2/{CENTRAL}/sinks" in gcp.requests


def test_a_route_through_the_central_project_fails_when_the_hop_narrows(gcp):
    _central_route(gcp, filter_='logName:"cloudaudit.googleapis.com%2Factivity"')
    status, message = export(scan(gcp))
    assert status is Status.FAIL
    assert f"route {ORG}/sinks/to-central -> {CENTRAL}/sinks/central-archive -> {GCS}: sink central-archive" in message
    assert "misses ['data_access', 'policy', 'system_event']" in message


def test_a_log_bucket_in_another_project_is_not_an_archive(gcp):
    """Logs routed to a log bucket are not rerouted by the sinks of the project that holds it."""
    destination = f"logging.googleapis.com/{CENTRAL}/locations/global/buckets/central-audit"
    add_sink(gcp, ORG, "to-central-bucket", destination, include_children=True)
    status, message = export(scan(gcp))
    assert status is Status.FAIL and f"{ORG}/sinks/to-central-bucket -> {destination}" in message
    assert f"GET /v2/{CENTRAL}/sinks" not in gcp.requests


def test_an_unreadable_central_project_is_an_error_about_that_route_only(gcp):
    _central_route(gcp)
    gcp.denied.add(f"/v2/{CENTRAL}/sinks")
    report = scan(gcp)
    status, message = export(report)
    assert status is Status.ERROR
    assert message.startswith(f"route {ORG}/sinks/to-central -> logging.googleapis.com/{CENTRAL}: could not read")
    assert "Forbidden: injected denial" in message
    assert verdicts(report, "gcp.audit.data_access")[PROJECT] == (
        Status.PASS,
        "DATA_READ, DATA_WRITE and ADMIN_READ on for allServices",
    )
    # A second, proven route makes the control hold whatever the central project says.
    archive(gcp, add_sink(gcp, PROJECT, "own-archive", GCS, writer=pub.writer_for(PROJECT, NUMBERS[PROJECT])))
    gcp.buckets[ARCHIVE][1].append(pub.grant(pub.WRITER, pub.writer_for(CENTRAL, NUMBERS[CENTRAL])))
    assert export(scan(gcp))[0] is Status.PASS


def test_a_routing_cycle_is_refused(gcp):
    add_sink(gcp, ORG, "to-central", f"logging.googleapis.com/{CENTRAL}", include_children=True)
    add_sink(gcp, CENTRAL, "back", f"logging.googleapis.com/{PROJECT}")
    add_sink(gcp, PROJECT, "forth", f"logging.googleapis.com/{CENTRAL}")
    status, message = export(scan(gcp))
    assert status is Status.FAIL
    assert f"the route loops back to {CENTRAL}" in message


# Case 3: intercepting aggregated sinks (LogSink.intercept_children; aggregated_sinks_overview#intercept).


def test_an_intercepting_folder_sink_takes_the_logs_from_the_projects_own_sink(gcp):
    """The project's own archive sink does not count: the folder's intercepting sink, whose route ends in a
    log bucket, keeps the matching logs from it (only _Required still gets its copy)."""
    archive(gcp, add_sink(gcp, PROJECT, "own-archive", GCS, writer=pub.writer_for(PROJECT, NUMBERS[PROJECT])))
    assert export(scan(gcp))[0] is Status.PASS
    hot = f"logging.googleapis.com/{CENTRAL}/locations/global/buckets/folder-audit"
    add_sink(gcp, FOLDER, "folder-intercept", hot, include_children=True, intercept_children=True)
    status, message = export(scan(gcp))
    assert status is Status.FAIL
    assert (
        f"{FOLDER}/sinks/folder-intercept intercepts the logs of its children: their own sinks do not count" in message
    )
    assert "own-archive" not in message


def test_an_intercepting_organization_sink_is_judged_on_its_own_route(gcp):
    writer = add_sink(gcp, ORG, "org-intercept", GCS, include_children=True, intercept_children=True)
    archive(gcp, writer)
    add_sink(gcp, PROJECT, "narrow", GCS, filter_="severity>=ERROR")
    assert export(scan(gcp)) == (Status.PASS, f"every audit log reaches {ORG}/sinks/org-intercept -> {GCS}")
    gcp.sinks[ORG][0]["filter"] = 'LOG_ID("cloudaudit.googleapis.com/activity")'
    status, message = export(scan(gcp))
    assert status is Status.FAIL and "sink org-intercept filter" in message and "narrow" not in message


def test_a_route_longer_than_the_hop_bound_is_not_followed():
    """Pure: projects/p0 -> p1 -> p2 -> p3 -> archive needs 3 project hops; one more is refused."""
    from auditkit.policies.gcp.facts import SinkFacts
    from auditkit.policies.gcp.routes import MAX_HOPS, follow

    def chain(hops):
        sinks = {
            f"projects/p{i}": [SinkFacts(f"s{i}", f"projects/p{i}", f"logging.googleapis.com/projects/p{i + 1}", "")]
            for i in range(hops)
        }
        sinks[f"projects/p{hops}"] = [SinkFacts("last", f"projects/p{hops}", GCS, "")]
        first = SinkFacts("first", ORG, "logging.googleapis.com/projects/p1", "", include_children=True)
        return follow(first, lambda p: (sinks.get(p), None if p in sinks else "unread"))

    [ok] = chain(MAX_HOPS)
    assert ok.archive == ARCHIVE and len(ok.sinks) == MAX_HOPS + 1
    [refused] = chain(MAX_HOPS + 1)
    assert refused.archive is None and refused.problem == f"the route is longer than {MAX_HOPS} project hops"

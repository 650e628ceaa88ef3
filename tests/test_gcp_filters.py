"""Every documented way to keep all audit logs, and nothing unproven.

Query language: cloud.google.com/logging/docs/view/logging-query-language (whitespace is AND, OR binds
tighter, `:` is "has", LOG_ID("...") matches one log id; logName is URL-encoded, "/" as %2F). Audit log ids:
cloud.google.com/logging/docs/audit#types (cloudaudit.googleapis.com/activity, data_access, system_event,
policy). Exclusions: LogSink.exclusions (LogExclusion.filter, disabled) in google/logging/v2/logging_config.proto.
"""

import pytest

from auditkit.auditors.findings import Status
from auditkit.policies.gcp.facts import SinkFacts
from auditkit.policies.gcp.judges import exports_every_audit_log
from tests.fakes.gcp_world import ARCHIVE, ORG, PROJECT, add_sink, archive, scan, verdicts

EVERY_ID = " OR ".join(
    f'LOG_ID("cloudaudit.googleapis.com/{t}")' for t in ("activity", "data_access", "system_event", "policy")
)


@pytest.mark.parametrize(
    "filter_",
    [
        "",
        'logName:"cloudaudit.googleapis.com"',
        "logName:cloudaudit.googleapis.com",
        'logName : "cloudaudit.googleapis.com"',
        'logName:"/logs/cloudaudit.googleapis.com%2F"',
        EVERY_ID,
        f"({EVERY_ID})",
        " OR ".join(
            f'logName:"cloudaudit.googleapis.com%2F{t}"' for t in ("activity", "data_access", "system_event", "policy")
        ),
        f'{EVERY_ID} OR resource.type="gce_instance"',
    ],
)
def test_documented_filters_that_keep_every_audit_log_pass(filter_):
    assert exports_every_audit_log(SinkFacts("s", "projects/p", "storage.googleapis.com/b", filter_)) == []


@pytest.mark.parametrize(
    ("filter_", "missing"),
    [
        (EVERY_ID.rsplit(" OR ", 1)[0], " (misses ['policy'])"),
        ('LOG_ID("cloudaudit.googleapis.com/data_access")', " (misses ['activity', 'policy', 'system_event'])"),
        (
            'logName="projects/p/logs/cloudaudit.googleapis.com%2Factivity"',
            " (misses ['activity', 'data_access', 'policy', 'system_event'])",
        ),
        (f"({EVERY_ID}) severity>=ERROR", ""),
        (f'{EVERY_ID} AND NOT protoPayload.methodName="x"', ""),
        ('logName:"cloudaudit.googleapis.com" OR (severity', ""),
    ],
)
def test_filters_that_cannot_be_proved_fail_quoting_the_filter(filter_, missing):
    gaps = exports_every_audit_log(SinkFacts("s", "projects/p", "storage.googleapis.com/b", filter_))
    assert gaps == [
        f'sink s filter {filter_!r} does not export every audit log{missing}; keep logName:"cloudaudit.googleapis.com"'
    ]


@pytest.mark.parametrize(
    ("filter_", "passes"),
    [
        ('logName:"cloudaudit.googleapis.com"', True),
        ('logName:"cloudaudit.googleapis.com" OR logName:"projects/p/logs/app"', True),
        ('(logName:"cloudaudit.googleapis.com" OR severity>=ERROR)', True),
        ("", True),
        # Whitespace is an implicit AND, and OR binds tighter than AND: these narrow the export.
        ('logName:"cloudaudit.googleapis.com" OR severity>=ERROR resource.type="gcs_bucket"', False),
        ('(logName:"cloudaudit.googleapis.com" OR logName:"x") resource.type="gcs_bucket"', False),
        ('logName:"cloudaudit.googleapis.com" AND severity>=ERROR', False),
        ('logName:"cloudaudit.googleapis.com" -protoPayload.methodName="x"', False),
        ('NOT logName:"cloudaudit.googleapis.com"', False),
        ('logName:"cloudaudit.googleapis.com%2Factivity"', False),
    ],
)
def test_sink_filters_that_narrow_the_export_do_not_pass(filter_, passes):
    gaps = exports_every_audit_log(SinkFacts("s", "project:p", "storage.googleapis.com/b", filter_))
    assert (gaps == []) is passes, gaps


@pytest.mark.parametrize(
    ("exclusion", "harmless"),
    [
        ('LOG_ID("stdout") OR LOG_ID("stderr")', True),
        ('logName="projects/p/logs/run.googleapis.com%2Frequests"', True),
        ('LOG_ID("cloudaudit.googleapis.com/data_access")', False),
        ('resource.type="gcs_bucket"', False),
        ('logName:"stdout"', False),  # a substring may match a project name inside an audit logName
    ],
)
def test_exclusions_must_provably_spare_audit_logs(exclusion, harmless):
    gaps = exports_every_audit_log(
        SinkFacts("s", "projects/p", "storage.googleapis.com/b", "", exclusions=(exclusion,))
    )
    assert (gaps == []) is harmless, gaps


@pytest.mark.parametrize(
    ("filter_", "status"),
    [
        ('logName:"/logs/cloudaudit.googleapis.com%2F"', Status.PASS),
        ('logName:"cloudaudit.googleapis.com%2Fpolicy"', Status.FAIL),
    ],
)
def test_the_url_encoded_form_through_the_scan(gcp, filter_, status):
    archive(
        gcp, add_sink(gcp, ORG, "audit", f"storage.googleapis.com/{ARCHIVE}", filter_=filter_, include_children=True)
    )
    got, message = verdicts(scan(gcp), "gcp.sink.export")[PROJECT]
    assert got is status
    if status is Status.FAIL:
        assert f"filter {filter_!r} does not export every audit log" in message

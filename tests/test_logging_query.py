"""Cloud Logging query language evaluator: the examples and rules of Google's reference page.

Source: cloud.google.com/logging/docs/view/logging-query-language (Boolean operators, comparisons, missing
fields, object and array types, comparison operators, global restrictions, regular expressions, searching
examples). Entries are LogEntry JSON (cloud.google.com/logging/docs/reference/v2/rest/v2/LogEntry).
"""

import itertools

import pytest

from auditkit.policies.alerts.corpus.audit_log import binding_delta, entry, policy_delta
from auditkit.policies.alerts.gcp_alerts import GCP_ALERTS
from auditkit.policies.alerts.logging_query import LoggingQueryError, compile_query


def _text(payload: str, **extra):
    return {"textPayload": payload, "resource": {"type": "gce_instance", "labels": {}}, "severity": "ERROR", **extra}


def test_not_binds_tightest_then_or_then_and():
    # "the following two expressions are equivalent"
    left = compile_query('"a" OR NOT "b" AND NOT "c" OR "d"')
    right = compile_query('("a" OR (NOT "b")) AND ((NOT "c") OR "d")')
    naive = compile_query('("a" OR ((NOT "b") AND (NOT "c"))) OR "d"')  # what AND-before-OR would mean
    entries = [
        {"textPayload": " ".join(w for w, on in zip("abcd", bits, strict=True) if on)}
        for bits in itertools.product([0, 1], repeat=4)
    ]
    assert [left.matches(e) for e in entries] == [right.matches(e) for e in entries]
    assert [left.matches(e) for e in entries] != [naive.matches(e) for e in entries]


def test_and_may_be_omitted_and_minus_is_not():
    explicit = compile_query('jsonPayload.a="b" AND jsonPayload.c="d" AND NOT jsonPayload.e="f"')
    short = compile_query('jsonPayload.a="b" jsonPayload.c="d" -jsonPayload.e="f"')
    for e in ({"a": "b", "c": "d"}, {"a": "b", "c": "d", "e": "f"}, {"a": "b"}):
        assert explicit.matches({"jsonPayload": e}) == short.matches({"jsonPayload": e})
    assert short.matches({"jsonPayload": {"a": "b", "c": "d"}}) and not short.matches(
        {"jsonPayload": {"a": "b", "c": "d", "e": "f"}}
    )


@pytest.mark.parametrize(
    ("query", "entry_", "expected"),
    [
        ('resource.type = "gce_instance" AND severity >= "ERROR" AND NOT textPayload:robot', _text("all fine"), True),
        (
            'resource.type = "gce_instance" AND severity >= "ERROR" AND NOT textPayload:robot',
            _text("a ROBOT here"),
            False,
        ),
        ('resource.type = ("gce_instance" OR "aws_ec2_instance")', _text("x"), True),
        ('jsonPayload.cat = ("longhair" OR "shorthair")', {"jsonPayload": {"cat": "shorthair"}}, True),
        ('jsonPayload.animal : ("nice" AND "pet")', {"jsonPayload": {"animal": "a pet that is nice"}}, True),
        ('jsonPayload.animal : ("nice" AND "pet")', {"jsonPayload": {"animal": "nice"}}, False),
        ("NOT jsonPayload.missingField=foo", {"jsonPayload": {}}, True),  # "Returns TRUE"
        ("jsonPayload.missingField!=foo", {"jsonPayload": {}}, False),  # "Returns FALSE"
        ("jsonPayload.shoeSize < 7", {"jsonPayload": {"shoeSize": [8.5, 9, 6]}}, True),  # arrays: OR of members
        ("operation.id:*", {"operation": {"id": "op-1"}}, True),
        ("operation.id:*", {"insertId": "x"}, False),
        (
            "resource.type=gae_app AND logName:request_log",
            {"resource": {"type": "GAE_APP"}, "logName": "projects/p/logs/Request_Log"},
            True,
        ),
        ("unicorn", {"jsonPayload": {"pet": "my UNICORN"}}, True),  # any field, any letter case
        ("unicorn phoenix", {"jsonPayload": {"a": "unicorn", "b": "phoenix"}}, True),
        ("textPayload:(unicorn phoenix)", {"textPayload": "phoenix and unicorn"}, True),
        ('textPayload:"unicorn phoenix"', {"textPayload": "phoenix and unicorn"}, False),
        ('NOT textPayload: "unicorn phoenix"', {"textPayload": "phoenix and unicorn"}, True),
        ("jsonPayload.x = NULL_VALUE", {"jsonPayload": {"x": None}}, True),
        ("NOT jsonPayload.x = NULL_VALUE", {"jsonPayload": {"x": 1}}, True),
        (
            'labels."compute.googleapis.com/resource_id" = "123"',
            {"labels": {"compute.googleapis.com/resource_id": "123"}},
            True,
        ),
        ('labels.pod_name =~ "foo"', {"labels": {"pod_name": "FOO"}}, False),  # regex is case sensitive
        ('labels.subnetwork_name =~ "(?i)foo"', {"labels": {"subnetwork_name": "FOO"}}, True),
        ('logName =~ "/my%2Flog$"', {"logName": "projects/p/logs/my%2Flog"}, True),
        ('labels.env =~ ("^prod.*server" OR "^staging.*server")', {"labels": {"env": "staging-web-server"}}, True),
        ('labels.pod_name !~ "foo"', {"labels": {"pod_name": "bar"}}, True),
        (
            'log_id("cloudaudit.googleapis.com/activity")',
            {"logName": "projects/p/logs/cloudaudit.googleapis.com%2Factivity"},
            True,
        ),
        ('resource.type = "gce_instance" -- a comment\nseverity >= WARNING', _text("x"), True),
        ("a and b", {"textPayload": "sandbox"}, True),  # lowercase and is a search term: a, and, b all occur
        ("a and b", {"textPayload": "sad b"}, False),  # ... so "and" must occur too
        ("protoPayload.methodname = setiampolicy", {"protoPayload": {"methodName": "SetIamPolicy"}}, True),
        ("jsonPayload.endtime:*", {"jsonPayload": {"endTime": "x"}}, False),  # struct keys keep their case
    ],
)
def test_documented_rules(query, entry_, expected):
    assert compile_query(query).matches(entry_) is expected


def test_cis_project_ownership_requires_resource_manager():
    # OR binds tighter than AND: the CIS 2.4 filter is serviceName AND (terms OR removes OR adds).
    query = compile_query(GCP_ALERTS["project_ownership_changes"].filter)
    owner = policy_delta(binding_delta("ADD", "roles/owner", "user:x@example.com"))
    from_rm = entry(
        "SetIamPolicy", "cloudresourcemanager.googleapis.com", "project", {}, "projects/p", service_data=owner
    )
    from_other = entry("SetIamPolicy", "example.googleapis.com", "project", {}, "projects/p", service_data=owner)
    assert query.matches(from_rm) and not query.matches(from_other)


@pytest.mark.parametrize(
    ("query", "position", "reason"),
    [
        ('(resource.type="gce_instance"', 0, "unbalanced '('"),
        ('resource.type="gce', 14, "unterminated quoted string"),
        ('SEARCH("hello world")', 0, "SEARCH() is not supported"),
        ("resource.type =", 14, "expected a value"),
        ('resource.type="a")', 17, "unexpected ')'"),
        ('jsonPayload.x =~ "("', 17, "invalid regular expression"),
    ],
)
def test_unparseable_queries_name_position_and_reason(query, position, reason):
    with pytest.raises(LoggingQueryError) as caught:
        compile_query(query)
    assert (caught.value.position, caught.value.query) == (position, query)
    assert reason in caught.value.reason


def test_empty_query_matches_everything():
    assert compile_query("").matches({}) and compile_query("  -- only a comment").matches({"x": 1})

"""CloudWatch Logs filter patterns: every example on AWS's syntax page, with its documented outcome.

Source: AWS CloudWatch Logs User Guide, "Filter pattern syntax for metric filters, subscription filters, filter
log events, and Live Tail" (FilterAndPatternSyntax.html; the markdown of the current page and of its
matching-terms-json-log-events section, and the 2023 revision "Filter and pattern syntax" for the examples it
dropped). Each case quotes the page's pattern, log event and outcome.
"""

import json

import pytest

from auditkit.policies.alerts.filter_pattern import compile_pattern
from auditkit.policies.alerts.filter_text import split_line
from auditkit.policies.alerts.filter_values import FilterPatternError

# "JSON log event" of the JSON section (current page adds "cluster.name"; the 2023 page had "ThisFlag": true).
JSON_EVENT = {
    "eventType": "UpdateTrail",
    "sourceIPAddress": "111.111.111.111",
    "arrayKey": ["value", "another value"],
    "objectList": [{"name": "a", "id": 1}, {"name": "b", "id": 2}],
    "SomeObject": None,
    "cluster.name": "c",
    "ThisFlag": True,
}
# "JSON object" of the compound-expression section.
COMPOUND_EVENT = {
    "user": {"id": 1, "email": "John.Stiles@example.com"},
    "users": [{"id": 2, "email": "John.Doe@example.com"}, {"id": 3, "email": "Jane.Doe@example.com"}],
    "actions": ["GET", "PUT", "DELETE"],
    "coordinates": [[0, 1, 2], [4, 5, 6], [7, 8, 9]],
}
UNSTRUCTURED = [
    "[ERROR 400] BAD REQUEST",
    "[ERROR 401] UNAUTHORIZED REQUEST",
    "[ERROR 419] MISSING ARGUMENTS",
    "[ERROR 420] INVALID ARGUMENTS",
    "[ERROR 500] INTERNAL SERVER ERROR",
]
APACHE = '127.0.0.1 Prod frank [10/Oct/2000:13:25:15 -0700] "GET /index.html HTTP/1.0" 404 1534'
ORDERED = [
    "INFO 09/25/2014 12:00:00 GET /service/resource/67 1200",
    "INFO 09/25/2014 12:00:01 POST /service/resource/67/part/111 1310",
    "WARNING 09/25/2014 12:00:02 Invalid user request",
    "ERROR 09/25/2014 12:00:02 Failed to process request",
]

JSON_CASES = [
    # (pattern, event, documented outcome)
    ('{ $.eventType = "UpdateTrail" }', JSON_EVENT, True),
    ("{ $.sourceIPAddress != 123.123.* }", JSON_EVENT, True),
    ('{ $.arrayKey[0] = "value" }', JSON_EVENT, True),
    ("{ $.eventType = %Trail% }", JSON_EVENT, True),
    ("{ $.arrayKey[*] = %val.{2}% }", JSON_EVENT, True),
    (r"{ $.* = %111\.111\.111\.1[0-9]{1,2}% }", JSON_EVENT, True),
    ("{ $.['cluster.name'] = \"c\" }", JSON_EVENT, True),
    ("{ $.SomeObject IS NULL }", JSON_EVENT, True),
    ("{ $.SomeOtherObject NOT EXISTS }", JSON_EVENT, True),
    ("{ $.objectList[1].id = 2 }", JSON_EVENT, True),  # 2023 page
    ("{ $.ThisFlag IS TRUE }", JSON_EVENT, True),  # 2023 page
    ('{ $.eventType = "*" && $.sourceIPAddress != 123.123.* }', JSON_EVENT, True),  # 2023 page, dimensions
    ('{ ($.user.id = 1) && ($.users[0].email = "John.Doe@example.com") }', COMPOUND_EVENT, True),
    (
        '{ $.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = "nonmatch" && $.actions[2] = "nonmatch" }',
        COMPOUND_EVENT,
        True,
    ),
    (
        '{ ($.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = "nonmatch") && $.actions[2] = "nonmatch" }',
        COMPOUND_EVENT,
        False,
    ),
    ('{ ($.user.id = 2 && $.users[0].email = "nonmatch") || $.actions[2] = "GET" }', COMPOUND_EVENT, False),
    # 2023 page, "JSON Special Considerations": a selector on an array matches neither = nor !=.
    ("{ $.users = 1 }", {"users": [1, 2, 3]}, False),
    ("{ $.users != 1 }", {"users": [1, 2, 3]}, False),
    # 2023 page, "Using values in log events to increment a metric's value".
    ("{ $.latency = * }", {"latency": 50, "requestType": "GET"}, True),
]

# Syntax examples the page gives without an event; the outcome follows from the operator on the stated event.
NUMERIC_CASES = [
    ("{ $.bandwidth > 75 }", {"bandwidth": 80}, True),
    ("{ $.latency < 50 }", {"latency": 50}, False),
    ("{ $.refreshRate >= 60 }", {"refreshRate": 60}, True),
    ("{ $.responseTime <= 5 }", {"responseTime": 6}, False),
    ("{ $.errorCode = 400}", {"errorCode": 400}, True),
    ("{ $.errorCode != 500 }", {"errorCode": 400}, True),
    ("{ $.number[0] = 1e+3 }", {"number": [1000]}, True),
    ("{ $.number[0] != 1e-3 }", {"number": [0.001]}, False),
    ("{ $.latency > +1000 }", {"latency": 1001}, True),  # older page
    ("{ $.processes[4].averageRuntime <= 55.5 }", {"processes": [{}, {}, {}, {}, {"averageRuntime": 55.5}]}, True),
]

TERM_CASES = [
    # (pattern, log events it returns, log events it does not return)
    ("ERROR", UNSTRUCTURED[:4], []),
    ("ERROR ARGUMENTS", UNSTRUCTURED[2:4], UNSTRUCTURED[:2]),
    ("?ERROR ?ARGUMENTS", UNSTRUCTURED[:4], []),
    # "all question mark terms will be ignored": REQUEST alone decides.
    (
        "?ERROR ?ARGUMENTS REQUEST",
        ["[INFO] REQUEST FAILED", "[WARN] UNAUTHORIZED REQUEST", "[ERROR] 400 BAD REQUEST"],
        ["[ERROR 419] MISSING ARGUMENTS"],
    ),
    ('"INTERNAL SERVER ERROR"', ["[ERROR 500] INTERNAL SERVER ERROR"], ["[ERROR 400] BAD REQUEST"]),
    ("ERROR -ARGUMENTS", UNSTRUCTURED[:2], UNSTRUCTURED[2:4]),
    ('" "', UNSTRUCTURED, []),
    (
        "%AUTHORIZED%",
        ["[ERROR 401] UNAUTHORIZED REQUEST", "[SUCCESS 200] AUTHORIZED REQUEST"],
        ["[ERROR 400] BAD REQUEST"],
    ),
    # 2022 page: "ERROR" matches "Exiting with ERRORCODE: -1" (terms are substrings, case sensitive).
    ("ERROR", ["Exiting with ERRORCODE: -1"], ["error: lower case"]),
]

# "Usage of supported operators": each regex with the strings the page says it matches (and one it rules out).
REGEX_CASES = [
    ("%^[hc]at%", ["hat", "cat"], ["that"]),
    ("%[hc]at$%", ["hat", "cat"], ["hats"]),
    ("%colou?r%", ["color", "colour"], ["colr"]),
    ("%[abc]%", ["a", "b", "c"], ["d"]),
    ("%[a-z]%", ["q"], ["Q"]),
    ("%[abcx-z]%", ["a", "b", "c", "x", "y", "z"], ["d"]),
    ("%a{3,5}%", ["aaa", "aaaa", "aaaaa"], ["aa"]),
    ("%gra|ey%", ["gray", "grey"], ["gry"]),
    (
        "%^starting|^initializing|^shutting down%",
        ["starting up", "initializing db", "shutting down"],
        ["skipping initializing x"],
    ),
    # The page prints "%abcc|ab[^c]$" without its closing % (a typo); its outcomes are for the closed pattern.
    ("%abcc|ab[^c]$%", ["abcc xyz", "aba"], ["aac"]),
    (r"%\[.\]%", ["[a]", "[b]", "[7]", "[@]", "[]]", "[ ]"], ["[ab]"]),
    (r"%10\.10\.0\.1%", ["10.10.0.1"], ["10010,051"]),
    ("%10.10.0.1%", ["10010,051"], []),
    ("%ab*c%", ["ac", "abc", "abbbc"], ["ab"]),
    ("%ab[0-9]*%", ["ab", "ab0", "ab129"], ["a"]),
    ("%ab+c%", ["abc", "abbc", "abbbc"], ["ac"]),
    ("%.at%", ["hat", "cat", "bat", "4at", "#at", " at"], ["at"]),
    (r"%\d%", ["a1"], ["ab"]),
    (r"%\D%", ["1a"], ["12"]),
    (r"%\s%", ["a b"], ["ab"]),
    (r"%\S%", ["a"], ["   "]),
    (r"%\w%", ["#a"], ["#@"]),
    (r"%\W%", ["a#"], ["ab"]),
    (r"%\x3A%", ["a:b"], ["ab"]),
    (r"%\x28%", ["f(x)"], ["fx"]),
]

DELIMITED_CASES = [
    (r"[ip=%127\.0\.0\.[1-9]%, user, username, timestamp, request =*.html*, status_code = 4*, bytes]", [APACHE], []),
    ("[..., request =*.html*, status_code = 4*, bytes]", [APACHE], []),
    ("[ip, user, username, timestamp, request =*.html*, status_code = 404 || status_code = 410, bytes]", [APACHE], []),
    ("[ip, server, username, timestamp, request, status_code, bytes > 1000]", [APACHE], []),  # 2023 page
    ("[w1=ERROR, w2]", [ORDERED[3]], ORDERED[:3]),
    ("[w1=ERROR || w1=WARNING, w2]", ORDERED[2:], ORDERED[:2]),
    ("[w1!=ERROR && w1!=WARNING, w2]", ORDERED[:2], ORDERED[2:]),
    ("[logLevel, date, time, method, url=%/service/resource/[0-9]+$%, response_time]", [ORDERED[0]], ORDERED[1:]),
    (
        "[logLevel, date, time, method, url=%/service/resource/[0-9]+/part/[0-9]+$%, response_time]",
        [ORDERED[1]],
        [ORDERED[0], *ORDERED[2:]],
    ),
]


@pytest.mark.parametrize(("pattern", "event", "expected"), JSON_CASES + NUMERIC_CASES)
def test_json_examples(pattern, event, expected):
    compiled = compile_pattern(pattern)
    assert compiled.form == "json"
    assert compiled.matches(event) is expected
    # The same record as the one-line message CloudWatch Logs receives gives the same answer.
    assert compiled.matches(json.dumps(event)) is expected


@pytest.mark.parametrize(("pattern", "returned", "not_returned"), TERM_CASES + REGEX_CASES + DELIMITED_CASES)
def test_text_examples(pattern, returned, not_returned):
    compiled = compile_pattern(pattern)
    assert [m for m in returned if not compiled.matches(m)] == []
    assert [m for m in not_returned if compiled.matches(m)] == []


def test_extracted_fields_are_the_documented_ones():
    # "Extracted fields and values": brackets and quotes delimit one field and are not part of it.
    assert split_line(APACHE) == [
        "127.0.0.1",
        "Prod",
        "frank",
        "10/Oct/2000:13:25:15 -0700",
        "GET /index.html HTTP/1.0",
        "404",
        "1534",
    ]


def test_conformance_table_size():
    cases = JSON_CASES + NUMERIC_CASES + TERM_CASES + REGEX_CASES + DELIMITED_CASES
    assert len(cases) == 72


@pytest.mark.parametrize(
    ("pattern", "position", "reason"),
    [
        ("%something!%", 10, "'!' is not supported"),  # the page: "%something!% would be rejected"
        ("{ $.a = %(x)% }", 9, "parentheses are not supported"),
        ("{ $.SomeObject IS NOT NULL }", 18, "expected NULL, TRUE or FALSE after IS"),  # "IS NOT ... aren't supported"
        ("{ $.SomeObject EXISTS }", 2, "expected an operator"),  # "EXISTS currently isn't supported"
        ('{ ($.a = "x" }', 13, "expected ')'"),
        ('{ $.a = "x }', 8, "unterminated quoted string"),
        ("{ $.a = }", 8, "expected a value"),
        ("{ $.a > abc }", 2, "needs a number"),
        ("{ a = 1 }", 2, "starting with '$'"),
        ("{ $.a[*].b[*] = 1 }", 13, "one wildcard selector"),
        ("{ $.a = %x% && $.b = %y% && $.c = %z% }", 34, "at most 2 %regex%"),
        ("{ $.a = 1 ", 10, "must end with '}'"),
        ("[a, , b]", 3, "empty field"),
    ],
)
def test_unparseable_patterns_name_position_and_reason(pattern, position, reason):
    with pytest.raises(FilterPatternError) as caught:
        compile_pattern(pattern)
    assert caught.value.pattern == pattern
    assert caught.value.position == position
    assert reason in caught.value.reason
    assert str(caught.value).startswith(f"filter pattern {pattern!r}: ")


def test_not_equal_on_a_missing_property_does_not_match():
    # DataBiosphere/azul#5884: tested in the console, `$.userIdentity.invokedBy != "x"` is false without invokedBy.
    pattern = compile_pattern(
        '{($.errorCode = "AccessDenied") && ($.userIdentity.invokedBy != "cloudfront.amazonaws.com")}'
    )
    assert pattern.matches({"errorCode": "AccessDenied", "userIdentity": {"accountId": "anonymous"}}) is False
    assert pattern.matches({"errorCode": "AccessDenied", "userIdentity": {"invokedBy": "a.amazonaws.com"}}) is True


def test_quoted_values_keep_their_wildcards():
    # Prowler #1914: `"*UnauthorizedOperation"` and `"AccessDenied*"` are wildcards inside quotes too.
    pattern = compile_pattern('{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }')
    assert pattern.matches({"errorCode": "Client.UnauthorizedOperation"})
    assert pattern.matches({"errorCode": "AccessDeniedException"})
    assert not pattern.matches({"errorCode": "NoSuchKey"})


def test_equality_sets_match_like_the_clauses_they_replace():
    # An OR of exact equalities compiles to one set lookup; numbers and wildcards keep their own tests.
    pattern = compile_pattern('{ ($.eventName = "A") || ($.eventName = B) || ($.eventName = "C*") || ($.code = 7) }')
    assert [pattern.matches(e) for e in ({"eventName": "A"}, {"eventName": "B"}, {"eventName": "Cx"})] == [True] * 3
    assert [pattern.matches(e) for e in ({"eventName": "D"}, {"eventName": ["A"]}, {"code": 7.0})] == [
        False,
        False,
        True,
    ]
    assert not pattern.matches({"eventName": 5})
    quoted_numbers = compile_pattern('{ ($.code = "400") || ($.code = "401") }')
    assert quoted_numbers.matches({"code": 400}) == compile_pattern('{ $.code = "400" }').matches({"code": 400}) is True


def test_booleans_and_null_are_not_value_nodes():
    assert not compile_pattern("{ $.readOnly = true }").matches({"readOnly": True})
    assert not compile_pattern('{ $.x != "a" }').matches({"x": None})
    assert compile_pattern("{ $.readOnly IS FALSE }").matches({"readOnly": False})


def test_a_json_pattern_never_matches_a_message_that_is_not_json():
    assert compile_pattern("{ $.a NOT EXISTS }").matches("plain text line") is False

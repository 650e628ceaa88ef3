"""Report formats over one report: JSON shape, SARIF 2.1.0 for GitHub, JUnit, Markdown, HTML, baseline."""

import json
from xml.etree import ElementTree as ET

import pytest
from sarif_pydantic import Sarif

from auditkit.auditors.findings import Finding, Report, Status, load_findings
from auditkit.auditors.reports import FORMATS

ACCT = "123456789012"


def finding(control, status, resource, message="m"):
    return Finding(control, Status(status), resource, ACCT, "us-east-1", message)


@pytest.fixture
def report():
    r = Report(
        [
            finding("aws.trail.logging", "FAIL", "arn:aws:cloudtrail:us-east-1:1:trail/t", "trail t is not logging"),
            finding("aws.trail.s3_data_events", "FAIL", "arn:aws:s3:::phi-a", "phi-a: S3 object reads not recorded"),
            finding("aws.trail.s3_data_events", "PASS", "arn:aws:s3:::phi-b", "recorded"),
            finding(
                "aws.bucket.object_lock",
                "ERROR",
                "arn:aws:s3:::archive",
                "could not read GetObjectLockConfiguration: AccessDenied",
            ),
            finding("aws.trail.dynamodb_data_events", "FAIL", f"arn:aws:iam::{ACCT}:root", "DynamoDB not recorded"),
        ]
    )
    r.scanned = {"accounts": 1, "regions": 2, "api_calls": 14, "seconds": 0.1, "required_retention": "6 years"}
    return r


def test_json_shape_and_exit_codes(report):
    doc = json.loads(FORMATS["json"](report, ""))
    assert set(doc) == {"tool", "findings", "summary"}  # not stamped: the tool and version, still
    first = doc["findings"][0]
    assert {"control", "status", "resource", "account", "region", "message", "citations"} <= set(first)
    assert first["status"] == "ERROR"  # errors first
    assert doc["summary"]["PASS"] == 1 and doc["summary"]["FAIL"] == 3 and doc["summary"]["ERROR"] == 1
    assert doc["summary"]["failing_controls"] == [
        "aws.bucket.object_lock",
        "aws.trail.dynamodb_data_events",
        "aws.trail.logging",
        "aws.trail.s3_data_events",
    ]
    assert report.exit_code() == 2
    assert Report([f for f in report.findings if f.status is not Status.ERROR]).exit_code() == 1
    assert Report([f for f in report.findings if f.status is Status.PASS]).exit_code() == 0


def test_sarif_is_valid_2_1_0_and_meets_githubs_upload_rules(report):
    doc = json.loads(FORMATS["sarif"](report, "stacks/Pulumi.demo.yaml"))
    Sarif.model_validate(doc)
    assert doc["version"] == "2.1.0"
    run = doc["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [
        "aws.bucket.object_lock",
        "aws.trail.dynamodb_data_events",
        "aws.trail.logging",
        "aws.trail.s3_data_events",
    ]
    assert rules[0]["properties"]["security-severity"] == "9.5"
    assert "45 CFR 164.312(c)(1)" in rules[0]["help"]["text"]
    results = run["results"]
    assert len(results) == 4  # gaps only; passing checks are not alerts
    for res in results:
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
        assert res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "stacks/Pulumi.demo.yaml"
        assert res["locations"][0]["physicalLocation"]["region"]["startLine"] >= 1
        assert len(res["partialFingerprints"]["auditkitFinding/v1"]) == 32
    levels = {r["ruleId"]: r["level"] for r in results}
    assert levels["aws.trail.dynamodb_data_events"] == "warning"  # advisory control
    assert levels["aws.trail.logging"] == "error"
    lock = next(r for r in results if r["ruleId"] == "aws.bucket.object_lock")
    assert lock["message"]["text"].startswith("Could not judge: arn:aws:s3:::archive")


def test_junit_one_testcase_per_control_and_resource(report):
    root = ET.fromstring(FORMATS["junit"](report, "").split("?>", 1)[1])
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("5", "3", "1")
    cases = root.findall(".//testcase")
    assert len(cases) == 5
    s3 = [c for c in cases if c.get("classname") == "aws.trail.s3_data_events"]
    assert sorted(c.get("name") for c in s3) == [
        "arn:aws:s3:::phi-a (123456789012 us-east-1)",
        "arn:aws:s3:::phi-b (123456789012 us-east-1)",
    ]
    failing = next(c for c in s3 if c.find("failure") is not None)
    assert "HIPAA 45 CFR 164.312(b)" in failing.find("failure").text
    assert root.find(".//testcase[@classname='aws.bucket.object_lock']/error") is not None


def test_markdown_and_html_name_every_gap_with_citations(report):
    md = FORMATS["markdown"](report, "")
    assert "**3 gaps, 1 could not be judged, 1 passing**" in md
    assert "| FAIL | high | `aws.trail.s3_data_events` | `arn:aws:s3:::phi-a` |" in md
    assert "HIPAA 45 CFR 164.312(b)" in md
    page = FORMATS["html"](report, "")
    assert (
        page.startswith("<!doctype html>")
        and page.count("<tr class='FAIL'>") == 3
        and page.count("<tr class='ERROR'>") == 1
    )


def test_baseline_marks_new_open_and_resolved(report):
    previous = [
        finding("aws.trail.logging", "FAIL", "arn:aws:cloudtrail:us-east-1:1:trail/t"),
        finding("aws.bucket.lifecycle", "FAIL", "arn:aws:s3:::archive"),
    ]
    report.compare(previous)
    assert (
        report.baseline_state[("aws.trail.logging", "arn:aws:cloudtrail:us-east-1:1:trail/t", ACCT, "us-east-1")]
        == "open"
    )
    # A bucket's ARN names no region: its key has none, whatever region the finding carries (findings.subject_key).
    assert report.baseline_state[("aws.trail.s3_data_events", "arn:aws:s3:::phi-a", ACCT, "")] == "new"
    assert [f.control for f in report.resolved] == ["aws.bucket.lifecycle"]
    doc = report.as_json()
    assert doc["summary"]["baseline"] == {"new": 3, "open": 1, "resolved": 1}
    assert doc["resolved"][0]["baseline"] == "resolved"
    assert "FAIL (open)" in FORMATS["table"](report, "")


def test_fail_on_new_ignores_known_gaps():
    known = finding("aws.trail.logging", "FAIL", "t")
    r = Report([known])
    r.compare([known])
    assert (r.exit_code("any"), r.exit_code("new")) == (1, 0)


def test_json_round_trips_as_a_baseline(report):
    again = load_findings(json.loads(FORMATS["json"](report, "")))
    assert sorted(f.key for f in again) == sorted(f.key for f in report.findings)
    with pytest.raises(ValueError, match="not an auditkit JSON report"):
        load_findings({"results": []})


def test_findings_in_different_regions_have_different_keys_and_fingerprints():
    a = Finding("aws.trail.multi_region", Status.ERROR, "arn:aws:cloudtrail:*", "1", "us-east-1", "x")
    b = Finding("aws.trail.multi_region", Status.ERROR, "arn:aws:cloudtrail:*", "1", "us-west-2", "x")
    sarif = json.loads(FORMATS["sarif"](Report([a, b]), ""))
    prints = {r["partialFingerprints"]["auditkitFinding/v1"] for r in sarif["runs"][0]["results"]}
    assert a.key != b.key and len(prints) == 2


def test_junit_survives_control_characters_in_cloud_messages():
    f = Finding("aws.trail.logging", Status.ERROR, "t", "1", "r", "bad \x1b[31m byte \x00 here")
    ET.fromstring(FORMATS["junit"](Report([f]), "").split("?>", 1)[1])

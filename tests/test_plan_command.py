import json

from auditkit.auditors.cli import main


def test_plan_demo_table_lists_aws_resources_with_control_ids(capsys):
    assert main(["plan", "--stack", "demo"]) == 0
    out = capsys.readouterr()
    for needle in (
        "audit-trail-trail",
        "aws.cloudtrail.Trail",
        "audit-archive-object-lock",
        "COMPLIANCE 7y",
        "expire@2557d",
        "aws.trail.s3_data_events",
        "aws.bucket.object_lock",
    ):
        assert needle in out.out, needle
    assert "0 gaps" in out.err


def test_plan_demo_json_shape(capsys):
    assert main(["plan", "--stack", "demo", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["retention"] == "7 years (2557 days) per 22 CCR 72543"
    assert doc["gaps"] == []
    assert all(set(r) == {"type", "name", "component", "inputs", "controls"} for r in doc["resources"])
    by_name = {r["name"]: r for r in doc["resources"]}
    assert by_name["audit-trail-trail"]["component"] == "audit-trail"
    assert by_name["audit-trail-trail"]["controls"] == [
        "aws.trail.cloudwatch",
        "aws.trail.dynamodb_data_events",
        "aws.trail.kms",
        "aws.trail.lambda_data_events",
        "aws.trail.log_validation",
        "aws.trail.logging",
        "aws.trail.multi_region",
        "aws.trail.s3_data_events",
    ]
    assert by_name["audit-archive-object-lock"]["inputs"]["rule"] == {
        "defaultRetention": {"mode": "COMPLIANCE", "years": 7}
    }
    assert by_name["audit-archive"]["controls"] == [
        "aws.bucket.hardening",
        "aws.bucket.lifecycle",
        "aws.bucket.object_lock",
    ]


def test_every_shipped_stack_plans_without_mandatory_gaps(capsys):
    for stack in ("demo", "production"):
        assert main(["plan", "--stack", stack, "--format", "json"]) == 0, stack
        doc = json.loads(capsys.readouterr().out)
        assert doc["gaps"] == [], stack
    # phi-buckets turns DynamoDB data events off on purpose: an advisory gap, reported as such.
    assert main(["plan", "--stack", "phi-buckets", "--format", "json"]) == 0
    out = capsys.readouterr()
    assert [g["control"] for g in json.loads(out.out)["gaps"]] == ["aws.trail.dynamodb_data_events"]
    assert "GAP (ADVISORY) aws.trail.dynamodb_data_events" in out.err
    assert main(["plan", "--stack", "production", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    lock = next(r for r in doc["resources"] if r["name"] == "audit-archive-object-lock")
    assert lock["inputs"]["rule"]["defaultRetention"]["years"] == 21

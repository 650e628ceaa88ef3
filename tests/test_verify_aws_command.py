"""`auditkit verify aws` as a command, on the forged deliveries of test_verify_aws.py (moto server and
CloudTrail stub): its checkpoint reads only new hours and still checks the head; exit codes 0 verified,
1 tampered, 2 unreadable (no public keys is ERROR, never an unknown key); bad input refused before any
cloud call; every call it makes is in its shipped statement (auditors/aws/scan-policy.json); the scheduled
workflow (.github/workflows/drift-scan.yml) verifies with a checkpoint; runs join the history chain.
"""

# The forged world's fixtures come from test_verify_aws.py: pytest finds them here by name.
# ruff: noqa: F811

from __future__ import annotations

import json

import pytest

from auditkit.auditors.aws.clients import CallLog
from auditkit.auditors.aws.verify.layout import Window
from auditkit.auditors.aws.verify.run import VerifyOptions, verify_aws
from auditkit.auditors.demo.emulator_digests import EPOCH, HOUR
from tests.test_verify_aws import (  # noqa: F401
    ACCOUNT,
    BUCKET,
    HOURS,
    REGIONS,
    TRAIL,
    WINDOW,
    assert_intact,
    delivered_until,
    digest,
    failures,
    keys,
    log,
    stub,
    verify,
    world,
)


def test_no_public_keys_is_an_error_never_an_unknown_key(world, stub):
    stub.denied.add("ListPublicKeys")
    report = verify()
    assert failures(report) == {}
    assert report.counts()["ERROR"] == HOURS * len(REGIONS) and report.exit_code() == 2
    assert all("ListPublicKeys" in f.message and "AccessDenied" in f.message for f in report.findings)


def test_checkpoint_reads_only_new_hours_and_still_checks_the_head(world, stub, tmp_path, boto_session):
    cp = str(tmp_path / "verify-checkpoint.json")
    assert_intact(verify(checkpoint=cp))
    state = json.loads((tmp_path / "verify-checkpoint.json").read_text())
    head = state["chains"][f"s3://{BUCKET}/||{ACCOUNT}|us-east-1|{TRAIL}"]["head"]
    assert head["key"] == digest(world, HOURS - 1) and head["end"] == "2026-11-02T05:00:31Z"
    world.hours(REGIONS, EPOCH + HOUR * HOURS, 2)
    delivered_until(stub, EPOCH + HOUR * (HOURS + 1))
    later = Window(WINDOW.start, WINDOW.end + HOUR * 2)
    calls = CallLog()
    report = verify_aws(VerifyOptions(later, regions=REGIONS, checkpoint=cp), calls)
    assert_intact(report, digests=2 * len(REGIONS))
    # 2 new digests + the re-read head, and 2 x 2 new log files, per region: nothing older is fetched.
    assert calls.counts["s3:GetObject"] == len(REGIONS) * (3 + 4)
    boto_session.client("s3").delete_object(Bucket=BUCKET, Key=digest(world, HOURS + 1, "us-west-2"))
    msg = failures(verify_aws(VerifyOptions(later, regions=REGIONS, checkpoint=cp)))
    assert list(msg) == [f"s3://{BUCKET}/{digest(world, HOURS + 1, 'us-west-2')}"]
    assert "deleted after it was verified" in next(iter(msg.values()))


def _cli(tmp_path, *extra: str) -> tuple[int, dict]:
    from auditkit.auditors.cli import main

    out = tmp_path / "verify.json"
    regions = [a for r in REGIONS for a in ("--region", r)]
    window = ["--start", "2026-11-01T23:30:00Z", "--end", "2026-11-02T05:10:00Z"]
    code = main(["verify", "aws", *regions, *window, "--format", "json", "--output", str(out), *extra])
    return code, json.loads(out.read_text())


def test_cli_exit_codes_0_verified_1_tampered_2_unreadable(world, stub, tmp_path, boto_session):
    code, doc = _cli(tmp_path, "--trail", TRAIL)
    assert code == 0 and doc["summary"]["PASS"] == 2 and doc["summary"]["digests"] == 12
    assert {f["control"] for f in doc["findings"]} == {"aws.trail.integrity"}
    assert doc["findings"][0]["citations"]["hipaa"] == [
        "45 CFR 164.312(c)(1)",
        "45 CFR 164.312(c)(2)",
        "45 CFR 164.312(b)",
    ]
    boto_session.client("s3").delete_object(Bucket=BUCKET, Key=log(world, 1))
    code, doc = _cli(tmp_path)
    assert code == 1 and [f["resource"] for f in doc["findings"] if f["status"] == "FAIL"] == [
        f"s3://{BUCKET}/{log(world, 1)}"
    ]
    stub.denied.add("GetTrailStatus")
    code, doc = _cli(tmp_path)
    assert code == 2 and any(f["status"] == "ERROR" and "GetTrailStatus" in f["message"] for f in doc["findings"])


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["--start", "yesterday"], "--start"),
        (["--start", "2026-11-02", "--end", "2026-11-01"], "--start"),
        (["--timeout", "0"], "--timeout"),
    ],
)
def test_bad_input_is_refused_before_any_cloud_call(stub, args, field, capsys, tmp_path):
    from auditkit.auditors.cli import main

    assert main(["verify", "aws", *args]) == 2
    assert f"error: {field}=" in capsys.readouterr().err
    assert stub.seen == []


def test_a_checkpoint_that_is_not_one_is_refused(stub, tmp_path, capsys):
    from auditkit.auditors.cli import main

    bad = tmp_path / "cp.json"
    bad.write_text('{"findings": []}')
    assert main(["verify", "aws", "--checkpoint", str(bad)]) == 2
    assert "--checkpoint=" in capsys.readouterr().err and stub.seen == []


@pytest.mark.slow  # seconds a case: `make test-slow` runs it (CI runs both)
def test_every_call_of_verify_is_in_its_shipped_statement_and_nothing_more(world, stub, boto_session):
    """auditors/aws/scan-policy.json, statement AuditKitVerifyLogIntegrityReadOnly: exactly what verify calls."""
    from auditkit.auditors.aws.permissions import iam_action, statement_actions

    boto_session.client("organizations").create_organization(FeatureSet="ALL")
    boto_session.client("s3").delete_object(Bucket=BUCKET, Key=log(world, 1))  # -> ListObjectVersions
    used: set[str] = set()
    for options in ({}, {"regions": REGIONS, "organization": True}):
        calls = CallLog()
        verify_aws(VerifyOptions(Window(EPOCH, EPOCH + HOUR), **options), calls)  # {}: DescribeRegions
        used |= {iam_action(*key.split(":")) for key in calls.counts}
        boto_session.client("cloudtrail").update_trail(Name=TRAIL, IsOrganizationTrail=True)
    assert used == statement_actions("AuditKitVerifyLogIntegrityReadOnly")


def test_scheduled_workflow_verifies_the_last_day_with_a_checkpoint():
    import shlex
    from pathlib import Path

    import yaml

    from auditkit.auditors.cli import build_parser

    wf = yaml.safe_load(Path(".github/workflows/drift-scan.yml").read_text())
    steps = wf["jobs"]["scan"]["steps"]
    script = next(s["run"] for s in steps if s.get("id") == "verify")
    line = next(ln for ln in script.splitlines() if ln.strip().startswith("args=("))
    args = build_parser().parse_args(shlex.split(line.split("=(", 1)[1].rstrip(")")))
    assert (args.cloud, args.checkpoint, args.start, args.end) == ("aws", "verify-state/checkpoint.json", None, None)
    assert (args.command, args.func.__module__) == ("verify", "auditkit.auditors.verify_command")
    cached = [s for s in steps if "actions/cache" in s.get("uses", "") and s["with"]["path"] == "verify-state"]
    assert [s["uses"].split("@")[0] for s in cached] == ["actions/cache/restore", "actions/cache/save"]


def test_verify_runs_join_the_history_chain(world, stub, tmp_path):
    """`verify aws --history DIR` appends each run's JSON report, linked by SHA-256 to the one before."""
    import hashlib

    history = tmp_path / "history"
    for _ in range(2):
        code, _doc = _cli(tmp_path, "--trail", TRAIL, "--history", str(history))
        assert code == 0
    links = sorted(history.rglob("*.json"))
    assert len(links) == 2 and all("verify" in p.name for p in links)
    first, second = (json.loads(p.read_text()) for p in links)
    assert first["history"]["previous"] is None
    assert second["history"]["previous"]["sha256"] == hashlib.sha256(links[0].read_bytes()).hexdigest()
    assert second["command"] == "verify aws"

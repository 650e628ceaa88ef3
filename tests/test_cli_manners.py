"""The smaller traps of issue 23 (items 10 and 11): how the CLI answers a mistyped, meaningless or
cut-short command, what it prints, and what `plan --check` judges."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from auditkit.auditors.cli import main
from auditkit.auditors.findings import Finding, Report, Status

REPO = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "PYTHONPATH": str(REPO)}


def auditkit(*argv: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "auditkit", *argv],
        cwd=cwd,
        env={**ENV, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["scna", "aws"], "invalid choice: 'scna'"),
        (["scan", "asw"], "invalid choice: 'asw'"),
        (["scan", "aws", "--format", "jsno"], "invalid choice: 'jsno'"),
        (["scan", "aws", "--regoin", "us-east-1"], "unrecognized arguments: --regoin (did you mean --region?)"),
        (["plan", "--stack", "demo", "--chek"], "unrecognized arguments: --chek (did you mean --check?)"),
        (["verify", "aws", "--trial=x"], "unrecognized arguments: --trial=x (did you mean --trail?)"),
    ],
)
def test_a_mistyped_command_or_flag_gets_the_nearest_name(argv, said, capsys):
    with pytest.raises(SystemExit) as exit:
        main(argv)
    err = capsys.readouterr().err
    assert exit.value.code == 2
    assert said in err
    nearest = {"scna": "'scan'", "asw": "'aws'", "jsno": "'json'"}
    for typo, name in nearest.items():
        if typo in argv:
            assert f"did you mean {name}?" in err


@pytest.mark.parametrize(
    "argv",
    [
        ["scan", "aws", "--region", "us-east-1"],
        ["scan", "all", "--stack", "production"],
        ["scan", "gcp", "--project", "acme-prod"],
        ["verify", "aws", "--region", "us-east-1"],
    ],
)
@pytest.mark.parametrize("seconds", ["0", "-5", "nan"])
def test_a_timeout_no_call_can_meet_is_refused_before_any_call(argv, seconds, capsys):
    assert main([*argv, "--timeout", seconds]) == 2
    assert f"error: --timeout={float(seconds)!r} is not allowed: allowed: a number of seconds greater than 0" in (
        capsys.readouterr().err
    )


def test_verify_checks_regions_up_front_like_scan(capsys):
    assert main(["verify", "aws", "--region", "us-esat-1"]) == 2
    err = capsys.readouterr().err
    assert "error: --region='us-esat-1' is not allowed: allowed: did you mean " in err and "us-east-1" in err


def test_fail_on_new_without_a_baseline_is_refused(capsys):
    assert main(["scan", "aws", "--region", "us-east-1", "--fail-on", "new"]) == 2
    assert (
        "error: --fail-on='new' is not allowed: no baseline to tell new gaps from known ones; "
        "allowed: use together with --baseline PREVIOUS.json"
    ) in capsys.readouterr().err


@pytest.mark.slow
def test_a_reader_that_stops_early_ends_the_output_quietly(tmp_path):
    """`auditkit plan --format json | head -1`: the reader is gone before the report is written."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "auditkit", "plan", "--stack", "demo", "--stacks-dir", str(REPO / "stacks")]
        + ["--format", "json"],
        cwd=tmp_path,
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    proc.stdout.close()
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err  # as the plan says, not 2
    assert "BrokenPipe" not in err and "Traceback" not in err and "Exception ignored" not in err
    # The plan's own summary, as it says it when nobody closes the pipe.
    whole = subprocess.run(
        [sys.executable, "-m", "auditkit", "plan", "--stack", "demo", "--stacks-dir", str(REPO / "stacks")]
        + ["--format", "json"],
        cwd=tmp_path,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert re.fullmatch(r"\d+ resources; \d+ control checks pass, 0 gaps", whole.stderr.splitlines()[-1])
    assert err.splitlines()[-1] == whole.stderr.splitlines()[-1]


def test_the_summary_line_counts_in_words_and_leaves_out_what_was_not_counted():
    from auditkit.auditors.report_delivery import summary_line

    one = Report([Finding("aws.trail.kms", Status.FAIL, "trail", "1", "us-east-1", "not encrypted")])
    one.scanned = {"api_calls": 1, "seconds": 0.5}
    assert summary_line(one) == "1 gap, 0 could not be judged, 0 passing (1 API call, 0.5 s)"
    one.scanned = {"seconds": 0.5}  # a GCP scan does not count its calls
    assert summary_line(one) == "1 gap, 0 could not be judged, 0 passing (0.5 s)"


def test_a_gcp_scan_prints_no_python_version_warnings_and_no_unknown_call_count(tmp_path):
    out = auditkit(
        "scan", "gcp", "--project", "acme-prod", "--timeout", "2", cwd=tmp_path,
        GOOGLE_APPLICATION_CREDENTIALS=str(tmp_path / "missing.json"),
    )  # fmt: skip
    assert out.returncode == 2
    assert "FutureWarning" not in out.stderr
    assert re.fullmatch(r"auditkit: 0 gaps, 1 could not be judged, 0 passing \([0-9.]+ s\)\n", out.stderr)


def test_demo_without_its_extra_names_the_install(monkeypatch, capsys, tmp_path):
    monkeypatch.setitem(sys.modules, "moto", None)  # as if `pip install pulumi-auditkit` had no [demo]
    assert main(["demo", "--reports", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: `auditkit demo` needs its AWS emulator (moto), which is not installed")
    assert err.rstrip().endswith("pip install 'pulumi-auditkit[demo]'")


def test_a_key_given_twice_in_a_stack_file_is_refused_with_its_lines(tmp_path, capsys):
    stacks = tmp_path / "stacks"
    stacks.mkdir()
    path = stacks / "Pulumi.twice.yaml"
    path.write_text("config:\n  auditkit:aws:\n    hotDays: 60\n    hotDays: 90\n")
    assert main(["plan", "--stack", "twice", "--stacks-dir", str(stacks)]) == 2
    assert f"error: {path}='hotDays' is not allowed: a key given twice, at line 3 and line 4" in capsys.readouterr().err
    # A YAML merge overrides keys on purpose: not a repetition.
    path.write_text("x: &d {hotDays: 60}\nconfig:\n  auditkit:aws:\n    <<: *d\n    hotDays: 90\n")
    assert main(["plan", "--stack", "twice", "--stacks-dir", str(stacks), "--format", "json"]) == 0


EMPTY_EXPORT = {"version": 3, "deployment": {"manifest": {}, "resources": []}}


def test_an_export_without_resources_is_judged_as_aws_and_fails(tmp_path, capsys):
    """A pull request that deletes every audit resource: the gate must not pass "0 resources checked"."""
    state = tmp_path / "state.json"
    state.write_text(json.dumps(EMPTY_EXPORT))
    assert main(["plan", "--check", "--state", str(state), "--format", "json"]) == 1
    captured = capsys.readouterr()
    failing = {f["control"] for f in json.loads(captured.out)["findings"] if f["status"] == "FAIL"}
    assert {"aws.trail.multi_region", "aws.trail.s3_data_events"} <= failing
    assert f"note: {state} holds no provider resources and no --cloud was given: judging it as an AWS stack" in (
        captured.err
    )
    assert "auditkit: 0 resources checked for aws by " in captured.err


def test_plan_check_sarif_says_when_it_ran_and_whether_it_finished(capsys):
    assert main(["plan", "--check", "--stack", "demo", "--stacks-dir", str(REPO / "stacks"), "--format", "sarif"]) == 0
    [invocation] = json.loads(capsys.readouterr().out)["runs"][0]["invocations"]
    assert invocation["executionSuccessful"] is True
    for key in ("startTimeUtc", "endTimeUtc"):
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", invocation[key])


def test_the_policy_check_job_summary_is_markdown(tmp_path):
    """The workflow's own line, run as written: its table lands in $GITHUB_STEP_SUMMARY as Markdown."""
    workflow = yaml.safe_load((REPO / ".github" / "workflows" / "policy-check.yml").read_text())
    script = next(s["run"] for s in workflow["jobs"]["offline-check"]["steps"] if s.get("id") == "check")
    [line] = [ln.strip() for ln in script.splitlines() if "GITHUB_STEP_SUMMARY" in ln]
    line = line.replace("${{ matrix.stack }}", "production")
    summary = tmp_path / "step-summary.md"
    summary.write_text("")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "auditkit").write_text(f'#!/bin/sh\nexec "{sys.executable}" -m auditkit "$@"\n')
    (bin_dir / "auditkit").chmod(0o755)
    env = {**ENV, "GITHUB_STEP_SUMMARY": str(summary), "PATH": f"{bin_dir}:{os.environ['PATH']}"}
    (tmp_path / "stacks").symlink_to(REPO / "stacks")
    done = subprocess.run(["bash", "-c", line], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    text = summary.read_text()
    assert text.startswith("### auditkit plan --check: stack production\n")
    assert not re.search("[\u2500-\u257f]", text)  # no box drawing
    assert "No violations: every policy passes." in text or "| enforcement | control |" in text


def test_a_verify_report_is_titled_for_what_it_proves_and_counts_one_gap_as_one():
    from datetime import datetime, timezone

    from auditkit.auditors.reports import FORMATS

    report = Report([Finding("aws.trail.integrity", Status.FAIL, "s3://b/k", "1", "us-east-1", "altered")])
    report.stamp("verify aws", datetime(2026, 12, 1, tzinfo=timezone.utc), {"trails": ["t"]}, "not judged")
    markdown, page, table = (FORMATS[f](report, "") for f in ("markdown", "html", "table"))
    assert markdown.startswith("# AuditKit log integrity verification\n")
    assert "**1 gap, 0 could not be judged, 0 passing**" in markdown
    assert "<title>AuditKit log integrity verification</title>" in page
    assert "AuditKit log integrity verification — 1 gap," in " ".join(table.split())
    assert "drift scan" not in markdown + page + table
    report.stamp("scan aws", datetime(2026, 12, 1, tzinfo=timezone.utc), {}, "6 years")
    assert FORMATS["markdown"](report, "").startswith("# AuditKit drift scan\n")

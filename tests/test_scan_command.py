"""`auditkit scan aws` and `auditkit demo` as a user runs them."""

import json

import pytest

from auditkit.auditors.cli import main
from auditkit.policies.alerts.catalog import control_ids
from tests.aws_accounts import shipped_baseline


def test_scan_writes_json_and_exits_by_verdict(boto_session, tmp_path, capsys):
    shipped_baseline(boto_session)
    out = tmp_path / "scan.json"
    code = main(
        ["scan", "aws", "--region", "us-east-1", "--jurisdiction", "CA", "--format", "json", "--output", str(out)]
    )
    assert code == 0
    doc = json.loads(out.read_text())
    assert doc["summary"]["FAIL"] == 0 and doc["summary"]["PASS"] == 12 + len(control_ids("aws"))  # 18 alerts
    assert "0 gaps" in capsys.readouterr().err

    boto_session.client("cloudtrail").update_trail(Name="auditkit-test", EnableLogFileValidation=False)
    assert (
        main(
            [
                "scan",
                "aws",
                "--region",
                "us-east-1",
                "--jurisdiction",
                "CA",
                "--format",
                "sarif",
                "--baseline",
                str(out),
            ]
        )
        == 1
    )
    sarif = json.loads(capsys.readouterr().out)
    assert [r["ruleId"] for r in sarif["runs"][0]["results"]] == ["aws.trail.log_validation"]
    assert sarif["runs"][0]["results"][0]["properties"]["baseline"] == "new"
    # Known gaps only: --fail-on new passes when nothing new appeared since the baseline.
    second = tmp_path / "second.json"
    main(["scan", "aws", "--region", "us-east-1", "--jurisdiction", "CA", "--format", "json", "--output", str(second)])
    assert (
        main(
            [
                "scan",
                "aws",
                "--region",
                "us-east-1",
                "--jurisdiction",
                "CA",
                "--baseline",
                str(second),
                "--fail-on",
                "new",
            ]
        )
        == 0
    )


def test_retention_comes_from_the_stack(boto_session, capsys):
    shipped_baseline(boto_session)  # 7 years (CA)
    assert main(["scan", "aws", "--region", "us-east-1", "--stack", "production", "--format", "json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    lock = next(f for f in doc["findings"] if f["control"] == "aws.bucket.object_lock")
    assert (
        lock["message"]
        == "default retention 7 years < required 21 years (7671 days) per 8 NYCRR 29.2(a)(3) (minors: until age 21)"
    )


def test_bad_options_are_refused_before_any_call(capsys):
    assert main(["scan", "aws", "--jurisdiction", "FL"]) == 2
    assert "error: --jurisdiction='FL' is not allowed" in capsys.readouterr().err  # the flag, not a stack key
    assert main(["scan", "aws", "--scope-tag", "novalue"]) == 2
    assert "--scope-tag='novalue' is not allowed" in capsys.readouterr().err


@pytest.mark.slow
def test_demo_tells_the_whole_story(tmp_path, capsys):
    assert main(["demo", "--reports", str(tmp_path)]) == 0
    err = capsys.readouterr().err
    assert "drift showed exactly the injected gaps" in err
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == sorted(
        f"{stem}.{ext}"
        for stem in (
            "1-console-defaults",
            "2-shipped-baseline",
            "3-drift",
            "4-verify-intact-day",
            "5-verify-altered-log",
        )
        for ext in ("html", "sarif", "json", "md", "junit.xml")
    )
    intact = json.loads((tmp_path / "4-verify-intact-day.json").read_text())
    assert intact["summary"]["PASS"] == 2 and intact["summary"]["digests"] == 48 and intact["summary"]["FAIL"] == 0
    altered = json.loads((tmp_path / "5-verify-altered-log.json").read_text())
    [gap] = [f for f in altered["findings"] if f["status"] != "PASS"]
    assert gap["control"] == "aws.trail.integrity" and gap["message"].startswith("log file altered: SHA-256")
    drift = json.loads((tmp_path / "3-drift.json").read_text())
    assert sorted((f["control"], f["baseline"]) for f in drift["findings"] if f["status"] == "FAIL") == [
        ("aws.trail.log_validation", "new"),
        ("aws.trail.s3_data_events", "new"),
    ]
    clean = json.loads((tmp_path / "2-shipped-baseline.json").read_text())
    assert clean["summary"]["FAIL"] == 0 and clean["summary"]["ERROR"] == 0
    # the three steps as a hash-chained history, and the auditor's package built from it
    assert f"Evidence package: open {(tmp_path / 'evidence' / 'index.html').resolve()}" in err.replace("\n", "")
    assert len(list((tmp_path / "history").rglob("*.json"))) == 3
    manifest = json.loads((tmp_path / "evidence" / "manifest.json").read_text())
    assert manifest["histories"][0]["intact"] and manifest["histories"][0]["links"] == 3
    assert {"index.html", "assessment-results.json", "controls.csv"} <= set(manifest["files"])


def test_drift_workflow_runs_a_command_the_cli_accepts():
    import shlex
    from pathlib import Path

    import yaml

    from auditkit.auditors.cli import build_parser

    wf = yaml.safe_load(Path(".github/workflows/drift-scan.yml").read_text())
    steps = wf["jobs"]["scan"]["steps"]
    script = next(s["run"] for s in steps if s.get("id") == "scan")
    line = next(ln for ln in script.splitlines() if ln.strip().startswith("args=("))
    argv = shlex.split(line.split("=(", 1)[1].rstrip(")")) + ["--baseline", "baseline/scan.json", "--fail-on", "new"]
    history = next(ln for ln in script.splitlines() if "--history" in ln)
    argv += ["--history", "s3://acme-audit-archive/auditkit-history/aws"]
    args = build_parser().parse_args(argv)
    assert (args.cloud, args.stack, args.report_dir, args.fail_on) == ("aws", "production", "reports", "new")
    assert args.history == "s3://acme-audit-archive/auditkit-history/aws" and "AUDITKIT_HISTORY" in history
    assert wf["permissions"]["id-token"] == "write"
    assert any("upload-sarif" in s.get("uses", "") for s in steps)


def test_scan_all_merges_every_declared_cloud(boto_session, capsys, tmp_path, monkeypatch):
    """AWS against the emulator; GCP and Azure have no credentials here, so they must come back ERROR, merged."""
    shipped_baseline(boto_session)
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "missing.json"))
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path))
    monkeypatch.setenv("AZURE_CONFIG_DIR", str(tmp_path))
    for var in ("AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_CLIENT_SECRET", "IDENTITY_ENDPOINT", "MSI_ENDPOINT"):
        monkeypatch.delenv(var, raising=False)
    code = main(
        [
            "scan",
            "all",
            "--stack",
            "demo",
            "--region",
            "us-east-1",
            "--format",
            "json",
            "--arm-endpoint",
            "https://127.0.0.1:9",
        ]
    )
    assert code == 2
    doc = json.loads(capsys.readouterr().out)
    clouds = {f["control"].split(".")[0] for f in doc["findings"]}
    assert clouds == {"aws", "gcp", "azure"}
    assert {f["status"] for f in doc["findings"] if f["control"].startswith(("gcp.", "azure."))} == {"ERROR"}
    assert main(["scan", "all"]) == 2

"""The CrossGuard pack through `auditkit plan --check`, and the files it ships with.

The weakened state fixture (tests/fixtures/weakened-state.json, written by make_weakened_state.py) fails
exactly its weakenings, in JSON, SARIF and JUnit, alone or with its stack config (Pulumi.weakened.yaml);
every shipped stack (stacks/) has no mandatory violation; the pack's entry point, project file, example
config and the policy-check CI workflow hold what the pack and the CLI accept.
"""

import json
from pathlib import Path

import pytest
import yaml

from auditkit.auditors.cli import main
from auditkit.policies.alerts.catalog import control_ids
from auditkit.policies.catalog import CONTROLS
from auditkit.policies.crossguard.offline import resources_from_state
from auditkit.policies.crossguard.pack import all_policies
from auditkit.settings.stack_settings import read_stack_file

FIXTURES = Path(__file__).parent / "fixtures"


def test_weakened_state_fixture_exits_1_with_each_expected_control(capsys):
    code = main(
        [
            "plan",
            "--check",
            "--state",
            str(FIXTURES / "weakened-state.json"),
            "--jurisdiction",
            "CA",
            "--format",
            "json",
        ]
    )
    assert code == 1
    doc = json.loads(capsys.readouterr().out)
    failing = sorted({f["control"] for f in doc["findings"] if f["status"] == "FAIL"})
    # The fixture predates the alerts: every alert fails too (advisory).
    expected = ["aws.bucket.lifecycle", "aws.bucket.object_lock", "aws.trail.s3_data_events", *control_ids("aws")]
    assert failing == sorted(expected)
    messages = [f["message"] for f in doc["findings"] if f["status"] == "FAIL"]
    assert (
        "[aws.bucket.object_lock] default retention mode is GOVERNANCE; COMPLIANCE is required (GOVERNANCE can be bypassed)"
        in messages
    )
    assert (
        "[aws.bucket.object_lock] default retention 1 years < required 7 years (2557 days) per 22 CCR 72543" in messages
    )
    assert "[aws.trail.s3_data_events] every bucket: S3 object reads not recorded" in messages


def test_state_reader_skips_engine_resources_and_refuses_other_files(tmp_path):
    resources = resources_from_state(FIXTURES / "weakened-state.json")
    assert len(resources) == 35 and not any(r.type.startswith("pulumi:") for r in resources)
    bad = tmp_path / "old.json"
    bad.write_text(json.dumps({"version": 2, "deployment": {}}))
    assert main(["plan", "--check", "--state", str(bad)]) == 2


def test_demo_stack_check_exits_0_and_sarif_or_junit_for_ci(capsys, tmp_path):
    assert main(["plan", "--stack", "demo", "--check"]) == 0
    capsys.readouterr()
    out = tmp_path / "check.sarif"
    assert (
        main(
            [
                "plan",
                "--check",
                "--state",
                str(FIXTURES / "weakened-state.json"),
                "--jurisdiction",
                "CA",
                "--format",
                "sarif",
                "--output",
                str(out),
            ]
        )
        == 1
    )
    sarif = json.loads(out.read_text())
    assert sorted({r["ruleId"] for r in sarif["runs"][0]["results"]}) == sorted(
        ["aws.bucket.lifecycle", "aws.bucket.object_lock", "aws.trail.s3_data_events", *control_ids("aws")]
    )
    assert main(["plan", "--stack", "demo", "--check", "--format", "junit"]) == 0
    assert 'failures="0"' in capsys.readouterr().out


def test_pack_entry_point_only_assembles_and_its_project_file_is_valid():
    source = Path("policies/__main__.py").read_text()
    assert "PolicyPack(" in source and "all_policies()" in source and "def " not in source
    project = yaml.safe_load(Path("policies/PulumiPolicy.yaml").read_text())
    assert project["runtime"]["name"] == "python"


def test_policy_check_workflow_runs_commands_the_cli_accepts():
    import shlex

    from auditkit.auditors.cli import build_parser

    wf = yaml.safe_load(Path(".github/workflows/policy-check.yml").read_text())
    run = next(s["run"] for s in wf["jobs"]["offline-check"]["steps"] if s.get("id") == "check")
    for line in run.splitlines():
        if line.strip().startswith("auditkit "):
            argv = shlex.split(line.split(">>")[0].replace('"${{ matrix.stack }}"', "production"))[1:]
            args = build_parser().parse_args(argv)
            assert args.check and args.stack == "production"
    preview = next(s for s in wf["jobs"]["preview-policy-pack"]["steps"] if "pulumi/actions" in s.get("uses", ""))
    assert preview["with"]["policyPacks"] == "policies"


def test_example_policy_config_names_real_policies_and_parses():
    """Enforcement levels and pack-wide settings only: retention and scopes come from the stack's config."""
    from auditkit.policies.crossguard.pack_config import RETENTION_KEYS, parse_pack_config

    cfg = json.loads(Path("policies/policy-config.example.json").read_text())
    names = {p.name for p in all_policies()}
    assert set(cfg) - {"all"} <= names
    settings = read_stack_file(Path("stacks/Pulumi.demo.yaml"))
    for value in cfg.values():
        if isinstance(value, dict):
            assert not set(value) & set(RETENTION_KEYS)
            parsed = parse_pack_config(value, settings)
            assert parsed.required == settings.retention and parsed.archive_buckets == ("acme-central-audit-logs",)


def test_weakened_fixture_with_its_stack_config_fails_exactly_the_four_weakenings(capsys):
    code = main(
        [
            "plan",
            "--check",
            "--state",
            str(FIXTURES / "weakened-state.json"),
            "--stack",
            "weakened",
            "--stacks-dir",
            str(FIXTURES),
            "--format",
            "json",
        ]
    )
    assert code == 1
    doc = json.loads(capsys.readouterr().out)
    assert sorted({f["control"] for f in doc["findings"] if f["status"] == "FAIL"}) == sorted(
        [
            "aws.bucket.lifecycle",
            "aws.bucket.object_lock",
            "aws.trail.s3_data_events",
            "azure.diagnostics.resources",
            *control_ids("aws"),  # the fixture predates the alerts
            *control_ids("azure"),
        ]
    )
    azure = [
        f["message"] for f in doc["findings"] if f["control"] == "azure.diagnostics.resources" and f["status"] == "FAIL"
    ]
    assert azure == [
        "[azure.diagnostics.resources] /subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-phi"
        "/providers/Microsoft.Sql/servers/sql-clinic/databases/records: SQLSecurityAuditEvents reach no archive: "
        "server level: no diagnostic setting on the master database sends SQLSecurityAuditEvents to the archive; "
        "database level: the database does not audit to Azure Monitor"
    ]


@pytest.mark.parametrize(
    "stack", sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in Path("stacks").glob("Pulumi.*.yaml"))
)
def test_every_shipped_stack_has_no_mandatory_violation(stack, capsys):
    assert main(["plan", "--stack", stack, "--check", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    failing = [f for f in doc["findings"] if f["status"] == "FAIL"]
    assert all(CONTROLS[f["control"]].enforcement.value == "advisory" for f in failing), failing

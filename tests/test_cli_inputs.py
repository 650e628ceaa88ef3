"""What a user passes is read as Pulumi wrote it, never silently ignored, and refused with the file named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditkit.auditors.cli import main
from auditkit.policies.errors import ConfigError
from auditkit.settings.stack_settings import read_stack_file


def stack(tmp_path: Path, text: str, name: str = "s") -> Path:
    path = tmp_path / f"Pulumi.{name}.yaml"
    path.write_text(text)
    return path


def test_values_as_pulumi_config_set_stores_them(tmp_path):
    """`pulumi config set auditkit:minors true` and `auditkit:retentionYears 22` store strings (Quickstart)."""
    path = stack(
        tmp_path,
        "config:\n  auditkit:jurisdictions: [US, NY]\n  auditkit:minors: 'true'\n  auditkit:retentionYears: '22'\n"
        "  auditkit:aws:\n    hotDays: '60'\n    accessLogs: 'False'\n",
    )
    s = read_stack_file(path)
    assert (s.retention.years, s.retention.minors) == (22, True)
    assert (s.aws.hot_days, s.aws.access_logs) == (60, False)


@pytest.mark.parametrize(
    "text, message",
    [
        ("config:\n  auditkit:minors: 'yes'\n", "auditkit:minors='yes' is not allowed: allowed: true or false"),
        ("config:\n  auditkit:retentionYears: '7.5'\n", "auditkit:retentionYears='7.5' is not allowed"),
        (
            "config:\n  auditkit:aws.hotDays: 60\n",
            "auditkit:aws.hotDays=60 is not allowed: a flat dotted key is not read; allowed: nest under `auditkit:aws`",
        ),
        ("config:\n  auditkit:jurisdiction: [NY]\n", "unknown setting, did you mean `jurisdictions`?"),
        ("config:\n  auditkit:aws:\n    hotdays: 60\n", "unknown setting, did you mean `aws.hotDays`?"),
        ("", "the file is empty"),
        ("config: [a, b]\n", "no config mapping"),
        ("config:\n  auditkit:minors: [unclosed\n", "not YAML at line"),
    ],
)
def test_refused_with_the_file_and_the_problem(tmp_path, capsys, text, message):
    path = stack(tmp_path, text)
    assert main(["plan", "--stack", "s", "--stacks-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert str(path) in err
    assert "Traceback" not in err


def test_a_misspelled_namespace_warns(tmp_path):
    warnings = []
    from auditkit.settings.stack_file import read_stack_config

    read_stack_config(stack(tmp_path, "config:\n  audikit:minors: true\n  aws:region: us-east-1\n"), warnings.append)
    assert warnings[0].endswith("`audikit:minors` is not read: did you mean `auditkit:minors`?")
    warnings.clear()
    read_stack_config(stack(tmp_path, "config:\n  auditkit:minors: true\n  aws:region: us-east-1\n"), warnings.append)
    assert warnings == []


@pytest.mark.slow  # seconds a case: `make test-slow` runs it (CI runs both)
def test_retention_flags_override_the_stack_and_say_so(capsys):
    assert main(["plan", "--stack", "demo", "--jurisdiction", "NY", "--minors", "--format", "json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["retention"].startswith("21 years")
    assert "note: --jurisdiction ['NY'] overrides the stack's auditkit:jurisdictions" in err
    assert "note: --minors True overrides the stack's auditkit:minors" in err


def test_scan_applies_the_same_rule(tmp_path, capsys, monkeypatch):
    from argparse import Namespace

    from auditkit.auditors.stack_options import retention_for, stack_settings

    args = Namespace(stack="demo", stacks_dir=None, jurisdiction=[], minors=None, retention_years=9)
    settings, source = stack_settings(args)
    assert retention_for(args, settings).years == 9 and source == "stacks/Pulumi.demo.yaml"
    assert "note: --retention-years 9 overrides the stack's auditkit:retentionYears" in capsys.readouterr().err
    with pytest.raises(ConfigError, match="stacks-dir"):
        stack_settings(Namespace(stack=None, stacks_dir=str(tmp_path), jurisdiction=[], minors=None))


@pytest.mark.parametrize(
    "argv, expect",
    [
        (["plan", "--stack", "demo"], "audit-archive-object-lock"),
        (["plan", "--stack", "demo", "--format", "json"], '"retention": "7 years'),
        (["plan", "--stack", "demo", "--check"], "auditkit plan --check: stack demo"),
        (["plan", "--stack", "demo", "--check", "--format", "sarif"], '"startTimeUtc"'),
    ],
)
def test_output_is_written_for_every_format(tmp_path, capsys, argv, expect):
    out = tmp_path / "nested" / "out.txt"
    assert main([*argv, "--output", str(out)]) == 0
    assert expect in out.read_text()
    assert capsys.readouterr().out == ""


def test_state_that_is_a_json_list_names_the_file(tmp_path, capsys):
    state = tmp_path / "state.json"
    state.write_text("[1, 2]")
    assert main(["plan", "--check", "--state", str(state)]) == 2
    err = capsys.readouterr().err
    assert f"--state='{state}' is not allowed: found a JSON list" in err


@pytest.mark.parametrize(
    "content, why",
    [
        ('{"findings": [{"status": "FAIL"}]}', "findings[0] is not a finding (missing field 'control')"),
        ('{"findings": [{"control": "x", "status": "MAYBE", "resource": "r"}]}', "'MAYBE' is not a valid Status"),
        ("not json", "not JSON"),
        ("[]", "expected an object with a 'findings' list"),
    ],
)
def test_baseline_with_the_wrong_shape_names_the_file(tmp_path, capsys, content, why):
    baseline = tmp_path / "old.json"
    baseline.write_text(content)
    code = main(["scan", "aws", "--region", "us-east-1", "--baseline", str(baseline), "--format", "json"])
    assert code == 2
    err = capsys.readouterr().err
    assert f"--baseline='{baseline}' is not allowed" in err and why in err


def test_the_stack_program_reads_config_as_the_engine_passes_it():
    """`pulumi up` hands the program each value as text: JSON (`true`, `["NY"]`) or a plain string (`True`).

    The program and the stack-file reader must agree (pulumi/config.py: get_bool accepts True/False too).
    """
    import pulumi

    from auditkit.components.stack import settings_from_pulumi_config

    pulumi.runtime.set_all_config(
        {
            "auditkit:jurisdictions": '["NY"]',
            "auditkit:minors": "True",
            "auditkit:retentionYears": "22",
            "auditkit:aws": '{"hotDays": "60"}',
            "aws:region": "us-east-2",
        }
    )
    try:
        s = settings_from_pulumi_config()
        assert (s.retention.years, s.retention.minors, s.aws.hot_days, s.aws.region) == (22, True, 60, "us-east-2")
        pulumi.runtime.set_all_config({"auditkit:minors": "yes"})
        with pytest.raises(ConfigError, match="minors='yes' is not allowed"):
            settings_from_pulumi_config()
    finally:
        pulumi.runtime.set_all_config({})

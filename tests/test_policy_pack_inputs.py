"""`auditkit plan --check --state`: --cloud is validated; without it the export's providers say which clouds.

Export shape: `pulumi stack export` deployment v3; every resource is managed by a provider
resource of type `pulumi:providers:<package>` (pulumi/pulumi sdk/go/common/apitype/core.go
DeploymentV3, ResourceV3; default providers are named `default_<version>`).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditkit.auditors.cli import main
from auditkit.policies.alerts.catalog import control_ids
from auditkit.policies.crossguard.offline import declared_clouds
from auditkit.policies.crossguard.pack_config import boolean, whole_number
from auditkit.policies.errors import ConfigError

FIXTURES = Path(__file__).parent / "fixtures"
WEAKENED = FIXTURES / "weakened-state.json"


def export(tmp_path: Path, *providers: str) -> Path:
    stack = {"urn": "urn:pulumi:dev::app::pulumi:pulumi:Stack::app-dev", "type": "pulumi:pulumi:Stack", "custom": False}
    resources = [stack] + [
        {
            "urn": f"urn:pulumi:dev::app::pulumi:providers:{p}::default_7_0_0",
            "type": f"pulumi:providers:{p}",
            "custom": True,
            "id": "0b9c7a3e-6d5f-4c1a-9e8b-2f3d4c5b6a7e",
            "inputs": {},
            "outputs": {},
        }
        for p in providers
    ]
    path = tmp_path / "export.json"
    path.write_text(json.dumps({"version": 3, "deployment": {"manifest": {}, "resources": resources}}))
    return path


def failing(capsys) -> list[str]:
    doc = json.loads(capsys.readouterr().out)
    return sorted({f["control"] for f in doc["findings"] if f["status"] == "FAIL"})


def test_cloud_names_are_case_insensitive(capsys):
    argv = ["plan", "--check", "--state", str(WEAKENED), "--jurisdiction", "CA", "--format", "json"]
    assert main([*argv, "--cloud", "aws"]) == 1
    lower = failing(capsys)
    assert main([*argv, "--cloud", "AWS"]) == 1
    weakened = ["aws.bucket.lifecycle", "aws.bucket.object_lock", "aws.trail.s3_data_events", *control_ids("aws")]
    assert failing(capsys) == lower == sorted(weakened)  # the fixture predates the alerts


@pytest.mark.parametrize("cloud", ["asw", "amazon", ""])
def test_an_unknown_cloud_is_refused_before_judging(tmp_path, capsys, cloud):
    assert main(["plan", "--check", "--state", str(export(tmp_path, "aws")), "--cloud", cloud]) == 2
    err = capsys.readouterr().err
    assert f"--cloud={cloud!r}" in err and "aws, gcp, azure" in err


def test_an_empty_aws_export_fails_for_want_of_a_trail(tmp_path, capsys):
    path = export(tmp_path, "aws")
    assert declared_clouds(path) == ["aws"]
    assert main(["plan", "--check", "--state", str(path), "--format", "json"]) == 1
    assert "aws.trail.multi_region" in failing(capsys)


def test_declared_clouds_come_from_the_provider_resources(tmp_path, capsys):
    path = export(tmp_path, "gcp", "azure-native")
    assert declared_clouds(path) == ["azure", "gcp"]
    assert main(["plan", "--check", "--state", str(path), "--format", "json"]) == 1
    controls = failing(capsys)
    assert "gcp.audit.data_access" in controls and "azure.activity_log.export" in controls
    assert not any(c.startswith("aws.") for c in controls)
    assert declared_clouds(export(tmp_path)) == []


@pytest.mark.parametrize("given, years", [(8, 8), (8.0, 8), ("8", 8), (" 8 ", 8), (None, None)])
def test_whole_numbers_in_any_engine_form(given, years):
    assert whole_number("retentionYears", given) == years


@pytest.mark.parametrize("given", [8.5, "eight", True, [8]])
def test_other_numbers_are_refused_with_the_field(given):
    with pytest.raises(ConfigError, match="retentionYears="):
        whole_number("retentionYears", given)


def test_booleans_in_config_string_form():
    assert (
        boolean("minors", "true") is True and boolean("minors", "False") is False and boolean("minors", False) is False
    )
    with pytest.raises(ConfigError, match="minors='yes'"):
        boolean("minors", "yes")

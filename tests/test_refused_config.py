"""Bad input: a clear error naming field, value and what is allowed, before anything is registered."""

import pulumi
import pytest
from pulumi.runtime.mocks import MockMonitor

from auditkit.auditors.cli import main
from auditkit.components.mock_engine import AuditKitMocks
from auditkit.components.stack import build_stack
from auditkit.policies.errors import ConfigError
from auditkit.settings.stack_settings import parse_settings


def registered_before_error(config: dict, azure: dict | None = None) -> tuple[ConfigError, list]:
    mocks = AuditKitMocks()
    pulumi.runtime.set_mocks(mocks, preview=False, monitor=MockMonitor(mocks))
    caught = []

    @pulumi.runtime.test
    def run():
        try:
            build_stack(parse_settings("test", {"clouds": ["aws"], **config}, None, azure))
        except ConfigError as exc:
            caught.append(exc)

    run()
    assert caught, "expected a ConfigError"
    return caught[0], mocks.resources


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (
            {"aws": {"hotDays": 10}},
            "aws.hotDays=10 is not allowed: S3 refuses STANDARD_IA transitions before day 30; allowed: >= 30",
        ),
        (
            {"aws": {"hotDays": 90, "coldAfterDays": 100}},
            "aws.coldAfterDays=100 is not allowed: objects must stay 30 days in the warm tier before DEEP_ARCHIVE; "
            "allowed: >= hotDays + 30 = 120",
        ),
        (
            {"aws": {"coldAfterDays": 3000}},
            "aws.coldAfterDays=3000 is not allowed: allowed: < the retention of 2192 days",
        ),
        (
            {"aws": {"warmStorageClass": "ONEZONE_IA"}},
            "aws.warmStorageClass='ONEZONE_IA' is not allowed: allowed: STANDARD_IA, GLACIER_IR",
        ),
        (
            {"aws": {"cloudwatchRetentionDays": 100}},
            "aws.cloudwatchRetentionDays=100 is not allowed: CloudWatch Logs accepts only these values",
        ),
        ({"aws": {"trailName": "a"}}, "aws.trailName='a' is not allowed"),
        (
            {"aws": {"archiveBucketName": "Audit_Logs"}},
            "aws.archiveBucketName='Audit_Logs' is not allowed: allowed: 3-63 characters",
        ),
        ({"aws": {"s3DataEvents": ["ok-bucket", "Bad_Bucket"]}}, "aws.s3DataEvents='Bad_Bucket' is not allowed"),
        (
            {"aws": {"s3DataEvents": [f"phi-bucket-{i:03d}" for i in range(499)]}},
            "aws.s3DataEvents='506 selector values' is not allowed: CloudTrail's advanced event selector limit",
        ),
    ],
)
def test_component_limits_refused_before_any_registration(config, message):
    exc, resources = registered_before_error(config)
    assert message in str(exc)
    assert resources == []


@pytest.mark.parametrize(
    ("config", "field", "allowed"),
    [
        ({"jurisdictions": ["US", "FL"]}, "jurisdictions", "CA, NY, TX, US"),
        ({"jurisdictions": "US"}, "jurisdictions", "a list such as [US, CA]"),
        ({"retentionYears": 5}, "retentionYears", "a whole number of years >= 6"),
        ({"clouds": ["aws", "oracle"]}, "clouds", "aws"),
        ({"minors": "yes"}, "minors", "true or false"),
        ({"retention": 7}, "retention", "aws, azure, clouds, gcp, jurisdictions, minors, retentionYears"),
        ({"aws": {"trailname": "x"}}, "aws.trailname", "accessLogs, alerts, archiveBucketName"),
        ({"aws": {"s3DataEvents": "some"}}, "aws.s3DataEvents", "'all' or a list of bucket names"),
        ({"aws": {"organizationTrail": True}}, "aws.organizationId", "an organization id"),
        ({"aws": {"hotDays": "ninety"}}, "aws.hotDays", "a whole number"),
        ({"aws": {"hotDays": 90.5}}, "aws.hotDays", "a whole number"),
        ({"minors": "TRUE"}, "minors", "true or false"),
    ],
)
def test_settings_refused_with_field_and_allowed_values(config, field, allowed):
    with pytest.raises(ConfigError) as err:
        parse_settings("test", {"clouds": ["aws"], **config})
    assert err.value.field == field
    assert allowed in str(err.value)


@pytest.mark.parametrize(
    ("cloud", "section", "message"),
    [
        (
            "azure",
            {"storageAccountName": "auditarchive", "workspace": {"name": "law-audit", "tables": "AzureActivity"}},
            "azure.workspace.tables='AzureActivity'",
        ),
        (
            "azure",
            {"storageAccountName": "auditarchive", "workspace": {"name": "law-audit", "tables": ["A1", "a1"]}},
            "each table once",
        ),
        (
            "azure",
            {"storageAccountName": "auditarchive", "workspace": {"name": "a b/c"}},
            "azure.workspace.name='a b/c'",
        ),
        (
            "azure",
            {
                "storageAccountName": "auditarchive",
                "diagnosticResources": [
                    "/subscriptions/s/resourceGroups/g/providers/Microsoft.KeyVault/vaults/kv",
                    "/subscriptions/s/resourceGroups/g/providers/Microsoft.KeyVault/vaults/KV",
                ],
            },
            "listed twice",
        ),
        (
            "gcp",
            {
                "scope": "project",
                "projectId": "acme-prod",
                "archiveProject": "acme-audit",
                "exemptedMembers": "serviceAccount:x",
            },
            "gcp.exemptedMembers='serviceAccount:x' is not allowed: allowed: a list of {member, reason} entries",
        ),
        (
            "gcp",
            {"scope": "project", "projectId": "acme-prod", "archiveProject": "acme-audit", "kmsKeyName": "my-key"},
            "gcp.kmsKeyName='my-key' is not allowed: allowed: projects/P/locations/L/keyRings/R/cryptoKeys/K",
        ),
    ],
)
def test_azure_and_gcp_sections_refused_with_field_value_and_allowed(cloud, section, message):
    with pytest.raises(ConfigError) as err:
        parse_settings("t", {"clouds": [cloud], cloud: section}, None, {"subscriptionId": "s"})
    assert message in str(err.value)


def test_cli_prints_the_error_and_exits_2(tmp_path, capsys):
    (tmp_path / "Pulumi.bad.yaml").write_text("config:\n  auditkit:jurisdictions: [CA]\n  auditkit:retentionYears: 6\n")
    assert main(["plan", "--stack", "bad", "--stacks-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "retentionYears=6 is not allowed: below the legal floor of 7 years (2557 days) per 22 CCR 72543" in err


def test_cli_names_the_available_stacks(tmp_path, capsys):
    (tmp_path / "Pulumi.one.yaml").write_text("config: {}\n")
    assert main(["plan", "--stack", "two", "--stacks-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert (
        f"stack='two' is not allowed: no such stack file; allowed: a stack file Pulumi.<stack>.yaml in: {tmp_path} (one)"
        in err
    )


def test_a_stacks_folder_without_the_stack_never_falls_back_to_a_shipped_example(tmp_path, monkeypatch, capsys):
    """The container trap: the user's ./stacks lacks `production`, AuditKit ships one (NY minors, 21 years)."""
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "Pulumi.staging.yaml").write_text("config: {}\n")
    monkeypatch.chdir(tmp_path)
    assert main(["plan", "--stack", "production"]) == 2
    err = capsys.readouterr().err
    assert "stack='production' is not allowed: no such stack file; the examples shipped with AuditKit" in err
    assert f"allowed: a stack file Pulumi.<stack>.yaml in: {tmp_path / 'stacks'} (staging)" in err


def test_without_a_stacks_folder_the_shipped_example_is_used_and_said(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["plan", "--stack", "production", "--output", str(tmp_path / "plan.txt")]) == 0
    assert "no ./stacks folder here; using the example stack shipped with AuditKit" in capsys.readouterr().err


def test_a_binary_stack_file_is_refused_naming_it(tmp_path, capsys):
    (tmp_path / "Pulumi.bin.yaml").write_bytes(b"config:\n  auditkit:minors: \xff\xfe\n")
    assert main(["plan", "--stack", "bin", "--stacks-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path / 'Pulumi.bin.yaml'}" in err and "not UTF-8" in err and "Traceback" not in err

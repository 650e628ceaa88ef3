"""Messages that say what the data shows (issue 23 item 9): missing credentials, an unreachable token
endpoint, a profile that does not exist, unreadable files, and who chose a value that is refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditkit.auditors.cli import main

SUB = "11111111-2222-3333-4444-555555555555"
LOGIN = "log in with `aws sso login` or `aws configure`"


@pytest.fixture
def no_aws_credentials(tmp_path, monkeypatch):
    """A machine where nobody has logged in to AWS: empty config files, no keys, no instance role."""
    for var in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
    ):
        monkeypatch.delenv(var, raising=False)
    config = tmp_path / "aws-config"
    config.write_text("[profile dev]\nregion = us-east-1\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing may be called anyway
    return tmp_path


def report_of(argv: list[str], out: Path) -> tuple[int, dict]:
    code = main([*argv, "--format", "json", "--output", str(out)])
    return code, json.loads(out.read_text())


def test_no_credentials_is_an_error_that_says_so_not_a_missing_trail(no_aws_credentials):
    code, doc = report_of(["scan", "aws", "--region", "us-east-1"], no_aws_credentials / "scan.json")
    assert code == 2
    [finding] = doc["findings"]
    assert finding["status"] == "ERROR"
    assert finding["message"].startswith("NoCredentials: no AWS credentials found")
    assert LOGIN in finding["message"]
    assert "no CloudTrail trail" not in json.dumps(doc)


@pytest.mark.parametrize("command", [["scan", "aws"], ["verify", "aws"]])
def test_a_profile_that_does_not_exist_still_writes_the_report(no_aws_credentials, command, capsys):
    code, doc = report_of([*command, "--profile", "nosuch", "--region", "us-east-1"], no_aws_credentials / "r.json")
    assert code == 2
    assert [f["status"] for f in doc["findings"]] == ["ERROR"]
    assert doc["findings"][0]["message"].startswith(
        "ProfileNotFound: no profile 'nosuch' in the AWS config and credentials files (profiles there: dev)"
    )
    assert doc["command"] == " ".join(command)
    assert "could not finish" not in capsys.readouterr().err


def test_a_missing_aws_profile_variable_is_the_same_error(no_aws_credentials, monkeypatch):
    monkeypatch.setenv("AWS_PROFILE", "nosuch")
    code, doc = report_of(["scan", "aws", "--region", "us-east-1"], no_aws_credentials / "scan.json")
    assert code == 2
    assert doc["findings"][0]["message"].startswith("ProfileNotFound: no profile 'nosuch'")


@pytest.mark.slow  # waits out the SDK's retries against an endpoint that never answers
def test_a_service_principal_without_network_is_told_the_endpoint_was_unreachable(tmp_path, monkeypatch):
    monkeypatch.setenv("AZURE_TENANT_ID", "00000000-0000-0000-0000-000000000001")
    monkeypatch.setenv("AZURE_CLIENT_ID", "00000000-0000-0000-0000-000000000002")
    monkeypatch.setenv("AZURE_CLIENT_SECRET", "not-a-secret")
    monkeypatch.setenv("AZURE_CONFIG_DIR", str(tmp_path / "no-az-cli"))
    # No network: every HTTPS request goes to a proxy port where nothing listens.
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    for var in ("NO_PROXY", "no_proxy", "AZURE_AUTHORITY_HOST"):
        monkeypatch.delenv(var, raising=False)
    code, doc = report_of(["scan", "azure", "--subscription", SUB], tmp_path / "scan.json")
    assert code == 2
    [finding] = doc["findings"]
    assert finding["message"].startswith(
        "Unreachable: the service principal in AZURE_TENANT_ID/AZURE_CLIENT_ID is set, but its token endpoint "
        "(https://login.microsoftonline.com) could not be reached: "
    )
    assert "set AZURE_TENANT_ID" not in finding["message"]


def test_a_binary_state_file_is_named(tmp_path, capsys):
    state = tmp_path / "state.json"
    state.write_bytes(b"\xdd\x00\x9fPK")
    assert main(["plan", "--check", "--state", str(state)]) == 2
    err = capsys.readouterr().err
    assert f"--state='{state}' is not allowed: not text: byte 0 is not UTF-8" in err
    assert "UnicodeDecodeError" not in err


def write_stack(tmp_path: Path, name: str, *lines: str) -> Path:
    folder = tmp_path / "stacks"
    folder.mkdir(exist_ok=True)
    path = folder / f"Pulumi.{name}.yaml"
    path.write_text("config:\n" + "".join(f"  {line}\n" for line in lines))
    return path


def plan_error(tmp_path: Path, capsys, *argv: str) -> str:
    assert main(["plan", *argv, "--stacks-dir", str(tmp_path / "stacks")]) == 2
    return capsys.readouterr().err


def test_a_provider_limit_names_the_stack_file(tmp_path, capsys):
    path = write_stack(tmp_path, "big", "auditkit:retentionYears: 500")
    assert f"error: {path}: auditkit:retentionYears=500 is not allowed: S3 Object Lock" in plan_error(
        tmp_path, capsys, "--stack", "big"
    )


@pytest.mark.parametrize(
    ("years", "why"),
    [("5", "below the legal floor of 7 years"), ("500", "S3 Object Lock default retention holds at most")],
)
def test_a_refused_flag_is_blamed_not_the_stack_file(tmp_path, capsys, years, why):
    path = write_stack(tmp_path, "ca", "auditkit:jurisdictions: [CA]")
    err = plan_error(tmp_path, capsys, "--stack", "ca", "--retention-years", years)
    assert f"error: --retention-years={years} is not allowed: {why}" in err
    assert f"{path}:" not in err


def test_a_longer_choice_is_not_cited_as_the_law(tmp_path, capsys):
    write_stack(tmp_path, "ca10", "auditkit:jurisdictions: [CA]", "auditkit:retentionYears: 10")
    write_stack(tmp_path, "ca7", "auditkit:jurisdictions: [CA]", "auditkit:retentionYears: 7")
    retention = {}
    for stack in ("ca10", "ca7"):
        assert main(["plan", "--stack", stack, "--stacks-dir", str(tmp_path / "stacks"), "--format", "json"]) == 0
        retention[stack] = json.loads(capsys.readouterr().out)["retention"]
    assert retention == {
        "ca10": "10 years (3653 days), the stack's choice above the legal floor of 7 years per 22 CCR 72543",
        "ca7": "7 years (2557 days) per 22 CCR 72543",
    }


def test_a_stack_name_the_default_bucket_name_cannot_hold_is_said_as_such(tmp_path, capsys):
    path = write_stack(tmp_path, "Prod", "auditkit:jurisdictions: [CA]")
    err = plan_error(tmp_path, capsys, "--stack", "Prod")
    assert err.startswith(
        f"error: {path}: stack='Prod' is not allowed: the stack name is part of the default bucket name "
        "'auditkit-Prod-123456789012-us-east-1-access' (aws.archiveBucketName)"
    )
    assert "or set auditkit:aws.archiveBucketName to a bucket name of your own" in err
    # With a bucket name of the user's own, the stack name is free.
    write_stack(tmp_path, "Prod", "auditkit:jurisdictions: [CA]", "auditkit:aws: {archiveBucketName: acme-audit}")
    assert main(["plan", "--stack", "Prod", "--stacks-dir", str(tmp_path / "stacks"), "--format", "json"]) == 0

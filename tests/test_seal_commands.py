"""The `seal` and `verify gcp|azure` commands: arguments refused before any cloud call, the report's
formats, history and exit codes (report_delivery, as `verify aws`), and `--prove`'s self-contained proof."""

import base64
import hashlib
import json
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from auditkit.auditors.cli import main
from auditkit.auditors.gcp.calls import classify
from auditkit.auditors.seal import verify_cli
from auditkit.auditors.seal.command import options_from as seal_options
from auditkit.policies.errors import ConfigError
from auditkit.policies.gcp.rules import ARCHIVE_INTEGRITY
from auditkit.policies.integrity.merkle import leaf_hash, root_from_path
from auditkit.policies.integrity.seals import canonical
from auditkit.policies.integrity.signatures import verifies
from tests.fakes.cloud_kms import KEY
from tests.sealed_worlds import SEALED_AT, T0, parse, served_gcp_world, sink_name


@pytest.fixture
def world():
    yield from served_gcp_world(sealed=True)


def _deliver(world, argv):
    end = [] if "--prove" in argv else ["--end", "2026-11-30T07:00:00Z"]
    args = parse(["verify", "gcp", "--bucket", world.gcs.bucket, "--key", KEY, *end, *argv])
    options = verify_cli.options_from(args, SEALED_AT)
    options = type(options)(T0, options.end, options.settle, options.grace, options.deep, options.checkpoint)
    opened = lambda: (world.archive(), world.keys())  # noqa: E731
    return verify_cli.deliver(args, options, opened, ARCHIVE_INTEGRITY.control, classify, "verify gcp", SEALED_AT)


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["verify", "gcp", "--bucket", "b", "--key", "projects/p/keyRings/r"], "--key"),
        (["verify", "gcp", "--bucket", "b", "--key", KEY, "--settle", "-1"], "--settle"),
        (["verify", "gcp", "--bucket", "b", "--key", KEY, "--prove", "x", "--deep"], "--deep"),
        (["verify", "gcp", "--bucket", "b", "--key", KEY, "--start", "yesterday"], "--start"),
        (
            ["verify", "azure", "--container-url", "http://a.blob.core.windows.net/c", "--key", "https://v/keys/k"],
            "--container-url",
        ),
        (
            ["verify", "azure", "--container-url", "https://a.blob.core.windows.net/c", "--key", "https://v/keys/k/1"],
            "--key",
        ),
        (["seal", "gcp", "--bucket", "b", "--key-version", KEY], "--key-version"),
        (
            ["seal", "gcp", "--bucket", "b", "--key-version", f"{KEY}/cryptoKeyVersions/1", "--max-hours", "0"],
            "--max-hours",
        ),
        (
            ["seal", "azure", "--container-url", "https://a.blob.core.windows.net/c", "--key-id", "https://v/keys/k"],
            "--key-id",
        ),
        (
            ["seal", "gcp", "--bucket", "b", "--key-version", f"{KEY}/cryptoKeyVersions/1", "--deadline", "0"],
            "--deadline",
        ),
        (
            ["seal", "gcp", "--bucket", "b", "--key-version", f"{KEY}/cryptoKeyVersions/1", "--timeout", "nan"],
            "--timeout",
        ),
    ],
)
def test_bad_arguments_are_refused_with_exit_2_before_any_cloud_call(argv, named, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {named}=") and "could not finish" not in err  # a ConfigError, not a failed call


def test_a_clean_archive_reports_in_every_format_keeps_history_and_exits_0(world, tmp_path, capsys):
    out, history = tmp_path / "report.json", tmp_path / "history"
    code = _deliver(
        world,
        ["--format", "json", "--output", str(out), "--history", str(history), "--report-dir", str(tmp_path / "all")],
    )
    assert code == 0
    doc = json.loads(out.read_text())
    assert {f["control"] for f in doc["findings"]} == {"gcp.archive.integrity"}
    assert doc["findings"][0]["citations"] == {
        "hipaa": ["45 CFR 164.312(c)(1)", "45 CFR 164.312(c)(2)"],
        "soc2": ["CC7.2"],
        "nist_800_53": ["AU-9", "AU-10", "SI-7"],
    }
    assert doc["command"] == "verify gcp" and doc["scope"]["archive"] == [f"gs://{world.gcs.bucket}"]
    assert doc["summary"]["PASS"] == 3 and doc["summary"]["seals_verified"] == 3
    assert doc["summary"]["OPEN"] == 1 and doc["summary"]["FAIL"] == 0 and doc["summary"]["ERROR"] == 0
    assert doc["summary"]["open_periods"] == [f"gs://{world.gcs.bucket}/2026-11-30T06:00Z"]
    [opened] = [f for f in doc["findings"] if f["status"] == "OPEN"]
    assert opened["message"].startswith("still open, not sealed yet")
    junit = (tmp_path / "all" / "scan.junit.xml").read_text()
    assert 'failures="0" errors="0" skipped="1"' in junit and '<skipped message="still open' in junit
    assert "1 still open (not judged yet)" in (tmp_path / "all" / "scan.md").read_text()
    assert sorted(p.name for p in (tmp_path / "all").iterdir()) == [
        "scan.html",
        "scan.json",
        "scan.junit.xml",
        "scan.md",
        "scan.sarif",
    ]
    assert list(history.rglob("*.json")) and "history head" in capsys.readouterr().err


def test_tampering_exits_1_and_an_unreadable_archive_exits_2_with_the_report_still_written(world, tmp_path):
    world.gcs.remove(sink_name(4, 2))
    assert _deliver(world, ["--format", "json", "--output", str(tmp_path / "a.json")]) == 1
    world.gcs.list_denied = True
    assert _deliver(world, ["--format", "json", "--output", str(tmp_path / "b.json")]) == 2
    statuses = {f["status"] for f in json.loads((tmp_path / "b.json").read_text())["findings"]}
    assert statuses == {"ERROR"}


def test_prove_prints_a_proof_an_auditor_can_check_without_auditkit(world, tmp_path):
    out = tmp_path / "proof.json"
    name = sink_name(4, 1)
    assert _deliver(world, ["--prove", name, "--output", str(out)]) == 0
    proof = json.loads(out.read_text())
    assert proof["verdict"].startswith("proven")
    leaf = leaf_hash(canonical(proof["leaf"]))
    assert leaf.hex() == proof["leaf_hash"]
    path = [bytes.fromhex(p) for p in proof["audit_path"]]
    assert (
        root_from_path(leaf, proof["index"], proof["tree_size"], path).hex()
        == proof["root"]
        == proof["statement"]["root"]
    )
    digest = hashlib.sha256(canonical(proof["statement"])).digest()
    assert digest.hex() == proof["statement_sha256"]
    public = load_pem_public_key(proof["public_key"].encode())
    assert verifies(public, digest, base64.b64decode(proof["signature"]))
    assert proof["tree_size"] == 3 and len(path) == 2


def test_prove_says_why_an_object_is_not_proven(world, tmp_path):
    slipped = "cloudaudit.googleapis.com/activity/2026/11/30/04:00:00_04:59:59_S7.json"
    world.gcs.put(slipped, b"{}", T0.replace(hour=4, minute=50))
    out = tmp_path / "proof.json"
    assert _deliver(world, ["--prove", slipped, "--output", str(out)]) == 1
    assert (
        json.loads(out.read_text())["verdict"]
        == "not in any seal (slipped in): auditkit-seals/2026/11/30/04.json does not list it"
    )
    world.gcs.put(sink_name(3, 0), b"{}", SEALED_AT)  # replaced: now in an unsealed hour
    assert _deliver(world, ["--prove", sink_name(3, 0), "--output", str(out)]) == 1
    assert (
        json.loads(out.read_text())["verdict"]
        == "no seal for the hour it was created in (auditkit-seals/2026/11/30/06.json)"
    )


def test_seal_options_default_to_a_day_back_for_a_first_seal():
    args = parse(["seal", "gcp", "--bucket", "b", "--key-version", f"{KEY}/cryptoKeyVersions/1"])
    options = seal_options(args, SEALED_AT)
    assert options.since == SEALED_AT - timedelta(days=1) and options.settle == timedelta(minutes=30)
    args = parse(
        ["seal", "gcp", "--bucket", "b", "--key-version", f"{KEY}/cryptoKeyVersions/1", "--since", "2026-11-01"]
    )
    assert seal_options(args, SEALED_AT).since == T0.replace(day=1, hour=0)
    with pytest.raises(ConfigError, match="--since"):
        seal_options(parse(["seal", "gcp", "--bucket", "b", "--key-version", "x", "--since", "soon"]), SEALED_AT)


_VARS = {
    "AUDITKIT_SEAL_GCS_BUCKET": "acme-audit-archive",
    "AUDITKIT_SEAL_GCP_KEY_VERSION": f"{KEY}/cryptoKeyVersions/3",
    "AUDITKIT_SEAL_AZURE_CONTAINER": "https://acmeauditlogs.blob.core.windows.net/insights-logs-auditevent",
    "AUDITKIT_SEAL_AZURE_KEY_ID": "https://acme-seal-kv.vault.azure.net/keys/auditkit-seal/9885aa558e8d448789683188f8c194b0",
}


def _argv_of(script: str) -> list[str]:
    """The arguments a workflow step hands `auditkit`, as bash expands them (the repository variables filled in)."""
    import re
    import subprocess

    filled = re.sub(r"\$\{\{ vars\.(\w+) \}\}", lambda m: _VARS[m.group(1)], script)
    shell = "auditkit() { printf '%s\\0' \"$@\"; }\n" + filled
    out = subprocess.run(["bash", "-c", shell], capture_output=True, text=True, check=True).stdout
    return out.split("\0")[:-1]


def test_the_scheduled_workflow_seals_then_verifies_each_archive_with_commands_the_cli_accepts():
    from pathlib import Path

    import yaml

    wf = yaml.safe_load(Path(".github/workflows/drift-scan.yml").read_text())
    steps = {s.get("id") or s.get("uses") or s.get("name"): s for s in wf["jobs"]["seal"]["steps"]}
    gcp = parse(_argv_of(steps["seal-gcp"]["run"]))
    assert (gcp.command, gcp.cloud, gcp.bucket, gcp.key_version) == (
        "seal",
        "gcp",
        "acme-audit-archive",
        f"{KEY}/cryptoKeyVersions/3",
    )
    azure = parse(_argv_of(steps["seal-azure"]["run"]))
    assert (azure.cloud, azure.key_id) == ("azure", _VARS["AUDITKIT_SEAL_AZURE_KEY_ID"])
    verify_gcp = parse(_argv_of(steps["verify-gcp"]["run"]))
    assert (verify_gcp.command, verify_gcp.key, verify_gcp.checkpoint) == ("verify", KEY, "seal-state/gcp.json")
    verify_azure = parse(_argv_of(steps["verify-azure"]["run"]))
    assert verify_azure.key == "https://acme-seal-kv.vault.azure.net/keys/auditkit-seal"
    assert verify_azure.checkpoint == "seal-state/azure.json"
    # each cloud's steps run only when its archive is named, after that cloud's federated sign-in
    order = list(steps)
    assert order.index("google-github-actions/auth@v2") < order.index("seal-gcp") < order.index("verify-gcp")
    assert order.index("azure/login@v2") < order.index("seal-azure") < order.index("verify-azure")
    for step, var in (("seal-gcp", "GCS_BUCKET"), ("verify-gcp", "GCS_BUCKET"), ("seal-azure", "AZURE_CONTAINER")):
        assert steps[step]["if"] == f"vars.AUDITKIT_SEAL_{var} != ''"
    cached = [s for s in wf["jobs"]["seal"]["steps"] if s.get("with", {}).get("path") == "seal-state"]
    assert [s["uses"].split("@")[0] for s in cached] == ["actions/cache/restore", "actions/cache/save"]
    assert wf["permissions"]["id-token"] == "write"


def test_the_readme_seal_cron_lines_run_commands_the_cli_accepts():
    import re
    import shlex
    from pathlib import Path

    lines = [
        ln for ln in Path("README.md").read_text().splitlines() if re.match(r"^(40 \* \* \* \*|47 6 \* \* \*) ", ln)
    ]
    assert len(lines) == 2
    commands = [ln.split(None, 5)[5].split(" && ", 1)[1].split(" >> ")[0] for ln in lines]
    seal, verify = (parse(shlex.split(c.replace("$(date +\\%F)", "2026-12-01"))[1:]) for c in commands)
    assert (seal.command, seal.cloud, seal.format) == ("seal", "gcp", "json")
    assert seal.key_version.startswith(verify.key + "/cryptoKeyVersions/")
    assert (verify.command, verify.checkpoint) == ("verify", "/var/lib/auditkit/seal-gcp.json")
    seal_options(seal, SEALED_AT)  # accepted as written
    verify_cli.options_from(verify, SEALED_AT)

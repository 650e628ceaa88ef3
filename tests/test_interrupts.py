"""Ctrl-C: `scan`, `verify`, `plan` and `demo` stop with exit 130 and one line that says what was written.

Real processes get a real SIGINT mid-run: while a call waits on a loopback server that never answers, or
once the command has said it reached a step.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from auditkit.policies.alerts.catalog import control_ids
from tests.aws_accounts import shipped_baseline

# Slow (real processes interrupted mid-run): left out of `make test`, run by `make test-slow` (CI runs both).
pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
INTERRUPTED = "auditkit: interrupted (Ctrl-C); "


class SilentServer:
    """Accepts connections and never answers: every call to it waits until the client gives up."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.accepted = threading.Event()
        self.held: list[socket.socket] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(conn)
            self.accepted.set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def close(self) -> None:
        for conn in self.held:
            conn.close()
        self.sock.close()


@pytest.fixture
def silent() -> Iterator[SilentServer]:
    server = SilentServer()
    yield server
    server.close()


def start(argv: list[str], cwd: Path, **env: str) -> subprocess.Popen[str]:
    """`auditkit ARGV` as a terminal starts it: SIGINT at its default, so Python turns it into Ctrl-C."""
    return subprocess.Popen(
        [sys.executable, "-m", "auditkit", *argv],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(REPO), **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def wait_for_line(proc: subprocess.Popen[str], marker: str) -> list[str]:
    """stderr lines up to and including the first holding `marker`."""
    assert proc.stderr is not None
    lines = []
    for line in proc.stderr:
        lines.append(line)
        if marker in line:
            return lines
    raise AssertionError(f"{marker!r} never appeared: {''.join(lines)}")


def interrupt(proc: subprocess.Popen[str]) -> tuple[int, list[str]]:
    """Ctrl-C; the exit code and the stderr lines written after it."""
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    return proc.returncode, err.splitlines()


def aws_env(endpoint: str) -> dict[str, str]:
    return {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "k",
        "AWS_SECRET_ACCESS_KEY": "s",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_MAX_ATTEMPTS": "1",
    }


def test_scan_interrupted_before_anything_was_judged_writes_nothing_and_says_so(silent, tmp_path):
    out = tmp_path / "scan.json"
    proc = start(
        ["scan", "aws", "--region", "us-east-1", "--format", "json", "--output", str(out)],
        tmp_path,
        **aws_env(silent.url),
    )
    assert silent.accepted.wait(60)
    code, err = interrupt(proc)
    assert code == 130
    assert err == [f"{INTERRUPTED}no report written: nothing had been judged yet (aws not finished)"]
    assert not out.exists()


AWS_AND_GCP = """config:
  auditkit:jurisdictions: [CA]
  auditkit:clouds: [aws, gcp]
  auditkit:aws:
    trailName: auditkit-test
  auditkit:gcp:
    scope: project
    projectId: acme-prod
    archiveProject: acme-audit
"""


def service_account_key(tmp_path: Path, token_uri: str) -> Path:
    """A key file as the IAM console downloads it (google-auth's service_account_info fields)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    info = {
        "type": "service_account",
        "project_id": "acme-prod",
        "private_key_id": "0123456789abcdef",
        "private_key": pem.decode(),
        "client_email": "auditkit-scan@acme-prod.iam.gserviceaccount.com",
        "client_id": "112233445566778899",
        "token_uri": token_uri,
    }
    path = tmp_path / "key.json"
    path.write_text(json.dumps(info))
    return path


def test_scan_all_interrupted_after_aws_writes_aws_as_an_incomplete_report(
    boto_session, aws_emulator, silent, tmp_path
):
    shipped_baseline(boto_session)
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "Pulumi.both.yaml").write_text(AWS_AND_GCP)
    # Google's token endpoint never answers: AWS has been scanned and judged by the time GCP asks it.
    adc = service_account_key(tmp_path, silent.url)
    out = tmp_path / "scan.json"
    argv = ["scan", "all", "--stack", "both", "--region", "us-east-1", "--format", "json", "--output", str(out)]
    proc = start(argv, tmp_path, **aws_env(aws_emulator), GOOGLE_APPLICATION_CREDENTIALS=str(adc))
    assert silent.accepted.wait(120)
    code, err = interrupt(proc)
    assert code == 130
    doc = json.loads(out.read_text())
    assert err == [
        f'{INTERRUPTED}incomplete report ({len(doc["findings"])} findings, "complete": false) written to {out}'
        " (gcp not finished; aws finished)"
    ]
    assert doc["summary"]["complete"] is False
    assert doc["summary"]["interrupted"].startswith("Ctrl-C: gcp not finished; aws finished")
    assert {f["control"].split(".")[0] for f in doc["findings"]} == {"aws"}
    assert doc["summary"]["PASS"] == 12 + len(control_ids("aws")) and doc["command"] == "scan all"


def test_verify_interrupted_says_no_report_was_written(silent, tmp_path):
    proc = start(["verify", "aws", "--region", "us-east-1"], tmp_path, **aws_env(silent.url))
    assert silent.accepted.wait(60)
    code, err = interrupt(proc)
    assert (code, err) == (130, [f"{INTERRUPTED}no report written"])


def test_plan_interrupted_mid_render(tmp_path):
    # No ./stacks here: the note about the shipped example comes before the render starts.
    proc = start(["plan", "--stack", "demo"], tmp_path)
    wait_for_line(proc, "using the example stack shipped with AuditKit")
    code, err = interrupt(proc)
    assert (code, err) == (130, [f"{INTERRUPTED}no report written"])


def test_demo_interrupted_names_the_reports_of_the_finished_steps(tmp_path):
    proc = start(["demo", "--reports", "out"], tmp_path)
    wait_for_line(proc, "2. Apply what the AWS components render")
    code, err = interrupt(proc)
    assert code == 130
    assert "Traceback" not in "\n".join(err)
    assert err[-1] == (
        f"{INTERRUPTED}the reports of the finished steps (1-console-defaults) are in out/; the later steps did not run"
    )
    assert json.loads((tmp_path / "out" / "1-console-defaults.json").read_text())["summary"]["FAIL"] > 0

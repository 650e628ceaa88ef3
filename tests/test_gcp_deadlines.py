"""Every GCP call has a deadline (--timeout, default 20 s) and the scan a retry budget.

Reported: with a key file and no route to Google, the scan took 161 s to say ERROR (google-auth's token
request waits up to 120 s by default; the clients retried on their own). Now the credentials are refreshed
once with the deadline, the clients' own retries are off, and transient failures share one budget.
"""

import json
import re
import socket
import time

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from auditkit.auditors.cli import main
from auditkit.auditors.findings import Status
from auditkit.auditors.gcp.calls import ATTEMPTS
from auditkit.auditors.gcp.scan import RETRIES_PER_SCAN
from tests.fakes.gcp_world import ORG, PROJECT, scan

# Slow (deadlines waited out against endpoints that never answer): left out of `make test`, run by
# `make test-slow` (CI runs both).
pytestmark = pytest.mark.slow


class Endpoint:
    """What a scan sees at the fake's address, so that scan() can be pointed at a dead or silent one."""

    def __init__(self, url: str) -> None:
        self.http_endpoint = url


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_no_route_to_google_ends_as_error_quickly():
    started = time.monotonic()
    report = scan(Endpoint(f"http://127.0.0.1:{closed_port()}"), targets=(PROJECT, ORG), timeout=2)
    elapsed = time.monotonic() - started
    assert report.findings and {f.status for f in report.findings} == {Status.ERROR}
    assert "Unreachable" in report.findings[0].message
    assert elapsed < 15, elapsed  # a bound on behaviour (retry budget), not a speed benchmark


def test_a_silent_endpoint_times_out_per_call():
    with socket.socket() as silent:  # accepts connections (backlog) and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        started = time.monotonic()
        report = scan(Endpoint(f"http://127.0.0.1:{silent.getsockname()[1]}"), timeout=0.3)
        elapsed = time.monotonic() - started
    assert {f.status for f in report.findings} == {Status.ERROR}
    assert "Timeout" in report.findings[0].message
    assert elapsed < 15, elapsed


def test_a_transient_outage_is_retried_within_the_budget(gcp):
    gcp.unavailable[f"/v3/{PROJECT}"] = ATTEMPTS - 1
    report = scan(gcp)
    assert {f.control: f.status for f in report.findings}["gcp.audit.data_access"] is Status.PASS
    assert gcp.requests.count(f"GET /v3/{PROJECT}") == ATTEMPTS


def test_a_lasting_outage_stops_after_the_attempts_and_is_an_error(gcp):
    gcp.unavailable[f"/v3/{PROJECT}"] = 100
    report = scan(gcp)
    access = next(f for f in report.findings if f.control == "gcp.audit.data_access")
    assert access.status is Status.ERROR
    assert "could not read GetProject (projects/acme-prod, ): ServiceUnavailable: " in access.message
    assert gcp.requests.count(f"GET /v3/{PROJECT}") == ATTEMPTS


def test_the_retry_budget_is_shared_by_the_whole_scan(gcp):
    for i in range(8):
        gcp.nodes[f"projects/p{i}"] = {"parent": ORG}
        gcp.unavailable[f"/v3/projects/p{i}"] = 100
    scan(gcp, targets=tuple(f"projects/p{i}" for i in range(8)))
    # GetProject of each (its alerting's listings, under the same path, find the budget spent by then).
    assert sum(re.fullmatch(r"GET /v3/projects/p\d", r) is not None for r in gcp.requests) == 8 + RETRIES_PER_SCAN


def _key_file(tmp_path, token_uri: str):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    path = tmp_path / "key.json"
    path.write_text(
        json.dumps(
            {
                "type": "service_account",
                "project_id": "acme-prod",
                "private_key_id": "0123456789abcdef",
                "private_key": pem.decode(),
                "client_email": "auditkit-scan@acme-prod.iam.gserviceaccount.com",
                "client_id": "112233445566778899",
                "token_uri": token_uri,
            }
        )
    )
    return path


def test_a_key_file_without_a_route_to_google_is_an_error_in_seconds(tmp_path, monkeypatch, capsys):
    """As a new user: a service-account key file whose token endpoint cannot be reached."""
    monkeypatch.setenv(
        "GOOGLE_APPLICATION_CREDENTIALS", str(_key_file(tmp_path, f"http://127.0.0.1:{closed_port()}/token"))
    )
    started = time.monotonic()
    code = main(["scan", "gcp", "--project", "acme-prod", "--timeout", "2", "--format", "json"])
    elapsed = time.monotonic() - started
    doc = json.loads(capsys.readouterr().out)
    assert code == 2
    assert [(f["control"], f["status"]) for f in doc["findings"]] == [("gcp.audit.data_access", "ERROR")]
    assert doc["findings"][0]["message"].startswith("Unreachable: ")
    assert elapsed < 15, elapsed


def test_a_timeout_that_is_not_positive_is_refused_before_any_call(capsys):
    assert main(["scan", "gcp", "--project", "acme-prod", "--timeout", "0"]) == 2
    err = capsys.readouterr().err
    assert "--timeout" in err and "greater than 0" in err

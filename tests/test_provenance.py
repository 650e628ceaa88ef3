"""Every report says what ran, when (UTC), with which version, over which scope and retention rule.

Checked on a scan that could read nothing (the endpoint refuses connections): the report is still
written, ERROR says so, and the provenance fields are there in every format.
"""

from __future__ import annotations

import json
import re
import socket
from xml.etree import ElementTree as ET

import pytest

from auditkit import __version__
from auditkit.auditors.cli import main

ISO_Z = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


@pytest.fixture
def unreachable_aws(monkeypatch):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "x")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "x")
    monkeypatch.delenv("AWS_PROFILE", raising=False)


def test_a_scan_that_read_nothing_still_writes_provenance_in_every_format(unreachable_aws, tmp_path, capsys):
    argv = ["scan", "aws", "--region", "eu-west-1", "--timeout", "2", "--jurisdiction", "CA"]
    code = main([*argv, "--format", "json", "--output", str(tmp_path / "r.json"), "--report-dir", str(tmp_path)])
    assert code == 2
    doc = json.loads((tmp_path / "r.json").read_text())
    assert doc["tool"] == {"name": "auditkit", "version": __version__}
    assert doc["command"] == "scan aws"
    assert ISO_Z.fullmatch(doc["started_at"]) and ISO_Z.fullmatch(doc["finished_at"])
    assert doc["started_at"] <= doc["finished_at"]
    assert doc["scope"]["regions"] == ["eu-west-1"]
    assert doc["scope"]["accounts"] == ["the caller's account"]
    assert doc["retention"] == "7 years (2557 days) per 22 CCR 72543"
    assert {f["status"] for f in doc["findings"]} == {"ERROR"}

    sarif = json.loads((tmp_path / "scan.sarif").read_text())
    run = sarif["runs"][0]
    assert run["tool"]["driver"]["version"] == __version__
    inv = run["invocations"][0]
    assert (inv["startTimeUtc"], inv["endTimeUtc"]) == (doc["started_at"], doc["finished_at"])
    assert inv["executionSuccessful"] is False

    junit = ET.parse(tmp_path / "scan.junit.xml").getroot()
    props = {p.get("name"): p.get("value") for p in junit.iter("property")}
    assert junit.get("timestamp") == doc["started_at"]
    assert props["tool"] == f"auditkit {__version__}" and props["finished_at"] == doc["finished_at"]
    assert json.loads(props["scope"])["regions"] == ["eu-west-1"]

    line = f"auditkit {__version__} · scan aws · {doc['started_at']} to {doc['finished_at']}"
    assert line in (tmp_path / "scan.md").read_text()
    assert line in (tmp_path / "scan.html").read_text()
    assert "retention 7 years" in (tmp_path / "scan.md").read_text()

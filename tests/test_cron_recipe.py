"""The README's cron line, run as written: day one has no baseline yet, day two reads day one's report."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.aws_accounts import shipped_baseline

# Slow (a year of scheduled runs under faketime): left out of `make test`, run by `make test-slow` (CI runs both).
pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent


def readme_cron_command() -> str:
    """The command part of the README's crontab line, as cron hands it to the shell (`\\%` is a `%`)."""
    lines = [line for line in (REPO / "README.md").read_text().splitlines() if line.startswith("17 6 * * *")]
    assert len(lines) == 1, lines
    return re.sub(r"\\%", "%", lines[0].split(None, 5)[5])


def install_root(tmp: Path) -> Path:
    """What the recipe assumes at /opt/auditkit: a virtualenv's `auditkit` and a `stacks/` folder."""
    root = tmp / "opt-auditkit"
    (root / ".venv" / "bin").mkdir(parents=True)
    (root / "stacks").symlink_to(REPO / "stacks")
    entry = root / ".venv" / "bin" / "auditkit"
    entry.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m auditkit "$@"\n')
    entry.chmod(0o755)
    return root


def run_on(day: str, command: str, tmp: Path, endpoint: str) -> subprocess.CompletedProcess[str]:
    """The line under `bash -c` with `date` answering `day` (a shim first on PATH)."""
    shims = tmp / "shims"
    shims.mkdir(exist_ok=True)
    (shims / "date").write_text(f"#!/bin/sh\necho {day}\n")
    (shims / "date").chmod(0o755)
    env = {
        **os.environ,
        "PATH": f"{shims}:{os.environ['PATH']}",
        "PYTHONPATH": str(REPO),
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "cron",
        "AWS_SECRET_ACCESS_KEY": "cron",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    return subprocess.run(["bash", "-c", command], env=env, capture_output=True, text=True, timeout=300)


def test_the_readme_cron_line_starts_on_day_one_and_keeps_going(boto_session, aws_emulator, tmp_path):
    shipped_baseline(boto_session)  # 7 years (CA); the production stack asks 21: gaps on both days
    state = tmp_path / "var-lib-auditkit"
    state.mkdir()
    command = readme_cron_command().replace("/opt/auditkit", str(install_root(tmp_path)))
    command = command.replace("/var/lib/auditkit", str(state))

    first = run_on("2026-12-01", command, tmp_path, aws_emulator)
    assert first.returncode == 0, first.stderr  # the `cp` ran: day one's report exists
    assert f"--baseline {state}/latest.json does not exist yet: first run: every gap counts as new" in first.stderr
    day_one = json.loads((state / "2026-12-01" / "scan.json").read_text())
    assert day_one["summary"]["FAIL"] > 0
    assert {f.get("baseline") for f in day_one["findings"] if f["status"] != "PASS"} == {"new"}
    assert json.loads((state / "latest.json").read_text()) == day_one

    second = run_on("2026-12-02", command, tmp_path, aws_emulator)
    assert second.returncode == 0, second.stderr
    assert "first run" not in second.stderr
    day_two = json.loads((state / "2026-12-02" / "scan.json").read_text())
    # Read against day one: the same gaps are still open, none new, so `--fail-on new` lets the day pass.
    assert {f.get("baseline") for f in day_two["findings"] if f["status"] != "PASS"} == {"open"}
    assert day_two["summary"]["baseline"] == {"new": 0, "open": day_one["summary"]["FAIL"], "resolved": 0}
    assert json.loads((state / "latest.json").read_text()) == day_two

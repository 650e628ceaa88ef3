"""`auditkit plan` ends cleanly: the Pulumi SDK's event loops are closed before the interpreter collects them.

Left open, they are collected at exit in no fixed order; when a loop's self-pipe goes first, asyncio prints
an "Exception ignored ... Invalid file descriptor" traceback (about one run in twenty).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "PYTHONPATH": str(REPO)}
PLAN = ["plan", "--stack", "demo", "--stacks-dir", str(REPO / "stacks"), "--output", os.devnull]

# The command line as the console script runs it (main() reads sys.argv), then what is left to collect.
AFTER_MAIN = """
import asyncio, gc, sys
from auditkit.auditors.cli import main
sys.argv = ["auditkit", *sys.argv[1:]]
code = main()
open_loops = [o for o in gc.get_objects() if isinstance(o, asyncio.BaseEventLoop) and not o.is_closed()]
print(f"exit {code}, open loops {len(open_loops)}")
"""


@pytest.mark.slow
def test_plan_leaves_no_event_loop_open_when_the_process_ends(tmp_path):
    out = subprocess.run(
        [sys.executable, "-c", AFTER_MAIN, *PLAN], env=ENV, cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert out.stdout.strip() == "exit 0, open loops 0", out.stderr


def test_main_called_with_arguments_keeps_the_loops_for_the_next_render(capsys):
    """Tests (and any caller passing argv) render many times in one process: nothing is closed between."""
    from auditkit.auditors.cli import main

    assert main(PLAN) == 0
    assert main(PLAN) == 0
    assert re.search(r"\d+ resources; \d+ control checks pass, 0 gaps", capsys.readouterr().err)


def _plan_once(cwd: Path) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "auditkit", *PLAN], env=ENV, cwd=cwd, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr
    return out.stderr


@pytest.mark.slow
def test_fifty_plans_print_no_traceback_at_exit(tmp_path):
    with ThreadPoolExecutor(4) as pool:
        stderrs = list(pool.map(_plan_once, [tmp_path] * 50))
    dirty = [e for e in stderrs if "Exception ignored" in e or "Traceback" in e]
    assert dirty == [], f"{len(dirty)} of 50 runs:\n{dirty[0]}"

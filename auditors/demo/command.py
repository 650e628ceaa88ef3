"""`auditkit demo`: the whole story on an embedded AWS emulator, no credentials (see story.py)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from auditkit.auditors.report_delivery import Interrupted

# The distribution and its extra that bring the emulator (moto's server).
DEMO_EXTRA = "pip install 'pulumi-auditkit[demo]'"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--reports", default="reports", help="folder for the HTML, SARIF and JSON reports")


def run(args: argparse.Namespace) -> int:
    try:
        import moto.server  # noqa: F401  # the `demo` extra: a checked install, not a bare ImportError
    except ImportError as exc:
        print(
            f"error: `auditkit demo` needs its AWS emulator (moto), which is not installed ({exc}): {DEMO_EXTRA}",
            file=sys.stderr,
        )
        return 2
    from auditkit.auditors.demo.story import run_demo  # the emulator, boto3 and the Pulumi SDK: only for the demo

    folder, started = Path(args.reports), time.time()
    try:
        return run_demo(folder)
    except KeyboardInterrupt:
        raise Interrupted(said=_finished_steps(folder, started)) from None


def _finished_steps(folder: Path, started: float) -> str:
    """What Ctrl-C left: each step writes its reports once it is done."""
    written = [p for p in folder.glob("*.json") if p.stat().st_mtime >= started - 1]
    if not written:
        return "no report written: no step had finished"
    steps = ", ".join(sorted(p.stem for p in written))
    return f"the reports of the finished steps ({steps}) are in {folder}/; the later steps did not run"

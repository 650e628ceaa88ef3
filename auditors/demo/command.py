"""`auditkit demo`: the whole story on an embedded AWS emulator, no credentials (see story.py)."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--reports", default="reports", help="folder for the HTML, SARIF and JSON reports")


def run(args: argparse.Namespace) -> int:
    from auditkit.auditors.demo.story import run_demo  # the emulator, boto3 and the Pulumi SDK: only for the demo

    return run_demo(Path(args.reports))

"""Fault tolerance bars (issue 24): printed figures, not timed tests.

The demo's clean account (the console's defaults, then what the AWS components render for stack `demo`,
the console trail retired) on the embedded emulator, scanned through tests/fault_proxy.py:

1. One call that never answers (GetEventSelectors stalls): `scan aws --timeout 2` with the default 6
   attempts must end within 2 s x 6 + a small margin.
2. Every call drips one byte every 2 s: `scan aws --deadline 30` must end within 35 s, with its report
   written (every verdict ERROR, exit 2).
3. A 2 % random mix of transient faults on every request (5xx, throttling, reset, a body cut short, an
   empty 200, half a body): the clean verdicts in at least 49 of 50 runs.

Run: .venv/bin/python benchmarks/fault_tolerance.py [--runs 50] [--seed 24]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import boto3  # noqa: E402

from auditkit.auditors.aws.clients import attempts  # noqa: E402
from auditkit.auditors.aws.scan import AwsScanOptions, scan_aws  # noqa: E402
from auditkit.auditors.cli import main as cli  # noqa: E402
from auditkit.auditors.demo.emulator_apply import apply_rendered  # noqa: E402
from auditkit.auditors.demo.story import CONSOLE_TRAIL, REGIONS, STACKS, aws_emulator, console_defaults  # noqa: E402
from auditkit.components.mock_engine import render  # noqa: E402
from auditkit.components.stack import build_stack  # noqa: E402
from auditkit.settings.stack_settings import read_stack_file  # noqa: E402
from tests.fault_proxy import Fault, FaultProxy  # noqa: E402

TRANSIENT = ("unavailable", "throttle", "reset", "short", "empty", "half")
MARGIN = 3.0  # seconds beyond timeout x attempts: the rest of the scan around the stalled call


def demo_account(session: boto3.Session) -> None:
    settings = read_stack_file(STACKS / "Pulumi.demo.yaml")
    console_defaults(session)
    region = settings.aws.region if settings.aws else "us-east-1"
    apply_rendered(render(lambda: build_stack(settings), settings.name, region=region), session)
    session.client("cloudtrail").delete_trail(Name=CONSOLE_TRAIL)


def scan_cli(proxy: FaultProxy, folder: Path, *args: str) -> tuple[int, float, dict | None]:
    """`auditkit scan aws` through the proxy: exit code, seconds, the JSON report it wrote."""
    out = folder / f"report-{time.monotonic_ns()}.json"
    region_args = [a for r in REGIONS for a in ("--region", r)]
    os.environ["AWS_ENDPOINT_URL"] = proxy.endpoint
    started = time.monotonic()
    code = cli(["scan", "aws", *region_args, *args, "--format", "json", "--output", str(out)])
    seconds = time.monotonic() - started
    return code, seconds, json.loads(out.read_text()) if out.exists() else None


def verdicts(report) -> set[tuple[str, str, str]]:
    return {(f.control, f.resource, f.status.value) for f in report.findings}


def stalled_call(upstream: str, folder: Path) -> bool:
    proxy = FaultProxy(upstream, [Fault(lambda c: c.operation == "GetEventSelectors", "stall", seconds=600)])
    try:
        code, seconds, doc = scan_cli(proxy, folder, "--timeout", "2")
    finally:
        proxy.close()
    bound = 2 * attempts()
    errors = sum(f["status"] == "ERROR" for f in (doc or {}).get("findings", []))
    ok = seconds <= bound + MARGIN and code == 2 and doc is not None
    print(
        f"1. one call never answers (--timeout 2, {attempts()} attempts): ended in {seconds:.1f} s "
        f"(bound {bound} s + {MARGIN:g} s margin), exit {code}, {errors} ERROR verdict(s), report written: "
        f"{doc is not None}  [{'ok' if ok else 'MISSED'}]"
    )
    return ok


def dripping_run(upstream: str, folder: Path) -> bool:
    proxy = FaultProxy(upstream, [Fault(lambda c: True, "drip", seconds=2.0)])
    try:
        code, seconds, doc = scan_cli(proxy, folder, "--deadline", "30")
    finally:
        proxy.close()
    findings = (doc or {}).get("findings", [])
    statuses = sorted({f["status"] for f in findings})
    ok = seconds <= 35 and code == 2 and doc is not None and statuses == ["ERROR"]
    print(
        f"2. every call drips a byte every 2 s (--deadline 30): ended in {seconds:.1f} s (bar 35 s), exit {code}, "
        f"report written with {len(findings)} verdict(s), statuses {statuses}  [{'ok' if ok else 'MISSED'}]"
    )
    return ok


def random_faults(upstream: str, runs: int, seed: int) -> bool:
    rng = random.Random(seed)
    share = 0.02 / len(TRANSIENT)
    os.environ["AWS_ENDPOINT_URL"] = upstream
    options = AwsScanOptions(read_stack_file(STACKS / "Pulumi.demo.yaml").retention, regions=REGIONS)
    clean = verdicts(scan_aws(options))
    faults = [Fault(lambda c: rng.random() < share, kind) for kind in TRANSIENT]
    proxy = FaultProxy(upstream, faults)
    os.environ["AWS_ENDPOINT_URL"] = proxy.endpoint
    good, seconds, requests, missed = 0, [], 0, []
    try:
        for run in range(runs):
            before = len(proxy.seen)
            started = time.monotonic()
            report = scan_aws(options)
            seconds.append(time.monotonic() - started)
            requests += len(proxy.seen) - before
            if verdicts(report) == clean:
                good += 1
            else:
                missed.append((run, sorted(verdicts(report) - clean)[:3]))
    finally:
        proxy.close()
    injected = {f.kind: f.hits for f in faults}
    ok = good >= runs - runs // 50
    print(
        f"3. 2 % random transient faults over {runs} scans of the demo account ({requests} requests, "
        f"{sum(injected.values())} faults injected: {injected}): clean verdicts in {good}/{runs} runs "
        f"(bar {runs - runs // 50}/{runs}); seconds per scan: median {sorted(seconds)[len(seconds) // 2]:.2f}, "
        f"max {max(seconds):.2f}  [{'ok' if ok else 'MISSED'}]"
    )
    for run, diff in missed:
        print(f"   run {run}: {diff}")
    return ok


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=50)
    p.add_argument("--seed", type=int, default=24)
    args = p.parse_args()
    with aws_emulator() as upstream, tempfile.TemporaryDirectory() as tmp:
        demo_account(boto3.Session(region_name="us-east-1"))
        print(f"demo account on the emulator at {upstream}; scans through tests/fault_proxy.py")
        results = [stalled_call(upstream, Path(tmp)), dripping_run(upstream, Path(tmp))]
        results.append(random_faults(upstream, args.runs, args.seed))
        os.environ["AWS_ENDPOINT_URL"] = upstream
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())

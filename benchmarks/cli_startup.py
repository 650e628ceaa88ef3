"""How long the `auditkit` command takes to answer, from process start (median of 5 runs).

`--help` and `scan aws --help` must not import the Pulumi SDK; `plan` renders a stack with it.
Run: `.venv/bin/python benchmarks/cli_startup.py` (or `make bench`).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

CLI = Path(sys.executable).with_name("auditkit")
CASES = (
    ("auditkit --version", ["--version"]),
    ("auditkit --help", ["--help"]),
    ("auditkit scan aws --help", ["scan", "aws", "--help"]),
    ("auditkit plan --stack demo", ["plan", "--stack", "demo", "--output", "/dev/null"]),
)


def seconds(argv: list[str], runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([str(CLI), *argv], check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    print(f"{'command':<32} {'seconds (median of 5)':>22}")
    for label, argv in CASES:
        print(f"{label:<32} {seconds(argv):>22.3f}")


if __name__ == "__main__":
    main()

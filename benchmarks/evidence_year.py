"""`auditkit evidence` over a year: 365 days x 3 clouds x 1,000 findings a day (1,095 chained reports).

The history is written once with the real chain code into a temporary folder (not timed); then the
package is built end to end (read, chain check, judge, HTML, OSCAL, CSV, 12 sampled days, manifest).
Target: under 10 s on this machine. Run: make bench
"""

from __future__ import annotations

import os
import random
import shutil
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from auditkit.auditors.evidence.package import Request, build  # noqa: E402
from auditkit.auditors.evidence.timeline import Period  # noqa: E402
from auditkit.auditors.history.chain import append  # noqa: E402
from auditkit.auditors.history.stores import LocalStore  # noqa: E402
from tests.synthetic_history import day_report, resources  # noqa: E402

DAYS, CLOUDS, PER_RUN = 365, ("aws", "gcp", "azure"), 1000
START = date(2025, 1, 1)


def write_year(root: Path) -> list[str]:
    rng = random.Random(2025)
    sources = []
    for cloud in CLOUDS:
        store = LocalStore(str(root / cloud))
        pairs = resources(cloud, PER_RUN)
        failing: set = set()
        for i in range(DAYS):
            # a few gaps open and close over the year, so exceptions have something to measure
            if rng.random() < 0.05:
                failing.add(rng.choice(pairs))
            if failing and rng.random() < 0.1:
                failing.discard(rng.choice(sorted(failing)))
            append(store, day_report(START + timedelta(days=i), cloud, PER_RUN, failing=failing).as_json())
        sources.append(str(root / cloud))
    return sources


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="auditkit-evidence-bench-"))
    try:
        t0 = time.perf_counter()
        sources = write_year(tmp / "history")
        size = sum(p.stat().st_size for p in (tmp / "history").rglob("*.json"))
        print(
            f"history: {DAYS} days x {len(CLOUDS)} clouds x {PER_RUN} findings, {size / 1e6:.0f} MB, "
            f"written in {time.perf_counter() - t0:.1f} s (not timed below)"
        )
        period = Period(START, START + timedelta(days=DAYS - 1))
        runs, cpu = [], []
        for n in range(3):
            out = tmp / f"package-{n}"
            t, c = time.perf_counter(), time.process_time()
            code, ev, checks = build(Request(sources, period, out, sample=12, seed=7))
            runs.append(time.perf_counter() - t)
            cpu.append(time.process_time() - c)
        files = sum(1 for p in out.rglob("*") if p.is_file())
        print(
            f"package: exit {code}, {len(ev.runs)} runs, {len(ev.subjects)} control x resource timelines, "
            f"{len(ev.episodes)} exceptions, {files} files, index.html {(out / 'index.html').stat().st_size / 1e6:.1f} MB"
        )
        print(f"build seconds: best {min(runs):.2f}, median {sorted(runs)[1]:.2f}, worst {max(runs):.2f} (target < 10)")
        print(
            f"CPU seconds (all threads): median {sorted(cpu)[1]:.2f}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

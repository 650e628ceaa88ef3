"""`make bench`: the embedded review engine over a generated week of a busy account's CloudTrail.

The week (benchmarks/cloudtrail_week.py: >= --size-mb MB of gzipped CloudTrail JSON, 500 by default, cached in
the temp dir) is reviewed twice in the same run: (1) a plain Python `gzip` + `json.loads` loop over the files,
(2) the weekly review on the embedded engine (every query of the cadence, with the PHI bucket named, so the PHI
queries run too). Prints both side by side (wall and CPU seconds), the ratio, the peak memory of the process
(ru_maxrss) and how many times each log file was read. Bars: under 60 s, under 1 GB, at least 5x the loop,
each file read once. The machine may be shared: the load average is printed with the figures.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cloudtrail_week import PHI_BUCKET, week  # noqa: E402


def _cpu() -> float:
    u = resource.getrusage(resource.RUSAGE_SELF)
    return u.ru_utime + u.ru_stime


def _rchar() -> int:
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("rchar:"):
            return int(line.split()[1])
    return 0


def python_loop(files: list[Path]) -> tuple[int, float, float]:
    t0, c0, count = time.perf_counter(), _cpu(), 0
    for f in files:
        with gzip.open(f) as fh:
            count += len(json.loads(fh.read())["Records"])
    return count, time.perf_counter() - t0, _cpu() - c0


def _counting_reads(reads: Counter[str]) -> None:
    """Count every read of a log file the review makes (the review's own local_files, each read wrapped)."""
    from auditkit.auditors.review import run
    from auditkit.auditors.review.embedded import InputFile

    listed = run.local_files

    def wrap(name: str, read: Callable[[], bytes]) -> Callable[[], bytes]:
        def counted() -> bytes:
            data = read()
            reads[name] += len(data)
            return data

        return counted

    def local_files(folder: str, start: object, end: object) -> list[InputFile]:
        return [InputFile(f.name, wrap(f.name, f.read), f.size) for f in listed(folder, start, end)]  # type: ignore[arg-type]

    run.local_files = local_files  # type: ignore[assignment]


def _timing_ingest(spent: dict[str, float]) -> None:
    """Time the engine's ingest (read, hash, inflate, parse, insert) apart from the queries."""
    from auditkit.auditors.review.embedded import Embedded

    ingest = Embedded.ingest

    def timed(self: Embedded, *args: Any, **kwargs: Any) -> Any:
        t0, c0 = time.perf_counter(), _cpu()
        try:
            return ingest(self, *args, **kwargs)
        finally:
            spent["wall"], spent["cpu"] = time.perf_counter() - t0, _cpu() - c0

    Embedded.ingest = timed  # type: ignore[method-assign]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size-mb", type=int, default=500, help="gzipped MB of CloudTrail to review (bar: 500)")
    args = ap.parse_args()
    if args.size_mb < 1:
        ap.error(f"--size-mb {args.size_mb}: a whole number of MB, at least 1")
    from auditkit.auditors.review.periods import named
    from auditkit.auditors.review.run import ReviewRequest, review
    from auditkit.policies.review.catalog import Cadence, ReviewParams

    t0 = time.perf_counter()
    root, files = week(args.size_mb)
    size = sum(f.stat().st_size for f in files)
    print(
        f"{len(files)} files, {size / 2**20:.0f} MB gzipped CloudTrail JSON in {root} ({time.perf_counter() - t0:.1f} s)"
    )
    print(f"load average before: {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    count, loop, loop_cpu = python_loop(files)
    reads: Counter[str] = Counter()
    _counting_reads(reads)
    spent: dict[str, float] = {}
    _timing_ingest(spent)
    period = named(Cadence.WEEKLY, "2026-W48")
    rchar, t0, c0 = _rchar(), time.perf_counter(), _cpu()
    result = review(
        ReviewRequest(period, ReviewParams(period.start, period.end, phi_buckets=(PHI_BUCKET,)), logs=str(root))
    )
    took, took_cpu, rchar = time.perf_counter() - t0, _cpu() - c0, _rchar() - rchar
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    errors = [r for r in result.inputs if r.error] + [q for q in result.results if q.error]
    ran = [q for q in result.results if q.not_run is None and q.error is None]
    print(f"load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"{'':34}{'records':>10}{'wall s':>9}{'cpu s':>9}")
    print(f"{'python gzip + json.loads loop':34}{count:>10}{loop:>9.1f}{loop_cpu:>9.1f}")
    print(f"{'embedded weekly review':34}{result.records:>10}{took:>9.1f}{took_cpu:>9.1f}")
    print(f"{'  of which reading the files':34}{'':>10}{spent['wall']:>9.1f}{spent['cpu']:>9.1f}")
    print(f"queries: {len(ran)} ran, {len(result.results) - len(ran)} not run or failed; errors: {len(errors)}")
    once = sorted(Counter(n / f.stat().st_size for f in files if (n := reads[str(f)])).items())
    print(f"log file reads: {len(reads)} of {len(files)} files read; bytes read / file size: {once}")
    print(
        f"process rchar during the review: {rchar / size:.2f}x the files' size (the files once, plus DuckDB "
        "reading the same bytes back from the in-memory handoff)"
    )
    ratio = loop / took
    print(f"peak memory (whole process, ru_maxrss): {peak:.0f} MB; speed-up over the loop: {ratio:.1f}x wall")
    bars = {
        "under 60 s": took < 60,
        "under 1 GB": peak < 1024,
        "at least 5x the loop": ratio >= 5,
        "each file read once": len(reads) == len(files) and once == [(1.0, len(files))],
        "no errors": not errors and result.records == count,
    }
    for bar, ok in bars.items():
        print(f"  {'met' if ok else 'NOT met':8} {bar}")
    return 0 if all(bars.values()) else 1


if __name__ == "__main__":
    sys.exit(main())

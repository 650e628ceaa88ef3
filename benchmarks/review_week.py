"""`make bench`: the embedded review engine over a generated week of a busy account's CloudTrail.

The week (benchmarks/cloudtrail_week.py: >= --size-mb MB of gzipped CloudTrail JSON, 500 by default, cached in
the temp dir) is reviewed twice in the same run: (1) a plain Python `gzip` + `json.loads` loop over the files,
(2) the weekly review on the embedded engine (every query of the cadence, a break-glass role named so that one
runs too). Prints both side by side (wall and CPU seconds, the review's worker processes included), the ratio,
the peak memory of the review's processes (ru_maxrss), whether the review hashed every byte of every file, and
the bytes its processes read (the kernel's count). Bars: under 60 s, under 1 GB, at least 5x the loop, each
file read once. The machine may be shared: the load average is printed with the figures.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cloudtrail_week import PHI_BUCKET, week  # noqa: E402


def _cpu(who: int = resource.RUSAGE_SELF) -> float:
    u = resource.getrusage(who)
    return u.ru_utime + u.ru_stime


def _rchar(pid: int | str = "self") -> int:
    """Bytes the process has read (the kernel's count: files, pipes and all)."""
    for line in Path(f"/proc/{pid}/io").read_text().splitlines():
        if line.startswith("rchar:"):
            return int(line.split()[1])
    return 0


def python_loop(files: list[Path]) -> tuple[int, float, float]:
    t0, c0, count = time.perf_counter(), _cpu(), 0
    for f in files:
        with gzip.open(f) as fh:
            count += len(json.loads(fh.read())["Records"])
    return count, time.perf_counter() - t0, _cpu() - c0


def _counting_worker_reads(workers: list[int]) -> None:
    """Add up what the review's worker processes read (the kernel's count), taken just before they stop."""
    from concurrent.futures import ProcessPoolExecutor

    shutdown = ProcessPoolExecutor.shutdown

    def counted(self: ProcessPoolExecutor, *args: Any, **kwargs: Any) -> None:
        workers.extend(_rchar(pid) for pid in (self._processes or {}))  # type: ignore[attr-defined]
        shutdown(self, *args, **kwargs)

    ProcessPoolExecutor.shutdown = counted  # type: ignore[method-assign]


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
    t0 = time.perf_counter()
    root, files = week(args.size_mb)
    size = sum(f.stat().st_size for f in files)
    print(
        f"{len(files)} files, {size / 2**20:.0f} MB gzipped CloudTrail JSON in {root} ({time.perf_counter() - t0:.1f} s)"
    )
    print(f"load average before: {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    count, loop, loop_cpu = python_loop(files)
    m = _measured_review(root)
    result = m["result"]
    errors = [r for r in result.inputs if r.error] + [q for q in result.results if q.error]
    ran = [q for q in result.results if q.not_run is None and q.error is None]
    print(f"load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"{'':34}{'records':>10}{'wall s':>9}{'cpu s':>9}")
    print(f"{'python gzip + json.loads loop':34}{count:>10}{loop:>9.1f}{loop_cpu:>9.1f}")
    print(f"{'embedded weekly review':34}{result.records:>10}{m['took']:>9.1f}{m['cpu'] + m['workers_cpu']:>9.1f}")
    print(f"{'  of which the worker processes':34}{'':>10}{'':>9}{m['workers_cpu']:>9.1f}")
    print(f"{'  of which ingest (read, decode, keep)':34}{'':>10}{m['ingest']:>9.1f}{'':>9}")
    print(f"queries: {len(ran)} ran, {len(result.results) - len(ran)} not run or failed; errors: {len(errors)}")
    hashed = {r.name: r.sha256 for r in result.inputs}
    whole = sum(hashed.get(str(f)) == hashlib.sha256(f.read_bytes()).hexdigest() for f in files)
    rchar, workers = m["rchar"], m["workers"]
    # The kernel adds a reaped child's counts to its parent's: this process's rchar includes its workers'.
    print(
        f"log files: {whole} of {len(files)} hashed whole by the review (SHA-256 of every byte, as the worksheet "
        f"states it); bytes read during the review (the kernel's rchar, this process and its workers): "
        f"{rchar / size:.3f}x the files' size, of which {len(workers)} workers {sum(workers) / size:.3f}x (each "
        "file once, plus their Python modules; the rest: the kept records back from the in-memory handoff)"
    )
    ratio = loop / m["took"]
    total = m["peak"] + len(workers) * m["worker_peak"]
    print(
        f"peak memory: this process {m['peak']:.0f} MB + {len(workers)} workers <= {m['worker_peak']:.0f} MB each = "
        f"<= {total:.0f} MB; speed-up over the loop: {ratio:.1f}x wall"
    )
    bars = {
        "under 60 s": m["took"] < 60,
        "under 1 GB": total < 1024,
        "at least 5x the loop": ratio >= 5,
        "each file read once": whole == len(files) and rchar < 1.1 * size,
        "no errors": not errors and result.records == count,
    }
    for bar, ok in bars.items():
        print(f"  {'met' if ok else 'NOT met':8} {bar}")
    return 0 if all(bars.values()) else 1


def _measured_review(root: Path) -> dict[str, Any]:
    """The weekly review of the folder, with its wall time, CPU (its workers' apart), memory and bytes read."""
    from auditkit.auditors.review.periods import named
    from auditkit.auditors.review.run import ReviewRequest, review
    from auditkit.policies.review.catalog import Cadence, ReviewParams
    from auditkit.settings.review_settings import ReviewSettings

    workers: list[int] = []
    _counting_worker_reads(workers)
    spent: dict[str, float] = {}
    _timing_ingest(spent)
    period = named(Cadence.WEEKLY, "2026-W48")
    params = ReviewParams(
        period.start, period.end, (), (PHI_BUCKET,), None, ReviewSettings(break_glass=("BreakGlassAdmin",))
    )
    rchar, t0, c0, k0 = _rchar(), time.perf_counter(), _cpu(), _cpu(resource.RUSAGE_CHILDREN)
    result = review(ReviewRequest(period, params, logs=str(root)))
    return {
        "result": result,
        "took": time.perf_counter() - t0,
        "cpu": _cpu() - c0,
        "workers_cpu": _cpu(resource.RUSAGE_CHILDREN) - k0,
        "ingest": spent["wall"],
        "rchar": _rchar() - rchar,
        "workers": workers,
        "peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "worker_peak": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    }


if __name__ == "__main__":
    sys.exit(main())

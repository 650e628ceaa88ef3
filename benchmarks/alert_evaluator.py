"""Events per second of the compiled CloudWatch Logs filter-pattern evaluator over CloudTrail-shaped records.

Records: 120,000, cycled from every AWS corpus event (CloudTrail record shapes, corpus/cloudtrail.py) with the
event time and request id varied. Printed side by side, in the same run:
- compiled: the pattern parsed once, the closure applied to each parsed record;
- compiled from text: json.loads of the one-line message CloudWatch Logs receives, then the closure;
- re-parse per event: the naive evaluator that parses the pattern again for every event;
- regex on text: a Prowler-style regular expression over the message (fast, but it is not the pattern's meaning).
Bar (issue 25): at least 100,000 events per second for one filter. Run: python benchmarks/alert_evaluator.py
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Sequence
from typing import Any

from auditkit.policies.alerts.aws_alerts import AWS_ALERTS
from auditkit.policies.alerts.corpus.aws import CORPORA, EXAMPLE_PARAMETERS
from auditkit.policies.alerts.filter_pattern import as_message, compile_pattern

RECORDS = 120_000
REPEATS = 3
FILTERS = ("iam_policy_changes", "root_use", "unauthorized_calls", "phi_read_volume")


def records(n: int) -> list[dict[str, Any]]:
    base = [e.event for c in CORPORA.values() for e in c.must_match + c.must_not_match]
    out = []
    for i in range(n):
        rec = dict(base[i % len(base)])
        rec["eventTime"] = f"2024-05-01T12:{(i // 60) % 60:02d}:{i % 60:02d}Z"
        rec["requestID"] = f"req-{i:08d}"
        out.append(rec)
    return out


def best_rate(run: Callable[[], int], count: int) -> tuple[float, int]:
    times, matched = [], 0
    for _ in range(REPEATS):
        start = time.perf_counter()
        matched = run()
        times.append(time.perf_counter() - start)
    return count / min(times), matched


def measure(pattern: str, parsed: Sequence[dict[str, Any]], lines: Sequence[str]) -> dict[str, tuple[float, int]]:
    compiled = compile_pattern(pattern)
    few = parsed[: len(parsed) // 20]  # re-parsing is slow: time a twentieth and report the rate
    names = re.findall(r'eventName = "([A-Za-z]+)"', pattern)
    text_check = re.compile(r'"eventName":"(' + "|".join(names) + ')"') if names else None
    rows = {
        "compiled": best_rate(lambda: sum(compiled.matches(r) for r in parsed), len(parsed)),
        "compiled from text": best_rate(lambda: sum(compiled.matches(json.loads(m)) for m in lines), len(lines)),
        "re-parse per event": best_rate(lambda: sum(compile_pattern(pattern).matches(r) for r in few), len(few)),
    }
    if text_check is not None:
        rows["regex on text"] = best_rate(lambda: sum(bool(text_check.search(m)) for m in lines), len(lines))
    return rows


def main() -> None:
    parsed = records(RECORDS)
    lines = [as_message(r) for r in parsed]
    print(f"{len(parsed):,} CloudTrail records; best of {REPEATS} runs")
    print(f"{'filter':<22} {'evaluator':<20} {'events/s':>12} {'matched':>8}")
    for alert_id in FILTERS:
        pattern = AWS_ALERTS[alert_id].render(EXAMPLE_PARAMETERS)
        for kind, (rate, matched) in measure(pattern, parsed, lines).items():
            print(f"{alert_id:<22} {kind:<20} {rate:>12,.0f} {matched:>8,}")
    every = [compile_pattern(a.render(EXAMPLE_PARAMETERS)) for a in AWS_ALERTS.values()]
    rate, matched = best_rate(lambda: sum(any(p.matches(r) for p in every) for r in parsed), len(parsed))
    print(f"{'all 18 AWS alerts':<22} {'compiled':<20} {rate:>12,.0f} {matched:>8,}")


if __name__ == "__main__":
    main()

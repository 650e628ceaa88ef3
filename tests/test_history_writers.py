"""Concurrent writers of one `--history`: real processes (tests/history_writer.py), a local folder and S3.

Overlapping scans (the first to start the last to finish) are both recorded, in append order; two
writers that read the same newest link do not fork the chain (the sequence number is claimed
create-only first); a writer killed between its claim and its link does not stall the chain. Then
`auditkit evidence` reads such a history: each run judged on the day it started, in start order.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, time
from pathlib import Path

import pytest

from auditkit.auditors.evidence.package import Request, build
from auditkit.auditors.evidence.timeline import Period
from auditkit.auditors.history.chain import KEY, append, sha256, walk
from auditkit.auditors.history.stores import LocalStore, open_store
from tests.synthetic_history import day_report

ROOT = Path(__file__).resolve().parent.parent
BUCKET = "acme-audit-archive"


def _writer(dest: str, started_at: str, *options: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "tests.history_writer", dest, started_at, *options]
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _finish(proc: subprocess.Popen) -> tuple[int, dict | None, str]:
    out, err = proc.communicate(timeout=120)
    return proc.returncode, (json.loads(out) if proc.returncode == 0 else None), err


def _chain(dest: str) -> tuple[list[str], list[dict], object]:
    store = open_store(dest)
    keys = store.keys()
    check = walk(store.description, ((k, store.read(k)) for k in keys), lambda link: None)
    return keys, [json.loads(store.read(k)) for k in keys], check


@pytest.fixture(params=["local", "s3"])
def dest(request, tmp_path) -> str:
    if request.param == "local":
        return str(tmp_path / "history")
    request.getfixturevalue("boto_session").client("s3").create_bucket(Bucket=BUCKET)
    return f"s3://{BUCKET}/auditkit-history/aws"


def test_the_scan_that_started_first_and_finished_last_is_recorded(dest, tmp_path):
    """Issue 23 item 3: it used to exit 2 ("check the clock") and its report was lost."""
    second_done = tmp_path / "second.done"
    first = _writer(dest, "2026-03-01T10:00:00Z", "--after", str(second_done))
    second = _writer(dest, "2026-03-01T10:05:00Z", "--done", str(second_done))
    code2, head2, err2 = _finish(second)
    code1, head1, err1 = _finish(first)
    assert (code1, code2) == (0, 0), (err1, err2)
    keys, docs, check = _chain(dest)
    # append order: the second (started 10:05) first; the first follows it, filed at that link's time
    assert keys == [
        "2026/03/01/20260301T100500Z-000000-scan-aws.json",
        "2026/03/01/20260301T100500Z-000001-scan-aws.json",
    ]
    assert [head2["key"], head1["key"]] == keys and head1["sequence"] == 1
    assert [d["started_at"] for d in docs] == ["2026-03-01T10:05:00Z", "2026-03-01T10:00:00Z"]
    assert docs[1]["history"]["previous"] == {"key": keys[0], "sha256": head2["sha256"]}
    assert head1["sha256"] == sha256(open_store(dest).read(keys[1]))
    assert check.intact and check.links == 2 and check.head.key == keys[1]


def test_two_writers_that_read_the_same_newest_link_do_not_fork_the_chain(dest, tmp_path):
    """Both list the history before either writes: both want sequence 1, under different keys (their
    starts differ), so only the claim of the sequence number can make one of them re-read and follow."""
    append(open_store(dest), day_report(date(2026, 3, 1), at=time(9, 0)).as_json())
    meet = tmp_path / "meet"
    meet.mkdir()
    writers = [_writer(dest, f"2026-03-01T10:0{i}:00Z", "--meet", str(meet), f"w{i}", "2") for i in (1, 2)]
    results = [_finish(w) for w in writers]
    assert [code for code, _, _ in results] == [0, 0], [err for *_, err in results]
    keys, docs, check = _chain(dest)
    assert check.intact, check.problems
    assert check.links == 3 and [d["history"]["sequence"] for d in docs] == [0, 1, 2]
    assert sorted(d["started_at"] for d in docs[1:]) == ["2026-03-01T10:01:00Z", "2026-03-01T10:02:00Z"]
    assert sorted(h["key"] for _, h, _ in results) == keys[1:]


def test_a_writer_killed_between_its_claim_and_its_link_does_not_stall_the_chain(dest, tmp_path):
    append(open_store(dest), day_report(date(2026, 3, 1), at=time(9, 0)).as_json())
    code, _, _ = _finish(_writer(dest, "2026-03-01T10:00:00Z", "--stop-after-claim"))
    assert code == 3 and len(open_store(dest).keys()) == 1  # claimed sequence 1, never wrote it
    code, head, err = _finish(_writer(dest, "2026-03-01T11:00:00Z"))
    assert code == 0, err
    keys, docs, check = _chain(dest)
    # the next writer wrote the claimed link from its claim, then its own after it
    assert check.intact and [d["started_at"] for d in docs] == [
        "2026-03-01T09:00:00Z",
        "2026-03-01T10:00:00Z",
        "2026-03-01T11:00:00Z",
    ]
    assert head["key"] == keys[2] and head["sequence"] == 2 and all(KEY.match(k) for k in keys)


def test_evidence_judges_overlapped_runs_on_their_start_days_in_start_order(tmp_path):
    """Two scans on 1 March: the one started at 10:00 (seeing a failure) recorded after the one started
    at 10:05 (passing), so the chain holds them the other way round; evidence judges them in start
    order: the failure first seen at 10:00, resolved at 10:05. And a run started at 23:58 on the 1st,
    recorded after one started at 00:01 on the 2nd, has a key dated the 2nd: evidence for the period
    ending the 1st still judges it on the 1st, samples it with that day and takes it as the period's head."""
    store = LocalStore(str(tmp_path / "h"))
    subject = ("aws.trail.logging", "aws-resource-0000")  # one of the synthetic report's findings
    append(store, day_report(date(2026, 2, 28)).as_json())
    passing = append(store, day_report(date(2026, 3, 1), at=time(10, 5)).as_json())
    failing = append(store, day_report(date(2026, 3, 1), at=time(10, 0), failing=[subject]).as_json())
    append(store, day_report(date(2026, 3, 2), at=time(0, 1)).as_json())
    late = append(store, day_report(date(2026, 3, 1), at=time(23, 58)).as_json())
    assert failing.key == "2026/03/01/20260301T100500Z-000002-scan-aws.json"
    assert late.key == "2026/03/02/20260302T000100Z-000004-scan-aws.json"
    req = Request([str(tmp_path / "h")], Period(date(2026, 2, 28), date(2026, 3, 1)), tmp_path / "out")
    req.sample_dates = [date(2026, 3, 1)]
    code, ev, (check,) = build(req)
    assert code == 0 and check.intact and check.links == 5 and ev.missing_days(check.source) == []
    assert [(r.key[11:], r.started_at.strftime("%d %H:%M")) for r in ev.runs] == [
        ("20260228T061700Z-000000-scan-aws.json", "28 06:17"),
        ("20260301T100500Z-000002-scan-aws.json", "01 10:00"),
        ("20260301T100500Z-000001-scan-aws.json", "01 10:05"),
        ("20260302T000100Z-000004-scan-aws.json", "01 23:58"),
    ]
    (episode,) = ev.episodes
    assert episode.key[:2] == subject and episode.status == "FAIL"
    assert (episode.first_seen_in, episode.resolved_in) == (failing.key, passing.key)
    assert episode.time_to_resolve is not None and episode.time_to_resolve.total_seconds() == 300
    assert check.window_head is not None and check.window_head.key == late.key
    assert sorted(p.name for p in (tmp_path / "out" / "samples" / "2026-03-01").iterdir()) == [
        k.rsplit("/")[-1] for k in (passing.key, failing.key, late.key)
    ]

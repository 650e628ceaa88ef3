"""The anchored chain: a head kept outside the history.

Tampers an insider could make with write access to the history, each checked with and without a
head kept elsewhere: without one the chain still holds (exit 0); with one, evidence exits 1 and
the package says which report. Each stored report's lock: tests/test_evidence_locks.py.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from auditkit.auditors.cli import main
from auditkit.auditors.history.chain import append, sha256
from auditkit.auditors.history.stores import LocalStore
from tests.synthetic_history import day_report, days, write_days

START = date(2026, 1, 1)
GAP = ("aws.trail.logging", "aws-resource-0000")


def evidence(history: Path | str, out: Path, start: date, end: date, *extra: str) -> int:
    argv = ["evidence", "--history", str(history), "--from", str(start), "--to", str(end), "--out", str(out)]
    return main([*argv, *extra])


def _history(root: Path):
    """Ten daily reports, a failure on day 4; the period is the first nine days, the head is day 10."""
    period = days(START, 10)
    write_days(root, period[:3])
    write_days(root, period[3:4], failing=[GAP])
    store = write_days(root, period[4:9])
    head = append(store, day_report(period[9]).as_json())
    return store, head, period[:9]


def _alter_newest(root: Path, store: LocalStore) -> None:
    newest = root / store.keys()[-1]
    newest.write_text(newest.read_text().replace('"PASS"', '"FAIL"', 1))


def _delete_newest(root: Path, store: LocalStore) -> None:
    (root / store.keys()[-1]).unlink()


def _edit_old_and_rehash(root: Path, store: LocalStore) -> None:
    """Hide day 4's failure, then rewrite every later link so the chain holds again."""
    keys = store.keys()
    doc = json.loads(store.read(keys[3]))
    for f in doc["findings"]:
        f["status"] = "PASS"
    (root / keys[3]).write_text(json.dumps(doc, indent=2))
    for before, key in zip(keys[3:], keys[4:], strict=False):
        doc = json.loads(store.read(key))
        doc["history"]["previous"]["sha256"] = sha256(store.read(before))
        (root / key).write_text(json.dumps(doc, indent=2))


TAMPERS = {
    "alter newest": _alter_newest,
    "delete newest": _delete_newest,
    "edit old, re-hash later": _edit_old_and_rehash,
}


@pytest.mark.parametrize("tamper", [None, *TAMPERS])
@pytest.mark.parametrize("kept_as", ["--expect-head", "--anchor"])
def test_a_head_kept_outside_the_history_catches_every_tamper(tmp_path, capsys, tamper, kept_as):
    root = tmp_path / "h"
    store, head, period = _history(root)
    anchor = tmp_path / "head.json"
    anchor.write_text(json.dumps(head.anchor(str(root))))  # what the scan prints, kept by CI
    if tamper:
        TAMPERS[tamper](root, store)
    assert evidence(root, tmp_path / "plain", period[0], period[-1]) == 0  # the chain alone holds
    extra = ["--expect-head", head.sha256] if kept_as == "--expect-head" else ["--anchor", str(anchor)]
    code = evidence(root, tmp_path / "out", period[0], period[-1], *extra)
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())  # written either way
    (verdict,) = manifest["histories"][0]["anchors"]
    page = (tmp_path / "out" / "index.html").read_text()
    err = capsys.readouterr().err
    if tamper is None:
        assert code == 0 and verdict["held"] is True
        assert verdict["message"] == f"{head.key}: matches the anchored head; 0 report(s) after it, chained"
        return
    assert code == 1 and verdict["held"] is False
    if kept_as == "--expect-head":
        expected = f"no report in the history has SHA-256 {head.sha256}"
    elif tamper == "delete newest":
        expected = f"{head.key}: the anchored head is gone from the history (deleted)"
    else:
        expected = f"{head.key}: SHA-256 {sha256((root / head.key).read_bytes())} is not the anchored {head.sha256}"
    assert verdict["message"].startswith(expected)
    assert expected in manifest["histories"][0]["integrity"][0] and expected in err
    assert "integrity problems" in page and expected in page


def test_the_anchor_a_scan_prints_is_the_stored_head(tmp_path):
    store, head, _ = _history(tmp_path / "h")
    newest = store.keys()[-1]
    assert head.key == newest and head.sha256 == hashlib.sha256(store.read(newest)).hexdigest()
    assert head.anchor("s3://b/p") == {"history": "s3://b/p", "key": newest, "sha256": head.sha256, "sequence": 9}


def test_an_older_head_still_held_passes(tmp_path):
    root = tmp_path / "h"
    store, head, period = _history(root)
    append(store, day_report(START + timedelta(days=10)).as_json())  # the history grew since the head was kept
    assert evidence(root, tmp_path / "out", period[0], period[-1], "--expect-head", head.sha256) == 0
    (verdict,) = json.loads((tmp_path / "out" / "manifest.json").read_text())["histories"][0]["anchors"]
    assert verdict["message"] == f"{head.key}: matches the anchored head; 1 report(s) after it, chained"


@pytest.mark.parametrize(
    ("anchor", "said"),
    [
        ("not json", "--anchor="),
        ('["a"]', "a JSON list, not an object"),
        ('{"sha256": "abc"}', ": sha256='abc' is not allowed"),
        ('{"sha256": "' + "a" * 64 + '", "signer": "x"}', ": signer='x' is not allowed"),
        ('{"sha256": "' + "a" * 64 + '", "key": "latest.json"}', ": key='latest.json' is not allowed"),
        ('{"sha256": "' + "a" * 64 + '", "history": "s3://elsewhere/h"}', "not one of the --history values"),
    ],
)
def test_a_bad_anchor_exits_2_naming_it(tmp_path, capsys, anchor, said):
    write_days(tmp_path / "h", days(START, 2))
    (tmp_path / "a.json").write_text(anchor)
    assert evidence(tmp_path / "h", tmp_path / "out", START, START, "--anchor", str(tmp_path / "a.json")) == 2
    err = capsys.readouterr().err
    assert said in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("value", "said"), [("abc", "--expect-head='abc'"), ("a" * 64, "a head naming its --history (SRC=SHA256")]
)
def test_a_bad_expected_head_exits_2(tmp_path, capsys, value, said):
    write_days(tmp_path / "aws", days(START, 2))
    write_days(tmp_path / "gcp", days(START, 2), "gcp")
    argv = ["evidence", "--history", str(tmp_path / "aws"), "--history", str(tmp_path / "gcp")]
    argv += ["--from", str(START), "--to", str(START), "--out", str(tmp_path / "out"), "--expect-head", value]
    assert main(argv) == 2
    assert said in capsys.readouterr().err


def test_several_histories_each_with_its_head(tmp_path):
    aws, gcp = write_days(tmp_path / "aws", days(START, 3)), write_days(tmp_path / "gcp", days(START, 3), "gcp")
    heads = [f"{tmp_path / n}={sha256(s.read(s.keys()[-1]))}" for n, s in (("aws", aws), ("gcp", gcp))]
    argv = ["evidence", "--history", str(tmp_path / "aws"), "--history", str(tmp_path / "gcp"), "--from", str(START)]
    argv += ["--to", str(START + timedelta(days=2)), "--out", str(tmp_path / "out")]
    assert main([*argv, "--expect-head", heads[0], "--expect-head", heads[1]]) == 0
    histories = json.loads((tmp_path / "out" / "manifest.json").read_text())["histories"]
    assert [h["anchors"][0]["held"] for h in histories] == [True, True]
    page = (tmp_path / "out" / "index.html").read_text()
    assert all(f"--expect-head {h}" in page for h in heads)  # the verify section's exact command

"""`auditkit evidence` from synthetic histories written with the real chain code.

Scenarios: a clean year; a gap and its resolution; missed scan days; a deleted day and an altered
report (chain breaks); sampled days reproducible with a seed; OSCAL output valid against NIST's
released JSON schema (tests/schemas, see PROVENANCE.md) and compliance-trestle's models, every link
in it resolving inside the package (also one built under paths with spaces); the printable page;
exception notes. Anchored heads: tests/test_evidence_anchor.py; report locks: tests/test_evidence_locks.py.
"""

from __future__ import annotations

import csv
import hashlib
import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from trestle.oscal.assessment_results import Model as OscalAssessmentResults

from auditkit.auditors.cli import main
from auditkit.policies.alerts.catalog import control_ids
from auditkit.policies.catalog import controls_for
from tests.schemas.oscal_schema import errors as schema_errors
from tests.synthetic_history import days, write_days

START = date(2026, 1, 1)
GAP = ("aws.trail.logging", "aws-resource-0000")


def evidence(history: Path, out: Path, start: date, end: date, *extra: str) -> int:
    return main(
        ["evidence", "--history", str(history), "--from", str(start), "--to", str(end), "--out", str(out), *extra]
    )


def rows(out: Path) -> dict[str, dict[str, str]]:
    return {r["control"]: r for r in csv.DictReader((out / "controls.csv").open())}


@pytest.mark.slow  # seconds a case: `make test-slow` runs it (CI runs both)
def test_a_clean_year(tmp_path, capsys):
    year = days(START, 365)
    write_days(tmp_path / "h", year)
    assert evidence(tmp_path / "h", tmp_path / "out", year[0], year[-1]) == 0
    out = tmp_path / "out"
    table = rows(out)
    assert set(table) == {c.id for c in controls_for("aws")} - set(control_ids("aws"))  # every control the runs judged
    logging = table["aws.trail.logging"]
    assert (logging["days_tested"], logging["days_passed"], logging["days_not_run"]) == ("365", "365", "0")
    assert logging["uptime_pct"] == "100.0" and logging["exceptions"] == "0"
    assert logging["hipaa"] == "45 CFR 164.312(b)" and logging["nist_800_53"] == "AU-12; AU-5"
    oscal = json.loads((out / "assessment-results.json").read_text())
    OscalAssessmentResults.model_validate(oscal)
    assert schema_errors(oscal) == []
    result = oscal["assessment-results"]["results"][0]
    runs = [o for o in result["observations"] if o["types"] == ["historic"]]
    assert len(runs) == 365 and len(result["observations"]) == 365 + 22  # a run each day, one per subject
    assert {f["target"]["status"]["state"] for f in result["findings"]} == {"satisfied"}
    result["findings"][0]["target"]["status"]["state"] = "passed"  # not an OSCAL state: the models must refuse it
    with pytest.raises(ValueError, match="state"):
        OscalAssessmentResults.model_validate(oscal)
    page = (out / "index.html").read_text()
    assert "chain intact, a run every day" in page and "Exceptions (0)" in page
    manifest = json.loads((out / "manifest.json").read_text())
    assert set(manifest["files"]) == {"index.html", "assessment-results.json", "catalog.json", "controls.csv"}
    for name, digest in manifest["files"].items():
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == digest
    newest = "2026/12/31/20261231T061700Z-000364-scan-aws.json"
    head = {
        "key": newest,
        "sha256": hashlib.sha256((tmp_path / "h" / newest).read_bytes()).hexdigest(),
        "sequence": 364,
    }
    history = manifest["histories"][0]
    assert (history["source"], history["links"], history["intact"], history["problems"]) == (
        str(tmp_path / "h"),
        365,
        True,
        [],
    )
    assert history["head"] == head and history["window_head"] == head  # the period ends at the newest report
    assert history["retention"] == {"checked": False, "why": "a local folder has no object lock"}
    assert f"head {newest} sha256 {head['sha256']}" in capsys.readouterr().err
    assert head["sha256"] in page


def test_a_gap_and_its_resolution(tmp_path):
    period = days(START, 30)
    write_days(tmp_path / "h", period[:10])
    write_days(tmp_path / "h", period[10:15], failing=[GAP])  # failing on days 11-15
    write_days(tmp_path / "h", period[15:])
    assert evidence(tmp_path / "h", tmp_path / "sla3", period[0], period[-1], "--sla-days", "3") == 0
    assert evidence(tmp_path / "h", tmp_path / "sla7", period[0], period[-1], "--sla-days", "7") == 0
    row = rows(tmp_path / "sla3")["aws.trail.logging"]
    assert (row["days_failed"], row["days_passed"], row["exceptions"], row["exceptions_open"]) == ("5", "25", "1", "0")
    assert row["uptime_pct"] == str(round(100 * 25 / 30, 2))
    page3, page7 = ((tmp_path / d / "index.html").read_text() for d in ("sla3", "sla7"))
    line = "<td>2026-01-11T06:17:00Z</td><td>2026-01-16T06:17:00Z</td><td>5.0 days</td>"
    assert line + "<td><span class=good>yes</span>" in page7
    assert line + "<td><span class=bad>no</span>" in page3
    seen_in = "<td><code>2026/01/11/20260111T061700Z-000010-scan-aws.json</code><br>"
    assert seen_in + "<code>2026/01/16/20260116T061700Z-000015-scan-aws.json</code></td>" in page3
    assert "<title>2026-01-11 to 2026-01-15: fail</title>" in page3
    oscal = json.loads((tmp_path / "sla3" / "assessment-results.json").read_text())
    OscalAssessmentResults.model_validate(oscal)
    states = {
        f["target"]["target-id"]: f["target"]["status"]["state"]
        for f in oscal["assessment-results"]["results"][0]["findings"]
    }
    assert states["aws.trail.logging_obj"] == "not-satisfied" and states["aws.trail.kms_obj"] == "satisfied"


def test_an_exception_still_open_at_the_end_of_the_period(tmp_path):
    period = days(START, 20)
    write_days(tmp_path / "h", period[:5])
    write_days(tmp_path / "h", period[5:], erroring=[GAP])  # could not be judged from day 6 on
    assert evidence(tmp_path / "h", tmp_path / "out", period[0], period[-1], "--sla-days", "30") == 0
    row = rows(tmp_path / "out")["aws.trail.logging"]
    assert (row["days_error"], row["days_passed"], row["exceptions_open"]) == ("15", "5", "1")
    page = (tmp_path / "out" / "index.html").read_text()
    assert "<td>ERROR</td><td>2026-01-06T06:17:00Z</td><td><span class=bad>open</span></td><td>-</td>" in page


def test_missed_scan_days_are_not_run_never_a_pass(tmp_path, capsys):
    period = days(START, 10)
    write_days(tmp_path / "h", [d for d in period if d.day not in (4, 5)])
    assert evidence(tmp_path / "h", tmp_path / "out", period[0], period[-1]) == 1
    row = rows(tmp_path / "out")["aws.trail.logging"]
    assert (row["days_tested"], row["days_not_run"], row["uptime_pct"]) == ("8", "2", "80.0")
    page = (tmp_path / "out" / "index.html").read_text()
    assert "<title>2026-01-04 to 2026-01-05: not run</title>" in page
    assert "2 day(s) without a run" in page and "2026-01-04, 2026-01-05" in page
    assert (tmp_path / "out" / "manifest.json").exists()  # the package is still written
    assert "2 day(s) without a run" in capsys.readouterr().err


def test_a_deleted_day_breaks_the_chain(tmp_path):
    period = days(START, 10)
    store = write_days(tmp_path / "h", period)
    deleted = store.keys()[4]
    (tmp_path / "h" / deleted).unlink()
    assert evidence(tmp_path / "h", tmp_path / "out", period[0], period[-1]) == 1
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    history = manifest["histories"][0]
    assert not history["intact"] and history["links"] == 9
    assert history["problems"] == [
        f"{store.keys()[4]}: links to {deleted}, but the report before it is {store.keys()[3]} (deleted?)"
    ]


def test_an_altered_report_breaks_the_chain(tmp_path):
    period = days(START, 10)
    write_days(tmp_path / "h", period[:4])
    write_days(tmp_path / "h", period[4:5], failing=[GAP])
    store = write_days(tmp_path / "h", period[5:])
    altered = store.keys()[4]
    doc = json.loads(store.read(altered))
    for f in doc["findings"]:  # somebody hides the bad day
        f["status"] = "PASS"
    (tmp_path / "h" / altered).write_text(json.dumps(doc, indent=2))
    assert evidence(tmp_path / "h", tmp_path / "out", period[0], period[-1]) == 1
    problems = json.loads((tmp_path / "out" / "manifest.json").read_text())["histories"][0]["problems"]
    assert problems == [
        f"{store.keys()[5]}: {altered} was altered after it was written (SHA-256 differs from the link)"
    ]
    assert "chain BROKEN" in (tmp_path / "out" / "index.html").read_text()


def test_a_restarted_chain_is_a_break(tmp_path):
    period = days(START, 4)
    write_days(tmp_path / "a", period[:2])
    write_days(tmp_path / "b", period[2:])  # a second chain started from scratch
    for p in (tmp_path / "b").rglob("*.json"):
        target = tmp_path / "a" / p.relative_to(tmp_path / "b")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(p.read_bytes())
    assert evidence(tmp_path / "a", tmp_path / "out", period[0], period[-1]) == 1
    problems = json.loads((tmp_path / "out" / "manifest.json").read_text())["histories"][0]["problems"]
    assert len(problems) == 1 and "starts a new chain after" in problems[0]


def test_sampled_days_are_reproducible_with_a_seed(tmp_path):
    period = days(START, 90)
    write_days(tmp_path / "h", period)
    picks = []
    for name, seed in (("a", "42"), ("b", "42"), ("c", "43")):
        out = tmp_path / name
        assert evidence(tmp_path / "h", out, period[0], period[-1], "--sample", "5", "--seed", seed) == 0
        picked = sorted(p.name for p in (out / "samples").iterdir())
        manifest = json.loads((out / "manifest.json").read_text())
        assert manifest["samples"] == {"dates": picked, "seed": int(seed)} and len(picked) == 5
        for d in picked:
            (raw,) = (out / "samples" / d).iterdir()
            assert raw.read_bytes() == (tmp_path / "h" / d.replace("-", "/") / raw.name).read_bytes()
            assert manifest["files"][f"samples/{d}/{raw.name}"] == hashlib.sha256(raw.read_bytes()).hexdigest()
        picks.append(picked)
    assert picks[0] == picks[1] and picks[0] != picks[2]


def test_explicit_sample_dates_and_a_sampled_day_without_a_run(tmp_path):
    period = days(START, 5)
    write_days(tmp_path / "h", period[:3])
    code = evidence(
        tmp_path / "h", tmp_path / "out", period[0], period[-1], "--sample-dates", "2026-01-02", "2026-01-05"
    )
    assert code == 1
    assert [p.name for p in (tmp_path / "out" / "samples" / "2026-01-02").iterdir()] == [
        "20260102T061700Z-000001-scan-aws.json"
    ]
    assert (tmp_path / "out" / "samples" / "2026-01-05" / "NOT-RUN.txt").read_text().startswith("No report")


def test_several_histories_one_per_cloud(tmp_path):
    period = days(START, 7)
    write_days(tmp_path / "aws", period, "aws")
    write_days(tmp_path / "gcp", period[:6], "gcp")  # the GCP job missed the last day
    code = main(
        [
            "evidence",
            "--history",
            str(tmp_path / "aws"),
            "--history",
            str(tmp_path / "gcp"),
            "--from",
            str(period[0]),
            "--to",
            str(period[-1]),
            "--out",
            str(tmp_path / "out"),
        ]
    )
    assert code == 1
    table = rows(tmp_path / "out")
    assert table["aws.trail.logging"]["days_tested"] == "7" and table["gcp.sink.export"]["days_tested"] == "6"
    OscalAssessmentResults.model_validate(json.loads((tmp_path / "out" / "assessment-results.json").read_text()))


def test_the_report_after_the_period_proves_its_last_day(tmp_path):
    period = days(START, 6)
    store = write_days(tmp_path / "h", period)
    last_in_period = store.keys()[4]
    (tmp_path / "h" / last_in_period).write_text((tmp_path / "h" / last_in_period).read_text().replace("PASS", "FAIL"))
    assert evidence(tmp_path / "h", tmp_path / "out", period[0], period[4]) == 1


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--from", "2026-13-01"], "--from='2026-13-01'"),
        (["--to", "2025-12-01"], "a date on or after --from"),
        (["--sample", "3", "--sample-dates", "2026-01-02"], "either --sample N"),
        (["--sample", "99"], "1 to 10"),
        (["--sample-dates", "2027-01-01"], "dates from 2026-01-01 to 2026-01-10"),
        (["--seed", "1"], "use together with --sample"),
    ],
)
def test_bad_arguments_exit_2(tmp_path, capsys, args, said):
    write_days(tmp_path / "h", days(START, 10))
    base = {"--from": "2026-01-01", "--to": "2026-01-10"}
    for flag in ("--from", "--to"):
        if flag in args:
            base[flag] = args[args.index(flag) + 1]
    rest = [a for i, a in enumerate(args) if a not in base and (i == 0 or args[i - 1] not in base)]
    argv = ["evidence", "--history", str(tmp_path / "h"), "--out", str(tmp_path / "out")]
    argv += [x for kv in base.items() for x in kv] + rest
    assert main(argv) == 2
    assert said in capsys.readouterr().err
    assert not (tmp_path / "out" / "index.html").exists()


def test_unreadable_input_exits_2(tmp_path, capsys):
    assert evidence(tmp_path / "nothing-here", tmp_path / "out", START, START + timedelta(days=1)) == 2
    assert "no reports found there" in capsys.readouterr().err
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("")
    write_days(tmp_path / "h", [START])
    assert evidence(tmp_path / "h", tmp_path / "full", START, START) == 2
    assert "it already holds files" in capsys.readouterr().err


def _hrefs(node: object) -> list[str]:
    if isinstance(node, dict):
        return [v for k, v in node.items() if k == "href"] + [h for v in node.values() for h in _hrefs(v)]
    if isinstance(node, list):
        return [h for v in node for h in _hrefs(v)]
    return []


def test_oscal_a_grc_tool_can_follow_built_under_paths_with_spaces(tmp_path):
    """Every link resolves inside the package (or names the stored object), hashes match, targets resolve."""
    from urllib.parse import unquote

    from trestle.oscal.catalog import Model as OscalCatalog

    history, out = tmp_path / "audit history" / "aws", tmp_path / "evidence for Q1" / "out"
    period = days(START, 12)
    write_days(history, period[:4])
    write_days(history, period[4:7], failing=[GAP])
    write_days(history, period[7:])
    assert evidence(history, out, period[0], period[-1], "--sample-dates", "2026-01-05", "2026-01-09") == 0
    oscal = json.loads((out / "assessment-results.json").read_text())
    assert schema_errors(oscal) == []
    OscalAssessmentResults.model_validate(oscal)
    ar = oscal["assessment-results"]
    uuids = {r["uuid"] for r in ar["back-matter"]["resources"]}
    for href in _hrefs(oscal):
        assert " " not in href and str(tmp_path) not in unquote(href), href  # relative, percent-encoded
        if href.startswith("#"):
            assert href[1:] in uuids, href
        else:
            assert (out / unquote(href)).is_file(), href  # a sample copy, the catalog, or the history beside it
    # every report of the period is a back-matter resource whose rlinks carry its SHA-256
    reports = {
        p["value"]: r for r in ar["back-matter"]["resources"] for p in r.get("props", []) if p["name"] == "history-key"
    }
    assert len(reports) == 12
    for key, resource in reports.items():
        stored = hashlib.sha256((history / key).read_bytes()).hexdigest()
        for rlink in resource["rlinks"]:
            assert rlink["hashes"] == [{"algorithm": "SHA-256", "value": stored}]
            assert hashlib.sha256((out / unquote(rlink["href"])).read_bytes()).hexdigest() == stored
    sampled = reports["2026/01/05/20260105T061700Z-000004-scan-aws.json"]["rlinks"]
    assert [unquote(r["href"]) for r in sampled] == [
        "samples/2026-01-05/20260105T061700Z-000004-scan-aws.json",
        "../../audit history/aws/2026/01/05/20260105T061700Z-000004-scan-aws.json",
    ]
    # every finding's target resolves to a local objective, whose control the package's catalog defines
    catalog = json.loads((out / "catalog.json").read_text())
    OscalCatalog.model_validate(catalog)
    controls = {c["id"]: c for g in catalog["catalog"]["groups"] for c in g["controls"]}
    objectives = {p["id"]: o for o in ar["local-definitions"]["objectives-and-methods"] for p in o["parts"]}
    result = ar["results"][0]
    for f in result["findings"]:
        assert objectives[f["target"]["target-id"]]["control-id"] in controls
    logging = controls["aws.trail.logging"]
    assert {(p["name"], p["value"]) for p in logging["props"]} >= {
        ("hipaa", "45 CFR 164.312(b)"),
        ("nist-800-53", "AU-12"),
    }
    catalog_link = next(r for r in ar["back-matter"]["resources"] if r["title"] == "AuditKit control catalog")
    assert (
        catalog_link["rlinks"][0]["hashes"][0]["value"]
        == hashlib.sha256((out / "catalog.json").read_bytes()).hexdigest()
    )
    # subjects name each resource; the failing one is a risk related to its control's finding
    items = {i["uuid"]: i for i in result["local-definitions"]["inventory-items"]}
    named = {p["value"] for i in items.values() for p in i["props"] if p["name"] == "asset-id"}
    assert named == {"aws-resource-0000", "aws-resource-0001"} and len(items) == 2  # 22 findings over 12 controls
    subject_obs = [o for o in result["observations"] if "subjects" in o]
    assert len(subject_obs) == 22 and all(s["subject-uuid"] in items for o in subject_obs for s in o["subjects"])
    (risk,) = result["risks"]
    assert risk["status"] == "closed" and risk["title"] == "aws.trail.logging FAIL on aws-resource-0000"
    finding = next(f for f in result["findings"] if f["target"]["target-id"] == "aws.trail.logging_obj")
    assert finding["related-risks"] == [{"risk-uuid": risk["uuid"]}]
    assert finding["target"]["status"]["state"] == "not-satisfied"


@pytest.mark.parametrize(
    ("where", "value", "said"),
    [
        (("back-matter", "resources", 1, "rlinks", 0, "href"), "/home/ci/evidence out/catalog.json", "uri-reference"),
        (("results", 0, "findings", 0, "target", "target-id"), "not a token", "does not match"),
        (("results", 0, "findings", 0, "target", "status", "state"), "passed", "is not one of"),
    ],
)
def test_the_schema_check_refuses_what_nist_refuses(tmp_path, where, value, said):
    """The validator is not vacuous: an absolute path with a space, a non-token id, an unknown state."""
    write_days(tmp_path / "h", days(START, 3))
    assert evidence(tmp_path / "h", tmp_path / "out", START, START + timedelta(days=2)) == 0
    oscal = json.loads((tmp_path / "out" / "assessment-results.json").read_text())
    node = oscal["assessment-results"]
    for step in where[:-1]:
        node = node[step]
    node[where[-1]] = value
    found = schema_errors(oscal)
    assert found and any(said in e for e in found), found


def test_the_vendored_schema_is_nists_release():
    from tests.schemas.oscal_schema import SCHEMA, SCHEMA_SHA256

    doc = json.loads(SCHEMA.read_text())
    assert doc["$id"] == "http://csrc.nist.gov/ns/oscal/1.2.3/oscal-ar-schema.json"
    assert hashlib.sha256(SCHEMA.read_bytes()).hexdigest() == SCHEMA_SHA256
    assert SCHEMA_SHA256 in (SCHEMA.parent / "PROVENANCE.md").read_text()

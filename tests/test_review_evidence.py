"""`auditkit evidence` gains "Activity reviews": expected versus signed reviews per cadence, and OSCAL EXAMINE
observations for 164.308(a)(1)(ii)(D)."""

from __future__ import annotations

import json
from datetime import date

from auditkit.auditors.cli import main
from tests.test_review import month  # noqa: F401  (the forged month fixture)


def test_a_signed_review_is_in_the_package_and_missing_ones_are_listed(month, tmp_path):  # noqa: F811
    from auditkit.auditors.evidence.package import Request, build
    from auditkit.auditors.evidence.timeline import Period
    from auditkit.auditors.findings import utc_now

    root, _ = month
    out, history = tmp_path / "ws", tmp_path / "history"
    base = ["review", "aws", "--logs", str(root), "--phi-bucket", "acme-phi-records", "--history", str(history)]
    assert main([*base, "--cadence", "daily", "--period", "2026-11-24", "--out", str(out)]) == 0
    sign = ["--reviewer", "r@acme.test", "--outcome", "findings", "--history", str(history)]
    assert main(["review", "sign", str(out), *sign, "--ticket", "https://tickets.acme.test/SEC-7"]) == 0
    today = utc_now().date()
    _, ev, _ = build(Request([str(history)], Period(date(2026, 11, 1), today), tmp_path / "evidence"))
    assert ev.runs == []  # review links are not scan runs
    page = (tmp_path / "evidence" / "index.html").read_text()
    assert "Activity reviews (45 CFR 164.308(a)(1)(ii)(D))" in page
    worksheet_sha = json.loads(sorted(history.rglob("*review-sign.json"))[0].read_text())["review"]["worksheet"][
        "sha256"
    ]
    assert f"SHA-256 <code>{worksheet_sha}</code>" in page
    assert "<td>daily</td><td>2026-11-24</td><td>2026-11-25</td><td class=bad>late</td>" in page
    assert "<td>daily</td><td>2026-11-23</td><td>2026-11-24</td><td class=bad>missed</td>" in page
    oscal = json.loads((tmp_path / "evidence" / "assessment-results.json").read_text())
    obs = [o for o in oscal["assessment-results"]["results"][0]["observations"] if o["methods"] == ["EXAMINE"]]
    assert [o["title"] for o in obs] == ["daily activity review 2026-11-24: findings"]
    props = {p["name"]: p["value"] for p in obs[0]["props"]}
    assert props["worksheet-sha256"] == worksheet_sha and props["hipaa"] == "45 CFR 164.308(a)(1)(ii)(D)"

"""controls.csv of the evidence package: one row per control, its citations and its days."""

from __future__ import annotations

import csv
import io

from auditkit.auditors.evidence.timeline import ERROR, FAIL, NOT_RUN, PASS, Evidence, uptime


def controls_csv(ev: Evidence) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(
        [
            "control",
            "title",
            "hipaa",
            "soc2",
            "nist_800_53",
            "days_in_period",
            "days_tested",
            "days_passed",
            "days_failed",
            "days_error",
            "days_not_run",
            "uptime_pct",
            "exceptions",
            "exceptions_open",
        ]
    )
    for cid in sorted(ev.controls):
        info, days = ev.controls[cid], ev.control_days(cid)
        mine = [e for e in ev.episodes if e.key[0] == cid]
        c = info.citations
        w.writerow(
            [
                cid,
                info.title,
                "; ".join(c.get("hipaa", [])),
                "; ".join(c.get("soc2", [])),
                "; ".join(c.get("nist_800_53", [])),
                len(days),
                len(days) - days.count(NOT_RUN),
                days.count(PASS),
                days.count(FAIL),
                days.count(ERROR),
                days.count(NOT_RUN),
                uptime(days),
                len(mine),
                sum(1 for e in mine if e.resolved is None),
            ]
        )
    return buf.getvalue()

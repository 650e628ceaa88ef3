"""Judge one account's snapshot: pure, offline, fail-closed.

A verdict is PASS only when what was read proves it. Coverage only grows with more
trails, so a complete coverage from the trails we could read is a PASS even if some
region failed; an incomplete one is an ERROR when anything unread could have closed it.
"""

from __future__ import annotations

from collections.abc import Callable

from auditors.aws import api_facts
from auditors.aws.clients import Failure, classify
from auditors.aws.collect import AccountSnapshot, DestinationRecord, TrailRecord
from auditors.findings import Finding, Status
from policies.aws import judges
from policies.aws.event_selectors import ArnSpace, bucket_space
from policies.aws.facts import TrailFacts
from policies.retention import RetentionRequirement

TRAIL_CONTROLS: tuple[tuple[str, Callable[[TrailFacts], list[str]]], ...] = (
    ("aws.trail.log_validation", judges.log_validation),
    ("aws.trail.kms", judges.kms),
    ("aws.trail.cloudwatch", judges.cloudwatch),
)


class _Judge:
    def __init__(self, snap: AccountSnapshot, required: RetentionRequirement) -> None:
        self.snap = snap
        self.required = required
        self.findings: list[Finding] = []
        self.account_resource = f"arn:aws:iam::{snap.account}:root"

    def add(self, control: str, status: Status, resource: str, region: str, message: str) -> None:
        self.findings.append(Finding(control, status, resource, self.snap.account, region, message))

    def verdict(self, control: str, gaps: list[str], resource: str, region: str, ok: str) -> None:
        self.add(control, Status.FAIL if gaps else Status.PASS, resource, region, "; ".join(gaps) if gaps else ok)


def _trail_facts(j: _Judge, t: TrailRecord) -> TrailFacts | None:
    try:
        return api_facts.trail_facts(t.description, t.selectors, t.status)
    except Exception as exc:  # an unexpected response shape is an ERROR, never a guess
        code, message = classify(exc)
        j.add("aws.trail.multi_region", Status.ERROR, t.arn or "unknown trail", t.home_region, f"{code}: {message}")
        return None


def _per_trail(j: _Judge, trails: list[tuple[TrailRecord, TrailFacts]]) -> None:
    for rec, facts in trails:
        status_failure = rec.failures.get("status")
        if status_failure:
            j.add("aws.trail.logging", Status.ERROR, rec.arn, rec.home_region, status_failure.describe())
        else:
            j.verdict(
                "aws.trail.logging", judges.logging(facts), rec.arn, rec.home_region, f"trail {facts.name} is logging"
            )
        for control, judge in TRAIL_CONTROLS:
            j.verdict(control, judge(facts), rec.arn, rec.home_region, f"trail {facts.name} passes")


def _uncertain(j: _Judge, unread: list[TrailRecord], extra: list[Failure] | None = None) -> list[str]:
    """What was not read and could have changed an incomplete verdict."""
    reasons = [f.describe() for f in j.snap.failures if f.operation in ("DescribeTrails", "DescribeRegions")]
    reasons += [t.failures["selectors"].describe() for t in unread]
    reasons += [f.describe() for f in extra or ()]
    return reasons


def _coverage(j: _Judge, known: list[tuple[TrailRecord, TrailFacts]], unread: list[TrailRecord]) -> None:
    snap = j.snap
    # multi-region management coverage: one good trail is enough.
    multi = [(r, f, judges.multi_region(f)) for r, f in known]
    good = next(((r, f) for r, f, gaps in multi if not gaps), None)
    if good:
        j.add(
            "aws.trail.multi_region",
            Status.PASS,
            good[0].arn,
            good[0].home_region,
            f"trail {good[1].name} records all management events in every region",
        )
    elif _uncertain(j, unread):
        j.add("aws.trail.multi_region", Status.ERROR, j.account_resource, "", "; ".join(_uncertain(j, unread)))
    else:
        gaps = [g for _, _, gs in multi for g in gs] or ["no CloudTrail trail in the account"]
        j.add("aws.trail.multi_region", Status.FAIL, j.account_resource, "", "; ".join(gaps))

    everywhere = [f for _, f in known if f.multi_region]
    for control, judge in (
        ("aws.trail.lambda_data_events", judges.lambda_data_events),
        ("aws.trail.dynamodb_data_events", judges.dynamodb_data_events),
    ):
        gaps = judge(everywhere)
        if gaps and _uncertain(j, unread):
            j.add(control, Status.ERROR, j.account_resource, "", "; ".join(gaps + _uncertain(j, unread)))
        else:
            j.verdict(control, gaps, j.account_resource, "", "recorded by a multi-region trail")

    if snap.buckets is None:
        failures = [f.describe() for f in snap.failures if f.operation in ("ListBuckets", "GetResources")]
        j.add(
            "aws.trail.s3_data_events",
            Status.ERROR,
            j.account_resource,
            "",
            "; ".join(failures) or "bucket list unavailable",
        )
        return
    excluded = set(snap.trail_buckets) | {
        str(((d.responses.get("logging") or {}).get("LoggingEnabled") or {}).get("TargetBucket"))
        for d in snap.destinations.values()
    }
    in_scope = [b for b in snap.buckets if b.name not in excluded]
    if not in_scope:
        j.add("aws.trail.s3_data_events", Status.PASS, j.account_resource, "", "no buckets in scope")
    for b in in_scope:
        applicable = [f for _, f in known if f.multi_region or (b.region is not None and f.home_region == b.region)]
        region_failure = snap.bucket_region_failures.get(b.name)
        space: ArnSpace = bucket_space(b.name)
        gaps = judges.s3_data_events(applicable, {b.name: space})
        resource = f"arn:aws:s3:::{b.name}"
        uncertain = _uncertain(j, unread, [region_failure] if region_failure else [])
        if gaps and uncertain:
            j.add("aws.trail.s3_data_events", Status.ERROR, resource, b.region or "", "; ".join(gaps + uncertain))
        else:
            j.verdict("aws.trail.s3_data_events", gaps, resource, b.region or "", "object reads and writes recorded")


def _destination(j: _Judge, d: DestinationRecord) -> None:
    resource = f"arn:aws:s3:::{d.name}"
    needs = {
        "aws.bucket.object_lock": ("object_lock",),
        "aws.bucket.lifecycle": ("lifecycle",),
        "aws.bucket.hardening": ("versioning", "public_access", "policy", "encryption"),
    }
    failed = {c: [d.failures[k] for k in kinds if k in d.failures] for c, kinds in needs.items()}
    try:
        facts = api_facts.bucket_facts(d.name, d.region, d.responses)
    except Exception as exc:
        code, message = classify(exc)
        for control in needs:
            j.add(control, Status.ERROR, resource, d.region, f"{code}: {message}")
        return
    results = {
        "aws.bucket.object_lock": judges.object_lock(facts.object_lock, j.required),
        "aws.bucket.lifecycle": judges.lifecycle(facts.lifecycle, j.required),
        "aws.bucket.hardening": judges.hardening(facts),
    }
    for control, gaps in results.items():
        if failed[control]:
            j.add(control, Status.ERROR, resource, d.region, "; ".join(f.describe() for f in failed[control]))
        else:
            j.verdict(
                control,
                gaps,
                resource,
                d.region,
                f"holds for {j.required.describe()}"
                if control != "aws.bucket.hardening"
                else "versioned, private, TLS-only, SSE-KMS",
            )


def assess(snap: AccountSnapshot, required: RetentionRequirement) -> list[Finding]:
    """Every AWS control judged for one account."""
    j = _Judge(snap, required)
    for f in snap.failures:
        if f.operation in ("GetCallerIdentity", "DescribeRegions", "DescribeTrails"):
            j.add("aws.trail.multi_region", Status.ERROR, f.resource, f.region, f.describe())
    known: list[tuple[TrailRecord, TrailFacts]] = []
    unread: list[TrailRecord] = []
    for rec in snap.trails:
        facts = _trail_facts(j, rec)
        if facts is None:
            unread.append(rec)
            rec.failures.setdefault(
                "selectors", Failure("DescribeTrails", rec.home_region, rec.arn, "UnexpectedResponse", "see above")
            )
            continue
        if "selectors" in rec.failures:
            unread.append(rec)
            _per_trail(j, [(rec, facts)])
            continue
        known.append((rec, facts))
    _per_trail(j, known)
    _coverage(j, known, unread)
    for d in snap.destinations.values():
        _destination(j, d)
    return j.findings

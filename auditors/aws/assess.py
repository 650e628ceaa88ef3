"""Judge one account's snapshot: pure, offline, fail-closed.

A verdict is PASS only when what was read proves it. Coverage only grows with more
trails, so a complete coverage from the trails we could read is a PASS even if some
region failed; an incomplete one is an ERROR when anything unread could have closed it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from auditkit.auditors.aws import api_facts
from auditkit.auditors.aws.clients import Failure, classify
from auditkit.auditors.aws.collect import AccountSnapshot, DestinationRecord
from auditkit.auditors.findings import Finding, Status
from auditkit.policies.aws import judges
from auditkit.policies.aws.event_selectors import EventSelectors, bucket_space
from auditkit.policies.aws.facts import TrailFacts
from auditkit.policies.retention import RetentionRequirement

PER_TRAIL: tuple[tuple[str, Callable[[TrailFacts], list[str]]], ...] = (
    ("aws.trail.logging", judges.logging),
    ("aws.trail.log_validation", judges.log_validation),
    ("aws.trail.kms", judges.kms),
    ("aws.trail.cloudwatch", judges.cloudwatch),
)
ARCHIVE_NEEDS = {
    "aws.bucket.object_lock": ("object_lock",),
    "aws.bucket.lifecycle": ("lifecycle",),
    "aws.bucket.hardening": ("versioning", "public_access", "policy", "encryption"),
}
ACCOUNT_FAILURES = ("GetCallerIdentity", "DescribeRegions", "DescribeTrails")


class _Judge:
    def __init__(self, snap: AccountSnapshot, required: RetentionRequirement) -> None:
        self.snap = snap
        self.required = required
        self.findings: list[Finding] = []
        self.account_resource = f"arn:aws:iam::{snap.account}:root"
        self.unread: list[str] = [
            f.describe() for f in snap.failures if f.operation in ("DescribeTrails", "DescribeRegions")
        ]

    def add(self, control: str, status: Status, resource: str, region: str, message: str) -> None:
        self.findings.append(Finding(control, status, resource, self.snap.account, region, message))

    def verdict(
        self,
        control: str,
        gaps: list[str],
        resource: str,
        region: str,
        ok: str,
        unread: list[str] | None = None,
        account_wide: bool = True,
    ) -> None:
        """FAIL becomes ERROR when something unread could have changed it.

        account_wide: the verdict depends on every trail and region (coverage); False for what
        one trail's own description decides, which an unread region cannot change.
        """
        unread = (self.unread if account_wide else []) + (unread or [])
        if gaps and unread:
            self.add(control, Status.ERROR, resource, region, "; ".join(gaps + unread))
        else:
            self.add(control, Status.FAIL if gaps else Status.PASS, resource, region, "; ".join(gaps) if gaps else ok)


def _trails(j: _Judge) -> list[TrailFacts]:
    """Per-trail findings; returns the trails whose selectors were read (the coverage evidence).

    Description, status and selectors are parsed apart, so an odd answer to one call only
    turns what depends on that call into ERROR.
    """
    known = []
    for rec in j.snap.trails:
        try:
            facts = api_facts.trail_facts(rec.description, None, None)
        except Exception as exc:  # an unexpected shape: ERROR for everything this trail decides
            code, message = classify(exc)
            for control, _ in PER_TRAIL:
                j.add(control, Status.ERROR, rec.arn, rec.home_region, f"{code}: {message}")
            j.unread.append(f"trail {rec.arn}: {code}: {message}")
            continue
        for control, judge in PER_TRAIL[1:]:
            j.verdict(control, judge(facts), rec.arn, rec.home_region, f"trail {facts.name} passes", account_wide=False)
        try:
            if "status" in rec.failures:
                raise _Unread(rec.failures["status"].describe())
            logging = replace(facts, logging=api_facts.trail_facts(rec.description, None, rec.status).logging)
            j.verdict(
                "aws.trail.logging",
                judges.logging(logging),
                rec.arn,
                rec.home_region,
                f"trail {facts.name} is logging",
                account_wide=False,
            )
        except Exception as exc:
            j.add("aws.trail.logging", Status.ERROR, rec.arn, rec.home_region, _why(exc))
        try:
            if "selectors" in rec.failures:
                raise _Unread(rec.failures["selectors"].describe())
            known.append(replace(facts, selectors=EventSelectors.from_api(rec.selectors or {})))
        except Exception as exc:
            j.unread.append(f"trail {facts.name}: {_why(exc)}")
    return known


class _Unread(Exception):
    """A call that failed earlier (its Failure is already described)."""


def _why(exc: BaseException) -> str:
    if isinstance(exc, _Unread):
        return str(exc)
    code, message = classify(exc)
    return f"{code}: {message}"


def _coverage(j: _Judge, known: list[TrailFacts]) -> None:
    snap = j.snap
    multi = [(t, judges.multi_region(t)) for t in known]
    good = next((t for t, gaps in multi if not gaps), None)
    if good:
        j.add(
            "aws.trail.multi_region",
            Status.PASS,
            good.arn,
            good.home_region,
            f"trail {good.name} records all management events in every region",
        )
    else:
        gaps = [g for _, gs in multi for g in gs] or ["no CloudTrail trail in the account"]
        j.verdict("aws.trail.multi_region", gaps, j.account_resource, "", "")
    j.verdict(
        "aws.trail.lambda_data_events",
        judges.lambda_data_events(known),
        j.account_resource,
        "",
        "recorded by a multi-region trail",
    )
    j.verdict(
        "aws.trail.dynamodb_data_events",
        judges.dynamodb_data_events(known),
        j.account_resource,
        "",
        "recorded by a multi-region trail",
    )

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
    excluded = set(snap.trail_buckets)
    unread_logging = []
    for d in snap.destinations.values():
        if "logging" in d.failures:
            # Its access-log bucket may be among the buckets judged below.
            unread_logging.append(d.failures["logging"].describe())
            continue
        target = ((d.responses.get("logging") or {}).get("LoggingEnabled") or {}).get("TargetBucket")
        if target:
            excluded.add(str(target))
    in_scope = [b for b in snap.buckets if b.name not in excluded]
    if not in_scope:
        j.verdict("aws.trail.s3_data_events", [], j.account_resource, "", "no buckets in scope")
    for b in in_scope:
        region_failure = snap.bucket_region_failures.get(b.name)
        gaps = judges.s3_data_events(known, {b.name: bucket_space(b.name)}, b.region)
        extra = unread_logging + ([region_failure.describe()] if region_failure else [])
        j.verdict(
            "aws.trail.s3_data_events",
            gaps,
            f"arn:aws:s3:::{b.name}",
            b.region or "",
            "object reads and writes recorded",
            extra,
        )


def _destination(j: _Judge, d: DestinationRecord) -> None:
    resource = f"arn:aws:s3:::{d.name}"
    try:
        facts = api_facts.bucket_facts(d.name, d.region, d.responses)
        results = {
            "aws.bucket.object_lock": judges.object_lock(facts.object_lock, j.required),
            "aws.bucket.lifecycle": judges.archive_lifecycle(facts.lifecycle, j.required),
            "aws.bucket.hardening": judges.hardening(facts),
        }
    except Exception as exc:  # unexpected shapes in any response: ERROR, never a guess
        code, message = classify(exc)
        for control in ARCHIVE_NEEDS:
            j.add(control, Status.ERROR, resource, d.region, f"{code}: {message}")
        return
    ok = {
        "aws.bucket.hardening": "versioned, private, TLS-only, SSE-KMS",
        "aws.bucket.lifecycle": f"holds for {j.required.describe()}; {judges.describe_removal(facts.lifecycle)}",
    }
    for control, gaps in results.items():
        failed = [d.failures[k] for k in ARCHIVE_NEEDS[control] if k in d.failures]
        if failed:
            j.add(control, Status.ERROR, resource, d.region, "; ".join(f.describe() for f in failed))
        else:
            j.add(
                control,
                Status.FAIL if gaps else Status.PASS,
                resource,
                d.region,
                "; ".join(gaps) or ok.get(control, f"holds for {j.required.describe()}"),
            )


def assess(snap: AccountSnapshot, required: RetentionRequirement) -> list[Finding]:
    """Every AWS control judged for one account."""
    j = _Judge(snap, required)
    for f in snap.failures:
        if f.operation in ACCOUNT_FAILURES:
            j.add("aws.trail.multi_region", Status.ERROR, f.resource, f.region, f.describe())
    known = _trails(j)
    _coverage(j, known)
    for d in snap.destinations.values():
        _destination(j, d)
    return j.findings


def account_error(account: str, label: str, failure: Failure | None, exc: BaseException | None = None) -> Finding:
    """A whole account that could not be scanned: one ERROR, so the exit code says so."""
    if failure is None:
        code, message = classify(exc) if exc else ("Error", "")
        failure = Failure("scan", "", label, code, message)
    return Finding("aws.trail.multi_region", Status.ERROR, label, account, failure.region, failure.describe())

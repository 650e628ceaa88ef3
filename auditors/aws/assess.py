"""Judge one account's snapshot: pure, offline, fail-closed.

A verdict is PASS only when what was read proves it. Coverage only grows with more
trails, so a complete coverage from the trails we could read is a PASS even if some
region failed; an incomplete one is an ERROR when anything unread could have closed it.
"""

from __future__ import annotations

from dataclasses import replace

from auditkit.auditors.aws import api_facts
from auditkit.auditors.aws.clients import Failure, classify
from auditkit.auditors.aws.collect import AccountSnapshot, DestinationRecord, TrailRecord
from auditkit.auditors.findings import Finding, Status
from auditkit.policies.aws import judges
from auditkit.policies.aws.event_selectors import EventSelectors, all_buckets_space, bucket_space
from auditkit.policies.aws.facts import TrailFacts
from auditkit.policies.aws.lifecycle import minimum_size_note
from auditkit.policies.retention import RetentionRequirement

PER_TRAIL = ("aws.trail.logging", "aws.trail.log_validation", "aws.trail.kms", "aws.trail.cloudwatch")
ARCHIVE_NEEDS = {
    "aws.bucket.object_lock": ("object_lock",),
    "aws.bucket.lifecycle": ("lifecycle",),
    "aws.bucket.hardening": ("versioning", "public_access", "account_public_access", "policy", "encryption"),
}
ACCOUNT_FAILURES = ("GetCallerIdentity", "DescribeRegions", "DescribeTrails")


class _Judge:
    def __init__(self, snap: AccountSnapshot, required: RetentionRequirement) -> None:
        self.snap = snap
        self.required = required
        self.findings: list[Finding] = []
        self.account_resource = f"arn:{snap.partition}:iam::{snap.account}:root"
        self.unread: list[str] = [
            f.describe() for f in snap.failures if f.operation in ("DescribeTrails", "DescribeRegions")
        ]
        self.trails: list[TrailFacts] = []  # every trail whose description was read

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


def _trail_kms(j: _Judge, rec: TrailRecord, facts: TrailFacts) -> TrailFacts | None:
    """The trail's key with its KeyManager; None (after an ERROR) when the key could not be described."""
    key = facts.kms_key_id
    if not key or judges.aws_managed_by_name(key):
        return facts
    if facts.account != j.snap.account:
        return facts  # an organization trail seen from a member account: its key is not ours to describe
    manager, failure = j.snap.keys.get((key, rec.home_region or ""), (None, _unresolved(key, rec.home_region)))
    if failure:
        j.add("aws.trail.kms", Status.ERROR, rec.arn, rec.home_region, failure.describe())
        return None
    return replace(facts, kms_key_manager=manager)


def _trail_status(j: _Judge, rec: TrailRecord, facts: TrailFacts) -> TrailFacts | None:
    """Logging and delivery, judged; None when GetTrailStatus could not be read (then ERRORs)."""
    foreign = f"; {_foreign_note(j, facts)}" if facts.bucket in j.snap.foreign_buckets else ""
    try:
        if "status" in rec.failures:
            raise _Unread(rec.failures["status"].describe())
        status = api_facts.trail_facts(rec.description, None, rec.status)
    except Exception as exc:
        for control in ("aws.trail.logging", "aws.trail.cloudwatch"):
            j.add(control, Status.ERROR, rec.arn, rec.home_region, _why(exc))
        j.unread.append(f"trail {facts.name}: whether it is logging is unknown: {_why(exc)}")
        return None
    live = replace(facts, logging=status.logging, delivery=status.delivery)
    ok = f"trail {facts.name} is logging and delivering{foreign}"
    j.verdict("aws.trail.logging", judges.logging(live), rec.arn, rec.home_region, ok, account_wide=False)
    j.verdict(
        "aws.trail.cloudwatch",
        judges.cloudwatch(live),
        rec.arn,
        rec.home_region,
        f"trail {facts.name} passes",
        account_wide=False,
    )
    return live


def _foreign_note(j: _Judge, t: TrailFacts) -> str:
    owner = t.account or "another account"
    return (
        f"its archive s3://{t.bucket} belongs to the organization (trail of account {owner}), not to account "
        f"{j.snap.account}: scan the archive from the log-archive account"
    )


def _trails(j: _Judge) -> list[TrailFacts]:
    """Per-trail findings; returns the trails proven to record (logging, selectors read).

    Description, status, key and selectors are parsed apart, so an odd answer to one call only
    turns what depends on that call into ERROR.
    """
    known = []
    for rec in j.snap.trails:
        try:
            facts = api_facts.trail_facts(rec.description, None, None)
        except Exception as exc:  # an unexpected shape: ERROR for everything this trail decides
            code, message = classify(exc)
            for control in PER_TRAIL:
                j.add(control, Status.ERROR, rec.arn, rec.home_region, f"{code}: {message}")
            j.unread.append(f"trail {rec.arn}: {code}: {message}")
            continue
        j.trails.append(facts)
        ok = f"trail {facts.name} passes"
        j.verdict(
            "aws.trail.log_validation", judges.log_validation(facts), rec.arn, rec.home_region, ok, account_wide=False
        )
        keyed = _trail_kms(j, rec, facts)
        if keyed is not None:
            j.verdict("aws.trail.kms", judges.kms(keyed), rec.arn, rec.home_region, ok, account_wide=False)
        live = _trail_status(j, rec, facts)
        try:
            if "selectors" in rec.failures:
                raise _Unread(rec.failures["selectors"].describe())
            selectors = EventSelectors.from_api(rec.selectors or {})
        except Exception as exc:
            j.unread.append(f"trail {facts.name}: {_why(exc)}")
            continue
        if live is not None:
            known.append(replace(live, selectors=selectors))
    return known


class _Unread(Exception):
    """A call that failed earlier (its Failure is already described)."""


def _why(exc: BaseException) -> str:
    if isinstance(exc, _Unread):
        return str(exc)
    code, message = classify(exc)
    return f"{code}: {message}"


def _multi_region(j: _Judge, known: list[TrailFacts]) -> None:
    multi = [(t, judges.multi_region(t)) for t in known]
    good = next((t for t, gaps in multi if not gaps), None)
    if good:
        j.add(
            "aws.trail.multi_region",
            Status.PASS,
            good.arn,
            good.home_region,
            f"trail {good.name} is logging all management events in every region",
        )
        return
    gaps = [g for _, gs in multi for g in gs]
    if not gaps:
        found = ", ".join(t.name for t in j.trails)
        gaps = [
            f"no trail could be shown to record (found: {found})" if found else "no CloudTrail trail in the account"
        ]
    j.verdict("aws.trail.multi_region", gaps, j.account_resource, "", "")


def _recorded_by(known: list[TrailFacts], region: str | None = None) -> str:
    return "recorded by logging trail(s) " + ", ".join(t.name for t in judges.applicable_trails(known, region))


def _coverage(j: _Judge, known: list[TrailFacts]) -> None:
    _multi_region(j, known)
    for control, judge in (
        ("aws.trail.lambda_data_events", judges.lambda_data_events),
        ("aws.trail.dynamodb_data_events", judges.dynamodb_data_events),
    ):
        j.verdict(control, judge(known), j.account_resource, "", _recorded_by(known))
    _s3_coverage(j, known)


def _s3_coverage(j: _Judge, known: list[TrailFacts]) -> None:
    """Object reads and writes of every bucket in scope; the trails' own destinations are not in scope."""
    snap = j.snap
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
        # Any bucket created tomorrow must be recorded too: judge the space of every bucket.
        gaps = judges.s3_data_events(known, {"every bucket": all_buckets_space(excluded)})
        j.verdict(
            "aws.trail.s3_data_events",
            gaps,
            j.account_resource,
            "",
            f"no buckets yet; every bucket {_recorded_by(known)}",
        )
    for b in in_scope:
        region_failure = snap.bucket_region_failures.get(b.name)
        gaps = judges.s3_data_events(known, {b.name: bucket_space(b.name)}, b.region)
        extra = unread_logging + ([region_failure.describe()] if region_failure else [])
        if snap.limited_regions and (b.region is None or b.region not in snap.regions):
            extra.append(
                f"bucket region {b.region or 'unknown'} not scanned: trails in unscanned regions could cover it"
            )
        j.verdict(
            "aws.trail.s3_data_events",
            gaps,
            f"arn:{j.snap.partition}:s3:::{b.name}",
            b.region or "",
            f"object reads and writes {_recorded_by(known, b.region)}",
            extra,
        )


def _bucket_key(j: _Judge, d: DestinationRecord) -> tuple[str | None, Failure | None]:
    key = api_facts.bucket_key_id(d.responses.get("encryption"))
    if not key or judges.aws_managed_by_name(key):
        return None, None
    return j.snap.keys.get((key, d.region), (None, _unresolved(key, d.region)))


def _unresolved(key: str, region: str) -> Failure:
    """A key the collector did not describe is unknown, never customer-managed by default."""
    return Failure("DescribeKey", region, key, "NotResolved", "the key was not described")


def _destination(j: _Judge, d: DestinationRecord) -> None:
    resource = f"arn:{j.snap.partition}:s3:::{d.name}"
    writers = [t for t in j.trails if t.bucket == d.name]
    prefixes = sorted({t.log_prefix for t in writers}) or ["AWSLogs/"]
    failures = dict(d.failures)
    try:
        manager, key_failure = _bucket_key(j, d)
        if key_failure:
            failures["encryption"] = key_failure
        if j.snap.account_public_access_failure:
            failures["account_public_access"] = j.snap.account_public_access_failure
        facts = api_facts.bucket_facts(d.name, d.region, d.responses, j.snap.account_public_access, manager)
    except Exception as exc:  # unexpected shapes in any response: ERROR, never a guess
        code, message = classify(exc)
        for control in ARCHIVE_NEEDS:
            j.add(control, Status.ERROR, resource, d.region, f"{code}: {message}")
        return
    checks = {
        "aws.bucket.object_lock": lambda: judges.object_lock(facts.object_lock, j.required),
        "aws.bucket.lifecycle": lambda: judges.archive_lifecycle(facts.lifecycle, j.required, prefixes),
        "aws.bucket.hardening": lambda: judges.hardening(facts, writers),
    }
    ok = {
        "aws.bucket.hardening": "versioned, private, TLS-only, CloudTrail can write, SSE-KMS with a customer-managed key",
        "aws.bucket.lifecycle": f"holds for {j.required.describe()} under {' and '.join(prefixes)}; "
        f"{judges.describe_removal(facts.lifecycle, prefixes)}; " + minimum_size_note(facts.transition_minimum_size),
    }
    for control, check in checks.items():
        failed = [failures[k] for k in ARCHIVE_NEEDS[control] if k in failures]
        if failed:
            j.add(control, Status.ERROR, resource, d.region, "; ".join(f.describe() for f in failed))
            continue
        try:
            gaps = check()
        except Exception as exc:  # e.g. a policy the matcher cannot judge
            j.add(control, Status.ERROR, resource, d.region, _why(exc))
            continue
        message = "; ".join(gaps) or ok.get(control, f"holds for {j.required.describe()}")
        j.add(control, Status.FAIL if gaps else Status.PASS, resource, d.region, message)


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

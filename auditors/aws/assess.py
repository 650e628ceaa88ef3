"""Judge one account's snapshot by the AWS rule table: pure, offline, fail-closed.

Each kind of subject (policies/aws/rules.py) is built here once and judged by every rule of that
kind, one finding per rule and subject. What a verdict could not read is derived from the rule's reads:

- a trail or an archive: a rule whose reads did not all succeed is ERROR for that subject;
- trails and archives nobody could list (DescribeTrails or DescribeRegions failed): each trail and
  archive rule is ERROR for the region's trails, never silently absent;
- coverage (any trail, account, bucket): coverage only grows with more trails, so a verdict proven
  from the trails that were read is a PASS even if some region or trail failed; a gap is an ERROR
  when anything the rule reads could not be read, since that might have closed it.

Subjects are keyed as auditors/findings.py says: trails carry their home region; the account and its
buckets (whose ARNs name no region) carry none, whatever the verdict.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import partial

from auditkit.auditors.aws import api_facts
from auditkit.auditors.aws.alerts import assess_alerts
from auditkit.auditors.aws.clients import classify
from auditkit.auditors.aws.collect import DESTINATION_CALLS, AccountSnapshot, DestinationRecord, TrailRecord
from auditkit.auditors.failures import Failure
from auditkit.auditors.findings import Finding, Status
from auditkit.policies.aws import judges, rules
from auditkit.policies.aws.event_selectors import EventSelectors, all_buckets_space, bucket_space
from auditkit.policies.aws.facts import DEFAULT_LOG_PREFIXES, LogArchive, TrailFacts
from auditkit.policies.retention import RetentionRequirement
from auditkit.policies.rule import Rule, failed_reads, of_kind

# The reads that list the buckets in scope: without them there is no bucket to judge.
LISTING = ("ListBuckets", "GetResources")
# The collector's reads of an archive (DestinationRecord.failures, plus its key and the account's setting),
# in the order a verdict resting on several of them names their failures.
ARCHIVE_READS = (
    "location",
    "object_lock",
    "lifecycle",
    "versioning",
    "public_access",
    "account_public_access",
    "policy",
    "encryption",
)
Failures = list[tuple[str, str]]  # (read, what could not be read)


class _Judge:
    def __init__(self, snap: AccountSnapshot, required: RetentionRequirement) -> None:
        self.snap = snap
        self.required = required
        self.findings: list[Finding] = []
        self.account_resource = f"arn:{snap.partition}:iam::{snap.account}:root"
        # What coverage rests on and could not be read: the account's own reads, then each trail's.
        self.unread: Failures = [(f.operation, f.describe()) for f in snap.failures]
        self.trails: list[TrailFacts] = []  # every trail whose description was read

    def add(self, rule: Rule, status: Status, resource: str, region: str, message: str) -> None:
        self.findings.append(Finding(rule.control, status, resource, self.snap.account, region, message))

    def judge(
        self, rule: Rule, resource: str, region: str, failures: Failures, gaps: Callable[[], list[str]], ok: str
    ) -> None:
        """A subject's verdict: ERROR when a read it rests on failed or the judge could not judge."""
        failed = failed_reads(rule, failures)
        if failed:
            self.add(rule, Status.ERROR, resource, region, "; ".join(failed))
            return
        try:
            found = gaps()
        except Exception as exc:  # e.g. a policy the matcher cannot judge: ERROR, never a guess
            self.add(rule, Status.ERROR, resource, region, _why(exc))
            return
        self.add(rule, Status.FAIL if found else Status.PASS, resource, region, "; ".join(found) or ok)

    def covered(
        self,
        rule: Rule,
        gaps: list[str],
        resource: str,
        region: str,
        ok: str,
        extra: Failures = (),  # type: ignore[assignment]
        unscanned: list[str] | None = None,
    ) -> None:
        """A coverage verdict: a gap becomes ERROR when something the rule reads could not be read, or
        lies where the scan did not look (`unscanned`)."""
        unread = failed_reads(rule, [*self.unread, *extra]) + (unscanned or [])
        if gaps and unread:
            self.add(rule, Status.ERROR, resource, region, "; ".join(gaps + unread))
        else:
            self.add(rule, Status.FAIL if gaps else Status.PASS, resource, region, "; ".join(gaps) if gaps else ok)


class _Unread(Exception):
    """A call that failed earlier (its Failure is already described)."""


def _why(exc: BaseException) -> str:
    if isinstance(exc, _Unread):
        return str(exc)
    code, message = classify(exc)
    return f"{code}: {message}"


def _unresolved(key: str, region: str) -> Failure:
    """A key the collector did not describe is unknown, never customer-managed by default."""
    return Failure("DescribeKey", region, key, "NotResolved", "the key was not described")


def _identity(j: _Judge) -> Failure:
    """Why the account is unknown (GetCallerIdentity's failure)."""
    found = [f for f in j.snap.failures if f.operation == "GetCallerIdentity"]
    return found[0] if found else Failure("GetCallerIdentity", "", "sts", "NotRead", "the account was not identified")


def _trail_key(j: _Judge, rec: TrailRecord, facts: TrailFacts) -> tuple[TrailFacts, Failure | None]:
    """The trail with its key's KeyManager, or the failure that left it unknown."""
    key = facts.kms_key_id
    if not key or judges.aws_managed_by_name(key):
        return facts, None
    if not j.snap.account_known:
        return facts, _identity(j)  # whether the key is ours to describe, and so what manages it, is unknown
    if facts.account != j.snap.account:
        return facts, None  # an organization trail seen from a member account: its key is not ours to describe
    manager, failure = j.snap.keys.get((key, rec.home_region or ""), (None, _unresolved(key, rec.home_region)))
    return replace(facts, kms_key_manager=manager), failure


def _foreign_note(j: _Judge, t: TrailFacts) -> str:
    if t.bucket not in j.snap.foreign_buckets:
        return ""
    owner = t.account or "another account"
    return (
        f"; its archive s3://{t.bucket} belongs to the organization (trail of account {owner}), not to account "
        f"{j.snap.account}: scan the archive from the log-archive account"
    )


def _trail(j: _Judge, rec: TrailRecord) -> TrailFacts | None:
    """The trail's own rules; returns the trail when it is proven to record (status and selectors read).

    Description, status, key and selectors are parsed apart, so an odd answer to one call only turns
    the rules that read it into ERROR.
    """
    failures: Failures = []
    try:
        facts = api_facts.trail_facts(rec.description, None, None)
    except Exception as exc:  # an unexpected shape: ERROR for everything this trail decides
        failures.append(("DescribeTrails", _why(exc)))
        j.unread.append(("DescribeTrails", f"trail {rec.arn}: {_why(exc)}"))
        for rule in of_kind(rules.RULES, "trail"):
            j.judge(rule, rec.arn, rec.home_region, failures, lambda: [], "")
        return None
    j.trails.append(facts)
    live, key_failure = _trail_key(j, rec, facts)
    if key_failure:
        failures.append((key_failure.operation, key_failure.describe()))
    try:
        if "status" in rec.failures:
            raise _Unread(rec.failures["status"].describe())
        status = api_facts.trail_facts(rec.description, None, rec.status)
        live = replace(live, logging=status.logging, delivery=status.delivery)
    except Exception as exc:
        failures.append(("GetTrailStatus", _why(exc)))
        j.unread.append(("GetTrailStatus", f"trail {facts.name}: whether it is logging is unknown: {_why(exc)}"))
    for rule in of_kind(rules.RULES, "trail"):
        ok = rule.passed(f"trail {facts.name} passes", live) + _foreign_note(j, facts)
        j.judge(rule, rec.arn, rec.home_region, failures, partial(rule.judge, live), ok)
    try:
        if "selectors" in rec.failures:
            raise _Unread(rec.failures["selectors"].describe())
        selectors = EventSelectors.from_api(rec.selectors or {})
    except Exception as exc:
        j.unread.append(("GetEventSelectors", f"trail {facts.name}: {_why(exc)}"))
        return None
    if any(read == "GetTrailStatus" for read, _ in failures):
        return None
    return replace(live, selectors=selectors)


def _any_trail(j: _Judge, known: list[TrailFacts]) -> None:
    """Passes on the first trail that passes; otherwise judged on the account with every trail's gaps."""
    for rule in of_kind(rules.RULES, "any trail"):
        each = [(t, rule.judge(t)) for t in known]
        good = next((t for t, gaps in each if not gaps), None)
        if good:  # the subject is the account, whichever trail proves it
            j.add(rule, Status.PASS, j.account_resource, "", rule.passed(f"trail {good.name} passes", good))
            continue
        gaps = [g for _, gs in each for g in gs]
        if not gaps:
            found = ", ".join(t.name for t in j.trails)
            listed = not any(f.operation in ("DescribeTrails", "DescribeRegions") for f in j.snap.failures)
            none = "no CloudTrail trail in the account" if listed else "no trail found where the trails could be listed"
            gaps = [f"no trail could be shown to record (found: {found})" if found else none]
        j.covered(rule, gaps, j.account_resource, "", "")


def _recorded_by(known: list[TrailFacts], region: str | None = None) -> str:
    return "recorded by logging trail(s) " + ", ".join(t.name for t in judges.applicable_trails(known, region))


def _account(j: _Judge, known: list[TrailFacts]) -> None:
    for rule in of_kind(rules.RULES, "account"):
        j.covered(rule, rule.judge(known), j.account_resource, "", rule.passed(_recorded_by(known), known))


def _excluded(j: _Judge) -> tuple[set[str], Failures]:
    """The trails' own destinations and their access-log buckets (never in scope), and the access-logging
    reads that failed (their target might be among the buckets judged)."""
    excluded, unread = set(j.snap.trail_buckets), []
    for d in j.snap.destinations.values():
        if "logging" in d.failures:
            unread.append(("GetBucketLogging", d.failures["logging"].describe()))
            continue
        target = ((d.responses.get("logging") or {}).get("LoggingEnabled") or {}).get("TargetBucket")
        if target:
            excluded.add(str(target))
    return excluded, unread


def _buckets(j: _Judge, known: list[TrailFacts]) -> None:
    """Object reads and writes of every bucket in scope; the trails' own destinations are not in scope."""
    snap = j.snap
    for rule in of_kind(rules.RULES, "bucket"):
        if snap.buckets is None:
            listing = failed_reads(rule, [(f.operation, f.describe()) for f in snap.failures if f.operation in LISTING])
            j.add(rule, Status.ERROR, j.account_resource, "", "; ".join(listing) or "bucket list unavailable")
            continue
        excluded, unread_logging = _excluded(j)
        in_scope = [b for b in snap.buckets if b.name not in excluded]
        if not in_scope:
            # Any bucket created tomorrow must be recorded too: judge the space of every bucket.
            gaps = rule.judge(known, {"every bucket": all_buckets_space(excluded)}, None)
            j.covered(rule, gaps, j.account_resource, "", f"no buckets yet; every bucket {_recorded_by(known)}")
        for b in in_scope:
            region_failure = snap.bucket_region_failures.get(b.name)
            extra = unread_logging + ([("GetBucketLocation", region_failure.describe())] if region_failure else [])
            unscanned = []
            if snap.limited_regions and (b.region is None or b.region not in snap.regions):
                unscanned.append(
                    f"bucket region {b.region or 'unknown'} not scanned: trails in unscanned regions could cover it"
                )
            j.covered(
                rule,
                rule.judge(known, {b.name: bucket_space(b.name)}, b.region),
                f"arn:{snap.partition}:s3:::{b.name}",
                "",  # a bucket's ARN names no region: its key carries none, whatever the verdict
                f"object reads and writes {_recorded_by(known, b.region)}",
                extra,
                unscanned,
            )


def _archive_failures(j: _Judge, d: DestinationRecord, key: str | None) -> tuple[str | None, dict[str, Failure]]:
    """The archive's key manager, and the reads about it that failed: the bucket's, its key's, the account's."""
    failed = {k: f for k, f in d.failures.items() if k in ARCHIVE_READS}
    manager = None
    if key and not judges.aws_managed_by_name(key):
        manager, key_failure = j.snap.keys.get((key, d.region), (None, _unresolved(key, d.region)))
        if key_failure:
            failed["encryption"] = key_failure
    if j.snap.account_public_access_failure:
        failed["account_public_access"] = j.snap.account_public_access_failure
    return manager, failed


def _archive(j: _Judge, d: DestinationRecord) -> None:
    """The archive's rules, each on the reads it rests on: an odd answer to one call is ERROR only there."""
    resource = f"arn:{j.snap.partition}:s3:::{d.name}"
    writers = tuple(t for t in j.trails if t.bucket == d.name)
    prefixes = tuple(sorted({t.log_prefix for t in writers})) or DEFAULT_LOG_PREFIXES
    odd: dict[str, str] = {}
    try:
        key = api_facts.bucket_key_id(d.responses.get("encryption"))
    except Exception as exc:  # judged with the encryption part below
        key, odd["encryption"] = None, _why(exc)
    manager, failed = _archive_failures(j, d, key)
    facts, unparsed = api_facts.bucket_facts(d.name, d.region, d.responses, j.snap.account_public_access, manager)
    odd = {**unparsed, **odd}
    operation = {kind: op for kind, (op, _method, _absent) in DESTINATION_CALLS.items()}
    operation.update(account_public_access="GetPublicAccessBlock", location="GetBucketLocation")
    failures: Failures = [
        *((failed[k].operation, failed[k].describe()) for k in ARCHIVE_READS if k in failed),
        *((operation[k], f"{operation[k]} ({d.name}): {why}") for k, why in odd.items() if k not in failed),
    ]
    archive = LogArchive(facts, j.required, prefixes, writers)
    for rule in of_kind(rules.RULES, "archive"):
        ok = rule.passed(f"holds for {j.required.describe()}", archive)
        # A bucket's ARN names no region: the key carries none (auditors/findings.py).
        j.judge(rule, resource, "", failures, partial(rule.judge, archive), ok)


def _unlisted(j: _Judge) -> None:
    """Trails nobody could list (DescribeTrails failed in a region, or the regions were not listed): each
    trail and archive rule is ERROR for them, since one of them could be the trail that fails."""
    snap = j.snap
    for f in snap.failures:
        if f.operation == "DescribeTrails":
            resource, region, why = f.resource, f.region, f"the trails homed in {f.region} are unknown"
        elif f.operation == "DescribeRegions" and not snap.limited_regions:  # else --region chose the trails
            others = f"arn:{snap.partition}:cloudtrail:*:{snap.account}:trail/*"
            resource, region, why = others, "", f"trails homed outside {', '.join(snap.regions)} are unknown"
        else:
            continue
        for rule in [*of_kind(rules.RULES, "trail"), *of_kind(rules.RULES, "archive")]:
            j.add(rule, Status.ERROR, resource, region, f"{why} (and so are their archives): {f.describe()}")


def assess(snap: AccountSnapshot, required: RetentionRequirement) -> list[Finding]:
    """Every AWS rule judged for one account."""
    j = _Judge(snap, required)
    known = [t for t in (_trail(j, rec) for rec in snap.trails) if t is not None]
    _unlisted(j)
    _any_trail(j, known)
    _buckets(j, known)
    _account(j, known)
    for d in snap.destinations.values():
        _archive(j, d)
    return j.findings + assess_alerts(snap)


def account_error(
    account: str, label: str, failure: Failure | None, exc: BaseException | None = None, partition: str = "aws"
) -> Finding:
    """A whole account that could not be scanned: one ERROR, so the exit code says so. Its subject is the
    account (as when it passes) when its id is known, else what was asked for (a role, the organization)."""
    if failure is None:
        code, message = classify(exc) if exc else ("Error", "")
        failure = Failure("scan", "", label, code, message)
    control = rules.WHOLE_ACCOUNT.control
    resource = f"arn:{partition}:iam::{account}:root" if account.isdigit() and len(account) == 12 else label
    return Finding(control, Status.ERROR, resource, account, "", failure.describe())

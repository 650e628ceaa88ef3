"""Facts from a Pulumi plan (engine props, camelCase), and the whole-plan AWS judgement.

Used by `auditkit plan` and by the policy pack's resource and stack policies.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

from auditkit.policies.aws import rules
from auditkit.policies.aws.event_selectors import EventSelectors, UnknownShape, all_buckets_space, bucket_space
from auditkit.policies.aws.facts import (
    DEFAULT_LOG_PREFIXES,
    BucketFacts,
    Encryption,
    LifecycleFilter,
    LifecycleRule,
    LogArchive,
    ObjectLockFacts,
    PublicAccessBlock,
    TrailFacts,
    Transition,
)
from auditkit.policies.aws.plan_alerts import alert_verdicts
from auditkit.policies.aws.regions import partition_of
from auditkit.policies.aws.resource_types import (
    BUCKET,
    ENCRYPTION,
    LIFECYCLE,
    LOGGING,
    OBJECT_LOCK,
    POLICY,
    PUBLIC_ACCESS,
    TRAIL,
    VERSIONING,
    bucket_name,
    canonical_plan,
)
from auditkit.policies.computed import (
    Computed,
    NotYetKnown,
    Unreadable,
    first_computed,
    flag,
    judged,
    lazily,
    optional,
    text,
)
from auditkit.policies.retention import RetentionRequirement
from auditkit.policies.rule import Rule, of_kind
from auditkit.policies.verdicts import PlanResource, Verdict


def _int(value: Any) -> Any:
    """Engine numbers arrive as floats (google.protobuf.Struct); a count of days is whole. A marker stays a marker."""
    if value is None or isinstance(value, Computed):
        return value
    return int(value)


def _selectors(props: Mapping[str, Any]) -> Any:
    """The trail's selectors; a shape the evaluator refuses only fails the controls that read them."""
    computed = first_computed([props.get("eventSelectors"), props.get("advancedEventSelectors")])
    if computed is not None:
        raise NotYetKnown(computed.field)
    try:
        return EventSelectors.from_engine(props)
    except UnknownShape as exc:
        return Unreadable(exc)


def trail_facts(props: Mapping[str, Any], region: str = "") -> TrailFacts:
    """Fields computed at apply stay markers: only the judges that read them are undetermined."""
    return TrailFacts(
        name=text(props.get("name")),
        arn=text(props.get("arn")),
        home_region=text(props.get("region"), region),
        bucket=text(props.get("s3BucketName")),
        multi_region=flag(props.get("isMultiRegionTrail"), False),
        include_global_events=flag(props.get("includeGlobalServiceEvents"), True),
        organization=flag(props.get("isOrganizationTrail"), False),
        log_validation=flag(props.get("enableLogFileValidation"), False),
        kms_key_id=optional(props.get("kmsKeyId")),
        cloudwatch_log_group_arn=optional(props.get("cloudWatchLogsGroupArn")),
        cloudwatch_role_arn=optional(props.get("cloudWatchLogsRoleArn")),
        selectors=lazily(_selectors, props),
        logging=flag(props.get("enableLogging"), True),
        s3_key_prefix=text(props.get("s3KeyPrefix")),
    )


def object_lock_facts(props: Mapping[str, Any]) -> ObjectLockFacts:
    retention = ((props.get("rule") or {}).get("defaultRetention")) or {}
    return ObjectLockFacts(
        enabled=props.get("objectLockEnabled", "Enabled") == "Enabled",
        mode=retention.get("mode"),
        days=_int(retention.get("days")),
        years=_int(retention.get("years")),
    )


def _transitions(items: Sequence[Mapping[str, Any]] | None, days_key: str) -> tuple[Transition, ...]:
    return tuple(Transition(_int(t.get(days_key)), str(t.get("storageClass")), t.get("date")) for t in items or ())


def lifecycle_filter(rule: Mapping[str, Any]) -> LifecycleFilter:
    """aws.s3.BucketLifecycleConfiguration rule `filter` (prefix, tag, and, objectSize*) or legacy `prefix`."""
    f = rule.get("filter")
    if not f:
        return LifecycleFilter(prefix=str(rule.get("prefix") or ""))
    both = f.get("and") or {}
    tags = [(str(f["tag"].get("key")), str(f["tag"].get("value", "")))] if f.get("tag") else []
    tags += [(str(k), str(v)) for k, v in (both.get("tags") or {}).items()]
    return LifecycleFilter(
        prefix=str(f.get("prefix") or both.get("prefix") or ""),
        tags=tuple(tags),
        size_greater_than=_int(f.get("objectSizeGreaterThan", both.get("objectSizeGreaterThan"))),
        size_less_than=_int(f.get("objectSizeLessThan", both.get("objectSizeLessThan"))),
    )


def lifecycle_facts(props: Mapping[str, Any]) -> tuple[LifecycleRule, ...]:
    rules = []
    for r in props.get("rules") or ():
        expiration = r.get("expiration") or {}
        noncurrent = r.get("noncurrentVersionExpiration") or {}
        abort = r.get("abortIncompleteMultipartUpload") or {}
        rules.append(
            LifecycleRule(
                id=str(r.get("id", "")),
                enabled=r.get("status") == "Enabled",
                transitions=_transitions(r.get("transitions"), "days"),
                expiration_days=_int(expiration.get("days")),
                expiration_date=expiration.get("date"),
                noncurrent_transitions=_transitions(r.get("noncurrentVersionTransitions"), "noncurrentDays"),
                noncurrent_expiration_days=_int(noncurrent.get("noncurrentDays")),
                abort_incomplete_days=_int(abort.get("daysAfterInitiation")),
                scope=lifecycle_filter(r),
            )
        )
    return tuple(rules)


def public_access_facts(props: Mapping[str, Any]) -> PublicAccessBlock:
    return PublicAccessBlock(
        bool(props.get("blockPublicAcls")),
        bool(props.get("ignorePublicAcls")),
        bool(props.get("blockPublicPolicy")),
        bool(props.get("restrictPublicBuckets")),
    )


def encryption_facts(props: Mapping[str, Any]) -> Encryption:
    rules = props.get("rules") or [{}]
    default = rules[0].get("applyServerSideEncryptionByDefault") or {}
    return Encryption(default.get("sseAlgorithm"), default.get("kmsMasterKeyId") or None)


def versioning_facts(props: Mapping[str, Any]) -> str | None:
    return (props.get("versioningConfiguration") or {}).get("status")


def policy_facts(props: Mapping[str, Any]) -> dict | None:
    policy = props.get("policy")
    return json.loads(policy) if isinstance(policy, str) else policy


def _bucket_of(r: PlanResource) -> Any:
    return r.props.get("bucket") if r.type != BUCKET else bucket_name(r)


# Which plan resource sets what each archive read returns live.
_SETS = {
    "GetObjectLockConfiguration": OBJECT_LOCK,
    "GetBucketLifecycleConfiguration": LIFECYCLE,
    "GetBucketVersioning": VERSIONING,
    "GetPublicAccessBlock": PUBLIC_ACCESS,
    "GetBucketEncryption": ENCRYPTION,
    "GetBucketPolicy": POLICY,
}


def bucket_facts(resources: Sequence[PlanResource], bucket: str) -> tuple[BucketFacts, dict[str, list[str]]]:
    """Assemble one bucket from its configuration resources; also say which resource set what, by the
    read that returns it live.

    A configuration resource whose bucket is computed at apply (and could not be resolved in
    the plan) may be this bucket's: that part of the bucket is undetermined, never "unset".
    """
    mine = [r for r in resources if isinstance(_bucket_of(r), str) and _bucket_of(r) == bucket]
    by_type = {r.type: r for r in mine}
    unresolved = {r.type: r for r in resources if isinstance(_bucket_of(r), Computed)}
    used = {read: [by_type[t].name] for read, t in _SETS.items() if t in by_type}

    def get(t: str, parse: Any) -> Any:
        if t in by_type:
            return lazily(parse, by_type[t].props)
        return Computed(f"{unresolved[t].name}.bucket") if t in unresolved else None

    facts = BucketFacts(
        name=bucket,
        object_lock=get(OBJECT_LOCK, object_lock_facts),
        lifecycle=get(LIFECYCLE, lifecycle_facts),
        versioning=get(VERSIONING, versioning_facts),
        public_access_block=get(PUBLIC_ACCESS, public_access_facts),
        policy=get(POLICY, policy_facts),
        encryption=get(ENCRYPTION, encryption_facts),
    )
    return facts, used


def destination_buckets(resources: Sequence[PlanResource]) -> list[str]:
    """The trails' buckets, and the buckets their server access logs go to."""
    trails = {
        r.props["s3BucketName"] for r in resources if r.type == TRAIL and isinstance(r.props.get("s3BucketName"), str)
    }
    access = {
        r.props["targetBucket"]
        for r in resources
        if r.type == LOGGING and isinstance(r.props.get("targetBucket"), str) and r.props.get("bucket") in trails
    }
    return sorted((trails | access) - {""})


# The kinds judged over every trail of the plan: with no trail at all, each of them is a gap.
COVERAGE = ("any trail", "bucket", "account", "alert")


def judge_aws_plan(
    resources: Sequence[PlanResource],
    required: RetentionRequirement,
    s3_scope: Sequence[str] | None = None,
    archive_buckets: Sequence[str] = (),
    require_trail: bool = True,
    phi_buckets: Sequence[str] | None = None,
) -> list[Verdict]:
    """Every AWS rule judged over a whole plan. s3_scope None means every bucket.

    archive_buckets: log archives managed elsewhere in the plan's account (e.g. a central
    logging stack) whose configuration resources this plan may still touch.
    require_trail: False for stacks that do not declare AWS audit logging themselves.
    Resource types are read through the one alias table (resource_types.canonical_plan).
    phi_buckets: the buckets the PHI read-volume alert watches (None: not named, a gap of that alert).
    """
    resources = canonical_plan(resources)
    trails = [(r.name, trail_facts(r.props)) for r in resources if r.type == TRAIL]
    verdicts: list[Verdict] = []
    if trails:
        verdicts = _trail_verdicts(resources, trails, s3_scope)
        verdicts += alert_verdicts(resources, trails, phi_buckets)
    elif require_trail:
        coverage = [r for r in rules.RULES if isinstance(r, Rule) and r.per in COVERAGE]
        verdicts = [Verdict(r.control, (), ("the plan has no CloudTrail trail",)) for r in coverage]
    destinations = {t.bucket for _, t in trails if isinstance(t.bucket, str)}
    for name, t in trails:
        if isinstance(t.bucket, Computed):
            # The trail's bucket is computed outside this plan: its archive cannot be judged yet.
            verdicts += [Verdict(r.control, (name,), (), (t.bucket.field,)) for r in of_kind(rules.RULES, "archive")]
    for bucket in sorted(destinations | set(archive_buckets)):
        prefixes = tuple(sorted({t.log_prefix for _, t in trails if t.bucket == bucket})) or DEFAULT_LOG_PREFIXES
        verdicts += _archive_verdicts(resources, bucket, required, whole=bucket in destinations, prefixes=prefixes)
    return verdicts


def _any_trail(rule: Rule, trails: list[tuple[str, TrailFacts]]) -> Verdict:
    """Passes on the trails that pass; else every trail's gaps."""
    each = {n: judged(rule.control, (n,), partial(rule.judge, t)) for n, t in trails}
    good = [n for n, v in each.items() if v.passed]
    if good:
        return Verdict(rule.control, tuple(good), ())
    gaps = tuple(g for v in each.values() for g in v.gaps)
    undetermined = tuple(f for v in each.values() for f in v.undetermined)
    return Verdict(rule.control, tuple(each), gaps, undetermined)


def _partition(trails: list[tuple[str, TrailFacts]]) -> str:
    """The ARNs' partition is the provider's (aws, aws-us-gov, aws-cn): read it from a trail ARN.
    A new trail's ARN is computed at apply; its home region names the partition just as well."""
    return next(
        (
            t.arn.split(":")[1] if isinstance(t.arn, str) and t.arn.count(":") >= 5 else partition_of(t.home_region)
            for _, t in trails
            if isinstance(t.arn, str) and t.arn.count(":") >= 5 or isinstance(t.home_region, str)
        ),
        "aws",
    )


def _trail_verdicts(
    resources: Sequence[PlanResource], trails: list[tuple[str, TrailFacts]], s3_scope: Sequence[str] | None
) -> list[Verdict]:
    verdicts = [
        judged(rule.control, (name,), partial(rule.judge, t))
        for rule in of_kind(rules.RULES, "trail")
        for name, t in trails
    ]
    verdicts += [_any_trail(rule, trails) for rule in of_kind(rules.RULES, "any trail")]
    # Coverage is judged on what the trails are configured to record; whether each trail is
    # recording at all is the trail kind's question (logging). One cause, one gap.
    excluded = destination_buckets(resources)
    partition = _partition(trails)
    spaces = (
        {"every bucket": all_buckets_space(excluded, partition)}
        if s3_scope is None
        else {b: bucket_space(b, partition) for b in s3_scope}
    )
    all_trails = [t for _, t in trails]
    names = tuple(n for n, _ in trails)
    verdicts += [
        judged(rule.control, names, partial(rule.judge, all_trails, spaces, None))
        for rule in of_kind(rules.RULES, "bucket")
    ]
    verdicts += [
        judged(rule.control, names, partial(rule.judge, all_trails)) for rule in of_kind(rules.RULES, "account")
    ]
    return verdicts


def _archive_verdicts(
    resources: Sequence[PlanResource],
    bucket: str,
    required: RetentionRequirement,
    whole: bool,
    prefixes: tuple[str, ...] = DEFAULT_LOG_PREFIXES,
) -> list[Verdict]:
    """A trail's bucket is judged whole; an archive managed elsewhere only on the reads this plan sets.

    Each part of a judge is judged on its own, so one computed value hides no other gap.
    """
    facts, used = bucket_facts(resources, bucket)
    archive = LogArchive(facts, required, prefixes)
    out = []
    for rule in of_kind(rules.RULES, "archive"):
        by = [n for read in rule.reads for n in used.get(read, [])]
        parts = [part for read, part in rule.parts().items() if whole or read is None or read in used]
        if whole or by:
            out.append(judged(rule.control, by, *(partial(part, archive) for part in parts)))
    return out

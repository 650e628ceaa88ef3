"""Facts from a Pulumi plan (engine props, camelCase), and the whole-plan AWS judgement.

Used by `auditkit plan` and by the policy pack's resource and stack policies.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from auditkit.policies.aws import judges
from auditkit.policies.aws.event_selectors import EventSelectors, UnknownShape, all_buckets_space, bucket_space
from auditkit.policies.aws.facts import (
    BucketFacts,
    Encryption,
    LifecycleFilter,
    LifecycleRule,
    ObjectLockFacts,
    PublicAccessBlock,
    TrailFacts,
    Transition,
)
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
    known,
    lazily,
    optional,
    text,
)
from auditkit.policies.retention import RetentionRequirement
from auditkit.policies.verdicts import PlanResource, Verdict

__all__ = ["TRAIL", "PlanResource", "Verdict", "judge_aws_plan", "trail_facts"]


def _int(value: Any) -> int | None:
    """Engine numbers arrive as floats (google.protobuf.Struct); a count of days is whole."""
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


def bucket_facts(resources: Sequence[PlanResource], bucket: str) -> tuple[BucketFacts, dict[str, list[str]]]:
    """Assemble one bucket from its configuration resources; also say which resource set what.

    A configuration resource whose bucket is computed at apply (and could not be resolved in
    the plan) may be this bucket's: that part of the bucket is undetermined, never "unset".
    """
    mine = [r for r in resources if isinstance(_bucket_of(r), str) and _bucket_of(r) == bucket]
    by_type = {r.type: r for r in mine}
    unresolved = {r.type: r for r in resources if isinstance(_bucket_of(r), Computed)}
    used = {
        kind: [by_type[t].name]
        for kind, t in (
            ("object_lock", OBJECT_LOCK),
            ("lifecycle", LIFECYCLE),
            ("versioning", VERSIONING),
            ("public_access", PUBLIC_ACCESS),
            ("encryption", ENCRYPTION),
            ("policy", POLICY),
        )
        if t in by_type
    }

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


def judge_aws_plan(
    resources: Sequence[PlanResource],
    required: RetentionRequirement,
    s3_scope: Sequence[str] | None = None,
    archive_buckets: Sequence[str] = (),
    require_trail: bool = True,
) -> list[Verdict]:
    """Every AWS control judged over a whole plan. s3_scope None means every bucket.

    archive_buckets: log archives managed elsewhere in the plan's account (e.g. a central
    logging stack) whose configuration resources this plan may still touch.
    require_trail: False for stacks that do not declare AWS audit logging themselves.
    Resource types are read through the one alias table (resource_types.canonical_plan).
    """
    resources = canonical_plan(resources)
    trails = [(r.name, trail_facts(r.props)) for r in resources if r.type == TRAIL]
    verdicts: list[Verdict] = []
    if trails:
        verdicts = _trail_verdicts(resources, trails, s3_scope)
    elif require_trail:
        verdicts = [Verdict(c, (), ("the plan has no CloudTrail trail",)) for c in _COVERAGE]
    destinations = {t.bucket for _, t in trails if isinstance(t.bucket, str)}
    for name, t in trails:
        if isinstance(t.bucket, Computed):
            # The trail's bucket is computed outside this plan: its archive cannot be judged yet.
            verdicts += [Verdict(c, (name,), (), (t.bucket.field,)) for c in _ARCHIVE]
    for bucket in sorted(destinations | set(archive_buckets)):
        prefixes = sorted({t.log_prefix for _, t in trails if t.bucket == bucket}) or ["AWSLogs/"]
        verdicts += _archive_verdicts(resources, bucket, required, whole=bucket in destinations, prefixes=prefixes)
    return verdicts


_COVERAGE = (
    "aws.trail.multi_region",
    "aws.trail.s3_data_events",
    "aws.trail.lambda_data_events",
    "aws.trail.dynamodb_data_events",
)
_ARCHIVE = ("aws.bucket.object_lock", "aws.bucket.lifecycle", "aws.bucket.hardening")
TRAIL_JUDGES = {
    "aws.trail.logging": judges.logging,
    "aws.trail.log_validation": judges.log_validation,
    "aws.trail.kms": judges.kms,
    "aws.trail.cloudwatch": judges.cloudwatch,
}


def _trail_verdicts(
    resources: Sequence[PlanResource], trails: list[tuple[str, TrailFacts]], s3_scope: Sequence[str] | None
) -> list[Verdict]:
    verdicts = [
        judged(control_id, (name,), lambda check=check, t=t: check(t))
        for control_id, check in TRAIL_JUDGES.items()
        for name, t in trails
    ]
    multi = {n: judged("aws.trail.multi_region", (n,), lambda t=t: judges.multi_region(t)) for n, t in trails}
    good = [n for n, v in multi.items() if v.passed]
    if good:
        verdicts.append(Verdict("aws.trail.multi_region", tuple(good), ()))
    else:
        gaps = tuple(g for v in multi.values() for g in v.gaps)
        undetermined = tuple(f for v in multi.values() for f in v.undetermined)
        verdicts.append(Verdict("aws.trail.multi_region", tuple(multi), gaps, undetermined))
    # Coverage is judged on what the trails are configured to record; whether each trail is
    # recording at all is aws.trail.logging's question. One cause, one gap.
    excluded = destination_buckets(resources)
    # The ARNs' partition is the provider's (aws, aws-us-gov, aws-cn): read it from a trail ARN.
    # A new trail's ARN is computed at apply; its home region names the partition just as well.
    partition = next(
        (
            t.arn.split(":")[1] if isinstance(t.arn, str) and t.arn.count(":") >= 5 else partition_of(t.home_region)
            for _, t in trails
            if isinstance(t.arn, str) and t.arn.count(":") >= 5 or isinstance(t.home_region, str)
        ),
        "aws",
    )
    spaces = (
        {"every bucket": all_buckets_space(excluded, partition)}
        if s3_scope is None
        else {b: bucket_space(b, partition) for b in s3_scope}
    )
    all_trails = [t for _, t in trails]
    names = tuple(n for n, _ in trails)
    verdicts += [
        judged("aws.trail.s3_data_events", names, lambda: judges.s3_data_events(all_trails, spaces)),
        judged("aws.trail.lambda_data_events", names, lambda: judges.lambda_data_events(all_trails)),
        judged("aws.trail.dynamodb_data_events", names, lambda: judges.dynamodb_data_events(all_trails)),
    ]
    return verdicts


def _archive_verdicts(
    resources: Sequence[PlanResource],
    bucket: str,
    required: RetentionRequirement,
    whole: bool,
    prefixes: Sequence[str] = ("AWSLogs/",),
) -> list[Verdict]:
    """A trail's bucket is judged whole; an archive managed elsewhere only on what this plan sets."""
    facts, used = bucket_facts(resources, bucket)
    out = []
    if whole or "object_lock" in used:
        lock = lambda: judges.object_lock(facts.object_lock, required)  # noqa: E731
        out.append(judged("aws.bucket.object_lock", used.get("object_lock", []), lock))
    if whole or "lifecycle" in used:
        rules = lambda: judges.archive_lifecycle(facts.lifecycle, required, prefixes)  # noqa: E731
        out.append(judged("aws.bucket.lifecycle", used.get("lifecycle", []), rules))
    # Each part of hardening is judged on its own, so one computed value hides no other gap.
    parts = {
        "versioning": lambda: judges.versioning(facts.versioning),
        "public_access": lambda: judges.public_access(facts.public_access_block),
        "encryption": lambda: judges.encryption(facts.encryption),
        "policy": lambda: judges.tls_policy(known(facts.policy), bucket),
    }
    by = tuple(n for k in parts for n in used.get(k, []))
    if whole or by:
        chosen = [part for k, part in parts.items() if whole or k in used]
        out.append(judged("aws.bucket.hardening", by, *chosen))
    return out

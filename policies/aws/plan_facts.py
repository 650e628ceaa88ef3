"""Facts from a Pulumi plan (engine props, camelCase), and the whole-plan AWS judgement.

Used by `auditkit plan` and by the policy pack's resource and stack policies.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from auditkit.policies.aws import judges
from auditkit.policies.aws.event_selectors import EventSelectors, all_buckets_space, bucket_space
from auditkit.policies.aws.facts import (
    BucketFacts,
    Encryption,
    LifecycleRule,
    ObjectLockFacts,
    PublicAccessBlock,
    TrailFacts,
    Transition,
)
from auditkit.policies.retention import RetentionRequirement
from auditkit.policies.verdicts import PlanResource, Verdict

__all__ = ["PlanResource", "Verdict", "judge_aws_plan", "trail_facts"]

TRAIL = "aws:cloudtrail/trail:Trail"
BUCKET = "aws:s3/bucket:Bucket"
OBJECT_LOCK = "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration"
LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
PUBLIC_ACCESS = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
ENCRYPTION = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
POLICY = "aws:s3/bucketPolicy:BucketPolicy"
LOGGING = "aws:s3/bucketLogging:BucketLogging"


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def trail_facts(props: Mapping[str, Any], region: str = "") -> TrailFacts:
    return TrailFacts(
        name=str(props.get("name") or ""),
        arn=str(props.get("arn") or ""),
        home_region=str(props.get("region") or region),
        bucket=str(props.get("s3BucketName") or ""),
        multi_region=bool(props.get("isMultiRegionTrail", False)),
        include_global_events=bool(props.get("includeGlobalServiceEvents", True)),
        organization=bool(props.get("isOrganizationTrail", False)),
        log_validation=bool(props.get("enableLogFileValidation", False)),
        kms_key_id=props.get("kmsKeyId") or None,
        cloudwatch_log_group_arn=props.get("cloudWatchLogsGroupArn") or None,
        cloudwatch_role_arn=props.get("cloudWatchLogsRoleArn") or None,
        selectors=EventSelectors.from_engine(props),
        logging=bool(props.get("enableLogging", True)),
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


def _bucket_of(r: PlanResource) -> str | None:
    return r.props.get("bucket") if r.type != BUCKET else (r.props.get("bucket") or r.name)


def bucket_facts(resources: Sequence[PlanResource], bucket: str) -> tuple[BucketFacts, dict[str, list[str]]]:
    """Assemble one bucket from its configuration resources; also say which resource set what."""
    mine = [r for r in resources if _bucket_of(r) == bucket]
    by_type = {r.type: r for r in mine}
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
        return parse(by_type[t].props) if t in by_type else None

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
    trails = {str(r.props.get("s3BucketName")) for r in resources if r.type == TRAIL and r.props.get("s3BucketName")}
    access = {
        str(r.props.get("targetBucket")) for r in resources if r.type == LOGGING and r.props.get("bucket") in trails
    }
    return sorted(trails | access)


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
    """
    trails = [(r.name, trail_facts(r.props)) for r in resources if r.type == TRAIL]
    verdicts: list[Verdict] = []
    if trails:
        verdicts = _trail_verdicts(resources, trails, s3_scope)
    elif require_trail:
        verdicts = [
            Verdict(c, (), ("the plan has no CloudTrail trail",))
            for c in (
                "aws.trail.multi_region",
                "aws.trail.s3_data_events",
                "aws.trail.lambda_data_events",
                "aws.trail.dynamodb_data_events",
            )
        ]
    destinations = {t.bucket for _, t in trails}
    for bucket in sorted(destinations | set(archive_buckets)):
        verdicts += _archive_verdicts(resources, bucket, required, whole=bucket in destinations)
    return verdicts


def _trail_verdicts(
    resources: Sequence[PlanResource], trails: list[tuple[str, TrailFacts]], s3_scope: Sequence[str] | None
) -> list[Verdict]:
    verdicts = [
        Verdict(control_id, (name,), tuple(check(t)))
        for check, control_id in (
            (judges.logging, "aws.trail.logging"),
            (judges.log_validation, "aws.trail.log_validation"),
            (judges.kms, "aws.trail.kms"),
            (judges.cloudwatch, "aws.trail.cloudwatch"),
        )
        for name, t in trails
    ]
    multi = {n: judges.multi_region(t) for n, t in trails}
    good = [n for n, gaps in multi.items() if not gaps]
    gaps = () if good else tuple(g for gs in multi.values() for g in gs)
    verdicts.append(Verdict("aws.trail.multi_region", tuple(good or multi), gaps))
    # Coverage is judged on what the trails are configured to record; whether each trail is
    # recording at all is aws.trail.logging's question. One cause, one gap.
    excluded = destination_buckets(resources)
    # The ARNs' partition is the provider's (aws, aws-us-gov, aws-cn): read it from a trail ARN.
    partition = next((t.arn.split(":")[1] for _, t in trails if t.arn.count(":") >= 5), "aws")
    spaces = (
        {"every bucket": all_buckets_space(excluded, partition)}
        if s3_scope is None
        else {b: bucket_space(b, partition) for b in s3_scope}
    )
    all_trails = [t for _, t in trails]
    names = tuple(n for n, _ in trails)
    verdicts.append(Verdict("aws.trail.s3_data_events", names, tuple(judges.s3_data_events(all_trails, spaces))))
    verdicts.append(Verdict("aws.trail.lambda_data_events", names, tuple(judges.lambda_data_events(all_trails))))
    verdicts.append(Verdict("aws.trail.dynamodb_data_events", names, tuple(judges.dynamodb_data_events(all_trails))))
    return verdicts


def _archive_verdicts(
    resources: Sequence[PlanResource], bucket: str, required: RetentionRequirement, whole: bool
) -> list[Verdict]:
    """A trail's bucket is judged whole; an archive managed elsewhere only on what this plan sets."""
    facts, used = bucket_facts(resources, bucket)
    hardening_parts = ("versioning", "public_access", "encryption", "policy")
    out = []
    if whole or "object_lock" in used:
        out.append(
            Verdict(
                "aws.bucket.object_lock",
                tuple(used.get("object_lock", [])),
                tuple(judges.object_lock(facts.object_lock, required)),
            )
        )
    if whole or "lifecycle" in used:
        out.append(
            Verdict(
                "aws.bucket.lifecycle",
                tuple(used.get("lifecycle", [])),
                tuple(judges.archive_lifecycle(facts.lifecycle, required)),
            )
        )
    by = tuple(n for k in hardening_parts for n in used.get(k, []))
    if whole:
        out.append(Verdict("aws.bucket.hardening", by, tuple(judges.hardening(facts))))
    elif by:
        partial = (
            (judges.versioning(facts.versioning) if "versioning" in used else [])
            + (judges.public_access(facts.public_access_block) if "public_access" in used else [])
            + (judges.encryption(facts.encryption) if "encryption" in used else [])
            + (judges.tls_policy(facts.policy, bucket) if "policy" in used else [])
        )
        out.append(Verdict("aws.bucket.hardening", by, tuple(partial)))
    return out

"""Previews of NEW stacks, and stacks written with v6 types, through the engine data path.

At preview the engine sends what the program wrote literally and an unknown for every value
computed at apply (ids, ARNs; pulumi/pulumi analyzer_plugin.go marshals with KeepUnknowns), with
`propertyDependencies` naming the resources each input came from. Resource shapes are the
pulumi-aws 7.x input types (`pulumi_aws/s3/_inputs.py`, `cloudtrail/trail.py`) in the engine's
camelCase; the V2 tokens are the aliases pulumi-aws 7 registers (`s3/bucket.py`:
`Alias(type_="aws:s3/bucketV2:BucketV2")`, `bucket_lifecycle_configuration.py`, ...).
"""

from __future__ import annotations

import json

import pytest

from auditkit.policies.alerts.catalog import control_ids
from auditkit.policies.crossguard.metadata import policy_name
from auditkit.policies.crossguard.offline import Resource, check
from tests.engine_harness import COMPUTED, Analyzer, EngineResource, stack_config

STACK = {"aws:region": "us-east-1", "auditkit:jurisdictions": ["US", "CA"], "auditkit:clouds": ["aws"]}
ARCHIVE = "acme-audit-archive"
KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def _selector(name: str, category: str, resource_type: str | None = None) -> dict:
    fields = [{"field": "eventCategory", "equals": [category]}]
    if resource_type:
        fields.append({"field": "resources.type", "equals": [resource_type]})
    return {"name": name, "fieldSelectors": fields}


SELECTORS = [
    _selector("management", "Management"),
    _selector("s3", "Data", "AWS::S3::Object"),
    _selector("lambda", "Data", "AWS::Lambda::Function"),
    _selector("dynamodb", "Data", "AWS::DynamoDB::Table"),
]


def trail(**props) -> EngineResource:
    base = {
        "name": "audit",
        "s3BucketName": ARCHIVE,
        "enableLogging": True,
        "enableLogFileValidation": True,
        "isMultiRegionTrail": True,
        "includeGlobalServiceEvents": True,
        "kmsKeyId": KEY,
        "cloudWatchLogsGroupArn": "arn:aws:logs:us-east-1:123456789012:log-group:audit:*",
        "cloudWatchLogsRoleArn": "arn:aws:iam::123456789012:role/audit-cloudwatch",
        "advancedEventSelectors": SELECTORS,
    }
    deps = props.pop("deps", {})
    return EngineResource("aws:cloudtrail/trail:Trail", "trail", {**base, **props}, deps)


def tls_policy(bucket: str) -> str:
    arn = f"arn:aws:s3:::{bucket}"
    deny = {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [arn, f"{arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    return json.dumps({"Version": "2012-10-17", "Statement": [deny]})


def new_stack(**overrides) -> list[EngineResource]:
    """A first preview: the trail and its archive are both new; ids and ARNs are unknown."""
    on_archive = {"bucket": ["archive"]}
    lock = {"mode": "COMPLIANCE", "years": 7}
    return [
        EngineResource("aws:kms/key:Key", "key", {"arn": COMPUTED, "enableKeyRotation": True}),
        EngineResource("aws:cloudwatch/logGroup:LogGroup", "logs", {"arn": COMPUTED, "retentionInDays": 365}),
        EngineResource("aws:iam/role:Role", "role", {"arn": COMPUTED}),
        EngineResource("aws:s3/bucket:Bucket", "archive", {"bucket": ARCHIVE, "objectLockEnabled": True}),
        trail(
            s3BucketName=COMPUTED,
            kmsKeyId=COMPUTED,
            cloudWatchLogsGroupArn=COMPUTED,
            cloudWatchLogsRoleArn=COMPUTED,
            arn=COMPUTED,
            deps={
                "s3BucketName": ["archive"],
                "kmsKeyId": ["key"],
                "cloudWatchLogsGroupArn": ["logs"],
                "cloudWatchLogsRoleArn": ["role"],
            },
            **overrides.get("trail", {}),
        ),
        EngineResource(
            "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
            "lock",
            {"bucket": COMPUTED, "rule": {"defaultRetention": overrides.get("lock", lock)}},
            on_archive,
        ),
        EngineResource(
            "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
            "tiers",
            {
                "bucket": COMPUTED,
                "rules": [
                    {
                        "id": "tiers",
                        "status": "Enabled",
                        "transitions": [{"days": 90, "storageClass": "GLACIER"}],
                        "expiration": {"days": overrides.get("expiration_days", 2557)},
                        # Versioned: the expired version's bytes go a day later (issue 14 item 4).
                        "noncurrentVersionExpiration": {"noncurrentDays": 1},
                    }
                ],
            },
            on_archive,
        ),
        EngineResource(
            "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
            "public-access",
            {
                "bucket": COMPUTED,
                "blockPublicAcls": True,
                "ignorePublicAcls": True,
                "blockPublicPolicy": True,
                "restrictPublicBuckets": True,
            },
            on_archive,
        ),
        EngineResource(
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            "sse",
            {
                "bucket": COMPUTED,
                "rules": [
                    {"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": COMPUTED}}
                ],
            },
            {"bucket": ["archive"], "rules": ["key"]},
        ),
        EngineResource("aws:s3/bucketPolicy:BucketPolicy", "tls", {"bucket": COMPUTED, "policy": COMPUTED}, on_archive),
    ]


def run(monkeypatch, resources, config=STACK):
    with stack_config(monkeypatch, config):
        return Analyzer().preview(resources)


def trail_and_archive(diagnostics):
    """The trail and archive controls' diagnostics: these stacks deploy no alerts (each an advisory gap)."""
    return [d for d in diagnostics if not d.policy.startswith("auditkit-aws-alerts-")]


def by_policy(diagnostics) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for d in diagnostics:
        out.setdefault(d.policy, set()).add(d.level)
    return out


def test_a_new_stack_is_judged_on_what_it_writes_and_only_computed_facts_wait_for_apply(monkeypatch):
    diagnostics = run(monkeypatch, new_stack())
    # The bucket policy's JSON is built from the bucket's ARN: the TLS part of hardening waits.
    # The trail's key and log group are resolved to the plan's own KMS key / log group only in the
    # stack view; the per-resource view sees bare unknowns and says so (advisory, naming the field).
    # These hand-written stacks deploy no metric filters: every alert is an advisory gap (they say so).
    assert by_policy(diagnostics) == {
        "auditkit-aws-trail-kms": {"advisory"},
        "auditkit-aws-trail-cloudwatch": {"advisory"},
        "auditkit-aws-bucket-hardening": {"advisory"},
        **{policy_name(c): {"advisory"} for c in control_ids("aws")},
    }
    alert = next(d for d in diagnostics if d.policy == "auditkit-aws-alerts-root-use")
    assert "[aws.alerts.root_use] no metric filter on the trail's log group <log group logs, named at apply>" in (
        alert.message
    )
    messages = {d.policy: d.message for d in diagnostics}
    assert "cannot judge aws.trail.kms before apply: kmsKeyId computed at apply" in messages["auditkit-aws-trail-kms"]
    assert (
        "cannot judge aws.bucket.hardening before apply: policy computed at apply"
        in (messages["auditkit-aws-bucket-hardening"])
    )


def test_a_new_trail_that_does_not_log_is_stopped_although_its_bucket_is_unknown(monkeypatch):
    diagnostics = run(monkeypatch, new_stack(trail={"enableLogging": False}))
    assert by_policy(diagnostics)["auditkit-aws-trail-logging"] == {"mandatory"}
    assert any("trail audit is not logging" in d.message for d in diagnostics)


@pytest.mark.parametrize(
    "change, policy, gap",
    [
        ({"lock": {"mode": "GOVERNANCE", "years": 7}}, "auditkit-aws-bucket-object-lock", "GOVERNANCE can be bypassed"),
        ({"lock": {"mode": "COMPLIANCE"}}, "auditkit-aws-bucket-object-lock", "no default retention period"),
        ({"expiration_days": 365}, "auditkit-aws-bucket-lifecycle", "expires objects after 365 days"),
    ],
)
def test_literal_archive_settings_of_a_new_bucket_are_judged(monkeypatch, change, policy, gap):
    """The lock and lifecycle name the bucket by its (unknown) id: resolved through the plan's dependencies."""
    diagnostics = [d for d in run(monkeypatch, new_stack(**change)) if d.policy == policy]
    assert [d.level for d in diagnostics] == ["mandatory"]
    assert gap in diagnostics[0].message and diagnostics[0].urn.endswith(("::lock", "::tiers"))


def test_a_trail_bucket_outside_the_plan_leaves_only_the_archive_controls_waiting(monkeypatch):
    """The bucket name comes from outside the plan (e.g. a StackReference output): no dependency resolves it."""
    plan = new_stack()
    shared = next(r for r in plan if r.name == "trail")
    deps = {k: v for k, v in shared.deps.items() if k != "s3BucketName"}
    resources = [r for r in plan if r.name in ("key", "logs", "role")]
    resources.append(EngineResource(shared.type, shared.name, shared.props, deps))
    diagnostics = by_policy(run(monkeypatch, resources))
    for control in ("object-lock", "lifecycle", "hardening"):
        assert diagnostics[f"auditkit-aws-bucket-{control}"] == {"advisory"}
    assert "auditkit-aws-trail-logging" not in diagnostics


ALIAS_CONFIG = [
    EngineResource("aws:s3/bucketV2:BucketV2", "archive", {"bucket": ARCHIVE, "objectLockEnabled": True}),
    EngineResource(
        "aws:s3/bucketVersioningV2:BucketVersioningV2",
        "versioning",
        {"bucket": ARCHIVE, "versioningConfiguration": {"status": "Enabled"}},
    ),
    EngineResource(
        "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
        "sse",
        {
            "bucket": ARCHIVE,
            "rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": KEY}}],
        },
    ),
    EngineResource(
        "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2",
        "tiers",
        {
            "bucket": ARCHIVE,
            "rules": [
                {
                    "id": "t",
                    "status": "Enabled",
                    "transitions": [{"days": 90, "storageClass": "GLACIER"}],
                    "expiration": {"days": 2557},
                    "noncurrentVersionExpiration": {"noncurrentDays": 1},
                },
            ],
        },
    ),
    EngineResource(
        "aws:s3/bucketObjectLockConfigurationV2:BucketObjectLockConfigurationV2",
        "lock",
        {"bucket": ARCHIVE, "rule": {"defaultRetention": {"mode": "COMPLIANCE", "years": 7}}},
    ),
]
PUBLIC_ACCESS = EngineResource(
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    "public-access",
    {
        "bucket": ARCHIVE,
        "blockPublicAcls": True,
        "ignorePublicAcls": True,
        "blockPublicPolicy": True,
        "restrictPublicBuckets": True,
    },
)
POLICY = EngineResource("aws:s3/bucketPolicy:BucketPolicy", "tls", {"bucket": ARCHIVE, "policy": tls_policy(ARCHIVE)})


def inline_bucket(
    lock_mode: str = "COMPLIANCE", expiration_days: int = 2557, versioning: bool = True
) -> EngineResource:
    """A v6-era aws.s3.Bucket that carries its archive settings inline (deprecated, still shipped in v7)."""
    return EngineResource(
        "aws:s3/bucket:Bucket",
        "archive",
        {
            "bucket": ARCHIVE,
            "versioning": {"enabled": versioning},
            "serverSideEncryptionConfiguration": {
                "rule": {"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": KEY}}
            },
            "objectLockConfiguration": {
                "objectLockEnabled": "Enabled",
                "rule": {"defaultRetention": {"mode": lock_mode, "years": 7}},
            },
            "lifecycleRules": [
                {
                    "id": "tiers",
                    "enabled": True,
                    "transitions": [{"days": 90, "storageClass": "GLACIER"}],
                    "expiration": {"days": expiration_days},
                    "noncurrentVersionExpiration": {"days": 1},
                }
            ],
        },
    )


def test_v6_alias_types_are_judged_like_their_v7_twins(monkeypatch):
    assert trail_and_archive(run(monkeypatch, [trail(), *ALIAS_CONFIG, PUBLIC_ACCESS, POLICY])) == []
    weakened = [
        EngineResource(r.type, r.name, {**r.props, "rule": {"defaultRetention": {"mode": "GOVERNANCE", "years": 7}}})
        if r.name == "lock"
        else r
        for r in ALIAS_CONFIG
    ]
    diagnostics = trail_and_archive(run(monkeypatch, [trail(), *weakened, PUBLIC_ACCESS, POLICY]))
    assert by_policy(diagnostics) == {"auditkit-aws-bucket-object-lock": {"mandatory"}}


def test_inline_bucket_blocks_are_judged_like_the_standalone_resources(monkeypatch):
    assert trail_and_archive(run(monkeypatch, [trail(), inline_bucket(), PUBLIC_ACCESS, POLICY])) == []
    diagnostics = trail_and_archive(
        run(monkeypatch, [trail(), inline_bucket("GOVERNANCE", 365, False), PUBLIC_ACCESS, POLICY])
    )
    assert by_policy(diagnostics) == {
        "auditkit-aws-bucket-object-lock": {"mandatory"},
        "auditkit-aws-bucket-lifecycle": {"mandatory"},
        "auditkit-aws-bucket-hardening": {"mandatory"},
    }
    messages = " ".join(d.message for d in diagnostics)
    assert "GOVERNANCE" in messages and "365 days" in messages and "versioning is Disabled" in messages


def test_a_bucket_created_with_object_lock_is_versioned(monkeypatch):
    """S3 enables versioning with Object Lock and it cannot be suspended: no 'versioning never enabled'."""
    resources = [trail(), *[r for r in ALIAS_CONFIG if r.name != "versioning"], PUBLIC_ACCESS, POLICY]
    assert trail_and_archive(run(monkeypatch, resources)) == []
    unlocked = [EngineResource(r.type, r.name, {"bucket": ARCHIVE}) if r.name == "archive" else r for r in resources]
    assert any("versioning is never enabled" in d.message for d in run(monkeypatch, unlocked))


def test_the_offline_check_reads_the_same_alias_table():
    plan = [Resource(r.type, r.name, r.urn, r.props, r.props) for r in (trail(), inline_bucket("GOVERNANCE"))]
    controls = {v.control for v in check(plan, {"jurisdictions": ["CA"], "clouds": ["aws"]}) if v.mandatory}
    assert "aws.bucket.object_lock" in controls
    assert not any("Object Lock is not enabled" in v.message for v in check(plan, {"jurisdictions": ["CA"]}))

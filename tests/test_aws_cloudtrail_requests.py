"""The rendered key and bucket policies against the exact requests CloudTrail makes.

moto evaluates neither key policies nor bucket policies, so these requests go through the one IAM
statement matcher (policies/aws/iam_statements.py). The requests, from AWS's documentation:
- CloudTrail User Guide, "Configure AWS KMS key policies for CloudTrail": CloudTrail calls
  kms:GenerateDataKey* for each log/digest file, kms:DescribeKey to check the key ("Enable CloudTrail
  to describe KMS key properties", no encryption context), and kms:Decrypt when the bucket uses an
  S3 Bucket Key; each carries aws:SourceArn = the trail's ARN. Readers decrypt with kms:Decrypt.
- KMS Developer Guide, "How AWS CloudTrail uses AWS KMS": the encryption context of a log file is
  {"aws:cloudtrail:arn": <trail ARN>, "aws:s3:arn": <the object's ARN>}.
- CloudTrail User Guide, "Amazon S3 bucket policy for CloudTrail": s3:GetBucketAcl on the bucket and
  s3:PutObject under [prefix/]AWSLogs/<account>/ (organization trails: AWSLogs/<org id>/<account>/)
  with x-amz-acl bucket-owner-full-control.
"""

from __future__ import annotations

import json

import pytest

from auditkit.policies.aws.iam_statements import Decision, Principal, Request, evaluate
from tests.conftest import rendered, settings

ACCOUNT = "123456789012"
OTHER = "999999999999"
CLOUDTRAIL = Principal.service("cloudtrail.amazonaws.com")


class Stack:
    """One rendered stack's policies and the ARNs CloudTrail would use."""

    def __init__(self, name: str, region: str, partition: str, **aws: object) -> None:
        r = rendered(settings(name=name, region=region, aws=aws or None))
        self.partition, self.region = partition, region
        self.key_policy = json.loads(r["audit-archive-key"].inputs["policy"])
        self.bucket_policy = json.loads(r["audit-archive-policy"].inputs["policy"])
        self.key = r["audit-archive-key"].state["arn"]
        self.bucket = r["audit-archive-bucket"].state["arn"]
        self.trail = f"arn:{partition}:cloudtrail:{region}:{ACCOUNT}:trail/{r['audit-trail-trail'].inputs['name']}"
        self.log_group = r["audit-trail-log-group"].state["arn"]

    def log_object(self, account: str = ACCOUNT, org: str | None = None, kind: str = "CloudTrail") -> str:
        path = f"AWSLogs/{org}/{account}" if org else f"AWSLogs/{account}"
        return f"{self.bucket}/{path}/{kind}/{self.region}/2026/11/30/{account}_{kind}_{self.region}_x.json.gz"

    def kms(self, principal: Principal, action: str, context: dict) -> Decision:
        return evaluate(self.key_policy, Request(principal, action, self.key, context))

    def s3(self, action: str, resource: str, context: dict) -> Decision:
        return evaluate(self.bucket_policy, Request(CLOUDTRAIL, action, resource, context))

    def cloudtrail_context(self, obj: str) -> dict:
        return {
            "aws:SourceArn": self.trail,
            "aws:SourceAccount": ACCOUNT,
            "kms:EncryptionContext:aws:cloudtrail:arn": self.trail,
            "kms:EncryptionContext:aws:s3:arn": obj,
            "kms:CallerAccount": ACCOUNT,
        }


STACKS = {
    "aws": ("demo", "us-east-1", "aws"),
    "aws-us-gov": ("gov", "us-gov-west-1", "aws-us-gov"),
}


@pytest.fixture(scope="module", params=sorted(STACKS))
def stack(request):
    return Stack(*STACKS[request.param])


def test_cloudtrail_encrypts_each_log_and_digest_file(stack):
    for kind in ("CloudTrail", "CloudTrail-Digest"):
        ctx = stack.cloudtrail_context(stack.log_object(kind=kind))
        for action in ("kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext"):
            assert stack.kms(CLOUDTRAIL, action, ctx) == Decision("Allow", ("CloudTrailEncryptsLogs",))


def test_cloudtrail_describes_the_key_without_an_encryption_context(stack):
    """DescribeKey carries no encryption context and must still be allowed."""
    ctx = {"aws:SourceArn": stack.trail, "aws:SourceAccount": ACCOUNT}
    assert stack.kms(CLOUDTRAIL, "kms:DescribeKey", ctx) == Decision("Allow", ("CloudTrailDescribesKey",))


def test_the_previous_key_policy_refused_describe_key():
    """Before: DescribeKey shared the GenerateDataKey statement and its encryption-context condition."""
    s = Stack(*STACKS["aws"])
    old = {
        "Statement": [
            {
                "Sid": "CloudTrailEncryptsLogs",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": ["kms:GenerateDataKey*", "kms:DescribeKey"],
                "Resource": "*",
                "Condition": {
                    "StringEquals": {"aws:SourceArn": [s.trail]},
                    "StringLike": {
                        "kms:EncryptionContext:aws:cloudtrail:arn": f"arn:aws:cloudtrail:*:{ACCOUNT}:trail/*"
                    },
                },
            }
        ]
    }
    describe = Request(CLOUDTRAIL, "kms:DescribeKey", s.key, {"aws:SourceArn": s.trail})
    assert evaluate(old, describe).effect == "ImplicitDeny"


def test_cloudtrail_decrypts_through_the_bucket_key_for_our_trail_only(stack):
    ctx = {"aws:SourceArn": stack.trail, "aws:SourceAccount": ACCOUNT}
    assert stack.kms(CLOUDTRAIL, "kms:Decrypt", ctx) == Decision("Allow", ("CloudTrailUsesBucketKey",))
    other = {"aws:SourceArn": f"arn:{stack.partition}:cloudtrail:{stack.region}:{OTHER}:trail/x"}
    assert stack.kms(CLOUDTRAIL, "kms:Decrypt", other).effect == "ImplicitDeny"


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda s, c: c.pop("aws:SourceArn"), id="no aws:SourceArn (confused deputy)"),
        pytest.param(
            lambda s, c: c.update({"aws:SourceArn": s.trail.replace(ACCOUNT, OTHER)}), id="another account's trail"
        ),
        pytest.param(lambda s, c: c.update({"aws:SourceArn": s.trail + "-other"}), id="another trail of ours"),
        pytest.param(
            lambda s, c: c.update({"kms:EncryptionContext:aws:cloudtrail:arn": s.trail.replace(ACCOUNT, OTHER)}),
            id="context of another account",
        ),
        pytest.param(lambda s, c: c.pop("kms:EncryptionContext:aws:cloudtrail:arn"), id="no CloudTrail context"),
    ],
)
def test_cloudtrail_encrypts_for_no_one_else(stack, change):
    ctx = stack.cloudtrail_context(stack.log_object())
    change(stack, ctx)
    assert stack.kms(CLOUDTRAIL, "kms:GenerateDataKey", ctx).effect == "ImplicitDeny"


def test_readers_of_the_account_decrypt_log_files_with_the_context(stack):
    reader = Principal.aws(f"arn:{stack.partition}:iam::{ACCOUNT}:role/auditor")
    ctx = {"kms:EncryptionContext:aws:cloudtrail:arn": stack.trail, "kms:CallerAccount": ACCOUNT}
    decision = stack.kms(reader, "kms:Decrypt", ctx)
    assert decision.allowed and "AccountReadsLogFiles" in decision.statements
    outsider = Principal.aws(f"arn:{stack.partition}:iam::{OTHER}:role/auditor")
    assert stack.kms(outsider, "kms:Decrypt", {**ctx, "kms:CallerAccount": OTHER}).effect == "ImplicitDeny"


def test_cloudwatch_logs_encrypts_the_trail_log_group(stack):
    logs = Principal.service(f"logs.{stack.region}.amazonaws.com")
    ctx = {"kms:EncryptionContext:aws:logs:arn": stack.log_group}
    assert stack.kms(logs, "kms:GenerateDataKey", ctx) == Decision("Allow", ("CloudWatchLogsEncryptsLogGroup",))
    elsewhere = {"kms:EncryptionContext:aws:logs:arn": stack.log_group.replace(ACCOUNT, OTHER)}
    assert stack.kms(logs, "kms:GenerateDataKey", elsewhere).effect == "ImplicitDeny"


def test_cloudtrail_checks_the_acl_and_writes_log_and_digest_files(stack):
    ctx = {
        "aws:SourceArn": stack.trail,
        "aws:SourceAccount": ACCOUNT,
        "aws:SecureTransport": True,
        "s3:x-amz-acl": "bucket-owner-full-control",
    }
    assert stack.s3("s3:GetBucketAcl", stack.bucket, ctx) == Decision("Allow", ("AWSCloudTrailAclCheck",))
    for kind in ("CloudTrail", "CloudTrail-Digest"):
        assert stack.s3("s3:PutObject", stack.log_object(kind=kind), ctx) == Decision("Allow", ("AWSCloudTrailWrite",))
    assert stack.s3("s3:PutObject", stack.log_object(), {**ctx, "aws:SecureTransport": False}).effect == "Deny"
    assert stack.s3("s3:PutObject", stack.log_object(), {**ctx, "s3:x-amz-acl": "private"}).effect == "ImplicitDeny"
    foreign = {**ctx, "aws:SourceArn": stack.trail.replace(ACCOUNT, OTHER)}
    assert stack.s3("s3:PutObject", stack.log_object(), foreign).effect == "ImplicitDeny"
    assert stack.s3("s3:PutObject", stack.log_object(account=OTHER), ctx).effect == "ImplicitDeny"


def test_an_organization_trail_writes_member_accounts_under_the_org_prefix():
    s = Stack("org", "us-east-1", "aws", organizationTrail=True, organizationId="o-abc123defg")
    ctx = {
        "aws:SourceArn": s.trail,
        "aws:SourceAccount": ACCOUNT,
        "aws:SecureTransport": True,
        "s3:x-amz-acl": "bucket-owner-full-control",
    }
    member = s.log_object(account="222233334444", org="o-abc123defg")
    assert s.s3("s3:PutObject", member, ctx) == Decision("Allow", ("AWSCloudTrailWrite",))
    # A member account's log file is encrypted under the organization trail's ARN.
    kms = s.cloudtrail_context(member)
    assert s.kms(CLOUDTRAIL, "kms:GenerateDataKey", kms).allowed

"""The IAM statement matcher against AWS's documented evaluation rules and AWS's own example policies.

Sources: IAM User Guide — "IAM JSON policy elements: Condition operators" (absent keys, IfExists, Null, ARN
operators), "Conditions with multiple context keys or values" (AND/OR/NOR, ForAnyValue/ForAllValues),
"AWS JSON policy elements: Principal" ("*" and {"AWS": "*"} are everyone; account ids and :root mean the account;
role sessions), "Policy evaluation logic" (explicit deny wins); CloudTrail User Guide — "Amazon S3 bucket policy
for CloudTrail" and "Configure AWS KMS key policies for CloudTrail" (the example policies below are theirs).
"""

from __future__ import annotations

import json

import pytest

from auditkit.policies.aws.bucket_policy import tls_policy
from auditkit.policies.aws.iam_statements import (
    Principal,
    Request,
    UnsupportedPolicy,
    condition_keys,
    conditions_hold,
    evaluate,
    statement_applies,
    statements,
)

ACCOUNT = "111122223333"
TRAIL = f"arn:aws:cloudtrail:us-east-2:{ACCOUNT}:trail/audit"
BUCKET = "amzn-s3-demo-bucket"
CLOUDTRAIL = Principal.service("cloudtrail.amazonaws.com")

# CloudTrail User Guide, "Amazon S3 bucket policy for CloudTrail" (single-account trail example).
CLOUDTRAIL_BUCKET_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "AWSCloudTrailAclCheck20150319",
            "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "s3:GetBucketAcl",
            "Resource": f"arn:aws:s3:::{BUCKET}",
            "Condition": {"StringEquals": {"aws:SourceArn": TRAIL}},
        },
        {
            "Sid": "AWSCloudTrailWrite20150319",
            "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "s3:PutObject",
            "Resource": f"arn:aws:s3:::{BUCKET}/AWSLogs/{ACCOUNT}/*",
            "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceArn": TRAIL}},
        },
    ],
}

# CloudTrail User Guide, "Configure AWS KMS key policies for CloudTrail" (encrypt and describe statements).
CLOUDTRAIL_KEY_POLICY = {
    "Statement": [
        {
            "Sid": "Allow CloudTrail to encrypt logs",
            "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "kms:GenerateDataKey*",
            "Resource": "*",
            "Condition": {
                "StringEquals": {"aws:SourceArn": TRAIL},
                "StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": f"arn:aws:cloudtrail:*:{ACCOUNT}:trail/*"},
            },
        },
        {
            "Sid": "Allow CloudTrail to describe key",
            "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "kms:DescribeKey",
            "Resource": "*",
        },
    ]
}

TLS_DENY = {
    "Sid": "DenyPlaintext",
    "Effect": "Deny",
    "Principal": "*",
    "Action": "s3:*",
    "Resource": [f"arn:aws:s3:::{BUCKET}", f"arn:aws:s3:::{BUCKET}/*"],
    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
}


def put_log(context: dict, key: str = f"AWSLogs/{ACCOUNT}/CloudTrail/us-east-2/x.json.gz") -> Request:
    return Request(CLOUDTRAIL, "s3:PutObject", f"arn:aws:s3:::{BUCKET}/{key}", context)


def test_cloudtrail_write_is_allowed_only_for_its_trail_with_the_owner_acl():
    good = {"aws:SourceArn": TRAIL, "s3:x-amz-acl": "bucket-owner-full-control"}
    assert evaluate(CLOUDTRAIL_BUCKET_POLICY, put_log(good)).statements == ("AWSCloudTrailWrite20150319",)
    other_trail = dict(good, **{"aws:SourceArn": TRAIL + "2"})
    assert evaluate(CLOUDTRAIL_BUCKET_POLICY, put_log(other_trail)).effect == "ImplicitDeny"
    # Keys absent from the request make a StringEquals false.
    assert not evaluate(CLOUDTRAIL_BUCKET_POLICY, put_log({"aws:SourceArn": TRAIL})).allowed
    # Resource patterns are case-sensitive and anchored: another account's prefix is not covered.
    assert not evaluate(CLOUDTRAIL_BUCKET_POLICY, put_log(good, "AWSLogs/999999999999/x")).allowed
    assert not evaluate(CLOUDTRAIL_BUCKET_POLICY, put_log(good, "awslogs/" + ACCOUNT + "/x")).allowed


def test_condition_keys_are_case_insensitive_values_are_not():
    console_spelling = {"AWS:SourceArn": TRAIL, "S3:X-Amz-Acl": "bucket-owner-full-control"}
    assert evaluate(CLOUDTRAIL_BUCKET_POLICY, put_log(console_spelling)).allowed
    policy = {
        "Statement": [
            dict(CLOUDTRAIL_BUCKET_POLICY["Statement"][1], Condition={"StringEquals": {"AWS:SOURCEARN": TRAIL}})
        ]
    }
    assert evaluate(policy, put_log({"aws:sourcearn": TRAIL})).allowed
    assert not evaluate(policy, put_log({"aws:SourceArn": TRAIL.upper()})).allowed


def test_cloudtrail_key_policy_encrypt_needs_context_describe_does_not():
    encrypt = Request(
        CLOUDTRAIL,
        "kms:GenerateDataKey",
        f"arn:aws:kms:us-east-2:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        {"aws:SourceArn": TRAIL, "kms:EncryptionContext:aws:cloudtrail:arn": TRAIL},
    )
    assert evaluate(CLOUDTRAIL_KEY_POLICY, encrypt).statements == ("Allow CloudTrail to encrypt logs",)
    no_context = Request(CLOUDTRAIL, "kms:GenerateDataKey", encrypt.resource, {"aws:SourceArn": TRAIL})
    assert not evaluate(CLOUDTRAIL_KEY_POLICY, no_context).allowed
    describe = Request(CLOUDTRAIL, "kms:DescribeKey", encrypt.resource, {"aws:SourceArn": TRAIL})
    assert evaluate(CLOUDTRAIL_KEY_POLICY, describe).statements == ("Allow CloudTrail to describe key",)
    # Another service principal is not CloudTrail.
    other = Request(Principal.service("config.amazonaws.com"), "kms:DescribeKey", encrypt.resource)
    assert not evaluate(CLOUDTRAIL_KEY_POLICY, other).allowed


@pytest.mark.parametrize(
    "operator,key",
    [
        ("Bool", "aws:SecureTransport"),
        ("BoolIfExists", "aws:SecureTransport"),
        ("Bool", "aws:securetransport"),
        ("BoolIfExists", "AWS:SECURETRANSPORT"),
    ],
)
def test_tls_deny_spellings_deny_plaintext_only(operator, key):
    stmt = dict(TLS_DENY, Condition={operator: {key: "false"}})
    obj = f"arn:aws:s3:::{BUCKET}/AWSLogs/x"
    plaintext = Request(Principal.anonymous(), "s3:GetObject", obj, {"aws:SecureTransport": False})
    tls = Request(
        Principal.aws(f"arn:aws:iam::{ACCOUNT}:role/reader"), "s3:GetObject", obj, {"aws:SecureTransport": True}
    )
    assert evaluate({"Statement": [stmt]}, plaintext).effect == "Deny"
    assert evaluate({"Statement": [stmt]}, tls).effect == "ImplicitDeny"
    assert condition_keys(stmt) == {"aws:securetransport"}


@pytest.mark.parametrize(
    "change",
    [
        lambda s: s["Condition"].update(IpAddress={"aws:SourceIp": "203.0.113.7/32"}),  # deny only from one IP
        lambda s: s["Condition"]["Bool"].update({"aws:SecureTransport": []}),
        lambda s: s.update(NotPrincipal={"AWS": "arn:aws:iam::1:root"}),
        lambda s: s.update(Condition={"Bool": {"aws:SecureTransport": "true"}}),
    ],
)
def test_a_narrowed_tls_deny_does_not_pass(change):
    stmt = json.loads(json.dumps(TLS_DENY))
    change(stmt)
    assert tls_policy({"Statement": [stmt]}, BUCKET)
    assert tls_policy({"Statement": [TLS_DENY]}, BUCKET) == []
    # What the matcher cannot judge is refused (the live scan reports it as ERROR), never passed.
    with pytest.raises(UnsupportedPolicy):
        tls_policy({"Statement": "not-a-list-of-objects"}, BUCKET)


def test_absent_keys_per_operator_family():
    """IAM User Guide, Condition operators: absent → false, except negated (true), …IfExists (true), Null."""
    ctx: dict = {}
    assert not conditions_hold({"StringEquals": {"aws:SourceArn": TRAIL}}, ctx)
    assert conditions_hold({"StringEqualsIfExists": {"aws:SourceArn": TRAIL}}, ctx)
    assert conditions_hold({"StringNotEquals": {"aws:SourceArn": TRAIL}}, ctx)
    assert conditions_hold({"ArnNotLike": {"aws:SourceArn": TRAIL}}, ctx)
    assert conditions_hold({"Null": {"aws:SourceArn": "true"}}, ctx)
    assert not conditions_hold({"Null": {"aws:SourceArn": "false"}}, ctx)
    assert conditions_hold({"Null": {"aws:SourceArn": "false"}}, {"aws:SourceArn": TRAIL})
    # IfExists still tests a present key.
    assert not conditions_hold({"StringEqualsIfExists": {"aws:SourceArn": TRAIL}}, {"aws:SourceArn": "x"})


def test_multiple_values_or_negated_nor_keys_and():
    a, b = TRAIL, TRAIL + "-b"
    assert conditions_hold({"StringEquals": {"aws:SourceArn": [a, b]}}, {"aws:SourceArn": b})
    assert not conditions_hold({"StringNotEquals": {"aws:SourceArn": [a, b]}}, {"aws:SourceArn": b})
    assert conditions_hold({"StringNotEquals": {"aws:SourceArn": [a, b]}}, {"aws:SourceArn": "c"})
    both = {"StringEquals": {"aws:SourceArn": a, "aws:SourceAccount": ACCOUNT}}
    assert conditions_hold(both, {"aws:SourceArn": a, "aws:SourceAccount": ACCOUNT})
    assert not conditions_hold(both, {"aws:SourceArn": a})
    two_ops = {"StringEquals": {"aws:SourceAccount": ACCOUNT}, "ArnLike": {"aws:SourceArn": a}}
    assert not conditions_hold(two_ops, {"aws:SourceAccount": ACCOUNT, "aws:SourceArn": b})


def test_set_operators_over_multivalued_keys():
    allowed = {"ForAllValues:StringEquals": {"aws:TagKeys": ["env", "team"]}}
    assert conditions_hold(allowed, {"aws:TagKeys": ["env"]})
    assert not conditions_hold(allowed, {"aws:TagKeys": ["env", "owner"]})
    assert conditions_hold(allowed, {})  # ForAllValues is true over an absent key
    anyof = {"ForAnyValue:StringLike": {"aws:TagKeys": ["cost-*"]}}
    assert conditions_hold(anyof, {"aws:TagKeys": ["env", "cost-center"]})
    assert not conditions_hold(anyof, {"aws:TagKeys": ["env"]})
    assert not conditions_hold(anyof, {})


def test_arn_operators_compare_each_part_with_wildcards():
    pattern = f"arn:aws:cloudtrail:*:{ACCOUNT}:trail/*"
    assert conditions_hold({"ArnLike": {"aws:SourceArn": pattern}}, {"aws:SourceArn": TRAIL})
    assert conditions_hold({"ArnEquals": {"aws:SourceArn": pattern}}, {"aws:SourceArn": TRAIL})
    assert not conditions_hold(
        {"ArnLike": {"aws:SourceArn": pattern}}, {"aws:SourceArn": TRAIL.replace(ACCOUNT, "999999999999")}
    )
    # The region wildcard does not swallow the account part: each part is matched on its own.
    assert not conditions_hold({"ArnLike": {"aws:SourceArn": "arn:aws:cloudtrail:*:trail/*"}}, {"aws:SourceArn": TRAIL})
    assert not conditions_hold({"ArnEquals": {"aws:SourceArn": TRAIL.upper()}}, {"aws:SourceArn": TRAIL})
    assert not conditions_hold({"ArnLike": {"aws:SourceArn": TRAIL}}, {"aws:SourceArn": "not-an-arn"})


def test_string_numeric_date_and_ip_operators():
    assert conditions_hold(
        {"StringEqualsIgnoreCase": {"s3:x-amz-acl": "BUCKET-owner-full-control"}},
        {"s3:x-amz-acl": "bucket-owner-full-control"},
    )
    assert not conditions_hold(
        {"StringEquals": {"s3:x-amz-acl": "BUCKET-owner-full-control"}}, {"s3:x-amz-acl": "bucket-owner-full-control"}
    )
    assert (
        conditions_hold(
            {"StringLike": {"s3:prefix": "AWSLogs/?????????????/*"}}, {"s3:prefix": "AWSLogs/111122223333/x"}
        )
        is False
    )
    assert conditions_hold(
        {"StringLike": {"s3:prefix": "AWSLogs/????????????/*"}}, {"s3:prefix": "AWSLogs/111122223333/x"}
    )
    assert conditions_hold({"NumericLessThanEquals": {"s3:max-keys": "10"}}, {"s3:max-keys": 10})
    assert not conditions_hold({"NumericLessThan": {"s3:max-keys": "10"}}, {"s3:max-keys": "10"})
    assert conditions_hold(
        {"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}}, {"aws:CurrentTime": "2029-12-31T23:59:59Z"}
    )
    assert conditions_hold(
        {"DateGreaterThan": {"aws:EpochTime": "1700000000"}}, {"aws:EpochTime": "2024-01-01T00:00:00Z"}
    )
    assert conditions_hold({"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, {"aws:SourceIp": "203.0.113.7"})
    assert conditions_hold({"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, {"aws:SourceIp": "198.51.100.7"})
    assert not conditions_hold({"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, {"aws:SourceIp": "203.0.113.7"})


@pytest.mark.parametrize(
    "principal,who,applies",
    [
        ("*", Principal.anonymous(), True),
        ({"AWS": "*"}, Principal.anonymous(), True),
        ({"AWS": "*"}, CLOUDTRAIL, True),
        ({"AWS": ACCOUNT}, Principal.aws(f"arn:aws:iam::{ACCOUNT}:role/reader"), True),
        ({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, Principal.aws(f"arn:aws:iam::{ACCOUNT}:user/alice"), True),
        ({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, Principal.aws("arn:aws:iam::999999999999:user/alice"), False),
        ({"AWS": f"arn:aws-us-gov:iam::{ACCOUNT}:root"}, Principal.account(ACCOUNT), True),
        (
            {"AWS": f"arn:aws:iam::{ACCOUNT}:role/ops/reader"},
            Principal.aws(f"arn:aws:sts::{ACCOUNT}:assumed-role/reader/s1"),
            True,
        ),
        ({"AWS": f"arn:aws:iam::{ACCOUNT}:role/reader"}, Principal.aws(f"arn:aws:iam::{ACCOUNT}:role/writer"), False),
        ({"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, CLOUDTRAIL, False),
        ({"Service": ["config.amazonaws.com", "cloudtrail.amazonaws.com"]}, CLOUDTRAIL, True),
        ({"Service": "cloudtrail.amazonaws.com"}, Principal.account(ACCOUNT), False),
        ({"Service": "cloudtrail.amazonaws.com"}, Principal.anonymous(), False),
    ],
)
def test_principal_forms(principal, who, applies):
    stmt = {"Effect": "Allow", "Principal": principal, "Action": "s3:GetObject", "Resource": "*"}
    assert statement_applies(stmt, Request(who, "s3:GetObject", f"arn:aws:s3:::{BUCKET}/k")) is applies


def test_not_principal_not_action_not_resource():
    obj = f"arn:aws:s3:::{BUCKET}/k"
    stmt = {
        "Effect": "Deny",
        "NotPrincipal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/admin"},
        "NotAction": "s3:Get*",
        "NotResource": f"arn:aws:s3:::{BUCKET}/public/*",
    }
    stranger = Principal.aws(f"arn:aws:iam::{ACCOUNT}:role/other")
    assert statement_applies(stmt, Request(stranger, "s3:DeleteObject", obj))
    assert not statement_applies(stmt, Request(stranger, "s3:GetObject", obj))
    assert not statement_applies(stmt, Request(stranger, "s3:DeleteObject", f"arn:aws:s3:::{BUCKET}/public/x"))
    assert not statement_applies(
        stmt, Request(Principal.aws(f"arn:aws:iam::{ACCOUNT}:role/admin"), "s3:DeleteObject", obj)
    )


def test_action_wildcards_are_case_insensitive_resource_wildcards_are_not():
    stmt = {
        "Effect": "Allow",
        "Principal": "*",
        "Action": ["S3:Put*", "s3:Get?bjectAcl"],
        "Resource": f"arn:aws:s3:::{BUCKET}/*",
    }
    who = Principal.anonymous()
    assert statement_applies(stmt, Request(who, "s3:PutObject", f"arn:aws:s3:::{BUCKET}/a"))
    assert statement_applies(stmt, Request(who, "s3:GetObjectAcl", f"arn:aws:s3:::{BUCKET}/a"))
    assert not statement_applies(stmt, Request(who, "s3:GetObject", f"arn:aws:s3:::{BUCKET}/a"))
    assert not statement_applies(stmt, Request(who, "s3:PutObject", f"arn:aws:s3:::{BUCKET.upper()}/a"))
    assert not statement_applies(stmt, Request(who, "s3:PutObject", f"arn:aws:s3:::{BUCKET}"))
    assert statement_applies(dict(stmt, Action="*"), Request(who, "kms:Decrypt", f"arn:aws:s3:::{BUCKET}/a"))


def test_explicit_deny_beats_allow():
    policy = {
        "Statement": [
            *CLOUDTRAIL_BUCKET_POLICY["Statement"],
            dict(TLS_DENY, Condition={"Bool": {"aws:SecureTransport": "false"}}),
        ]
    }
    ctx = {"aws:SourceArn": TRAIL, "s3:x-amz-acl": "bucket-owner-full-control"}
    assert evaluate(policy, put_log(dict(ctx, **{"aws:SecureTransport": True}))).effect == "Allow"
    assert evaluate(policy, put_log(dict(ctx, **{"aws:SecureTransport": False}))).statements == ("DenyPlaintext",)


def test_policy_variables_resolve_from_the_request():
    stmt = {
        "Effect": "Allow",
        "Principal": "*",
        "Action": "s3:PutObject",
        "Resource": f"arn:aws:s3:::{BUCKET}/AWSLogs/${{aws:SourceAccount}}/*",
    }
    assert statement_applies(
        stmt,
        Request(
            CLOUDTRAIL, "s3:PutObject", f"arn:aws:s3:::{BUCKET}/AWSLogs/{ACCOUNT}/k", {"aws:SourceAccount": ACCOUNT}
        ),
    )
    assert not statement_applies(
        stmt, Request(CLOUDTRAIL, "s3:PutObject", f"arn:aws:s3:::{BUCKET}/AWSLogs/1/k", {"aws:SourceAccount": ACCOUNT})
    )
    with pytest.raises(UnsupportedPolicy, match="aws:SourceAccount"):
        statement_applies(stmt, Request(CLOUDTRAIL, "s3:PutObject", f"arn:aws:s3:::{BUCKET}/AWSLogs/1/k"))


@pytest.mark.parametrize(
    "policy,message",
    [
        (
            {
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": "*",
                        "Action": "s3:*",
                        "Resource": "*",
                        "Condition": {"StringWobbles": {"a": "b"}},
                    }
                ]
            },
            "StringWobbles",
        ),
        (
            {
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": "*",
                        "Action": "s3:*",
                        "Resource": "*",
                        "Condition": {"NullIfExists": {"a": "true"}},
                    }
                ]
            },
            "NullIfExists",
        ),
        ({"Statement": [{"Effect": "Maybe", "Principal": "*", "Action": "s3:*", "Resource": "*"}]}, "Maybe"),
        ({"Statement": [{"Effect": "Allow", "Principal": "*", "Resource": "*"}]}, "neither Action"),
        ({"Statement": ["not a statement"]}, "not an object"),
        ("{not json", "not JSON"),
    ],
)
def test_what_cannot_be_judged_is_refused(policy, message):
    with pytest.raises(UnsupportedPolicy, match=message):
        evaluate(policy, Request(Principal.anonymous(), "s3:GetObject", "arn:aws:s3:::b/k"))


def test_statements_accepts_json_text_and_a_lone_statement():
    lone = {"Statement": TLS_DENY}
    assert statements(lone) == (TLS_DENY,)
    assert statements('{"Statement": []}') == ()
    assert statements(None) == ()

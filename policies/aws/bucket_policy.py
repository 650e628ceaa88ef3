"""What a log bucket's policy lets happen, judged through the one IAM statement matcher.

Both judges ask `iam_statements` the question AWS would: the TLS check sends plaintext requests from
principals inside and outside the account, the write check sends the exact requests CloudTrail makes
(CloudTrail User Guide, "Amazon S3 bucket policy for CloudTrail": PutObject with
``x-amz-acl: bucket-owner-full-control`` under ``[prefix/]AWSLogs/<account>/`` and GetBucketAcl, both
carrying ``aws:SourceArn``/``aws:SourceAccount`` of the trail). A policy the matcher cannot judge raises
``UnsupportedPolicy``: the live scan reports it as ERROR, the plan as a gap.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from auditkit.policies.aws.facts import TrailFacts
from auditkit.policies.aws.iam_statements import (
    ContextValue,
    Principal,
    Request,
    condition_keys,
    evaluate,
    statement_applies,
    statements,
)

CLOUDTRAIL = Principal.service("cloudtrail.amazonaws.com")


def _refused_over_plaintext(partition: str, account: str) -> tuple[Principal, ...]:
    """Who must be refused over plaintext: an anonymous caller, a principal of another account, the owner."""
    return (
        Principal.anonymous(),
        Principal.aws(f"arn:{partition}:iam::999999999999:user/probe"),
        Principal.account(account, partition),
    )


_OBJECT_ACTIONS = ("s3:GetObject", "s3:PutObject", "s3:DeleteObject")
_ORG_PATH = re.compile(r"/AWSLogs/(o-[a-z0-9]{10,32})/")


def _tls_only_deny(stmt: Mapping[str, Any]) -> bool:
    """A Deny conditioned on aws:SecureTransport alone (any spelling, Bool or BoolIfExists).

    Any other condition key narrows it (to one IP, one VPC endpoint…), and NotPrincipal exempts someone:
    neither can be shown to refuse every plaintext request.
    """
    return (
        stmt.get("Effect") == "Deny" and "NotPrincipal" not in stmt and condition_keys(stmt) == {"aws:securetransport"}
    )


def _partition(found: Iterable[Mapping[str, Any]], bucket: str) -> str:
    """The partition (aws, aws-us-gov, aws-cn) the policy names the bucket in; `aws` if it never does."""
    named = re.compile(rf"arn:(aws[a-z-]*):s3:::{re.escape(bucket)}(/|$)")
    for s in found:
        resources = s.get("Resource")
        for r in resources if isinstance(resources, list) else [resources]:
            m = named.match(str(r))
            if m:
                return m.group(1)
    return "aws"


def tls_policy(policy: Mapping[str, Any] | None, bucket: str, account: str = "111111111111") -> list[str]:
    found = statements(policy)
    denies = [s for s in found if _tls_only_deny(s)]
    if not denies:
        return ["bucket policy does not deny requests without TLS (aws:SecureTransport=false)"] + _confused_deputy(
            found
        )
    partition = _partition(found, bucket)
    who = _refused_over_plaintext(partition, account)
    obj = f"arn:{partition}:s3:::{bucket}/AWSLogs/{account}/probe"
    refused = [
        any(statement_applies(s, Request(p, action, obj, {"aws:SecureTransport": False})) for s in denies)
        for p in who
        for action in _OBJECT_ACTIONS
    ]
    gaps = [] if all(refused) else ["the TLS-only deny does not cover the bucket's objects"]
    return gaps + _confused_deputy(found)


def _confused_deputy(found: Iterable[Mapping[str, Any]]) -> list[str]:
    gaps = []
    for s in found:
        principal = s.get("Principal")
        services = principal.get("Service") if isinstance(principal, Mapping) else None
        services = services if isinstance(services, list) else [services]
        if s.get("Effect") == "Allow" and "cloudtrail.amazonaws.com" in services:
            if not condition_keys(s) & {"aws:sourcearn", "aws:sourceaccount"}:
                gaps.append(f"statement {s.get('Sid', '?')!r} lets CloudTrail write without an aws:SourceArn condition")
    return gaps


def _log_keys(trail: TrailFacts, bucket_policy: Mapping[str, Any] | None) -> list[str]:
    """Object keys this trail writes. Organization trails write under AWSLogs/<org id>/<account>/."""
    prefix = trail.log_prefix
    keys = [f"{prefix}{trail.account}/CloudTrail/{trail.home_region}/probe.json.gz"]
    if trail.organization:
        org_ids = {m.group(1) for s in statements(bucket_policy) for m in _ORG_PATH.finditer(str(s.get("Resource")))}
        keys = [
            f"{prefix}{org}/{trail.account}/CloudTrail/{trail.home_region}/probe.json.gz" for org in sorted(org_ids)
        ] + keys
    return keys


def cloudtrail_can_write(policy: Mapping[str, Any] | None, bucket: str, trails: Iterable[TrailFacts]) -> list[str]:
    """Gaps where a trail delivering here could no longer write (its requests evaluated, not pattern-matched)."""
    gaps = []
    for t in trails:
        partition = t.arn.split(":")[1] if t.arn.count(":") >= 5 else "aws"
        context: dict[str, ContextValue] = {
            "aws:SourceArn": t.arn,
            "aws:SourceAccount": t.account,
            "aws:SecureTransport": True,
            "s3:x-amz-acl": "bucket-owner-full-control",
        }
        acl = evaluate(policy, Request(CLOUDTRAIL, "s3:GetBucketAcl", f"arn:{partition}:s3:::{bucket}", context))
        if not acl.allowed:
            gaps.append(f"bucket policy does not let trail {t.name} check the bucket ACL (s3:GetBucketAcl for {t.arn})")
        decisions = [
            evaluate(policy, Request(CLOUDTRAIL, "s3:PutObject", f"arn:{partition}:s3:::{bucket}/{key}", context))
            for key in _log_keys(t, policy)
        ]
        if not any(d.allowed for d in decisions):
            denied = sorted({sid for d in decisions if d.effect == "Deny" for sid in d.statements})
            why = f" (denied by {', '.join(denied)})" if denied else ""
            gaps.append(
                f"bucket policy does not let trail {t.name} write its log files under {t.log_prefix}{t.account}/{why}"
            )
    return gaps

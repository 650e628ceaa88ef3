"""AWS corpora: per alert, CloudTrail records a correct filter must match and near misses it must not.

Shapes and field meanings: corpus/cloudtrail.py (AWS CloudTrail User Guide). Request parameters follow each
service's API reference (the record carries the API's request members). Names are example-account values;
the archive and PHI bucket names are the EXAMPLE_PARAMETERS the filters are rendered with.
"""

from __future__ import annotations

from typing import Any

from auditkit.policies.alerts.corpus.cloudtrail import DATA_EVENT as DATA
from auditkit.policies.alerts.corpus.cloudtrail import (
    IDENTITY,
    SERVICE_EVENT,
    SIGN_IN,
    assumed_role,
    aws_service,
    console_login,
    event,
    iam_user,
    record,
    root,
    s3_bucket,
    s3_object,
    service_event,
)
from auditkit.policies.alerts.model import Corpus, CorpusEvent

ARCHIVE = "auditkit-archive-111122223333"
PHI = ("phi-records-111122223333", "phi-imaging-111122223333")
OTHER_BUCKET = "app-static-assets-111122223333"
EXAMPLE_PARAMETERS: dict[str, str | tuple[str, ...]] = {"archive_bucket": ARCHIVE, "phi_buckets": PHI}
_ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"


def _c(must: list[CorpusEvent], must_not: list[CorpusEvent]) -> Corpus:
    return Corpus(tuple(must), tuple(must_not))


def _calls(service: str, must: list[str], must_not: list[str], **request: Any) -> Corpus:
    """Write calls that must match and read-only calls (or other writes) of the same service that must not."""
    reads = ("Describe", "Get", "List", "Lookup", "Search")
    return _c(
        [event(name, record(name, service, request=request or None)) for name in must],
        [
            event(name, record(name, service, request=request or None, read_only=name.startswith(reads)))
            for name in must_not
        ],
    )


def _root_use() -> Corpus:
    service_event_as_root = record("CreateServiceLinkedRole", "iam", root(), event_type="AwsServiceEvent")
    return _c(
        [
            event("root console sign-in", console_login(root(), success=True, mfa=True), SIGN_IN),
            event("root CreateAccessKey", record("CreateAccessKey", "iam", root()), IDENTITY),
            event("root PutBucketPolicy", s3_bucket("PutBucketPolicy", OTHER_BUCKET, identity=root()), IDENTITY),
        ],
        [
            event("IAM user console sign-in", console_login(iam_user(), success=True, mfa=True), SIGN_IN),
            event(
                "root session used by CloudFormation (invokedBy)",
                record("CreateBucket", "s3", root("cloudformation.amazonaws.com")),
                IDENTITY,
            ),
            event("AwsServiceEvent carrying the Root identity", service_event_as_root, SERVICE_EVENT),
            event("assumed-role CreateAccessKey", record("CreateAccessKey", "iam", assumed_role()), IDENTITY),
        ],
    )


def _unauthorized_calls() -> Corpus:
    denied: dict[str, Any] = {"error_code": "AccessDenied", "error_message": "Access Denied"}
    delivery = aws_service("delivery.logs.amazonaws.com")
    return _c(
        [
            event(
                "GetObject AccessDenied", s3_object("GetObject", PHI[0], identity=iam_user("mallory"), **denied), DATA
            ),
            event(
                "RunInstances Client.UnauthorizedOperation",
                record(
                    "RunInstances",
                    "ec2",
                    error_code="Client.UnauthorizedOperation",
                    error_message="You are not authorized to perform this operation.",
                ),
            ),
            event(
                "KMS Decrypt AccessDeniedException",
                record("Decrypt", "kms", assumed_role("app"), error_code="AccessDeniedException", read_only=True),
            ),
            event(
                "HeadBucket AccessDenied from a user",
                s3_bucket("HeadBucket", ARCHIVE, identity=iam_user("mallory"), **denied),
            ),
        ],
        [
            event("successful DescribeInstances", record("DescribeInstances", "ec2", read_only=True)),
            event("successful PutObject", s3_object("PutObject", OTHER_BUCKET), DATA),
            event(
                "HeadBucket AccessDenied by delivery.logs (CIS exclusion)",
                s3_bucket("HeadBucket", OTHER_BUCKET, identity=delivery, **denied),
                IDENTITY,
            ),
            event(
                "GetObject NoSuchKey",
                s3_object(
                    "GetObject", OTHER_BUCKET, error_code="NoSuchKey", error_message="The specified key does not exist."
                ),
                DATA,
            ),
        ],
    )


def _console_login_without_mfa() -> Corpus:
    federated = assumed_role("SAML-Admins", "alice@example.com")
    return _c(
        [
            event("IAM user sign-in without MFA", console_login(iam_user("alice"), success=True, mfa=False), SIGN_IN),
            event(
                "second IAM user sign-in without MFA", console_login(iam_user("bob"), success=True, mfa=False), SIGN_IN
            ),
            event(
                "service-account IAM user sign-in without MFA",
                console_login(iam_user("ci-deployer"), success=True, mfa=False),
                SIGN_IN,
            ),
        ],
        [
            event("IAM user sign-in with MFA", console_login(iam_user("alice"), success=True, mfa=True), SIGN_IN),
            event("failed sign-in without MFA", console_login(iam_user("alice"), success=False, mfa=False), SIGN_IN),
            event(
                "SAML federated sign-in (MFA at the IdP)", console_login(federated, success=True, mfa=False), SIGN_IN
            ),
            event(
                "CheckMfa",
                record(
                    "CheckMfa",
                    "signin",
                    iam_user("alice"),
                    response={"CheckMfa": "Success"},
                    event_type="AwsConsoleSignIn",
                ),
                SIGN_IN,
            ),
        ],
    )


def _console_login_failures() -> Corpus:
    return _c(
        [
            event(
                "IAM user failed sign-in (MFA on)", console_login(iam_user("anaya"), success=False, mfa=True), SIGN_IN
            ),
            event(
                "IAM user failed sign-in (no MFA)", console_login(iam_user("pat"), success=False, mfa=False), SIGN_IN
            ),
            event("root failed sign-in", console_login(root(), success=False, mfa=False), SIGN_IN),
        ],
        [
            event("successful sign-in", console_login(iam_user("anaya"), success=True, mfa=True), SIGN_IN),
            event("successful root sign-in", console_login(root(), success=True, mfa=True), SIGN_IN),
            event(
                "CheckMfa",
                record(
                    "CheckMfa",
                    "signin",
                    iam_user("anaya"),
                    response={"CheckMfa": "Success"},
                    event_type="AwsConsoleSignIn",
                ),
                SIGN_IN,
            ),
            event(
                "GetObject AccessDenied",
                s3_object("GetObject", PHI[0], error_code="AccessDenied", error_message="Access Denied"),
                DATA,
            ),
        ],
    )


def _privilege_escalation() -> Corpus:
    def attach(name: str, arn: str) -> dict[str, Any]:
        return record(name, "iam", request={"roleName": "app", "userName": "bob", "policyArn": arn})

    return _c(
        [
            event("CreateAccessKey for another user", record("CreateAccessKey", "iam", request={"userName": "bob"})),
            event(
                "CreateLoginProfile",
                record("CreateLoginProfile", "iam", request={"userName": "bob", "passwordResetRequired": False}),
            ),
            event("UpdateLoginProfile", record("UpdateLoginProfile", "iam", request={"userName": "bob"})),
            event(
                "AddUserToGroup", record("AddUserToGroup", "iam", request={"groupName": "Admins", "userName": "bob"})
            ),
            event("UpdateAssumeRolePolicy", record("UpdateAssumeRolePolicy", "iam", request={"roleName": "app"})),
            event("AttachRolePolicy AdministratorAccess", attach("AttachRolePolicy", _ADMIN)),
        ],
        [
            event(
                "AttachRolePolicy ReadOnlyAccess", attach("AttachRolePolicy", "arn:aws:iam::aws:policy/ReadOnlyAccess")
            ),
            event(
                "AttachUserPolicy AdministratorAccessReview (name prefix)",
                attach("AttachUserPolicy", "arn:aws:iam::111122223333:policy/AdministratorAccessReview"),
            ),
            event("ListAccessKeys", record("ListAccessKeys", "iam", request={"userName": "bob"}, read_only=True)),
            event("GetLoginProfile", record("GetLoginProfile", "iam", request={"userName": "bob"}, read_only=True)),
        ],
    )


def _bucket_events(bucket: str, names: list[str]) -> list[CorpusEvent]:
    return [event(f"{name} on {bucket}", s3_bucket(name, bucket)) for name in names]


def _s3_bucket_policy_changes() -> Corpus:
    must = ["PutBucketPolicy", "PutBucketAcl", "PutBucketLifecycle", "DeleteBucketEncryption"]
    must += ["PutBucketPublicAccessBlock", "PutObjectLockConfiguration"]
    return _c(
        _bucket_events(OTHER_BUCKET, must),
        _bucket_events(OTHER_BUCKET, ["GetBucketPolicy", "GetBucketAcl", "PutBucketTagging"])
        + [event("PutObject (data event)", s3_object("PutObject", OTHER_BUCKET), DATA)],
    )


def _audit_archive_tampering() -> Corpus:
    must = ["PutBucketLifecycle", "PutBucketPolicy", "DeleteBucketPolicy", "PutBucketVersioning"]
    must += ["PutObjectLockConfiguration"]
    acl_check = s3_bucket("GetBucketAcl", ARCHIVE, identity=aws_service("cloudtrail.amazonaws.com"))
    return _c(
        _bucket_events(ARCHIVE, must),
        _bucket_events(OTHER_BUCKET, ["PutBucketLifecycle", "PutBucketPolicy"])
        + _bucket_events(ARCHIVE, ["GetBucketLifecycle"])
        + [event("CloudTrail's GetBucketAcl on the archive (delivery check)", acl_check, IDENTITY)],
    )


def _kms_key_changes() -> Corpus:
    key = {"keyId": "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"}
    calls = _calls(
        "kms",
        ["DisableKey", "ScheduleKeyDeletion", "PutKeyPolicy"],
        ["DescribeKey", "GetKeyPolicy", "CancelKeyDeletion"],
        **key,
    )
    rotation = event("KMS automatic RotateKey (AwsServiceEvent)", service_event("RotateKey", "kms"), SERVICE_EVENT)
    return _c(list(calls.must_match), [*calls.must_not_match, rotation])


def _organizations_changes() -> Corpus:
    calls = _calls(
        "organizations",
        ["LeaveOrganization", "DetachPolicy", "CreateAccount", "UpdatePolicy"],
        ["DescribeOrganization", "ListAccounts", "DescribePolicy"],
    )
    iam_create_policy = event(
        "IAM CreatePolicy (same name, other service)", record("CreatePolicy", "iam", request={"policyName": "x"})
    )
    return _c(list(calls.must_match), [*calls.must_not_match, iam_create_policy])


def _phi_read_volume() -> Corpus:
    return _c(
        [
            event("GetObject on PHI bucket by the app role", s3_object("GetObject", PHI[0]), DATA),
            event(
                "GetObject on second PHI bucket by an IAM user",
                s3_object("GetObject", PHI[1], identity=iam_user("bob")),
                DATA,
            ),
            event(
                "GetObject on PHI bucket by another session",
                s3_object("GetObject", PHI[0], identity=assumed_role("analyst", "carol")),
                DATA,
            ),
        ],
        [
            event("GetObject on another bucket", s3_object("GetObject", OTHER_BUCKET), DATA),
            event("HeadObject on PHI bucket", s3_object("HeadObject", PHI[0]), DATA),
            event("PutObject on PHI bucket", s3_object("PutObject", PHI[0]), DATA),
            event(
                "GetObject denied on PHI bucket",
                s3_object("GetObject", PHI[0], error_code="AccessDenied", error_message="Access Denied"),
                DATA,
            ),
        ],
    )


CORPORA: dict[str, Corpus] = {
    "root_use": _root_use(),
    "unauthorized_calls": _unauthorized_calls(),
    "console_login_without_mfa": _console_login_without_mfa(),
    "console_login_failures": _console_login_failures(),
    # Every event name CIS AWS Foundations v3.0 4.4 lists: a filter that drops any one of them (a neutered
    # last clause, say) misses its event here.
    "iam_policy_changes": _calls(
        "iam",
        [
            "DeleteGroupPolicy",
            "DeleteRolePolicy",
            "DeleteUserPolicy",
            "PutGroupPolicy",
            "PutRolePolicy",
            "PutUserPolicy",
            "CreatePolicy",
            "DeletePolicy",
            "CreatePolicyVersion",
            "DeletePolicyVersion",
            "AttachRolePolicy",
            "DetachRolePolicy",
            "AttachUserPolicy",
            "DetachUserPolicy",
            "AttachGroupPolicy",
            "DetachGroupPolicy",
        ],
        ["GetPolicy", "ListAttachedRolePolicies", "GetRolePolicy", "CreateUser"],
    ),
    "privilege_escalation": _privilege_escalation(),
    "audit_logging_changes": _calls(
        "cloudtrail",
        ["StopLogging", "DeleteTrail", "UpdateTrail", "PutEventSelectors", "PutInsightSelectors"],
        ["DescribeTrails", "GetEventSelectors", "GetTrailStatus", "LookupEvents"],
        name="management-events",
    ),
    "kms_key_changes": _kms_key_changes(),
    "s3_bucket_policy_changes": _s3_bucket_policy_changes(),
    "audit_archive_tampering": _audit_archive_tampering(),
    "config_changes": _calls(
        "config",
        [
            "StopConfigurationRecorder",
            "DeleteDeliveryChannel",
            "PutConfigurationRecorder",
            "DeleteConfigurationRecorder",
        ],
        ["DescribeConfigurationRecorders", "StartConfigurationRecorder", "PutEvaluations"],
    ),
    "firewall_changes": _calls(
        "ec2",
        [
            "AuthorizeSecurityGroupIngress",
            "RevokeSecurityGroupEgress",
            "DeleteSecurityGroup",
            "ModifySecurityGroupRules",
        ],
        ["DescribeSecurityGroups", "DescribeSecurityGroupRules", "CreateTags"],
        groupId="sg-0123456789abcdef0",
    ),
    "network_acl_changes": _calls(
        "ec2",
        ["CreateNetworkAclEntry", "ReplaceNetworkAclEntry", "DeleteNetworkAcl"],
        ["DescribeNetworkAcls", "CreateTags", "DescribeVpcs"],
        networkAclId="acl-0123456789abcdef0",
    ),
    "network_gateway_changes": _calls(
        "ec2",
        ["CreateCustomerGateway", "AttachInternetGateway", "DeleteInternetGateway"],
        ["DescribeInternetGateways", "DescribeCustomerGateways", "DescribeNatGateways"],
    ),
    "route_changes": _calls(
        "ec2",
        ["CreateRoute", "ReplaceRoute", "DisassociateRouteTable", "DeleteRouteTable"],
        ["DescribeRouteTables", "CreateTags", "SearchTransitGatewayRoutes"],
        routeTableId="rtb-0123456789abcdef0",
    ),
    "network_changes": _calls(
        "ec2",
        ["CreateVpc", "DeleteVpc", "ModifyVpcAttribute", "CreateVpcPeeringConnection", "AcceptVpcPeeringConnection"],
        ["DescribeVpcs", "DescribeVpcAttribute", "DescribeVpcPeeringConnections"],
    ),
    "organizations_changes": _organizations_changes(),
    "phi_read_volume": _phi_read_volume(),
}

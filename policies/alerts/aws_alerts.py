"""The AWS rule table: per alert, the CloudWatch Logs filter pattern AuditKit deploys on the trail's log group.

Patterns follow CIS AWS Foundations Benchmark v3.0.0 section 4 where CIS has one (quoted values, an
eventSource guard where the event names are EC2's or S3's), and go beyond it where the issue asks
(PutEventSelectors/PutInsightSelectors, PutKeyPolicy, S3 encryption/Object Lock/public-access-block,
ModifySecurityGroupRules, DeleteConfigurationRecorder). Each is judged against corpus/aws.py by the tests.
"""

from __future__ import annotations

from auditkit.policies.alerts.corpus.aws import CORPORA
from auditkit.policies.alerts.model import SINGLE_EVENT, CloudAlert, Language, Threshold

# CIS AWS v3.0.0 4.1 as published. `||` joins all four clauses, so the two `!=` exclusions are
# alternatives rather than conditions: every event whose eventName is not HeadBucket matches, i.e. nearly
# every event. v4.0 wrote `A || B && C && D`, which (&& binding tighter) still lets any
# *UnauthorizedOperation through unfiltered and drops every HeadBucket denial, not just the log-delivery
# service's. The intent is (A || B) && NOT (delivery.logs AND HeadBucket); AuditKit deploys exactly that.
CIS_V3_UNAUTHORIZED_CALLS = (
    '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") || '
    '($.sourceIPAddress!="delivery.logs.amazonaws.com") || ($.eventName!="HeadBucket") }'
)


def _names(*names: str) -> str:
    return " || ".join(f'($.eventName = "{n}")' for n in names)


def _service(service: str, *names: str) -> str:
    return f'{{ ($.eventSource = "{service}.amazonaws.com") && ({_names(*names)}) }}'


def _cis(*refs: str) -> tuple[str, ...]:
    return tuple(f"CIS AWS Foundations v3.0.0 {r}" for r in refs)


def _alert(
    alert_id: str, pattern: str, *benchmark: str, threshold: Threshold = SINGLE_EVENT, notes: str = "", **kw: str
) -> CloudAlert:
    return CloudAlert(
        "aws",
        Language.CLOUDWATCH_PATTERN,
        pattern,
        CORPORA[alert_id],
        threshold,
        benchmark,
        notes,
        any_of=kw or None,
    )


_S3_CONFIG = (
    "PutBucketAcl PutBucketPolicy PutBucketCors PutBucketLifecycle PutBucketReplication DeleteBucketPolicy "
    "DeleteBucketCors DeleteBucketLifecycle DeleteBucketReplication PutBucketEncryption DeleteBucketEncryption "
    "PutObjectLockConfiguration PutBucketPublicAccessBlock DeleteBucketPublicAccessBlock PutBucketVersioning"
).split()
_ARCHIVE_CONFIG = [n for n in _S3_CONFIG if "Cors" not in n] + ["DeleteBucket"]

AWS_ALERTS: dict[str, CloudAlert] = {
    "root_use": _alert(
        "root_use",
        '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }',
        *_cis("4.3"),
    ),
    "unauthorized_calls": _alert(
        "unauthorized_calls",
        '{ (($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*")) && '
        '(($.sourceIPAddress != "delivery.logs.amazonaws.com") || ($.eventName != "HeadBucket")) }',
        *_cis("4.1"),
        notes="CIS v3.0 4.1 ORs its exclusions and matches nearly every event; this groups them as CIS intended.",
    ),
    "console_login_without_mfa": _alert(
        "console_login_without_mfa",
        '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") && '
        '($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = "Success") }',
        *_cis("4.2"),
        notes="Root sign-ins are covered by root_use; SAML sign-ins carry MFAUsed=No because MFA happens at the IdP.",
    ),
    "console_login_failures": _alert(
        "console_login_failures",
        '{ ($.eventName = "ConsoleLogin") && ($.errorMessage = "Failed authentication") }',
        *_cis("4.6"),
        threshold=Threshold(count=3),
    ),
    "iam_policy_changes": _alert(
        "iam_policy_changes",
        "{ "
        + _names(
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
        )
        + " }",
        *_cis("4.4"),
    ),
    "privilege_escalation": _alert(
        "privilege_escalation",
        '{ ($.eventSource = "iam.amazonaws.com") && ('
        + _names(
            "CreateAccessKey", "CreateLoginProfile", "UpdateLoginProfile", "AddUserToGroup", "UpdateAssumeRolePolicy"
        )
        + " || (("
        + _names("AttachUserPolicy", "AttachRolePolicy", "AttachGroupPolicy")
        + ') && ($.requestParameters.policyArn = "*:policy/AdministratorAccess"))) }',
    ),
    "audit_logging_changes": _alert(
        "audit_logging_changes",
        _service(
            "cloudtrail",
            "CreateTrail",
            "UpdateTrail",
            "DeleteTrail",
            "StartLogging",
            "StopLogging",
            "PutEventSelectors",
            "PutInsightSelectors",
        ),
        *_cis("4.5"),
        notes="Beyond CIS 4.5: PutEventSelectors and PutInsightSelectors can stop data-event recording.",
    ),
    "kms_key_changes": _alert(
        "kms_key_changes", _service("kms", "DisableKey", "ScheduleKeyDeletion", "PutKeyPolicy"), *_cis("4.7")
    ),
    "s3_bucket_policy_changes": _alert("s3_bucket_policy_changes", _service("s3", *_S3_CONFIG), *_cis("4.8")),
    "audit_archive_tampering": _alert(
        "audit_archive_tampering",
        '{ ($.eventSource = "s3.amazonaws.com") && ($.requestParameters.bucketName = "${archive_bucket}") && ('
        + _names(*_ARCHIVE_CONFIG)
        + ") }",
    ),
    "config_changes": _alert(
        "config_changes",
        _service(
            "config",
            "StopConfigurationRecorder",
            "DeleteDeliveryChannel",
            "PutDeliveryChannel",
            "PutConfigurationRecorder",
            "DeleteConfigurationRecorder",
        ),
        *_cis("4.9"),
    ),
    "firewall_changes": _alert(
        "firewall_changes",
        _service(
            "ec2",
            "AuthorizeSecurityGroupIngress",
            "AuthorizeSecurityGroupEgress",
            "RevokeSecurityGroupIngress",
            "RevokeSecurityGroupEgress",
            "CreateSecurityGroup",
            "DeleteSecurityGroup",
            "ModifySecurityGroupRules",
        ),
        *_cis("4.10"),
    ),
    "network_acl_changes": _alert(
        "network_acl_changes",
        _service(
            "ec2",
            "CreateNetworkAcl",
            "CreateNetworkAclEntry",
            "DeleteNetworkAcl",
            "DeleteNetworkAclEntry",
            "ReplaceNetworkAclEntry",
            "ReplaceNetworkAclAssociation",
        ),
        *_cis("4.11"),
    ),
    "network_gateway_changes": _alert(
        "network_gateway_changes",
        _service(
            "ec2",
            "CreateCustomerGateway",
            "DeleteCustomerGateway",
            "AttachInternetGateway",
            "CreateInternetGateway",
            "DeleteInternetGateway",
            "DetachInternetGateway",
        ),
        *_cis("4.12"),
    ),
    "route_changes": _alert(
        "route_changes",
        _service(
            "ec2",
            "CreateRoute",
            "CreateRouteTable",
            "ReplaceRoute",
            "ReplaceRouteTableAssociation",
            "DeleteRouteTable",
            "DeleteRoute",
            "DisassociateRouteTable",
        ),
        *_cis("4.13"),
    ),
    "network_changes": _alert(
        "network_changes",
        _service(
            "ec2",
            "CreateVpc",
            "DeleteVpc",
            "ModifyVpcAttribute",
            "AcceptVpcPeeringConnection",
            "CreateVpcPeeringConnection",
            "DeleteVpcPeeringConnection",
            "RejectVpcPeeringConnection",
            "AttachClassicLinkVpc",
            "DetachClassicLinkVpc",
            "DisableVpcClassicLink",
            "EnableVpcClassicLink",
        ),
        *_cis("4.14"),
    ),
    "organizations_changes": _alert(
        "organizations_changes",
        _service(
            "organizations",
            "AcceptHandshake",
            "AttachPolicy",
            "CreateAccount",
            "CreateOrganizationalUnit",
            "CreatePolicy",
            "DeclineHandshake",
            "DeleteOrganization",
            "DeleteOrganizationalUnit",
            "DeletePolicy",
            "DetachPolicy",
            "DisablePolicyType",
            "EnablePolicyType",
            "InviteAccountToOrganization",
            "LeaveOrganization",
            "MoveAccount",
            "RemoveAccountFromOrganization",
            "UpdatePolicy",
            "UpdateOrganizationalUnit",
        ),
        *_cis("4.15"),
    ),
    "phi_read_volume": _alert(
        "phi_read_volume",
        '{ ($.eventSource = "s3.amazonaws.com") && ($.eventName = "GetObject") && ($.errorCode NOT EXISTS) && '
        "(${phi_buckets}) }",
        threshold=Threshold(count=500),
        notes="Needs S3 data events on the PHI buckets; GuardDuty S3 Protection covers anomalous access patterns.",
        phi_buckets="$.requestParameters.bucketName",
    ),
}

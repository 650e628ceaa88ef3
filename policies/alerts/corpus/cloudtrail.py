"""CloudTrail records shaped as the AWS CloudTrail User Guide documents them (repository awsdocs/aws-cloudtrail-user-guide).

- RECORD: "CloudTrail record contents" (eventVersion, userIdentity, eventTime, eventSource, eventName,
  awsRegion, sourceIPAddress, userAgent, errorCode, errorMessage, requestParameters, responseElements,
  requestID, eventID, readOnly, resources, eventType AwsApiCall|AwsServiceEvent|AwsConsoleSignIn,
  managementEvent, recipientAccountId, eventCategory Management|Data).
- IDENTITY: "CloudTrail userIdentity element": type Root|IAMUser|AssumedRole|AWSService|..., `invokedBy`
  "only present when a request is made by an AWS service", sessionContext for assumed roles.
- SIGN_IN: "AWS Management Console sign-in events": ConsoleLogin with responseElements.ConsoleLogin
  Success|Failure, additionalEventData.MFAUsed Yes|No, errorMessage "Failed authentication".
- SERVICE_EVENT: "AWS service events": eventType AwsServiceEvent, userIdentity with invokedBy only.
- DATA_EVENT: "Logging data events" and the Amazon S3 User Guide "Logging Amazon S3 API calls using AWS
  CloudTrail" (GetObject: eventCategory Data, requestParameters bucketName/key, resources AWS::S3::Object).
"""

from __future__ import annotations

from typing import Any

from auditkit.policies.alerts.model import CorpusEvent

_GUIDE = "AWS CloudTrail User Guide (awsdocs/aws-cloudtrail-user-guide)"
RECORD = f"{_GUIDE}, 'CloudTrail record contents'"
IDENTITY = f"{_GUIDE}, 'CloudTrail userIdentity element'"
SIGN_IN = f"{_GUIDE}, 'AWS Management Console sign-in events'"
SERVICE_EVENT = f"{_GUIDE}, 'AWS service events'"
DATA_EVENT = (
    f"{_GUIDE}, 'Logging data events'; Amazon S3 User Guide, 'Logging Amazon S3 API calls using AWS CloudTrail'"
)
ACCOUNT = "111122223333"
REGION = "us-east-1"


def iam_user(name: str = "alice") -> dict[str, Any]:
    return {
        "type": "IAMUser",
        "principalId": "AIDACKCEVSQ6C2EXAMPLE",
        "arn": f"arn:aws:iam::{ACCOUNT}:user/{name}",
        "accountId": ACCOUNT,
        "accessKeyId": "AKIAIOSFODNN7EXAMPLE",
        "userName": name,
    }


def root(invoked_by: str | None = None) -> dict[str, Any]:
    identity: dict[str, Any] = {
        "type": "Root",
        "principalId": ACCOUNT,
        "arn": f"arn:aws:iam::{ACCOUNT}:root",
        "accountId": ACCOUNT,
        "accessKeyId": "ASIAIOSFODNN7EXAMPLE",
    }
    if invoked_by:
        identity["invokedBy"] = invoked_by
    return identity


def assumed_role(role: str = "Admin", session: str = "alice", invoked_by: str | None = None) -> dict[str, Any]:
    identity: dict[str, Any] = {
        "type": "AssumedRole",
        "principalId": f"AROACKCEVSQ6C2EXAMPLE:{session}",
        "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/{session}",
        "accountId": ACCOUNT,
        "accessKeyId": "ASIAIOSFODNN7EXAMPLE",
        "sessionContext": {
            "sessionIssuer": {
                "type": "Role",
                "principalId": "AROACKCEVSQ6C2EXAMPLE",
                "arn": f"arn:aws:iam::{ACCOUNT}:role/{role}",
                "accountId": ACCOUNT,
                "userName": role,
            },
            "attributes": {"creationDate": "2024-05-01T12:00:00Z", "mfaAuthenticated": "false"},
        },
    }
    if invoked_by:
        identity["invokedBy"] = invoked_by
    return identity


def aws_service(service: str) -> dict[str, Any]:
    return {"type": "AWSService", "invokedBy": service}


def record(
    event_name: str,
    service: str,
    identity: dict[str, Any] | None = None,
    *,
    request: dict[str, Any] | None = None,
    response: dict[str, Any] | None = None,
    error_code: str | None = None,
    error_message: str | None = None,
    read_only: bool = False,
    event_type: str = "AwsApiCall",
    category: str = "Management",
    ip: str = "198.51.100.7",
    additional: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One CloudTrail record; `service` is the short name (`iam` -> eventSource iam.amazonaws.com)."""
    identity = identity if identity is not None else iam_user()
    rec: dict[str, Any] = {
        "eventVersion": "1.09",
        "userIdentity": identity,
        "eventTime": "2024-05-01T12:34:56Z",
        "eventSource": f"{service}.amazonaws.com",
        "eventName": event_name,
        "awsRegion": REGION,
        "sourceIPAddress": identity.get("invokedBy", ip),
        "userAgent": identity.get("invokedBy", "aws-cli/2.15.0 Python/3.11.6 Linux/6.1 exe/x86_64"),
        "requestParameters": request,
        "responseElements": response,
        "requestID": "EXAMPLE8-90ab-cdef-fedc-ba987EXAMPLE",
        "eventID": "EXAMPLEa-90ab-cdef-fedc-ba987EXAMPLE",
        "readOnly": read_only,
        "eventType": event_type,
        "managementEvent": category == "Management",
        "recipientAccountId": ACCOUNT,
        "eventCategory": category,
    }
    if error_code is not None:
        rec["errorCode"] = error_code
    if error_message is not None:
        rec["errorMessage"] = error_message
    if additional is not None:
        rec["additionalEventData"] = additional
    return rec


def console_login(identity: dict[str, Any], *, success: bool, mfa: bool) -> dict[str, Any]:
    """ConsoleLogin as the sign-in events page shows it (eventType AwsConsoleSignIn)."""
    rec = record(
        "ConsoleLogin",
        "signin",
        identity,
        response={"ConsoleLogin": "Success" if success else "Failure"},
        error_message=None if success else "Failed authentication",
        event_type="AwsConsoleSignIn",
        additional={
            "LoginTo": "https://console.aws.amazon.com/console/home?state=hashArgs%23&isauthcode=true",
            "MobileVersion": "No",
            "MFAUsed": "Yes" if mfa else "No",
        },
    )
    rec["userAgent"] = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 Chrome/124.0 Safari/537.36"
    return rec


def service_event(event_name: str, service: str) -> dict[str, Any]:
    """An AwsServiceEvent: the service acted, no API call; userIdentity carries only the account and invokedBy."""
    rec = record(event_name, service, {"accountId": ACCOUNT, "invokedBy": "AWS Internal"}, event_type="AwsServiceEvent")
    rec["serviceEventDetails"] = {"eventRequestDetails": {}}
    return rec


def s3_object(event_name: str, bucket: str, key: str = "patients/123/chart.pdf", **kwargs: Any) -> dict[str, Any]:
    """An S3 object-level data event (GetObject, PutObject, HeadObject...)."""
    rec = record(
        event_name,
        "s3",
        kwargs.pop("identity", None) or assumed_role("app-reader", "i-0abcd1234efgh5678"),
        request={"bucketName": bucket, "key": key, "Host": f"{bucket}.s3.{REGION}.amazonaws.com"},
        read_only=event_name.startswith(("Get", "Head", "List")),
        category="Data",
        **kwargs,
    )
    rec["resources"] = [
        {"type": "AWS::S3::Object", "ARN": f"arn:aws:s3:::{bucket}/{key}"},
        {"accountId": ACCOUNT, "type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{bucket}"},
    ]
    rec["additionalEventData"] = {"SignatureVersion": "SigV4", "bytesTransferredOut": 48213}
    return rec


def s3_bucket(event_name: str, bucket: str, extra: dict[str, Any] | None = None, **kwargs: Any) -> dict[str, Any]:
    """An S3 bucket-level management event (PutBucketPolicy, PutBucketLifecycle, GetBucketAcl...)."""
    request = {"bucketName": bucket, "Host": f"{bucket}.s3.{REGION}.amazonaws.com", **(extra or {})}
    return record(event_name, "s3", request=request, read_only=event_name.startswith(("Get", "List")), **kwargs)


def event(name: str, rec: dict[str, Any], source: str = RECORD) -> CorpusEvent:
    return CorpusEvent(name, source, rec)

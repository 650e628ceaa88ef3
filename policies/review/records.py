"""The audit record every review query reads: one row per CloudTrail event, the AU-3 fields and a few more.

Each column names the CloudTrail record path it is read from (AWS CloudTrail User Guide, "CloudTrail record
contents"); the engines build the `records` relation from these paths, and alert filter patterns are
translated over them (alert_sql), so a pattern can only use a path listed here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    name: str
    path: tuple[str, ...]  # in the CloudTrail record; ("resources", "0", "ARN") is the first resource


COLUMNS: tuple[Column, ...] = (
    Column("event_source", ("eventSource",)),
    Column("event_name", ("eventName",)),
    Column("event_type", ("eventType",)),
    Column("aws_region", ("awsRegion",)),
    Column("recipient_account", ("recipientAccountId",)),
    Column("identity_type", ("userIdentity", "type")),
    Column("identity_arn", ("userIdentity", "arn")),
    Column("principal_id", ("userIdentity", "principalId")),
    Column("account_id", ("userIdentity", "accountId")),
    Column("user_name", ("userIdentity", "userName")),
    Column("invoked_by", ("userIdentity", "invokedBy")),
    Column("issuer_arn", ("userIdentity", "sessionContext", "sessionIssuer", "arn")),
    Column("source_ip", ("sourceIPAddress",)),
    Column("user_agent", ("userAgent",)),
    Column("error_code", ("errorCode",)),
    Column("error_message", ("errorMessage",)),
    Column("bucket", ("requestParameters", "bucketName")),
    Column("object_key", ("requestParameters", "key")),
    Column("role_arn", ("requestParameters", "roleArn")),
    Column("policy_arn", ("requestParameters", "policyArn")),
    Column("mfa_used", ("additionalEventData", "MFAUsed")),
    Column("login_result", ("responseElements", "ConsoleLogin")),
    Column("resource_arn", ("resources", "0", "ARN")),
    Column("event_id", ("eventID",)),
)
EVENT_TIME = ("eventTime",)
BY_PATH: dict[tuple[str, ...], str] = {c.path: c.name for c in COLUMNS}
# Every text column, then the event time (a UTC timestamp) and the log file the record was read from.
NAMES: tuple[str, ...] = (*(c.name for c in COLUMNS), "event_time", "log_file")

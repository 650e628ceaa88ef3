"""`auditkit demo`, step 4: a high-risk event staged in the emulator, shown matching its deployed alert.

Someone shortens the audit archive's lifecycle. The call is made against the emulator, and the record
CloudTrail would write for it is built in the CloudTrail User Guide's shape (policies/alerts/corpus).
moto stores metric filters and alarms but never evaluates a pattern or emits a metric, so AuditKit's
filter-pattern evaluator is the judge: it reads the filters deployed on the trail's log group, finds the
one that matches the record, and follows its alarm to the topic and its subscribers. A read of the same
lifecycle (a near miss) matches no alert.
"""

from __future__ import annotations

from typing import Any

import boto3
from rich.console import Console

from auditkit.policies.alerts.corpus.cloudtrail import iam_user, s3_bucket
from auditkit.policies.alerts.filter_pattern import compile_pattern

SHORTENED = {"Rules": [{"ID": "tidy-up", "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": 30}}]}


def _records(archive: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the staged PutBucketLifecycle as CloudTrail records it, a GetBucketLifecycle on the same bucket)."""
    who = iam_user("contractor-ops")
    change = s3_bucket("PutBucketLifecycle", archive, extra={"lifecycle": ""}, identity=who)
    change["requestParameters"]["LifecycleConfiguration"] = {"Rule": SHORTENED["Rules"][0]}
    return change, s3_bucket("GetBucketLifecycle", archive, extra={"lifecycle": ""}, identity=who)


def _matching(filters: list[dict[str, Any]], record: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for f in filters if compile_pattern(f.get("filterPattern", "")).matches(record)]


def _notified(session: boto3.Session, flt: dict[str, Any]) -> list[str]:
    """What an alarm on the filter's metric reaches: '<alarm> -> <topic> -> <endpoints>'."""
    metrics = {(t["metricName"], t["metricNamespace"]) for t in flt.get("metricTransformations") or ()}
    alarms = session.client("cloudwatch").describe_alarms()["MetricAlarms"]
    sns, out = session.client("sns"), []
    for a in alarms:
        if (a.get("MetricName"), a.get("Namespace")) not in metrics or not a.get("ActionsEnabled"):
            continue
        for topic in a.get("AlarmActions") or ():
            subs = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
            endpoints = ", ".join(f"{s['Protocol']}:{s['Endpoint']}" for s in subs) or "nobody"
            out.append(f"alarm {a['AlarmName']} (>= {a['Threshold']:g} in {a['Period']}s) -> {topic} -> {endpoints}")
    return out


def run_alert_step(session: boto3.Session, trail: str, err: Console) -> bool:
    """Stage the change, show the filter that matches it and whom its alarm reaches; the near miss matches none."""
    desc = session.client("cloudtrail").describe_trails(trailNameList=[trail])["trailList"][0]
    archive, group_arn = desc["S3BucketName"], desc["CloudWatchLogsLogGroupArn"]
    group = group_arn.split(":log-group:", 1)[1].removesuffix(":*")
    s3 = session.client("s3")
    s3.put_bucket_lifecycle_configuration(Bucket=archive, LifecycleConfiguration=SHORTENED)
    err.print(f"contractor-ops runs PutBucketLifecycle on the archive s3://{archive}: objects expire after 30 days")
    change, near_miss = _records(archive)
    filters = session.client("logs").describe_metric_filters(logGroupName=group)["metricFilters"]
    matched = _matching(filters, change)
    for f in matched:
        err.print(f"  matched by filter {f['filterName']} on {group}: {f['filterPattern'][:120]}...")
        for line in _notified(session, f):
            err.print(f"    {line}")
    missed = _matching(filters, near_miss)
    err.print(
        f"  the same principal's GetBucketLifecycle on the archive (a read) matches "
        f"{', '.join(f['filterName'] for f in missed) or 'no alert'}"
    )
    tampering = [f for f in matched if f["filterName"].endswith("audit_archive_tampering")]
    return bool(tampering) and all(_notified(session, f) for f in tampering) and not missed

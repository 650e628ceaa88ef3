"""`auditkit:aws.alerts` and `auditkit:azure.alerts`: who the high-risk activity alerts reach and what they watch
(components/aws/alerts.py, components/azure/high_risk_alerts.py).

Checked before anything is registered: every field refused names the field, the value and what is allowed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from auditkit.policies.errors import ConfigError
from auditkit.settings.aws_limits import check_bucket_name as aws_bucket
from auditkit.settings.gcp_limits import check_bucket_name as gcs_bucket
from auditkit.settings.pulumi_values import check_keys, flag

ALERT_KEYS = ("email", "https", "phiBuckets", "guardDuty")
EMAIL = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[A-Za-z]{2,}$")
HTTPS_URL = re.compile(r"^https://[^\s/]+\.[^\s]+$")


@dataclass(frozen=True)
class AwsAlertSettings:
    """Who the alarms reach (SNS email and https subscriptions), which buckets hold PHI, and GuardDuty."""

    email: tuple[str, ...] = ()
    https: tuple[str, ...] = ()
    # The buckets whose object reads count towards the PHI read-volume alert; None: not named.
    phi_buckets: tuple[str, ...] | None = None
    # False when GuardDuty is managed elsewhere (a delegated administrator): one detector per account and region.
    guard_duty: bool = True


def _endpoints(field: str, value: Any, pattern: re.Pattern[str], allowed: str) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise ConfigError(field, value, f"a list of {allowed}")
    for v in value:
        if not isinstance(v, str) or not pattern.match(v):
            raise ConfigError(field, v, allowed)
    if len(set(value)) != len(value):
        raise ConfigError(field, value, f"each of the {allowed} once")
    return tuple(value)


def alert_settings(raw: Any, buckets: tuple[str, ...] | None) -> AwsAlertSettings | None:
    """`aws.alerts`: false, or who is notified and what is watched. Checked before anything is registered."""
    if raw is False or raw in ("false", "False"):
        return None
    if not isinstance(raw, Mapping):
        raise ConfigError("aws.alerts", raw, "false, or a mapping of " + ", ".join(ALERT_KEYS))
    check_keys("aws.alerts.", raw, ALERT_KEYS)
    phi = raw.get("phiBuckets")
    if phi is not None:
        if not isinstance(phi, list) or not phi or not all(isinstance(b, str) for b in phi):
            raise ConfigError("aws.alerts.phiBuckets", phi, "a non-empty list of bucket names")
        for b in phi:
            # `*` is the filter pattern's wildcard: phi-* counts every bucket whose name starts phi-.
            if not isinstance(b, str) or aws_bucket("aws.alerts.phiBuckets", b.replace("*", "x")) is None:
                raise ConfigError("aws.alerts.phiBuckets", b, "bucket names (a '*' stands for any characters)")
    return AwsAlertSettings(
        email=_endpoints("aws.alerts.email", raw.get("email", []), EMAIL, "email addresses (name@example.com)"),
        https=_endpoints("aws.alerts.https", raw.get("https", []), HTTPS_URL, "https:// URLs"),
        phi_buckets=tuple(phi) if phi is not None else buckets,
        guard_duty=flag("aws.alerts.guardDuty", raw.get("guardDuty", True)),
    )


GCP_ALERT_KEYS = ("email", "phiBuckets")


@dataclass(frozen=True)
class GcpAlertSettings:
    """Who the alert policies reach (email notification channels) and which buckets hold PHI."""

    email: tuple[str, ...] = ()
    # The buckets whose object reads count towards the PHI read-volume alert; None: not named.
    phi_buckets: tuple[str, ...] | None = None


def gcp_alert_settings(raw: Any, counted: bool) -> GcpAlertSettings | None:
    """`gcp.alerts`: false, or who is notified and what is watched.

    `counted`: the stack's audit logs arrive somewhere a log-based metric can count them (the project of a
    project-scope stack, or the log bucket gcp.logBucketRetentionDays adds). Unset, the alerts are deployed
    exactly when they are; asked for where they are not, the setting is refused.
    """
    if raw is False or raw in ("false", "False"):
        return None
    if raw is None:
        return GcpAlertSettings() if counted else None
    if not isinstance(raw, Mapping):
        raise ConfigError("gcp.alerts", raw, "false, or a mapping of " + ", ".join(GCP_ALERT_KEYS))
    check_keys("gcp.alerts.", raw, GCP_ALERT_KEYS)
    if not counted:
        raise ConfigError(
            "gcp.alerts",
            dict(raw),
            "gcp.logBucketRetentionDays set too (or gcp.scope: project), or gcp.alerts: false",
            "an organization or folder sink that routes audit logs only to Cloud Storage leaves log-based metrics "
            "nothing to count; the log bucket in gcp.archiveProject is where they count them",
        )
    phi = raw.get("phiBuckets")
    if phi is not None:
        if not isinstance(phi, list) or not phi:
            raise ConfigError("gcp.alerts.phiBuckets", phi, "a non-empty list of bucket names")
        for b in phi:
            gcs_bucket("gcp.alerts.phiBuckets", b)
        if len(set(phi)) != len(phi):
            raise ConfigError("gcp.alerts.phiBuckets", phi, "each bucket once")
    return GcpAlertSettings(
        email=_endpoints("gcp.alerts.email", raw.get("email", []), EMAIL, "email addresses (name@example.com)"),
        phi_buckets=tuple(phi) if phi is not None else None,
    )


AZURE_ALERT_KEYS = ("email", "webhook")


@dataclass(frozen=True)
class AzureAlertSettings:
    """Who the action group reaches: email receivers and webhook receivers (https only)."""

    email: tuple[str, ...] = ()
    webhook: tuple[str, ...] = ()


def azure_alert_settings(raw: Any) -> AzureAlertSettings | None:
    """`azure.alerts`: false, or the action group's receivers. Checked before anything is registered."""
    if raw is False or raw in ("false", "False"):
        return None
    if not isinstance(raw, Mapping):
        raise ConfigError("azure.alerts", raw, "false, or a mapping of " + ", ".join(AZURE_ALERT_KEYS))
    check_keys("azure.alerts.", raw, AZURE_ALERT_KEYS)
    return AzureAlertSettings(
        email=_endpoints("azure.alerts.email", raw.get("email", []), EMAIL, "email addresses (name@example.com)"),
        webhook=_endpoints("azure.alerts.webhook", raw.get("webhook", []), HTTPS_URL, "https:// URLs"),
    )

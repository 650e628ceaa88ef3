"""Azure's own limits, checked at construction time, before any resource is registered."""

from __future__ import annotations

import re

from auditkit.policies.azure.facts import AUDIT_LOGS, resource_type
from auditkit.policies.errors import ConfigError
from auditkit.policies.retention import (
    RetentionCeiling,
    RetentionRequirement,
    check_ceiling,
    days_for_years,
    longest_years,
)

IMMUTABILITY_DAYS = (1, 146_000)
RETENTION_CEILING = RetentionCeiling(
    "Azure Blob container immutability",
    f"immutabilityPeriodSinceCreationInDays <= {IMMUTABILITY_DAYS[1]}",
    longest_years(lambda y: days_for_years(y) <= IMMUTABILITY_DAYS[1]),
)
WORKSPACE_RETENTION_DAYS = (30, 730)
TOTAL_RETENTION_MAX_DAYS = 4383
# Early-deletion minimums: a blob leaving a tier earlier is billed as if it stayed.
TIER_MINIMUM_DAYS = {"cool": 30, "cold": 90, "archive": 180}

_ACCOUNT = re.compile(r"^[a-z0-9]{3,24}$")
_RESOURCE_GROUP = re.compile(r"^[-\w._()]{1,90}$")


def check_account_name(value: object) -> str:
    if not isinstance(value, str) or not _ACCOUNT.match(value):
        raise ConfigError("azure.storageAccountName", value, "3-24 lowercase letters and digits (globally unique)")
    return value


def check_resource_group(value: object) -> str:
    if not isinstance(value, str) or not _RESOURCE_GROUP.match(value) or value.endswith("."):
        raise ConfigError(
            "azure.resourceGroup", value, "1-90 letters, digits, '-', '_', '.', '(' and ')', not ending in '.'"
        )
    return value


def check_immutability(retention: RetentionRequirement) -> None:
    check_ceiling(retention, RETENTION_CEILING)


_GROUP_ID = re.compile(r"^/subscriptions/([^/]+)/resourceGroups/([^/]+)/?$", re.IGNORECASE)


def resource_group_choice(value: object, create: object, subscription: str) -> tuple[str, bool]:
    """(group name, whether the stack creates it). A name is created unless createResourceGroup is false;
    an id (`/subscriptions/S/resourceGroups/G`) names an existing group, which is used and never created:
    azure-native refuses to create a group that already exists."""
    if create is not None and not isinstance(create, bool):
        raise ConfigError("azure.createResourceGroup", create, "true or false")
    match = _GROUP_ID.match(value) if isinstance(value, str) else None
    if match is None:
        return check_resource_group(value), create is not False
    if create is True:
        raise ConfigError(
            "azure.createResourceGroup", create, "false or unset", "azure.resourceGroup is an id: the group exists"
        )
    if match.group(1).lower() != subscription.lower():
        raise ConfigError(
            "azure.resourceGroup",
            value,
            f"a group in subscription {subscription} (azure-native:subscriptionId), where the archive is deployed",
        )
    return check_resource_group(match.group(2)), False


def check_tiers(cool: int, cold: int, archive: int, delete_days: int) -> None:
    for field, value in (("azure.coolDays", cool), ("azure.coldDays", cold), ("azure.archiveDays", archive)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigError(field, value, "a whole number of days >= 1")
    for field, value, previous, tier in (
        ("azure.coldDays", cold, cool, "cool"),
        ("azure.archiveDays", archive, cold, "cold"),
    ):
        if value - previous < TIER_MINIMUM_DAYS[tier]:
            raise ConfigError(
                field,
                value,
                f">= {previous + TIER_MINIMUM_DAYS[tier]}",
                f"the {tier} tier keeps blobs at least {TIER_MINIMUM_DAYS[tier]} days",
            )
    if delete_days - archive < TIER_MINIMUM_DAYS["archive"]:
        raise ConfigError(
            "azure.archiveDays",
            archive,
            f"<= {delete_days - TIER_MINIMUM_DAYS['archive']}",
            f"the archive tier keeps blobs 180 days before the delete at day {delete_days}",
        )


def check_workspace(retention_days: object, total_days: object) -> None:
    low, high = WORKSPACE_RETENTION_DAYS
    if isinstance(retention_days, bool) or not isinstance(retention_days, int) or not low <= retention_days <= high:
        raise ConfigError("azure.workspace.retentionDays", retention_days, f"{low}-{high} days (PerGB2018)")
    if (
        isinstance(total_days, bool)
        or not isinstance(total_days, int)
        or not retention_days <= total_days <= TOTAL_RETENTION_MAX_DAYS
    ):
        raise ConfigError(
            "azure.workspace.totalRetentionDays",
            total_days,
            f"{retention_days}-{TOTAL_RETENTION_MAX_DAYS} days",
            "Log Analytics total retention tops out at 12 years; longer retention comes from the immutable archive",
        )


def check_resource_id(value: object) -> str:
    rtype = resource_type(value) if isinstance(value, str) else ""
    if not isinstance(value, str) or not value.lower().startswith("/subscriptions/") or rtype not in AUDIT_LOGS:
        raise ConfigError(
            "azure.diagnosticResources", value, [f"a resource id of type {t}" for t in sorted(AUDIT_LOGS)]
        )
    return value

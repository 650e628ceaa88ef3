"""Azure Activity Log events shaped as the Activity Log REST API returns them.

Source: MicrosoftDocs/azure-docs, articles/azure-monitor/essentials/activity-log-schema.md (the Administrative
category sample: authorization, caller, channels, claims, correlationId, eventName, category, eventTimestamp,
id, level, operationId, operationName, resourceGroupName, resourceProviderName, resourceType, resourceId,
status, subStatus, submissionTimestamp, subscriptionId, properties; localized fields as {value,
localizedValue}); azure-mgmt-monitor `EventData` model.
"""

from __future__ import annotations

from typing import Any

from auditkit.policies.alerts.model import CorpusEvent

SCHEMA = "Azure Monitor docs, 'Azure Activity Log event schema' (activity-log-schema.md), Administrative category"
SUBSCRIPTION = "ffff9f9f-aa0a-bb1b-cc2c-dddddd3d3d3d"
OTHER_SUBSCRIPTION = "0a0a0a0a-1b1b-2c2c-3d3d-4e4e4e4e4e4e"


def _localized(value: str) -> dict[str, str]:
    return {"value": value, "localizedValue": value}


def resource_id(provider_path: str, group: str = "clinic-prod", subscription: str = SUBSCRIPTION) -> str:
    """`Microsoft.Network/networkSecurityGroups/web-nsg` -> the full ARM resource id."""
    return f"/subscriptions/{subscription}/resourceGroups/{group}/providers/{provider_path}"


def activity(
    operation: str,
    resource: str,
    *,
    status: str = "Succeeded",
    category: str = "Administrative",
    caller: str = "alice@contoso.com",
) -> dict[str, Any]:
    """One Activity Log event for `operation` (e.g. Microsoft.Network/networkSecurityGroups/write) on `resource`."""
    provider = operation.split("/", 1)[0]
    resource_type = "/".join(operation.split("/")[:-1])
    if resource_type.endswith(("/lock", "/extend", "/join")):
        resource_type = resource_type.rsplit("/", 1)[0]
    subscription = resource.split("/")[2] if resource.startswith("/subscriptions/") else SUBSCRIPTION
    group = resource.split("/resourceGroups/")[1].split("/")[0] if "/resourceGroups/" in resource else ""
    return {
        "authorization": {"action": operation, "scope": resource},
        "caller": caller,
        "channels": "Operation",
        "claims": {"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn": caller, "ipaddr": "203.0.113.25"},
        "correlationId": "c0c0c0c0-d1d1-e2e2-f3f3-a4a4a4a4a4a4",
        "description": "",
        "eventDataId": "b1b1b1b1-c2c2-d3d3-e4e4-f5f5f5f5f5f5",
        "eventName": _localized("EndRequest"),
        "category": _localized(category),
        "eventTimestamp": "2024-05-01T12:34:56.1234567Z",
        "id": f"{resource}/events/b1b1b1b1-c2c2-d3d3-e4e4-f5f5f5f5f5f5/ticks/638501000961234567",
        "level": "Informational",
        "operationId": "a9a9a9a9-b8b8-c7c7-d6d6-e5e5e5e5e5e5",
        "operationName": _localized(operation),
        "resourceGroupName": group,
        "resourceProviderName": _localized(provider),
        "resourceType": _localized(resource_type),
        "resourceId": resource,
        "status": _localized(status),
        "subStatus": _localized("OK" if status == "Succeeded" else ""),
        "submissionTimestamp": "2024-05-01T12:35:10.7654321Z",
        "subscriptionId": subscription,
        "properties": {"statusCode": "OK", "serviceRequestId": None},
    }


def event(name: str, rec: dict[str, Any], source: str = SCHEMA) -> CorpusEvent:
    return CorpusEvent(name, source, rec)

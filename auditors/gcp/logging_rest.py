"""Cloud Logging sinks and log-based metrics over the REST v2 API, and Cloud Monitoring alert policies and
notification channels over the REST v3 API, through google-auth's AuthorizedSession.

The gRPC LogSink of google-cloud-logging 3.16 has no `intercept_children`; the REST resource does
(cloud.google.com/logging/docs/reference/v2/rest/v2/projects.sinks#LogSink: interceptChildren).
GET {endpoint}/v2/{parent}/sinks, paged with pageToken (projects.sinks/list), through the one pager
(auditors/failures.py: a token that comes back, or a chain longer than its cap, is a failed read).
Log-based metrics: GET {endpoint}/v2/projects/P/metrics (projects.metrics/list, ListLogMetricsResponse
`metrics`, google/logging/v2/logging_metrics.proto). Monitoring: GET {endpoint}/v3/projects/P/alertPolicies
and /notificationChannels (ListAlertPoliciesResponse `alertPolicies`, ListNotificationChannelsResponse
`notificationChannels`; google/monitoring/v3/alert_service.proto, notification_service.proto), each paged
with pageToken/nextPageToken.
"""

from __future__ import annotations

from typing import Any

from google.api_core import exceptions as gexc

from auditkit.auditors.failures import pages


class LoggingRest:
    def __init__(self, session: Any, endpoint: str, timeout: float) -> None:
        self.session = session  # a google.auth.transport.requests.AuthorizedSession
        self.endpoint = endpoint.rstrip("/")
        self.timeout = timeout

    def list_sinks(self, parent: str) -> list[dict[str, Any]]:
        return listing(self, f"v2/{parent}/sinks", "sinks")

    def list_metrics(self, project: str) -> list[dict[str, Any]]:
        return listing(self, f"v2/{project}/metrics", "metrics")


class MonitoringRest(LoggingRest):
    """The same session and paging, against Cloud Monitoring (its own endpoint)."""

    def list_alert_policies(self, project: str) -> list[dict[str, Any]]:
        return listing(self, f"v3/{project}/alertPolicies", "alertPolicies")

    def list_notification_channels(self, project: str) -> list[dict[str, Any]]:
        return listing(self, f"v3/{project}/notificationChannels", "notificationChannels")


def listing(api: LoggingRest, path: str, key: str) -> list[dict[str, Any]]:
    """Every item of a paged REST listing, through the one pager."""

    def page(**params: Any) -> dict[str, Any]:
        response = api.session.get(f"{api.endpoint}/{path}", params={"pageSize": 200, **params}, timeout=api.timeout)
        if response.status_code >= 400:
            raise _error(response)
        return dict(response.json())

    return [item for body in pages(page, "pageToken", "nextPageToken") for item in body.get(key, [])]


def _error(response: Any) -> gexc.GoogleAPICallError:
    """The google.rpc.Status in the body names the error; the status code classifies it."""
    try:
        message = str(response.json()["error"]["message"])
    except (ValueError, KeyError, TypeError):
        message = response.text[:300]
    return gexc.from_http_status(response.status_code, message)

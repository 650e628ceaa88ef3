"""Cloud Logging sinks over the REST v2 API.

The gRPC LogSink of google-cloud-logging 3.16 has no `intercept_children`; the REST resource does
(cloud.google.com/logging/docs/reference/v2/rest/v2/projects.sinks#LogSink: interceptChildren).
GET {endpoint}/v2/{parent}/sinks, paged with pageToken (projects.sinks/list), through the one pager
(auditors/failures.py: a token that comes back, or a chain longer than its cap, is a failed read).
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
        def page(**params: Any) -> dict[str, Any]:
            response = self.session.get(
                f"{self.endpoint}/v2/{parent}/sinks", params={"pageSize": 200, **params}, timeout=self.timeout
            )
            if response.status_code >= 400:
                raise _error(response)
            return dict(response.json())

        return [s for body in pages(page, "pageToken", "nextPageToken") for s in body.get("sinks", [])]


def _error(response: Any) -> gexc.GoogleAPICallError:
    """The google.rpc.Status in the body names the error; the status code classifies it."""
    try:
        message = str(response.json()["error"]["message"])
    except (ValueError, KeyError, TypeError):
        message = response.text[:300]
    return gexc.from_http_status(response.status_code, message)

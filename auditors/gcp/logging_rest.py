"""Cloud Logging sinks over the REST v2 API.

The gRPC LogSink of google-cloud-logging 3.16 has no `intercept_children`; the REST resource does
(cloud.google.com/logging/docs/reference/v2/rest/v2/projects.sinks#LogSink: interceptChildren).
GET {endpoint}/v2/{parent}/sinks, paged with pageToken (projects.sinks/list).
"""

from __future__ import annotations

from typing import Any

from google.api_core import exceptions as gexc

MAX_PAGES = 100  # 200 sinks per resource is Logging's quota; a longer token chain is a broken answer


class LoggingRest:
    def __init__(self, session: Any, endpoint: str, timeout: float) -> None:
        self.session = session  # a google.auth.transport.requests.AuthorizedSession
        self.endpoint = endpoint.rstrip("/")
        self.timeout = timeout

    def list_sinks(self, parent: str) -> list[dict[str, Any]]:
        sinks: list[dict[str, Any]] = []
        token = None
        for _ in range(MAX_PAGES):
            params = {"pageSize": 200, **({"pageToken": token} if token else {})}
            response = self.session.get(f"{self.endpoint}/v2/{parent}/sinks", params=params, timeout=self.timeout)
            if response.status_code >= 400:
                raise _error(response)
            body = response.json()
            sinks += body.get("sinks", [])
            token = body.get("nextPageToken")
            if not token:
                return sinks
        raise ValueError(f"ListSinks {parent}: more than {MAX_PAGES} pages")


def _error(response: Any) -> gexc.GoogleAPICallError:
    """The google.rpc.Status in the body names the error; the status code classifies it."""
    try:
        message = str(response.json()["error"]["message"])
    except (ValueError, KeyError, TypeError):
        message = response.text[:300]
    return gexc.from_http_status(response.status_code, message)

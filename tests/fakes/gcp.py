"""A fake GCP over HTTP for the real Google clients: Resource Manager v3, Cloud Logging v2 (sinks, log-based
metrics), Cloud Monitoring v3 (alert policies, notification channels) and the Cloud Storage JSON API,
answering in the shapes Google publishes.

Shapes: googleapis google/cloud/resourcemanager/v3/projects.proto (Project.parent), google/iam/v1/policy.proto
(Policy.version 3, Binding.condition), google/logging/v2/logging_config.proto (LogSink, ListSinksResponse with
next_page_token), google/logging/v2/logging_metrics.proto (ListLogMetricsResponse: metrics, next_page_token),
google/monitoring/v3/alert_service.proto and notification_service.proto (ListAlertPoliciesResponse:
alert_policies, next_page_token, total_size; ListNotificationChannelsResponse: notification_channels, ...),
cloud.google.com/storage/docs/json_api/v1/buckets#resource (int64 fields as strings).
Every organization, folder and project has the `_Required` and `_Default` sinks Google creates
(cloud.google.com/logging/docs/routing/overview#default-sinks); the fake lists them before any other sink.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

from tests.fakes.gcp_published import default_sinks
from tests.fakes.loopback import serve_in_background

PAGE_SIZE = 2  # the fake pages sinks in twos: Google may return fewer than pageSize and a nextPageToken
_LISTINGS = re.compile(r"^/(?:v2/(projects/[^/]+)/(metrics)|v3/(projects/[^/]+)/(alertPolicies|notificationChannels))$")


def _error(code: int, status: str, message: str) -> tuple[int, dict]:
    return code, {"error": {"code": code, "message": message, "status": status}}


@dataclass
class FakeGcp:
    # "projects/p" | "folders/f" | "organizations/o" -> {"parent", "projectNumber", "auditConfigs", "bindings"}
    nodes: dict[str, dict] = field(default_factory=dict)
    # parent ("projects/p") -> [LogSink JSON] besides the _Required/_Default sinks every node has
    sinks: dict[str, list[dict]] = field(default_factory=dict)
    # "projects/p" -> [LogMetric JSON] / [AlertPolicy JSON] / [NotificationChannel JSON] (gcp_published)
    metrics: dict[str, list[dict]] = field(default_factory=dict)
    alert_policies: dict[str, list[dict]] = field(default_factory=dict)
    channels: dict[str, list[dict]] = field(default_factory=dict)
    # bucket name -> (bucket JSON resource, IAM bindings JSON)
    buckets: dict[str, tuple[dict, list[dict]]] = field(default_factory=dict)
    denied: set[str] = field(default_factory=set)  # request-path prefixes (or "METHOD /exact/path") answered 403
    # request-path prefix -> how many more times to answer 503 (a transient failure) before serving it
    unavailable: dict[str, int] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _route(self, method: str) -> None:
                if method == "POST":
                    self.rfile.read(int(self.headers.get("Content-Length") or 0))
                parts = urlsplit(self.path)
                path = unquote(parts.path)
                fake.requests.append(f"{method} {path}")
                busy = [p for p, n in fake.unavailable.items() if n > 0 and path.startswith(p)]
                if busy:
                    fake.unavailable[busy[0]] -= 1
                    status, body = _error(503, "UNAVAILABLE", "injected outage")
                elif any(path.startswith(d) or f"{method} {path}" == d for d in fake.denied):
                    status, body = _error(403, "PERMISSION_DENIED", "injected denial")
                else:
                    status, body = fake.answer(method, path, parse_qs(parts.query))
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_GET(self) -> None:  # noqa: N802
                self._route("GET")

            def do_POST(self) -> None:  # noqa: N802
                self._route("POST")

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        serve_in_background(self.http)

    def node(self, name: str) -> tuple[str, dict] | None:
        """A project answers to its id and to its number, as Resource Manager does."""
        if name in self.nodes:
            return name, self.nodes[name]
        for key, node in self.nodes.items():
            if key.startswith("projects/") and name == f"projects/{node.get('projectNumber')}":
                return key, node
        return None

    def answer(self, method: str, path: str, query: dict[str, list[str]]) -> tuple[int, dict]:
        listing = _LISTINGS.match(path) if method == "GET" else None
        if listing:
            parent, kind = (listing.group(1), listing.group(2)) if listing.group(1) else listing.group(3, 4)
            return self._listing(parent, kind, query)
        if path.startswith("/v3/"):
            return self._resource_manager(method, path[len("/v3/") :])
        if path.startswith("/v2/") and path.endswith("/sinks") and method == "GET":
            return self._sinks(path[len("/v2/") : -len("/sinks")], query)
        if path.startswith("/storage/v1/b/"):
            return self._storage(path[len("/storage/v1/b/") :])
        return _error(404, "NOT_FOUND", f"{method} {path} not served")

    def _resource_manager(self, method: str, rest: str) -> tuple[int, dict]:
        name = rest[: -len(":getIamPolicy")] if rest.endswith(":getIamPolicy") else rest
        found = self.node(name)
        if found is None:
            return _error(404, "NOT_FOUND", f"{name} not found")
        key, node = found
        if method == "POST" and rest.endswith(":getIamPolicy"):
            return 200, {
                "version": 3,
                "etag": "BwX4vQ2bL0c=",
                "bindings": node.get("bindings", []),
                **({"auditConfigs": node["auditConfigs"]} if node.get("auditConfigs") else {}),
            }
        body = {"name": key, "parent": node.get("parent", ""), "state": "ACTIVE"}
        if key.startswith("projects/"):
            body["projectId"] = key.split("/", 1)[1]
        return 200, body

    def _sinks(self, parent: str, query: dict[str, list[str]]) -> tuple[int, dict]:
        if self.node(parent) is None:
            return _error(404, "NOT_FOUND", f"{parent} not found")
        every = default_sinks(parent) + self.sinks.get(parent, [])
        start = int(query.get("pageToken", ["0"])[0])
        page = every[start : start + PAGE_SIZE]
        body: dict = {"sinks": page} if page else {}
        if start + PAGE_SIZE < len(every):
            body["nextPageToken"] = str(start + PAGE_SIZE)
        return 200, body

    def _listing(self, parent: str, kind: str, query: dict[str, list[str]]) -> tuple[int, dict]:
        """projects.metrics.list (v2), projects.alertPolicies.list and projects.notificationChannels.list (v3)."""
        if self.node(parent) is None:
            return _error(404, "NOT_FOUND", f"{parent} not found")
        source, key = {
            "metrics": (self.metrics, "metrics"),
            "alertPolicies": (self.alert_policies, "alertPolicies"),
            "notificationChannels": (self.channels, "notificationChannels"),
        }[kind]
        every = source.get(parent, [])
        start = int(query.get("pageToken", ["0"])[0])
        page = every[start : start + PAGE_SIZE]
        body: dict = {key: page} if page else {}
        if kind != "metrics" and every:
            body["totalSize"] = len(every)  # Monitoring's lists also say how many there are in all
        if start + PAGE_SIZE < len(every):
            body["nextPageToken"] = str(start + PAGE_SIZE)
        return 200, body

    def _storage(self, rest: str) -> tuple[int, dict]:
        bucket, _, sub = rest.partition("/")
        if bucket not in self.buckets:
            return _error(404, "NOT_FOUND", "The specified bucket does not exist.")
        body, bindings = self.buckets[bucket]
        if sub == "iam":
            return 200, {
                "kind": "storage#policy",
                "resourceId": f"projects/_/buckets/{bucket}",
                "version": 3,
                "bindings": bindings,
                "etag": "CAE=",
            }
        return 200, {"kind": "storage#bucket", "id": bucket, "name": bucket, **body}

    @property
    def http_endpoint(self) -> str:
        return f"http://127.0.0.1:{self.http.server_address[1]}"

    def close(self) -> None:
        self.http.shutdown()
        self.http.server_close()

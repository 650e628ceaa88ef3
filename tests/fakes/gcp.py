"""Fake GCP endpoints for the real Google clients: Resource Manager v3 + Cloud Storage JSON over HTTP,
and Cloud Logging's ConfigServiceV2 over gRPC (built from the library's own message types)."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

import grpc
from google.cloud.logging_v2.types import GetBucketRequest, ListSinksRequest, ListSinksResponse, LogBucket, LogSink


@dataclass
class FakeGcp:
    # "projects/p" | "folders/f" | "organizations/o" -> {"parent": ..., "auditConfigs": [...]}
    nodes: dict[str, dict] = field(default_factory=dict)
    # parent ("projects/p") -> [LogSink dicts]
    sinks: dict[str, list[dict]] = field(default_factory=dict)
    # Cloud Logging bucket name -> {"retention_days": N, "locked": bool}
    log_buckets: dict[str, dict] = field(default_factory=dict)
    # bucket name -> (bucket JSON, IAM bindings)
    buckets: dict[str, tuple[dict, list[dict]]] = field(default_factory=dict)
    # request-path prefix or "ListSinks:<parent>" -> (HTTP status, gRPC code)
    denied: set[str] = field(default_factory=set)
    requests: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _send(self, status: int, body: dict) -> None:
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def _route(self, method: str) -> None:
                if method == "POST":
                    self.rfile.read(int(self.headers.get("Content-Length") or 0))
                path = unquote(urlsplit(self.path).path)
                fake.requests.append(f"{method} {path}")
                if any(path.startswith(d) for d in fake.denied):
                    return self._send(
                        403, {"error": {"code": 403, "message": "injected denial", "status": "PERMISSION_DENIED"}}
                    )
                status, body = fake.answer(method, path)
                self._send(status, body)

            def do_GET(self) -> None:  # noqa: N802
                self._route("GET")

            def do_POST(self) -> None:  # noqa: N802
                self._route("POST")

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.http.daemon_threads = True
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

        def list_sinks(request: ListSinksRequest, context: grpc.ServicerContext) -> ListSinksResponse:
            fake.requests.append(f"ListSinks {request.parent}")
            if f"ListSinks:{request.parent}" in fake.denied:
                context.abort(grpc.StatusCode.PERMISSION_DENIED, "injected denial")
            return ListSinksResponse(sinks=[LogSink(**s) for s in fake.sinks.get(request.parent, [])])

        def get_bucket(request: GetBucketRequest, context: grpc.ServicerContext) -> LogBucket:
            fake.requests.append(f"GetBucket {request.name}")
            if request.name not in fake.log_buckets:
                context.abort(grpc.StatusCode.NOT_FOUND, f"{request.name} not found")
            return LogBucket(name=request.name, **fake.log_buckets[request.name])

        handler = grpc.method_handlers_generic_handler(
            "google.logging.v2.ConfigServiceV2",
            {
                "ListSinks": grpc.unary_unary_rpc_method_handler(
                    list_sinks, ListSinksRequest.deserialize, ListSinksResponse.serialize
                ),
                "GetBucket": grpc.unary_unary_rpc_method_handler(
                    get_bucket, GetBucketRequest.deserialize, LogBucket.serialize
                ),
            },
        )
        self.grpc = grpc.server(ThreadPoolExecutor(4))
        self.grpc.add_generic_rpc_handlers((handler,))
        self.grpc_port = self.grpc.add_insecure_port("127.0.0.1:0")
        self.grpc.start()

    def answer(self, method: str, path: str) -> tuple[int, dict]:
        if path.startswith("/v3/") and path.endswith(":getIamPolicy") and method == "POST":
            node = self.nodes.get(path[len("/v3/") : -len(":getIamPolicy")])
            if node is None:
                return 404, {"error": {"code": 404, "message": "not found", "status": "NOT_FOUND"}}
            return 200, {"version": 3, "etag": "BwX=", "bindings": [], "auditConfigs": node.get("auditConfigs", [])}
        if path.startswith("/v3/") and method == "GET":
            name = path[len("/v3/") :]
            node = self.nodes.get(name)
            if node is None:
                return 404, {"error": {"code": 404, "message": "not found", "status": "NOT_FOUND"}}
            return 200, {"name": name, "parent": node.get("parent", ""), "state": "ACTIVE"}
        if path.startswith("/storage/v1/b/"):
            rest = path[len("/storage/v1/b/") :]
            bucket, _, sub = rest.partition("/")
            if bucket not in self.buckets:
                return 404, {"error": {"code": 404, "message": "No such bucket"}}
            body, bindings = self.buckets[bucket]
            if sub == "iam":
                return 200, {
                    "kind": "storage#policy",
                    "resourceId": f"projects/_/buckets/{bucket}",
                    "bindings": bindings,
                    "etag": "CAE=",
                }
            return 200, {"kind": "storage#bucket", "name": bucket, "id": bucket, **body}
        return 404, {"error": {"code": 404, "message": f"{method} {path} not served"}}

    @property
    def http_endpoint(self) -> str:
        return f"http://127.0.0.1:{self.http.server_address[1]}"

    @property
    def grpc_target(self) -> str:
        return f"127.0.0.1:{self.grpc_port}"

    def close(self) -> None:
        self.http.shutdown()
        self.http.server_close()
        self.grpc.stop(None)

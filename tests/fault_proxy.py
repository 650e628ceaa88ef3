"""A loopback proxy in front of the AWS emulator that injects faults on the wire.

The scan's real boto3 clients talk to it; chosen requests get AccessDenied, throttling or
a stall past the client's read timeout, everything else goes through to moto.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tests.fakes.loopback import serve_in_background

_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/([^/]+)/([^/]+)/aws4_request")
_S3_SUBRESOURCES = {
    "object-lock": "GetObjectLockConfiguration",
    "lifecycle": "GetBucketLifecycleConfiguration",
    "versioning": "GetBucketVersioning",
    "publicAccessBlock": "GetPublicAccessBlock",
    "policy": "GetBucketPolicy",
    "encryption": "GetBucketEncryption",
    "logging": "GetBucketLogging",
    "location": "GetBucketLocation",
}


@dataclass(frozen=True)
class Call:
    service: str
    region: str
    operation: str
    body: str = ""  # the request body (query-protocol parameters, JSON input), for matching one resource
    query: str = ""  # the URL query string (S3 paging tokens)


@dataclass
class Fault:
    matches: Callable[[Call], bool]
    kind: str  # "denied" | "throttle" | "stall" | "respond" | "respond_raw"
    seconds: float = 0.0
    payload: dict | None = None
    # "respond_raw": (content type, body) as AWS sends it, e.g. S3's XML; "respond" sends `payload` as JSON.
    raw: tuple[str, str] | None = None


def _operation(service: str, method: str, path: str, query: dict, headers, body: bytes) -> str:
    target = headers.get("X-Amz-Target")
    if target:
        return target.rsplit(".", 1)[-1]
    if service == "s3":
        for key, op in _S3_SUBRESOURCES.items():
            if key in query:
                return op
        return "ListBuckets" if path in ("", "/") and method == "GET" else f"{method} {path}"
    action = parse_qs(body.decode(errors="replace")).get("Action") or query.get("Action")
    return action[0] if action else f"{method} {path}"


def _error(service: str, kind: str) -> tuple[int, dict[str, str], bytes]:
    code = {"denied": "AccessDenied", "throttle": "Throttling"}[kind]
    if service == "cloudtrail" or service == "tagging":
        code = {"denied": "AccessDeniedException", "throttle": "ThrottlingException"}[kind]
        body = json.dumps({"__type": code, "message": f"injected {kind}"}).encode()
        return 400, {"Content-Type": "application/x-amz-json-1.1"}, body
    status = 403 if kind == "denied" else 503
    if service == "s3":
        xml = f"<Error><Code>{'SlowDown' if kind == 'throttle' else code}</Code><Message>injected {kind}</Message></Error>"
    else:
        xml = f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>injected {kind}</Message></Error></ErrorResponse>"
    return (status if service == "s3" else 400), {"Content-Type": "text/xml"}, xml.encode()


@dataclass
class FaultProxy:
    upstream: str
    faults: list[Fault] = field(default_factory=list)
    seen: list[Call] = field(default_factory=list)

    def __post_init__(self) -> None:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _handle(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                m = _SCOPE.search(self.headers.get("Authorization", ""))
                region, service = (m.group(1), m.group(2)) if m else ("", "")
                parts = urlsplit(self.path)
                call = Call(
                    service,
                    region,
                    _operation(
                        service,
                        self.command,
                        parts.path,
                        parse_qs(parts.query, keep_blank_values=True),
                        self.headers,
                        body,
                    ),
                    body.decode(errors="replace"),
                    parts.query,
                )
                proxy.seen.append(call)
                for fault in proxy.faults:
                    if fault.matches(call):
                        if fault.kind == "stall":
                            time.sleep(fault.seconds)
                            return  # the client has timed out by now
                        if fault.kind == "respond":
                            status, headers, payload = (
                                200,
                                {"Content-Type": "application/x-amz-json-1.1"},
                                json.dumps(fault.payload).encode(),
                            )
                        elif fault.kind == "respond_raw" and fault.raw:
                            status, headers, payload = 200, {"Content-Type": fault.raw[0]}, fault.raw[1].encode()
                        else:
                            status, headers, payload = _error(service, fault.kind)
                        self.send_response(status)
                        for k, v in {**headers, "Content-Length": str(len(payload))}.items():
                            self.send_header(k, v)
                        self.end_headers()
                        self.wfile.write(payload)
                        return
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
                resp = requests.request(
                    self.command, proxy.upstream + self.path, headers=headers, data=body, timeout=30
                )
                self.send_response(resp.status_code)
                for k, v in resp.headers.items():
                    if k.lower() not in ("content-length", "transfer-encoding", "connection", "content-encoding"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(resp.content)))
                self.end_headers()
                self.wfile.write(resp.content)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        serve_in_background(self.server)

    @property
    def endpoint(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@contextmanager
def proxied(upstream: str, monkeypatch: pytest.MonkeyPatch, max_attempts: int) -> Iterator[FaultProxy]:
    """boto3 (the scan's clients too) pointed at a fault proxy in front of `upstream`, `max_attempts` per call."""
    proxy = FaultProxy(upstream)
    monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.endpoint)
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", str(max_attempts))
    try:
        yield proxy
    finally:
        proxy.close()

"""A loopback proxy in front of a cloud's emulator that injects faults on the wire.

The scans' real clients talk to it; chosen requests get a fault, everything else goes through to the
emulator (moto for AWS, tests/fakes for Google and ARM). Errors are written in each protocol's own
format, so the SDKs read them as the cloud's:
- AWS: S3's REST-XML <Error>, the query protocol's <ErrorResponse> (STS, EC2) and the JSON 1.1 `__type`
  (CloudTrail, KMS, tagging, Organizations), with the codes AWS documents (AccessDenied /
  AccessDeniedException, Throttling / ThrottlingException / SlowDown, InternalError / InternalFailure);
- Google: the google.rpc.Status JSON error (cloud.google.com/apis/design/errors: 403 PERMISSION_DENIED,
  429 RESOURCE_EXHAUSTED, 503 UNAVAILABLE);
- ARM: {"error": {"code", "message"}} (learn.microsoft.com, Azure REST API guidelines, error responses:
  403 AuthorizationFailed, 429 TooManyRequests with Retry-After, 503 ServiceUnavailable).

Faults on the wire, each as a network would deliver it:
- "denied", "throttle", "unavailable": an error answer (403/400, 400/503, 500);
- "stall": no answer at all for `seconds`, then the connection closes;
- "reset": the connection is reset (RST) before any answer;
- "short": the real answer's headers (full Content-Length), half its body, then FIN;
- "half": a 200 with half the real body and a Content-Length that matches it;
- "empty": a 200 with no body;
- "drip": the real answer, one byte every `seconds` seconds;
- "repeat_token": the real first page, its paging token set to one that never changes, every time
  (Google's nextPageToken; ARM's nextLink back to the same page; Blob storage's NextMarker);
- "respond" / "respond_raw": a chosen 200 body (JSON / raw with its content type).
`times` limits a fault to that many matching requests (None: every one): a transient fault is times=1.
"""

from __future__ import annotations

import json
import re
import socket
import ssl
import struct
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tests.fakes.loopback import serve_in_background

DIALECTS = ("aws", "google", "arm")
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
    "versions": "ListObjectVersions",
    "list-type": "ListObjectsV2",
}
_JSON_SERVICES = ("cloudtrail", "tagging", "kms", "organizations")
# Paged operations: where the next-page token is in the answer (botocore's paginators-1.json output_token).
_TOKENS = {
    "ListBuckets": ("xml", "ContinuationToken"),
    "ListObjectsV2": ("xml", "NextContinuationToken"),
    "GetResources": ("json", "PaginationToken"),
    "ListAccounts": ("json", "NextToken"),
    "ListPublicKeys": ("json", "NextToken"),
}
REPEATED_TOKEN = "auditkit-fault-same-token"


@dataclass(frozen=True)
class Call:
    service: str
    region: str
    operation: str
    body: str = ""  # the request body (query-protocol parameters, JSON input), for matching one resource
    query: str = ""  # the URL query string (S3 paging tokens)
    path: str = ""


@dataclass
class Fault:
    matches: Callable[[Call], bool]
    kind: str
    seconds: float = 0.0
    payload: dict | None = None
    # "respond_raw": (content type, body) as AWS sends it, e.g. S3's XML; "respond" sends `payload` as JSON.
    raw: tuple[str, str] | None = None
    times: int | None = None  # matching requests it still hits; None: all of them
    hits: int = 0
    _replay: tuple[int, dict[str, str], bytes] | None = None

    def take(self, call: Call, lock: threading.Lock) -> bool:
        with lock:
            if not self.matches(call) or (self.times is not None and self.hits >= self.times):
                return False
            self.hits += 1
            return True


def _operation(service: str, method: str, path: str, query: dict, headers, body: bytes) -> str:
    target = headers.get("X-Amz-Target")
    if target:
        return target.rsplit(".", 1)[-1]
    if service == "s3":
        for key, op in _S3_SUBRESOURCES.items():
            if key in query:
                return op
        if path in ("", "/"):
            return "ListBuckets" if method == "GET" else f"{method} {path}"
        return "GetObject" if method == "GET" and path.strip("/").count("/") >= 1 else f"{method} {path}"
    action = parse_qs(body.decode(errors="replace")).get("Action") or query.get("Action")
    return action[0] if action else f"{method} {path}"


def _cloud_error(dialect: str, kind: str) -> tuple[int, dict[str, str], bytes]:
    status = {"denied": 403, "throttle": 429, "unavailable": 503}[kind]
    headers = {"Content-Type": "application/json"}
    if dialect == "google":
        code = {"denied": "PERMISSION_DENIED", "throttle": "RESOURCE_EXHAUSTED", "unavailable": "UNAVAILABLE"}[kind]
        body = {"error": {"code": status, "message": f"injected {kind}", "status": code}}
    else:
        code = {"denied": "AuthorizationFailed", "throttle": "TooManyRequests", "unavailable": "ServiceUnavailable"}[
            kind
        ]
        body = {"error": {"code": code, "message": f"injected {kind}"}}
        if kind == "throttle":
            headers["Retry-After"] = "0"
    return status, headers, json.dumps(body).encode()


def error_answer(service: str, kind: str) -> tuple[int, dict[str, str], bytes]:
    """An error as the service's protocol writes it (`service`: an AWS signing name, "google" or "arm")."""
    if service in ("google", "arm"):
        return _cloud_error(service, kind)
    json_code = {"denied": "AccessDeniedException", "throttle": "ThrottlingException", "unavailable": "InternalFailure"}
    xml_code = {"denied": "AccessDenied", "throttle": "Throttling", "unavailable": "InternalFailure"}
    if service in _JSON_SERVICES:
        status = 500 if kind == "unavailable" else 400
        body = json.dumps({"__type": json_code[kind], "message": f"injected {kind}"}).encode()
        return status, {"Content-Type": "application/x-amz-json-1.1"}, body
    if service == "s3":
        code = {"denied": "AccessDenied", "throttle": "SlowDown", "unavailable": "InternalError"}[kind]
        status = {"denied": 403, "throttle": 503, "unavailable": 500}[kind]
        xml = f"<Error><Code>{code}</Code><Message>injected {kind}</Message></Error>"
        return status, {"Content-Type": "application/xml"}, xml.encode()
    status = 500 if kind == "unavailable" else 400
    xml = (
        f"<ErrorResponse><Error><Type>Sender</Type><Code>{xml_code[kind]}</Code>"
        f"<Message>injected {kind}</Message></Error></ErrorResponse>"
    )
    return status, {"Content-Type": "text/xml"}, xml.encode()


def _with_token(call: Call, body: bytes, again: str) -> bytes:
    """The page with its next-page token set to one that never changes (`again`: this page's own URL)."""
    if call.service == "arm" and body.lstrip().startswith(b"<"):  # Blob List Blobs: EnumerationResults/NextMarker
        text = re.sub(r"<NextMarker>.*?</NextMarker>|<NextMarker\s*/>", "", body.decode())
        closing = text.rindex("</")
        return (text[:closing] + f"<NextMarker>{REPEATED_TOKEN}</NextMarker>" + text[closing:]).encode()
    if call.service in ("google", "arm"):
        doc = json.loads(body or b"{}")
        doc.update({"nextPageToken": REPEATED_TOKEN} if call.service == "google" else {"nextLink": again})
        return json.dumps(doc).encode()
    form, name = _TOKENS[call.operation]
    if form == "json":
        doc = json.loads(body or b"{}")
        doc[name] = REPEATED_TOKEN
        return json.dumps(doc).encode()
    text = re.sub(rf"<{name}>.*?</{name}>", "", body.decode())
    text = text.replace("<IsTruncated>false</IsTruncated>", "<IsTruncated>true</IsTruncated>")
    closing = text.rindex("</")
    return (text[:closing] + f"<{name}>{REPEATED_TOKEN}</{name}>" + text[closing:]).encode()


@dataclass
class FaultProxy:
    upstream: str
    faults: list[Fault] = field(default_factory=list)
    seen: list[Call] = field(default_factory=list)
    dialect: str = "aws"
    # (certificate, key) to serve HTTPS with (ARM's clients refuse a bearer token over HTTP); the upstream's
    # certificate is the same one.
    tls: tuple[str, str] | None = None

    def __post_init__(self) -> None:
        assert self.dialect in DIALECTS, self.dialect
        proxy = self
        lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _send(self, status: int, headers: dict[str, str], payload: bytes, length: int | None = None) -> None:
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(payload) if length is None else length))
                if self.close_connection:
                    self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(payload)
                self.wfile.flush()

            def _upstream(self, body: bytes) -> tuple[int, dict[str, str], bytes]:
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
                resp = requests.request(
                    self.command,
                    proxy.upstream + self.path,
                    headers=headers,
                    data=body,
                    timeout=30,
                    verify=proxy.tls[0] if proxy.tls else True,
                )
                skip = ("content-length", "transfer-encoding", "connection", "content-encoding")
                return resp.status_code, {k: v for k, v in resp.headers.items() if k.lower() not in skip}, resp.content

            def _handle(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                m = _SCOPE.search(self.headers.get("Authorization", ""))
                region, service = (m.group(1), m.group(2)) if m else ("", "")
                parts = urlsplit(self.path)
                query = parse_qs(parts.query, keep_blank_values=True)
                if proxy.dialect == "aws":
                    operation = _operation(service, self.command, parts.path, query, self.headers, body)
                else:  # Google and ARM name the resource in the path: match on it
                    service, operation = proxy.dialect, f"{self.command} {parts.path}"
                call = Call(service, region, operation, body.decode(errors="replace"), parts.query, parts.path)
                with lock:
                    proxy.seen.append(call)
                fault = next((f for f in proxy.faults if f.take(call, lock)), None)
                if fault is None:
                    self._send(*self._upstream(body))
                    return
                self._inject(fault, call, body)

            def _inject(self, fault: Fault, call: Call, body: bytes) -> None:
                kind = fault.kind
                # The connection ends with the fault where a network would end it; error and odd answers keep it.
                self.close_connection = kind in ("stall", "reset", "short", "drip")
                if kind == "stall":
                    time.sleep(fault.seconds)
                elif kind == "reset":
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                elif kind in ("denied", "throttle", "unavailable"):
                    self._send(*error_answer(call.service, kind))
                elif kind == "respond":
                    self._send(200, {"Content-Type": "application/x-amz-json-1.1"}, json.dumps(fault.payload).encode())
                elif kind == "respond_raw" and fault.raw:
                    self._send(200, {"Content-Type": fault.raw[0]}, fault.raw[1].encode())
                elif kind == "empty":
                    self._send(200, {}, b"")
                elif kind == "repeat_token":
                    with lock:
                        if fault._replay is None:
                            status, headers, payload = self._upstream(body)
                            again = proxy.endpoint + self.path
                            fault._replay = (status, headers, _with_token(call, payload, again))
                    self._send(*fault._replay)
                else:
                    status, headers, payload = self._upstream(body)
                    if kind == "short":
                        self._send(status, headers, payload[: len(payload) // 2], length=len(payload))
                    elif kind == "half":
                        self._send(status, headers, payload[: len(payload) // 2])
                    elif kind == "drip":
                        self._drip(status, headers, payload, fault.seconds)
                    else:
                        raise ValueError(f"unknown fault kind {kind!r}")

            def _drip(self, status: int, headers: dict[str, str], payload: bytes, seconds: float) -> None:
                self._send(status, headers, b"", length=len(payload))
                try:
                    for i in range(len(payload)):
                        self.wfile.write(payload[i : i + 1])
                        self.wfile.flush()
                        time.sleep(seconds)
                except OSError:
                    pass  # the client gave up: what a drip is for

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: object, client_address: object) -> None:
                pass  # a reset or abandoned connection is the point, not an error of the proxy

        self.server = Server(("127.0.0.1", 0), Handler)
        if self.tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*self.tls)
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        serve_in_background(self.server)

    @property
    def endpoint(self) -> str:
        port = self.server.server_address[1]
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{port}"

    def calls(self, operation: str) -> list[Call]:
        return [c for c in self.seen if c.operation == operation]

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

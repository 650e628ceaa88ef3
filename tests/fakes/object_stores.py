"""Fake object stores for history writers: Cloud Storage's JSON API and Azure Blob's REST API.

Shapes from the providers' published references:
- Cloud Storage JSON API: objects.list (`items`, `nextPageToken`, paged), objects.get `?alt=media`
  (`/download/storage/v1/...` as the Python client calls it), objects.insert `uploadType=multipart`
  (multipart/related: JSON metadata, then the bytes) and the precondition `ifGenerationMatch=0`,
  answered 412 `conditionNotMet` when a live object has the name ("Request preconditions" page).
- Azure Blob REST: List Blobs (`restype=container&comp=list`, EnumerationResults XML, NextMarker),
  Get Blob (x-ms-range answered 206 with Content-Range), Put Blob (`x-ms-blob-type: BlockBlob`;
  `If-None-Match: *` answered 409 `BlobAlreadyExists` when the blob exists). HTTPS on 127.0.0.1, since
  the SDK refuses bearer tokens over plain HTTP.
"""

from __future__ import annotations

import email
import json
import ssl
import tempfile
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlsplit
from xml.sax.saxutils import escape

from tests.fakes.arm import _certificate
from tests.fakes.loopback import serve_in_background


class _Quiet(BaseHTTPRequestHandler):
    @property
    def fake(self):  # the FakeGcs / FakeBlob whose state this server answers from
        return self.server.fake  # type: ignore[attr-defined]

    def log_message(self, *args: object) -> None:
        pass

    def _reply(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))


def _serve(handler: type[BaseHTTPRequestHandler], tls: ssl.SSLContext | None = None) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    return serve_in_background(server)


class _GcsHandler(_Quiet):
    def _resource(self, bucket: str, name: str) -> dict:
        return {
            "kind": "storage#object",
            "bucket": bucket,
            "name": name,
            "generation": "1",
            "size": str(len(self.fake.objects[(bucket, name)])),
            "contentType": "application/json",
        }

    def do_GET(self) -> None:  # noqa: N802
        url = urlsplit(self.path)
        q = {k: v[0] for k, v in parse_qs(url.query).items()}
        parts = url.path.split("/")
        self.fake.requests.append(f"GET {url.path}")
        if url.path.startswith("/storage/v1/b/") and url.path.endswith("/o"):
            bucket = unquote(parts[4])
            names = sorted(n for b, n in self.fake.objects if b == bucket and n.startswith(q.get("prefix", "")))
            start = int(q.get("pageToken", "0"))
            page = names[start : start + self.fake.page_size]
            body = {"kind": "storage#objects", "items": [self._resource(bucket, n) for n in page]}
            if start + self.fake.page_size < len(names):
                body["nextPageToken"] = str(start + self.fake.page_size)
            return self._reply(200, json.dumps(body).encode(), {"Content-Type": "application/json"})
        if "o" not in parts:  # buckets.get: the client's best-effort background metadata cache
            body = {
                "kind": "storage#bucket",
                "name": unquote(parts[4]),
                "location": "US",
                "storageClass": "STANDARD",
            }
            return self._reply(200, json.dumps(body).encode(), {"Content-Type": "application/json"})
        i = parts.index("o")
        bucket, name = unquote(parts[i - 1]), unquote("/".join(parts[i + 1 :]))
        data = self.fake.objects.get((bucket, name))
        if data is None:
            err = {"error": {"code": 404, "message": "No such object", "errors": [{"reason": "notFound"}]}}
            return self._reply(404, json.dumps(err).encode(), {"Content-Type": "application/json"})
        return self._reply(200, data, {"Content-Type": "application/octet-stream", "x-goog-generation": "1"})

    def do_POST(self) -> None:  # noqa: N802
        url = urlsplit(self.path)
        q = {k: v[0] for k, v in parse_qs(url.query).items()}
        bucket = unquote(url.path.split("/")[5])
        self.fake.requests.append(f"POST {url.path}?uploadType={q.get('uploadType')}")
        message = email.message_from_bytes(
            f"Content-Type: {self.headers['Content-Type']}\r\n\r\n".encode() + self._body()
        )
        meta_part, data_part = message.get_payload()
        name = json.loads(meta_part.get_payload())["name"]
        if q.get("ifGenerationMatch") == "0" and (bucket, name) in self.fake.objects:
            err = {
                "error": {
                    "code": 412,
                    "message": "At least one of the pre-conditions you specified did not hold.",
                    "errors": [{"reason": "conditionNotMet"}],
                }
            }
            return self._reply(412, json.dumps(err).encode(), {"Content-Type": "application/json"})
        self.fake.objects[(bucket, name)] = data_part.get_payload(decode=True)
        return self._reply(200, json.dumps(self._resource(bucket, name)).encode(), {"Content-Type": "application/json"})


class _BlobHandler(_Quiet):
    def _where(self) -> tuple[str, str, str, dict[str, str]]:
        url = urlsplit(self.path)
        account, container, *rest = url.path.lstrip("/").split("/")
        return account, container, unquote("/".join(rest)), {k: v[0] for k, v in parse_qs(url.query).items()}

    def _error(self, status: int, code: str) -> None:
        body = f'<?xml version="1.0" encoding="utf-8"?><Error><Code>{code}</Code><Message>{code}</Message></Error>'
        self._reply(status, body.encode(), {"Content-Type": "application/xml", "x-ms-error-code": code})

    def do_GET(self) -> None:  # noqa: N802
        account, container, name, q = self._where()
        self.fake.requests.append(f"GET {container}/{name}" + (f"?comp={q['comp']}" if "comp" in q else ""))
        if q.get("comp") == "list":
            return self._list(account, container, q)
        data = self.fake.blobs.get((account, container, name))
        if data is None:
            return self._error(404, "BlobNotFound")
        headers = {
            "Content-Type": "application/octet-stream",
            "x-ms-blob-type": "BlockBlob",
            "ETag": '"0x8DC0000000000001"',
            "Last-Modified": "Mon, 30 Nov 2026 06:17:00 GMT",
            "Accept-Ranges": "bytes",
        }
        wanted = self.headers.get("x-ms-range") or self.headers.get("Range")
        if wanted:
            lo, _, hi = wanted.split("=")[1].partition("-")
            end = min(int(hi), len(data) - 1) if hi else len(data) - 1
            headers["Content-Range"] = f"bytes {lo}-{end}/{len(data)}"
            return self._reply(206, data[int(lo) : end + 1], headers)
        return self._reply(200, data, headers)

    def _list(self, account: str, container: str, q: dict[str, str]) -> None:
        names = sorted(
            n for a, c, n in self.fake.blobs if (a, c) == (account, container) and n.startswith(q.get("prefix", ""))
        )
        start = int(q.get("marker", "0") or 0)
        page = names[start : start + self.fake.page_size]
        nxt = str(start + self.fake.page_size) if start + self.fake.page_size < len(names) else ""
        blobs = "".join(
            f"<Blob><Name>{escape(n)}</Name><Properties><Content-Length>{len(self.fake.blobs[(account, container, n)])}"
            "</Content-Length><BlobType>BlockBlob</BlobType></Properties></Blob>"
            for n in page
        )
        body = (
            f'<?xml version="1.0" encoding="utf-8"?><EnumerationResults ServiceEndpoint="https://127.0.0.1/{account}" '
            f'ContainerName="{container}"><Prefix>{escape(q.get("prefix", ""))}</Prefix><Blobs>{blobs}</Blobs>'
            f"<NextMarker>{nxt}</NextMarker></EnumerationResults>"
        )
        self._reply(200, body.encode(), {"Content-Type": "application/xml"})

    def do_PUT(self) -> None:  # noqa: N802
        account, container, name, _ = self._where()
        data = self._body()
        self.fake.requests.append(f"PUT {container}/{name}")
        if self.headers.get("x-ms-blob-type") != "BlockBlob":
            return self._error(400, "InvalidHeaderValue")
        if self.headers.get("If-None-Match") == "*" and (account, container, name) in self.fake.blobs:
            return self._error(409, "BlobAlreadyExists")
        self.fake.blobs[(account, container, name)] = data
        self._reply(
            201,
            b"",
            {
                "ETag": '"0x8DC0000000000001"',
                "Last-Modified": "Mon, 30 Nov 2026 06:17:00 GMT",
                "x-ms-request-server-encrypted": "true",
            },
        )


@dataclass
class FakeGcs:
    objects: dict[tuple[str, str], bytes] = field(default_factory=dict)  # (bucket, name) -> bytes
    page_size: int = 2  # small, so listing must follow nextPageToken
    requests: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.server = _serve(_GcsHandler)
        self.server.fake = self  # type: ignore[attr-defined]

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def client(self):
        from google.auth.credentials import AnonymousCredentials
        from google.cloud import storage

        return storage.Client(
            project="acme-prod", credentials=AnonymousCredentials(), client_options={"api_endpoint": self.endpoint}
        )


@dataclass
class FakeBlob:
    blobs: dict[tuple[str, str, str], bytes] = field(default_factory=dict)  # (account, container, name)
    page_size: int = 2
    requests: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="fake-blob-"))
        self.cert, key = _certificate(self.folder)
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(self.cert, key)

        self.server = _serve(_BlobHandler, tls)
        self.server.fake = self  # type: ignore[attr-defined]

    def container_url(self, account: str, container: str) -> str:
        return f"https://127.0.0.1:{self.server.server_address[1]}/{account}/{quote(container)}"

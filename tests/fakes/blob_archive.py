"""An Azure Blob container holding Azure Monitor's log blobs, for the real azure-storage-blob client.

Shapes from Microsoft's Blob service REST reference (learn.microsoft.com/rest/api/storageservices/):
- List Blobs: `restype=container&comp=list`, EnumerationResults XML whose <Blob> has <Name> and
  <Properties> with Creation-Time, Last-Modified (RFC 1123), Etag (bare, `0x8D...`; the ETag header is
  quoted), Content-Length, Content-Type,
  Content-MD5 (empty for append blobs), BlobType (BlockBlob | AppendBlob), Sealed (append blobs),
  LeaseStatus, LeaseState, ServerEncrypted; paged with `maxresults` (at most 5,000) and NextMarker.
- Get Blob / Get Blob Properties: x-ms-blob-type, ETag, Last-Modified, x-ms-creation-time, Content-MD5;
  `If-Match` answered 412 ConditionNotMet when the ETag moved on ("Specifying conditional headers").
- Put Blob (BlockBlob; the service computes Content-MD5 of a whole upload) and `If-None-Match: *`,
  answered 409 BlobAlreadyExists when the blob exists.
- Append Block changes the ETag and Last-Modified of an append blob (Azure Monitor writes PT1H.json
  this way, hour by hour: "Azure Monitor resource logs ... storage account" page).
HTTPS on 127.0.0.1 (the SDK sends bearer tokens over HTTPS only).
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import ssl
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlsplit
from xml.sax.saxutils import escape

from tests.fakes.arm import _certificate
from tests.fakes.loopback import serve_in_background

MAX_PAGE = 5000
_ETAGS = itertools.count(0x8DC0000000000001)


def _rfc1123(t: datetime) -> str:
    return format_datetime(t.astimezone(timezone.utc), usegmt=True)


@dataclass
class StoredBlob:
    data: bytes
    blob_type: str
    created: datetime
    modified: datetime
    etag: str
    md5: bytes | None
    sealed: bool = False


@dataclass
class FakeBlobArchive:
    account: str = "acmeauditlogs"
    container: str = "insights-logs-auditevent"
    blobs: dict[str, StoredBlob] = field(default_factory=dict)
    list_denied: bool = False
    denied: set[str] = field(default_factory=set)  # name prefixes whose reads answer 403
    requests: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="fake-blob-archive-"))
        self.cert, key = _certificate(self.folder)
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(self.cert, key)
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _reply(self, status: int, body: bytes, headers: dict[str, str]) -> None:
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def _error(self, status: int, code: str) -> None:
                body = (
                    f'<?xml version="1.0" encoding="utf-8"?><Error><Code>{code}</Code><Message>{code}</Message></Error>'
                )
                self._reply(status, body.encode(), {"Content-Type": "application/xml", "x-ms-error-code": code})

            def _where(self) -> tuple[str, dict[str, str]]:
                url = urlsplit(self.path)
                _, _, *rest = url.path.lstrip("/").split("/")
                return unquote("/".join(rest)), {k: v[0] for k, v in parse_qs(url.query).items()}

            def do_GET(self) -> None:  # noqa: N802
                name, q = self._where()
                fake.requests.append(f"{self.command} {name}" + (f"?comp={q['comp']}" if "comp" in q else ""))
                if q.get("comp") == "list":
                    if fake.list_denied:
                        return self._error(403, "AuthorizationPermissionMismatch")
                    return self._reply(200, fake.list_xml(q), {"Content-Type": "application/xml"})
                if any(name.startswith(d) for d in fake.denied):
                    return self._error(403, "AuthorizationPermissionMismatch")
                blob = fake.blobs.get(name)
                if blob is None:
                    return self._error(404, "BlobNotFound")
                if self.headers.get("If-Match") not in (None, "*", blob.etag):
                    return self._error(412, "ConditionNotMet")
                headers = fake.headers(blob)
                wanted = self.headers.get("x-ms-range") or self.headers.get("Range")
                if wanted and self.command == "GET":
                    lo, _, hi = wanted.split("=")[1].partition("-")
                    end = min(int(hi), len(blob.data) - 1) if hi else len(blob.data) - 1
                    headers["Content-Range"] = f"bytes {lo}-{end}/{len(blob.data)}"
                    return self._reply(206, blob.data[int(lo) : end + 1], headers)
                self._reply(200, blob.data, headers)

            do_HEAD = do_GET  # noqa: N815 - Get Blob Properties

            def do_PUT(self) -> None:  # noqa: N802
                name, _ = self._where()
                data = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                fake.requests.append(f"PUT {name}")
                if self.headers.get("x-ms-blob-type") != "BlockBlob":
                    return self._error(400, "InvalidHeaderValue")
                if self.headers.get("If-None-Match") == "*" and name in fake.blobs:
                    return self._error(409, "BlobAlreadyExists")
                blob = fake.put(name, data, datetime.now(timezone.utc))
                self._reply(
                    201,
                    b"",
                    {
                        "ETag": blob.etag,
                        "Last-Modified": _rfc1123(blob.modified),
                        "Content-MD5": base64.b64encode(blob.md5 or b"").decode(),
                    },
                )

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.socket = tls.wrap_socket(server.socket, server_side=True)
        self.http = serve_in_background(server)

    # --- the world a test builds -----------------------------------------------------------------------

    def put(self, name: str, data: bytes, created: datetime) -> StoredBlob:
        """A block blob uploaded whole: Azure computes its Content-MD5."""
        blob = StoredBlob(data, "BlockBlob", created, created, f'"0x{next(_ETAGS):X}"', hashlib.md5(data).digest())  # noqa: S324
        self.blobs[name] = blob
        return blob

    def append(self, name: str, data: bytes, at: datetime) -> StoredBlob:
        """Append Block (creating the append blob first if needed): no Content-MD5, a new ETag each time."""
        blob = self.blobs.get(name) or StoredBlob(b"", "AppendBlob", at, at, "", None)
        blob.data += data
        blob.modified = at
        blob.etag = f'"0x{next(_ETAGS):X}"'
        self.blobs[name] = blob
        return blob

    def corrupt(self, name: str, data: bytes) -> None:
        """Bytes changed under unchanged properties (what only a content read can find)."""
        self.blobs[name].data = data

    # --- the API -----------------------------------------------------------------------------------

    def headers(self, blob: StoredBlob) -> dict[str, str]:
        h = {
            "Content-Type": "application/octet-stream",
            "x-ms-blob-type": blob.blob_type,
            "ETag": blob.etag,
            "Last-Modified": _rfc1123(blob.modified),
            "x-ms-creation-time": _rfc1123(blob.created),
            "Accept-Ranges": "bytes",
            "x-ms-server-encrypted": "true",
            "x-ms-lease-state": "available",
            "x-ms-lease-status": "unlocked",
        }
        if blob.md5 is not None:
            h["Content-MD5"] = base64.b64encode(blob.md5).decode()
        if blob.blob_type == "AppendBlob":
            h["x-ms-blob-committed-block-count"] = "1"
            h["x-ms-blob-sealed"] = "true" if blob.sealed else "false"
        return h

    def _item(self, name: str) -> str:
        b = self.blobs[name]
        md5 = base64.b64encode(b.md5).decode() if b.md5 is not None else ""
        sealed = f"<Sealed>{str(b.sealed).lower()}</Sealed>" if b.blob_type == "AppendBlob" else ""
        return (
            f"<Blob><Name>{escape(name)}</Name><Properties><Creation-Time>{_rfc1123(b.created)}</Creation-Time>"
            f"<Last-Modified>{_rfc1123(b.modified)}</Last-Modified><Etag>{escape(b.etag.strip(chr(34)))}</Etag>"
            f"<Content-Length>{len(b.data)}</Content-Length><Content-Type>application/json</Content-Type>"
            f"<Content-Encoding /><Content-Language /><Content-CRC64 /><Content-MD5>{md5}</Content-MD5>"
            f"<Cache-Control /><Content-Disposition /><BlobType>{b.blob_type}</BlobType>"
            f"<AccessTier>Hot</AccessTier><AccessTierInferred>true</AccessTierInferred>"
            f"<LeaseStatus>unlocked</LeaseStatus><LeaseState>available</LeaseState>"
            f"<ServerEncrypted>true</ServerEncrypted>{sealed}</Properties></Blob>"
        )

    def list_xml(self, q: dict[str, str]) -> bytes:
        names = sorted(n for n in self.blobs if n.startswith(q.get("prefix", "")))
        size = min(int(q.get("maxresults", MAX_PAGE)), MAX_PAGE)
        start = int(q.get("marker", "0") or 0)
        page = names[start : start + size]
        nxt = str(start + size) if start + size < len(names) else ""
        return (
            f'<?xml version="1.0" encoding="utf-8"?><EnumerationResults ServiceEndpoint="https://127.0.0.1/{self.account}" '
            f'ContainerName="{self.container}"><Prefix>{escape(q.get("prefix", ""))}</Prefix>'
            f"<MaxResults>{size}</MaxResults><Blobs>{''.join(self._item(n) for n in page)}</Blobs>"
            f"<NextMarker>{nxt}</NextMarker></EnumerationResults>"
        ).encode()

    @property
    def container_url(self) -> str:
        return f"https://127.0.0.1:{self.http.server_address[1]}/{self.account}/{quote(self.container)}"

    def container_client(self, credential):
        from azure.storage.blob import ContainerClient

        return ContainerClient.from_container_url(
            self.container_url, credential=credential, connection_verify=str(self.cert)
        )

    def close(self) -> None:
        self.http.shutdown()
        self.http.server_close()

"""A Cloud Storage bucket holding a log archive, for the real google-cloud-storage client.

Shapes from Google's JSON API reference (cloud.google.com/storage/docs/json_api/v1/):
- objects#resource: int64 fields as strings (generation, metageneration, size); md5Hash and crc32c
  base64 (md5Hash absent on composite objects, "componentCount" present); timeCreated/updated RFC 3339
  with milliseconds; generation a microsecond timestamp, a new one for each write of the name.
- objects/list: {"kind": "storage#objects", "items": [...], "nextPageToken"} with `prefix`, `maxResults`
  (at most 1,000 a page) and the `fields` partial response (only the fields named are returned).
- objects/get `alt=media` (`/download/storage/v1/...` as the client calls it) with `generation`, and the
  `x-goog-hash: crc32c=...,md5=...` and `x-goog-generation` headers ("Hashes and ETags" page).
- objects/insert `uploadType=multipart` and `ifGenerationMatch=0`: 412 conditionNotMet when a live object
  has the name ("Request preconditions"). A bucket with a retention policy refuses overwrites and
  deletes with 403 (bucket-lock page); the fake's `locked` does the same for writes.
"""

from __future__ import annotations

import base64
import email
import hashlib
import json
import re
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, unquote, urlsplit

import google_crc32c

from tests.fakes.loopback import serve_in_background

MAX_PAGE = 1000


def _rfc3339(t: datetime) -> str:
    return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@dataclass
class StoredObject:
    data: bytes
    resource: dict  # the objects#resource JSON


def _error(code: int, reason: str, message: str) -> tuple[int, dict]:
    return code, {"error": {"code": code, "message": message, "errors": [{"reason": reason, "message": message}]}}


def _partial(item: dict, fields: str | None) -> dict:
    """objects.list `fields=items(a,b),nextPageToken`: keep the item fields named."""
    m = re.search(r"items\(([^)]*)\)", fields or "")
    return {k: v for k, v in item.items() if k in m.group(1).split(",")} if m else item


@dataclass
class FakeGcsArchive:
    bucket: str = "acme-audit-archive"
    objects: dict[str, StoredObject] = field(default_factory=dict)
    denied: set[str] = field(default_factory=set)  # name prefixes whose reads answer 403
    list_denied: bool = False
    locked: bool = True  # a retention policy: no overwrite
    requests: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._sorted: tuple[tuple[str, int] | None, list[str]] = (None, [])
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _json(self, status: int, body: dict) -> None:
                self._send(status, json.dumps(body).encode(), {"Content-Type": "application/json"})

            def do_GET(self) -> None:  # noqa: N802
                url = urlsplit(self.path)
                q = {k: v[0] for k, v in parse_qs(url.query).items()}
                fake.requests.append(f"GET {url.path}")
                answer = fake.get(url.path, q)
                if isinstance(answer, bytes):
                    obj = fake.objects[unquote(url.path.split("/o/", 1)[1])]
                    r = obj.resource
                    headers = {
                        "Content-Type": "application/octet-stream",
                        "x-goog-generation": r["generation"],
                        "x-goog-hash": ",".join(
                            f"{k}={r[f]}" for k, f in (("crc32c", "crc32c"), ("md5", "md5Hash")) if f in r
                        ),
                    }
                    return self._send(200, answer, headers)
                self._json(*answer)

            def do_POST(self) -> None:  # noqa: N802
                url = urlsplit(self.path)
                q = {k: v[0] for k, v in parse_qs(url.query).items()}
                fake.requests.append(f"POST {url.path}")
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                message = email.message_from_bytes(
                    f"Content-Type: {self.headers['Content-Type']}\r\n\r\n".encode() + body
                )
                meta, data = message.get_payload()
                self._json(*fake.insert(json.loads(meta.get_payload())["name"], data.get_payload(decode=True), q))

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        serve_in_background(self.http)

    # --- the world a test builds -----------------------------------------------------------------------

    def put(self, name: str, data: bytes, created: datetime, composite: bool = False) -> dict:
        """An object as Cloud Logging's sink (or anyone) writes it: a new generation at `created`."""
        micros = int(created.timestamp() * 1_000_000)
        resource = {
            "kind": "storage#object",
            "id": f"{self.bucket}/{name}/{micros}",
            "selfLink": f"https://www.googleapis.com/storage/v1/b/{self.bucket}/o/{quote(name, safe='')}",
            "mediaLink": f"https://storage.googleapis.com/download/storage/v1/b/{self.bucket}/o/{quote(name, safe='')}"
            f"?generation={micros}&alt=media",
            "name": name,
            "bucket": self.bucket,
            "generation": str(micros),
            "metageneration": "1",
            "contentType": "application/json",
            "storageClass": "STANDARD",
            "size": str(len(data)),
            "crc32c": _b64(google_crc32c.value(data).to_bytes(4, "big")),
            "etag": _b64(micros.to_bytes(8, "big")).rstrip("="),
            "timeCreated": _rfc3339(created),
            "updated": _rfc3339(created),
            "timeStorageClassUpdated": _rfc3339(created),
        }
        if composite:
            resource["componentCount"] = 2
        else:
            resource["md5Hash"] = _b64(hashlib.md5(data).digest())  # noqa: S324 - GCS's own field
        if name not in self.objects:
            self._sorted = (None, [])
        self.objects[name] = StoredObject(data, resource)
        return resource

    def rewrite(self, name: str, data: bytes) -> dict:
        """Someone with the power to bypass the lock writes the name again: a new generation, its own hashes."""
        created = datetime.fromisoformat(self.objects[name].resource["timeCreated"].replace("Z", "+00:00"))
        return self.put(name, data, created + timedelta(seconds=1))

    def corrupt(self, name: str, data: bytes) -> None:
        """The bytes change under unchanged metadata (what only a content read can find)."""
        self.objects[name].data = data

    def remove(self, name: str) -> None:
        del self.objects[name]
        self._sorted = (None, [])

    # --- the API -----------------------------------------------------------------------------------

    def get(self, path: str, q: dict[str, str]) -> tuple[int, dict] | bytes:
        base = f"/storage/v1/b/{self.bucket}"
        if path == f"{base}/o":
            return _error(403, "forbidden", "injected denial") if self.list_denied else self._list(q)
        if path == base:
            return 200, {"kind": "storage#bucket", "name": self.bucket, "location": "US"}
        media = path.startswith(f"/download{base}/o/")
        if not (media or path.startswith(f"{base}/o/")):
            return _error(404, "notFound", f"{path} not served")
        name = unquote(path.split("/o/", 1)[1])
        if any(name.startswith(d) for d in self.denied):
            return _error(403, "forbidden", f"caller does not have storage.objects.get access to {name}")
        obj = self.objects.get(name)
        if obj is None or ("generation" in q and q["generation"] != obj.resource["generation"]):
            return _error(404, "notFound", "No such object: " + f"{self.bucket}/{name}")
        return obj.data if media or q.get("alt") == "media" else (200, obj.resource)

    def _names(self, prefix: str) -> list[str]:
        """The sorted names, kept between pages (sorting a month of objects for each page is the fake's cost)."""
        key = (prefix, len(self.objects))
        if self._sorted[0] != key:
            self._sorted = (key, sorted(n for n in self.objects if n.startswith(prefix)))
        return self._sorted[1]

    def _list(self, q: dict[str, str]) -> tuple[int, dict]:
        names = self._names(q.get("prefix", ""))
        size = min(int(q.get("maxResults", MAX_PAGE)), MAX_PAGE)
        start = int(q.get("pageToken", "0"))
        page = names[start : start + size]
        body: dict = {"kind": "storage#objects"}
        if page:
            body["items"] = [_partial(self.objects[n].resource, q.get("fields")) for n in page]
        if start + size < len(names):
            body["nextPageToken"] = str(start + size)
        return 200, body

    def insert(self, name: str, data: bytes, q: dict[str, str]) -> tuple[int, dict]:
        with self._lock:
            if name in self.objects and (q.get("ifGenerationMatch") == "0" or self.locked):
                if q.get("ifGenerationMatch") == "0":
                    return _error(
                        412, "conditionNotMet", "At least one of the pre-conditions you specified did not hold."
                    )
                return _error(403, "retentionPolicyNotMet", f"Object '{name}' is subject to bucket's retention policy")
            return 200, self.put(name, data, datetime.now(timezone.utc))

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.http.server_address[1]}"

    def client(self):
        from google.auth.credentials import AnonymousCredentials
        from google.cloud import storage

        return storage.Client(
            project="acme-prod", credentials=AnonymousCredentials(), client_options={"api_endpoint": self.endpoint}
        )

    def close(self) -> None:
        self.http.shutdown()
        self.http.server_close()

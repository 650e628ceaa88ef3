"""A loopback CloudTrail endpoint: answers what moto lacks, forwards the rest to moto.

moto has no `ListPublicKeys`, and its `GetTrailStatus` has no `LatestDigestDeliveryTime` (it
stamps the wall clock). This stub answers both in the shapes of botocore's
`cloudtrail/2013-11-01/service-2.json` (awsJson1.1: blobs base64, timestamps epoch seconds):
`ListPublicKeysResponse{PublicKeyList[{Value, ValidityStartTime, ValidityEndTime, Fingerprint}],
NextToken}` and `GetTrailStatusResponse{IsLogging, LatestDigestDeliveryTime, StartLoggingTime, ...}`.
Keys are per region (AWS API reference, ListPublicKeys: "each digest file is signed with a private
key unique to its Region"); the region is read from the request's SigV4 credential scope.
boto3 reaches it through AWS_ENDPOINT_URL_CLOUDTRAIL, for that service alone. Used by the tests, the
benchmark and `auditkit demo`; emulator-only.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests

_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/([^/]+)/")
_LOOPBACK = "127.0.0.1"


@dataclass
class StubKey:
    fingerprint: str
    der: bytes
    valid_from: datetime
    valid_to: datetime


@dataclass
class CloudTrailStub:
    upstream: str
    keys: dict[str, list[StubKey]] = field(default_factory=dict)  # region -> keys
    status: dict[str, dict] = field(default_factory=dict)  # trail name -> GetTrailStatus overlay
    denied: set[str] = field(default_factory=set)  # operations answered with AccessDeniedException
    seen: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _reply(self, status: int, doc: dict) -> None:
                payload = json.dumps(doc).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/x-amz-json-1.1")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                op = (self.headers.get("X-Amz-Target") or "").rsplit(".", 1)[-1]
                m = _SCOPE.search(self.headers.get("Authorization", ""))
                region = m.group(1) if m else ""
                stub.seen.append(f"{op}:{region}")
                if op in stub.denied:
                    return self._reply(400, {"__type": "AccessDeniedException", "message": "injected denial"})
                if op == "ListPublicKeys":
                    return self._reply(200, stub.public_keys(region, json.loads(body or b"{}")))
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
                resp = requests.post(stub.upstream + self.path, headers=headers, data=body, timeout=30)
                doc = resp.json() if resp.content else {}
                if op == "GetTrailStatus" and resp.ok:
                    name = str(json.loads(body)["Name"]).rsplit("/", 1)[-1]
                    doc.update(stub.status.get(name, {}))
                self._reply(resp.status_code, doc)

        self.server = ThreadingHTTPServer((_LOOPBACK, 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def public_keys(self, region: str, req: dict) -> dict:
        lo, hi = req.get("StartTime"), req.get("EndTime")
        keys = [
            k
            for k in self.keys.get(region, [])
            if (hi is None or k.valid_from.timestamp() <= hi) and (lo is None or k.valid_to.timestamp() >= lo)
        ]
        return {
            "PublicKeyList": [
                {
                    "Value": base64.b64encode(k.der).decode(),
                    "ValidityStartTime": k.valid_from.timestamp(),
                    "ValidityEndTime": k.valid_to.timestamp(),
                    "Fingerprint": k.fingerprint,
                }
                for k in keys
            ]
        }

    @property
    def endpoint(self) -> str:
        return f"http://{_LOOPBACK}:{self.server.server_port}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

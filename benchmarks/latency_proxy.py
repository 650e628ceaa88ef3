"""A loopback HTTP proxy that adds a fixed delay to every request (S3-like first-byte latency).

Run as its own process by verify_vs_awscli.py: `python latency_proxy.py UPSTREAM MILLISECONDS`;
prints its port on stdout. The delay is a sleep, so concurrent clients overlap it as they would
against S3, while a sequential client pays it once per request.
"""

from __future__ import annotations

import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests

UPSTREAM, DELAY = sys.argv[1], float(sys.argv[2]) / 1000
_local = threading.local()
_HOP = {"content-length", "transfer-encoding", "connection", "content-encoding", "keep-alive"}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def _handle(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        session = getattr(_local, "session", None) or requests.Session()
        _local.session = session
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
        time.sleep(DELAY)
        resp = session.request(self.command, UPSTREAM + self.path, headers=headers, data=body, timeout=60)
        self.send_response(resp.status_code)
        for k, v in resp.headers.items():
            if k.lower() not in _HOP:
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(resp.content)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(resp.content)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    server.serve_forever()

"""Loopback HTTP servers for the fakes and the fault proxy, served from a background thread."""

from __future__ import annotations

import threading
from http.server import ThreadingHTTPServer

# `shutdown()` returns only once `serve_forever` next polls; at its default 0.5 s every test that closed a
# fake waited half a second for nothing.
SHUTDOWN_POLL_SECONDS = 0.02


def serve_in_background(server: ThreadingHTTPServer) -> ThreadingHTTPServer:
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": SHUTDOWN_POLL_SECONDS})
    thread.daemon = True
    thread.start()
    return server

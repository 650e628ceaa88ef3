"""A fake Azure Resource Manager: HTTPS on 127.0.0.1 with a test certificate, state set per scenario.

The real azure-mgmt-* clients talk to it (base_url + connection_verify), so paging, error
mapping and model deserialization are the SDK's own.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import ssl
import tempfile
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from azure.core.credentials import AccessToken
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.fakes.loopback import serve_in_background


def _certificate(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "arm.pem", folder / "arm.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


class FakeCredential:
    """Any object with get_token works for azure-core's bearer policy."""

    def get_token(self, *scopes: str, **kwargs: object) -> AccessToken:
        return AccessToken("fake-token", 4_102_444_800)


@dataclass
class FakeArm:
    # lower-cased path (no query) -> JSON body; a list body is served as {"value": [...]}
    routes: dict[str, object] = field(default_factory=dict)
    # lower-cased path prefix -> (status, code): e.g. AuthorizationFailed
    faults: dict[str, tuple[int, str]] = field(default_factory=dict)
    requests: list[tuple[str, str, str]] = field(default_factory=list)
    # lower-cased path of a list -> page size: served in pages linked by an absolute nextLink, as ARM does
    pages: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._dir = tempfile.TemporaryDirectory()
        self.cert, key = _certificate(Path(self._dir.name))
        self.key = key  # for a proxy in front of the fake (tests/fault_proxy.py) to serve the same certificate
        arm = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                parts = urlsplit(self.path)
                path = unquote(parts.path).rstrip("/").lower()
                query = parse_qs(parts.query)
                api = query.get("api-version", [""])[0]
                arm.requests.append(("GET", path, api))
                status, body = arm.answer(path, int(query.get("$skipToken", ["0"])[0]), api)
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, key)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        serve_in_background(self.server)

    def answer(self, path: str, skip: int = 0, api: str = "") -> tuple[int, object]:
        for prefix, (status, code) in self.faults.items():
            if path.startswith(prefix.lower()):
                return status, {"error": {"code": code, "message": f"injected {code}"}}
        if path in self.routes:
            body = self.routes[path]
            if not isinstance(body, list):
                return 200, body
            size = self.pages.get(path)
            if size is None:
                return 200, {"value": body}
            page: dict[str, object] = {"value": body[skip : skip + size]}
            if skip + size < len(body):
                page["nextLink"] = f"{self.endpoint}{path}?api-version={api}&$skipToken={skip + size}"
            return 200, page
        account = path.rsplit("/managementpolicies/", 1)[0]
        if path.endswith("/managementpolicies/default") and account in self.routes:
            # What Azure answers for an account that has no lifecycle policy.
            message = f"No ManagementPolicy found for account {account.rsplit('/', 1)[-1]}"
            return 404, {"error": {"code": "ManagementPolicyNotFound", "message": message}}
        return 404, {"error": {"code": "ResourceNotFound", "message": f"{path} not found"}}

    def set(self, path: str, body: object, page: int | None = None) -> None:
        key = path.rstrip("/").lower()
        self.routes[key] = body
        if page is not None:
            self.pages[key] = page

    @property
    def endpoint(self) -> str:
        return f"https://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._dir.cleanup()

"""A fake Key Vault that signs and returns keys like the service (REST api-version 7.4), over HTTPS.

Shapes from Microsoft's Key Vault REST reference (learn.microsoft.com/rest/api/keyvault/keys/):
- sign: POST {vault}/keys/{name}/{version}/sign {"alg": "RS256", "value": base64url digest} -> {"kid": the
  key version's id, "value": base64url signature} (the reference's "Sign" example); RS256 is RSASSA-PKCS1-v1_5
  with SHA-256 (RFC 7518), so the digest must be 32 bytes.
- get key: GET {vault}/keys/{name}/{version} -> {"key": {"kid", "kty": "RSA-HSM", "key_ops", "n", "e"},
  "attributes": {"enabled", "created", "updated", "recoveryLevel"}} (the "GetKey" example).
- Errors: {"error": {"code": "KeyNotFound" | "Forbidden" | "BadParameter", "message"}}; a request without a
  bearer token gets 401 with the WWW-Authenticate challenge.
"""

from __future__ import annotations

import base64
import json
import ssl
import tempfile
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa, utils

from tests.fakes.arm import _certificate
from tests.fakes.loopback import serve_in_background


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _error(status: int, code: str, message: str) -> tuple[int, dict]:
    return status, {"error": {"code": code, "message": message}}


@dataclass
class FakeKeyVault:
    keys: dict[str, rsa.RSAPrivateKey] = field(default_factory=dict)  # "/keys/NAME/VERSION" -> key
    ops: dict[str, list[str]] = field(default_factory=dict)
    denied: set[str] = field(default_factory=set)  # key paths whose calls answer 403
    requests: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="fake-key-vault-"))
        self.cert, key = _certificate(self.folder)
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(self.cert, key)
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _answer(self) -> None:
                url = urlsplit(self.path)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                fake.requests.append(f"{self.command} {url.path}")
                if not (self.headers.get("Authorization") or "").startswith("Bearer "):
                    status, doc = _error(401, "Unauthorized", "AKV10000: Request is missing a Bearer or PoP token.")
                elif "api-version=" not in url.query:
                    status, doc = _error(400, "BadParameter", "The api-version query parameter is required")
                else:
                    status, doc = fake.answer(self.command, url.path.rstrip("/"), body)
                payload = json.dumps(doc).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                if status == 401:
                    self.send_header(
                        "WWW-Authenticate",
                        'Bearer authorization="https://login.microsoftonline.com/72f988bf", resource="https://vault.azure.net"',
                    )
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = _answer  # noqa: N815
            do_POST = _answer  # noqa: N815

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.socket = tls.wrap_socket(server.socket, server_side=True)
        self.http = serve_in_background(server)

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.http.server_address[1]}"

    def add_key(self, name: str = "auditkit-seal", version: str = "9885aa558e8d448789683188f8c194b0") -> str:
        path = f"/keys/{name}/{version}"
        self.keys[path] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.ops[path] = ["sign", "verify"]
        return self.url + path

    def answer(self, method: str, path: str, body: bytes) -> tuple[int, dict]:
        key_path = path.removesuffix("/sign")
        if key_path in self.denied:
            return _error(
                403,
                "Forbidden",
                f"The user does not have keys {'sign' if path.endswith('/sign') else 'get'} permission",
            )
        private = self.keys.get(key_path)
        if private is None:
            return _error(404, "KeyNotFound", f"A key with (name/id) {key_path} was not found in this key vault.")
        if method == "POST" and path.endswith("/sign"):
            return self._sign(key_path, private, json.loads(body or b"{}"))
        if method == "GET" and path == key_path:
            numbers = private.public_key().public_numbers()
            return 200, {
                "key": {
                    "kid": self.url + key_path,
                    "kty": "RSA-HSM",
                    "key_ops": self.ops[key_path],
                    "n": _b64url(numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")),
                    "e": _b64url(numbers.e.to_bytes(3, "big")),
                },
                "attributes": {
                    "enabled": True,
                    "created": 1493942451,
                    "updated": 1493942451,
                    "recoveryLevel": "Recoverable+Purgeable",
                },
            }
        return _error(405, "BadParameter", f"{method} {path} not served")

    def _sign(self, key_path: str, private: rsa.RSAPrivateKey, request: dict) -> tuple[int, dict]:
        if "sign" not in self.ops[key_path]:
            return _error(403, "Forbidden", "Operation sign is not permitted on this key.")
        if request.get("alg") != "RS256":
            return _error(400, "BadParameter", f"Invalid algorithm {request.get('alg')!r} for this key")
        digest = _unb64url(str(request.get("value", "")))
        if len(digest) != 32:
            return _error(400, "BadParameter", "Invalid digest length for RS256")
        signature = private.sign(digest, padding.PKCS1v15(), utils.Prehashed(hashes.SHA256()))
        return 200, {"kid": self.url + key_path, "value": _b64url(signature)}

    def close(self) -> None:
        self.http.shutdown()
        self.http.server_close()

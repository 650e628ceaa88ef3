"""A fake Cloud KMS that signs and verifies like the service, for google-auth's AuthorizedSession.

Shapes from the Cloud KMS REST reference (cloud.google.com/kms/docs/reference/rest/v1/
projects.locations.keyRings.cryptoKeys.cryptoKeyVersions):
- asymmetricSign: POST /v1/{name}:asymmetricSign, body {"digest": {"sha256": base64}, "digestCrc32c":
  int64 string}; answers {"signature": base64, "signatureCrc32c": int64 string, "verifiedDigestCrc32c": true,
  "name": the version, "protectionLevel": "HSM"}. A digest whose CRC32C does not match is refused with
  400 INVALID_ARGUMENT; the digest must be of the key's algorithm (32 bytes for *_SHA256).
- getPublicKey: GET /v1/{name}/publicKey -> {"pem", "algorithm", "pemCrc32c", "name", "protectionLevel"}.
- A version that does not exist: 404 NOT_FOUND; a disabled one: 400 FAILED_PRECONDITION.
Signatures are RSASSA-PKCS1-v1_5 over the digest, as RSA_SIGN_PKCS1_2048_SHA256 keys make them.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

import google_crc32c
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa, utils

from tests.fakes.loopback import serve_in_background

ALGORITHM = "RSA_SIGN_PKCS1_2048_SHA256"
KEY = "projects/acme-audit/locations/us/keyRings/auditkit/cryptoKeys/seal"


def _status(code: int, status: str, message: str) -> tuple[int, dict]:
    return code, {"error": {"code": code, "message": message, "status": status}}


@dataclass
class KmsVersion:
    private: rsa.RSAPrivateKey
    algorithm: str = ALGORITHM
    state: str = "ENABLED"


@dataclass
class FakeCloudKms:
    versions: dict[str, KmsVersion] = field(default_factory=dict)
    denied: set[str] = field(default_factory=set)  # version names whose calls answer 403
    requests: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _answer(self, method: str) -> None:
                path = unquote(urlsplit(self.path).path)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)) if method == "POST" else b""
                fake.requests.append(f"{method} {path}")
                status, doc = fake.answer(method, path, body)
                payload = json.dumps(doc).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_GET(self) -> None:  # noqa: N802
                self._answer("GET")

            def do_POST(self) -> None:  # noqa: N802
                self._answer("POST")

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        serve_in_background(self.http)

    def add_version(self, number: int = 1, key: str = KEY, bits: int = 2048) -> str:
        name = f"{key}/cryptoKeyVersions/{number}"
        self.versions[name] = KmsVersion(rsa.generate_private_key(public_exponent=65537, key_size=bits))
        return name

    def _version(self, name: str) -> tuple[KmsVersion | None, tuple[int, dict] | None]:
        if name in self.denied:
            return None, _status(
                403, "PERMISSION_DENIED", f"Permission denied on resource '{name}' (or it may not exist)."
            )
        v = self.versions.get(name)
        if v is None:
            return None, _status(404, "NOT_FOUND", f"CryptoKeyVersion {name} not found.")
        if v.state != "ENABLED":
            return None, _status(400, "FAILED_PRECONDITION", f"{name} is not enabled, current state is: {v.state}.")
        return v, None

    def answer(self, method: str, path: str, body: bytes) -> tuple[int, dict]:
        if method == "POST" and path.startswith("/v1/") and path.endswith(":asymmetricSign"):
            return self._sign(path[len("/v1/") : -len(":asymmetricSign")], json.loads(body or b"{}"))
        if method == "GET" and path.startswith("/v1/") and path.endswith("/publicKey"):
            return self._public_key(path[len("/v1/") : -len("/publicKey")])
        return _status(404, "NOT_FOUND", f"{method} {path} not served")

    def _sign(self, name: str, request: dict) -> tuple[int, dict]:
        v, err = self._version(name)
        if err:
            return err
        assert v is not None
        try:
            digest = base64.b64decode(request["digest"]["sha256"])
        except (KeyError, TypeError, ValueError):
            return _status(400, "INVALID_ARGUMENT", "digest.sha256 is required for this key's algorithm")
        if len(digest) != 32:
            return _status(400, "INVALID_ARGUMENT", f"The digest length {len(digest)} does not match the algorithm")
        if "digestCrc32c" in request and int(request["digestCrc32c"]) != google_crc32c.value(digest):
            return _status(400, "INVALID_ARGUMENT", "The checksum in field digest_crc32c did not match the data")
        signature = v.private.sign(digest, padding.PKCS1v15(), utils.Prehashed(hashes.SHA256()))
        return 200, {
            "signature": base64.b64encode(signature).decode(),
            "signatureCrc32c": str(google_crc32c.value(signature)),
            "verifiedDigestCrc32c": "digestCrc32c" in request,
            "name": name,
            "protectionLevel": "HSM",
        }

    def _public_key(self, name: str) -> tuple[int, dict]:
        v, err = self._version(name)
        if err:
            return err
        assert v is not None
        pem = (
            v.private.public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            .decode()
        )
        return 200, {
            "pem": pem,
            "algorithm": v.algorithm,
            "pemCrc32c": str(google_crc32c.value(pem.encode())),
            "name": name,
            "protectionLevel": "HSM",
        }

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.http.server_address[1]}"

    def session(self):
        from google.auth.credentials import AnonymousCredentials
        from google.auth.transport.requests import AuthorizedSession

        return AuthorizedSession(AnonymousCredentials())

    def close(self) -> None:
        self.http.shutdown()
        self.http.server_close()

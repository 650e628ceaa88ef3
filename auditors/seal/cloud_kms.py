"""Cloud KMS asymmetric signing over its REST API (cloudkms.googleapis.com/v1), with google-auth.

- cryptoKeyVersions.asymmetricSign: POST /v1/{version}:asymmetricSign {"digest": {"sha256": b64},
  "digestCrc32c": int64-as-string} -> {"signature", "signatureCrc32c", "verifiedDigestCrc32c", "name",
  "protectionLevel"}; needs cloudkms.cryptoKeyVersions.useToSign.
- cryptoKeyVersions.getPublicKey: GET /v1/{version}/publicKey -> {"pem", "algorithm", "pemCrc32c", "name",
  "protectionLevel"}; needs cloudkms.cryptoKeyVersions.viewPublicKey.
The CRC32C fields are Google's integrity checks of the request and the response: a mismatch is refused.
"""

from __future__ import annotations

import base64
from typing import Any

import google_crc32c
from cryptography.hazmat.primitives.asymmetric import rsa
from google.api_core import exceptions as gexc

from auditkit.auditors.seal.archive import KeyVersionNotFound
from auditkit.policies.integrity.signatures import KMS_ALGORITHMS, pem_public_key

ENDPOINT = "https://cloudkms.googleapis.com"


def _error(response: Any) -> gexc.GoogleAPICallError:
    try:
        message = str(response.json()["error"]["message"])
    except (ValueError, KeyError, TypeError):
        message = response.text[:300]
    return gexc.from_http_status(response.status_code, message)


class CloudKms:
    """Signs with one key version (the sealer) or fetches versions' public keys (the verifier)."""

    def __init__(self, session: Any, key: str, timeout: float, endpoint: str = ENDPOINT) -> None:
        self.session = session  # a google.auth.transport.requests.AuthorizedSession
        self.key = key  # a CryptoKey (verifier) or a CryptoKeyVersion (sealer)
        self.key_version = key
        self.algorithm = ""
        self.timeout = timeout
        self.endpoint = endpoint.rstrip("/")

    def _call(self, method: str, path: str, **kw: Any) -> dict[str, Any]:
        response = self.session.request(method, f"{self.endpoint}/v1/{path}", timeout=self.timeout, **kw)
        if response.status_code == 404:
            raise KeyVersionNotFound(f"{path}: {_error(response).message}")
        if response.status_code >= 400:
            raise _error(response)
        body = response.json()
        if not isinstance(body, dict):
            raise ValueError(f"{path}: answer is not a JSON object")
        return body

    def public_key(self, key_version: str) -> rsa.RSAPublicKey:
        body = self._call("GET", f"{key_version}/publicKey")
        pem = str(body["pem"])
        if int(body["pemCrc32c"]) != google_crc32c.value(pem.encode()):
            raise ValueError(f"{key_version}: the public key's pemCrc32c does not match its pem (corrupted answer)")
        if body.get("algorithm") not in KMS_ALGORITHMS:
            raise ValueError(f"{key_version}: algorithm {body.get('algorithm')!r}, expected one of {KMS_ALGORITHMS}")
        return pem_public_key(pem)

    def prepare(self) -> None:
        """The signing version's algorithm, read before any seal is made (and the version proven usable)."""
        body = self._call("GET", f"{self.key_version}/publicKey")
        if body.get("algorithm") not in KMS_ALGORITHMS:
            raise ValueError(
                f"{self.key_version}: algorithm {body.get('algorithm')!r}; seals need one of {KMS_ALGORITHMS}"
            )
        self.algorithm = str(body["algorithm"])

    def sign(self, digest: bytes) -> bytes:
        request = {
            "digest": {"sha256": base64.b64encode(digest).decode()},
            "digestCrc32c": str(google_crc32c.value(digest)),
        }
        body = self._call("POST", f"{self.key_version}:asymmetricSign", json=request)
        signature = base64.b64decode(body["signature"])
        if body.get("name") != self.key_version or body.get("verifiedDigestCrc32c") is not True:
            raise ValueError(f"{self.key_version}: asymmetricSign answered for {body.get('name')!r} unverified")
        if int(body["signatureCrc32c"]) != google_crc32c.value(signature):
            raise ValueError(f"{self.key_version}: signatureCrc32c does not match the signature (corrupted answer)")
        return signature

"""Key Vault signing over its REST API (api-version 7.4), through an azure-core pipeline.

- sign: POST {key id}/sign {"alg": "RS256", "value": base64url(SHA-256 digest)} -> {"kid", "value":
  base64url(signature)}; needs the keys/sign permission (Key Vault Crypto User).
- get key: GET {key id} -> {"key": {"kid", "kty": "RSA" | "RSA-HSM", "key_ops", "n", "e"}, "attributes"};
  needs keys/get. A key id is https://VAULT/keys/NAME/VERSION (learn.microsoft.com/rest/api/keyvault/keys).
"""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import rsa

from auditkit.auditors.seal.archive import KeyVersionNotFound
from auditkit.policies.errors import ConfigError
from auditkit.policies.integrity.signatures import KEY_VAULT_ALGORITHM, jwk_public_key

API_VERSION = "7.4"
KEY_ID = "https://VAULT.vault.azure.net/keys/NAME/VERSION"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def key_parts(option: str, key_id: str, versioned: bool) -> tuple[str, str]:
    """(vault URL, /keys/NAME[/VERSION]) of a key id, or a ConfigError naming the option."""
    parts = urlsplit(key_id)
    segments = [s for s in parts.path.split("/") if s]
    want = 3 if versioned else 2
    if parts.scheme != "https" or len(segments) != want or segments[0] != "keys":
        form = KEY_ID if versioned else KEY_ID.rsplit("/", 1)[0]
        raise ConfigError(option, key_id, f"a Key Vault key id {form}")
    return f"https://{parts.netloc}", "/" + "/".join(segments)


def _scope(vault: str) -> str:
    host = urlsplit(vault).hostname or ""
    if ".managedhsm." in host:
        return "https://managedhsm.azure.net/.default"
    suffix = host.split(".vault.", 1)[1] if ".vault." in host else "azure.net"
    return f"https://vault.{suffix}/.default"


class KeyVault:
    def __init__(self, credential: Any, key: str, timeout: float, versioned: bool, **transport: Any) -> None:
        from azure.core import PipelineClient
        from azure.core.pipeline.policies import BearerTokenCredentialPolicy, RetryPolicy
        from azure.core.pipeline.transport import RequestsTransport

        self.vault, self.path = key_parts("--key-id" if versioned else "--key", key, versioned)
        self.key = self.key_version = key.rstrip("/")
        self.algorithm = KEY_VAULT_ALGORITHM
        self.timeout = timeout
        self.client: PipelineClient[Any, Any] = PipelineClient(
            self.vault,
            policies=[RetryPolicy(retry_total=3), BearerTokenCredentialPolicy(credential, _scope(self.vault))],
            transport=RequestsTransport(**transport),
        )

    def _call(self, method: str, url: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        from azure.core.rest import HttpRequest

        request = HttpRequest(method, url, params={"api-version": API_VERSION}, json=body)
        response = self.client.send_request(request, timeout=self.timeout)
        if response.status_code == 404:
            raise KeyVersionNotFound(f"{url}: {response.text()[:200]}")
        if response.status_code >= 400:
            from azure.core.exceptions import HttpResponseError

            raise HttpResponseError(response=response)
        doc = json.loads(response.text())
        if not isinstance(doc, dict):
            raise ValueError(f"{url}: answer is not a JSON object")
        return doc

    def prepare(self) -> None:
        """The signing key is read before any seal is made: an RSA key, usable to sign."""
        key = self._call("GET", self.key_version)["key"]
        if key.get("kty") not in ("RSA", "RSA-HSM") or "sign" not in key.get("key_ops", []):
            raise ValueError(
                f"{self.key_version}: kty {key.get('kty')!r}, key_ops {key.get('key_ops')}: seals need an RSA key that may sign"
            )

    def sign(self, digest: bytes) -> bytes:
        body = self._call("POST", f"{self.key_version}/sign", {"alg": KEY_VAULT_ALGORITHM, "value": _b64url(digest)})
        if body.get("kid") != self.key_version:
            raise ValueError(f"{self.key_version}: sign answered for key {body.get('kid')!r}")
        return _unb64url(str(body["value"]))

    def public_key(self, key_version: str) -> rsa.RSAPublicKey:
        key = self._call("GET", key_version)["key"]
        if key.get("kty") not in ("RSA", "RSA-HSM"):
            raise ValueError(f"{key_version}: kty {key.get('kty')!r}, expected RSA or RSA-HSM")
        if key.get("kid") != key_version:
            raise ValueError(f"{key_version}: Key Vault answered for key {key.get('kid')!r}")
        return jwk_public_key(str(key["n"]), str(key["e"]))

"""RSASSA-PKCS1-v1_5 with SHA-256 over a seal's digest: what Cloud KMS RSA_SIGN_PKCS1_*_SHA256 keys and
Key Vault RS256 produce, checked with the public key the provider publishes for the key version."""

from __future__ import annotations

import base64

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa, utils

# Cloud KMS algorithms whose signatures are PKCS#1 v1.5 over a SHA-256 digest (CryptoKeyVersionAlgorithm).
KMS_ALGORITHMS = (
    "RSA_SIGN_PKCS1_2048_SHA256",
    "RSA_SIGN_PKCS1_3072_SHA256",
    "RSA_SIGN_PKCS1_4096_SHA256",
)
KEY_VAULT_ALGORITHM = "RS256"


def pem_public_key(pem: str) -> rsa.RSAPublicKey:
    key = serialization.load_pem_public_key(pem.encode())
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError(f"not an RSA public key: {type(key).__name__}")
    return key


def _b64url_int(text: str) -> int:
    return int.from_bytes(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)), "big")


def jwk_public_key(n: str, e: str) -> rsa.RSAPublicKey:
    """An RSA public key from a JSON Web Key's base64url `n` and `e` (RFC 7517/7518), as Key Vault returns it."""
    return rsa.RSAPublicNumbers(_b64url_int(e), _b64url_int(n)).public_key()


def verifies(key: rsa.RSAPublicKey, digest: bytes, signature: bytes) -> bool:
    try:
        key.verify(signature, digest, padding.PKCS1v15(), utils.Prehashed(hashes.SHA256()))
        return True
    except InvalidSignature:
        return False

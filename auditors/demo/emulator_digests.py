"""Forge what CloudTrail delivers to S3 with log file validation on, signed with test RSA keys.

Shapes from AWS's "CloudTrail digest file structure" page (key layout, every digest field, the
first digest's null previous fields) and "Custom implementations of CloudTrail log file integrity
validation" (signing string; hex signature in `x-amz-meta-signature`, algorithm in
`x-amz-meta-signature-algorithm`; hashValue = SHA-256 of the *uncompressed* log file). The benchmark
uses it too, so awscli's `validate-logs` and AuditKit read the very same bucket; `auditkit demo` forges
its day of logs with it. Emulator-only: nothing here runs against a real account.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from auditkit.auditors.demo.emulator_cloudtrail import StubKey

HOUR = timedelta(hours=1)
EPOCH = datetime(2026, 11, 2, 0, 0, 31, tzinfo=timezone.utc)  # digests end at HH:00:31, like AWS's HH:MM:SS cadence


def iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class SigningKey:
    private: rsa.RSAPrivateKey
    valid_from: datetime = datetime(2026, 1, 1, tzinfo=timezone.utc)
    valid_to: datetime = datetime(2027, 1, 1, tzinfo=timezone.utc)

    @property
    def der(self) -> bytes:
        # ListPublicKeys' Value is a DER-encoded PKCS#1 RSAPublicKey.
        return self.private.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)

    @property
    def fingerprint(self) -> str:
        return hashlib.md5(self.der).hexdigest()  # 32 hex digits, the shape of digestPublicKeyFingerprint

    def stub_key(self) -> StubKey:
        return StubKey(self.fingerprint, self.der, self.valid_from, self.valid_to)

    def sign(self, message: bytes) -> str:
        return self.private.sign(message, padding.PKCS1v15(), hashes.SHA256()).hex()


def new_key(**validity: datetime) -> SigningKey:
    return SigningKey(rsa.generate_private_key(public_exponent=65537, key_size=2048), **validity)


def string_to_sign(end: str, bucket: str, key: str, raw: bytes, previous_signature: str | None) -> bytes:
    return f"{end}\n{bucket}/{key}\n{hashlib.sha256(raw).hexdigest()}\n{previous_signature or 'null'}".encode()


@dataclass
class Delivery:
    """One trail's deliveries into one bucket: log files, then the hour's signed digest, per account and region."""

    s3: Any
    bucket: str
    trail: str
    home: str
    keys: dict[str, SigningKey]
    account: str = "123456789012"
    prefix: str = ""
    org_id: str = ""
    heads: dict[tuple[str, str], tuple[str, str, str]] = field(default_factory=dict)  # key, signature, sha256

    def base(self, account: str) -> str:
        head = f"{self.prefix}/" if self.prefix else ""
        org = f"{self.org_id}/" if self.org_id else ""
        return f"{head}AWSLogs/{org}{account}/"

    def digest_key(self, account: str, region: str, end: datetime) -> str:
        return (
            f"{self.base(account)}CloudTrail-Digest/{region}/{end:%Y/%m/%d}/"
            f"{account}_CloudTrail-Digest_{region}_{self.trail}_{self.home}_{end:%Y%m%dT%H%M%SZ}.json.gz"
        )

    def log_key(self, account: str, region: str, at: datetime, n: int) -> str:
        return (
            f"{self.base(account)}CloudTrail/{region}/{at:%Y/%m/%d}/"
            f"{account}_CloudTrail_{region}_{at:%Y%m%dT%H%MZ}_{n:04d}abcdEFGH{n:04d}.json.gz"
        )

    def put_log(self, key: str, at: datetime, region: str, account: str) -> str:
        records = {
            "Records": [
                {
                    "eventVersion": "1.09",
                    "eventTime": iso(at),
                    "eventSource": "s3.amazonaws.com",
                    "eventName": "GetObject",
                    "awsRegion": region,
                    "recipientAccountId": account,
                }
            ]
        }
        raw = json.dumps(records).encode()
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=gzip.compress(raw))
        return hashlib.sha256(raw).hexdigest()

    def hour(self, region: str, end: datetime, logs: int = 2, account: str | None = None, restart: bool = False) -> str:
        """Deliver one hour: `logs` log files, then the digest ending at `end`. Returns the digest key."""
        account = account or self.account
        files = []
        for n in range(logs):
            at = end - HOUR + timedelta(minutes=5 + 20 * n)
            key = self.log_key(account, region, at, n)
            files.append((key, self.put_log(key, at, region, account), at))
        previous = None if restart else self.heads.get((account, region))
        key = self.digest_key(account, region, end)
        doc = {
            "awsAccountId": account,
            "digestStartTime": iso(end - HOUR),
            "digestEndTime": iso(end),
            "digestS3Bucket": self.bucket,
            "digestS3Object": key,
            "digestPublicKeyFingerprint": self.keys[region].fingerprint,
            "digestSignatureAlgorithm": "SHA256withRSA",
            "newestEventTime": iso(files[-1][2]) if files else None,
            "oldestEventTime": iso(files[0][2]) if files else None,
            "previousDigestS3Bucket": self.bucket if previous else None,
            "previousDigestS3Object": previous[0] if previous else None,
            "previousDigestHashValue": previous[2] if previous else None,
            "previousDigestHashAlgorithm": "SHA-256" if previous else None,
            "previousDigestSignature": previous[1] if previous else None,
            "logFiles": [
                {
                    "s3Bucket": self.bucket,
                    "s3Object": k,
                    "hashValue": h,
                    "hashAlgorithm": "SHA-256",
                    "newestEventTime": iso(at),
                    "oldestEventTime": iso(at),
                }
                for k, h, at in files
            ],
        }
        self.put_digest(region, key, doc, account)
        return key

    def put_digest(
        self, region: str, key: str, doc: dict, account: str | None = None, signer: SigningKey | None = None
    ) -> None:
        raw = json.dumps(doc).encode()
        signature = (signer or self.keys[region]).sign(
            string_to_sign(doc["digestEndTime"], self.bucket, key, raw, doc["previousDigestSignature"])
        )
        self.s3.put_object(
            Bucket=self.bucket,
            Key=key,
            Body=gzip.compress(raw),
            Metadata={"signature": signature, "signature-algorithm": "SHA256withRSA"},
        )
        self.heads[(account or self.account, region)] = (key, signature, hashlib.sha256(raw).hexdigest())

    def hours(
        self, regions: Iterable[str], first_end: datetime, count: int, logs: int = 2, account: str | None = None
    ) -> None:
        """`count` consecutive hours in every region (regions in parallel: chains are independent)."""

        def one(region: str) -> None:
            for h in range(count):
                self.hour(region, first_end + HOUR * h, logs, account)

        with ThreadPoolExecutor(8) as pool:
            list(pool.map(one, list(regions)))

    def read_digest(self, key: str) -> dict:
        return json.loads(gzip.decompress(self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()))

"""Where scan history lives: a small store interface (list, read, create-only write) per destination.

A store never overwrites and never deletes: `create` refuses an existing key, so the only write a
scanner makes is a new object. Keys are relative to the destination's prefix and use `/`.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from auditkit.policies.errors import ConfigError

ALLOWED = (
    "a local directory, s3://BUCKET/PREFIX, gs://BUCKET/PREFIX or an Azure container URL "
    "https://ACCOUNT.blob.core.windows.net/CONTAINER/PREFIX"
)


class HistoryExists(Exception):
    """The key is already taken: history objects are written once."""


class HistoryStore(Protocol):
    description: str

    def keys(self) -> list[str]:
        """Every key under the prefix ending in .json, sorted."""
        ...

    def read(self, key: str) -> bytes: ...

    def create(self, key: str, data: bytes) -> None:
        """Write a new object; raise HistoryExists if the key is taken."""
        ...

    def location(self, key: str) -> str:
        """Where the stored report is: a path for a local folder, the object's URI for a bucket or container."""
        ...


def object_name(prefix: str, key: str) -> str:
    return f"{prefix}/{key}" if prefix else key


def _relative(prefix: str, name: str) -> str:
    return name[len(prefix) + 1 :] if prefix else name


class LocalStore:
    def __init__(self, root: str) -> None:
        self.root = Path(root)
        self.description = str(self.root)

    def keys(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(p.relative_to(self.root).as_posix() for p in self.root.rglob("*.json") if p.is_file())

    def read(self, key: str) -> bytes:
        return (self.root / key).read_bytes()

    def location(self, key: str) -> str:
        return str(self.root / key)

    def create(self, key: str, data: bytes) -> None:
        path = self.root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written whole under a temporary name, then linked into place: a link fails rather than replace
        # an existing report, and a concurrent reader never sees a half-written one (a partial previous
        # link would be hashed into the next). The temporary name does not end in .json: never a key.
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
        try:
            tmp.write_bytes(data)
            try:
                os.link(tmp, path)
            except FileExistsError:
                raise
            except OSError:  # a file system without hard links (FAT, some shares): create-only in place
                with open(path, "xb") as fh:
                    fh.write(data)
        except FileExistsError:
            raise HistoryExists(key) from None
        finally:
            tmp.unlink(missing_ok=True)


class S3Store:
    """s3://bucket/prefix. Needs s3:ListBucket (prefix-scoped), s3:GetObject and s3:PutObject on prefix/*."""

    def __init__(self, bucket: str, prefix: str) -> None:
        import boto3

        self.bucket, self.prefix = bucket, prefix
        self.description = f"s3://{bucket}/{prefix}".rstrip("/")
        self.client = boto3.client("s3")

    def keys(self) -> list[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=f"{self.prefix}/" if self.prefix else ""
        )
        names = [o["Key"] for page in pages for o in page.get("Contents", [])]
        return sorted(_relative(self.prefix, n) for n in names if n.endswith(".json"))

    def location(self, key: str) -> str:
        return f"s3://{self.bucket}/{object_name(self.prefix, key)}"

    def read(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.bucket, Key=object_name(self.prefix, key))["Body"].read()

    def create(self, key: str, data: bytes) -> None:
        from botocore.exceptions import ClientError

        try:
            # IfNoneMatch="*": S3's conditional write, so a concurrent writer cannot replace a link.
            # SHA-256 checksum: Object Lock buckets require an integrity checksum on PutObject.
            self.client.put_object(
                Bucket=self.bucket,
                Key=object_name(self.prefix, key),
                Body=data,
                ContentType="application/json",
                ChecksumAlgorithm="SHA256",
                IfNoneMatch="*",
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("PreconditionFailed", "ConditionalRequestConflict"):
                raise HistoryExists(key) from None
            raise


class GcsStore:
    """gs://bucket/prefix via google-cloud-storage. Needs storage.objects.list, get and create."""

    def __init__(self, bucket: str, prefix: str, client: Any | None = None) -> None:
        from google.cloud import storage

        self.prefix = prefix
        self.description = f"gs://{bucket}/{prefix}".rstrip("/")
        self.client = client or storage.Client()
        self.bucket = self.client.bucket(bucket)

    def keys(self) -> list[str]:
        blobs = self.client.list_blobs(self.bucket, prefix=f"{self.prefix}/" if self.prefix else None)
        return sorted(_relative(self.prefix, b.name) for b in blobs if b.name.endswith(".json"))

    def location(self, key: str) -> str:
        return f"gs://{self.bucket.name}/{object_name(self.prefix, key)}"

    def read(self, key: str) -> bytes:
        return self.bucket.blob(object_name(self.prefix, key)).download_as_bytes()

    def create(self, key: str, data: bytes) -> None:
        from google.api_core.exceptions import PreconditionFailed

        try:
            # if_generation_match=0: only succeeds when no live object has this name.
            self.bucket.blob(object_name(self.prefix, key)).upload_from_string(
                data, content_type="application/json", if_generation_match=0
            )
        except PreconditionFailed:
            raise HistoryExists(key) from None


class AzureBlobStore:
    """An Azure container URL (+ prefix) via azure-storage-blob and DefaultAzureCredential."""

    def __init__(self, container_url: str, prefix: str, credential: Any | None = None, **client_kwargs: Any) -> None:
        from azure.storage.blob import ContainerClient

        if credential is None:
            from azure.identity import DefaultAzureCredential

            credential = DefaultAzureCredential()
        self.prefix = prefix
        self.description = f"{container_url}/{prefix}".rstrip("/")
        self.container = ContainerClient.from_container_url(container_url, credential=credential, **client_kwargs)

    def keys(self) -> list[str]:
        names = self.container.list_blob_names(name_starts_with=f"{self.prefix}/" if self.prefix else None)
        return sorted(_relative(self.prefix, n) for n in names if n.endswith(".json"))

    def location(self, key: str) -> str:
        return f"{self.container.url.rstrip('/')}/{object_name(self.prefix, key)}"

    def read(self, key: str) -> bytes:
        return self.container.download_blob(object_name(self.prefix, key)).readall()

    def create(self, key: str, data: bytes) -> None:
        from azure.core.exceptions import ResourceExistsError

        try:
            self.container.upload_blob(object_name(self.prefix, key), data, overwrite=False)
        except ResourceExistsError:
            raise HistoryExists(key) from None


def _split(path: str) -> tuple[str, str]:
    bucket, _, prefix = path.partition("/")
    return bucket, prefix.strip("/")


def _azure(dest: str, option: str) -> HistoryStore:
    parts = urlsplit(dest)
    segments = [s for s in parts.path.split("/") if s]
    host = parts.hostname or ""
    try:
        ipaddress.ip_address(host)
        path_style = True  # Azurite/emulator style: https://127.0.0.1:10000/ACCOUNT/CONTAINER/...
    except ValueError:
        path_style = host == "localhost"
    if not path_style and not host.endswith(".blob.core.windows.net") and ".blob." not in host:
        raise ConfigError(option, dest, ALLOWED, "not a blob service URL")
    head = 2 if path_style else 1
    if len(segments) < head:
        raise ConfigError(option, dest, ALLOWED, "no container in the URL")
    base = f"{parts.scheme}://{parts.netloc}/" + "/".join(segments[:head])
    verify = os.environ.get("AUDITKIT_AZURE_CA_BUNDLE")  # a private endpoint's or an emulator's CA
    return AzureBlobStore(base, "/".join(segments[head:]), **({"connection_verify": verify} if verify else {}))


def open_store(dest: str, option: str = "--history") -> HistoryStore:
    """The store for a --history value; a ConfigError names what is allowed, before any cloud call."""
    if not dest or not dest.strip():
        raise ConfigError(option, dest, ALLOWED)
    if dest.startswith("s3://") or dest.startswith("gs://"):
        bucket, prefix = _split(dest[5:])
        if not bucket:
            raise ConfigError(option, dest, ALLOWED, "no bucket name")
        return S3Store(bucket, prefix) if dest.startswith("s3://") else GcsStore(bucket, prefix)
    if dest.startswith("https://"):
        return _azure(dest, option)
    if "://" in dest:
        raise ConfigError(option, dest, ALLOWED, f"unknown scheme {dest.split('://', 1)[0]!r}")
    return LocalStore(dest)

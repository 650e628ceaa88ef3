"""Where scan history lives: a small store interface (list, read, create-only write) per destination.

A store never overwrites and never deletes: `create` refuses an existing key, so the only write a
scanner makes is a new object. Keys are relative to the destination's prefix and use `/`.

Every cloud call runs as the scans' calls do (auditors/failures.py): bounded as a whole (retries and body
read included), an answer cut short or empty asked again, listings paged under the repeated-token guard;
what still fails is StoreUnreadable naming the operation and object, never an empty history or a hang.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol, TypeVar
from urllib.parse import urlsplit

from auditkit.auditors.failures import (
    DEFAULT_TIMEOUT,
    Classifier,
    Failure,
    IncompleteAnswer,
    Limits,
    every_page,
    fetch,
    pages,
)
from auditkit.policies.errors import ConfigError

T = TypeVar("T")
Broken = tuple[type[BaseException], ...]

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


class StoreUnreadable(Exception):
    """A history call that did not end in a whole answer: denied, unreachable, cut short, a listing that
    never ends, or past its deadline. The message names the operation, the object and the cause."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.describe())
        self.failure = failure


# One history call may take this long, its retries and body read included: a drip or an endpoint that never
# answers ends here with StoreUnreadable, never a hang (see auditors/failures.py).
STORE_CALL_SECONDS = DEFAULT_TIMEOUT * 3


def bounded(
    call: Callable[[], T], operation: str, resource: str, classify: Classifier, limits: Limits, broken: Broken = ()
) -> T:
    """`call()` within `limits`, an answer that arrived broken asked again; StoreUnreadable if it failed."""
    value, failure = fetch(call, operation, "", resource, classify, (), limits, broken)
    if failure is not None:
        raise StoreUnreadable(failure)
    return value  # type: ignore[return-value]  # no `absent` codes: no failure means a value


class S3Store:
    """s3://bucket/prefix. Needs s3:ListBucket (prefix-scoped), s3:GetObject and s3:PutObject on prefix/*."""

    def __init__(self, bucket: str, prefix: str, limits: Limits | None = None) -> None:
        import boto3

        from auditkit.auditors.aws.clients import client_config, guard_client

        self.bucket, self.prefix = bucket, prefix
        self.description = f"s3://{bucket}/{prefix}".rstrip("/")
        self.client = guard_client(boto3.client("s3", config=client_config()))
        self.limits = limits or Limits(STORE_CALL_SECONDS)

    def _call(self, call: Callable[[], T], operation: str, key: str = "", retry: bool = True) -> T:
        from auditkit.auditors.aws.clients import BROKEN, classify

        where = f"s3://{self.bucket}/{object_name(self.prefix, key)}"
        return bounded(call, operation, where, classify, self.limits, BROKEN if retry else ())

    def keys(self) -> list[str]:
        def listing() -> list[str]:
            prefix = f"{self.prefix}/" if self.prefix else ""
            found = pages(
                self.client.list_objects_v2,
                "ContinuationToken",
                "NextContinuationToken",
                Bucket=self.bucket,
                Prefix=prefix,
            )
            return [o["Key"] for page in found for o in page.get("Contents", [])]

        names = self._call(listing, "ListObjectsV2")
        return sorted(_relative(self.prefix, n) for n in names if n.endswith(".json"))

    def location(self, key: str) -> str:
        return f"s3://{self.bucket}/{object_name(self.prefix, key)}"

    def read(self, key: str) -> bytes:
        # botocore's StreamingBody refuses a body shorter than its Content-Length (IncompleteReadError: asked again)
        get = self.client.get_object
        return self._call(
            lambda: get(Bucket=self.bucket, Key=object_name(self.prefix, key))["Body"].read(), "GetObject", key
        )

    def head(self, key: str) -> dict[str, Any]:
        head = self.client.head_object
        return dict(self._call(lambda: head(Bucket=self.bucket, Key=object_name(self.prefix, key)), "HeadObject", key))

    def create(self, key: str, data: bytes) -> None:
        from botocore.exceptions import ClientError

        def put() -> bool:
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
                    return False
                raise
            return True

        # Never asked again by us: a write whose answer was lost may have landed, and a second try would
        # read as another writer's link (botocore retries only what never reached S3).
        if not self._call(put, "PutObject", key, retry=False):
            raise HistoryExists(key)


class GcsStore:
    """gs://bucket/prefix via google-cloud-storage. Needs storage.objects.list, get and create."""

    def __init__(self, bucket: str, prefix: str, client: Any | None = None, limits: Limits | None = None) -> None:
        from google.cloud import storage

        self.prefix = prefix
        self.description = f"gs://{bucket}/{prefix}".rstrip("/")
        from auditkit.auditors.gcp.calls import whole_answers

        self.client = client or storage.Client()
        whole_answers(self.client._http, media="/download/")  # an empty or cut listing is asked again
        self.bucket = self.client.bucket(bucket)
        self.limits = limits or Limits(STORE_CALL_SECONDS)

    def _call(self, call: Callable[[], T], operation: str, key: str = "", retry: bool = True) -> T:
        from google.resumable_media.common import DataCorruption

        from auditkit.auditors.gcp.calls import TRANSIENT, classify

        # ValueError: an empty or cut JSON answer; DataCorruption: a download whose MD5 does not match.
        broken = (*TRANSIENT, ValueError, DataCorruption) if retry else ()
        where = f"gs://{self.bucket.name}/{object_name(self.prefix, key)}"
        return bounded(call, operation, where, classify, self.limits, broken)

    def blobs(self) -> list[Any]:
        """Every object under the prefix with its metadata (objects.list, every page, under the page guard)."""

        def listing() -> list[Any]:
            found = self.client.list_blobs(
                self.bucket, prefix=f"{self.prefix}/" if self.prefix else None, timeout=DEFAULT_TIMEOUT, retry=None
            )
            return [b for page in every_page(found.pages, lambda: found.next_page_token) for b in page]

        return self._call(listing, "objects.list")

    def keys(self) -> list[str]:
        return sorted(_relative(self.prefix, b.name) for b in self.blobs() if b.name.endswith(".json"))

    def location(self, key: str) -> str:
        return f"gs://{self.bucket.name}/{object_name(self.prefix, key)}"

    def read(self, key: str) -> bytes:
        blob = self.bucket.blob(object_name(self.prefix, key))
        return self._call(lambda: blob.download_as_bytes(timeout=DEFAULT_TIMEOUT, retry=None), "objects.get", key)

    def bucket_locked(self) -> bool:
        """Whether the bucket's retention policy is locked (buckets.get)."""
        self._call(lambda: self.bucket.reload(timeout=DEFAULT_TIMEOUT, retry=None), "buckets.get")
        return bool(self.bucket.retention_policy_locked)

    def create(self, key: str, data: bytes) -> None:
        from google.api_core.exceptions import PreconditionFailed

        blob = self.bucket.blob(object_name(self.prefix, key))

        def upload() -> bool:
            try:
                # if_generation_match=0: only succeeds when no live object has this name.
                blob.upload_from_string(
                    data, content_type="application/json", if_generation_match=0, timeout=DEFAULT_TIMEOUT
                )
            except PreconditionFailed:
                return False
            return True

        if not self._call(upload, "objects.insert", key, retry=False):
            raise HistoryExists(key)


class AzureBlobStore:
    """An Azure container URL (+ prefix) via azure-storage-blob and DefaultAzureCredential."""

    def __init__(
        self,
        container_url: str,
        prefix: str,
        credential: Any | None = None,
        limits: Limits | None = None,
        **client_kwargs: Any,
    ) -> None:
        from azure.storage.blob import ContainerClient

        if credential is None:
            from azure.identity import DefaultAzureCredential

            credential = DefaultAzureCredential()
        self.prefix = prefix
        self.description = f"{container_url}/{prefix}".rstrip("/")
        # azure-core's defaults (10 retries, 300 s reads) would keep one unanswered call for an hour.
        timeouts = {"connection_timeout": 5, "read_timeout": DEFAULT_TIMEOUT, "retry_total": 2}
        self.container = ContainerClient.from_container_url(
            container_url, credential=credential, **{**timeouts, **client_kwargs}
        )
        self.limits = limits or Limits(STORE_CALL_SECONDS)

    def _call(self, call: Callable[[], T], operation: str, key: str = "", retry: bool = True) -> T:
        from azure.core.exceptions import DecodeError, IncompleteReadError, ServiceResponseError

        from auditkit.auditors.azure.collect import classify

        broken = (IncompleteAnswer, IncompleteReadError, DecodeError, ServiceResponseError) if retry else ()
        return bounded(call, operation, self.location(key), classify, self.limits, broken)

    def blobs(self, include: list[str] | None = None) -> list[Any]:
        """Every blob under the prefix (List Blobs, every page, under the page guard)."""

        def listing() -> list[Any]:
            prefix = f"{self.prefix}/" if self.prefix else None
            pager = self.container.list_blobs(name_starts_with=prefix, include=include).by_page()
            return [b for page in every_page(pager, lambda: getattr(pager, "continuation_token", None)) for b in page]

        return self._call(listing, "List Blobs")

    def keys(self) -> list[str]:
        return sorted(_relative(self.prefix, b.name) for b in self.blobs() if b.name.endswith(".json"))

    def location(self, key: str) -> str:
        return f"{self.container.url.rstrip('/')}/{object_name(self.prefix, key)}"

    def read(self, key: str) -> bytes:
        def download() -> bytes:
            stream = self.container.download_blob(object_name(self.prefix, key))
            data = stream.readall()
            if len(data) != stream.size:
                raise IncompleteAnswer(f"Get Blob {key}: {len(data)} of the blob's {stream.size} bytes arrived")
            return bytes(data)

        return self._call(download, "Get Blob", key)

    def container_has_policy(self) -> bool:
        """Whether the container carries a container-level immutability policy (Get Container Properties)."""
        return bool(
            self._call(self.container.get_container_properties, "Get Container Properties").has_immutability_policy
        )

    def create(self, key: str, data: bytes) -> None:
        from azure.core.exceptions import ResourceExistsError

        def upload() -> bool:
            try:
                self.container.upload_blob(object_name(self.prefix, key), data, overwrite=False)
            except ResourceExistsError:
                return False
            return True

        if not self._call(upload, "Put Blob", key, retry=False):
            raise HistoryExists(key)


def _split(path: str) -> tuple[str, str]:
    bucket, _, prefix = path.partition("/")
    return bucket, prefix.strip("/")


def _azure(dest: str, option: str, limits: Limits | None) -> HistoryStore:
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
    extra = {"connection_verify": verify} if verify else {}
    return AzureBlobStore(base, "/".join(segments[head:]), limits=limits, **extra)


def open_store(dest: str, option: str = "--history", limits: Limits | None = None) -> HistoryStore:
    """The store for a --history value; a ConfigError names what is allowed, before any cloud call.

    `limits`: each call's bound and the run's deadline (default: STORE_CALL_SECONDS a call, no run deadline).
    """
    if not dest or not dest.strip():
        raise ConfigError(option, dest, ALLOWED)
    if dest.startswith("s3://") or dest.startswith("gs://"):
        bucket, prefix = _split(dest[5:])
        if not bucket:
            raise ConfigError(option, dest, ALLOWED, "no bucket name")
        return S3Store(bucket, prefix, limits) if dest.startswith("s3://") else GcsStore(bucket, prefix, limits=limits)
    if dest.startswith("https://"):
        return _azure(dest, option, limits)
    if "://" in dest:
        raise ConfigError(option, dest, ALLOWED, f"unknown scheme {dest.split('://', 1)[0]!r}")
    return LocalStore(dest)

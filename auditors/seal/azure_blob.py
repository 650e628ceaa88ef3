"""An Azure Blob container as a sealed archive, through azure-storage-blob.

List Blobs (learn.microsoft.com/rest/api/storageservices/list-blobs) gives each blob's Creation-Time,
Last-Modified, Etag (changed by every write, appended blocks included), Content-Length, Content-MD5 (set
for blobs uploaded whole; Azure Monitor's append blobs have none) and BlobType, 5,000 a page. An append
blob can grow until Azure Monitor moves on to the next hour's blob, unless it is sealed (x-ms-blob-sealed).
Data-plane roles: read and list the container (Storage Blob Data Reader); the sealer also creates blobs
under auditkit-seals/, with If-None-Match: * (never replacing one).
"""

from __future__ import annotations

import base64
from datetime import timezone
from typing import Any

from auditkit.auditors.failures import ARCHIVE_MAX_PAGES, every_page
from auditkit.auditors.seal.archive import Listing, SealExists, Usage, hash_content, split_listing
from auditkit.policies.integrity.leaves import ArchiveObject

PAGE = 5000


def archive_object(props: Any) -> ArchiveObject:
    md5 = props.content_settings.content_md5 if props.content_settings else None
    if props.etag is None or props.size is None or props.creation_time is None:
        raise ValueError(f"List Blobs item {props.name!r} lacks Etag, Content-Length or Creation-Time")
    created = props.creation_time.astimezone(timezone.utc)
    blob_type = str(getattr(props.blob_type, "value", props.blob_type))
    return ArchiveObject(
        props.name,
        str(props.etag).strip('"'),  # List Blobs gives it bare, Get Blob Properties quoted
        int(props.size),
        f"md5:{base64.b64encode(bytes(md5)).decode()}" if md5 else None,
        created,
        (props.last_modified or created).astimezone(timezone.utc),
        appendable=blob_type == "AppendBlob" and not props.is_append_blob_sealed,
    )


class BlobArchive:
    def __init__(self, container: Any, timeout: float) -> None:
        self.container, self.timeout = container, timeout  # an azure.storage.blob.ContainerClient
        self.uri = container.url.rstrip("/")
        self.usage = Usage()

    def list_all(self) -> Listing:
        objects = []
        pager = self.container.list_blobs(results_per_page=PAGE, timeout=self.timeout).by_page()
        for page in every_page(pager, lambda: getattr(pager, "continuation_token", None), ARCHIVE_MAX_PAGES):
            found = [archive_object(p) for p in page]
            self.usage.add(list_pages=1, objects_listed=len(found))
            objects += found
        return split_listing(objects)

    def read(self, name: str) -> bytes:
        self.usage.add(seal_reads=1)
        return bytes(self.container.download_blob(name, timeout=self.timeout).readall())

    def create(self, name: str, data: bytes) -> None:
        from azure.core.exceptions import ResourceExistsError
        from azure.storage.blob import ContentSettings

        try:
            self.container.upload_blob(
                name,
                data,
                overwrite=False,
                content_settings=ContentSettings(content_type="application/json"),
                timeout=self.timeout,
            )
        except ResourceExistsError:
            raise SealExists(name) from None
        self.usage.add(writes=1)

    def content_hash(self, obj: ArchiveObject, kind: str) -> str:
        from azure.core import MatchConditions

        # This version exactly: If-Match on the ETag the leaf records, so a concurrent write cannot slip in.
        stream = self.container.download_blob(
            obj.name, etag=f'"{obj.version}"', match_condition=MatchConditions.IfNotModified, timeout=self.timeout
        )
        self.usage.add(content_reads=1)
        return hash_content(bytes(stream.readall()), kind)

    def get(self, name: str) -> ArchiveObject | None:
        from azure.core.exceptions import ResourceNotFoundError

        try:
            return archive_object(self.container.get_blob_client(name).get_blob_properties(timeout=self.timeout))
        except ResourceNotFoundError:
            return None

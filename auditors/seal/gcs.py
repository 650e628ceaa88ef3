"""A Cloud Storage bucket as a sealed archive, through google-cloud-storage.

Listing asks only for the fields a leaf needs (objects.list `fields`), 1,000 objects a page, the API's
maximum. Object fields (cloud.google.com/storage/docs/json_api/v1/objects#resource): generation (a new
one for every write), size, md5Hash (absent for composite objects), crc32c, timeCreated, updated.
Permissions: storage.objects.list and storage.objects.get on the bucket; storage.objects.create for the
sealer, whose writes use ifGenerationMatch=0 (create only, never replace).
"""

from __future__ import annotations

from datetime import timezone
from typing import Any

from auditkit.auditors.failures import ARCHIVE_MAX_PAGES, every_page
from auditkit.auditors.seal.archive import Listing, SealExists, Usage, hash_content, split_listing
from auditkit.policies.integrity.leaves import ArchiveObject

FIELDS = "items(name,generation,size,md5Hash,crc32c,timeCreated,updated),nextPageToken"
PAGE = 1000


def archive_object(blob: Any) -> ArchiveObject:
    digest = f"md5:{blob.md5_hash}" if blob.md5_hash else f"crc32c:{blob.crc32c}" if blob.crc32c else None
    if blob.generation is None or blob.size is None or blob.time_created is None:
        raise ValueError(f"objects.list item {blob.name!r} lacks generation, size or timeCreated")
    created = blob.time_created.astimezone(timezone.utc)
    return ArchiveObject(
        blob.name,
        str(blob.generation),
        int(blob.size),
        digest,
        created,
        (blob.updated or created).astimezone(timezone.utc),
    )


class GcsArchive:
    def __init__(self, client: Any, bucket: str, timeout: float) -> None:
        self.client, self.timeout = client, timeout
        self.bucket = client.bucket(bucket)
        self.uri = f"gs://{bucket}"
        self.usage = Usage()

    def list_all(self) -> Listing:
        listed = self.client.list_blobs(self.bucket, fields=FIELDS, page_size=PAGE, timeout=self.timeout)
        objects = []
        for page in every_page(listed.pages, lambda: listed.next_page_token, ARCHIVE_MAX_PAGES):
            found = [archive_object(b) for b in page]
            self.usage.add(list_pages=1, objects_listed=len(found))
            objects += found
        return split_listing(objects)

    def read(self, name: str) -> bytes:
        self.usage.add(seal_reads=1)
        return bytes(self.bucket.blob(name).download_as_bytes(timeout=self.timeout))

    def create(self, name: str, data: bytes) -> None:
        from google.api_core.exceptions import PreconditionFailed

        try:
            self.bucket.blob(name).upload_from_string(
                data, content_type="application/json", if_generation_match=0, timeout=self.timeout
            )
        except PreconditionFailed:
            raise SealExists(name) from None
        self.usage.add(writes=1)

    def content_hash(self, obj: ArchiveObject, kind: str) -> str:
        # This generation exactly, and no client-side checksum: a mismatch is a finding, not an exception.
        blob = self.bucket.blob(obj.name, generation=int(obj.version))
        data = blob.download_as_bytes(checksum=None, timeout=self.timeout)
        self.usage.add(content_reads=1)
        return hash_content(bytes(data), kind)

    def get(self, name: str) -> ArchiveObject | None:
        blob = self.bucket.get_blob(name, timeout=self.timeout)
        return archive_object(blob) if blob is not None else None

"""The embedded ObjectStore: blobs on local disk under ``<home>/objects``, key index in the store.

A write goes: stream into a temporary file -> fsync -> rename into ``blobs/`` -> commit the index
row -> unlink the replaced version's blob. Readers find blobs only through committed rows, so a
half-written object is never visible, and a crash at any point leaves the previous version intact
(the orphaned files are swept at the next start). Blobs are immutable, so a reader that opened one
keeps reading the version it opened, and copies are hard links.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Callable, Sequence
from functools import partial
from itertools import pairwise
from pathlib import Path

from drydock.core.clock import utcnow
from drydock.objects.blobs import BlobDirectory
from drydock.objects.failures import (
    MAX_PART_NUMBER,
    MIN_PART_SIZE,
    entity_too_small,
    invalid_argument,
    invalid_part,
    invalid_part_order,
    malformed_xml,
)
from drydock.objects.index import ObjectIndex
from drydock.objects.listing import list_page
from drydock.objects.model import (
    BucketInfo,
    ByteRange,
    CompletedPart,
    DeleteOutcome,
    ObjectInfo,
    ObjectListing,
    ObjectMetadata,
    ObjectReader,
    PartInfo,
    PartListing,
    UploadInfo,
    UploadListing,
    WriteCondition,
)
from drydock.objects.names import check_bucket_name, check_key
from drydock.objects.port import Source
from drydock.objects.upload_index import UploadIndex
from drydock.store.database import Database

#: How often a reader retries when the version it looked up was replaced before it opened the blob.
_OPEN_ATTEMPTS = 5


class EmbeddedObjectStore:
    """Implements :class:`drydock.objects.port.ObjectStore`. Thread-safe.

    Construct it once per home directory, before any write: construction sweeps files that no
    index row names (what a crash leaves behind).
    """

    def __init__(self, root: Path, db: Database) -> None:
        self.root = root
        self.blobs = BlobDirectory(root)
        self.index = ObjectIndex(db)
        self.uploads = UploadIndex(self.index)
        self.blobs.sweep(self.index.referenced_blobs())

    # --- buckets --------------------------------------------------------------------------------

    def create_bucket(self, bucket: str, region: str = "us-east-1") -> BucketInfo:
        check_bucket_name(bucket)
        return self.index.create_bucket(bucket, region or "us-east-1", _now())

    def head_bucket(self, bucket: str) -> BucketInfo:
        return self.index.bucket(bucket)

    def list_buckets(self) -> list[BucketInfo]:
        return self.index.buckets()

    def delete_bucket(self, bucket: str) -> None:
        for blob in self.index.delete_bucket(bucket):
            self.blobs.remove(blob)

    # --- objects --------------------------------------------------------------------------------

    def put_object(
        self,
        bucket: str,
        key: str,
        source: Source,
        metadata: ObjectMetadata | None = None,
        condition: WriteCondition | None = None,
    ) -> ObjectInfo:
        check_key(key)
        self.index.bucket(bucket)  # fail before the body is read
        blob = self.blobs.write(source)
        info = ObjectInfo(bucket, key, blob.size, f'"{blob.md5.hex()}"', _now(), metadata or ObjectMetadata())
        self._commit(partial(self.index.replace, info, blob.id, condition), blob.id)
        return info

    def get_object(self, bucket: str, key: str, byte_range: ByteRange | None = None) -> ObjectReader:
        for _ in range(_OPEN_ATTEMPTS):
            info, blob = self.index.get(bucket, key)
            try:
                stream = self.blobs.path(blob).open("rb")
            except FileNotFoundError:
                continue  # overwritten between the lookup and the open: look up the new version
            try:
                span = None if byte_range is None else byte_range.resolve(info.size)
                if span is not None:
                    stream.seek(span[0])
            except BaseException:
                stream.close()
                raise
            return ObjectReader(info, stream, span)
        raise RuntimeError(f"{bucket}/{key} kept changing while it was being opened")

    def head_object(self, bucket: str, key: str) -> ObjectInfo:
        return self.index.get(bucket, key)[0]

    def delete_object(self, bucket: str, key: str) -> None:
        for blob in self.index.delete(bucket, [key]):
            self.blobs.remove(blob)

    def delete_objects(self, bucket: str, keys: Sequence[str]) -> list[DeleteOutcome]:
        for blob in self.index.delete(bucket, list(keys)):
            self.blobs.remove(blob)
        return [DeleteOutcome(key) for key in keys]

    def copy_object(
        self,
        source_bucket: str,
        source_key: str,
        bucket: str,
        key: str,
        metadata: ObjectMetadata | None = None,
        condition: WriteCondition | None = None,
    ) -> ObjectInfo:
        check_key(key)
        self.index.bucket(bucket)
        for _ in range(_OPEN_ATTEMPTS):
            source, source_blob = self.index.get(source_bucket, source_key)
            try:
                blob = self.blobs.link(source_blob)
            except FileNotFoundError:
                continue
            info = ObjectInfo(
                bucket,
                key,
                source.size,
                source.etag,
                _now(),
                source.metadata if metadata is None else metadata,
                source.parts_count,
            )
            self._commit(partial(self.index.replace, info, blob, condition), blob)
            return info
        raise RuntimeError(f"{source_bucket}/{source_key} kept changing while it was being copied")

    def list_objects(
        self,
        bucket: str,
        prefix: str = "",
        delimiter: str = "",
        start_after: str = "",
        max_keys: int = 1000,
    ) -> ObjectListing:
        self.index.bucket(bucket)
        return list_page(partial(self.index.fetch, bucket), prefix, delimiter, start_after, max_keys)

    def local_path(self, bucket: str, key: str) -> Path | None:
        return self.blobs.path(self.index.get(bucket, key)[1])

    # --- multipart uploads ------------------------------------------------------------------------

    def create_multipart_upload(self, bucket: str, key: str, metadata: ObjectMetadata | None = None) -> UploadInfo:
        check_key(key)
        upload = UploadInfo(bucket, key, secrets.token_urlsafe(48), _now(), metadata or ObjectMetadata())
        self.uploads.create(upload)
        return upload

    def upload_part(self, bucket: str, key: str, upload_id: str, part_number: int, source: Source) -> PartInfo:
        if not 1 <= part_number <= MAX_PART_NUMBER:
            raise invalid_argument("Part number must be an integer between 1 and 10000, inclusive")
        self.uploads.get(bucket, key, upload_id)  # fail before the body is read
        blob = self.blobs.write(source)
        part = PartInfo(part_number, blob.size, f'"{blob.md5.hex()}"', _now())
        self._commit(partial(self.uploads.put_part, bucket, key, upload_id, part, blob.id), blob.id)
        return part

    def list_parts(
        self, bucket: str, key: str, upload_id: str, part_number_marker: int = 0, max_parts: int = 1000
    ) -> PartListing:
        self.uploads.get(bucket, key, upload_id)
        rows = self.uploads.parts(upload_id, part_number_marker, max(max_parts, 0) + 1)
        parts = [part for part, _blob in rows[:max_parts]]
        truncated = len(rows) > max_parts
        return PartListing(parts, truncated, parts[-1].part_number if truncated and parts else None)

    def complete_multipart_upload(
        self,
        bucket: str,
        key: str,
        upload_id: str,
        parts: Sequence[CompletedPart],
        condition: WriteCondition | None = None,
    ) -> ObjectInfo:
        upload = self.uploads.get(bucket, key, upload_id)
        if not parts:
            raise malformed_xml("You must specify at least one part")
        numbers = [part.part_number for part in parts]
        if any(b <= a for a, b in pairwise(numbers)):
            raise invalid_part_order()
        stored = {part.part_number: (part, blob) for part, blob in self.uploads.parts(upload_id)}
        chosen: list[tuple[PartInfo, str]] = []
        for asked in parts:
            found = stored.get(asked.part_number)
            if found is None or found[0].etag.strip('"') != asked.etag.strip().strip('"'):
                raise invalid_part(asked.part_number)
            chosen.append(found)
        for part, _blob in chosen[:-1]:
            if part.size < MIN_PART_SIZE:
                raise entity_too_small(part.part_number)
        digest = hashlib.md5(usedforsecurity=False)
        for part, _blob in chosen:
            digest.update(bytes.fromhex(part.etag.strip('"')))
        try:
            blob = self.blobs.concatenate(blob for _part, blob in chosen)
        except FileNotFoundError:
            raise invalid_part(chosen[0][0].part_number) from None  # replaced while completing
        etag = f'"{digest.hexdigest()}-{len(chosen)}"'
        info = ObjectInfo(bucket, key, blob.size, etag, _now(), upload.metadata, len(chosen))
        try:
            old, part_blobs = self.uploads.complete(upload, info, blob.id, condition)
        except BaseException:
            self.blobs.remove(blob.id)
            raise
        for garbage in [old, *part_blobs]:
            self.blobs.remove(garbage)
        return info

    def abort_multipart_upload(self, bucket: str, key: str, upload_id: str) -> None:
        self.uploads.get(bucket, key, upload_id)
        for blob in self.uploads.abort(upload_id):
            self.blobs.remove(blob)

    def list_multipart_uploads(
        self,
        bucket: str,
        prefix: str = "",
        key_marker: str = "",
        upload_id_marker: str = "",
        max_uploads: int = 1000,
    ) -> UploadListing:
        uploads = self.uploads.uploads(bucket, prefix)
        if key_marker:
            uploads = _after_marker(uploads, key_marker, upload_id_marker)
        page = uploads[: max(max_uploads, 0)]
        truncated = len(uploads) > len(page)
        last = page[-1] if truncated and page else None
        return UploadListing(page, [], truncated, last.key if last else None, last.upload_id if last else None)

    def close(self) -> None:
        """Nothing to release: the database belongs to the caller, files are opened per call."""

    def _commit(self, commit: Callable[[], str | None], blob: str) -> None:
        """Run the index transaction that makes ``blob`` current; then drop what it replaced."""
        try:
            replaced = commit()
        except BaseException:
            self.blobs.remove(blob)
            raise
        self.blobs.remove(replaced)


def _after_marker(uploads: list[UploadInfo], key_marker: str, upload_id_marker: str) -> list[UploadInfo]:
    """Uploads after the markers. Within one key they are in initiation order, so a marker this
    store handed out resumes right after that upload; any other upload-id-marker keeps the uploads of
    the marker key whose ID sorts after it (S3 API reference, ListMultipartUploads)."""
    for position, upload in enumerate(uploads):
        if upload_id_marker and (upload.key, upload.upload_id) == (key_marker, upload_id_marker):
            return uploads[position + 1 :]
    return [
        u
        for u in uploads
        if u.key > key_marker or (u.key == key_marker and upload_id_marker and u.upload_id > upload_id_marker)
    ]


def _now() -> dt.datetime:
    # S3 keeps times to the second (Last-Modified, If-Modified-Since compare at that precision).
    return utcnow().replace(microsecond=0)

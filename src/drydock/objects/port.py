"""The ObjectStore port: an S3-shaped store of buckets and keys, one local and one remote flavour.

Conventions every implementation keeps (the contract suite checks them):

- **Errors** are ``drydock.errors.S3Error`` with S3's own codes (``NoSuchBucket``, ``NoSuchKey``,
  ``NoSuchUpload``, ``InvalidPart``, ...), built by ``drydock.objects.failures``.
- **Atomicity**: a write becomes visible whole or not at all. A reader never sees a half-written
  object, an overwrite replaces the old bytes in one step, and a writer that fails (or a process that
  dies) midway leaves the previous version, or the absence of one, untouched.
- **Thread-safety**: every method may be called from many threads at once. Methods block (disk or
  network I/O): async callers run them on worker threads.
- **Ownership**: streams passed in stay the caller's (the store reads them to their end but does not
  close them); an :class:`ObjectReader` handed out becomes the caller's, who must close it.
- **Order**: listings are in UTF-8 binary order of keys, as S3's are.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO, Protocol

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

#: What a write reads its bytes from: a binary stream read to its end, or a local file.
Source = BinaryIO | Path


class ObjectStore(Protocol):
    # --- buckets --------------------------------------------------------------------------------

    def create_bucket(self, bucket: str, region: str = "us-east-1") -> BucketInfo:
        """Create an empty bucket. Raises ``InvalidBucketName`` for a name S3 rejects and
        ``BucketAlreadyOwnedByYou`` when it exists."""
        ...

    def head_bucket(self, bucket: str) -> BucketInfo:
        """The bucket's name, creation date and region. Raises ``NoSuchBucket``."""
        ...

    def list_buckets(self) -> list[BucketInfo]:
        """Every bucket, sorted by name."""
        ...

    def delete_bucket(self, bucket: str) -> None:
        """Delete an empty bucket, aborting its unfinished multipart uploads. Raises ``NoSuchBucket``,
        or ``BucketNotEmpty`` while any object remains."""
        ...

    # --- objects --------------------------------------------------------------------------------

    def put_object(
        self,
        bucket: str,
        key: str,
        source: Source,
        metadata: ObjectMetadata | None = None,
        condition: WriteCondition | None = None,
    ) -> ObjectInfo:
        """Store ``source``'s bytes under ``key``, atomically replacing any current version.

        The bytes are streamed (never held whole in memory). An exception raised while reading
        ``source`` (a client that disconnects, a checksum found wrong at the end) propagates and
        leaves nothing behind. Raises ``NoSuchBucket`` (checked before ``source`` is read),
        ``InvalidArgument``/``KeyTooLongError`` for a key S3 rejects, ``PreconditionFailed`` when
        ``condition`` does not hold at the moment of commit.
        """
        ...

    def get_object(self, bucket: str, key: str, byte_range: ByteRange | None = None) -> ObjectReader:
        """Open the current version for reading, whole or ``byte_range`` of it. The reader keeps
        serving that version even if the key is overwritten or deleted meanwhile; the caller closes
        it. Raises ``NoSuchBucket``, ``NoSuchKey``, ``InvalidRange`` (unsatisfiable range)."""
        ...

    def head_object(self, bucket: str, key: str) -> ObjectInfo:
        """The current version's size, ETag, time and metadata. Raises ``NoSuchBucket``/``NoSuchKey``."""
        ...

    def delete_object(self, bucket: str, key: str) -> None:
        """Remove ``key``; succeeds when it does not exist (as S3 does). Raises ``NoSuchBucket``."""
        ...

    def delete_objects(self, bucket: str, keys: Sequence[str]) -> list[DeleteOutcome]:
        """Remove many keys; one outcome per key, in order. Raises ``NoSuchBucket``."""
        ...

    def copy_object(
        self,
        source_bucket: str,
        source_key: str,
        bucket: str,
        key: str,
        metadata: ObjectMetadata | None = None,
        condition: WriteCondition | None = None,
    ) -> ObjectInfo:
        """Copy an object inside the store, atomically. ``metadata`` None keeps the source's
        metadata (S3's ``COPY`` directive), otherwise it replaces it (``REPLACE``). Raises
        ``NoSuchBucket``/``NoSuchKey`` for the source, ``NoSuchBucket`` for the destination."""
        ...

    def list_objects(
        self,
        bucket: str,
        prefix: str = "",
        delimiter: str = "",
        start_after: str = "",
        max_keys: int = 1000,
    ) -> ObjectListing:
        """One page of keys that start with ``prefix`` and sort after ``start_after``.

        With a ``delimiter``, keys whose remainder after ``prefix`` contains it are rolled up into
        one common prefix each (ending with the delimiter); a common prefix counts as one entry
        towards ``max_keys`` and is never listed at or before ``start_after``. Raises ``NoSuchBucket``.
        """
        ...

    def local_path(self, bucket: str, key: str) -> Path | None:
        """The file holding the current version's bytes when the store keeps them on this machine
        (the embedded store), else ``None``. The file is immutable: a later write makes a new file,
        so it may be hard-linked or read in place, never written. Raises ``NoSuchBucket``/``NoSuchKey``."""
        ...

    # --- multipart uploads ------------------------------------------------------------------------

    def create_multipart_upload(self, bucket: str, key: str, metadata: ObjectMetadata | None = None) -> UploadInfo:
        """Start an upload whose parts become ``key`` (with ``metadata``) on completion. Raises
        ``NoSuchBucket`` and the key errors of :meth:`put_object`."""
        ...

    def upload_part(self, bucket: str, key: str, upload_id: str, part_number: int, source: Source) -> PartInfo:
        """Store one part (1..10000); uploading a number again replaces that part. Streams like
        :meth:`put_object`. Raises ``NoSuchUpload`` (also when ``bucket``/``key`` do not match the
        upload) and ``InvalidArgument`` for a part number out of range."""
        ...

    def list_parts(
        self, bucket: str, key: str, upload_id: str, part_number_marker: int = 0, max_parts: int = 1000
    ) -> PartListing:
        """The upload's parts numbered above ``part_number_marker``, ascending. Raises ``NoSuchUpload``."""
        ...

    def complete_multipart_upload(
        self,
        bucket: str,
        key: str,
        upload_id: str,
        parts: Sequence[CompletedPart],
        condition: WriteCondition | None = None,
    ) -> ObjectInfo:
        """Assemble the listed parts into ``key`` atomically; its ETag is the MD5 of the parts'
        binary MD5s followed by ``-<number of parts>``. Raises ``NoSuchUpload``, ``InvalidPart``
        (unknown part or wrong ETag), ``InvalidPartOrder`` (not ascending), ``EntityTooSmall`` (a part
        but the last under 5 MiB), ``PreconditionFailed``."""
        ...

    def abort_multipart_upload(self, bucket: str, key: str, upload_id: str) -> None:
        """Discard the upload and its parts. Raises ``NoSuchUpload``."""
        ...

    def list_multipart_uploads(
        self,
        bucket: str,
        prefix: str = "",
        key_marker: str = "",
        upload_id_marker: str = "",
        max_uploads: int = 1000,
    ) -> UploadListing:
        """Unfinished uploads ordered by key, then initiation time. Raises ``NoSuchBucket``."""
        ...

    def close(self) -> None:
        """Release connections and file handles; the store is unusable afterwards."""
        ...


__all__ = ["ObjectStore", "Source"]

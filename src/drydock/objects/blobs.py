"""Immutable blob files on local disk: how the embedded store keeps bytes atomically.

Layout under the store's root::

    tmp/<random>          bytes still arriving; removed at start (a crash leaves only these)
    blobs/<ab>/<abcd...>  complete, fsynced, never modified again; named by a random id

A write streams into ``tmp/`` (the same filesystem, so the final rename is atomic), fsyncs the file,
renames it into ``blobs/`` and fsyncs the directory. Only then does the caller commit the index row
that makes it visible; a blob that no row names (the process died between rename and commit, or
after a commit but before the old version's file was unlinked) is swept at the next start.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import shutil
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from drydock.objects.failures import MAX_PUT_SIZE, entity_too_large

log = logging.getLogger("drydock.objects")

#: Read and write in 1 MiB steps: large enough for throughput, small enough to stream.
CHUNK = 1024 * 1024


@dataclass(frozen=True)
class Blob:
    id: str
    size: int
    #: Binary MD5 of the bytes (S3's single-part ETag, and the input of a multipart ETag).
    md5: bytes


class BlobDirectory:
    """Thread-safe: every write has its own temporary file and every blob its own random name."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.tmp = root / "tmp"
        self.blobs = root / "blobs"
        self.tmp.mkdir(parents=True, exist_ok=True)
        self.blobs.mkdir(parents=True, exist_ok=True)

    def path(self, blob_id: str) -> Path:
        return self.blobs / blob_id[:2] / blob_id

    def write(self, source: BinaryIO | Path, limit: int = MAX_PUT_SIZE) -> Blob:
        """Stream ``source`` into a new blob. On any error (including one raised by ``source``) the
        partial file is removed and the error propagates. Raises ``EntityTooLarge`` past ``limit``."""
        if isinstance(source, Path):
            with source.open("rb") as stream:
                return self.write(stream, limit)
        temp = self._temp_path()
        digest = hashlib.md5(usedforsecurity=False)
        size = 0
        try:
            with temp.open("wb") as out:
                while True:
                    chunk = source.read(CHUNK)
                    if not chunk:
                        break
                    size += len(chunk)
                    if size > limit:
                        raise entity_too_large(size)
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            return self._publish(temp, size, digest.digest())
        except BaseException:
            temp.unlink(missing_ok=True)
            raise

    def concatenate(self, blob_ids: Iterable[str]) -> Blob:
        """A new blob holding the given blobs' bytes one after another (multipart completion).

        Uses ``copy_file_range`` so the kernel copies without the bytes passing through Python. The
        returned ``md5`` is empty: a multipart ETag is computed from the parts' digests instead.
        """
        temp = self._temp_path()
        size = 0
        try:
            with temp.open("wb") as out:
                for blob_id in blob_ids:
                    with self.path(blob_id).open("rb") as part:
                        size += _copy(part, out)
                out.flush()
                os.fsync(out.fileno())
            return self._publish(temp, size, b"")
        except BaseException:
            temp.unlink(missing_ok=True)
            raise

    def link(self, blob_id: str) -> str:
        """A new blob with the same bytes as ``blob_id`` (a hard link: blobs are never modified)."""
        new_id = uuid.uuid4().hex
        target = self.path(new_id)
        target.parent.mkdir(exist_ok=True)
        try:
            os.link(self.path(blob_id), target)
        except OSError:
            # Filesystems without hard links: copy through a temporary file, still atomically.
            with self.path(blob_id).open("rb") as stream:
                return self.write(stream, limit=2**63).id
        _fsync_dir(target.parent)
        return new_id

    def remove(self, blob_id: str | None) -> None:
        """Delete a blob no row names any more; missing files are fine (removal is idempotent)."""
        if blob_id:
            with contextlib.suppress(OSError):
                self.path(blob_id).unlink(missing_ok=True)

    def sweep(self, referenced: set[str]) -> int:
        """Remove every temporary file and every blob not in ``referenced``. Call only while no
        write is in progress (at start). Returns how many files were removed."""
        removed = 0
        for temp in self.tmp.iterdir():
            with contextlib.suppress(OSError):
                if temp.is_dir():
                    shutil.rmtree(temp)
                else:
                    temp.unlink()
                removed += 1
        for shard in self.blobs.iterdir():
            if not shard.is_dir():
                continue
            for blob in shard.iterdir():
                if blob.name not in referenced:
                    with contextlib.suppress(OSError):
                        blob.unlink()
                        removed += 1
        if removed:
            log.info("object store swept %d orphaned files under %s", removed, self.root)
        return removed

    def _temp_path(self) -> Path:
        return self.tmp / f"{uuid.uuid4().hex}.part"

    def _publish(self, temp: Path, size: int, md5: bytes) -> Blob:
        blob_id = uuid.uuid4().hex
        target = self.path(blob_id)
        target.parent.mkdir(exist_ok=True)
        os.rename(temp, target)
        _fsync_dir(target.parent)
        return Blob(blob_id, size, md5)


def _copy(source: BinaryIO, target: BinaryIO) -> int:
    copied = 0
    try:
        while True:
            count = os.copy_file_range(source.fileno(), target.fileno(), 64 * CHUNK)
            if count == 0:
                return copied
            copied += count
    except OSError:
        if copied:
            raise
    # copy_file_range unsupported here (another filesystem, an old kernel): copy through Python.
    while chunk := source.read(CHUNK):
        target.write(chunk)
        copied += len(chunk)
    return copied


def _fsync_dir(directory: Path) -> None:
    # The rename is durable across an OS crash only once the directory entry is on disk.
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

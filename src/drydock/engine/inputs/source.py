"""One object a channel delivers: where its bytes are and the path it takes under the channel."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from drydock.engine.inputs.location import Location
from drydock.errors import ValidationError
from drydock.objects.port import ObjectStore

#: Streaming copies move this much at a time.
COPY_CHUNK = 1024 * 1024


class Readable(Protocol):
    """What staging reads from: an :class:`~drydock.objects.model.ObjectReader` or an open file."""

    def read(self, size: int = -1, /) -> bytes: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class SourceObject:
    """An object to stage: ``relative`` is its path under ``/opt/ml/input/data/<channel>/``."""

    location: Location
    relative: str
    size: int | None = None

    def open(self, store: ObjectStore) -> Readable:
        """Open the bytes for reading; the caller closes. Raises ``NoSuchKey`` & co from the store."""
        if self.location.scheme == "file":
            return self.location.local.open("rb")
        return store.get_object(self.location.bucket, self.location.key)

    def copy_to(self, store: ObjectStore, target: Path) -> None:
        """Stream the bytes into a new file at ``target``, replacing it in one step when complete."""
        partial = target.with_name(f".{target.name}.drydock-part")
        reader = self.open(store)
        try:
            with partial.open("wb") as out:
                while chunk := reader.read(COPY_CHUNK):
                    out.write(chunk)
            os.replace(partial, target)
        finally:
            reader.close()
            partial.unlink(missing_ok=True)

    def local_file(self, store: ObjectStore) -> Path | None:
        """A file on this machine holding the bytes, never to be written (for hard links), if any."""
        if self.location.scheme == "file":
            return self.location.local
        return store.local_path(self.location.bucket, self.location.key)


def list_prefix(store: ObjectStore, location: Location) -> list[SourceObject]:
    """Every object an ``S3Prefix`` data source names, in key order.

    S3 prefix semantics: ``s3://b/a/b`` matches ``a/b.csv`` and ``a/b/c.csv``. Where an object lands
    is :func:`relative_to_prefix`. Folder placeholders (keys ending in ``/``) are skipped, as the
    console-created "folders" hold no data.
    """
    if location.scheme == "file":
        return _list_local(location.local)
    found = [
        SourceObject(Location("s3", location.bucket, key), relative_to_prefix(key, location.key), size)
        for key, size in iter_keys(store, location.bucket, location.key)
        if not key.endswith("/")
    ]
    if not found:
        # SageMaker fails the job at download time with ClientError when the prefix matches nothing.
        raise ValidationError(f"No S3 objects found under S3 URL {location}")
    return found


def relative_to_prefix(key: str, prefix: str) -> str:
    """The path under the channel directory at which ``key``, matched by ``prefix``, lands.

    A prefix naming a folder, with or without its trailing ``/``, is taken off whole: ``a/b`` and
    ``a/b/`` both stage ``a/b/c.csv`` as ``c.csv``. That is what the SageMaker SDK relies on:
    ``Session.upload_data`` returns ``s3://bucket/<key_prefix>`` with no ``/`` and scripts read
    ``$SM_CHANNEL_TRAIN/<file>`` (as the SDK's local mode stages it too). A prefix ending inside a name
    keeps that name, from the prefix's last ``/``: ``a/b`` stages ``a/b.csv`` as ``b.csv``, and a URI
    naming one object stages it under its base name.
    """
    rest = key[len(prefix) :]
    if prefix.endswith("/") or rest.startswith("/"):
        return rest.lstrip("/")
    return key[prefix.rfind("/") + 1 :]


def iter_keys(store: ObjectStore, bucket: str, prefix: str) -> Iterator[tuple[str, int]]:
    """``(key, size)`` of every object under ``prefix``, page after page, in S3 order."""
    start_after = ""
    while True:
        page = store.list_objects(bucket, prefix=prefix, start_after=start_after)
        for info in page.objects:
            yield info.key, info.size
        if not page.is_truncated or page.next_start_after is None:
            return
        start_after = page.next_start_after


def _list_local(root: Path) -> list[SourceObject]:
    if root.is_file():
        return [SourceObject(Location("file", path=root), root.name, root.stat().st_size)]
    if not root.is_dir():
        raise ValidationError(f"No local data found at file://{root}")
    files = sorted(p for p in root.rglob("*") if p.is_file())
    return [SourceObject(Location("file", path=p), p.relative_to(root).as_posix(), p.stat().st_size) for p in files]

"""The values the ObjectStore port trades in: buckets, objects, listings, multipart uploads."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Protocol

from drydock.objects.failures import invalid_range

#: S3's default when an object is written without a Content-Type.
DEFAULT_CONTENT_TYPE = "binary/octet-stream"

#: Representation headers S3 stores with an object and returns on GET/HEAD, by their S3 model member
#: names (the keys of :attr:`ObjectMetadata.system`).
SYSTEM_MEMBERS = (
    "CacheControl",
    "ContentDisposition",
    "ContentEncoding",
    "ContentLanguage",
    "Expires",
    "WebsiteRedirectLocation",
    "StorageClass",
)


@dataclass(frozen=True)
class ObjectMetadata:
    """What a writer says about an object besides its bytes.

    ``user`` holds ``x-amz-meta-*`` values (names lower-cased, as S3 returns them); ``system`` the
    representation headers of :data:`SYSTEM_MEMBERS`; ``checksums`` verified checksums by S3 member
    name (``ChecksumCRC32`` -> base64 value), returned on GET/HEAD when the client asks for them.
    """

    content_type: str = DEFAULT_CONTENT_TYPE
    user: Mapping[str, str] = field(default_factory=dict)
    system: Mapping[str, str] = field(default_factory=dict)
    checksums: Mapping[str, str] = field(default_factory=dict)

    def to_document(self) -> dict[str, object]:
        return {
            "content_type": self.content_type,
            "user": dict(self.user),
            "system": dict(self.system),
            "checksums": dict(self.checksums),
        }

    @classmethod
    def from_document(cls, doc: Mapping[str, object]) -> ObjectMetadata:
        def strings(value: object) -> dict[str, str]:
            return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}

        return cls(
            content_type=str(doc.get("content_type") or DEFAULT_CONTENT_TYPE),
            user=strings(doc.get("user")),
            system=strings(doc.get("system")),
            checksums=strings(doc.get("checksums")),
        )


@dataclass(frozen=True)
class BucketInfo:
    name: str
    creation_date: dt.datetime
    #: The bucket's LocationConstraint; ``us-east-1`` when none was given, as in S3.
    region: str


@dataclass(frozen=True)
class ObjectInfo:
    bucket: str
    key: str
    size: int
    #: Quoted, as S3 returns it: ``"<md5 hex>"`` or ``"<md5 of part md5s>-<parts>"``.
    etag: str
    last_modified: dt.datetime
    metadata: ObjectMetadata = field(default_factory=ObjectMetadata)
    #: How many parts a multipart upload assembled this object from; ``None`` for a single PUT.
    parts_count: int | None = None


@dataclass(frozen=True)
class WriteCondition:
    """S3 conditional writes: ``If-None-Match: *`` (create only) and ``If-Match: <etag>``."""

    if_none_match: bool = False
    if_match: str | None = None


@dataclass(frozen=True)
class ByteRange:
    """One HTTP byte range: ``first``..``last`` inclusive (``last`` None: to the end), or, when
    ``suffix_length`` is set, the final ``suffix_length`` bytes."""

    first: int = 0
    last: int | None = None
    suffix_length: int | None = None

    def resolve(self, size: int) -> tuple[int, int]:
        """The inclusive ``(first, last)`` positions served from an object of ``size`` bytes.

        Raises S3's ``InvalidRange`` (416) when no byte of the object is in the range (RFC 9110).
        """
        if self.suffix_length is not None:
            if self.suffix_length <= 0 or size == 0:
                raise invalid_range(size)
            return max(0, size - self.suffix_length), size - 1
        if self.first >= size or (self.last is not None and self.last < self.first):
            raise invalid_range(size)
        last = size - 1 if self.last is None else min(self.last, size - 1)
        return self.first, last


class _Stream(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...

    def close(self) -> None: ...


class ObjectReader:
    """An open object: its :class:`ObjectInfo` and a blocking ``read`` over the requested bytes.

    The bytes are those of the version that was current when it was opened, even if the key is
    overwritten or deleted while reading. Not thread-safe; close it (or use ``with``) when done.
    """

    def __init__(self, info: ObjectInfo, stream: _Stream, span: tuple[int, int] | None) -> None:
        self.info = info
        #: The inclusive byte positions served, when a range was asked for; ``None`` for all of it.
        self.span = span
        self.length = info.size if span is None else span[1] - span[0] + 1
        self._stream = stream
        self._remaining = self.length

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes (all that remain when negative); ``b""`` at the end."""
        if self._remaining <= 0:
            return b""
        wanted = self._remaining if size < 0 else min(size, self._remaining)
        data = self._stream.read(wanted)
        self._remaining -= len(data)
        return data

    def close(self) -> None:
        self._stream.close()

    def __enter__(self) -> ObjectReader:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


@dataclass(frozen=True)
class ObjectListing:
    """One page of a listing, in S3 order (UTF-8 binary order of keys)."""

    objects: list[ObjectInfo]
    common_prefixes: list[str]
    is_truncated: bool
    #: The last key or common prefix of this page: pass it as ``start_after`` for the next page
    #: (a common prefix passed back skips every key under it). ``None`` when the page is empty.
    next_start_after: str | None


@dataclass(frozen=True)
class DeleteOutcome:
    """One key of a multi-object delete: ``error_code``/``error_message`` are set when it failed."""

    key: str
    error_code: str | None = None
    error_message: str | None = None


@dataclass(frozen=True)
class UploadInfo:
    bucket: str
    key: str
    upload_id: str
    initiated: dt.datetime
    metadata: ObjectMetadata = field(default_factory=ObjectMetadata)


@dataclass(frozen=True)
class PartInfo:
    part_number: int
    size: int
    etag: str
    last_modified: dt.datetime
    checksums: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CompletedPart:
    """A part as CompleteMultipartUpload names it: number and the ETag UploadPart returned."""

    part_number: int
    etag: str


@dataclass(frozen=True)
class PartListing:
    parts: list[PartInfo]
    is_truncated: bool
    next_part_number_marker: int | None


@dataclass(frozen=True)
class UploadListing:
    uploads: list[UploadInfo]
    common_prefixes: list[str]
    is_truncated: bool
    next_key_marker: str | None
    next_upload_id_marker: str | None

"""Splitting an input object into records (SplitType) and records into requests (BatchStrategy).

Everything streams: records are cut from fixed-size chunks as they arrive, and a batch holds at most
MaxPayloadInMB, so memory stays bounded whatever the object's size.
- ``Line``: newline-delimited records (``\\r\\n`` too); a MultiRecord request joins them with ``\\n``.
- ``RecordIO``: MXNet RecordIO frames (the format SageMaker's algorithms use); requests carry whole
  frames back to back.
- ``TFRecord``: length, length-CRC, data, data-CRC frames, carried whole.
- ``None``: the whole object is one record and one request.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from drydock.formats import recordio
from drydock.formats.format_error import DataFormatError

CHUNK = 1024 * 1024


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


class RecordFormatError(Exception):
    """The object does not hold the records its SplitType says (a truncated frame, …)."""


@dataclass(frozen=True)
class Record:
    #: 1-based position in its object (the line number for Line).
    number: int
    #: The record as sent to the model (a Line record without its newline; frames whole).
    data: bytes
    #: The record as read, when an InputFilter made ``data`` differ from it (JoinSource needs it).
    original: bytes | None = None

    @property
    def source(self) -> bytes:
        return self.data if self.original is None else self.original


def split(stream: Readable, split_type: str, source: str) -> Iterator[Record]:
    if split_type == "Line":
        return _lines(stream)
    if split_type == "RecordIO":
        return _recordio(stream, source)
    if split_type == "TFRecord":
        return _tfrecords(stream, source)
    return _whole(stream)


@dataclass(frozen=True)
class Batch:
    records: list[Record]
    body: bytes

    @property
    def first(self) -> int:
        return self.records[0].number

    @property
    def last(self) -> int:
        return self.records[-1].number


def batches(records: Iterator[Record], split_type: str, multi_record: bool, max_payload: int) -> Iterator[Batch]:
    """Requests of one record (SingleRecord) or of as many as fit in ``max_payload`` bytes (MultiRecord;
    ``0`` means no limit). A single record above the limit is an error, as SageMaker fails it."""
    separator = b"\n" if split_type == "Line" else b""
    pending: list[Record] = []
    size = 0
    for record in records:
        if max_payload and len(record.data) > max_payload:
            raise RecordFormatError(
                f"record {record.number} is {len(record.data)} bytes, more than MaxPayloadInMB allows ({max_payload})"
            )
        added = len(record.data) + len(separator)
        if pending and (not multi_record or (max_payload and size + added > max_payload)):
            yield _batch(pending, separator)
            pending, size = [], 0
        pending.append(record)
        size += added
    if pending:
        yield _batch(pending, separator)


def _batch(records: list[Record], separator: bytes) -> Batch:
    if len(records) == 1:
        return Batch(records, records[0].data)
    return Batch(records, separator.join(r.data for r in records))


def _whole(stream: Readable) -> Iterator[Record]:
    parts = []
    while chunk := stream.read(CHUNK):
        parts.append(chunk)
    yield Record(1, b"".join(parts))


def _lines(stream: Readable) -> Iterator[Record]:
    number = 0
    rest = b""
    while chunk := stream.read(CHUNK):
        lines = (rest + chunk).split(b"\n")
        rest = lines.pop()
        for line in lines:
            number += 1
            line = line.removesuffix(b"\r")
            if line:
                yield Record(number, line)
    rest = rest.removesuffix(b"\r")
    if rest:
        yield Record(number + 1, rest)


def _recordio(stream: Readable, source: str) -> Iterator[Record]:
    try:
        for number, payload in enumerate(recordio.read_records(stream, source), start=1):
            yield Record(number, recordio.frame(payload))
    except DataFormatError as exc:
        raise RecordFormatError(exc.message) from None


_TF_LENGTH = struct.Struct("<Q")


def _tfrecords(stream: Readable, source: str) -> Iterator[Record]:
    number = 0
    while True:
        head = _exact(stream, 12, source, allow_end=True)
        if not head:
            return
        (length,) = _TF_LENGTH.unpack(head[:8])
        body = _exact(stream, length + 4, source, allow_end=False)
        number += 1
        yield Record(number, head + body)


def _exact(stream: Readable, size: int, source: str, allow_end: bool) -> bytes:
    parts, remaining = [], size
    while remaining:
        chunk = stream.read(min(remaining, CHUNK))
        if not chunk:
            if allow_end and remaining == size:
                return b""
            raise RecordFormatError(f"{source} ends inside a TFRecord frame")
        parts.append(chunk)
        remaining -= len(chunk)
    return b"".join(parts)

"""Splitting an input object into records (SplitType) and records into requests (BatchStrategy).

Everything streams: records are cut from fixed-size chunks as they arrive, and a batch holds at most
MaxPayloadInMB, so memory stays bounded whatever the object's size.
- ``Line``: newline-delimited records (``\\r\\n`` too); a MultiRecord request joins them with ``\\n``.
  Those requests are cut straight from the bytes by :func:`line_batches`, with no object per record:
  a window of at most MaxPayloadInMB ends at its last newline and goes out as it is, and its
  records are counted (for their numbers) rather than split; only a failed request, or a window with
  blank lines or ``\\r`` in it, is split into records.
- ``RecordIO``: MXNet RecordIO frames (the format SageMaker's algorithms use); requests carry whole
  frames back to back.
- ``TFRecord``: length, length-CRC, data, data-CRC frames, carried whole.
- ``None``: the whole object is one record and one request.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Protocol

import numpy as np

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
    """One request's body and the records it carries."""

    body: bytes
    #: The numbers of its first and last records, and how many it carries.
    first: int
    last: int
    count: int
    #: Its records, or the lines its body was cut from with the number of the first: those are split
    #: only when :attr:`records` is asked for (to name a failed record, or to join outputs to inputs).
    source: list[Record] | tuple[bytes, int] = field(repr=False)

    @classmethod
    def of(cls, records: list[Record], separator: bytes) -> Batch:
        body = records[0].data if len(records) == 1 else separator.join(r.data for r in records)
        return cls(body, records[0].number, records[-1].number, len(records), records)

    @cached_property
    def records(self) -> list[Record]:
        if isinstance(self.source, list):
            return self.source
        return list(_numbered_lines(*self.source))


def batches(records: Iterator[Record], split_type: str, multi_record: bool, max_payload: int) -> Iterator[Batch]:
    """Requests of one record (SingleRecord) or of as many as fit in ``max_payload`` bytes (MultiRecord;
    ``0`` means no limit). A single record above the limit is an error, as SageMaker fails it."""
    separator = b"\n" if split_type == "Line" else b""
    pending: list[Record] = []
    size = 0
    for record in records:
        if max_payload and len(record.data) > max_payload:
            raise _too_long(record.number, len(record.data), max_payload)
        added = len(record.data) + len(separator)
        if pending and (not multi_record or (max_payload and size + added > max_payload)):
            yield Batch.of(pending, separator)
            pending, size = [], 0
        pending.append(record)
        size += added
    if pending:
        yield Batch.of(pending, separator)


def line_batches(stream: Readable, max_payload: int) -> Iterator[Batch]:
    """SplitType Line with BatchStrategy MultiRecord: bodies of at most ``max_payload`` bytes (``> 0``),
    each the longest run of whole lines that fits, as :func:`batches` would send them but with no
    record split out on the way. A line longer than ``max_payload`` is an error."""
    buffer = b""
    number = 1  # of the line buffer starts with
    ended = False
    while True:
        # One byte past the limit and one more tell whether a line of exactly the limit ends in time.
        parts = [buffer]
        size = len(buffer)
        while not ended and size < max_payload + 2:
            chunk = stream.read(max(CHUNK, max_payload + 2 - size))
            ended = not chunk
            parts.append(chunk)
            size += len(chunk)
        buffer = b"".join(parts)
        if not buffer:
            return
        if ended and len(buffer) <= max_payload + 1 and buffer.endswith(b"\n"):
            window, buffer = buffer[:-1], b""  # the last lines, ended as a file's last line usually is
        elif ended and len(buffer) <= max_payload:
            window, buffer = buffer, b""
        else:
            end = buffer.rfind(b"\n", 0, max_payload + 1)
            if end < 0:
                end = _first_line_end(stream, buffer, number, max_payload)
            window, buffer = buffer[:end], buffer[end + 1 :]
        newlines, blank = _scan(window)
        if window and not blank and b"\r" not in window:
            # Every line a record, sent as it is.
            yield Batch(window, number, number + newlines, newlines + 1, (window, number))
        elif records := list(_numbered_lines(window, number)):  # blank lines to skip, line ends to strip
            yield Batch.of(records, b"\n")
        number += newlines + 1


def _scan(window: bytes) -> tuple[int, bool]:
    """How many newlines ``window`` holds, and whether it has an empty line (two newlines in a row,
    or one at either end): one vectorised pass, where ``count`` and ``in`` would take two and be
    three times slower on a full request."""
    if not window:
        return 0, True
    ends = np.flatnonzero(np.frombuffer(window, dtype=np.uint8) == 0x0A)
    blank = bool(ends.size and (ends[0] == 0 or ends[-1] == len(window) - 1 or (np.diff(ends) == 1).any()))
    return int(ends.size), blank


def _first_line_end(stream: Readable, buffer: bytes, number: int, max_payload: int) -> int:
    """Where the first line of ``buffer`` ends when no newline comes within ``max_payload`` bytes: a line
    that fits once its ``\\r`` is dropped, or the last line of the object, ends there; any other is too
    long, and is measured to say so (read on to its end, not kept)."""
    end = buffer.find(b"\n")
    line = buffer if end < 0 else buffer[:end]
    if len(line.removesuffix(b"\r")) <= max_payload:
        return len(buffer) if end < 0 else end
    length, last = len(line), line[-1:]
    while end < 0 and (chunk := stream.read(CHUNK)):
        end = chunk.find(b"\n")
        taken = chunk if end < 0 else chunk[:end]
        length += len(taken)
        last = taken[-1:] or last
    raise _too_long(number, length - (last == b"\r"), max_payload)


def _too_long(number: int, length: int, max_payload: int) -> RecordFormatError:
    return RecordFormatError(f"record {number} is {length} bytes, more than MaxPayloadInMB allows ({max_payload})")


def _whole(stream: Readable) -> Iterator[Record]:
    parts = []
    while chunk := stream.read(CHUNK):
        parts.append(chunk)
    yield Record(1, b"".join(parts))


def _lines(stream: Readable) -> Iterator[Record]:
    number = 1  # of the line ``rest`` starts
    rest = b""
    while chunk := stream.read(CHUNK):
        text = rest + chunk
        end = text.rfind(b"\n")
        if end < 0:
            rest = text
            continue
        yield from _numbered_lines(text[:end], number)
        number += text.count(b"\n", 0, end) + 1
        rest = text[end + 1 :]
    yield from _numbered_lines(rest, number)


def _numbered_lines(text: bytes, number: int) -> Iterator[Record]:
    """The lines of ``text`` that hold something, numbered from ``number``, without their ``\\r``."""
    for offset, line in enumerate(text.split(b"\n")):
        line = line.removesuffix(b"\r")
        if line:
            yield Record(number + offset, line)


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

"""RecordIO framing, as the SageMaker SDK writes it and Pipe mode's ``RecordWrapperType=RecordIO`` uses.

Each record is ``magic`` (uint32 little-endian ``0xCED7230A``, bytes ``0a 23 d7 ce``), a uint32
little-endian length word, the payload, and zero padding to a 4-byte boundary (reference §8.4,
``sagemaker/amazon/common.py``). The framing comes from MXNet/dmlc-core, whose length word keeps a
continuation flag in its top 3 bits (0 whole record, 1 first part, 2 middle part, 3 last part) and
drops the magic words it finds inside a payload at part boundaries. The SDK only ever writes whole
records (flag 0); we write the same, and read both so data produced by MXNet tools also works.

Reading streams: nothing is loaded beyond the current record, and a short ``read`` (normal on a
FIFO) is retried until the record is complete, so a Pipe-mode channel can be consumed once.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Iterator
from typing import BinaryIO, Protocol

from drydock.formats.format_error import DataFormatError

MAGIC = 0xCED7230A
MAGIC_BYTES = struct.pack("<I", MAGIC)
_HEADER = struct.Struct("<II")
_LENGTH_MASK = (1 << 29) - 1
#: Continuation flags of dmlc-core's length word.
_WHOLE, _FIRST, _MIDDLE, _LAST = 0, 1, 2, 3


class ReadableStream(Protocol):
    """Anything with ``read(n) -> bytes``: files, FIFOs, gzip streams, sockets' makefile()."""

    def read(self, size: int = -1, /) -> bytes: ...


class WritableStream(Protocol):
    def write(self, data: bytes, /) -> int: ...


def padding(length: int) -> int:
    """Zero bytes after a payload of ``length`` bytes: ``((len + 3) >> 2 << 2) - len``."""
    return -length % 4


def header(length: int) -> bytes:
    """The 8-byte header of a ``length``-byte record, for writers that stream the payload after it."""
    if length > _LENGTH_MASK:
        # The top 3 bits of the length word are dmlc's continuation flag; a longer payload would be
        # misread by every RecordIO reader, so refuse rather than write corrupt data.
        raise DataFormatError(f"RecordIO record of {length} bytes exceeds the {_LENGTH_MASK}-byte limit")
    return _HEADER.pack(MAGIC, length)


def frame(payload: bytes) -> bytes:
    """One whole record, framed."""
    return header(len(payload)) + payload + b"\x00" * padding(len(payload))


def write_record(stream: WritableStream | BinaryIO, payload: bytes) -> int:
    """Append one framed record to ``stream``; returns the bytes written."""
    data = frame(payload)
    stream.write(data)
    return len(data)


def write_records(stream: WritableStream | BinaryIO, payloads: Iterable[bytes]) -> int:
    """Append framed records; returns the number of records written."""
    count = 0
    for payload in payloads:
        write_record(stream, payload)
        count += 1
    return count


def _read_exact(stream: ReadableStream | BinaryIO, size: int) -> bytes:
    """Read ``size`` bytes, looping over short reads; fewer only at end of stream."""
    chunks: list[bytes] = []
    remaining = size
    while remaining > 0:
        chunk = stream.read(remaining)
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def _read_part(stream: ReadableStream | BinaryIO, offset: int, source: str) -> tuple[int, bytes] | None:
    """One framed part: ``(continuation flag, payload)``, or None at a clean end of stream."""
    header = _read_exact(stream, _HEADER.size)
    if not header:
        return None
    if len(header) < _HEADER.size:
        raise DataFormatError(f"{source}: truncated RecordIO header at byte {offset} ({len(header)} of 8 bytes)")
    magic, word = _HEADER.unpack(header)
    if magic != MAGIC:
        raise DataFormatError(
            f"{source}: not RecordIO at byte {offset}: expected magic 0x{MAGIC:08X}, found 0x{magic:08X}"
        )
    flag, length = word >> 29, word & _LENGTH_MASK
    body = _read_exact(stream, length + padding(length))
    if len(body) < length:
        raise DataFormatError(
            f"{source}: truncated RecordIO record at byte {offset}: "
            f"header says {length} bytes, stream ended after {len(body)}"
        )
    # Trailing padding may be missing on the very last record of some writers; tolerate that.
    return flag, body[:length]


def read_records(stream: ReadableStream | BinaryIO, source: str = "stream") -> Iterator[bytes]:
    """Yield each record's payload in order, reading the stream incrementally.

    ``source`` names the file or pipe in error messages. Raises :class:`DataFormatError` on a bad
    magic word, a truncated record or a broken continuation sequence.
    """
    offset = 0
    pending: list[bytes] | None = None
    while True:
        part = _read_part(stream, offset, source)
        if part is None:
            if pending is not None:
                raise DataFormatError(f"{source}: stream ended inside a multi-part RecordIO record")
            return
        flag, payload = part
        start, offset = offset, offset + _HEADER.size + len(payload) + padding(len(payload))
        if flag == _WHOLE and pending is None:
            yield payload
        elif flag == _FIRST and pending is None:
            pending = [payload]
        elif flag in (_MIDDLE, _LAST) and pending is not None:
            pending.append(payload)
            if flag == _LAST:
                # dmlc-core splits a payload where it contains the magic word and drops that word.
                yield MAGIC_BYTES.join(pending)
                pending = None
        else:
            raise DataFormatError(f"{source}: unexpected RecordIO continuation flag {flag} at byte {start}")

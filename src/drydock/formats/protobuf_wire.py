"""The protobuf wire-format primitives that ``aialgs.data.Record`` needs, and no more.

Why hand-written: the schema (reference §8.4) is tiny and fixed, and a generated ``record_pb2``
would need protoc at build time or a pinned ``protobuf`` runtime. The rules followed are the
protobuf encoding spec's: varints (7 bits per byte, low first), tags ``field << 3 | wire_type``,
length-delimited fields, packed repeated scalars. A decoder must accept repeated scalars both
packed and unpacked, and skip fields it does not know (wire types 0, 1, 2 and 5).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from enum import IntEnum

import numpy as np
import numpy.typing as npt

from drydock.formats.format_error import DataFormatError


class WireType(IntEnum):
    VARINT = 0
    FIXED64 = 1
    LENGTH_DELIMITED = 2
    FIXED32 = 5


def encode_varint(value: int) -> bytes:
    """Unsigned LEB128; a negative int32/int64 is encoded as its 64-bit two's complement (10 bytes)."""
    if value < 0:
        value += 1 << 64
    out = bytearray()
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def decode_varint(data: bytes | memoryview, pos: int) -> tuple[int, int]:
    """``(value, next position)``; raises :class:`DataFormatError` on a truncated or overlong varint."""
    result = shift = 0
    end = len(data)
    while pos < end:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift >= 70:
            break
    raise DataFormatError("malformed protobuf: truncated or overlong varint")


def tag(field: int, wire_type: WireType) -> bytes:
    return encode_varint(field << 3 | wire_type)


def length_delimited(field: int, payload: bytes) -> bytes:
    """A bytes/string/sub-message/packed field."""
    return tag(field, WireType.LENGTH_DELIMITED) + encode_varint(len(payload)) + payload


def iter_fields(data: bytes | memoryview) -> Iterator[tuple[int, WireType, int | bytes]]:
    """Walk a message: ``(field number, wire type, value)`` — an int for varints, the raw bytes
    (little-endian) for fixed32/fixed64, and the payload for length-delimited fields."""
    pos, end = 0, len(data)
    while pos < end:
        key, pos = decode_varint(data, pos)
        field, wire = key >> 3, key & 7
        if field == 0:
            raise DataFormatError("malformed protobuf: field number 0")
        if wire == WireType.VARINT:
            value, pos = decode_varint(data, pos)
            yield field, WireType.VARINT, value
            continue
        if wire == WireType.LENGTH_DELIMITED:
            size, pos = decode_varint(data, pos)
        elif wire == WireType.FIXED64:
            size = 8
        elif wire == WireType.FIXED32:
            size = 4
        else:
            # Groups (3, 4) are proto1 relics that aialgs.data never uses.
            raise DataFormatError(f"malformed protobuf: unsupported wire type {wire} for field {field}")
        if pos + size > end:
            raise DataFormatError(f"malformed protobuf: field {field} runs past the end of its message")
        yield field, WireType(wire), bytes(data[pos : pos + size])
        pos += size


def decode_varints(data: bytes) -> list[int]:
    """A packed run of varints."""
    values: list[int] = []
    pos = 0
    while pos < len(data):
        value, pos = decode_varint(data, pos)
        values.append(value)
    return values


def packed_varints(field: int, values: npt.NDArray[np.generic] | list[int]) -> bytes:
    """A packed repeated uint64/int32 field (empty fields are omitted, as protobuf does)."""
    if len(values) == 0:
        return b""
    return length_delimited(field, b"".join(encode_varint(int(v)) for v in values))


def packed_fixed(field: int, values: npt.NDArray[np.generic]) -> bytes:
    """A packed repeated float (``<f4``) or double (``<f8``) field, straight from the array's bytes."""
    if values.size == 0:
        return b""
    return length_delimited(field, values.astype(values.dtype.newbyteorder("<"), copy=False).tobytes())


def signed32(value: int) -> int:
    """An int32 read back from its (possibly 10-byte, sign-extended) varint."""
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value & 0x80000000 else value


def unpack_fixed(raw: bytes, fmt: str) -> float:
    """One unpacked float (``"<f"``) or double (``"<d"``) element."""
    value: float = struct.unpack(fmt, raw)[0]
    return value

"""RecordIO framing: the bytes the SageMaker SDK writes, streaming reads, and clear errors."""

from __future__ import annotations

import io
import struct

import pytest

from drydock.formats.format_error import DataFormatError
from drydock.formats.recordio import MAGIC, frame, read_records, write_records


class TrickleStream:
    """A FIFO-like stream that hands out at most 3 bytes per read, as a pipe may."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def read(self, size: int = -1, /) -> bytes:
        return self._data.read(3 if size < 0 else min(size, 3))


def test_frame_layout_matches_sdk_framing() -> None:
    framed = frame(b"abcde")
    # magic (LE) 0a 23 d7 ce, uint32 LE length 5, payload, 3 zero bytes of padding to 4.
    assert framed == bytes.fromhex("0a23d7ce") + struct.pack("<I", 5) + b"abcde" + b"\x00\x00\x00"
    assert len(frame(b"abcd")) == 12  # already aligned: no padding
    assert frame(b"") == bytes.fromhex("0a23d7ce00000000")


def test_round_trip_various_lengths() -> None:
    payloads = [b"", b"x", b"ab", b"abc", b"abcd", bytes(range(256)) * 3]
    buffer = io.BytesIO()
    assert write_records(buffer, payloads) == len(payloads)
    buffer.seek(0)
    assert list(read_records(buffer)) == payloads


def test_reads_through_short_reads_of_a_pipe() -> None:
    payloads = [b"hello", b"pipe mode", b"!" * 37]
    data = b"".join(frame(p) for p in payloads)
    assert list(read_records(TrickleStream(data))) == payloads


def test_iterates_lazily() -> None:
    data = frame(b"first") + b"garbage that is not recordio"
    records = read_records(io.BytesIO(data), "s3://b/k")
    assert next(records) == b"first"  # the bad tail is not touched until asked for
    with pytest.raises(DataFormatError, match="s3://b/k: not RecordIO at byte 16"):
        next(records)


def test_bad_magic_names_source_and_values() -> None:
    with pytest.raises(DataFormatError, match=r"train\.rec: not RecordIO at byte 0: expected magic 0xCED7230A"):
        list(read_records(io.BytesIO(b"\x00" * 16), "train.rec"))


def test_truncated_payload_and_header() -> None:
    whole = frame(b"0123456789")
    with pytest.raises(DataFormatError, match="header says 10 bytes, stream ended after 4"):
        list(read_records(io.BytesIO(whole[:12])))
    with pytest.raises(DataFormatError, match="truncated RecordIO header"):
        list(read_records(io.BytesIO(whole + whole[:5])))


def test_missing_final_padding_is_tolerated() -> None:
    assert list(read_records(io.BytesIO(frame(b"abc")[:-1]))) == [b"abc"]


def test_dmlc_multipart_records_are_joined_with_the_magic() -> None:
    # MXNet's writer splits a payload where the magic word occurs and flags the parts (1, 2, 3).
    def part(flag: int, payload: bytes) -> bytes:
        pad = b"\x00" * (-len(payload) % 4)
        return struct.pack("<II", MAGIC, flag << 29 | len(payload)) + payload + pad

    data = part(1, b"aaaa") + part(2, b"bb") + part(3, b"cccc") + frame(b"next")
    magic = struct.pack("<I", MAGIC)
    assert list(read_records(io.BytesIO(data))) == [b"aaaa" + magic + b"bb" + magic + b"cccc", b"next"]
    with pytest.raises(DataFormatError, match="ended inside a multi-part"):
        list(read_records(io.BytesIO(part(1, b"aaaa"))))
    with pytest.raises(DataFormatError, match="unexpected RecordIO continuation flag 3"):
        list(read_records(io.BytesIO(part(3, b"aaaa"))))

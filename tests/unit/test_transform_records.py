"""Batch transform's request cutting: ``line_batches`` (Line + MultiRecord, cut from the bytes) must send
the records that splitting line by line finds, numbered alike, in bodies within MaxPayloadInMB, and fail
an overlong line with the message the record-by-record path gives."""

from __future__ import annotations

import io
import random

import pytest

from drydock.serving.transform.records import Batch, Record, RecordFormatError, batches, line_batches, split


class TrickleStream:
    """A stream that hands out at most ``step`` bytes a read, to put chunk ends everywhere."""

    def __init__(self, data: bytes, step: int) -> None:
        self._data = io.BytesIO(data)
        self._step = step

    def read(self, size: int = -1, /) -> bytes:
        return self._data.read(self._step if size < 0 else min(size, self._step))


def _records(data: bytes) -> list[Record]:
    return list(split(io.BytesIO(data), "Line", "s3://b/k"))


def _check(data: bytes, max_payload: int, step: int = 1 << 20) -> list[Batch]:
    cut = list(line_batches(TrickleStream(data, step), max_payload))
    for batch in cut:
        assert 0 < len(batch.body) <= max_payload
        assert batch.body == b"\n".join(r.data for r in batch.records)
        assert (batch.first, batch.last, batch.count) == (
            batch.records[0].number,
            batch.records[-1].number,
            len(batch.records),
        )
    assert [r for batch in cut for r in batch.records] == _records(data)
    return cut


def _rows(count: int, seed: int) -> list[bytes]:
    """Rows of 1-3 numbers, at most 23 bytes each."""
    rng = random.Random(seed)
    return [
        ",".join(f"{rng.uniform(-9, 9):.{rng.randint(1, 4)}f}" for _ in range(rng.randint(1, 3))).encode()
        for _ in range(count)
    ]


@pytest.mark.parametrize("step", [1, 7, 64, 1 << 20])
@pytest.mark.parametrize("max_payload", [40, 97, 1000])
def test_plain_lines_are_cut_whole_and_numbered_as_split_numbers_them(max_payload: int, step: int) -> None:
    data = b"\n".join(_rows(300, seed=max_payload))
    cut = _check(data, max_payload, step)
    assert len(cut) > 1
    assert _check(data + b"\n", max_payload, step)[-1].last == 300  # a final newline ends the last line


@pytest.mark.parametrize("step", [3, 1 << 20])
def test_blank_lines_and_crlf_are_dropped_as_when_split_line_by_line(step: int) -> None:
    rng = random.Random(5)
    lines = []
    for row in _rows(400, seed=9):
        lines.append(row + rng.choice([b"", b"\r"]))
        while rng.random() < 0.1:
            lines.append(rng.choice([b"", b"\r"]))
    data = b"\n\n" + b"\n".join(lines) + b"\r\n\n"
    for max_payload in (30, 64, 500):
        cut = _check(data, max_payload, step)
        assert all(b"\r" not in batch.body for batch in cut)


def test_a_batch_cut_from_plain_lines_splits_its_records_only_when_asked() -> None:
    data = b"1,2\n3,4\n5,6\n7,8"
    first, second = line_batches(io.BytesIO(data), 8)
    assert (first.body, first.first, first.last, first.count) == (b"1,2\n3,4", 1, 2, 2)
    assert "records" not in first.__dict__  # nothing split yet
    assert second.records == [Record(3, b"5,6"), Record(4, b"7,8")]


def test_a_line_of_exactly_the_limit_fits_even_with_a_crlf() -> None:
    line = b"x" * 10
    for data in (line, line + b"\n", line + b"\r\n", line + b"\r", b"1\n" + line + b"\r\n2"):
        _check(data, 10)


@pytest.mark.parametrize(
    ("data", "number", "length"),
    [
        (b"1\n2\n" + b"y" * 11 + b"\n3", 3, 11),
        (b"1\n\n\n" + b"y" * 30, 4, 30),
        (b"y" * 11 + b"\r\n", 1, 11),
        (b"1\n" + b"y" * 5000, 2, 5000),
        (b"1\n" + b"y" * 5000 + b"\r", 2, 5000),
    ],
)
def test_an_overlong_line_fails_as_the_record_path_fails_it(data: bytes, number: int, length: int) -> None:
    expected = f"record {number} is {length} bytes, more than MaxPayloadInMB allows (10)"
    for step in (1, 4, 1 << 20):
        with pytest.raises(RecordFormatError) as cut:
            list(line_batches(TrickleStream(data, step), 10))
        assert str(cut.value) == expected
    with pytest.raises(RecordFormatError) as by_record:
        list(batches(iter(_records(data)), "Line", True, 10))
    assert str(by_record.value) == expected


def test_nothing_but_blank_lines_makes_no_request() -> None:
    assert list(line_batches(io.BytesIO(b""), 10)) == []
    assert list(line_batches(io.BytesIO(b"\n\r\n\n"), 10)) == []

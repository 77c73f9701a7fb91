"""The aialgs.data.Record codec and the matrix helpers, checked against the bytes the SDK writes."""

from __future__ import annotations

import io
import struct

import numpy as np
import pytest
import scipy.sparse  # type: ignore[import-untyped]

from drydock.formats import protobuf_wire as pw
from drydock.formats.format_error import DataFormatError
from drydock.formats.record_matrix import read_matrix, write_matrix
from drydock.formats.record_protobuf import BytesValue, Record, Tensor, decode_record, encode_record
from drydock.formats.recordio import frame

# Reference §8.4: the SDK's write_numpy_to_dense_tensor for features [1, 2, 3] (float32), label 0.
OBSERVED = bytes.fromhex(
    "0a23d7ce300000000a1a0a0676616c7565731210120e0a0c0000803f000000400000404012120a0676616c756573120812060a0400000000"
)


def test_dense_row_is_byte_for_byte_what_the_sdk_writes() -> None:
    buffer = io.BytesIO()
    write_matrix(buffer, np.array([[1, 2, 3]], dtype=np.float32), np.array([0], dtype=np.float32))
    assert buffer.getvalue() == OBSERVED


def test_observed_record_decodes() -> None:
    data = read_matrix(io.BytesIO(OBSERVED))
    assert data.features.dtype == np.float32
    np.testing.assert_array_equal(data.features, [[1.0, 2.0, 3.0]])
    np.testing.assert_array_equal(data.labels, [0.0])


def test_dense_round_trip_keeps_dtype_and_labels() -> None:
    rng = np.random.default_rng(7)
    for dtype in (np.float32, np.float64, np.int32):
        features = (rng.normal(size=(20, 5)) * 100).astype(dtype)
        labels = rng.integers(0, 3, size=20).astype(np.float32)
        buffer = io.BytesIO()
        assert write_matrix(buffer, features, labels) == 20
        buffer.seek(0)
        data = read_matrix(buffer)
        assert data.features.dtype == dtype
        np.testing.assert_array_equal(data.features, features)
        np.testing.assert_array_equal(data.labels, labels)


def test_unlabelled_matrix_has_no_labels() -> None:
    buffer = io.BytesIO()
    write_matrix(buffer, np.ones((3, 2), dtype=np.float32))
    buffer.seek(0)
    assert read_matrix(buffer).labels is None


def test_sparse_round_trip_writes_keys_and_shape() -> None:
    dense = np.array([[0, 1.5, 0, 0, 2], [0, 0, 0, 0, 0], [3, 0, 0, 0, 0]], dtype=np.float32)
    buffer = io.BytesIO()
    write_matrix(buffer, scipy.sparse.csr_matrix(dense), np.array([1, 0, 1], dtype=np.float32))
    buffer.seek(0)
    data = read_matrix(buffer)
    assert scipy.sparse.issparse(data.features)
    assert data.features.shape == (3, 5)
    np.testing.assert_array_equal(data.dense(), dense)
    np.testing.assert_array_equal(data.labels, [1, 0, 1])

    record = decode_record(
        encode_record(
            Record(features={"values": Tensor(np.array([1.5], np.float32), keys=np.array([1], np.uint64), shape=(5,))})
        )
    )
    tensor = record.features["values"]
    assert isinstance(tensor, Tensor)
    assert tensor.is_sparse and tensor.shape == (5,)
    np.testing.assert_array_equal(tensor.dense(), [0, 1.5, 0, 0, 0])


def test_non_packed_repeated_fields_decode_like_packed() -> None:
    # A proto2 writer without [packed=true] emits one tag per element; parsers must accept both.
    tensor = b"".join(pw.tag(1, pw.WireType.FIXED32) + struct.pack("<f", v) for v in (1.0, 2.0))
    tensor += pw.tag(2, pw.WireType.VARINT) + pw.encode_varint(0) + pw.tag(2, pw.WireType.VARINT) + pw.encode_varint(3)
    tensor += pw.tag(3, pw.WireType.VARINT) + pw.encode_varint(4)
    value = pw.length_delimited(2, tensor)
    entry = pw.length_delimited(1, b"values") + pw.length_delimited(2, value)
    unknown = pw.tag(15, pw.WireType.VARINT) + pw.encode_varint(99)  # unknown fields are skipped
    record = decode_record(pw.length_delimited(1, entry) + unknown)
    decoded = record.features["values"]
    assert isinstance(decoded, Tensor)
    np.testing.assert_array_equal(decoded.dense(), [1.0, 0, 0, 2.0])


def test_int32_negative_values_and_strings_and_bytes_round_trip() -> None:
    record = Record(
        features={
            "values": Tensor(np.array([-5, 0, 2**31 - 1], dtype=np.int32)),
            "image": BytesValue([b"\x89PNG...", b""], "image/png"),
        },
        label={"values": Tensor(np.array([2.5], dtype=np.float64))},
        uid="row-1",
        metadata='{"k": 1}',
        configuration="cfg",
    )
    again = decode_record(encode_record(record))
    values = again.features["values"]
    assert isinstance(values, Tensor)
    assert values.values.dtype == np.int32
    np.testing.assert_array_equal(values.values, [-5, 0, 2**31 - 1])
    assert again.features["image"] == BytesValue([b"\x89PNG...", b""], "image/png")
    label = again.label["values"]
    assert isinstance(label, Tensor) and label.values.dtype == np.float64
    assert (again.uid, again.metadata, again.configuration) == ("row-1", '{"k": 1}', "cfg")


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"\x0a\x10\x0a", "runs past the end"),
        (b"\x0a\xff", "truncated or overlong varint"),
        (b"\x0b\x00", "unsupported wire type 3"),
        (pw.length_delimited(1, pw.length_delimited(1, b"values")), "has no value"),
    ],
)
def test_malformed_records_raise_clear_errors(payload: bytes, message: str) -> None:
    with pytest.raises(DataFormatError, match=message):
        decode_record(payload)


def test_records_with_different_widths_are_rejected() -> None:
    stream = io.BytesIO()
    write_matrix(stream, np.ones((1, 3), np.float32))
    write_matrix(stream, np.ones((1, 4), np.float32))
    stream.seek(0)
    with pytest.raises(DataFormatError, match="record 1 has 4 features, earlier ones 3"):
        read_matrix(stream)


def test_record_without_features_is_rejected() -> None:
    with pytest.raises(DataFormatError, match="record 0 has no numeric features"):
        read_matrix(io.BytesIO(frame(encode_record(Record()))))

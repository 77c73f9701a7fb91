"""The ``aialgs.data.Record`` protobuf message (``sagemaker/amazon/record.proto``, reference §8.4).

Schema (proto2)::

    Float32Tensor { repeated float  values = 1 [packed]; repeated uint64 keys = 2 [packed];
                    repeated uint64 shape = 3 [packed]; }        # Float64Tensor: double, Int32Tensor: int32
    Bytes  { repeated bytes value = 1; optional string content_type = 2; }
    Value  { oneof value { Float32Tensor float32_tensor = 2; Float64Tensor float64_tensor = 3;
                           Int32Tensor int32_tensor = 7; Bytes bytes = 9; } }
    Record { map<string, Value> features = 1; map<string, Value> label = 2;
             optional string uid = 3; optional string metadata = 4; optional string configuration = 5; }

A dense vector is a tensor under the key ``"values"``; a sparse one also carries ``keys`` (the
column indices of ``values``) and ``shape`` (its full length), as the SDK's
``write_spmatrix_to_sparse_tensor`` writes it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from drydock.formats import protobuf_wire as pw
from drydock.formats.format_error import DataFormatError

#: Value's oneof field number for each tensor dtype, and the reverse.
_TENSOR_FIELDS: dict[str, int] = {"float32": 2, "float64": 3, "int32": 7}
_FIELD_DTYPES: dict[int, np.dtype[np.generic]] = {2: np.dtype("<f4"), 3: np.dtype("<f8"), 7: np.dtype("<i4")}
_BYTES_FIELD = 9
#: The map key that dense features and labels use.
VALUES_KEY = "values"


@dataclass
class Tensor:
    """A Float32/Float64/Int32Tensor: ``values`` carries the dtype; sparse when ``keys`` is set."""

    values: npt.NDArray[np.generic]
    keys: npt.NDArray[np.uint64] | None = None
    shape: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        self.values = np.ravel(self.values)
        if self.values.dtype.name not in _TENSOR_FIELDS:
            # The SDK maps float32→Float32Tensor, float64→Float64Tensor and ints→Int32Tensor.
            kind = "int32" if np.issubdtype(self.values.dtype, np.integer) else "float64"
            self.values = self.values.astype(kind)

    @property
    def is_sparse(self) -> bool:
        return self.keys is not None

    def dense(self) -> npt.NDArray[np.generic]:
        """The full vector: ``values`` itself, or ``values`` scattered at ``keys`` into ``shape``."""
        if self.keys is None:
            return self.values
        if not self.shape:
            raise DataFormatError("sparse tensor has keys but no shape")
        out = np.zeros(int(np.prod(self.shape)), dtype=self.values.dtype)
        out[self.keys.astype(np.int64)] = self.values
        return out


@dataclass
class BytesValue:
    """The ``Bytes`` message: opaque payloads (images, text) with an optional content type."""

    value: list[bytes]
    content_type: str | None = None


Value = Tensor | BytesValue


@dataclass
class Record:
    features: dict[str, Value] = field(default_factory=dict)
    label: dict[str, Value] = field(default_factory=dict)
    uid: str | None = None
    metadata: str | None = None
    configuration: str | None = None


# --- encoding ------------------------------------------------------------------------------------


def _encode_tensor(tensor: Tensor) -> bytes:
    values = tensor.values
    body = pw.packed_varints(1, values) if values.dtype.kind == "i" else pw.packed_fixed(1, values)
    if tensor.keys is not None:
        body += pw.packed_varints(2, tensor.keys)
    if tensor.shape is not None:
        body += pw.packed_varints(3, list(tensor.shape))
    return body


def _encode_value(value: Value) -> bytes:
    if isinstance(value, BytesValue):
        body = b"".join(pw.length_delimited(1, item) for item in value.value)
        if value.content_type is not None:
            body += pw.length_delimited(2, value.content_type.encode())
        return pw.length_delimited(_BYTES_FIELD, body)
    return pw.length_delimited(_TENSOR_FIELDS[value.values.dtype.name], _encode_tensor(value))


def _encode_map(number: int, entries: dict[str, Value]) -> bytes:
    return b"".join(
        pw.length_delimited(number, pw.length_delimited(1, key.encode()) + pw.length_delimited(2, _encode_value(value)))
        for key, value in entries.items()
    )


def encode_record(record: Record) -> bytes:
    """Serialize ``record`` exactly as protobuf's Python runtime does for the same message."""
    out = _encode_map(1, record.features) + _encode_map(2, record.label)
    for number, text in ((3, record.uid), (4, record.metadata), (5, record.configuration)):
        if text is not None:
            out += pw.length_delimited(number, text.encode())
    return out


# --- decoding ------------------------------------------------------------------------------------


def _decode_tensor(data: bytes, dtype: np.dtype[np.generic]) -> Tensor:
    chunks: list[npt.NDArray[np.generic]] = []
    keys: list[int] = []
    shape: list[int] = []
    saw_keys = saw_shape = False
    for number, wire, raw in pw.iter_fields(data):
        if number == 1:
            if wire == pw.WireType.LENGTH_DELIMITED:
                assert isinstance(raw, bytes)
                if dtype.kind == "i":
                    chunks.append(np.array([pw.signed32(v) for v in pw.decode_varints(raw)], dtype=dtype))
                elif len(raw) % dtype.itemsize:
                    raise DataFormatError(f"packed {dtype.name} values of {len(raw)} bytes")
                else:
                    chunks.append(np.frombuffer(raw, dtype=dtype))
            elif wire == pw.WireType.VARINT and dtype.kind == "i":
                assert isinstance(raw, int)
                chunks.append(np.array([pw.signed32(raw)], dtype=dtype))
            elif isinstance(raw, bytes) and len(raw) == dtype.itemsize and dtype.kind == "f":
                chunks.append(np.frombuffer(raw, dtype=dtype))
            else:
                raise DataFormatError(f"tensor values field has wire type {int(wire)}, not valid for {dtype.name}")
        elif number in (2, 3):
            target = keys if number == 2 else shape
            if wire == pw.WireType.LENGTH_DELIMITED:
                assert isinstance(raw, bytes)
                target.extend(pw.decode_varints(raw))
            elif wire == pw.WireType.VARINT:
                assert isinstance(raw, int)
                target.append(raw)
            else:
                raise DataFormatError(f"tensor field {number} has wire type {int(wire)}")
            saw_keys = saw_keys or number == 2
            saw_shape = saw_shape or number == 3
    values = np.concatenate(chunks) if chunks else np.zeros(0, dtype=dtype)
    tensor = Tensor(
        values=values.astype(dtype.newbyteorder("="), copy=False),
        keys=np.array(keys, dtype=np.uint64) if saw_keys else None,
        shape=tuple(shape) if saw_shape else None,
    )
    if tensor.keys is not None and len(tensor.keys) != len(tensor.values):
        raise DataFormatError(f"sparse tensor has {len(tensor.keys)} keys but {len(tensor.values)} values")
    return tensor


def _decode_value(data: bytes) -> Value:
    result: Value | None = None
    for number, wire, raw in pw.iter_fields(data):
        if wire != pw.WireType.LENGTH_DELIMITED or not isinstance(raw, bytes):
            continue
        if number in _FIELD_DTYPES:
            result = _decode_tensor(raw, _FIELD_DTYPES[number])  # oneof: the last one set wins
        elif number == _BYTES_FIELD:
            items: list[bytes] = []
            content_type: str | None = None
            for sub, sub_wire, sub_raw in pw.iter_fields(raw):
                if sub_wire == pw.WireType.LENGTH_DELIMITED and isinstance(sub_raw, bytes):
                    if sub == 1:
                        items.append(sub_raw)
                    elif sub == 2:
                        content_type = sub_raw.decode()
            result = BytesValue(items, content_type)
    if result is None:
        raise DataFormatError("Record value sets none of float32_tensor, float64_tensor, int32_tensor, bytes")
    return result


def _decode_entry(data: bytes) -> tuple[str, Value]:
    key, value = "", None
    for number, wire, raw in pw.iter_fields(data):
        if wire == pw.WireType.LENGTH_DELIMITED and isinstance(raw, bytes):
            if number == 1:
                key = raw.decode()
            elif number == 2:
                value = _decode_value(raw)
    if value is None:
        raise DataFormatError(f"Record map entry {key!r} has no value")
    return key, value


def decode_record(data: bytes) -> Record:
    """Parse one serialized Record; unknown fields are skipped, as protobuf parsers do.

    Raises :class:`DataFormatError` when the bytes are not a well-formed Record.
    """
    record = Record()
    try:
        for number, wire, raw in pw.iter_fields(data):
            if wire != pw.WireType.LENGTH_DELIMITED or not isinstance(raw, bytes):
                continue
            if number in (1, 2):
                key, value = _decode_entry(raw)
                (record.features if number == 1 else record.label)[key] = value
            elif number == 3:
                record.uid = raw.decode()
            elif number == 4:
                record.metadata = raw.decode()
            elif number == 5:
                record.configuration = raw.decode()
    except UnicodeDecodeError as exc:
        raise DataFormatError(f"malformed Record: a string field is not UTF-8 ({exc})") from None
    return record

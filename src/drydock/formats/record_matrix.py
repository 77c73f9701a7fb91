"""Matrices to and from RecordIO-protobuf: one Record per row, as the SageMaker SDK uploads them.

``write_numpy_to_dense_tensor`` in the SDK puts each row under ``features["values"]`` and its label
under ``label["values"]``; ``write_spmatrix_to_sparse_tensor`` does the same with ``keys`` (column
indices) and ``shape`` (``[n_columns]``). Reading accepts either, and returns a scipy CSR matrix as
soon as one record is sparse so a sparse channel never becomes a dense copy in memory.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, BinaryIO

import numpy as np
import numpy.typing as npt
import scipy.sparse  # type: ignore[import-untyped]

from drydock.formats.dataset import Dataset, Features
from drydock.formats.format_error import DataFormatError
from drydock.formats.record_protobuf import VALUES_KEY, Record, Tensor, decode_record, encode_record
from drydock.formats.recordio import ReadableStream, WritableStream, read_records, write_record


def matrix_records(features: Features, labels: npt.ArrayLike | None = None) -> Iterator[Record]:
    """One Record per row of a 2-D array or scipy sparse matrix, labels (one per row) optional."""
    label_array = None if labels is None else np.asarray(labels).reshape(-1)
    if label_array is not None and len(label_array) != features.shape[0]:
        raise DataFormatError(f"{len(label_array)} labels for {features.shape[0]} rows")
    sparse = bool(scipy.sparse.issparse(features))
    csr: Any = scipy.sparse.csr_matrix(features) if sparse else None
    if not sparse:
        features = np.asarray(features)
        if features.ndim != 2:
            raise DataFormatError(f"features must be a 2-D matrix, got shape {features.shape}")
    columns = int(features.shape[1])
    for row in range(int(features.shape[0])):
        if sparse:
            start, end = csr.indptr[row], csr.indptr[row + 1]
            tensor = Tensor(
                np.asarray(csr.data[start:end]),
                keys=np.asarray(csr.indices[start:end], dtype=np.uint64),
                shape=(columns,),
            )
        else:
            tensor = Tensor(np.asarray(features[row]))
        record = Record(features={VALUES_KEY: tensor})
        if label_array is not None:
            record.label[VALUES_KEY] = Tensor(label_array[row : row + 1])
        yield record


def write_matrix(stream: WritableStream | BinaryIO, features: Features, labels: npt.ArrayLike | None = None) -> int:
    """Write ``features`` (and ``labels``) as RecordIO-framed Records; returns the rows written."""
    count = 0
    for record in matrix_records(features, labels):
        write_record(stream, encode_record(record))
        count += 1
    return count


def _label_of(record: Record) -> float | None:
    tensor = record.label.get(VALUES_KEY)
    if tensor is None and record.label:
        tensor = next(iter(record.label.values()))
    if not isinstance(tensor, Tensor):
        return None
    values = tensor.dense()
    if values.size == 0:
        return None
    return float(values[0])


def records_dataset(records: Iterable[Record], source: str = "records") -> Dataset:
    """Stack Records into a Dataset: dense rows stay an ndarray, any sparse row makes it CSR."""
    data: list[npt.NDArray[Any]] = []
    indices: list[npt.NDArray[np.int64]] = []
    indptr = [0]
    labels: list[float | None] = []
    width, any_sparse = -1, False
    for number, record in enumerate(records):
        tensor = record.features.get(VALUES_KEY)
        if tensor is None and len(record.features) == 1:
            tensor = next(iter(record.features.values()))
        if not isinstance(tensor, Tensor):
            raise DataFormatError(f"{source}: record {number} has no numeric features under {VALUES_KEY!r}")
        if tensor.keys is not None:
            any_sparse = True
            columns = int(tensor.shape[0]) if tensor.shape else int(tensor.keys.max(initial=0)) + 1
            indices.append(tensor.keys.astype(np.int64))
            width = max(width, columns)
        else:
            columns = len(tensor.values)
            if width not in (-1, columns) and not any_sparse:
                raise DataFormatError(f"{source}: record {number} has {columns} features, earlier ones {width}")
            indices.append(np.arange(columns, dtype=np.int64))
            width = max(width, columns)
        data.append(tensor.values)
        indptr.append(indptr[-1] + len(tensor.values))
        labels.append(_label_of(record))
    rows = len(data)
    dtype = np.result_type(*[d.dtype for d in data]) if data else np.dtype(np.float32)
    label_array = None if not labels or None in labels else np.asarray(labels, dtype=np.float64)
    if any_sparse:
        flat = np.concatenate(data).astype(dtype) if data else np.zeros(0, dtype)
        cols = np.concatenate(indices) if indices else np.zeros(0, np.int64)
        matrix = scipy.sparse.csr_matrix((flat, cols, np.asarray(indptr)), shape=(rows, max(width, 0)))
        return Dataset(matrix, label_array)
    dense = np.vstack(data).astype(dtype, copy=False) if data else np.zeros((0, 0), dtype)
    return Dataset(dense, label_array)


def read_matrix(stream: ReadableStream | BinaryIO, source: str = "stream") -> Dataset:
    """Read a RecordIO-protobuf stream into features and labels."""
    return records_dataset((decode_record(payload) for payload in read_records(stream, source)), source)

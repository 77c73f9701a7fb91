"""csv, libsvm and parquet parsers: one file's bytes into a :class:`Dataset`.

Conventions of SageMaker's built-in algorithms (reference §8.3, xgboost container ``data_utils``):

- ``text/csv``: no header, the label is the first column, the delimiter is sniffed from the first
  line (xgboost uses ``csv.Sniffer``); empty fields are missing values (NaN).
- ``text/libsvm``: ``<label>[:<weight>] <index>:<value> ...``; indices are taken as they are, the
  way xgboost's parser does by default, so 1-based data gets an empty column 0 and a model trained
  on it lines up with the same files at inference. ``qid:`` tokens and ``#`` comments are ignored.
- ``application/x-parquet``: the label is the first column, every column numeric.
"""

from __future__ import annotations

import csv
import io

import numpy as np
import pandas as pd  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]
import scipy.sparse  # type: ignore[import-untyped]

from drydock.formats.dataset import Dataset
from drydock.formats.format_error import DataFormatError

_DELIMITERS = ",\t;| "


def _snippet(line: str) -> str:
    return line[:50] + ("..." if len(line) > 50 else "")


def sniff_delimiter(line: str, source: str) -> str:
    """The field delimiter of a CSV line; a single column (no delimiter at all) reads as ``,``."""
    stripped = line.strip()
    if not any(d in stripped for d in _DELIMITERS):
        return ","
    try:
        return csv.Sniffer().sniff(stripped, delimiters=_DELIMITERS).delimiter
    except csv.Error as exc:
        raise DataFormatError(
            f"{source}: could not determine the CSV delimiter of line '{_snippet(line)}': {exc}"
        ) from None


def _split_labels(table: np.ndarray[tuple[int, int], np.dtype[np.float64]], source: str, what: str) -> Dataset:
    if table.ndim != 2 or table.shape[1] < 1:
        raise DataFormatError(f"{source}: {what} has no columns")
    return Dataset(np.ascontiguousarray(table[:, 1:]), np.ascontiguousarray(table[:, 0]))


def parse_csv(data: bytes, source: str) -> Dataset:
    """A headerless CSV table whose first column is the label."""
    text_start = data[:65536].decode("utf-8", errors="ignore")
    first = next((ln for ln in text_start.splitlines() if ln.strip()), None)
    if first is None:
        return Dataset(np.zeros((0, 0)), np.zeros(0))
    delimiter = sniff_delimiter(first, source)
    try:
        frame = pd.read_csv(
            io.BytesIO(data),
            header=None,
            sep=delimiter,
            dtype=np.float64,
            skip_blank_lines=True,
            skipinitialspace=True,
            engine="c",
        )
    except (ValueError, pd.errors.ParserError) as exc:
        raise DataFormatError(
            f"{source}: not numeric CSV with the label in the first column and no header "
            f"(first line '{_snippet(first)}'): {exc}"
        ) from None
    table = np.asarray(frame.to_numpy(dtype=np.float64), dtype=np.float64)
    return _split_labels(table, source, "CSV")


def parse_libsvm(data: bytes, source: str) -> Dataset:
    """LIBSVM/SVMlight text into a CSR matrix, labels, and weights when any line has ``label:weight``."""
    values: list[float] = []
    indices: list[int] = []
    indptr = [0]
    labels: list[float] = []
    weights: list[float] = []
    width = 0
    for number, raw in enumerate(data.decode("utf-8", errors="replace").splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        label, *features = line.split()
        try:
            if ":" in label:
                label_text, weight_text = label.split(":", 1)
                labels.append(float(label_text))
                weights.append(float(weight_text))
            else:
                labels.append(float(label))
                weights.append(1.0)
            for feature in features:
                key, sep, value = feature.partition(":")
                if not sep:
                    raise ValueError(f"feature {feature!r} is not <index>:<value>")
                if key == "qid":
                    continue
                index = int(key)
                if index < 0:
                    raise ValueError(f"negative feature index {index}")
                indices.append(index)
                values.append(float(value))
                width = max(width, index + 1)
        except ValueError as exc:
            raise DataFormatError(
                f"{source}: line {number} '{_snippet(raw)}' is not LIBSVM "
                f"(<label>[:<weight>] <index>:<value> ...): {exc}"
            ) from None
        indptr.append(len(indices))
    matrix = scipy.sparse.csr_matrix(
        (np.asarray(values, dtype=np.float32), np.asarray(indices, dtype=np.int64), np.asarray(indptr)),
        shape=(len(labels), width),
    )
    has_weights = any(w != 1.0 for w in weights)
    return Dataset(
        matrix, np.asarray(labels, dtype=np.float64), np.asarray(weights, dtype=np.float64) if has_weights else None
    )


def parse_parquet(data: bytes, source: str) -> Dataset:
    """A parquet file whose first column is the label."""
    try:
        table = pq.read_table(io.BytesIO(data))
        matrix = np.asarray(table.to_pandas().to_numpy(dtype=np.float64), dtype=np.float64)
    except Exception as exc:  # pyarrow raises several unrelated types for corrupt files
        raise DataFormatError(f"{source}: not a readable parquet file of numeric columns: {exc}") from None
    return _split_labels(matrix, source, "parquet file")

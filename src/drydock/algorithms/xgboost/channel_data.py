"""A training channel's files as an ``xgboost.DMatrix``, by the channel's ContentType.

SageMaker's XGBoost reads every file under the channel directory (nested keys included), with the
label in the first column for csv and parquet (and, with ``csv_weights=1``, instance weights in the
second csv column), libsvm through xgboost's own parser (``label index:value ...``, indices taken
as given), and RecordIO-protobuf with the label in ``Record.label["values"]``. Gzip files are read
transparently. A channel without ContentType is libsvm, SageMaker's default.
"""

from __future__ import annotations

import gzip
import io
import shutil
import tempfile
from pathlib import Path

import numpy as np
import xgboost as xgb

from drydock.formats.format_error import DataFormatError, UnsupportedContentType

CSV, LIBSVM, PARQUET, RECORDIO = "text/csv", "text/libsvm", "application/x-parquet", "application/x-recordio-protobuf"
_ALIASES = {
    "text/csv": CSV,
    "csv": CSV,
    "text/libsvm": LIBSVM,
    "text/x-libsvm": LIBSVM,
    "libsvm": LIBSVM,
    "application/x-parquet": PARQUET,
    "parquet": PARQUET,
    "application/x-recordio-protobuf": RECORDIO,
    "recordio-protobuf": RECORDIO,
}
_GZIP_MAGIC = b"\x1f\x8b"


def content_type_of(declared: str | None) -> str:
    """The format for a channel's ContentType (parameters such as ``; label_size=1`` ignored)."""
    if not declared:
        return LIBSVM
    base = declared.split(";", 1)[0].strip().lower()
    if base not in _ALIASES:
        raise UnsupportedContentType(
            f"Content type {declared} is not supported by the XGBoost algorithm; use one of "
            f"{', '.join(sorted(set(_ALIASES.values())))}"
        )
    return _ALIASES[base]


def channel_files(directory: Path) -> list[Path]:
    """Data files under ``directory``, in key order; hidden files and SageMaker markers skipped."""
    if not directory.is_dir():
        return []
    return sorted(
        p
        for p in directory.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(directory).parts)
    )


def load_dmatrix(directory: Path, content_type: str, *, csv_weights: bool = False) -> xgb.DMatrix | None:
    """The channel as one DMatrix, or None when it holds no data (SageMaker then fails the job)."""
    files = [f for f in channel_files(directory) if f.stat().st_size > 0]
    if not files:
        return None
    try:
        if content_type == CSV:
            return _csv(files, csv_weights)
        if content_type == LIBSVM:
            return _libsvm(files)
        if content_type == PARQUET:
            return _parquet(files)
        return _recordio(files)
    except (ValueError, xgb.core.XGBoostError) as error:
        if isinstance(error, DataFormatError):
            raise
        raise DataFormatError(f"Could not read {content_type} data in {directory.name} channel: {error}") from error


def _opened(path: Path) -> io.BufferedIOBase:
    with path.open("rb") as probe:
        magic = probe.read(2)
    return gzip.open(path, "rb") if magic == _GZIP_MAGIC else path.open("rb")


def _csv(files: list[Path], csv_weights: bool) -> xgb.DMatrix:
    import pandas as pd  # type: ignore[import-untyped]  # pandas ships no type information

    frames = []
    for path in files:
        with _opened(path) as stream:
            frames.append(pd.read_csv(stream, header=None, dtype=np.float32, skipinitialspace=True))
    table = np.ascontiguousarray(pd.concat(frames, ignore_index=True).to_numpy(dtype=np.float32))
    first = 2 if csv_weights else 1
    if table.shape[1] <= first:
        raise DataFormatError("csv data needs the label in the first column and at least one feature column")
    weights = table[:, 1] if csv_weights else None
    return xgb.DMatrix(table[:, first:], label=table[:, 0], weight=weights)


def _libsvm(files: list[Path]) -> xgb.DMatrix:
    # xgboost's own parser, as SageMaker's container uses; it reads one plain file, so several or
    # gzip-compressed ones are joined into a temporary file first.
    if len(files) == 1 and not _is_gzip(files[0]):
        return xgb.DMatrix(f"{files[0]}?format=libsvm")
    with tempfile.NamedTemporaryFile(suffix=".libsvm") as joined:
        for path in files:
            with _opened(path) as stream:
                shutil.copyfileobj(stream, joined)
            joined.write(b"\n")
        joined.flush()
        return xgb.DMatrix(f"{joined.name}?format=libsvm")


def _parquet(files: list[Path]) -> xgb.DMatrix:
    import pyarrow as pa  # type: ignore[import-untyped]  # pyarrow ships no type information
    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    tables = []
    for path in files:
        with _opened(path) as stream:
            tables.append(pq.read_table(stream))
    table = np.asarray(pa.concat_tables(tables).to_pandas().to_numpy(dtype=np.float32))
    if table.ndim != 2 or table.shape[1] < 2:
        raise DataFormatError("parquet data needs the label in the first column and at least one feature column")
    return xgb.DMatrix(np.ascontiguousarray(table[:, 1:]), label=table[:, 0])


def _recordio(files: list[Path]) -> xgb.DMatrix:
    from drydock.formats.dataset import concat_datasets
    from drydock.formats.record_matrix import read_matrix

    parts = []
    for path in files:
        with _opened(path) as stream:
            parts.append(read_matrix(stream, path.name))
    dataset = concat_datasets(parts, "recordio-protobuf channel")
    return xgb.DMatrix(dataset.features, label=dataset.labels, weight=dataset.weights)


def _is_gzip(path: Path) -> bool:
    with path.open("rb") as probe:
        return probe.read(2) == _GZIP_MAGIC

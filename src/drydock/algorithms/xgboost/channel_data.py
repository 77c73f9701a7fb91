"""A training channel as an ``xgboost.DMatrix``, read through :mod:`drydock.formats`.

There is one reader per format in Drydock: this module only decides *where* the bytes come from and
turns the parsed :class:`~drydock.formats.dataset.Dataset` into a DMatrix. As SageMaker's XGBoost
container does (``data_utils``):

- File mode reads every data file under the channel directory (nested keys included, gzip
  recognised by its magic bytes, ``.``/``_`` marker files skipped); Pipe mode reads the FIFO
  ``<channel>_0`` once, since xgboost needs the whole matrix in memory before the first round.
- The label is the first column for csv and parquet, ``label[:weight]`` for libsvm and
  ``Record.label["values"]`` for RecordIO-protobuf; with ``csv_weights=1`` the second csv column
  holds instance weights. A channel without ContentType is libsvm, SageMaker's default.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]
import xgboost as xgb

from drydock.formats.channel import data_files, read_channel, read_pipe
from drydock.formats.content_type import DataFormat, parse_content_type
from drydock.formats.dataset import Dataset
from drydock.formats.format_error import DataFormatError
from drydock.formats.tabular import parse_csv, parse_parquet


def read_channel_data(config: Mapping[str, Any], directory: Path, fifo: Path) -> Dataset | None:
    """The channel's rows, or None when it holds none (the caller fails the job with the path).

    ``config`` is the channel's ``inputdataconfig.json`` entry; ``directory`` its File-mode folder and
    ``fifo`` its first Pipe-mode FIFO. Raises :class:`DataFormatError` for unreadable data or an
    unsupported ContentType.
    """
    content_type = config.get("ContentType")
    parse_content_type(content_type)  # an unsupported ContentType fails before any data is read
    if config.get("TrainingInputMode") == "Pipe":
        wrapper = str(config.get("RecordWrapperType") or "None")
        with fifo.open("rb") as stream:
            dataset = read_pipe(stream, content_type, wrapper, source=f"{fifo.name} pipe")
    else:
        if not directory.exists() or not data_files(directory):
            return None
        dataset = read_channel(directory, content_type)
    return dataset if dataset.rows else None


def to_dmatrix(dataset: Dataset, content_type: str | None, *, csv_weights: bool = False) -> xgb.DMatrix:
    """The rows as xgboost's DMatrix; raises :class:`DataFormatError` when they cannot train a model."""
    features, weights = dataset.features, dataset.weights
    if csv_weights and parse_content_type(content_type).format is DataFormat.CSV:
        if dataset.columns < 2:
            raise DataFormatError("csv_weights=1 needs the label, an instance weight and at least one feature column")
        weights, features = features[:, 0], features[:, 1:]
    if features.shape[1] < 1:
        raise DataFormatError("the data needs the label in the first column and at least one feature column")
    if dataset.labels is None:
        raise DataFormatError("the data carries no labels; XGBoost trains only on labelled records")
    try:
        return xgb.DMatrix(features, label=dataset.labels, weight=weights)
    except (ValueError, xgb.core.XGBoostError) as error:
        raise DataFormatError(f"xgboost could not load the data: {error}") from error


def warm_up_readers() -> None:
    """Read a two-row csv and parquet table into a DMatrix, for a warm worker before its job arrives.

    The readers import parts of pyarrow and pandas only on first use (``pyarrow.dataset`` alone is
    80 ms); after this a job's first read finds them loaded.
    """
    buffer = io.BytesIO()
    pq.write_table(pa.table({"label": np.zeros(2), "f0": np.ones(2)}), buffer)
    for dataset in (parse_parquet(buffer.getvalue(), "warm-up"), parse_csv(b"0,1\n1,0\n", "warm-up")):
        to_dmatrix(dataset, None)

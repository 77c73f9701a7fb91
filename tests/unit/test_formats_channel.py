"""Channel readers: what a built-in algorithm sees from the files a user uploaded to a channel."""

from __future__ import annotations

import gzip
import io
import os
import threading
import warnings
from pathlib import Path

import numpy as np
import pandas as pd  # type: ignore[import-untyped]
import pytest
import scipy.sparse  # type: ignore[import-untyped]

from drydock.formats.channel import iter_lines, iter_pipe_objects, read_channel, read_pipe
from drydock.formats.content_type import DataFormat, parse_content_type
from drydock.formats.format_error import DataFormatError, UnsupportedContentType
from drydock.formats.record_matrix import write_matrix
from drydock.formats.recordio import frame


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("csv", DataFormat.CSV),
        ("text/csv; label_size=1", DataFormat.CSV),
        ("TEXT/CSV;charset=utf-8", DataFormat.CSV),
        ("libsvm", DataFormat.LIBSVM),
        ("text/x-libsvm", DataFormat.LIBSVM),
        (None, DataFormat.LIBSVM),  # xgboost's default when the channel has no ContentType
        ("parquet", DataFormat.PARQUET),
        ("application/x-parquet", DataFormat.PARQUET),
        ("application/x-recordio-protobuf", DataFormat.RECORDIO_PROTOBUF),
        ("recordio-protobuf", DataFormat.RECORDIO_PROTOBUF),
    ],
)
def test_content_type_aliases(value: str | None, expected: DataFormat) -> None:
    assert parse_content_type(value).format is expected


def test_unsupported_content_type_names_it_and_the_supported_ones() -> None:
    with pytest.raises(UnsupportedContentType) as caught:
        parse_content_type("application/json")
    assert "application/json is not an accepted ContentType" in str(caught.value)
    assert "text/csv" in str(caught.value) and "application/x-recordio-protobuf" in str(caught.value)
    assert caught.value.code == "ValidationException"
    with pytest.raises(UnsupportedContentType, match="label_size must be equal to 1"):
        parse_content_type("text/csv; label_size=2")


def test_csv_channel_nested_gzip_and_hidden_files(tmp_path: Path) -> None:
    write(tmp_path / "a" / "part-0.csv", b"1,0.5,2\n0,1.5,3\n")
    write(tmp_path / "b" / "deeper" / "part-1.csv.gz", gzip.compress(b"1,2.5,4\n"))
    write(tmp_path / "no-suffix", gzip.compress(b"0,3.5,5\n"))  # gzip found by magic, not name
    write(tmp_path / ".amazon.manifest", b"not data")
    write(tmp_path / "_SUCCESS", b"")
    data = read_channel(tmp_path, "text/csv")
    np.testing.assert_array_equal(data.labels, [1, 0, 1, 0])
    np.testing.assert_array_equal(data.features, [[0.5, 2], [1.5, 3], [2.5, 4], [3.5, 5]])


def test_csv_sniffs_delimiter_and_reads_empty_fields_as_missing(tmp_path: Path) -> None:
    write(tmp_path / "t.tsv", b"1\t\t2\n0\t4\t5\n")
    data = read_channel(tmp_path, "csv")
    assert np.isnan(data.features[0, 0])
    np.testing.assert_array_equal(data.features[1], [4, 5])


def test_csv_with_header_row_gives_a_clear_error(tmp_path: Path) -> None:
    write(tmp_path / "train.csv", b"label,x1\n1,2\n")
    with pytest.raises(DataFormatError, match=r"train\.csv: not numeric CSV with the label in the first column"):
        read_channel(tmp_path, "text/csv")


def test_csv_files_with_different_widths_are_rejected(tmp_path: Path) -> None:
    write(tmp_path / "a.csv", b"1,2,3\n")
    write(tmp_path / "b.csv", b"1,2\n")
    with pytest.raises(DataFormatError, match=r"different numbers of columns: \[1, 2\]"):
        read_channel(tmp_path, "text/csv")


def test_libsvm_keeps_indices_as_xgboost_does(tmp_path: Path) -> None:
    xgb = pytest.importorskip("xgboost")
    text = b"1 1:0.5 3:2\n0:2.0 2:1.5\n1 4:7\n"
    path = write(tmp_path / "train" / "data.libsvm", text)
    data = read_channel(tmp_path / "train", "text/libsvm")
    assert scipy.sparse.issparse(data.features)
    np.testing.assert_array_equal(data.dense(), [[0, 0.5, 0, 2, 0], [0, 0, 1.5, 0, 0], [0, 0, 0, 0, 7]])
    np.testing.assert_array_equal(data.labels, [1, 0, 1])
    np.testing.assert_array_equal(data.weights, [1, 2, 1])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # xgboost 3.1 deprecates text input; the container still uses it
        reference = xgb.DMatrix(f"{path}?format=libsvm")
    assert (reference.num_row(), reference.num_col()) == data.features.shape


def test_libsvm_comments_and_qid_are_ignored(tmp_path: Path) -> None:
    write(tmp_path / "d", b"# header comment\n2 qid:3 0:1.5  # trailing\n")
    data = read_channel(tmp_path, "libsvm")
    np.testing.assert_array_equal(data.dense(), [[1.5]])
    np.testing.assert_array_equal(data.labels, [2])


def test_libsvm_files_of_different_widths_stack(tmp_path: Path) -> None:
    write(tmp_path / "a", b"1 0:1\n")
    write(tmp_path / "b", b"0 5:1\n")
    data = read_channel(tmp_path, None)  # no ContentType: libsvm
    assert data.features.shape == (2, 6)


def test_libsvm_bad_line_is_named(tmp_path: Path) -> None:
    write(tmp_path / "d.txt", b"1 1:2\n1,2,3\n")
    with pytest.raises(DataFormatError, match=r"d\.txt: line 2 '1,2,3' is not LIBSVM"):
        read_channel(tmp_path, "libsvm")


def test_parquet_channel_label_first(tmp_path: Path) -> None:
    frame_ = pd.DataFrame({"y": [1.0, 0.0], "a": [0.5, 1.5], "b": [3, 4]})
    frame_.to_parquet(tmp_path / "part.parquet")
    data = read_channel(tmp_path, "application/x-parquet")
    np.testing.assert_array_equal(data.labels, [1, 0])
    np.testing.assert_array_equal(data.features, [[0.5, 3], [1.5, 4]])
    write(tmp_path / "broken.parquet", b"PAR1 not really")
    with pytest.raises(DataFormatError, match=r"broken\.parquet: not a readable parquet file"):
        read_channel(tmp_path, "parquet")


def test_recordio_protobuf_channel_including_gzip(tmp_path: Path) -> None:
    features = np.arange(12, dtype=np.float32).reshape(4, 3)
    first, second = io.BytesIO(), io.BytesIO()
    write_matrix(first, features[:2], np.array([0, 1], np.float32))
    write_matrix(second, features[2:], np.array([1, 0], np.float32))
    write(tmp_path / "shard-0", first.getvalue())
    write(tmp_path / "sub" / "shard-1.gz", gzip.compress(second.getvalue()))
    data = read_channel(tmp_path, "application/x-recordio-protobuf")
    np.testing.assert_array_equal(data.features, features)
    np.testing.assert_array_equal(data.labels, [0, 1, 1, 0])


def test_truncated_recordio_file_is_named(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    write_matrix(buffer, np.ones((2, 3), np.float32))
    write(tmp_path / "shard", buffer.getvalue()[:-6])
    with pytest.raises(DataFormatError, match=r"shard: truncated RecordIO record"):
        read_channel(tmp_path, "recordio-protobuf")


def test_empty_channel_and_missing_path(tmp_path: Path) -> None:
    write(tmp_path / ".hidden", b"1,2\n")
    with pytest.raises(DataFormatError, match="channel has no data files"):
        read_channel(tmp_path, "csv")
    with pytest.raises(DataFormatError, match="is not a valid path"):
        read_channel(tmp_path / "missing", "csv")


def _feed_fifo(path: Path, data: bytes) -> threading.Thread:
    def feed() -> None:
        with path.open("wb") as fifo:
            fifo.write(data)

    thread = threading.Thread(target=feed, daemon=True)
    thread.start()
    return thread


def test_pipe_mode_reads_a_fifo_once(tmp_path: Path) -> None:
    fifo = tmp_path / "train_0"
    os.mkfifo(fifo)
    feeder = _feed_fifo(fifo, b"1,2,3\n0,4,5\n" * 1000)
    with fifo.open("rb") as stream:
        data = read_pipe(stream, "text/csv", source=str(fifo))
    feeder.join(timeout=10)
    assert data.features.shape == (2000, 2)
    np.testing.assert_array_equal(data.labels, [1, 0] * 1000)


def test_pipe_mode_recordio_wrapping_is_one_object_per_record(tmp_path: Path) -> None:
    objects = [b"1,2\n0,3\n", b"1,4"]  # the last object has no trailing newline
    wrapped = b"".join(frame(obj) for obj in objects)
    assert list(iter_pipe_objects(io.BytesIO(wrapped), "RecordIO")) == objects
    data = read_pipe(io.BytesIO(wrapped), "csv", "RecordIO")
    np.testing.assert_array_equal(data.labels, [1, 0, 1])

    fifo = tmp_path / "train_1"
    os.mkfifo(fifo)
    buffer = io.BytesIO()
    write_matrix(buffer, np.eye(3, dtype=np.float32), np.array([0, 1, 2], np.float32))
    feeder = _feed_fifo(fifo, buffer.getvalue())
    with fifo.open("rb") as stream:
        rio = read_pipe(stream, "application/x-recordio-protobuf")
    feeder.join(timeout=10)
    np.testing.assert_array_equal(rio.features, np.eye(3))


def test_iter_lines_across_chunk_boundaries() -> None:
    text = b"".join(b"line %d\r\n" % i for i in range(20000)) + b"tail"
    lines = list(iter_lines(io.BytesIO(text)))
    assert len(lines) == 20001 and lines[0] == b"line 0" and lines[-1] == b"tail"

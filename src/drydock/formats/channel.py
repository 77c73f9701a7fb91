"""A training channel into a :class:`Dataset`: File mode directories and Pipe mode streams.

File mode: SageMaker downloads a channel's S3 prefix under ``/opt/ml/input/data/<channel>`` keeping
the key structure, so data may sit in nested folders. As the xgboost container does
(``data_utils._is_data_file``), names starting with ``.`` or ``_`` (``.amazon.manifest``,
``_SUCCESS``) and xgboost cache files are not data. Files are read in sorted order so a job is
reproducible; gzip files are recognised by their magic bytes, not their names, since objects
keep whatever key the user gave them.

Pipe mode: the channel is a FIFO ``<channel>_<epoch>`` that can be read once. Without a record
wrapper it carries the objects' bytes back to back; with ``RecordWrapperType=RecordIO`` SageMaker
wraps each S3 object in one RecordIO record, so each record parses as one file.
"""

from __future__ import annotations

import gzip
import io
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from drydock.formats.content_type import DataFormat, parse_content_type
from drydock.formats.dataset import Dataset, concat_datasets
from drydock.formats.format_error import DataFormatError
from drydock.formats.record_matrix import read_matrix
from drydock.formats.recordio import ReadableStream, read_records
from drydock.formats.tabular import parse_csv, parse_libsvm, parse_parquet

_GZIP_MAGIC = b"\x1f\x8b"
_LINE_CHUNK = 1 << 16


def _is_data_file(name: str) -> bool:
    if name.startswith((".", "_")):
        return False
    # xgboost's external-memory cache files live beside the data and are not data.
    return not (".cache" in name and ("dtrain" in name or "dval" in name))


def data_files(path: Path) -> list[Path]:
    """The data files of a channel: ``path`` itself if a file, else every data file below it."""
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise DataFormatError(f"{path} is not a valid path")
    found: list[Path] = []
    for root, dirs, files in os.walk(path):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        found.extend(Path(root) / name for name in files if _is_data_file(name))
    # Key order, as S3 lists the objects SageMaker downloaded into the channel.
    return sorted(found, key=lambda file: file.relative_to(path).as_posix())


def open_data(path: Path) -> io.BufferedIOBase:
    """Open a data file for reading, decompressing it when it is gzip."""
    raw = path.open("rb")
    if raw.peek(2)[:2] == _GZIP_MAGIC:
        # Opened by name so closing the GzipFile closes the file (it never closes a fileobj).
        raw.close()
        return gzip.GzipFile(path, mode="rb")
    return raw


def read_data(path: Path) -> bytes:
    """A data file's contents, decompressed; corrupt gzip is a :class:`DataFormatError`."""
    with open_data(path) as stream:
        try:
            return stream.read()
        except (OSError, EOFError) as exc:
            raise DataFormatError(f"{path}: corrupt gzip data: {exc}") from None


def _parse_bytes(fmt: DataFormat, data: bytes, source: str) -> Dataset:
    parsers: dict[DataFormat, Callable[[bytes, str], Dataset]] = {
        DataFormat.CSV: parse_csv,
        DataFormat.LIBSVM: parse_libsvm,
        DataFormat.PARQUET: parse_parquet,
        DataFormat.RECORDIO_PROTOBUF: lambda blob, src: read_matrix(io.BytesIO(blob), src),
    }
    return parsers[fmt](data, source)


def read_channel(path: Path, content_type: str | None) -> Dataset:
    """Every data file of a File-mode channel, parsed per ``content_type`` and stacked in order.

    Raises :class:`UnsupportedContentType` for an unknown content type and :class:`DataFormatError`
    for a channel without data or a file that does not parse.
    """
    fmt = parse_content_type(content_type).format
    files = data_files(path)
    if not files:
        raise DataFormatError(f"{path}: channel has no data files")
    parts: list[Dataset] = []
    for file in files:
        if fmt is DataFormat.RECORDIO_PROTOBUF:
            # Streamed: a RecordIO file never has to sit in memory as bytes and as arrays at once.
            with open_data(file) as stream:
                try:
                    parts.append(read_matrix(stream, str(file)))
                except (OSError, EOFError) as exc:
                    raise DataFormatError(f"{file}: corrupt gzip data: {exc}") from None
        else:
            parts.append(_parse_bytes(fmt, read_data(file), str(file)))
    return concat_datasets([p for p in parts if p.rows] or parts[:1], str(path))


def iter_lines(stream: ReadableStream | BinaryIO) -> Iterator[bytes]:
    """The lines of a stream (without their ``\\n``), read in chunks: for text data on a FIFO."""
    pending = b""
    while chunk := stream.read(_LINE_CHUNK):
        pending += chunk
        *lines, pending = pending.split(b"\n")
        for line in lines:
            yield line.rstrip(b"\r")
    if pending:
        yield pending.rstrip(b"\r")


def iter_pipe_objects(
    stream: ReadableStream | BinaryIO, record_wrapper: str = "None", source: str = "pipe"
) -> Iterator[bytes]:
    """Units of a Pipe-mode channel: with a RecordIO wrapper, one S3 object per record; without,
    one line per item (text formats stream objects back to back, so lines are the only boundary)."""
    if record_wrapper.lower() == "recordio":
        yield from read_records(stream, source)
    else:
        yield from iter_lines(stream)


def read_pipe(
    stream: ReadableStream | BinaryIO, content_type: str | None, record_wrapper: str = "None", source: str = "pipe"
) -> Dataset:
    """A whole Pipe-mode stream, read once, into a Dataset."""
    fmt = parse_content_type(content_type).format
    if record_wrapper.lower() == "recordio":
        parts = [_parse_bytes(fmt, obj, f"{source} record {i}") for i, obj in enumerate(read_records(stream, source))]
        if not parts:
            raise DataFormatError(f"{source}: pipe carried no records")
        return concat_datasets([p for p in parts if p.rows] or parts[:1], source)
    if fmt is DataFormat.RECORDIO_PROTOBUF:
        return read_matrix(stream, source)
    chunks: list[bytes] = []
    while chunk := stream.read(_LINE_CHUNK):
        chunks.append(chunk)
    return _parse_bytes(fmt, b"".join(chunks), source)

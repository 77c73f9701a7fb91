"""An inference request's body as a feature matrix, read the way SageMaker's XGBoost container reads it.

The container (1.7-1, ``serve_utils.parse_content_data``) takes the request's Content-Type through the
same aliases as a training channel (:mod:`drydock.formats.content_type`; none means libsvm) and:

- ``text/csv``: features only, one row per line; surrounding whitespace and a trailing newline are
  stripped, the delimiter comes from the first line, an empty field is a missing value. A large body
  (batch transform sends up to MaxPayloadInMB) is read by pyarrow's C++ reader, which is a dozen
  times faster than building Python lists, whenever it holds nothing but rows of numbers of one width;
  anything else (a header, a ragged row, a quote) is left to the Python reader, so what is accepted,
  the values and the error messages are the same whichever reads it;
- ``text/libsvm`` / ``text/x-libsvm``: ``[<label>] <index>:<value> ...`` per line; anything without a
  colon (the label, if the client sent one) is ignored and indices are used as they are, as training
  reads them, so a model trained on 1-based files lines up with 1-based requests;
- ``application/x-recordio-protobuf``: one Record per row, labels ignored, dense or sparse.

Every other type is answered 415, and so is a body that does not parse, with the container's
messages ("Loading csv data failed with Exception, please ensure data is in csv format: ...").
"""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
import scipy.sparse  # type: ignore[import-untyped]

from drydock.formats.content_type import DataFormat, parse_content_type
from drydock.formats.dataset import Features
from drydock.formats.format_error import DataFormatError, UnsupportedContentType
from drydock.formats.record_matrix import read_matrix
from drydock.serving.model_server.handler import ModelHandlerError

UNSUPPORTED_MEDIA_TYPE = 415
#: Delimiters a CSV request may use, in the order they are tried on its first line.
_DELIMITERS = (",", "\t", ";", "|", " ")
#: CSV bodies from this size on go to pyarrow first; a smaller one (an endpoint's few rows) is read
#: sooner by Python than pyarrow starts, and a process that never sees one never imports pyarrow.
ARROW_CSV_BYTES = 64 * 1024


def decode_features(body: bytes, content_type: str | None) -> Features:
    """The rows of ``body`` as a dense float64 matrix or a CSR matrix; raises :class:`ModelHandlerError`."""
    try:
        parsed = parse_content_type(content_type)
    except UnsupportedContentType as error:
        raise ModelHandlerError(UNSUPPORTED_MEDIA_TYPE, error.message) from None
    if parsed.format is DataFormat.CSV:
        return _parsed("csv", _csv_rows, body)
    if parsed.format is DataFormat.LIBSVM:
        return _parsed("libsvm", _libsvm_rows, body)
    if parsed.format is DataFormat.RECORDIO_PROTOBUF:
        return _parsed("recordio-protobuf", _recordio_rows, body)
    # parquet is a training format only.
    raise ModelHandlerError(UNSUPPORTED_MEDIA_TYPE, f"Content-type {content_type} is not supported.")


def _parsed(name: str, parse: Callable[[bytes], Features], body: bytes) -> Features:
    try:
        return parse(body)
    except (ValueError, UnicodeDecodeError, DataFormatError) as error:
        # The container's wording, so a client matching on it (or a person searching for it) finds it.
        separator = " " if name == "recordio-protobuf" else "\n "
        raise ModelHandlerError(
            UNSUPPORTED_MEDIA_TYPE,
            f"Loading {name} data failed with Exception, please ensure data is in {name} format:"
            f"{separator}<class '{type(error).__name__}'>{separator}{error}",
        ) from None


def _csv_rows(body: bytes) -> Features:
    if len(body) >= ARROW_CSV_BYTES:
        rows = _plain_csv_rows(body)
        if rows is not None:
            return rows
    return _python_csv_rows(body)


def _plain_csv_rows(body: bytes) -> Features | None:
    """The rows by pyarrow when the body is plain rows of numbers of one width, else None.

    pyarrow's float parser accepts what Python's ``float`` does save a few spellings it refuses (those
    fall back) and ``nan(...)``, which Python refuses; its reader skips a byte-order mark and blank
    lines, which Python keeps, and ends lines at a lone ``\\r``. Bodies with those are left to Python.
    """
    text = body.strip()
    if b"\r" in text:
        text = text.replace(b"\r\n", b"\n")
    if not text or b"\r" in text or b"(" in text or text.startswith(b"\xef\xbb\xbf"):
        return None
    end = text.find(b"\n")
    first = text if end < 0 else text[:end]
    delimiter = next((d for d in _DELIMITERS if d.encode() in first.strip()), ",")
    names = [str(column) for column in range(first.count(delimiter.encode()) + 1)]
    import pyarrow as pa  # type: ignore[import-untyped]
    import pyarrow.csv as pa_csv  # type: ignore[import-untyped]

    try:
        table = pa_csv.read_csv(
            pa.BufferReader(text),
            read_options=pa_csv.ReadOptions(column_names=names, use_threads=False),
            # No quoting: a quote is not part of a number.
            parse_options=pa_csv.ParseOptions(delimiter=delimiter, quote_char=False),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.float64()), null_values=[""], strings_can_be_null=False
            ),
        )
    except pa.ArrowException:
        return None
    if table.num_rows != np.count_nonzero(np.frombuffer(text, dtype=np.uint8) == 0x0A) + 1:
        return None  # pyarrow skipped blank lines, which are rows to Python (ragged ones, or NaN)
    rows = np.empty((table.num_rows, len(names)), dtype=np.float64)
    for index, column in enumerate(table.columns):
        rows[:, index] = column.to_numpy()  # an empty field, null to arrow, is NaN here
    return rows


def _python_csv_rows(body: bytes) -> Features:
    lines = body.strip().decode("utf-8").split("\n")
    delimiter = next((d for d in _DELIMITERS if d in lines[0].strip()), ",")
    rows = [[field or "nan" for field in line.split(delimiter)] for line in lines]
    try:
        return np.array(rows, dtype=np.float64)
    except ValueError:
        widths = {len(row) for row in rows}
        if len(widths) > 1:
            first = len(rows[0])
            number = next(n for n, row in enumerate(rows, start=1) if len(row) != first)
            raise ValueError(
                f"line {number} has {len(rows[number - 1])} fields but line 1 has {first} "
                f"(delimiter {delimiter!r}); every row must have the same number of features"
            ) from None
        raise


def _libsvm_rows(body: bytes) -> Features:
    lines = body.strip().decode("utf-8").split("\n")
    indptr = [0]
    indices: list[int] = []
    values: list[float] = []
    for line in lines:
        for token in line.split():
            key, colon, value = token.partition(":")
            if not colon or key == "qid":
                continue  # the label (or a ranking group id) is not a feature
            index = int(key)
            if index < 0:
                raise ValueError(f"negative feature index in {token!r}")
            indices.append(index)
            values.append(float(value))
        indptr.append(len(indices))
    width = max(indices) + 1 if indices else 0
    matrix = scipy.sparse.csr_matrix(
        (np.asarray(values, dtype=np.float64), np.asarray(indices, dtype=np.int64), np.asarray(indptr)),
        shape=(len(lines), width),
    )
    matrix.sort_indices()
    return matrix


def _recordio_rows(body: bytes) -> Features:
    return read_matrix(io.BytesIO(body), source="the request body").features

"""Channel content types: the MIME types and short aliases SageMaker's built-in algorithms accept.

The xgboost container (``data_utils.get_content_type``) lower-cases the value, splits off
``;``-parameters, maps ``csv``/``text/csv`` → csv, ``libsvm``/``text/libsvm``/``text/x-libsvm`` →
libsvm, ``parquet``/``application/x-parquet`` → parquet, ``recordio-protobuf``/
``application/x-recordio-protobuf`` → recordio-protobuf, defaults a missing ContentType to libsvm,
and rejects ``label_size`` other than 1 for csv. We follow it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from drydock.formats.format_error import UnsupportedContentType


class DataFormat(StrEnum):
    CSV = "text/csv"
    LIBSVM = "text/libsvm"
    PARQUET = "application/x-parquet"
    RECORDIO_PROTOBUF = "application/x-recordio-protobuf"


_ALIASES: dict[str, DataFormat] = {
    "csv": DataFormat.CSV,
    "text/csv": DataFormat.CSV,
    "libsvm": DataFormat.LIBSVM,
    "text/libsvm": DataFormat.LIBSVM,
    "text/x-libsvm": DataFormat.LIBSVM,
    "parquet": DataFormat.PARQUET,
    "application/x-parquet": DataFormat.PARQUET,
    "recordio-protobuf": DataFormat.RECORDIO_PROTOBUF,
    "application/x-recordio-protobuf": DataFormat.RECORDIO_PROTOBUF,
}

#: Every spelling accepted, in the order error messages list them.
SUPPORTED = tuple(_ALIASES)


@dataclass(frozen=True)
class ContentType:
    """A parsed content type: the format it names and its ``;key=value`` parameters (lower-cased keys)."""

    format: DataFormat
    params: dict[str, str] = field(default_factory=dict)
    raw: str = ""

    @property
    def label_size(self) -> int:
        return int(self.params.get("label_size", "1"))


def _split_params(value: str) -> tuple[str, dict[str, str]]:
    main, *rest = value.split(";")
    params: dict[str, str] = {}
    for part in rest:
        key, sep, val = part.partition("=")
        if sep and key.strip():
            params[key.strip().lower()] = val.strip().strip('"')
    return main.strip().lower(), params


def parse_content_type(value: str | None, default: DataFormat = DataFormat.LIBSVM) -> ContentType:
    """Parse a channel's ``ContentType``; None or blank means ``default`` (libsvm, as in xgboost).

    Raises :class:`UnsupportedContentType` naming the value and every supported spelling.
    """
    if value is None or not value.strip():
        return ContentType(default, {}, "")
    main, params = _split_params(value)
    fmt = _ALIASES.get(main)
    if fmt is None:
        raise UnsupportedContentType(f"{value} is not an accepted ContentType: {', '.join(SUPPORTED)}.")
    parsed = ContentType(fmt, params, value)
    # SageMaker's xgboost accepts exactly one label column.
    if fmt is DataFormat.CSV and params.get("label_size", "1") != "1":
        raise UnsupportedContentType(
            f"{value} is not an accepted csv ContentType. Optional parameter label_size must be equal to 1"
        )
    return parsed

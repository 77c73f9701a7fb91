"""Shared schema pieces: the ``MetaData`` every table module uses, and portable column types."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Integer, MetaData, String, TypeDecorator
from sqlalchemy.engine import Dialect

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UtcDateTime(TypeDecorator[dt.datetime]):
    """Stores naive UTC (portable across SQLite and PostgreSQL), returns aware UTC datetimes."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        return None if value is None else value.replace(tzinfo=dt.UTC)


def binary_string(length: int) -> Any:
    """A string column that sorts by code point on every backend, as S3 and AWS list APIs do.

    SQLite compares TEXT with memcmp already; PostgreSQL needs the "C" collation or it sorts by locale.
    """
    return String(length).with_variant(String(length, collation="C"), "postgresql")


JsonDocument = JSON

#: A 64-bit auto-incrementing key for tables that grow without bound (log events, metric points):
#: SQLite only auto-increments an ``INTEGER PRIMARY KEY``, PostgreSQL gets a 64-bit sequence.
BigId = BigInteger().with_variant(Integer(), "sqlite")

"""CloudWatch Logs tables: log groups, their streams, and the events written to them.

Times are integers of milliseconds since the epoch, because that is what the Logs API speaks
(``timestamp``, ``ingestionTime``, ``creationTime``) and what tokens compare.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from drydock.store.schema import BigId, JsonDocument, binary_string, metadata

log_groups = Table(
    "log_groups",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # DescribeLogGroups lists names "ASCII-sorted": binary collation on every backend.
    Column("name", binary_string(512), nullable=False),
    Column("creation_time", BigInteger, nullable=False),
    Column("retention_in_days", Integer, nullable=True),
    Column("kms_key_id", String(256), nullable=True),
    Column("log_group_class", String(32), nullable=False),
    Column("deletion_protection", Boolean, nullable=False),
    Column("tags", JsonDocument(), nullable=False),
    UniqueConstraint("name"),
)

log_streams = Table(
    "log_streams",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("group_id", Integer, ForeignKey("log_groups.id", ondelete="CASCADE"), nullable=False),
    Column("name", binary_string(512), nullable=False),
    Column("creation_time", BigInteger, nullable=False),
    Column("first_event_timestamp", BigInteger, nullable=True),
    Column("last_event_timestamp", BigInteger, nullable=True),
    Column("last_ingestion_time", BigInteger, nullable=True),
    Column("stored_bytes", BigInteger, nullable=False),
    #: Bumped by every PutLogEvents; reported as the (now ignored) sequence token.
    Column("sequence", BigInteger, nullable=False),
    UniqueConstraint("group_id", "name"),
    Index("ix_log_streams_group_last_event", "group_id", "last_event_timestamp"),
)

log_events = Table(
    "log_events",
    metadata,
    # The id orders events with equal timestamps in the order they were written, so a reader that
    # continues "after (timestamp, id)" sees each event exactly once.
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("stream_id", Integer, ForeignKey("log_streams.id", ondelete="CASCADE"), nullable=False),
    # Denormalised from the stream so FilterLogEvents can walk a whole group in time order.
    Column("group_id", Integer, ForeignKey("log_groups.id", ondelete="CASCADE"), nullable=False),
    Column("timestamp", BigInteger, nullable=False),
    Column("ingestion_time", BigInteger, nullable=False),
    Column("message", Text, nullable=False),
    Index("ix_log_events_stream_time", "stream_id", "timestamp", "id"),
    Index("ix_log_events_group_time", "group_id", "timestamp", "id"),
)

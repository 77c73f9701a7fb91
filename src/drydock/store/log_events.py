"""The log store: CloudWatch Logs groups, streams and events, with a typed API.

The Logs wire handlers use it, and so does the training engine, which appends job output directly
(``ensure_stream`` then ``put_events``) without going through HTTP. AWS's request rules (chronological
batches, too-old and too-new events) belong to the Logs service, not here: this layer stores what it
is given and reads it back in ``(timestamp, id)`` order.

Every method is one transaction and thread-safe. Missing groups and streams raise
``LogsResourceNotFound``, duplicates ``LogsResourceAlreadyExists``, with CloudWatch's own messages.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, and_, case, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import ColumnElement

from drydock.core.clock import utcnow
from drydock.errors import LogsResourceAlreadyExists, LogsResourceNotFound
from drydock.store.database import Database
from drydock.store.log_tables import log_events, log_groups, log_streams

#: CloudWatch counts an event as its UTF-8 message plus 26 bytes, and pages hold at most 1 MB.
EVENT_OVERHEAD = 26
MAX_PAGE_BYTES = 1_048_576
#: GetLogEvents and FilterLogEvents return at most 10,000 events per page.
MAX_PAGE_EVENTS = 10_000
GROUP_NOT_FOUND = "The specified log group does not exist."
STREAM_NOT_FOUND = "The specified log stream does not exist."


def now_ms() -> int:
    return int(utcnow().timestamp() * 1000)


def event_size(message: str) -> int:
    return len(message.encode("utf-8")) + EVENT_OVERHEAD


@dataclass(frozen=True)
class LogGroup:
    name: str
    creation_time: int
    retention_in_days: int | None
    kms_key_id: str | None
    log_group_class: str
    deletion_protection: bool
    stored_bytes: int


@dataclass(frozen=True)
class LogStream:
    group_name: str
    name: str
    creation_time: int
    first_event_timestamp: int | None
    last_event_timestamp: int | None
    last_ingestion_time: int | None
    stored_bytes: int
    sequence: int


@dataclass(frozen=True)
class InputEvent:
    timestamp: int
    message: str


@dataclass(frozen=True, order=True)
class EventPosition:
    """A point in a stream's ``(timestamp, id)`` order; reads continue strictly after or before it."""

    timestamp: int
    id: int


@dataclass(frozen=True)
class LogEvent:
    id: int
    stream_name: str
    timestamp: int
    message: str
    ingestion_time: int

    @property
    def position(self) -> EventPosition:
        return EventPosition(self.timestamp, self.id)


class StreamOrder(StrEnum):
    NAME = "LogStreamName"
    LAST_EVENT_TIME = "LastEventTime"


@dataclass(frozen=True)
class EventRange:
    """Which events a read returns: ``start <= timestamp < end``, past ``after`` / before ``before``.

    ``newest_first`` takes the newest events that fit (they are still returned oldest first).
    """

    start: int | None = None
    end: int | None = None
    after: EventPosition | None = None
    before: EventPosition | None = None
    newest_first: bool = False
    limit: int = MAX_PAGE_EVENTS
    max_bytes: int = MAX_PAGE_BYTES


class LogStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    # --- groups ---------------------------------------------------------------------------------

    def create_group(
        self,
        name: str,
        *,
        kms_key_id: str | None = None,
        log_group_class: str = "STANDARD",
        deletion_protection: bool = False,
        tags: dict[str, str] | None = None,
    ) -> None:
        row = {
            "name": name,
            "creation_time": now_ms(),
            "retention_in_days": None,
            "kms_key_id": kms_key_id,
            "log_group_class": log_group_class,
            "deletion_protection": deletion_protection,
            "tags": dict(tags or {}),
        }
        try:
            with self.db.transaction() as connection:
                connection.execute(insert(log_groups).values(**row))
        except IntegrityError:
            raise LogsResourceAlreadyExists("The specified log group already exists") from None

    def ensure_group(self, name: str) -> None:
        """Create the group unless it exists (safe when several writers race)."""
        if not self._group_exists(name):
            with contextlib.suppress(LogsResourceAlreadyExists):
                self.create_group(name)

    def get_group(self, name: str) -> LogGroup:
        groups, _ = self.list_groups(names=[name], limit=1)
        if not groups:
            raise LogsResourceNotFound(GROUP_NOT_FOUND)
        return groups[0]

    def delete_group(self, name: str) -> None:
        with self.db.transaction() as connection:
            group_id = _group_id(connection, name)
            # Explicit rather than ON DELETE CASCADE, which SQLite honours only with its pragma on.
            connection.execute(delete(log_events).where(log_events.c.group_id == group_id))
            connection.execute(delete(log_streams).where(log_streams.c.group_id == group_id))
            connection.execute(delete(log_groups).where(log_groups.c.id == group_id))

    def set_retention(self, name: str, days: int | None) -> None:
        with self.db.transaction() as connection:
            group_id = _group_id(connection, name)
            connection.execute(update(log_groups).where(log_groups.c.id == group_id).values(retention_in_days=days))

    def list_groups(
        self,
        *,
        prefix: str | None = None,
        contains: str | None = None,
        names: Sequence[str] | None = None,
        log_group_class: str | None = None,
        after: str | None = None,
        limit: int = 50,
    ) -> tuple[list[LogGroup], bool]:
        """Groups in name order (code point), and whether more follow the page."""
        conditions: list[ColumnElement[bool]] = []
        if prefix is not None:
            conditions.append(_starts_with(log_groups.c.name, prefix))
        if contains is not None:
            conditions.append(self._contains(log_groups.c.name, contains))
        if names is not None:
            conditions.append(log_groups.c.name.in_(list(names)))
        if log_group_class is not None:
            conditions.append(log_groups.c.log_group_class == log_group_class)
        if after is not None:
            conditions.append(log_groups.c.name > after)
        stored = (
            select(func.coalesce(func.sum(log_streams.c.stored_bytes), 0))
            .where(log_streams.c.group_id == log_groups.c.id)
            .scalar_subquery()
        )
        statement = (
            select(log_groups, stored.label("stored_bytes"))
            .where(*conditions)
            .order_by(log_groups.c.name)
            .limit(limit + 1)
        )
        with self.db.transaction() as connection:
            rows = connection.execute(statement).mappings().all()
        return [_group(row) for row in rows[:limit]], len(rows) > limit

    # --- streams --------------------------------------------------------------------------------

    def create_stream(self, group: str, name: str) -> None:
        try:
            with self.db.transaction() as connection:
                group_id = _group_id(connection, group)
                connection.execute(
                    insert(log_streams).values(
                        group_id=group_id, name=name, creation_time=now_ms(), stored_bytes=0, sequence=0
                    )
                )
        except IntegrityError:
            raise LogsResourceAlreadyExists("The specified log stream already exists") from None

    def ensure_stream(self, group: str, name: str) -> None:
        """Create the group and the stream unless they exist: what a job's log writer calls first."""
        self.ensure_group(group)
        if self._stream_exists(group, name):
            return
        with contextlib.suppress(LogsResourceAlreadyExists):
            self.create_stream(group, name)

    def get_stream(self, group: str, name: str) -> LogStream:
        with self.db.transaction() as connection:
            group_id = _group_id(connection, group)
            row = (
                connection.execute(
                    select(log_streams).where(and_(log_streams.c.group_id == group_id, log_streams.c.name == name))
                )
                .mappings()
                .first()
            )
        if row is None:
            raise LogsResourceNotFound(STREAM_NOT_FOUND)
        return _stream(group, row)

    def delete_stream(self, group: str, name: str) -> None:
        with self.db.transaction() as connection:
            _, stream_id = _stream_ids(connection, group, name)
            connection.execute(delete(log_events).where(log_events.c.stream_id == stream_id))
            connection.execute(delete(log_streams).where(log_streams.c.id == stream_id))

    def list_streams(
        self,
        group: str,
        *,
        prefix: str | None = None,
        order: StreamOrder = StreamOrder.NAME,
        descending: bool = False,
        after: tuple[int, str] | None = None,
        limit: int = 50,
    ) -> tuple[list[LogStream], bool]:
        """One page of the group's streams and whether more follow.

        ``after`` is the ``(sort value, name)`` of the last stream of the previous page, see
        :func:`stream_sort_key`.
        """
        # A stream without events sorts as if its last event were at time 0.
        last_event = func.coalesce(log_streams.c.last_event_timestamp, 0)
        with self.db.transaction() as connection:
            group_id = _group_id(connection, group)
            conditions: list[ColumnElement[bool]] = [log_streams.c.group_id == group_id]
            if prefix is not None:
                conditions.append(_starts_with(log_streams.c.name, prefix))
            name = log_streams.c.name
            if after is not None:
                value, last_name = after
                if order is StreamOrder.NAME:
                    conditions.append(name < last_name if descending else name > last_name)
                elif descending:
                    conditions.append(or_(last_event < value, and_(last_event == value, name < last_name)))
                else:
                    conditions.append(or_(last_event > value, and_(last_event == value, name > last_name)))
            keys: list[Any] = [name] if order is StreamOrder.NAME else [last_event, name]
            statement = (
                select(log_streams)
                .where(*conditions)
                .order_by(*[key.desc() if descending else key.asc() for key in keys])
                .limit(limit + 1)
            )
            rows = connection.execute(statement).mappings().all()
        return [_stream(group, row) for row in rows[:limit]], len(rows) > limit

    # --- events ---------------------------------------------------------------------------------

    def put_events(self, group: str, stream: str, events: Sequence[InputEvent]) -> int:
        """Append ``events`` to the stream; returns the stream's new sequence number."""
        ingested = now_ms()
        with self.db.transaction() as connection:
            group_id, stream_id = _stream_ids(connection, group, stream)
            if not events:
                return int(
                    connection.execute(select(log_streams.c.sequence).where(log_streams.c.id == stream_id)).scalar_one()
                )
            low = min(event.timestamp for event in events)
            high = max(event.timestamp for event in events)
            first, last = log_streams.c.first_event_timestamp, log_streams.c.last_event_timestamp
            # Updating the stream row first takes its row lock, so concurrent writers to one stream
            # insert one after the other and event ids grow in commit order (readers rely on that).
            connection.execute(
                update(log_streams)
                .where(log_streams.c.id == stream_id)
                .values(
                    sequence=log_streams.c.sequence + 1,
                    first_event_timestamp=case((or_(first.is_(None), first > low), low), else_=first),
                    last_event_timestamp=case((or_(last.is_(None), last < high), high), else_=last),
                    last_ingestion_time=ingested,
                    stored_bytes=log_streams.c.stored_bytes + sum(event_size(e.message) for e in events),
                )
            )
            connection.execute(
                insert(log_events),
                [
                    {
                        "stream_id": stream_id,
                        "group_id": group_id,
                        "timestamp": event.timestamp,
                        "ingestion_time": ingested,
                        # PostgreSQL text cannot hold NUL; both backends store U+FFFD instead.
                        "message": event.message.replace("\x00", "\ufffd"),
                    }
                    for event in events
                ],
            )
            sequence = connection.execute(select(log_streams.c.sequence).where(log_streams.c.id == stream_id))
            return int(sequence.scalar_one())

    def get_events(self, group: str, stream: str, window: EventRange) -> list[LogEvent]:
        """Events of one stream in ``window``, oldest first."""
        with self.db.transaction() as connection:
            _, stream_id = _stream_ids(connection, group, stream)
            return _read(connection, [log_events.c.stream_id == stream_id], window)

    def scan_group(
        self,
        group: str,
        window: EventRange,
        *,
        stream_names: Sequence[str] | None = None,
        stream_prefix: str | None = None,
        containing: Sequence[str] = (),
    ) -> list[LogEvent]:
        """Events of a whole group, interleaved across streams in ``(timestamp, id)`` order.

        ``containing`` keeps only messages that contain every given text (case-sensitive).
        """
        with self.db.transaction() as connection:
            group_id = _group_id(connection, group)
            conditions: list[ColumnElement[bool]] = [log_events.c.group_id == group_id]
            if stream_names is not None:
                conditions.append(log_streams.c.name.in_(list(stream_names)))
            if stream_prefix is not None:
                conditions.append(_starts_with(log_streams.c.name, stream_prefix))
            conditions.extend(self._contains(log_events.c.message, text) for text in containing)
            return _read(connection, conditions, window)

    # --- helpers --------------------------------------------------------------------------------

    def _group_exists(self, name: str) -> bool:
        with self.db.transaction() as connection:
            return connection.execute(select(log_groups.c.id).where(log_groups.c.name == name)).first() is not None

    def _stream_exists(self, group: str, name: str) -> bool:
        try:
            self.get_stream(group, name)
        except LogsResourceNotFound:
            return False
        return True

    def _contains(self, column: Any, text: str) -> ColumnElement[bool]:
        # LIKE ignores case in SQLite, and CloudWatch matching is case-sensitive: use the dialect's
        # plain substring search instead.
        if self.db.dialect == "sqlite":
            return func.instr(column, text) > 0
        return func.strpos(column, text) > 0


def stream_sort_key(stream: LogStream, order: StreamOrder) -> tuple[int, str]:
    """The ``after`` value that continues a ``list_streams`` page past ``stream``."""
    value = (stream.last_event_timestamp or 0) if order is StreamOrder.LAST_EVENT_TIME else 0
    return value, stream.name


def _read(connection: Connection, conditions: list[ColumnElement[bool]], window: EventRange) -> list[LogEvent]:
    stamp, event_id = log_events.c.timestamp, log_events.c.id
    where = list(conditions)
    if window.start is not None:
        where.append(stamp >= window.start)
    if window.end is not None:
        where.append(stamp < window.end)
    if window.after is not None:
        a = window.after
        where.append(or_(stamp > a.timestamp, and_(stamp == a.timestamp, event_id > a.id)))
    if window.before is not None:
        b = window.before
        where.append(or_(stamp < b.timestamp, and_(stamp == b.timestamp, event_id < b.id)))
    order = (stamp.desc(), event_id.desc()) if window.newest_first else (stamp.asc(), event_id.asc())
    statement = (
        select(event_id, log_streams.c.name, stamp, log_events.c.message, log_events.c.ingestion_time)
        .join_from(log_events, log_streams, log_streams.c.id == log_events.c.stream_id)
        .where(*where)
        .order_by(*order)
        .limit(window.limit)
        # Rows are fetched in batches so a page stops at 1 MB without loading 10,000 big messages.
        .execution_options(yield_per=256)
    )
    found: list[LogEvent] = []
    size = 0
    for row in connection.execute(statement):
        size += event_size(row[3])
        if found and size > window.max_bytes:
            break
        found.append(LogEvent(id=row[0], stream_name=row[1], timestamp=row[2], message=row[3], ingestion_time=row[4]))
    if window.newest_first:
        found.reverse()
    return found


def _starts_with(column: Any, prefix: str) -> ColumnElement[bool]:
    # substr is exact on both backends (LIKE is case-insensitive in SQLite).
    return func.substr(column, 1, len(prefix)) == prefix


def _group_id(connection: Connection, name: str) -> int:
    found = connection.execute(select(log_groups.c.id).where(log_groups.c.name == name)).scalar()
    if found is None:
        raise LogsResourceNotFound(GROUP_NOT_FOUND)
    return int(found)


def _stream_ids(connection: Connection, group: str, name: str) -> tuple[int, int]:
    group_id = _group_id(connection, group)
    found = connection.execute(
        select(log_streams.c.id).where(and_(log_streams.c.group_id == group_id, log_streams.c.name == name))
    ).scalar()
    if found is None:
        raise LogsResourceNotFound(STREAM_NOT_FOUND)
    return group_id, int(found)


def _group(row: Any) -> LogGroup:
    return LogGroup(
        name=row["name"],
        creation_time=row["creation_time"],
        retention_in_days=row["retention_in_days"],
        kms_key_id=row["kms_key_id"],
        log_group_class=row["log_group_class"],
        deletion_protection=bool(row["deletion_protection"]),
        stored_bytes=int(row["stored_bytes"] or 0),
    )


def _stream(group: str, row: Any) -> LogStream:
    return LogStream(
        group_name=group,
        name=row["name"],
        creation_time=row["creation_time"],
        first_event_timestamp=row["first_event_timestamp"],
        last_event_timestamp=row["last_event_timestamp"],
        last_ingestion_time=row["last_ingestion_time"],
        stored_bytes=row["stored_bytes"],
        sequence=row["sequence"],
    )

"""The audit trail: one row per API call (who, what, on which resource, with what outcome, when)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, insert, select
from sqlalchemy.sql.elements import ColumnElement

from drydock.store.database import Database
from drydock.store.tables import audit_events
from drydock.store.write_queue import WriteQueue

#: Most rows written in one transaction when calls arrive faster than single inserts commit.
_BATCH = 500


@dataclass(frozen=True)
class AuditRecord:
    id: int
    time: dt.datetime
    request_id: str
    principal_arn: str
    access_key_id: str
    source_ip: str
    service: str
    operation: str
    resource: str | None
    status: int
    error_code: str | None


class AuditLog:
    """Implements the gateway's ``AuditSink`` port on the store. Thread-safe.

    ``record`` only queues the event; one writer thread commits whatever has queued in a single
    transaction. An insert-and-commit per call cost as much as the whole DescribeModel it recorded,
    and like CloudTrail, whose delivery is asynchronous too, the trail may trail the response by a
    moment: a crash loses at most the calls whose rows were queued but not yet committed. Readers
    (``query``) wait for the queue to drain first, so they see every call answered before them.
    """

    def __init__(self, db: Database) -> None:
        self.db = db
        self._queue: WriteQueue[dict[str, Any]] = WriteQueue(self._write, name="audit-writer", batch=_BATCH)

    def record(self, event: object) -> None:
        fields = {name: getattr(event, name) for name in AuditRecord.__dataclass_fields__ if name != "id"}
        self._queue.put(fields)

    def flush(self) -> None:
        """Block until every event recorded so far is committed."""
        self._queue.flush()

    def close(self) -> None:
        """Commit what is queued and stop the writer; ``record`` after this restarts it."""
        self._queue.close()

    def _write(self, rows: list[dict[str, Any]]) -> None:
        with self.db.transaction() as connection:
            connection.execute(insert(audit_events), rows)

    def query(
        self,
        *,
        start: dt.datetime | None = None,
        end: dt.datetime | None = None,
        operation: str | None = None,
        resource: str | None = None,
        principal_arn: str | None = None,
        before_id: int | None = None,
        limit: int = 50,
    ) -> list[AuditRecord]:
        """Newest first; ``before_id`` continues a previous page."""
        self.flush()
        conditions: list[ColumnElement[bool]] = []
        if start is not None:
            conditions.append(audit_events.c.time >= start)
        if end is not None:
            conditions.append(audit_events.c.time <= end)
        if operation is not None:
            conditions.append(audit_events.c.operation == operation)
        if resource is not None:
            conditions.append(audit_events.c.resource == resource)
        if principal_arn is not None:
            conditions.append(audit_events.c.principal_arn == principal_arn)
        if before_id is not None:
            conditions.append(audit_events.c.id < before_id)
        statement = select(audit_events).order_by(audit_events.c.id.desc()).limit(limit)
        if conditions:
            statement = statement.where(and_(*conditions))
        with self.db.transaction() as connection:
            return [AuditRecord(**row) for row in connection.execute(statement).mappings()]

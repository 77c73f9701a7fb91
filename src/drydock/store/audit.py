"""The audit trail: one row per API call (who, what, on which resource, with what outcome, when)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, insert, select
from sqlalchemy.sql.elements import ColumnElement

from drydock.store.database import Database
from drydock.store.tables import audit_events


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
    """Implements the gateway's ``AuditSink`` port on the store. Thread-safe."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def record(self, event: object) -> None:
        fields = {name: getattr(event, name) for name in AuditRecord.__dataclass_fields__ if name != "id"}
        with self.db.session() as session:
            session.execute(insert(audit_events).values(**fields))

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
        with self.db.session() as session:
            return [AuditRecord(**row) for row in session.execute(statement).mappings()]

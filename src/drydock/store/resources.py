"""Persistence for SageMaker-style resources of every kind, and their tags.

Each resource kind (model, endpoint-config, training-job, ...) keeps its full Describe document as
JSON; the columns hold what List* filters and sorts on. The repository knows nothing of a kind's
rules: ``services/sagemaker/<kind>/service.py`` does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, cast

from sqlalchemy import CursorResult, and_, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import ColumnElement

from drydock.core.clock import utcnow
from drydock.core.listing import ListQuery, Page, SortKey
from drydock.core.pagination import PageToken, decode_token, encode_token, fingerprint
from drydock.core.tags import MAX_TAGS
from drydock.errors import ResourceLimitExceeded, ValidationError
from drydock.store.database import Database
from drydock.store.tables import resources, tags


@dataclass(frozen=True)
class Resource:
    kind: str
    name: str
    arn: str
    status: str | None
    creation_time: dt.datetime
    last_modified_time: dt.datetime
    document: dict[str, Any]

    def revised(self, document: dict[str, Any], status: str | None) -> Resource:
        """This resource with a new document and status, modified now."""
        return replace(self, document=document, status=status, last_modified_time=utcnow())


class AlreadyExists(Exception):
    """A resource with this ARN exists; the service turns it into the kind's AWS error."""


_SORT_COLUMNS = {
    SortKey.NAME: resources.c.name,
    SortKey.CREATION_TIME: resources.c.creation_time,
    # A kind without statuses (models) stores NULL; sorting on "" instead keeps NULLs in one place on
    # every backend (SQLite puts NULL first, PostgreSQL last) and lets keyset tokens compare them.
    SortKey.STATUS: func.coalesce(resources.c.status, ""),
    SortKey.LAST_MODIFIED_TIME: resources.c.last_modified_time,
}


class ResourceRepository:
    """Thread-safe; each method is one transaction."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def create(self, resource: Resource, tag_values: dict[str, str] | None = None) -> None:
        """Insert ``resource`` and its tags atomically. Raises :class:`AlreadyExists`."""
        try:
            with self.db.transaction() as connection:
                connection.execute(insert(resources).values(**_row(resource)))
                if tag_values:
                    connection.execute(
                        insert(tags),
                        [{"arn": resource.arn, "key": k, "value": v} for k, v in tag_values.items()],
                    )
        except IntegrityError:
            raise AlreadyExists(resource.arn) from None

    def get(self, arn: str) -> Resource | None:
        with self.db.transaction() as connection:
            row = connection.execute(select(resources).where(resources.c.arn == arn)).mappings().first()
        return None if row is None else _resource(row)

    def exists(self, arn: str) -> bool:
        with self.db.transaction() as connection:
            return connection.execute(select(resources.c.id).where(resources.c.arn == arn)).first() is not None

    def save(self, resource: Resource) -> None:
        """Overwrite status, times and document of an existing resource."""
        with self.db.transaction() as connection:
            connection.execute(
                update(resources)
                .where(resources.c.arn == resource.arn)
                .values(
                    status=resource.status,
                    last_modified_time=resource.last_modified_time,
                    document=resource.document,
                )
            )

    def modify(self, arn: str, change: Callable[[Resource], Resource | None]) -> Resource | None:
        """Read-modify-write one resource atomically.

        ``change`` gets the current resource and returns the new one (or ``None`` to leave it as it
        is); the row is locked first, so concurrent writers (a StopTrainingJob call and the job's
        own runner) never lose each other's update. Returns the stored result, ``None`` if missing.
        """
        with self.db.transaction() as connection:
            # A no-op UPDATE takes the row lock (PostgreSQL) or the write lock (SQLite) before reading.
            connection.execute(update(resources).where(resources.c.arn == arn).values(arn=resources.c.arn))
            row = connection.execute(select(resources).where(resources.c.arn == arn)).mappings().first()
            if row is None:
                return None
            current = _resource(row)
            changed = change(current)
            if changed is None:
                return current
            connection.execute(
                update(resources)
                .where(resources.c.arn == arn)
                .values(
                    status=changed.status,
                    last_modified_time=changed.last_modified_time,
                    document=changed.document,
                )
            )
            return changed

    def in_status(self, kind: str, statuses: Sequence[str]) -> list[Resource]:
        """Every ``kind`` resource whose status is one of ``statuses`` (reconcilers' work list)."""
        statement = select(resources).where(and_(resources.c.kind == kind, resources.c.status.in_(statuses)))
        with self.db.transaction() as connection:
            return [_resource(row) for row in connection.execute(statement).mappings()]

    def delete(self, arn: str) -> bool:
        """Delete the resource and its tags; ``False`` when it did not exist."""
        with self.db.transaction() as connection:
            deleted = cast(
                CursorResult[Any], connection.execute(delete(resources).where(resources.c.arn == arn))
            ).rowcount
            connection.execute(delete(tags).where(tags.c.arn == arn))
        return bool(deleted)

    def list(self, kind: str, query: ListQuery) -> Page:
        """One page of ``kind`` resources matching ``query``, keyset-paginated."""
        sort_column = _SORT_COLUMNS[query.sort_by]
        stamp = fingerprint(kind, *query.filters_fingerprint())
        conditions: list[ColumnElement[bool]] = [resources.c.kind == kind, *_filters(query)]
        if query.next_token:
            token = decode_token(query.next_token, stamp)
            conditions.append(_after(sort_column, token.after, query.descending))
        order = (
            (sort_column.desc(), resources.c.arn.desc())
            if query.descending
            else (
                sort_column.asc(),
                resources.c.arn.asc(),
            )
        )
        statement = select(resources).where(and_(*conditions)).order_by(*order).limit(query.max_results + 1)
        with self.db.transaction() as connection:
            rows = [_resource(r) for r in connection.execute(statement).mappings()]
        items, more = rows[: query.max_results], len(rows) > query.max_results
        next_token = None
        if more and items:
            last = items[-1]
            key = _sort_value(last, query.sort_by)
            next_token = encode_token(PageToken(stamp, [key, last.arn]))
        return Page(items=items, next_token=next_token)

    # --- tags -----------------------------------------------------------------------------------

    def tags(self, arn: str) -> dict[str, str]:
        with self.db.transaction() as connection:
            rows = connection.execute(select(tags.c.key, tags.c.value).where(tags.c.arn == arn).order_by(tags.c.key))
            return {key: value for key, value in rows}

    def add_tags(self, arn: str, values: dict[str, str]) -> None:
        """Add or overwrite tags; raises ``ResourceLimitExceeded`` past 50 per resource."""
        with self.db.transaction() as connection:
            # Lock the resource row before reading its tags: concurrent AddTags calls then run one after
            # the other (a row lock on PostgreSQL, the write lock on SQLite), so none can overshoot the
            # limit or insert the same new key twice.
            connection.execute(update(resources).where(resources.c.arn == arn).values(arn=resources.c.arn))
            existing = {key for (key,) in connection.execute(select(tags.c.key).where(tags.c.arn == arn))}
            if len(existing | set(values)) > MAX_TAGS:
                raise ResourceLimitExceeded(
                    f"A resource can have at most {MAX_TAGS} tags; this call would leave "
                    f"{len(existing | set(values))} on {arn}"
                )
            for key, value in values.items():
                if key in existing:
                    connection.execute(
                        update(tags).where(and_(tags.c.arn == arn, tags.c.key == key)).values(value=value)
                    )
                else:
                    connection.execute(insert(tags).values(arn=arn, key=key, value=value))

    def delete_tags(self, arn: str, keys: Sequence[str]) -> None:
        with self.db.transaction() as connection:
            connection.execute(delete(tags).where(and_(tags.c.arn == arn, tags.c.key.in_(keys))))

    def count(self, kind: str) -> int:
        with self.db.transaction() as connection:
            return int(connection.execute(select(func.count()).where(resources.c.kind == kind)).scalar_one())


def _filters(query: ListQuery) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = []
    if query.name_contains:
        # AWS matches NameContains case-insensitively.
        found.append(func.lower(resources.c.name).contains(query.name_contains.lower(), autoescape=True))
    if query.created_before:
        found.append(resources.c.creation_time < query.created_before)
    if query.created_after:
        found.append(resources.c.creation_time > query.created_after)
    if query.modified_before:
        found.append(resources.c.last_modified_time < query.modified_before)
    if query.modified_after:
        found.append(resources.c.last_modified_time > query.modified_after)
    if query.status_equals:
        found.append(resources.c.status == query.status_equals)
    return found


def _after(column: Any, after: list[Any], descending: bool) -> ColumnElement[bool]:
    # The fingerprint only proves which query a token belongs to, not that nobody edited its position.
    if len(after) != 2 or not all(isinstance(part, str) for part in after):
        raise ValidationError("Invalid pagination token: pass back the NextToken of a previous page")
    value, arn = after
    if column is resources.c.creation_time or column is resources.c.last_modified_time:
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            raise ValidationError("Invalid pagination token: pass back the NextToken of a previous page") from None
    if descending:
        return or_(column < value, and_(column == value, resources.c.arn < arn))
    return or_(column > value, and_(column == value, resources.c.arn > arn))


def _sort_value(resource: Resource, key: SortKey) -> Any:
    if key is SortKey.NAME:
        return resource.name
    if key is SortKey.STATUS:
        return resource.status or ""
    if key is SortKey.LAST_MODIFIED_TIME:
        return resource.last_modified_time.isoformat()
    return resource.creation_time.isoformat()


def _row(resource: Resource) -> dict[str, Any]:
    return {
        "kind": resource.kind,
        "name": resource.name,
        "arn": resource.arn,
        "status": resource.status,
        "creation_time": resource.creation_time,
        "last_modified_time": resource.last_modified_time,
        "document": resource.document,
    }


def _resource(row: Any) -> Resource:
    return Resource(
        kind=row["kind"],
        name=row["name"],
        arn=row["arn"],
        status=row["status"],
        creation_time=row["creation_time"],
        last_modified_time=row["last_modified_time"],
        document=row["document"],
    )

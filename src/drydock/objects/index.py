"""The embedded store's index: which buckets exist and which blob is the current version of a key.

Each method is one transaction. Writes that replace a row start with ``DELETE ... RETURNING`` so that
the transaction takes the write lock at its first statement (SQLite never has to upgrade a read
lock, PostgreSQL locks the row), and a lost race (two first writes of one key) is retried.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy import Connection, and_, delete, insert, select
from sqlalchemy.exc import IntegrityError, OperationalError

from drydock.objects.failures import (
    bucket_already_owned,
    bucket_not_empty,
    no_such_bucket,
    no_such_key,
    precondition_failed,
)
from drydock.objects.model import BucketInfo, ObjectInfo, ObjectMetadata, WriteCondition
from drydock.store.database import Database
from drydock.store.object_tables import buckets, multipart_parts, multipart_uploads, objects

T = TypeVar("T")
#: Writers of one key race (PostgreSQL: the losers' DELETE sees nothing once the winner commits, and
#: their INSERT then violates the key); each round one of them wins, so N writers of one key need up to
#: N attempts. Between attempts a writer sleeps a few random milliseconds so the losers spread out.
_ATTEMPTS = 32
_RETRY_SLEEP_SECONDS = (0.001, 0.01)
#: Lock and serialization failures worth another attempt (SQLite's busy lock, PostgreSQL's deadlocks).
_TRANSIENT = ("locked", "deadlock detected", "could not serialize")


class ObjectIndex:
    """Thread-safe: every method runs in its own transaction."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # --- buckets --------------------------------------------------------------------------------

    def create_bucket(self, name: str, region: str, now: dt.datetime) -> BucketInfo:
        try:
            with self.db.transaction() as connection:
                connection.execute(insert(buckets).values(name=name, region=region, creation_date=now))
        except IntegrityError:
            raise bucket_already_owned(name) from None
        return BucketInfo(name, now, region)

    def bucket(self, name: str, connection: Connection | None = None) -> BucketInfo:
        if connection is None:
            with self.db.transaction() as own:
                return self.bucket(name, own)
        row = connection.execute(select(buckets).where(buckets.c.name == name)).first()
        if row is None:
            raise no_such_bucket(name)
        return BucketInfo(row.name, row.creation_date, row.region)

    def buckets(self) -> list[BucketInfo]:
        with self.db.transaction() as connection:
            rows = connection.execute(select(buckets).order_by(buckets.c.name)).all()
        return [BucketInfo(r.name, r.creation_date, r.region) for r in rows]

    def delete_bucket(self, name: str) -> list[str]:
        """Delete an empty bucket and its unfinished uploads; returns the part blobs to remove."""
        try:
            with self.db.transaction() as connection:
                self.bucket(name, connection)
                if connection.execute(select(objects.c.key).where(objects.c.bucket == name).limit(1)).first():
                    raise bucket_not_empty(name)
                uploads = select(multipart_uploads.c.upload_id).where(multipart_uploads.c.bucket == name)
                blobs = connection.execute(
                    delete(multipart_parts)
                    .where(multipart_parts.c.upload_id.in_(uploads))
                    .returning(multipart_parts.c.blob)
                ).scalars()
                removed = list(blobs)
                connection.execute(delete(multipart_uploads).where(multipart_uploads.c.bucket == name))
                connection.execute(delete(buckets).where(buckets.c.name == name))
        except IntegrityError:
            # An object arrived between the emptiness check and the delete.
            raise bucket_not_empty(name) from None
        return removed

    # --- objects --------------------------------------------------------------------------------

    def get(self, bucket: str, key: str) -> tuple[ObjectInfo, str]:
        """The current version and its blob id. Raises ``NoSuchBucket``/``NoSuchKey``."""
        with self.db.transaction() as connection:
            row = connection.execute(
                select(objects).where(and_(objects.c.bucket == bucket, objects.c.key == key))
            ).first()
            if row is None:
                self.bucket(bucket, connection)
                raise no_such_key(bucket, key)
        return object_info(row), row.blob

    def replace(self, info: ObjectInfo, blob: str, condition: WriteCondition | None = None) -> str | None:
        """Make ``blob`` the current version of ``info.key``; returns the replaced version's blob."""

        def work(connection: Connection) -> str | None:
            return self.replace_in(connection, info, blob, condition)

        return self.write(work, info.bucket)

    def replace_in(
        self, connection: Connection, info: ObjectInfo, blob: str, condition: WriteCondition | None
    ) -> str | None:
        """:meth:`replace` inside a caller's transaction (multipart completion)."""
        old = connection.execute(
            delete(objects)
            .where(and_(objects.c.bucket == info.bucket, objects.c.key == info.key))
            .returning(objects.c.blob, objects.c.etag)
        ).first()
        if condition is not None:
            if condition.if_none_match and old is not None:
                raise precondition_failed("If-None-Match")
            if condition.if_match is not None:
                if old is None:
                    raise no_such_key(info.bucket, info.key)
                if not _etag_matches(condition.if_match, old.etag):
                    raise precondition_failed("If-Match")
        connection.execute(
            insert(objects).values(
                bucket=info.bucket,
                key=info.key,
                size=info.size,
                etag=info.etag,
                last_modified=info.last_modified,
                blob=blob,
                parts_count=info.parts_count,
                metadata=info.metadata.to_document(),
            )
        )
        return None if old is None else str(old.blob)

    def delete(self, bucket: str, keys: Sequence[str]) -> list[str]:
        """Remove ``keys`` (missing ones are fine); returns the removed versions' blobs."""

        def work(connection: Connection) -> list[str]:
            self.bucket(bucket, connection)
            removed: list[str] = []
            for start in range(0, len(keys), 500):
                chunk = list(keys[start : start + 500])
                removed.extend(
                    connection.execute(
                        delete(objects)
                        .where(and_(objects.c.bucket == bucket, objects.c.key.in_(chunk)))
                        .returning(objects.c.blob)
                    ).scalars()
                )
            return removed

        return self.write(work, bucket)

    def fetch(self, bucket: str, lower: str, inclusive: bool, upper: str | None, limit: int) -> list[ObjectInfo]:
        """Objects of ``bucket`` in key order within the bounds (see ``drydock.objects.listing``)."""
        conditions = [objects.c.bucket == bucket, objects.c.key >= lower if inclusive else objects.c.key > lower]
        if upper is not None:
            conditions.append(objects.c.key < upper)
        with self.db.transaction() as connection:
            rows = connection.execute(
                select(objects).where(and_(*conditions)).order_by(objects.c.key).limit(limit)
            ).all()
        return [object_info(row) for row in rows]

    def referenced_blobs(self) -> set[str]:
        with self.db.transaction() as connection:
            named = set(connection.execute(select(objects.c.blob)).scalars())
            named.update(connection.execute(select(multipart_parts.c.blob)).scalars())
        return named

    def write(self, work: Callable[[Connection], T], bucket: str) -> T:
        """Run ``work`` in a transaction, retrying lost races; a vanished bucket is ``NoSuchBucket``."""
        for attempt in range(_ATTEMPTS):
            try:
                with self.db.transaction() as connection:
                    return work(connection)
            except IntegrityError:
                self.bucket(bucket)  # raises NoSuchBucket when that is what the violation was
                if attempt == _ATTEMPTS - 1:
                    raise
            except OperationalError as error:
                if not any(word in str(error) for word in _TRANSIENT) or attempt == _ATTEMPTS - 1:
                    raise
            time.sleep(random.uniform(*_RETRY_SLEEP_SECONDS))
        raise AssertionError("unreachable")


def object_info(row: Any) -> ObjectInfo:
    return ObjectInfo(
        bucket=row.bucket,
        key=row.key,
        size=int(row.size),
        etag=row.etag,
        last_modified=row.last_modified,
        metadata=ObjectMetadata.from_document(row.metadata or {}),
        parts_count=row.parts_count,
    )


def _etag_matches(wanted: str, etag: str) -> bool:
    """HTTP entity-tag comparison as S3 applies it: ``*`` matches anything, quotes are optional."""
    candidates = [part.strip() for part in wanted.split(",")]
    return any(c == "*" or c.strip('"') == etag.strip('"') for c in candidates)

"""The embedded store's record of unfinished multipart uploads and their parts."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, and_, delete, insert, select

from drydock.objects.failures import no_such_upload
from drydock.objects.index import ObjectIndex
from drydock.objects.listing import successor
from drydock.objects.model import ObjectInfo, ObjectMetadata, PartInfo, UploadInfo, WriteCondition
from drydock.store.object_tables import multipart_parts, multipart_uploads


class UploadIndex:
    """Thread-safe: every method runs in its own transaction."""

    def __init__(self, objects: ObjectIndex) -> None:
        self.objects = objects
        self.db = objects.db

    def create(self, upload: UploadInfo) -> None:
        def work(connection: Connection) -> None:
            self.objects.bucket(upload.bucket, connection)
            connection.execute(
                insert(multipart_uploads).values(
                    upload_id=upload.upload_id,
                    bucket=upload.bucket,
                    key=upload.key,
                    initiated=upload.initiated,
                    metadata=upload.metadata.to_document(),
                )
            )

        self.objects.write(work, upload.bucket)

    def get(self, bucket: str, key: str, upload_id: str, connection: Connection | None = None) -> UploadInfo:
        """The upload, which must belong to ``bucket``/``key``. Raises ``NoSuchUpload``."""
        if connection is None:
            with self.db.transaction() as own:
                return self.get(bucket, key, upload_id, own)
        row = connection.execute(select(multipart_uploads).where(multipart_uploads.c.upload_id == upload_id)).first()
        if row is None or row.bucket != bucket or row.key != key:
            raise no_such_upload(upload_id)
        return _upload(row)

    def put_part(self, bucket: str, key: str, upload_id: str, part: PartInfo, blob: str) -> str | None:
        """Record ``part`` (replacing one of the same number); returns the replaced part's blob."""

        def work(connection: Connection) -> str | None:
            old = connection.execute(
                delete(multipart_parts)
                .where(
                    and_(
                        multipart_parts.c.upload_id == upload_id,
                        multipart_parts.c.part_number == part.part_number,
                    )
                )
                .returning(multipart_parts.c.blob)
            ).scalar()
            self.get(bucket, key, upload_id, connection)
            connection.execute(
                insert(multipart_parts).values(
                    upload_id=upload_id,
                    part_number=part.part_number,
                    size=part.size,
                    etag=part.etag,
                    last_modified=part.last_modified,
                    blob=blob,
                    checksums=dict(part.checksums),
                )
            )
            return None if old is None else str(old)

        return self.objects.write(work, bucket)

    def parts(self, upload_id: str, after: int = 0, limit: int | None = None) -> list[tuple[PartInfo, str]]:
        """Parts numbered above ``after``, ascending, each with its blob id."""
        query = (
            select(multipart_parts)
            .where(and_(multipart_parts.c.upload_id == upload_id, multipart_parts.c.part_number > after))
            .order_by(multipart_parts.c.part_number)
        )
        if limit is not None:
            query = query.limit(limit)
        with self.db.transaction() as connection:
            rows = connection.execute(query).all()
        return [(_part(row), row.blob) for row in rows]

    def complete(
        self, upload: UploadInfo, info: ObjectInfo, blob: str, condition: WriteCondition | None
    ) -> tuple[str | None, list[str]]:
        """Make ``blob`` the object and forget the upload, in one transaction. Returns the replaced
        object's blob and every part blob, all to be removed. Raises ``NoSuchUpload`` when the
        upload was completed or aborted meanwhile."""

        def work(connection: Connection) -> tuple[str | None, list[str]]:
            parts = self._forget(connection, upload.upload_id)
            old = self.objects.replace_in(connection, info, blob, condition)
            return old, parts

        return self.objects.write(work, upload.bucket)

    def abort(self, upload_id: str) -> list[str]:
        with self.db.transaction() as connection:
            return self._forget(connection, upload_id)

    def uploads(self, bucket: str, prefix: str) -> list[UploadInfo]:
        """The bucket's uploads under ``prefix``, by key then initiation (markers applied by caller)."""
        # A key range rather than LIKE: SQLite's LIKE ignores ASCII case, S3 prefixes do not.
        conditions = [multipart_uploads.c.bucket == bucket, multipart_uploads.c.key >= prefix]
        upper = successor(prefix) if prefix else None
        if upper is not None:
            conditions.append(multipart_uploads.c.key < upper)
        order = (multipart_uploads.c.key, multipart_uploads.c.initiated, multipart_uploads.c.upload_id)
        with self.db.transaction() as connection:
            self.objects.bucket(bucket, connection)
            rows = connection.execute(select(multipart_uploads).where(and_(*conditions)).order_by(*order)).all()
        return [_upload(row) for row in rows]

    def _forget(self, connection: Connection, upload_id: str) -> list[str]:
        blobs = list(
            connection.execute(
                delete(multipart_parts)
                .where(multipart_parts.c.upload_id == upload_id)
                .returning(multipart_parts.c.blob)
            ).scalars()
        )
        gone = connection.execute(
            delete(multipart_uploads)
            .where(multipart_uploads.c.upload_id == upload_id)
            .returning(multipart_uploads.c.upload_id)
        ).first()
        if gone is None:
            raise no_such_upload(upload_id)
        return blobs


def _upload(row: Any) -> UploadInfo:
    return UploadInfo(
        bucket=row.bucket,
        key=row.key,
        upload_id=row.upload_id,
        initiated=row.initiated,
        metadata=ObjectMetadata.from_document(row.metadata or {}),
    )


def _part(row: Any) -> PartInfo:
    checksums = row.checksums if isinstance(row.checksums, dict) else {}
    return PartInfo(
        part_number=int(row.part_number),
        size=int(row.size),
        etag=row.etag,
        last_modified=row.last_modified,
        checksums={str(k): str(v) for k, v in checksums.items()},
    )

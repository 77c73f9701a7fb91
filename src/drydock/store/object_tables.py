"""Tables of the embedded object store: buckets, the key index, and unfinished multipart uploads.

Bytes live in blob files under ``<home>/objects``; these rows say which blob is the current version
of which key. Keys and bucket names use :func:`binary_string` so that every backend lists them in
UTF-8 binary order, as S3 does.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, ForeignKey, Index, Integer, String, Table

from drydock.store.schema import JsonDocument, UtcDateTime, binary_string, metadata

buckets = Table(
    "buckets",
    metadata,
    Column("name", binary_string(63), primary_key=True),
    Column("region", String(64), nullable=False),
    Column("creation_date", UtcDateTime(), nullable=False),
)

#: One row per current object version. ``blob`` names the immutable file holding its bytes.
objects = Table(
    "objects",
    metadata,
    Column("bucket", binary_string(63), ForeignKey("buckets.name"), primary_key=True),
    Column("key", binary_string(1024), primary_key=True),
    Column("size", BigInteger, nullable=False),
    Column("etag", String(80), nullable=False),
    Column("last_modified", UtcDateTime(), nullable=False),
    Column("blob", String(64), nullable=False),
    Column("parts_count", Integer, nullable=True),
    Column("metadata", JsonDocument(), nullable=False),
)

multipart_uploads = Table(
    "multipart_uploads",
    metadata,
    Column("upload_id", String(128), primary_key=True),
    Column("bucket", binary_string(63), ForeignKey("buckets.name"), nullable=False),
    Column("key", binary_string(1024), nullable=False),
    Column("initiated", UtcDateTime(), nullable=False),
    Column("metadata", JsonDocument(), nullable=False),
    Index("ix_multipart_uploads_bucket_key", "bucket", "key", "initiated"),
)

multipart_parts = Table(
    "multipart_parts",
    metadata,
    Column(
        "upload_id",
        String(128),
        ForeignKey("multipart_uploads.upload_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("part_number", Integer, primary_key=True),
    Column("size", BigInteger, nullable=False),
    Column("etag", String(80), nullable=False),
    Column("last_modified", UtcDateTime(), nullable=False),
    Column("blob", String(64), nullable=False),
    Column("checksums", JsonDocument(), nullable=False),
)

"""embedded object store: buckets, object index, multipart uploads and parts

Revision ID: 0002_objects
Revises: 0001_core
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import drydock.store.schema

revision = "0002_objects"
down_revision = "0001_core"
branch_labels = None
depends_on = None


def _binary(length: int) -> sa.types.TypeEngine[str]:
    # Code-point order on every backend (see drydock.store.schema.binary_string).
    return sa.String(length=length).with_variant(sa.String(length=length, collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "buckets",
        sa.Column("name", _binary(63), nullable=False),
        sa.Column("region", sa.String(length=64), nullable=False),
        sa.Column("creation_date", drydock.store.schema.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_buckets")),
    )
    op.create_table(
        "objects",
        sa.Column("bucket", _binary(63), nullable=False),
        sa.Column("key", _binary(1024), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("etag", sa.String(length=80), nullable=False),
        sa.Column("last_modified", drydock.store.schema.UtcDateTime(), nullable=False),
        sa.Column("blob", sa.String(length=64), nullable=False),
        sa.Column("parts_count", sa.Integer(), nullable=True),
        sa.Column("metadata", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["bucket"], ["buckets.name"], name=op.f("fk_objects_bucket_buckets")),
        sa.PrimaryKeyConstraint("bucket", "key", name=op.f("pk_objects")),
    )
    op.create_table(
        "multipart_uploads",
        sa.Column("upload_id", sa.String(length=128), nullable=False),
        sa.Column("bucket", _binary(63), nullable=False),
        sa.Column("key", _binary(1024), nullable=False),
        sa.Column("initiated", drydock.store.schema.UtcDateTime(), nullable=False),
        sa.Column("metadata", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["bucket"], ["buckets.name"], name=op.f("fk_multipart_uploads_bucket_buckets")),
        sa.PrimaryKeyConstraint("upload_id", name=op.f("pk_multipart_uploads")),
    )
    with op.batch_alter_table("multipart_uploads", schema=None) as batch_op:
        batch_op.create_index("ix_multipart_uploads_bucket_key", ["bucket", "key", "initiated"], unique=False)
    op.create_table(
        "multipart_parts",
        sa.Column("upload_id", sa.String(length=128), nullable=False),
        sa.Column("part_number", sa.Integer(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("etag", sa.String(length=80), nullable=False),
        sa.Column("last_modified", drydock.store.schema.UtcDateTime(), nullable=False),
        sa.Column("blob", sa.String(length=64), nullable=False),
        sa.Column("checksums", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["upload_id"],
            ["multipart_uploads.upload_id"],
            name=op.f("fk_multipart_parts_upload_id_multipart_uploads"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("upload_id", "part_number", name=op.f("pk_multipart_parts")),
    )


def downgrade() -> None:
    op.drop_table("multipart_parts")
    with op.batch_alter_table("multipart_uploads", schema=None) as batch_op:
        batch_op.drop_index("ix_multipart_uploads_bucket_key")
    op.drop_table("multipart_uploads")
    op.drop_table("objects")
    op.drop_table("buckets")

"""CloudWatch Logs: log groups, log streams, log events

Revision ID: 0003_logs
Revises: 0001_core
Create Date: 2026-11-22 04:00:00

A branch of its own on top of the core tables (the object store's tables are another), which is
why ``drydock.store.migrate`` upgrades to "heads".
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_logs"
down_revision = "0001_core"
branch_labels = None
depends_on = None


def _name(length: int) -> sa.types.TypeEngine[str]:
    # Code-point ordering on PostgreSQL too, as drydock.store.schema.binary_string does.
    return sa.String(length=length).with_variant(sa.String(length=length, collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "log_groups",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", _name(512), nullable=False),
        sa.Column("creation_time", sa.BigInteger(), nullable=False),
        sa.Column("retention_in_days", sa.Integer(), nullable=True),
        sa.Column("kms_key_id", sa.String(length=256), nullable=True),
        sa.Column("log_group_class", sa.String(length=32), nullable=False),
        sa.Column("deletion_protection", sa.Boolean(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_log_groups")),
        sa.UniqueConstraint("name", name=op.f("uq_log_groups_name")),
    )
    op.create_table(
        "log_streams",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("name", _name(512), nullable=False),
        sa.Column("creation_time", sa.BigInteger(), nullable=False),
        sa.Column("first_event_timestamp", sa.BigInteger(), nullable=True),
        sa.Column("last_event_timestamp", sa.BigInteger(), nullable=True),
        sa.Column("last_ingestion_time", sa.BigInteger(), nullable=True),
        sa.Column("stored_bytes", sa.BigInteger(), nullable=False),
        sa.Column("sequence", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"], ["log_groups.id"], name=op.f("fk_log_streams_group_id_log_groups"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_log_streams")),
        sa.UniqueConstraint("group_id", "name", name=op.f("uq_log_streams_group_id_name")),
    )
    op.create_index("ix_log_streams_group_last_event", "log_streams", ["group_id", "last_event_timestamp"])
    op.create_table(
        "log_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("stream_id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.Column("ingestion_time", sa.BigInteger(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["stream_id"], ["log_streams.id"], name=op.f("fk_log_events_stream_id_log_streams"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["group_id"], ["log_groups.id"], name=op.f("fk_log_events_group_id_log_groups"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_log_events")),
    )
    op.create_index("ix_log_events_stream_time", "log_events", ["stream_id", "timestamp", "id"])
    op.create_index("ix_log_events_group_time", "log_events", ["group_id", "timestamp", "id"])


def downgrade() -> None:
    op.drop_index("ix_log_events_group_time", table_name="log_events")
    op.drop_index("ix_log_events_stream_time", table_name="log_events")
    op.drop_table("log_events")
    op.drop_index("ix_log_streams_group_last_event", table_name="log_streams")
    op.drop_table("log_streams")
    op.drop_table("log_groups")

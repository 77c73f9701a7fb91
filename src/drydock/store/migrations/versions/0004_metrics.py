"""CloudWatch metrics: series, their dimensions, and data points

Revision ID: 0004_metrics
Revises: 0001_core
Create Date: 2026-11-24 09:00:00

A branch of its own on top of the core tables, like the objects and logs branches.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from drydock.store.schema import binary_string

revision = "0004_metrics"
down_revision = "0001_core"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "metric_series",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("series_key", sa.String(length=64), nullable=False),
        sa.Column("namespace", binary_string(255), nullable=False),
        sa.Column("metric_name", binary_string(255), nullable=False),
        sa.Column("dimensions", sa.JSON(), nullable=False),
        sa.Column("last_put", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_metric_series")),
        sa.UniqueConstraint("series_key", name=op.f("uq_metric_series_series_key")),
    )
    op.create_index("ix_metric_series_namespace_metric_name", "metric_series", ["namespace", "metric_name"])
    op.create_table(
        "metric_dimensions",
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("name", binary_string(255), nullable=False),
        sa.Column("value", sa.String(length=1024), nullable=False),
        sa.ForeignKeyConstraint(
            ["series_id"],
            ["metric_series.id"],
            name=op.f("fk_metric_dimensions_series_id_metric_series"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("series_id", "name", name=op.f("pk_metric_dimensions")),
    )
    op.create_index("ix_metric_dimensions_name_series_id", "metric_dimensions", ["name", "series_id"])
    op.create_table(
        "metric_points",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.Column("unit", sa.String(length=32), nullable=False),
        sa.Column("sample_count", sa.Double(), nullable=False),
        sa.Column("sum", sa.Double(), nullable=False),
        sa.Column("minimum", sa.Double(), nullable=False),
        sa.Column("maximum", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["series_id"],
            ["metric_series.id"],
            name=op.f("fk_metric_points_series_id_metric_series"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_metric_points")),
    )
    op.create_index("ix_metric_points_series_id_timestamp", "metric_points", ["series_id", "timestamp"])


def downgrade() -> None:
    op.drop_index("ix_metric_points_series_id_timestamp", table_name="metric_points")
    op.drop_table("metric_points")
    op.drop_index("ix_metric_dimensions_name_series_id", table_name="metric_dimensions")
    op.drop_table("metric_dimensions")
    op.drop_index("ix_metric_series_namespace_metric_name", table_name="metric_series")
    op.drop_table("metric_series")

"""CloudWatch metric tables: one row per metric (series), its dimensions, and its data points.

A series is one (namespace, metric name, dimension set): CloudWatch treats every distinct dimension
combination as a metric of its own. ``series_key`` is a digest of the three, so a write or a
GetMetricStatistics finds its series with one unique-index lookup however long the dimension
values are (30 dimensions of 1,024 characters would not fit a PostgreSQL B-tree entry).

Points are statistic sets (SampleCount, Sum, Minimum, Maximum), times are integers of milliseconds
since the epoch so that grouping into Period buckets is integer arithmetic on every backend.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Double, ForeignKey, Index, Integer, String, Table, UniqueConstraint

from drydock.store.schema import BigId, JsonDocument, binary_string, metadata

metric_series = Table(
    "metric_series",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    #: SHA-256 (hex) of the canonical (namespace, metric name, sorted dimensions).
    Column("series_key", String(64), nullable=False),
    Column("namespace", binary_string(255), nullable=False),
    Column("metric_name", binary_string(255), nullable=False),
    #: ``[[name, value], ...]`` sorted by name: what ListMetrics answers.
    Column("dimensions", JsonDocument(), nullable=False),
    #: When data was last put (ms, wall clock): ListMetrics' RecentlyActive and two-week horizon.
    Column("last_put", BigInteger, nullable=False),
    UniqueConstraint("series_key"),
    Index("ix_metric_series_namespace_metric_name", "namespace", "metric_name"),
)

#: The same dimensions, one row each, so ListMetrics' dimension filters are indexed lookups.
metric_dimensions = Table(
    "metric_dimensions",
    metadata,
    Column("series_id", Integer, ForeignKey("metric_series.id", ondelete="CASCADE"), primary_key=True),
    Column("name", binary_string(255), primary_key=True),
    Column("value", String(1024), nullable=False),
    Index("ix_metric_dimensions_name_series_id", "name", "series_id"),
)

metric_points = Table(
    "metric_points",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("series_id", Integer, ForeignKey("metric_series.id", ondelete="CASCADE"), nullable=False),
    Column("timestamp", BigInteger, nullable=False),
    Column("unit", String(32), nullable=False),
    Column("sample_count", Double, nullable=False),
    Column("sum", Double, nullable=False),
    Column("minimum", Double, nullable=False),
    Column("maximum", Double, nullable=False),
    Index("ix_metric_points_series_id_timestamp", "series_id", "timestamp"),
)

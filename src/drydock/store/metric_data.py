"""The metric store: CloudWatch data points, written in batches and read back as Period statistics.

Two writers feed it: PutMetricData, through the CloudWatch handlers, and the hosting layer, which puts
one pre-aggregated 1-second statistic set per endpoint variant and metric (Invocations, ModelLatency,
...) about once a second. Every point is a statistic set because sets merge exactly: the statistics
of a Period are sums, minima and maxima of its points, which the database computes with one GROUP BY.

Writes are queued and committed by one writer thread, in as few transactions as the queue allows:
a caller that puts once a second per variant never waits on the database, and a burst of callers
costs one commit. Readers flush the queue first, so they see every put made before them; a crash
loses at most the points still queued (CloudWatch too makes new points visible only after a moment).

Every method is thread-safe. Nothing here knows CloudWatch's request rules (timestamp windows, value
ranges, Period alignment): the service checks those and hands over well-formed data.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, exists, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import ColumnElement

from drydock.core.clock import utcnow
from drydock.store.database import Database
from drydock.store.metric_tables import metric_dimensions, metric_points, metric_series
from drydock.store.write_queue import WriteQueue

#: Most queued puts committed in one transaction.
_BATCH = 200
#: Series keys looked up per statement (well under SQLite's bound-parameter limit).
_LOOKUP_CHUNK = 500
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MS = dt.timedelta(milliseconds=1)

Dimensions = tuple[tuple[str, str], ...]


def to_ms(moment: dt.datetime) -> int:
    """Milliseconds since the epoch of an aware (or naive UTC) datetime, exactly."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    return (aware - _EPOCH) // _MS


def from_ms(ms: int) -> dt.datetime:
    return _EPOCH + ms * _MS


def canonical_dimensions(dimensions: Iterable[tuple[str, str]]) -> Dimensions:
    """Sorted by name: CloudWatch treats a dimension set in any order as the same metric."""
    return tuple(sorted((str(name), str(value)) for name, value in dimensions))


@dataclass(frozen=True)
class MetricId:
    """One metric as CloudWatch counts them: a namespace, a name and an exact set of dimensions."""

    namespace: str
    metric_name: str
    dimensions: Dimensions = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "dimensions", canonical_dimensions(self.dimensions))

    @property
    def series_key(self) -> str:
        canonical = json.dumps([self.namespace, self.metric_name, self.dimensions], separators=(",", ":"))
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class MetricDatum:
    """One statistic set of one metric at one time. A single value is ``sample_count=1`` and
    ``sum == minimum == maximum == value`` (see :meth:`single`). ``dimensions`` are stored sorted by
    name, so the same set in any order is the same metric."""

    namespace: str
    metric_name: str
    dimensions: Dimensions
    timestamp: dt.datetime
    unit: str
    sample_count: float
    sum: float
    minimum: float
    maximum: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "dimensions", canonical_dimensions(self.dimensions))
        if self.timestamp.tzinfo is None:
            object.__setattr__(self, "timestamp", self.timestamp.replace(tzinfo=dt.UTC))

    @classmethod
    def single(
        cls,
        namespace: str,
        metric_name: str,
        value: float,
        *,
        timestamp: dt.datetime,
        dimensions: Dimensions = (),
        unit: str = "None",
        count: float = 1.0,
    ) -> MetricDatum:
        """``count`` occurrences of ``value`` (PutMetricData's Values and Counts)."""
        return cls(namespace, metric_name, dimensions, timestamp, unit, count, value * count, value, value)

    @property
    def metric(self) -> MetricId:
        return MetricId(self.namespace, self.metric_name, self.dimensions)


@dataclass(frozen=True)
class Aggregate:
    """The statistics of one Period bucket (of one unit, when asked for per unit)."""

    start: dt.datetime
    unit: str | None
    sample_count: float
    sum: float
    minimum: float
    maximum: float


@dataclass(frozen=True)
class Sample:
    """One stored point, as percentile computations need them."""

    timestamp: dt.datetime
    unit: str
    sample_count: float
    minimum: float
    maximum: float


@dataclass(frozen=True)
class MetricSeries:
    id: int
    metric: MetricId


@dataclass(frozen=True)
class SeriesFilter:
    """ListMetrics' filters: each dimension filter is a name, with or without the value it must have."""

    namespace: str | None = None
    metric_name: str | None = None
    dimensions: tuple[tuple[str, str | None], ...] = ()
    put_since: dt.datetime | None = None


class MetricStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._queue: WriteQueue[list[MetricDatum]] = WriteQueue(self._write, name="metric-writer", batch=_BATCH)
        #: series_key -> id, only touched by the writer thread.
        self._series_ids: dict[str, int] = {}

    # --- writing ---------------------------------------------------------------------------------

    def put(self, data: Iterable[MetricDatum]) -> None:
        """Queue ``data`` for the writer thread and return at once. Thread-safe."""
        batch = list(data)
        if batch:
            self._queue.put(batch)

    def flush(self) -> None:
        """Block until everything put so far is committed (or has failed and been logged)."""
        self._queue.flush()

    def close(self) -> None:
        """Commit what is queued and stop the writer; a later ``put`` starts it again."""
        self._queue.close()

    def _write(self, batches: list[list[MetricDatum]]) -> None:
        data = [datum for batch in batches for datum in batch]
        metrics = {datum.metric.series_key: datum.metric for datum in data}
        ids = self._resolve_series(metrics)
        rows = [
            {
                "series_id": ids[datum.metric.series_key],
                "timestamp": to_ms(datum.timestamp),
                "unit": datum.unit,
                "sample_count": datum.sample_count,
                "sum": datum.sum,
                "minimum": datum.minimum,
                "maximum": datum.maximum,
            }
            for datum in data
        ]
        with self.db.transaction() as connection:
            connection.execute(insert(metric_points), rows)
            touched = sorted(set(ids.values()))
            connection.execute(
                update(metric_series).where(metric_series.c.id.in_(touched)).values(last_put=to_ms(utcnow()))
            )

    def _resolve_series(self, metrics: dict[str, MetricId]) -> dict[str, int]:
        missing = [key for key in metrics if key not in self._series_ids]
        if missing:
            self._series_ids.update(self._lookup(missing))
            for key in missing:
                if key not in self._series_ids:
                    self._create_series(metrics[key])
            raced = [key for key in missing if key not in self._series_ids]
            if raced:  # another process created them between our lookup and our insert
                self._series_ids.update(self._lookup(raced))
        return {key: self._series_ids[key] for key in metrics}

    def _lookup(self, keys: list[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        with self.db.transaction() as connection:
            for offset in range(0, len(keys), _LOOKUP_CHUNK):
                chunk = keys[offset : offset + _LOOKUP_CHUNK]
                statement = select(metric_series.c.series_key, metric_series.c.id).where(
                    metric_series.c.series_key.in_(chunk)
                )
                found.update({key: id_ for key, id_ in connection.execute(statement)})
        return found

    def _create_series(self, metric: MetricId) -> None:
        """Insert the series and its dimensions; another process inserting it first is fine."""
        try:
            with self.db.transaction() as connection:
                inserted = connection.execute(
                    insert(metric_series)
                    .values(
                        series_key=metric.series_key,
                        namespace=metric.namespace,
                        metric_name=metric.metric_name,
                        dimensions=[list(pair) for pair in metric.dimensions],
                        last_put=to_ms(utcnow()),
                    )
                    .returning(metric_series.c.id)
                )
                series_id = int(inserted.scalar_one())
                if metric.dimensions:
                    connection.execute(
                        insert(metric_dimensions),
                        [{"series_id": series_id, "name": n, "value": v} for n, v in metric.dimensions],
                    )
            self._series_ids[metric.series_key] = series_id
        except IntegrityError:
            pass

    # --- reading ---------------------------------------------------------------------------------

    def statistics(
        self,
        metric: MetricId,
        start: dt.datetime,
        end: dt.datetime,
        period_seconds: int,
        *,
        unit: str | None = None,
        by_unit: bool = False,
    ) -> list[Aggregate]:
        """Statistics of the points in ``[start, end)`` in buckets of ``period_seconds`` counted from
        ``start``, oldest first; only buckets holding points. ``unit`` keeps only points of that unit;
        ``by_unit`` gives each unit its own aggregate per bucket (else units are merged, unit None)."""
        self.flush()
        start_ms, period_ms = to_ms(start), period_seconds * 1000
        bucket = ((metric_points.c.timestamp - start_ms) // period_ms).label("bucket")
        columns: list[Any] = [
            bucket,
            func.sum(metric_points.c.sample_count),
            func.sum(metric_points.c.sum),
            func.min(metric_points.c.minimum),
            func.max(metric_points.c.maximum),
        ]
        group: list[Any] = [bucket]
        if by_unit:
            columns.append(metric_points.c.unit)
            group.append(metric_points.c.unit)
        statement = select(*columns).where(self._points_of(metric, start, end, unit)).group_by(*group).order_by(bucket)
        with self.db.transaction() as connection:
            rows = connection.execute(statement).all()
        return [
            Aggregate(
                start=from_ms(start_ms + int(row[0]) * period_ms),
                unit=row[5] if by_unit else None,
                sample_count=float(row[1]),
                sum=float(row[2]),
                minimum=float(row[3]),
                maximum=float(row[4]),
            )
            for row in rows
        ]

    def samples(
        self, metric: MetricId, start: dt.datetime, end: dt.datetime, *, unit: str | None = None
    ) -> list[Sample]:
        """Every point in ``[start, end)``, oldest first: what percentiles are computed from."""
        self.flush()
        statement = (
            select(
                metric_points.c.timestamp,
                metric_points.c.unit,
                metric_points.c.sample_count,
                metric_points.c.minimum,
                metric_points.c.maximum,
            )
            .where(self._points_of(metric, start, end, unit))
            .order_by(metric_points.c.timestamp, metric_points.c.id)
        )
        with self.db.transaction() as connection:
            return [Sample(from_ms(row[0]), row[1], row[2], row[3], row[4]) for row in connection.execute(statement)]

    @staticmethod
    def _points_of(metric: MetricId, start: dt.datetime, end: dt.datetime, unit: str | None) -> ColumnElement[bool]:
        series = select(metric_series.c.id).where(metric_series.c.series_key == metric.series_key).scalar_subquery()
        conditions = [
            metric_points.c.series_id == series,
            metric_points.c.timestamp >= to_ms(start),
            metric_points.c.timestamp < to_ms(end),
        ]
        if unit is not None:
            conditions.append(metric_points.c.unit == unit)
        return and_(*conditions)

    def list_series(self, where: SeriesFilter, *, after_id: int | None = None, limit: int = 500) -> list[MetricSeries]:
        """Series matching ``where`` in the order they were first put, after ``after_id``. A series
        matches a dimension filter when it has that dimension (with that value, when one is given),
        whatever other dimensions it has."""
        self.flush()
        conditions: list[ColumnElement[bool]] = []
        if where.namespace is not None:
            conditions.append(metric_series.c.namespace == where.namespace)
        if where.metric_name is not None:
            conditions.append(metric_series.c.metric_name == where.metric_name)
        if where.put_since is not None:
            conditions.append(metric_series.c.last_put >= to_ms(where.put_since))
        if after_id is not None:
            conditions.append(metric_series.c.id > after_id)
        conditions.extend(_has_dimension(name, value) for name, value in where.dimensions)
        statement = select(metric_series).order_by(metric_series.c.id).limit(limit)
        if conditions:
            statement = statement.where(and_(*conditions))
        with self.db.transaction() as connection:
            return [_series(row) for row in connection.execute(statement).mappings()]


def _has_dimension(name: str, value: str | None) -> ColumnElement[bool]:
    condition = and_(metric_dimensions.c.series_id == metric_series.c.id, metric_dimensions.c.name == name)
    if value is not None:
        condition = and_(condition, metric_dimensions.c.value == value)
    return exists().where(condition)


def _series(row: Any) -> MetricSeries:
    dimensions: Sequence[Sequence[str]] = row["dimensions"]
    return MetricSeries(
        id=row["id"],
        metric=MetricId(row["namespace"], row["metric_name"], tuple((n, v) for n, v in dimensions)),
    )

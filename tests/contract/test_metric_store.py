"""The metric store on SQLite and PostgreSQL alike: what CloudWatch's handlers and the hosting layer
rely on (batched puts visible to the next read, Period buckets, exact dimension sets, listing)."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator

import pytest

from drydock.store.database import Database
from drydock.store.metric_data import MetricDatum, MetricId, MetricStore, SeriesFilter

T0 = dt.datetime(2026, 1, 1, 0, 0, tzinfo=dt.UTC)
ENDPOINT = (("EndpointName", "ep"), ("VariantName", "AllTraffic"))


@pytest.fixture
def store(db: Database) -> Iterator[MetricStore]:
    metrics = MetricStore(db)
    yield metrics
    metrics.close()


def second(n: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=n)


def invocations(n: int, value: float, dims: tuple[tuple[str, str], ...] = ENDPOINT) -> MetricDatum:
    return MetricDatum.single("AWS/SageMaker", "Invocations", value, timestamp=second(n), dimensions=dims, unit="Count")


def test_hosting_style_sets_aggregate_into_periods(store: MetricStore) -> None:
    # One pre-aggregated 1-second set per second, as the hosting layer puts them.
    store.put(
        MetricDatum(
            "AWS/SageMaker",
            "ModelLatency",
            (("VariantName", "AllTraffic"), ("EndpointName", "ep")),  # any order: the same metric
            second(s),
            "Microseconds",
            sample_count=2,
            sum=2 * (100 + s),
            minimum=100 + s - 1,
            maximum=100 + s + 1,
        )
        for s in range(120)
    )
    metric = MetricId("AWS/SageMaker", "ModelLatency", ENDPOINT)
    buckets = store.statistics(metric, T0, second(180), 60)
    assert [(b.start, b.sample_count, b.minimum, b.maximum) for b in buckets] == [
        (T0, 120, 99, 160),
        (second(60), 120, 159, 220),
    ]
    assert buckets[0].sum == sum(2 * (100 + s) for s in range(60)) and buckets[0].unit is None
    # [start, end): the point at 60 s belongs to the second bucket only.
    assert [b.sample_count for b in store.statistics(metric, T0, second(61), 30)] == [60, 60, 2]
    # Other dimension sets are other metrics.
    assert store.statistics(MetricId("AWS/SageMaker", "ModelLatency", ENDPOINT[:1]), T0, second(180), 60) == []


def test_units_apart_or_merged_and_filtered(store: MetricStore) -> None:
    metric = MetricId("App", "Size")
    store.put(
        [
            MetricDatum.single("App", "Size", 1, timestamp=second(1), unit="Bytes"),
            MetricDatum.single("App", "Size", 2, timestamp=second(2), unit="Kilobytes"),
            MetricDatum.single("App", "Size", 3, timestamp=second(3), unit="Bytes", count=2),
        ]
    )
    per_unit = store.statistics(metric, T0, second(60), 60, by_unit=True)
    assert sorted((b.unit, b.sample_count, b.sum) for b in per_unit) == [("Bytes", 3, 7), ("Kilobytes", 1, 2)]
    merged = store.statistics(metric, T0, second(60), 60)
    assert [(b.sample_count, b.sum) for b in merged] == [(4, 9)]
    only = store.statistics(metric, T0, second(60), 60, unit="Kilobytes")
    assert [(b.unit, b.sum) for b in only] == [(None, 2)]
    samples = store.samples(metric, T0, second(60), unit="Bytes")
    assert [(s.timestamp, s.sample_count, s.minimum) for s in samples] == [(second(1), 1, 1), (second(3), 2, 3)]


def test_puts_from_many_threads_are_all_read_back(store: MetricStore) -> None:
    def writer(variant: int) -> None:
        dims = (("EndpointName", "ep"), ("VariantName", f"v{variant}"))
        for s in range(50):
            store.put([invocations(s, 1.0, dims)])

    threads = [threading.Thread(target=writer, args=(v,)) for v in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for variant in range(4):
        dims = (("EndpointName", "ep"), ("VariantName", f"v{variant}"))
        (bucket,) = store.statistics(MetricId("AWS/SageMaker", "Invocations", dims), T0, second(60), 60)
        assert bucket.sum == 50
    listed = store.list_series(SeriesFilter(namespace="AWS/SageMaker"))
    assert len(listed) == 4


def test_a_closed_store_restarts_and_a_new_one_sees_the_same_series(store: MetricStore, db: Database) -> None:
    store.put([invocations(1, 1.0)])
    store.close()
    store.put([invocations(2, 1.0)])  # the writer starts again
    other = MetricStore(db)
    try:
        other.put([invocations(3, 1.0)])  # finds the existing series instead of adding one
        (bucket,) = other.statistics(MetricId("AWS/SageMaker", "Invocations", ENDPOINT), T0, second(60), 60)
        assert bucket.sample_count == 3
        assert len(other.list_series(SeriesFilter())) == 1
    finally:
        other.close()


def test_listing_filters_and_pages(store: MetricStore) -> None:
    store.put(
        [
            MetricDatum.single("AWS/SageMaker", "Invocations", 1, timestamp=T0, dimensions=ENDPOINT),
            MetricDatum.single("AWS/SageMaker", "ModelLatency", 1, timestamp=T0, dimensions=ENDPOINT),
            MetricDatum.single(
                "AWS/SageMaker", "Invocations", 1, timestamp=T0, dimensions=(("EndpointName", "other"),)
            ),
            MetricDatum.single("App", "Invocations", 1, timestamp=T0),
        ]
    )

    def names(where: SeriesFilter) -> list[tuple[str, str, tuple[tuple[str, str], ...]]]:
        return [(s.metric.namespace, s.metric.metric_name, s.metric.dimensions) for s in store.list_series(where)]

    assert len(names(SeriesFilter())) == 4
    assert names(SeriesFilter(namespace="App")) == [("App", "Invocations", ())]
    assert len(names(SeriesFilter(metric_name="Invocations"))) == 3
    # A dimension filter by name matches metrics that also have other dimensions; with a value, exactly it.
    assert len(names(SeriesFilter(dimensions=(("EndpointName", None),)))) == 3
    assert names(SeriesFilter(dimensions=(("EndpointName", "other"),))) == [
        ("AWS/SageMaker", "Invocations", (("EndpointName", "other"),))
    ]
    assert len(names(SeriesFilter(dimensions=(("EndpointName", "ep"), ("VariantName", None))))) == 2
    assert names(SeriesFilter(dimensions=(("Missing", None),))) == []
    # Recent activity is when data was put, not the data's own time stamps.
    assert len(names(SeriesFilter(put_since=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)))) == 4
    assert names(SeriesFilter(put_since=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5))) == []
    first = store.list_series(SeriesFilter(), limit=3)
    rest = store.list_series(SeriesFilter(), after_id=first[-1].id, limit=3)
    assert len(first) == 3 and len(rest) == 1 and rest[0].id not in {s.id for s in first}


def test_long_and_unicode_names_are_kept_exactly(store: MetricStore) -> None:
    dims = tuple((f"D{i:02d}-é", "v" * 1024) for i in range(30))
    store.put([MetricDatum.single("Ns", "Metric ü", 2.5, timestamp=second(5), dimensions=dims)])
    (series,) = store.list_series(SeriesFilter(namespace="Ns"))
    assert series.metric == MetricId("Ns", "Metric ü", dims)
    (bucket,) = store.statistics(series.metric, T0, second(60), 60)
    assert (bucket.sum, bucket.start) == (2.5, T0)

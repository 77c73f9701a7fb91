"""CloudWatch's arithmetic without a server: window alignment and Period rules, statistics and
percentiles of statistic sets, and metric-math expressions."""

from __future__ import annotations

import datetime as dt

import pytest

from drydock.errors import InvalidParameterValue, ValidationError
from drydock.services.cloudwatch.expressions import Expression
from drydock.services.cloudwatch.statistic import is_other_extended, parse_statistic, percentiles_by_bucket
from drydock.services.cloudwatch.windows import aligned_start, check_period, query_window
from drydock.store.metric_data import Aggregate, Sample

NOW = dt.datetime(2026, 6, 1, 12, 0, 0, tzinfo=dt.UTC)


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("start", "period", "aligned"),
    [
        # Less than 15 days ago: down to the minute, whatever the period above a minute.
        ("2026-06-01T11:32:34", 300, "2026-06-01T11:32:00"),
        # 15 to 63 days ago: to 5 minutes; beyond: to the hour.
        ("2026-05-01T11:32:34", 60, "2026-05-01T11:30:00"),
        ("2026-01-01T11:32:34", 3600, "2026-01-01T11:00:00"),
        # High-resolution periods: to a multiple of the period (CloudWatch's 01:05:23 -> 01:05:20).
        ("2026-06-01T01:05:23", 10, "2026-06-01T01:05:20"),
        ("2026-06-01T15:07:17", 5, "2026-06-01T15:07:15"),
        ("2026-06-01T15:07:17.900", 1, "2026-06-01T15:07:17"),
    ],
)
def test_start_is_rounded_down_as_cloudwatch_documents(start: str, period: int, aligned: str) -> None:
    assert aligned_start(at(start), period, NOW) == at(aligned)


def test_periods_and_time_order() -> None:
    for period in (1, 5, 10, 20, 30, 60, 120, 86400):
        check_period(period, "Period", InvalidParameterValue)
    for period in (2, 45, 90):
        with pytest.raises(InvalidParameterValue, match="must be 1, 5, 10, 20, 30, 60, or any multiple of 60"):
            check_period(period, "Period", InvalidParameterValue)
    with pytest.raises(ValidationError, match="The parameter StartTime must not equal parameter EndTime"):
        query_window(NOW, NOW, 60, NOW, ValidationError)
    with pytest.raises(ValidationError, match="must be less than the parameter EndTime"):
        query_window(NOW, NOW - dt.timedelta(seconds=1), 60, NOW, ValidationError)
    window = query_window(at("2026-06-01T10:00:30"), at("2026-06-01T11:00:00"), 60, NOW, ValidationError)
    assert (window.start, window.buckets) == (at("2026-06-01T10:00:00"), 60)


def test_basic_statistics_of_a_bucket() -> None:
    bucket = Aggregate(NOW, "Count", sample_count=4, sum=10, minimum=1, maximum=4)
    values = {name: parse_statistic(name) for name in ("SampleCount", "Average", "Sum", "Minimum", "Maximum")}
    assert {name: stat.of(bucket) for name, stat in values.items() if stat} == {
        "SampleCount": 4,
        "Average": 2.5,
        "Sum": 10,
        "Minimum": 1,
        "Maximum": 4,
    }
    assert parse_statistic("p99.9") is not None and parse_statistic("p101") is None and parse_statistic("avg") is None
    # CloudWatch's other extended statistics are recognised (to be refused by name), not mistaken for junk.
    assert all(is_other_extended(s) for s in ("tm99", "TM(10%:90%)", "wm99.5", "PR(:300)", "IQM"))
    assert not any(is_other_extended(s) for s in ("p99", "Median", "Average"))


def sample(second: int, value: float, count: float = 1, spread: float = 0) -> Sample:
    return Sample(NOW + dt.timedelta(seconds=second), "Count", count, value, value + spread)


def test_percentiles_by_nearest_rank_over_counted_values() -> None:
    # Values 1..10 in the first minute; 100 counted 99 times with 1 once in the second.
    samples = [sample(s, float(s + 1)) for s in range(10)] + [sample(60, 100.0, count=99), sample(61, 1.0)]
    p50 = percentiles_by_bucket(samples, NOW, 60, 50, by_unit=False)
    assert p50 == {(NOW, None): 5.0, (NOW + dt.timedelta(minutes=1), None): 100.0}
    p0 = percentiles_by_bucket(samples, NOW, 60, 0, by_unit=True)
    assert p0[(NOW, "Count")] == 1.0
    p100 = percentiles_by_bucket(samples, NOW, 60, 100, by_unit=False)
    assert p100[(NOW, None)] == 10.0


def test_a_bucket_with_a_true_statistic_set_has_no_percentile() -> None:
    samples = [sample(0, 1.0), sample(1, 2.0, count=5, spread=3.0), sample(70, 7.0)]
    found = percentiles_by_bucket(samples, NOW, 60, 90, by_unit=False)
    assert found == {(NOW + dt.timedelta(minutes=1), None): 7.0}


def series(*pairs: tuple[int, float]) -> dict[dt.datetime, float]:
    return {NOW + dt.timedelta(minutes=m): v for m, v in pairs}


def test_metric_math_lines_series_up_by_time_stamp() -> None:
    known = {"errors": series((0, 1), (1, 0), (2, 3)), "calls": series((0, 10), (1, 0), (3, 5))}
    rate = Expression.parse("100 * errors / calls", "MetricDataQueries.member.3.Expression")
    assert rate.references == {"errors", "calls"}
    # Minute 1 divides by zero and minutes 2 and 3 have only one side: all left out.
    assert rate.evaluate(known.__getitem__) == series((0, 10.0))
    shifted = Expression.parse("-(calls - 1) + 0.5", "e")
    assert shifted.evaluate(known.__getitem__) == series((0, -8.5), (1, 1.5), (3, -3.5))


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("SUM(METRICS())", "The function SUM in parameter e is not supported"),
        ('SELECT AVG(CPUUtilization) FROM SCHEMA("AWS/EC2")', "Metrics Insights query"),
        ("m1 ** 2", "is not supported"),
        ("m1 +", "is not a valid expression"),
        ("42", "must reference at least one metric"),
        ("m1 * " + "9" * 400, "out of range"),
    ],
)
def test_unsupported_metric_math_is_a_clear_validation_error(text: str, problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        Expression.parse(text, "e")

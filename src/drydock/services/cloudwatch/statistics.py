"""GetMetricStatistics: the Statistics and percentile ExtendedStatistics of one metric, per Period.

As on CloudWatch, the dimensions must be exactly those the data was put with, a request may ask for
at most 1,440 datapoints, and without a Unit each unit the data was put with gets datapoints of its
own (each carrying that Unit).
"""

from __future__ import annotations

from typing import Any

from drydock.core.clock import utcnow
from drydock.errors import InvalidParameterCombination, InvalidParameterValue
from drydock.services.cloudwatch.api import api
from drydock.services.cloudwatch.metric_names import metric_of, reject_control_characters
from drydock.services.cloudwatch.statistic import Statistic, is_other_extended, parse_statistic, percentiles_by_bucket
from drydock.services.cloudwatch.windows import check_period, query_window
from drydock.services.dependencies import deps_of
from drydock.wire.context import RequestContext

MAX_DATAPOINTS = 1440


@api.operation("GetMetricStatistics")
def get_metric_statistics(ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
    reject_control_characters(request)
    basic = [Statistic(name) for name in request.get("Statistics") or []]
    extended = [_extended(text, index) for index, text in enumerate(request.get("ExtendedStatistics") or [], 1)]
    if not basic and not extended:
        raise InvalidParameterCombination(
            "At least one of the parameters Statistics and ExtendedStatistics must be specified."
        )
    period = request["Period"]
    check_period(period, "Period", InvalidParameterValue)
    window = query_window(request["StartTime"], request["EndTime"], period, utcnow(), InvalidParameterValue)
    if window.buckets > MAX_DATAPOINTS:
        raise InvalidParameterCombination(
            f"You have requested up to {window.buckets:,} datapoints, which exceeds the limit of {MAX_DATAPOINTS:,}. "
            "You may reduce the datapoints requested by increasing Period, or decreasing the time range."
        )
    metric = metric_of(request["Namespace"], request["MetricName"], request.get("Dimensions"), "Dimensions")
    store = deps_of(ctx).metrics
    unit = request.get("Unit")
    aggregates = store.statistics(metric, window.start, window.end, period, unit=unit, by_unit=True)
    percentiles: dict[str, dict[Any, float]] = {}
    if extended and aggregates:
        samples = store.samples(metric, window.start, window.end, unit=unit)
        for statistic in extended:
            assert statistic.percentile is not None
            percentiles[statistic.name] = percentiles_by_bucket(
                samples, window.start, period, statistic.percentile, by_unit=True
            )
    datapoints: list[dict[str, Any]] = []
    for aggregate in aggregates:
        point: dict[str, Any] = {"Timestamp": aggregate.start, "Unit": aggregate.unit}
        point.update({statistic.name: statistic.of(aggregate) for statistic in basic})
        found = {
            name: values[(aggregate.start, aggregate.unit)]
            for name, values in percentiles.items()
            if (aggregate.start, aggregate.unit) in values
        }
        if found:
            point["ExtendedStatistics"] = found
        datapoints.append(point)
    return {"Label": request["MetricName"], "Datapoints": datapoints}


def _extended(text: str, index: int) -> Statistic:
    statistic = parse_statistic(text)
    if statistic is not None and statistic.percentile is not None:
        return statistic
    if is_other_extended(text):
        raise InvalidParameterValue(
            f"The extended statistic {text} for parameter ExtendedStatistics.member.{index} is not supported by "
            "Drydock: ask for percentiles (p0 to p100) or the basic statistics."
        )
    raise InvalidParameterValue(
        f"The value {text} for parameter ExtendedStatistics.member.{index} is not a valid extended statistic."
    )

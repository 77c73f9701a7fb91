"""PutMetricData: single values, Values with Counts, and statistic sets, checked as CloudWatch checks them.

Each datum becomes statistic sets in the metric store: a Value is one sample, each distinct value of
Values is Count samples of it (so percentiles stay computable), StatisticValues is stored as given.
StorageResolution is accepted (1 or 60) but every point is kept at the resolution it was put with.
EntityMetricData is accepted too: its metric data is stored like MetricData, the entity is not kept.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

from drydock.core.clock import utcnow
from drydock.errors import InvalidParameterCombination, InvalidParameterValue, MissingParameter
from drydock.services.cloudwatch.api import api
from drydock.services.cloudwatch.metric_names import metric_of, reject_control_characters
from drydock.services.dependencies import deps_of
from drydock.store.metric_data import MetricDatum
from drydock.wire.context import RequestContext

#: PutMetricData's limits (CloudWatch quotas): metrics per request, values per datum.
MAX_METRIC_DATA = 1000
MAX_VALUES = 150
#: CloudWatch rejects values beyond 2^360 in magnitude.
MAX_MAGNITUDE = 2.0**360
MAX_AGE = dt.timedelta(days=14)
MAX_AHEAD = dt.timedelta(hours=2)
STORAGE_RESOLUTIONS = (1, 60)
#: Namespaces are ASCII letters, digits and . - _ / # : and space; AWS/ belongs to AWS services.
_NAMESPACE = re.compile(r"[0-9A-Za-z.\-_/#: ]+")
_RESERVED_PREFIX = "AWS/"


@api.operation("PutMetricData")
def put_metric_data(ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
    reject_control_characters(request)
    namespace = request["Namespace"]
    if namespace.startswith(_RESERVED_PREFIX) or not _NAMESPACE.fullmatch(namespace):
        raise InvalidParameterValue(f"The value {namespace} for parameter Namespace is invalid.")
    batches = [("MetricData", request.get("MetricData"))]
    for index, entity in enumerate(request.get("EntityMetricData") or [], start=1):
        batches.append((f"EntityMetricData.member.{index}.MetricData", entity.get("MetricData")))
    if all(items is None for _, items in batches):
        raise MissingParameter("The parameter MetricData is required.")
    now = utcnow()
    data: list[MetricDatum] = []
    for path, items in batches:
        if items is not None and len(items) > MAX_METRIC_DATA:
            raise InvalidParameterValue(f"The collection {path} must not have a size greater than {MAX_METRIC_DATA}.")
        for index, datum in enumerate(items or [], start=1):
            data.extend(_datum(namespace, datum, f"{path}.member.{index}", now))
    deps_of(ctx).metrics.put(data)
    return {}


def _datum(namespace: str, datum: dict[str, Any], path: str, now: dt.datetime) -> list[MetricDatum]:
    given = [name for name in ("Value", "Values", "StatisticValues") if datum.get(name) is not None]
    if not given:
        raise InvalidParameterCombination(
            f"At least one of the parameters {path}.Value and {path}.StatisticValues must be specified."
        )
    if len(given) > 1:
        first, second = given[:2]
        raise InvalidParameterCombination(
            f"The parameters {path}.{first} and {path}.{second} are mutually exclusive and you have specified both."
        )
    resolution = datum.get("StorageResolution")
    if resolution is not None and resolution not in STORAGE_RESOLUTIONS:
        raise InvalidParameterValue(f"The value {resolution} for parameter {path}.StorageResolution is invalid.")
    timestamp = datum.get("Timestamp") or now
    if timestamp < now - MAX_AGE:
        raise InvalidParameterValue(f"The parameter {path}.Timestamp must specify a time within the past two weeks.")
    if timestamp > now + MAX_AHEAD:
        raise InvalidParameterValue(
            f"The parameter {path}.Timestamp must specify a time no more than two hours in the future."
        )
    metric = metric_of(namespace, datum["MetricName"], datum.get("Dimensions"), f"{path}.Dimensions")
    unit = datum.get("Unit", "None")
    if datum.get("Counts") is not None and given[0] != "Values":
        raise InvalidParameterCombination(f"The parameter {path}.Counts may only be specified with {path}.Values.")

    def datum_of(count: float, total: float, minimum: float, maximum: float) -> MetricDatum:
        return MetricDatum(
            metric.namespace, metric.metric_name, metric.dimensions, timestamp, unit, count, total, minimum, maximum
        )

    if given[0] == "Value":
        value = _value(datum["Value"], f"{path}.Value")
        return [datum_of(1.0, value, value, value)]
    if given[0] == "StatisticValues":
        return [datum_of(*_statistic_set(datum["StatisticValues"], f"{path}.StatisticValues"))]
    return [datum_of(count, value * count, value, value) for value, count in _values(datum, path)]


def _values(datum: dict[str, Any], path: str) -> list[tuple[float, float]]:
    values: list[float] = datum["Values"]
    counts: list[float] = datum.get("Counts") or [1.0] * len(values)
    if len(values) > MAX_VALUES:
        raise InvalidParameterValue(f"The collection {path}.Values must not have a size greater than {MAX_VALUES}.")
    if len(counts) != len(values):
        raise InvalidParameterCombination(f"The parameters {path}.Values and {path}.Counts must be of the same size.")
    pairs: list[tuple[float, float]] = []
    for index, (value, count) in enumerate(zip(values, counts, strict=True), start=1):
        checked = _value(value, f"{path}.Values.member.{index}")
        if count < 0:
            raise InvalidParameterValue(f"The value {count} for parameter {path}.Counts.member.{index} is invalid.")
        if count > 0:  # a value counted zero times was not observed
            pairs.append((checked, count))
    return pairs


def _statistic_set(statistics: dict[str, float], path: str) -> tuple[float, float, float, float]:
    count = _value(statistics["SampleCount"], f"{path}.SampleCount")
    total = _value(statistics["Sum"], f"{path}.Sum")
    minimum = _value(statistics["Minimum"], f"{path}.Minimum")
    maximum = _value(statistics["Maximum"], f"{path}.Maximum")
    if count <= 0:
        raise InvalidParameterValue(f"The value {count} for parameter {path}.SampleCount is invalid.")
    if minimum > maximum:
        raise InvalidParameterValue(f"The parameter {path}.Minimum must be less than or equal to {path}.Maximum.")
    return count, total, minimum, maximum


def _value(value: float, path: str) -> float:
    if not math.isfinite(value) or abs(value) > MAX_MAGNITUDE:
        raise InvalidParameterValue(f"The value {value} for parameter {path} is invalid.")
    return float(value)

"""GetMetricData: MetricStat and metric-math queries over one time range, paged by MaxDatapoints.

Results come in the order of the queries (those with ReturnData false are computed for expressions
but not returned), each newest first unless ScanBy is TimestampAscending. A page holds at most
MaxDatapoints values in all; a result cut short is PartialData and the NextToken resumes it after
its last time stamp, so datapoints put between pages neither repeat nor shift what follows.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from drydock.core.clock import utcnow
from drydock.core.pagination import PageToken, decode_token, encode_token, fingerprint
from drydock.errors import MetricsInvalidNextToken, ValidationError
from drydock.services.cloudwatch.api import api
from drydock.services.cloudwatch.expressions import Expression, Series
from drydock.services.cloudwatch.metric_names import metric_of, reject_control_characters
from drydock.services.cloudwatch.statistic import Statistic, is_other_extended, parse_statistic, percentiles_by_bucket
from drydock.services.cloudwatch.windows import check_period, query_window
from drydock.services.dependencies import deps_of
from drydock.store.metric_data import MetricId, MetricStore, from_ms, to_ms
from drydock.wire.context import RequestContext

DEFAULT_MAX_DATAPOINTS = 100_800
MAX_QUERIES = 500
ID_PATTERN = "^[a-z][a-zA-Z0-9_]*$"
_ID = re.compile(ID_PATTERN)
#: Time stamps a token may carry: what datetime can represent, in milliseconds.
_MAX_MS = 253_402_300_799_000


@dataclass(frozen=True)
class MetricStatQuery:
    metric: MetricId
    period: int
    statistic: Statistic
    unit: str | None


@dataclass(frozen=True)
class Query:
    id: str
    member: str
    label: str
    returned: bool
    stat: MetricStatQuery | None = None
    expression: Expression | None = None


@api.operation("GetMetricData")
def get_metric_data(ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
    reject_control_characters(request)
    raw_queries = request["MetricDataQueries"]
    if len(raw_queries) > MAX_QUERIES:
        raise ValidationError(f"The collection MetricDataQueries must not have a size greater than {MAX_QUERIES}.")
    queries = [_query(raw, index) for index, raw in enumerate(raw_queries, start=1)]
    _check_ids(queries)
    start, end, now = request["StartTime"], request["EndTime"], utcnow()
    query_window(start, end, 60, now, ValidationError)  # the order of the times, whatever the periods
    budget = request.get("MaxDatapoints", DEFAULT_MAX_DATAPOINTS)
    if budget < 1:
        raise ValidationError("The parameter MaxDatapoints must be greater than 0.")
    scan_by = request.get("ScanBy", "TimestampDescending")
    stamp = fingerprint("GetMetricData", raw_queries, start, end, scan_by, budget)
    resume = _resume(request["NextToken"], stamp) if request.get("NextToken") else (0, None)
    evaluator = _Evaluator(deps_of(ctx).metrics, queries, start, end, now)
    results, token = _page(
        [q for q in queries if q.returned], evaluator, scan_by == "TimestampDescending", budget, resume, stamp
    )
    return {"MetricDataResults": results, "NextToken": token, "Messages": []}


def _query(raw: dict[str, Any], index: int) -> Query:
    member = f"MetricDataQueries.member.{index}"
    query_id = raw["Id"]
    if not _ID.fullmatch(query_id):
        raise ValidationError(
            f"The value {query_id} for parameter {member}.Id is not matching the expected pattern {ID_PATTERN}."
        )
    stat, expression = raw.get("MetricStat"), raw.get("Expression")
    if stat is not None and expression is not None:
        raise ValidationError(
            f"The parameters {member}.MetricStat and {member}.Expression are mutually exclusive "
            "and you have specified both."
        )
    returned = raw.get("ReturnData", True)
    if expression is not None:
        parsed = Expression.parse(expression, f"{member}.Expression")
        return Query(query_id, member, raw.get("Label") or query_id, returned, expression=parsed)
    if stat is None:
        raise ValidationError(
            f"At least one of the parameters {member}.MetricStat and {member}.Expression must be specified."
        )
    metric = stat["Metric"]
    for required in ("Namespace", "MetricName"):
        if required not in metric:
            raise ValidationError(f"The parameter {member}.MetricStat.Metric.{required} is required.")
    check_period(stat["Period"], f"{member}.MetricStat.Period", ValidationError)
    statistic = parse_statistic(stat["Stat"])
    if statistic is None:
        detail = " by Drydock (use p0 to p100 or a basic statistic)" if is_other_extended(stat["Stat"]) else ""
        raise ValidationError(
            f"The value {stat['Stat']} for parameter {member}.MetricStat.Stat is not a valid statistic{detail}."
        )
    metric_id = metric_of(
        metric["Namespace"], metric["MetricName"], metric.get("Dimensions"), f"{member}.MetricStat.Metric.Dimensions"
    )
    parsed_stat = MetricStatQuery(metric_id, stat["Period"], statistic, stat.get("Unit"))
    return Query(query_id, member, raw.get("Label") or metric["MetricName"], returned, stat=parsed_stat)


def _check_ids(queries: list[Query]) -> None:
    seen: set[str] = set()
    for query in queries:
        if query.id in seen:
            raise ValidationError(f"The value {query.id} for parameter {query.member}.Id is used by another query.")
        seen.add(query.id)
    for query in queries:
        missing = sorted(query.expression.references - seen) if query.expression else []
        if missing:
            raise ValidationError(
                f"The expression of {query.member}.Expression refers to {missing[0]}, which is no query's Id."
            )


class _Evaluator:
    """Each query's series, computed once and only when a page (or an expression) needs it."""

    def __init__(
        self, store: MetricStore, queries: list[Query], start: dt.datetime, end: dt.datetime, now: dt.datetime
    ) -> None:
        self.store = store
        self.by_id = {query.id: query for query in queries}
        self.start, self.end, self.now = start, end, now
        self._done: dict[str, Series] = {}
        self._running: set[str] = set()

    def series(self, query_id: str) -> Series:
        if query_id in self._done:
            return self._done[query_id]
        query = self.by_id[query_id]
        if query_id in self._running:
            raise ValidationError(f"The expression of {query.member}.Expression depends on its own result.")
        self._running.add(query_id)
        try:
            if query.expression is not None:
                result = query.expression.evaluate(self.series)
            else:
                assert query.stat is not None
                result = self._metric_stat(query.stat)
        finally:
            self._running.discard(query_id)
        self._done[query_id] = result
        return result

    def _metric_stat(self, stat: MetricStatQuery) -> Series:
        window = query_window(self.start, self.end, stat.period, self.now, ValidationError)
        percentile = stat.statistic.percentile
        if percentile is None:
            aggregates = self.store.statistics(stat.metric, window.start, window.end, stat.period, unit=stat.unit)
            return {aggregate.start: stat.statistic.of(aggregate) for aggregate in aggregates}
        samples = self.store.samples(stat.metric, window.start, window.end, unit=stat.unit)
        found = percentiles_by_bucket(samples, window.start, stat.period, percentile, by_unit=False)
        return {start: value for (start, _unit), value in found.items()}


def _page(
    queries: list[Query],
    evaluator: _Evaluator,
    descending: bool,
    budget: int,
    resume: tuple[int, int | None],
    stamp: str,
) -> tuple[list[dict[str, Any]], str | None]:
    first, after_ms = resume
    results: list[dict[str, Any]] = []
    for position in range(first, len(queries)):
        query = queries[position]
        points = sorted(evaluator.series(query.id).items(), reverse=descending)
        if position == first and after_ms is not None:
            after = from_ms(after_ms)
            points = [(when, value) for when, value in points if (when < after if descending else when > after)]
        taken = points[:budget]
        if points and not taken:
            return results, encode_token(PageToken(stamp, [position, None]))
        budget -= len(taken)
        complete = len(taken) == len(points)
        results.append(
            {
                "Id": query.id,
                "Label": query.label,
                "Timestamps": [when for when, _ in taken],
                "Values": [value for _, value in taken],
                "StatusCode": "Complete" if complete else "PartialData",
            }
        )
        if not complete:
            return results, encode_token(PageToken(stamp, [position, to_ms(taken[-1][0])]))
    return results, None


def _resume(token: str, stamp: str) -> tuple[int, int | None]:
    try:
        after = decode_token(token, stamp).after
        position, after_ms = after
        if not _is_int(position, 0, 10 * MAX_QUERIES) or not (after_ms is None or _is_int(after_ms, 0, _MAX_MS)):
            raise TypeError
    except (ValidationError, ValueError, TypeError):
        raise MetricsInvalidNextToken(
            "The service cannot decode NextToken: pass back the NextToken of the previous page of the same request."
        ) from None
    return position, after_ms


def _is_int(value: object, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high

"""ListMetrics: the metrics data has been put for, filtered by namespace, name and dimensions.

As on CloudWatch, a metric without new data for two weeks is no longer listed, RecentlyActive=PT3H
keeps those with data put in the last three hours, and a page holds at most 500 metrics. A
dimension filter matches metrics that have the dimension (with that value, when one is given),
whatever other dimensions they have.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from drydock.core.clock import utcnow
from drydock.core.pagination import PageToken, decode_token, encode_token, fingerprint
from drydock.errors import InvalidParameterValue, ValidationError
from drydock.services.cloudwatch.api import api
from drydock.services.cloudwatch.metric_names import reject_control_characters
from drydock.services.dependencies import deps_of
from drydock.store.metric_data import SeriesFilter
from drydock.wire.context import RequestContext

PAGE_SIZE = 500
LISTED_FOR = dt.timedelta(days=14)
RECENTLY_ACTIVE = {"PT3H": dt.timedelta(hours=3)}


@api.operation("ListMetrics")
def list_metrics(ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
    reject_control_characters(request)
    deps = deps_of(ctx)
    recent = request.get("RecentlyActive")
    where = SeriesFilter(
        namespace=request.get("Namespace"),
        metric_name=request.get("MetricName"),
        dimensions=tuple((d["Name"], d.get("Value")) for d in request.get("Dimensions") or []),
        put_since=utcnow() - (RECENTLY_ACTIVE[recent] if recent else LISTED_FOR),
    )
    include_accounts = request.get("IncludeLinkedAccounts", False)
    owner = request.get("OwningAccount")
    stamp = fingerprint("ListMetrics", where.namespace, where.metric_name, where.dimensions, recent, owner)
    after = _after(request["NextToken"], stamp) if request.get("NextToken") else None
    if owner is not None and owner != deps.account_id:
        return {"Metrics": []}  # no linked accounts: only this one owns metrics
    series = deps.metrics.list_series(where, after_id=after, limit=PAGE_SIZE + 1)
    page = series[:PAGE_SIZE]
    metrics = [
        {
            "Namespace": item.metric.namespace,
            "MetricName": item.metric.metric_name,
            "Dimensions": [{"Name": name, "Value": value} for name, value in item.metric.dimensions],
        }
        for item in page
    ]
    token = encode_token(PageToken(stamp, [page[-1].id])) if len(series) > PAGE_SIZE else None
    accounts = [deps.account_id] * len(metrics) if include_accounts else None
    return {"Metrics": metrics, "NextToken": token, "OwningAccounts": accounts}


def _after(token: str, stamp: str) -> int:
    try:
        (after,) = decode_token(token, stamp).after
    except (ValidationError, ValueError):
        after = None
    if not isinstance(after, int) or isinstance(after, bool) or not 0 <= after < 2**31:
        raise InvalidParameterValue("The value for parameter NextToken is invalid.")
    return after

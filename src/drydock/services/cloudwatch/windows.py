"""Query windows: StartTime and EndTime checked and aligned, and the Period rules, as CloudWatch has them.

CloudWatch rounds StartTime down before it buckets (GetMetricStatistics and GetMetricData alike):
to the minute when it is less than 15 days ago, to 5 minutes up to 63 days, to the hour beyond; and
with a Period of 1, 5, 10, 20 or 30 seconds, to a multiple of that Period. Datapoints are stamped
with the start of their bucket and cover ``[stamp, stamp + Period)``; EndTime is exclusive.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from drydock.errors import ClientError

#: High-resolution periods; any other must be a multiple of a minute.
SUB_MINUTE_PERIODS = (1, 5, 10, 20, 30)
_ROUNDING_BY_AGE = ((dt.timedelta(days=15), 60), (dt.timedelta(days=63), 300))


@dataclass(frozen=True)
class QueryWindow:
    start: dt.datetime
    end: dt.datetime
    period: int

    @property
    def buckets(self) -> int:
        """How many datapoints the window can hold at most."""
        return math.ceil((self.end - self.start).total_seconds() / self.period)


def check_period(period: int, member: str, error: type[ClientError]) -> None:
    if period not in SUB_MINUTE_PERIODS and period % 60:
        raise error(f"The parameter {member} must be 1, 5, 10, 20, 30, 60, or any multiple of 60.")


def query_window(
    start: dt.datetime, end: dt.datetime, period: int, now: dt.datetime, error: type[ClientError]
) -> QueryWindow:
    """The aligned window, or ``error`` in CloudWatch's words when the times are out of order."""
    if start == end:
        raise error("The parameter StartTime must not equal parameter EndTime.")
    if start > end:
        raise error("The parameter StartTime must be less than the parameter EndTime.")
    return QueryWindow(aligned_start(start, period, now), end, period)


def aligned_start(start: dt.datetime, period: int, now: dt.datetime) -> dt.datetime:
    if period < 60:
        granularity = period
    else:
        age = now - start
        granularity = next((seconds for limit, seconds in _ROUNDING_BY_AGE if age < limit), 3600)
    epoch = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    seconds = (start - epoch) // dt.timedelta(seconds=1)
    return epoch + dt.timedelta(seconds=seconds - seconds % granularity)

"""Statistics: the five basic ones, computed from a bucket's statistic sets, and percentiles (pNN).

Percentiles need the values themselves. As CloudWatch documents, a statistic set yields them only
when its SampleCount is 1 or its Minimum equals its Maximum (then it is SampleCount copies of one
value): single values, and Values with Counts, always qualify. A bucket holding any other set has no
percentile, and the datapoint leaves it out. Within a bucket the pNN value is the nearest rank: the
smallest value with at least NN% of the samples at or below it.

Other extended statistics (trimmed means tmNN, TC, TS, PR, IQM, wmNN) are not computed; asking for one
answers an error that says so.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from drydock.store.metric_data import Aggregate, Sample

BASIC = ("SampleCount", "Average", "Sum", "Minimum", "Maximum")
_PERCENTILE = re.compile(r"p(\d{1,3}(?:\.\d{1,10})?)")
_OTHER_EXTENDED = re.compile(r"(tm|wm|tc|ts)\d{1,3}(\.\d+)?|(tm|wm|tc|ts|pr)\(.*\)|iqm", re.IGNORECASE)


@dataclass(frozen=True)
class Statistic:
    name: str
    #: 0-100 for a percentile, else None.
    percentile: float | None = None

    def of(self, aggregate: Aggregate) -> float:
        """A basic statistic of one bucket."""
        if self.name == "SampleCount":
            return aggregate.sample_count
        if self.name == "Sum":
            return aggregate.sum
        if self.name == "Minimum":
            return aggregate.minimum
        if self.name == "Maximum":
            return aggregate.maximum
        return aggregate.sum / aggregate.sample_count if aggregate.sample_count else 0.0


def parse_statistic(text: str) -> Statistic | None:
    """``None`` when ``text`` is no statistic at all."""
    if text in BASIC:
        return Statistic(text)
    match = _PERCENTILE.fullmatch(text)
    if match and float(match.group(1)) <= 100:
        return Statistic(text, float(match.group(1)))
    return None


def is_other_extended(text: str) -> bool:
    """A CloudWatch extended statistic this module does not compute (tm99, TC(10:20), IQM, ...)."""
    return bool(_OTHER_EXTENDED.fullmatch(text))


def percentiles_by_bucket(
    samples: Iterable[Sample], start: dt.datetime, period: int, percentile: float, *, by_unit: bool
) -> dict[tuple[dt.datetime, str | None], float]:
    """The percentile of each ``(bucket start, unit)`` that has one (unit None unless ``by_unit``)."""
    buckets: dict[tuple[dt.datetime, str | None], list[Sample]] = defaultdict(list)
    step = dt.timedelta(seconds=period)
    for sample in samples:
        index = (sample.timestamp - start) // step
        buckets[(start + index * step, sample.unit if by_unit else None)].append(sample)
    found: dict[tuple[dt.datetime, str | None], float] = {}
    for key, members in buckets.items():
        value = _nearest_rank(members, percentile)
        if value is not None:
            found[key] = value
    return found


def _nearest_rank(samples: list[Sample], percentile: float) -> float | None:
    if any(s.minimum != s.maximum and s.sample_count != 1 for s in samples):
        return None
    weighted = sorted((s.minimum, s.sample_count) for s in samples if s.sample_count > 0)
    total = sum(count for _, count in weighted)
    if not weighted or total <= 0:
        return None
    rank = max(math.ceil(percentile / 100 * total - 1e-9), 1)
    seen = 0.0
    for value, count in weighted:
        seen += count
        if seen >= rank:
            return value
    return weighted[-1][0]

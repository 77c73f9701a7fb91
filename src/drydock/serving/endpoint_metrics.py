"""Per-variant endpoint metrics, as SageMaker publishes them in the ``AWS/SageMaker`` namespace.

Every invocation adds to one-second statistic sets (SampleCount, Sum, Minimum, Maximum) per metric and
variant; :meth:`EndpointMetrics.drain` hands the finished sets to the CloudWatch metric store about
once a second, so a query sees an invocation within a second or two, as CloudWatch's own delay allows.
Like SageMaker, each invocation contributes ``1`` to Invocations, ``1/instances`` to
InvocationsPerInstance and ``0`` or ``1`` to Invocation4XXErrors and Invocation5XXErrors (so Average is
the error rate), and latencies are in microseconds. Cumulative counters for Prometheus are kept too.
"""

from __future__ import annotations

import math
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from drydock.store.metric_data import MetricDatum

NAMESPACE = "AWS/SageMaker"
MICROSECONDS = "Microseconds"
NONE = "None"


#: Where drained statistic sets go: the CloudWatch metric store's ``put``.
MetricSink = Callable[[list[MetricDatum]], None]


@dataclass
class _Stats:
    count: float = 0.0
    total: float = 0.0
    minimum: float = math.inf
    maximum: float = -math.inf

    def add(self, value: float) -> None:
        self.count += 1
        self.total += value
        self.minimum = min(self.minimum, value)
        self.maximum = max(self.maximum, value)


@dataclass
class _Second:
    """One variant's invocations within one second: every invocation metric's statistics at once
    (one dictionary lookup per invocation instead of six; this is on every InvokeEndpoint's path)."""

    invocations: int = 0
    errors_4xx: int = 0
    errors_5xx: int = 0
    per_instance: _Stats = field(default_factory=_Stats)
    model: _Stats = field(default_factory=_Stats)
    overhead: _Stats = field(default_factory=_Stats)

    def data(self) -> list[tuple[str, str, float, float, float, float]]:
        """(metric, unit, count, sum, minimum, maximum) of each metric with samples."""
        n = float(self.invocations)
        rows = [("Invocations", NONE, n, n, 1.0, 1.0)]
        per = self.per_instance
        rows.append(("InvocationsPerInstance", NONE, per.count, per.total, per.minimum, per.maximum))
        for metric, errors in (("Invocation4XXErrors", self.errors_4xx), ("Invocation5XXErrors", self.errors_5xx)):
            # Each invocation adds 0 or 1, so the extremes follow from the count of ones.
            rows.append((metric, NONE, n, float(errors), 0.0 if errors < n else 1.0, 1.0 if errors else 0.0))
        for metric, stats in (("ModelLatency", self.model), ("OverheadLatency", self.overhead)):
            if stats.count:
                rows.append((metric, MICROSECONDS, stats.count, stats.total, stats.minimum, stats.maximum))
        return rows


#: (endpoint, variant, epoch second)
_Key = tuple[str, str, int]


class EndpointMetrics:
    """Thread-safe: invocations are recorded on the event loop, drained from the reconciler's thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: dict[_Key, _Second] = {}
        #: ModelSetupTime samples by (endpoint, variant, second).
        self._setup: dict[_Key, _Stats] = defaultdict(_Stats)
        #: Prometheus counters: (endpoint, variant) → invocations, 4xx, 5xx, model latency sum (s).
        self._totals: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0, 0.0])

    def invocation(
        self,
        endpoint: str,
        variant: str,
        instances: int,
        model_seconds: float | None,
        overhead_seconds: float,
        error_class: int | None,
    ) -> None:
        """One InvokeEndpoint answered by ``variant``; ``error_class`` is 4 or 5 for a failed one,
        ``model_seconds`` ``None`` when the model never answered."""
        key = (endpoint, variant, int(time.time()))
        with self._lock:
            second = self._open.get(key)
            if second is None:
                second = self._open[key] = _Second()
            second.invocations += 1
            second.per_instance.add(1.0 / max(instances, 1))
            if model_seconds is not None:
                second.model.add(model_seconds * 1e6)
            second.overhead.add(overhead_seconds * 1e6)
            totals = self._totals[(endpoint, variant)]
            totals[0] += 1
            if error_class == 4:
                second.errors_4xx += 1
                totals[1] += 1
            elif error_class == 5:
                second.errors_5xx += 1
                totals[2] += 1
            totals[3] += model_seconds or 0.0

    def model_setup(self, endpoint: str, variant: str, seconds: float) -> None:
        """A replica of ``variant`` became healthy ``seconds`` after it was started."""
        with self._lock:
            self._setup[(endpoint, variant, int(time.time()))].add(seconds * 1e6)

    def drain(self, everything: bool = False) -> list[MetricDatum]:
        """The statistic sets of seconds that have ended (all of them with ``everything``)."""
        now = int(time.time())
        with self._lock:
            invocations = [(key, self._open.pop(key)) for key in list(self._open) if everything or key[2] < now]
            setups = [(key, self._setup.pop(key)) for key in list(self._setup) if everything or key[2] < now]
        rows = [(key, row) for key, second in invocations for row in second.data()]
        rows += [
            (key, ("ModelSetupTime", MICROSECONDS, stats.count, stats.total, stats.minimum, stats.maximum))
            for key, stats in setups
        ]
        return [
            MetricDatum(
                namespace=NAMESPACE,
                metric_name=metric,
                dimensions=(("EndpointName", endpoint), ("VariantName", variant)),
                timestamp=datetime.fromtimestamp(second, UTC),
                unit=unit,
                sample_count=count,
                sum=total,
                minimum=minimum,
                maximum=maximum,
            )
            for (endpoint, variant, second), (metric, unit, count, total, minimum, maximum) in rows
        ]

    def prometheus(self) -> str:
        """Cumulative counters in Prometheus' text exposition format."""
        with self._lock:
            totals = {key: list(values) for key, values in self._totals.items()}
        lines = [
            "# HELP drydock_endpoint_invocations_total InvokeEndpoint calls answered by a variant.",
            "# TYPE drydock_endpoint_invocations_total counter",
        ]
        lines += [f"drydock_endpoint_invocations_total{_labels(k)} {v[0]:g}" for k, v in sorted(totals.items())]
        lines += [
            "# HELP drydock_endpoint_invocation_errors_total Invocations the model answered with an error.",
            "# TYPE drydock_endpoint_invocation_errors_total counter",
        ]
        for key, values in sorted(totals.items()):
            lines.append(f"drydock_endpoint_invocation_errors_total{_labels(key, '4xx')} {values[1]:g}")
            lines.append(f"drydock_endpoint_invocation_errors_total{_labels(key, '5xx')} {values[2]:g}")
        lines += [
            "# HELP drydock_endpoint_model_latency_seconds_total Time spent in the model, summed.",
            "# TYPE drydock_endpoint_model_latency_seconds_total counter",
        ]
        lines += [
            f"drydock_endpoint_model_latency_seconds_total{_labels(k)} {v[3]:.6f}" for k, v in sorted(totals.items())
        ]
        return "\n".join(lines) + "\n"


def _labels(key: tuple[str, str], error_class: str | None = None) -> str:
    endpoint, variant = key
    labels = f'endpoint="{_escape(endpoint)}",variant="{_escape(variant)}"'
    if error_class is not None:
        labels += f',class="{error_class}"'
    return "{" + labels + "}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")

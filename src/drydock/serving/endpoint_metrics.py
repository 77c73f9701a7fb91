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
from dataclasses import dataclass
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


#: (endpoint, variant, metric, unit, epoch second)
_Key = tuple[str, str, str, str, int]


class EndpointMetrics:
    """Thread-safe: invocations are recorded on the event loop, drained from the reconciler's thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: dict[_Key, _Stats] = defaultdict(_Stats)
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
        second = int(time.time())
        with self._lock:
            self._add(endpoint, variant, "Invocations", NONE, second, 1.0)
            self._add(endpoint, variant, "InvocationsPerInstance", NONE, second, 1.0 / max(instances, 1))
            self._add(endpoint, variant, "Invocation4XXErrors", NONE, second, 1.0 if error_class == 4 else 0.0)
            self._add(endpoint, variant, "Invocation5XXErrors", NONE, second, 1.0 if error_class == 5 else 0.0)
            if model_seconds is not None:
                self._add(endpoint, variant, "ModelLatency", MICROSECONDS, second, model_seconds * 1e6)
            self._add(endpoint, variant, "OverheadLatency", MICROSECONDS, second, overhead_seconds * 1e6)
            totals = self._totals[(endpoint, variant)]
            totals[0] += 1
            if error_class == 4:
                totals[1] += 1
            elif error_class == 5:
                totals[2] += 1
            totals[3] += model_seconds or 0.0

    def model_setup(self, endpoint: str, variant: str, seconds: float) -> None:
        """A replica of ``variant`` became healthy ``seconds`` after it was started."""
        with self._lock:
            self._add(endpoint, variant, "ModelSetupTime", MICROSECONDS, int(time.time()), seconds * 1e6)

    def drain(self, everything: bool = False) -> list[MetricDatum]:
        """The statistic sets of seconds that have ended (all of them with ``everything``)."""
        now = int(time.time())
        with self._lock:
            done = [key for key in self._open if everything or key[4] < now]
            finished = [(key, self._open.pop(key)) for key in done]
        return [
            MetricDatum(
                namespace=NAMESPACE,
                metric_name=metric,
                dimensions=(("EndpointName", endpoint), ("VariantName", variant)),
                timestamp=datetime.fromtimestamp(second, UTC),
                unit=unit,
                sample_count=stats.count,
                sum=stats.total,
                minimum=stats.minimum,
                maximum=stats.maximum,
            )
            for (endpoint, variant, metric, unit, second), stats in finished
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

    def _add(self, endpoint: str, variant: str, metric: str, unit: str, second: int, value: float) -> None:
        self._open[(endpoint, variant, metric, unit, second)].add(value)


def _labels(key: tuple[str, str], error_class: str | None = None) -> str:
    endpoint, variant = key
    labels = f'endpoint="{_escape(endpoint)}",variant="{_escape(variant)}"'
    if error_class is not None:
        labels += f',class="{error_class}"'
    return "{" + labels + "}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")

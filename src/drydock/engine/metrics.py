"""Metrics from logs: SageMaker applies each MetricDefinition regex to every log line and takes the
first capture group as a float; the last value of each metric becomes FinalMetricDataList."""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field

import regex


@dataclass(frozen=True)
class MetricDefinition:
    name: str
    pattern: str


@dataclass
class MetricSeries:
    """Observed values per metric, in order; thread-safe (several instances log at once)."""

    definitions: list[MetricDefinition]
    values: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._compiled = []
        for definition in self.definitions:
            try:
                self._compiled.append((definition.name, regex.compile(definition.pattern)))
            except regex.error:
                continue  # validated at CreateTrainingJob; never fail a running job on it

    def observe(self, line: str, timestamp: float) -> None:
        for name, pattern in self._compiled:
            match = pattern.search(line, timeout=0.05)
            if match is None or not match.groups():
                continue
            try:
                value = float(match.group(1))
            except (TypeError, ValueError):
                continue
            if math.isfinite(value):
                with self._lock:
                    self.values.setdefault(name, []).append((timestamp, value))

    def final(self) -> list[dict[str, float | str]]:
        with self._lock:
            return [
                {"MetricName": name, "Value": series[-1][1], "Timestamp": series[-1][0]}
                for name, series in sorted(self.values.items())
                if series
            ]

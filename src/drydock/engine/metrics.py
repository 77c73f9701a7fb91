"""Metrics from logs: SageMaker applies each MetricDefinition regex to every log line and takes the
first capture group as a float; the last value of each metric becomes FinalMetricDataList."""

from __future__ import annotations

import logging
import math
import threading
from dataclasses import dataclass, field

import regex

log = logging.getLogger(__name__)

#: How long one regex may take on one line (wall time). Generous, because a pump thread can wait
#: for the GIL that long on a loaded machine; the limit is there to stop catastrophic backtracking.
MATCH_TIMEOUT_SECONDS = 0.5
#: A definition that overruns this many times is dropped for the rest of the job, so that one bad
#: regex cannot slow every line of the log down.
MAX_TIMEOUTS = 3


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
        self._timeouts: dict[str, int] = {}
        self._compiled: list[tuple[str, regex.Pattern[str]]] = []
        for definition in self.definitions:
            try:
                self._compiled.append((definition.name, regex.compile(definition.pattern)))
            except regex.error:
                continue  # validated at CreateTrainingJob; never fail a running job on it

    def observe(self, line: str, timestamp: float) -> None:
        for name, pattern in self._compiled:
            try:
                match = pattern.search(line, timeout=MATCH_TIMEOUT_SECONDS)
            except TimeoutError:
                self._overran(name)
                continue
            if match is None or not match.groups():
                continue
            try:
                value = float(match.group(1))
            except (TypeError, ValueError):
                continue
            if math.isfinite(value):
                with self._lock:
                    self.values.setdefault(name, []).append((timestamp, value))

    def _overran(self, name: str) -> None:
        with self._lock:
            self._timeouts[name] = count = self._timeouts.get(name, 0) + 1
            if count < MAX_TIMEOUTS:
                return
            self._compiled = [(n, p) for n, p in self._compiled if n != name]
        log.warning(
            "metric %s: its regex overran %.1f s %d times; it is no longer applied", name, MATCH_TIMEOUT_SECONDS, count
        )

    def final(self) -> list[dict[str, float | str]]:
        with self._lock:
            return [
                {"MetricName": name, "Value": series[-1][1], "Timestamp": series[-1][0]}
                for name, series in sorted(self.values.items())
                if series
            ]

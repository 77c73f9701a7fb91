"""A running training job's objective metric over time, read from its log as SageMaker reads it.

Early stopping and Hyperband judge a job by its intermediate objective values. SageMaker gets them
the way it gets every training metric: the MetricDefinition's regex applied to each line the job
logs. The training engine already writes every line to CloudWatch Logs (``/aws/sagemaker/
TrainingJobs``, stream ``<job>/algo-1-<epoch>``) a few times a second, so the tuner reads them from
there, incrementally, with the same regex the engine uses for FinalMetricDataList. That keeps the
training engine unaware of tuning and needs no second copy of the values: the log is durable, and
after a server restart the series is read again from the start of the stream.

Only ``algo-1`` counts (SageMaker too publishes its metrics per host, and asks distributed jobs not
to log the objective on every node); when the job was restarted, its newest stream counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from drydock.engine.job_logs import TRAINING_LOG_GROUP
from drydock.engine.metrics import MetricDefinition, MetricSeries
from drydock.errors import LogsResourceNotFound
from drydock.store.log_events import EventPosition, EventRange, LogStore

PAGE_EVENTS = 5000


@dataclass
class _Cursor:
    stream: str
    series: MetricSeries
    after: EventPosition | None = None
    values: list[float] = field(default_factory=list)


class ObjectiveLog:
    """Not thread-safe: the tuning reconciler's thread owns it."""

    def __init__(self, logs: LogStore) -> None:
        self.logs = logs
        self._cursors: dict[str, _Cursor] = {}

    def values(self, job_name: str, metric_name: str, regex: str) -> list[float]:
        """Every value of the metric the job's newest algo-1 stream has logged so far, oldest first."""
        stream = self._newest_stream(job_name)
        if stream is None:
            return []
        cursor = self._cursors.get(job_name)
        if cursor is None or cursor.stream != stream:
            cursor = _Cursor(stream, MetricSeries([MetricDefinition(metric_name, regex)]))
            self._cursors[job_name] = cursor
        while True:
            window = EventRange(after=cursor.after, limit=PAGE_EVENTS)
            try:
                events = self.logs.get_events(TRAINING_LOG_GROUP, stream, window)
            except LogsResourceNotFound:
                return cursor.values
            for event in events:
                cursor.series.observe(event.message, event.timestamp / 1000)
            if events:
                cursor.after = events[-1].position
            if len(events) < PAGE_EVENTS:
                break
        cursor.values = [value for _, value in cursor.series.values.get(metric_name, [])]
        return cursor.values

    def forget(self, job_name: str) -> None:
        """Drop what is cached for a job that has ended."""
        self._cursors.pop(job_name, None)

    def _newest_stream(self, job_name: str) -> str | None:
        try:
            streams, _ = self.logs.list_streams(
                TRAINING_LOG_GROUP, prefix=f"{job_name}/algo-1-", descending=True, limit=1
            )
        except LogsResourceNotFound:
            return None
        return streams[0].name if streams else None

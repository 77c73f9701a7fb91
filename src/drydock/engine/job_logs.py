"""A job's output into CloudWatch Logs, batched: one stream per instance, written a few times a second.

Stream names follow SageMaker: ``<job>/algo-<n>-<epoch seconds of the instance start>`` in the group
``/aws/sagemaker/TrainingJobs``; the SDK's ``fit(logs=True)`` finds them by the ``<job>/`` prefix.
"""

from __future__ import annotations

import threading
import time

from drydock.store.log_events import InputEvent, LogStore

TRAINING_LOG_GROUP = "/aws/sagemaker/TrainingJobs"


class JobLogWriter:
    def __init__(self, logs: LogStore, group: str, stream: str) -> None:
        self.logs = logs
        self.group = group
        self.stream = stream
        self._pending: list[InputEvent] = []
        self._lock = threading.Lock()
        self.tail: list[str] = []
        logs.ensure_group(group)
        logs.ensure_stream(group, stream)

    def line(self, text: str) -> None:
        event = InputEvent(timestamp=int(time.time() * 1000), message=text or " ")
        with self._lock:
            self._pending.append(event)
            self.tail.append(text)
            del self.tail[:-20]

    def flush(self) -> None:
        with self._lock:
            events, self._pending = self._pending, []
        # PutLogEvents takes at most 10,000 events a call; the store applies the same rule.
        for start in range(0, len(events), 5000):
            self.logs.put_events(self.group, self.stream, events[start : start + 5000])

    def last_lines(self, count: int = 10) -> list[str]:
        with self._lock:
            return self.tail[-count:]

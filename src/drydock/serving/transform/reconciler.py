"""Drives transform jobs: starts a runner for every InProgress job without one.

CreateTransformJob only writes the job; this thread notices it (at once when woken) and starts it.
After a server restart, a job the store shows InProgress has no runner in this process: it runs again
from the start (outputs are written whole or not at all, so nothing half-done is visible), and a job
that was Stopping ends Stopped. No job stays InProgress forever.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from drydock.engine.reconcile_loop import ReconcileLoop
from drydock.objects.port import ObjectStore
from drydock.serving.endpoint_metrics import MetricSink
from drydock.serving.replica_factory import ReplicaFactory
from drydock.serving.transform.job_record import TransformRecord, TransformStatus
from drydock.serving.transform.runner import TransformRunner
from drydock.store.log_events import LogStore
from drydock.store.resources import ResourceRepository

log = logging.getLogger("drydock.serving.transform")

KIND = "transform-job"
POLL_SECONDS = 0.2


class TransformReconciler:
    def __init__(
        self,
        repository: ResourceRepository,
        factory: ReplicaFactory,
        objects: ObjectStore,
        logs: LogStore,
        workspace: Path,
        publish_metrics: MetricSink,
    ) -> None:
        self.publish_metrics = publish_metrics
        self.repository = repository
        self.factory = factory
        self.objects = objects
        self.logs = logs
        #: ``<home>/transform-jobs``: each running job's partial outputs.
        self.workspace = workspace
        self._running: dict[str, threading.Thread] = {}
        self._lock = threading.Lock()
        self._recovered = False
        self._loop = ReconcileLoop("transform-reconciler", self.reconcile, POLL_SECONDS, log)

    def start(self) -> None:
        self._loop.start()

    def close(self) -> None:
        """Stop starting jobs; running ones end with the server's process (and run again after)."""
        self._loop.close()

    def wake(self) -> None:
        """Look at the store now (after CreateTransformJob or StopTransformJob)."""
        self._loop.wake()

    def reconcile(self) -> None:
        jobs = self.repository.in_status(KIND, [TransformStatus.IN_PROGRESS, TransformStatus.STOPPING])
        for job in sorted(jobs, key=lambda j: j.creation_time):
            with self._lock:
                if job.name in self._running:
                    continue
            record = TransformRecord(self.repository, job.arn, job.name)
            if job.status == TransformStatus.STOPPING:
                record.finish(TransformStatus.STOPPED)  # stopped before (or while the server was down)
                continue
            if not self._recovered and "TransformStartTime" in job.document:
                log.info("transform=%s was running when the server stopped; running it again", job.name)
            self._launch(record)
        self._recovered = True

    def _launch(self, record: TransformRecord) -> None:
        runner = TransformRunner(
            record,
            self.factory,
            self.objects,
            self.logs,
            self.workspace / record.name,
            self._finished,
            self.publish_metrics,
        )
        thread = threading.Thread(target=runner.run, name=f"transform-{record.name}", daemon=True)
        with self._lock:
            self._running[record.name] = thread
        thread.start()

    def _finished(self, name: str) -> None:
        with self._lock:
            self._running.pop(name, None)

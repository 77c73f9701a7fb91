"""Drives training jobs: starts a runner for every job that needs one, and recovers after a restart.

Runs on its own thread, knows nothing of HTTP. CreateTrainingJob only writes the job (status
InProgress/Starting); the reconciler notices it within a poll and starts it, so the API call returns
at once. After a server restart, jobs the store shows as running have no runner in this process:
they are restarted (SecondaryStatus Restarting, then the normal path, restoring their checkpoints),
and jobs that were Stopping end Stopped — no job stays InProgress forever.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from drydock.engine.training.job_record import JobRecord
from drydock.engine.training.runner import TrainingRunner
from drydock.engine.training.status import JobStatus, Secondary
from drydock.store.resources import ResourceRepository

log = logging.getLogger("drydock.engine.training")

KIND = "training-job"
POLL_SECONDS = 0.1

RunnerFactory = Callable[[JobRecord, Callable[[str], None]], TrainingRunner]


class TrainingReconciler:
    def __init__(self, repository: ResourceRepository, make_runner: RunnerFactory) -> None:
        self.repository = repository
        self.make_runner = make_runner
        self._running: dict[str, threading.Thread] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._recovered = False

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="training-reconciler", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Look at the store now (called after CreateTrainingJob) instead of at the next poll."""
        self._wake.set()

    def close(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.reconcile()
            except Exception:
                log.exception("training reconciler pass failed")
            self._wake.wait(POLL_SECONDS)
            self._wake.clear()

    def reconcile(self) -> None:
        jobs = self.repository.in_status(KIND, [JobStatus.IN_PROGRESS, JobStatus.STOPPING])
        for job in jobs:
            with self._lock:
                if job.name in self._running:
                    continue
            record = JobRecord(self.repository, job.arn, job.name)
            secondary = Secondary(job.document["SecondaryStatus"])
            if secondary != Secondary.STARTING:
                if not self._recovered and job.status == JobStatus.STOPPING:
                    record.finish(Secondary.STOPPED)
                    continue
                if not self._recovered:
                    log.info("job=%s was running when the server stopped; restarting it", job.name)
                    record.advance(Secondary.RESTARTING)
                else:
                    continue  # a runner of this process finished it between our reads
            self._launch(record)
        self._recovered = True

    def _launch(self, record: JobRecord) -> None:
        runner = self.make_runner(record, self._finished)
        thread = threading.Thread(target=runner.run, name=f"job-{record.name}", daemon=True)
        with self._lock:
            self._running[record.name] = thread
        thread.start()

    def _finished(self, name: str) -> None:
        with self._lock:
            self._running.pop(name, None)

    def active(self) -> list[str]:
        with self._lock:
            return sorted(self._running)

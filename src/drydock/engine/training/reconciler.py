"""Drives training jobs: starts a runner for every job that needs one, and recovers after a restart.

Runs on its own thread, knows nothing of HTTP. CreateTrainingJob only writes the job (status
InProgress/Starting); the reconciler notices it within a poll and starts it, so the API call returns
at once. After a server restart, jobs the store shows as running have no runner in this process:
they are restarted (SecondaryStatus Restarting, then the normal path, restoring their checkpoints),
and jobs that were Stopping end Stopped — no job stays InProgress forever.

Every job is admitted through the capacity queue (drydock.engine.capacity) before its runner starts:
one that does not fit next to the running jobs stays Starting, with SageMaker's insufficient-capacity
status message, until the jobs created before it have started and enough capacity is free.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, Protocol

from drydock.engine.capacity import CapacityQueue, JobTooLarge, job_demand
from drydock.engine.reconcile_loop import ReconcileLoop
from drydock.engine.training.job_record import JobRecord
from drydock.engine.training.runner import TrainingRunner
from drydock.engine.training.status import JobStatus, Secondary
from drydock.errors import ValidationError
from drydock.store.resources import Resource, ResourceRepository

log = logging.getLogger("drydock.engine.training")

KIND = "training-job"
POLL_SECONDS = 0.1

#: SageMaker's Starting message while EC2 has no capacity, worded for this machine.
WAITING_MESSAGE = "Insufficient capacity to launch the requested ML instances, waiting for running jobs to end: "


class RunnerFactory(Protocol):
    #: The queue jobs are admitted through; the factory sizes each job's instances against it.
    capacity: CapacityQueue

    def __call__(self, record: JobRecord, on_exit: Callable[[str], None]) -> TrainingRunner:
        """A runner for ``record`` that calls ``on_exit(name)`` when it ends."""
        ...

    def start(self) -> None:
        """Start what the runners share (the warm worker pool); called once, before the first runner."""
        ...

    def close(self) -> None:
        """Release what :meth:`start` started; runners still running keep what they hold."""
        ...


class TrainingReconciler:
    def __init__(self, repository: ResourceRepository, make_runner: RunnerFactory) -> None:
        self.repository = repository
        self.make_runner = make_runner
        self.capacity = make_runner.capacity
        self._running: dict[str, threading.Thread] = {}
        self._lock = threading.Lock()
        self._recovered = False
        self._loop = ReconcileLoop("training-reconciler", self.reconcile, POLL_SECONDS, log)

    def start(self) -> None:
        self.make_runner.start()
        self._loop.start()

    def wake(self) -> None:
        """Look at the store now (called after CreateTrainingJob) instead of at the next poll."""
        self._loop.wake()

    def close(self) -> None:
        self._loop.close()
        self.make_runner.close()

    def reconcile(self) -> None:
        jobs = self.repository.in_status(KIND, [JobStatus.IN_PROGRESS, JobStatus.STOPPING])
        jobs.sort(key=lambda job: job.creation_time)  # the capacity queue is first come, first served
        live = {job.name for job in jobs}
        for name in self.capacity.waiting():
            if name not in live:
                self.capacity.release(name)
        for job in jobs:
            with self._lock:
                if job.name in self._running:
                    continue
            record = JobRecord(self.repository, job.arn, job.name)
            secondary = Secondary(job.document["SecondaryStatus"])
            if secondary != Secondary.STARTING and not self.capacity.is_waiting(job.name):
                if not self._recovered and job.status == JobStatus.STOPPING:
                    record.finish(Secondary.STOPPED)
                    continue
                if not self._recovered:
                    log.info("job=%s was running when the server stopped; restarting it", job.name)
                    record.advance(Secondary.RESTARTING)
                else:
                    continue  # a runner of this process finished it between our reads
            if self._admit(record, job):
                self._launch(record)
        self._recovered = True

    def _admit(self, record: JobRecord, job: Resource) -> bool:
        """Take the job's capacity, or leave it queued (``False``); a job that can never fit fails."""
        stopping = job.status == JobStatus.STOPPING
        if stopping and job.document["SecondaryStatus"] == Secondary.STARTING:
            self.capacity.release(job.name)  # stopped while waiting: nothing ever ran
            record.finish(Secondary.STOPPED)
            return False
        try:
            demand = job_demand(job.document, self.capacity.capacity)
        except (JobTooLarge, ValidationError) as exc:
            record.fail(str(exc) if isinstance(exc, JobTooLarge) else f"ClientError: {exc}")
            return False
        was_waiting = self.capacity.is_waiting(job.name)
        if stopping or self.capacity.request(job.name, demand):
            if was_waiting:
                record.apply(_status_message("Launching requested ML instances"))
            return True
        if not was_waiting:
            log.info("job=%s waits for capacity: needs %s, %s free", job.name, demand, self.capacity.free())
            record.apply(_status_message(f"{WAITING_MESSAGE}needs {demand}, {self.capacity.free()} free"))
        return False

    def _launch(self, record: JobRecord) -> None:
        runner = self.make_runner(record, self._finished)
        thread = threading.Thread(target=runner.run, name=f"job-{record.name}", daemon=True)
        with self._lock:
            self._running[record.name] = thread
        thread.start()

    def _finished(self, name: str) -> None:
        with self._lock:
            self._running.pop(name, None)
        self.capacity.release(name)
        self._loop.wake()  # a queued job may fit now


def _status_message(message: str) -> Callable[[dict[str, Any]], None]:
    """An edit of the open status transition's message (the job's status itself does not change)."""

    def edit(doc: dict[str, Any]) -> None:
        transitions = doc.get("SecondaryStatusTransitions") or []
        if transitions and transitions[-1]["Status"] == doc["SecondaryStatus"]:
            transitions[-1]["StatusMessage"] = message

    return edit

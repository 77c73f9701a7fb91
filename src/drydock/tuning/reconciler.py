"""Drives tuning jobs: one thread steps every InProgress or Stopping tuning job a few times a second.

CreateHyperParameterTuningJob only writes the job; this loop notices it, launches its training jobs
through the :class:`~drydock.tuning.port.TrainingJobs` port and follows them to the end. Each job's
Optuna study lives in memory only as a cache (:class:`~drydock.tuning.tuning_run.TuningRun`): it is
rebuilt from the store when the server starts, or when a step failed, so a restart in the middle of
tuning resumes the job where it was.
"""

from __future__ import annotations

import logging

from drydock.engine.reconcile_loop import ReconcileLoop
from drydock.store.log_events import LogStore
from drydock.store.resources import ResourceRepository
from drydock.tuning.objective_log import ObjectiveLog
from drydock.tuning.port import TrainingJobs
from drydock.tuning.status import TuningStatus
from drydock.tuning.tuning_run import TUNING_JOB_KIND, Services, TuningRun, fail_now

log = logging.getLogger("drydock.tuning")

POLL_SECONDS = 0.2
#: A tuning job whose steps keep failing (a corrupt document, a bug) fails after this many tries.
MAX_CONSECUTIVE_FAILURES = 20


class TuningReconciler:
    def __init__(self, repository: ResourceRepository, logs: LogStore, training_jobs: TrainingJobs) -> None:
        self.repository = repository
        self.services = Services(repository, ObjectiveLog(logs), training_jobs)
        self._runs: dict[str, TuningRun] = {}
        self._failures: dict[str, int] = {}
        self._loop = ReconcileLoop("tuning-reconciler", self.reconcile, POLL_SECONDS, log)

    def start(self) -> None:
        self._loop.start()

    def wake(self) -> None:
        """Look at the store now (after Create/StopHyperParameterTuningJob) instead of at the next poll."""
        self._loop.wake()

    def close(self) -> None:
        self._loop.close()

    def reconcile(self) -> None:
        jobs = self.repository.in_status(TUNING_JOB_KIND, [TuningStatus.IN_PROGRESS, TuningStatus.STOPPING])
        live = {job.name for job in jobs}
        for name in list(self._runs):
            if name not in live:
                del self._runs[name]
        for job in sorted(jobs, key=lambda j: j.creation_time):
            if self._loop.stopping.is_set():
                return
            try:
                run = self._runs.get(job.name)
                if run is None:
                    run = self._runs[job.name] = TuningRun.load(job, self.services)
                run.advance(job)
                self._failures.pop(job.name, None)
            except Exception as exc:
                # Rebuild from the store next time: the store, not this run, holds the truth.
                self._runs.pop(job.name, None)
                failures = self._failures[job.name] = self._failures.get(job.name, 0) + 1
                log.exception("tuning_job=%s step failed (%d in a row)", job.name, failures)
                if failures >= MAX_CONSECUTIVE_FAILURES:
                    reason = f"InternalServerError: the tuner failed repeatedly: {type(exc).__name__}: {exc}"
                    fail_now(self.repository, job.arn, reason)

"""Tuning job statuses as SageMaker reports them, and the transitions it allows.

``InProgress`` → ``Completed`` (budget used, a completion criterion met, or MaxRuntimeInSeconds
reached), ``Failed`` (no training job produced the objective, or one could not be created), or
``Stopping`` (StopHyperParameterTuningJob) → ``Stopped`` once every training job has ended. An
illegal transition raises, so a bug cannot resurrect a finished tuning job.
"""

from __future__ import annotations

from enum import StrEnum


class TuningStatus(StrEnum):
    IN_PROGRESS = "InProgress"
    COMPLETED = "Completed"
    FAILED = "Failed"
    STOPPING = "Stopping"
    STOPPED = "Stopped"

    @property
    def ended(self) -> bool:
        return self in (TuningStatus.COMPLETED, TuningStatus.FAILED, TuningStatus.STOPPED)


class ObjectiveStatus(StrEnum):
    SUCCEEDED = "Succeeded"
    PENDING = "Pending"
    FAILED = "Failed"


ALLOWED: dict[TuningStatus, set[TuningStatus]] = {
    TuningStatus.IN_PROGRESS: {TuningStatus.COMPLETED, TuningStatus.FAILED, TuningStatus.STOPPING},
    TuningStatus.STOPPING: {TuningStatus.STOPPED, TuningStatus.FAILED},
    TuningStatus.COMPLETED: set(),
    TuningStatus.FAILED: set(),
    TuningStatus.STOPPED: set(),
}


class IllegalTransition(RuntimeError):
    pass


def check_transition(current: TuningStatus, target: TuningStatus) -> None:
    if target not in ALLOWED[current]:
        raise IllegalTransition(f"a tuning job cannot go from {current} to {target}")


def can_transition(current: TuningStatus, target: TuningStatus) -> bool:
    return target in ALLOWED[current]

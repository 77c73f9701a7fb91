"""Training job statuses as SageMaker reports them, and the transitions it allows.

``TrainingJobStatus`` is the coarse state; ``SecondaryStatus`` the fine one shown in
``SecondaryStatusTransitions`` (Starting → Downloading → Training → Uploading → Completed, or
Stopping → Stopped / MaxRuntimeExceeded, or Failed). An illegal transition raises, so a bug in the
engine cannot silently resurrect a finished job.
"""

from __future__ import annotations

from enum import StrEnum


class JobStatus(StrEnum):
    IN_PROGRESS = "InProgress"
    COMPLETED = "Completed"
    FAILED = "Failed"
    STOPPING = "Stopping"
    STOPPED = "Stopped"


class Secondary(StrEnum):
    STARTING = "Starting"
    DOWNLOADING = "Downloading"
    TRAINING = "Training"
    UPLOADING = "Uploading"
    STOPPING = "Stopping"
    STOPPED = "Stopped"
    MAX_RUNTIME_EXCEEDED = "MaxRuntimeExceeded"
    MAX_WAIT_TIME_EXCEEDED = "MaxWaitTimeExceeded"
    INTERRUPTED = "Interrupted"
    RESTARTING = "Restarting"
    COMPLETED = "Completed"
    FAILED = "Failed"


#: The primary status each secondary status implies.
PRIMARY = {
    Secondary.STARTING: JobStatus.IN_PROGRESS,
    Secondary.DOWNLOADING: JobStatus.IN_PROGRESS,
    Secondary.TRAINING: JobStatus.IN_PROGRESS,
    Secondary.UPLOADING: JobStatus.IN_PROGRESS,
    Secondary.INTERRUPTED: JobStatus.IN_PROGRESS,
    Secondary.RESTARTING: JobStatus.IN_PROGRESS,
    Secondary.STOPPING: JobStatus.STOPPING,
    Secondary.STOPPED: JobStatus.STOPPED,
    Secondary.MAX_RUNTIME_EXCEEDED: JobStatus.STOPPED,
    Secondary.MAX_WAIT_TIME_EXCEEDED: JobStatus.STOPPED,
    Secondary.COMPLETED: JobStatus.COMPLETED,
    Secondary.FAILED: JobStatus.FAILED,
}

_ENDS = {Secondary.COMPLETED, Secondary.FAILED, Secondary.STOPPED}

ALLOWED: dict[Secondary, set[Secondary]] = {
    Secondary.STARTING: {Secondary.DOWNLOADING, Secondary.TRAINING}
    | _ENDS - {Secondary.COMPLETED}
    | {Secondary.STOPPING, Secondary.MAX_RUNTIME_EXCEEDED, Secondary.MAX_WAIT_TIME_EXCEEDED, Secondary.RESTARTING},
    Secondary.DOWNLOADING: {
        Secondary.TRAINING,
        Secondary.MAX_WAIT_TIME_EXCEEDED,
        Secondary.FAILED,
        Secondary.STOPPING,
        Secondary.MAX_RUNTIME_EXCEEDED,
        Secondary.INTERRUPTED,
        Secondary.RESTARTING,
    },
    Secondary.TRAINING: {
        Secondary.UPLOADING,
        Secondary.FAILED,
        Secondary.STOPPING,
        Secondary.MAX_RUNTIME_EXCEEDED,
        Secondary.MAX_WAIT_TIME_EXCEEDED,
        Secondary.INTERRUPTED,
        Secondary.RESTARTING,
    },
    Secondary.UPLOADING: {
        Secondary.COMPLETED,
        Secondary.FAILED,
        Secondary.STOPPING,
        Secondary.STOPPED,
        Secondary.MAX_RUNTIME_EXCEEDED,
        # The server died while the job uploaded its model: the job runs again after the restart.
        Secondary.RESTARTING,
    },
    Secondary.INTERRUPTED: {
        Secondary.RESTARTING,
        Secondary.STARTING,
        Secondary.DOWNLOADING,
        Secondary.TRAINING,
        Secondary.FAILED,
        Secondary.STOPPING,
        Secondary.MAX_WAIT_TIME_EXCEEDED,
    },
    Secondary.RESTARTING: {
        Secondary.STARTING,
        Secondary.DOWNLOADING,
        Secondary.TRAINING,
        Secondary.FAILED,
        Secondary.STOPPING,
    },
    # A stopped job still uploads what its model dir holds (SageMaker keeps artifacts of stopped jobs).
    Secondary.STOPPING: {Secondary.STOPPED, Secondary.UPLOADING, Secondary.FAILED},
    Secondary.MAX_RUNTIME_EXCEEDED: set(),
    Secondary.MAX_WAIT_TIME_EXCEEDED: set(),
    Secondary.STOPPED: set(),
    Secondary.COMPLETED: set(),
    Secondary.FAILED: set(),
}


class IllegalTransition(RuntimeError):
    pass


def check_transition(current: Secondary, target: Secondary) -> None:
    if target not in ALLOWED[current]:
        raise IllegalTransition(f"a training job cannot go from {current} to {target}")

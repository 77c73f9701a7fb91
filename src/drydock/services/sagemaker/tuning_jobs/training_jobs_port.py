"""The tuner's :class:`~drydock.tuning.port.TrainingJobs` port, implemented with CreateTrainingJob's and
StopTrainingJob's own code, so a tuning job's training jobs are validated, stored and driven exactly
like any other."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from drydock.errors import ValidationError
from drydock.services.dependencies import Dependencies
from drydock.services.sagemaker.training_jobs.service import create_training_job, stop_training_job


class TuningTrainingJobs:
    """Thread-safe. Built before the :class:`Dependencies` it needs (which hold the tuning
    reconciler that uses it), so it takes a function that returns them."""

    def __init__(self, dependencies: Callable[[], Dependencies]) -> None:
        self._dependencies = dependencies

    def create(self, request: dict[str, Any], tuning_job_arn: str) -> str:
        deps = self._dependencies()
        resource = create_training_job(deps, request, tuning_job_arn=tuning_job_arn)
        deps.training.wake()
        return resource.arn

    def stop(self, name: str) -> None:
        # A job that has ended by itself meanwhile has nothing to stop.
        with contextlib.suppress(ValidationError):
            stop_training_job(self._dependencies(), name)

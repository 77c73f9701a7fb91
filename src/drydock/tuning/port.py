"""The port through which the tuner starts and stops training jobs.

A tuning job's training jobs are ordinary training jobs: created with CreateTrainingJob's rules and
document, driven by the training reconciler, stopped like StopTrainingJob stops them. The services
layer implements this port with exactly that code; the composition root injects it, so the tuner
(which must not import the services layer) cannot take a different path.
"""

from __future__ import annotations

from typing import Any, Protocol


class TrainingJobs(Protocol):
    def create(self, request: dict[str, Any], tuning_job_arn: str) -> str:
        """Create a training job from a CreateTrainingJob ``request`` on behalf of the tuning job
        ``tuning_job_arn`` (its Describe then shows ``TuningJobArn``), wake the training reconciler
        and return the job's ARN.

        Raises a ``drydock.errors.ClientError`` (``ValidationError`` for a request CreateTrainingJob
        would refuse, or for a name that exists) without creating anything. Thread-safe.
        """
        ...

    def stop(self, name: str) -> None:
        """Stop the training job as StopTrainingJob does; it ends ``Stopped``.

        A job that is already stopping or has ended is left as it is (no error). Thread-safe.
        """
        ...

"""A transform job's stored Describe document, and the only code that changes its status.

InProgress → Completed | Failed | Stopping → Stopped, as DescribeTransformJob reports them. The model's
container is copied into the job (``DrydockModel``) when CreateTransformJob is accepted, as SageMaker
resolves the model then, so deleting the model afterwards does not disturb a running job.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from enum import StrEnum
from typing import Any

from drydock.store.resources import Resource, ResourceRepository

MODEL = "DrydockModel"
INTERNAL_MEMBERS = (MODEL,)


class TransformStatus(StrEnum):
    IN_PROGRESS = "InProgress"
    COMPLETED = "Completed"
    FAILED = "Failed"
    STOPPING = "Stopping"
    STOPPED = "Stopped"


ENDED = frozenset({TransformStatus.COMPLETED, TransformStatus.FAILED, TransformStatus.STOPPED})
ALLOWED: dict[TransformStatus, frozenset[TransformStatus]] = {
    TransformStatus.IN_PROGRESS: frozenset(
        {TransformStatus.COMPLETED, TransformStatus.FAILED, TransformStatus.STOPPING, TransformStatus.STOPPED}
    ),
    TransformStatus.STOPPING: frozenset({TransformStatus.STOPPED, TransformStatus.FAILED}),
    TransformStatus.COMPLETED: frozenset(),
    TransformStatus.FAILED: frozenset(),
    TransformStatus.STOPPED: frozenset(),
}


class IllegalTransition(Exception):
    """A move SageMaker never makes (e.g. out of an end state): a bug, not a user error."""


def check_transition(current: TransformStatus, target: TransformStatus) -> None:
    if target != current and target not in ALLOWED[current]:
        raise IllegalTransition(f"transform job cannot go from {current} to {target}")


class TransformRecord:
    def __init__(self, repository: ResourceRepository, arn: str, name: str) -> None:
        self.repository = repository
        self.arn = arn
        self.name = name

    def document(self) -> dict[str, Any]:
        resource = self.repository.get(self.arn)
        if resource is None:
            raise LookupError(f"transform job {self.name} vanished from the store")
        return dict(resource.document)

    def status(self) -> TransformStatus:
        return TransformStatus(self.document()["TransformJobStatus"])

    def started(self) -> None:
        self._change(lambda doc: doc.__setitem__("TransformStartTime", time.time()))

    def finish(self, target: TransformStatus, reason: str | None = None) -> None:
        """End the job; a job asked to stop ends Stopped even if it completed meanwhile."""

        def edit(doc: dict[str, Any]) -> None:
            current = TransformStatus(doc["TransformJobStatus"])
            final = (
                TransformStatus.STOPPED
                if current == TransformStatus.STOPPING and target != TransformStatus.FAILED
                else target
            )
            if current in ENDED:
                return
            check_transition(current, final)
            doc["TransformJobStatus"] = final.value
            if final == TransformStatus.FAILED and reason:
                doc["FailureReason"] = reason[:1024]
            doc["TransformEndTime"] = time.time()

        self._change(edit)

    def apply(self, edit: Callable[[dict[str, Any]], None]) -> None:
        """Apply ``edit(document)`` under the row lock (StopTransformJob uses it)."""
        self._change(edit)

    def _change(self, edit: Callable[[dict[str, Any]], None]) -> None:
        def apply(current: Resource) -> Resource:
            doc = dict(current.document)
            edit(doc)
            return current.revised(doc, doc["TransformJobStatus"])

        self.repository.modify(self.arn, apply)

"""A training job's stored Describe document, and the only code that changes its status.

Timestamps inside the document are epoch seconds (JSON has no datetimes); the wire layer renders
them as the protocol wants. Every change is a read-modify-write under a row lock, so the runner and
a concurrent StopTrainingJob call never lose each other's update.
"""

from __future__ import annotations

import time
from typing import Any

from drydock.engine.training.status import PRIMARY, JobStatus, Secondary, check_transition
from drydock.store.resources import Resource, ResourceRepository

STATUS_MESSAGES = {
    Secondary.STARTING: "Launching requested ML instances",
    Secondary.DOWNLOADING: "Downloading input data",
    Secondary.TRAINING: "Training image download completed. Training in progress.",
    Secondary.UPLOADING: "Uploading generated training model",
    Secondary.COMPLETED: "Training job completed",
    Secondary.FAILED: "Training job failed",
    Secondary.STOPPING: "Stopping the training job",
    Secondary.STOPPED: "Training job stopped",
    Secondary.MAX_RUNTIME_EXCEEDED: "Training job stopped: it ran longer than MaxRuntimeInSeconds",
    Secondary.RESTARTING: "Restarting the training job after a server restart",
}


class JobRecord:
    def __init__(self, repository: ResourceRepository, arn: str, name: str) -> None:
        self.repository = repository
        self.arn = arn
        self.name = name
        #: Seconds the instances actually ran (spot jobs bill these, not the time spent interrupted).
        self.billable_seconds = 0.0

    def document(self) -> dict[str, Any]:
        resource = self.repository.get(self.arn)
        if resource is None:
            raise LookupError(f"training job {self.name} vanished from the store")
        return dict(resource.document)

    def advance(self, target: Secondary, message: str | None = None) -> None:
        def change(doc: dict[str, Any]) -> None:
            # A stop request wins: the runner notices it within a poll and ends the job Stopped.
            if doc["TrainingJobStatus"] != JobStatus.STOPPING:
                transition(doc, target, message)

        self._change(change)

    def fail(self, reason: str) -> None:
        def change(doc: dict[str, Any]) -> None:
            doc["FailureReason"] = reason[:1024]
            transition(doc, Secondary.FAILED)
            _end(doc, self.billable_seconds)

        self._change(change)

    def finish(self, secondary: Secondary) -> None:
        """End as Stopped or MaxRuntimeExceeded (status Stopped)."""

        def change(doc: dict[str, Any]) -> None:
            transition(doc, secondary)
            _end(doc, self.billable_seconds)

        self._change(change)

    def complete(self, model_artifacts: str) -> None:
        def change(doc: dict[str, Any]) -> None:
            doc["ModelArtifacts"] = {"S3ModelArtifacts": model_artifacts}
            stopping = doc["TrainingJobStatus"] == JobStatus.STOPPING
            # Stopped while uploading: SageMaker keeps the artifacts and reports Stopped.
            transition(doc, Secondary.STOPPED if stopping else Secondary.COMPLETED)
            _end(doc, self.billable_seconds)

        self._change(change)

    def set_metrics(self, final: list[dict[str, Any]]) -> None:
        if not final:
            return

        def change(doc: dict[str, Any]) -> None:
            doc["FinalMetricDataList"] = final

        self._change(change)

    def stop_reason(self) -> Secondary | None:
        """Why the job must stop now: a StopTrainingJob call or MaxRuntimeInSeconds, else ``None``."""
        doc = self.document()
        if doc["TrainingJobStatus"] == JobStatus.STOPPING:
            return Secondary.STOPPED
        wait = doc.get("StoppingCondition", {}).get("MaxWaitTimeInSeconds")
        created = doc["SecondaryStatusTransitions"][0]["StartTime"]
        if doc.get("EnableManagedSpotTraining") and wait and time.time() - created > wait:
            return Secondary.MAX_WAIT_TIME_EXCEEDED
        limit = doc.get("StoppingCondition", {}).get("MaxRuntimeInSeconds")
        started = doc.get("TrainingStartTime")
        if limit and started and time.time() - started > limit:
            return Secondary.MAX_RUNTIME_EXCEEDED
        return None

    def apply(self, edit: Any) -> None:
        """Apply ``edit(document)`` under the row lock (for callers outside the runner, e.g. Stop)."""
        self._change(edit)

    def _change(self, edit: Any) -> None:
        def apply(resource: Resource) -> Resource:
            doc = dict(resource.document)
            edit(doc)
            return resource.revised(doc, doc["TrainingJobStatus"])

        self.repository.modify(self.arn, apply)


def transition(doc: dict[str, Any], target: Secondary, message: str | None = None) -> None:
    """Move ``doc`` to ``target``, closing the open transition and opening the next one."""
    current = Secondary(doc["SecondaryStatus"])
    if current == target:
        return
    check_transition(current, target)
    now = time.time()
    transitions = doc.setdefault("SecondaryStatusTransitions", [])
    if transitions and "EndTime" not in transitions[-1]:
        transitions[-1]["EndTime"] = now
    entry: dict[str, Any] = {
        "Status": target.value,
        "StartTime": now,
        "StatusMessage": message or STATUS_MESSAGES.get(target, target.value),
    }
    if PRIMARY[target] in (JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.STOPPED):
        entry["EndTime"] = now
    transitions.append(entry)
    doc["SecondaryStatus"] = target.value
    # A job being stopped stays Stopping until it has stopped, whatever the runner does meanwhile.
    if doc["TrainingJobStatus"] != JobStatus.STOPPING or PRIMARY[target] != JobStatus.IN_PROGRESS:
        doc["TrainingJobStatus"] = PRIMARY[target].value
    if target == Secondary.TRAINING and "TrainingStartTime" not in doc:
        doc["TrainingStartTime"] = now


def _end(doc: dict[str, Any], ran_seconds: float) -> None:
    now = time.time()
    doc["TrainingEndTime"] = now
    started = doc.get("TrainingStartTime", now)
    seconds = max(1, round(now - started))
    # SageMaker bills at least one second; the SDK divides by TrainingTimeInSeconds for spot savings,
    # so both must be positive. Spot jobs bill only the seconds their instances ran.
    doc["TrainingTimeInSeconds"] = seconds
    billable = seconds
    if doc.get("EnableManagedSpotTraining") and ran_seconds > 0:
        billable = max(1, min(seconds, round(ran_seconds)))
    doc["BillableTimeInSeconds"] = billable

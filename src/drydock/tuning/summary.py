"""What DescribeHyperParameterTuningJob and ListTrainingJobsForHyperParameterTuningJob report about
a tuning job's training jobs: HyperParameterTrainingJobSummary, the status counters, the best job.

SageMaker's rules: ``TrainingJobStatusCounters`` count the training jobs by status (a failed job is a
``RetryableError`` when an internal error failed it, else ``NonRetryableError``); an early-stopped
job is ``Stopped``. ``ObjectiveStatus`` is ``Pending`` while the job runs, ``Succeeded`` once its
objective counted (early-stopped jobs included, with the last value they logged), ``Failed`` when
the job failed or never logged the objective. ``BestTrainingJob`` is the best job that ran to its
end (or, under Hyperband, to MaxResource).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from drydock.store.resources import Resource
from drydock.tuning.status import ObjectiveStatus
from drydock.tuning.trial_record import TrialRecord, TrialState
from drydock.tuning.tuning_config import Objective

#: The engine's prefix for failures of its own making (SageMaker's "internal service error").
INTERNAL_ERROR_PREFIX = "InternalServerError"


def objective_status(trial: TrialRecord) -> ObjectiveStatus:
    if not trial.state.finished:
        return ObjectiveStatus.PENDING
    if trial.state is TrialState.FAILED or trial.value is None:
        return ObjectiveStatus.FAILED
    return ObjectiveStatus.SUCCEEDED


def training_job_summary(
    trial: TrialRecord, child: Resource, tuning_job_name: str, objective: Objective
) -> dict[str, Any]:
    doc = child.document
    summary: dict[str, Any] = {
        "TrainingJobDefinitionName": trial.definition,
        "TrainingJobName": child.name,
        "TrainingJobArn": child.arn,
        "TuningJobName": tuning_job_name,
        "CreationTime": _epoch(child.creation_time),
        "TrainingStartTime": doc.get("TrainingStartTime"),
        "TrainingEndTime": doc.get("TrainingEndTime"),
        "TrainingJobStatus": doc["TrainingJobStatus"],
        "TunedHyperParameters": dict(trial.hyperparameters),
        "FailureReason": doc.get("FailureReason"),
        "ObjectiveStatus": objective_status(trial).value,
    }
    if trial.state.finished and trial.value is not None:
        summary["FinalHyperParameterTuningJobObjectiveMetric"] = {
            "Type": objective.type,
            "MetricName": objective.metric_name,
            "Value": trial.value,
        }
    return summary


def status_counters(trials: list[TrialRecord], children: dict[str, Resource]) -> dict[str, int]:
    counts = {"Completed": 0, "InProgress": 0, "RetryableError": 0, "NonRetryableError": 0, "Stopped": 0}
    for trial in trials:
        child = children.get(trial.training_job_name)
        if child is None:
            if not trial.state.finished:
                counts["InProgress"] += 1  # being created
            continue
        status = child.document["TrainingJobStatus"]
        if status in ("InProgress", "Stopping"):
            counts["InProgress"] += 1
        elif status == "Failed":
            internal = str(child.document.get("FailureReason", "")).startswith(INTERNAL_ERROR_PREFIX)
            counts["RetryableError" if internal else "NonRetryableError"] += 1
        elif status in counts:
            counts[status] += 1
    return counts


def objective_counters(trials: list[TrialRecord]) -> dict[str, int]:
    counts = {"Succeeded": 0, "Pending": 0, "Failed": 0}
    for trial in trials:
        counts[objective_status(trial).value] += 1
    return counts


def best_trial(trials: list[TrialRecord], objective: Objective) -> TrialRecord | None:
    best: TrialRecord | None = None
    for trial in trials:
        if trial.state is not TrialState.COMPLETE or trial.value is None:
            continue
        if best is None or objective.better(trial.value, best.value):  # type: ignore[arg-type]
            best = trial
    return best


def _epoch(moment: dt.datetime) -> float:
    return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).timestamp()

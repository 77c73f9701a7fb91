"""The members of DescribeHyperParameterTuningJob that summarise the search so far.

Recomputed from the trials and their training jobs every time the tuner writes the tuning job:
``TrainingJobStatusCounters``, ``ObjectiveStatusCounters``, ``BestTrainingJob``,
``OverallBestTrainingJob`` (the best of this job's and its warm-start parents' best jobs, for an
IdenticalDataAndAlgorithm warm start) and ``TuningJobCompletionDetails``.
"""

from __future__ import annotations

from typing import Any

from drydock.store.resources import Resource
from drydock.tuning.completion import progress
from drydock.tuning.summary import best_trial, objective_counters, status_counters, training_job_summary
from drydock.tuning.trial_record import TrialRecord
from drydock.tuning.tuning_config import TuningConfig


def reported_members(
    name: str,
    config: TuningConfig,
    trials: list[TrialRecord],
    children: dict[str, Resource],
    parent_bests: list[dict[str, Any]],
) -> dict[str, Any]:
    objective = config.objective
    best = best_trial(trials, objective)
    best_summary = None
    if best is not None and best.training_job_name in children:
        best_summary = training_job_summary(best, children[best.training_job_name], name, objective)
    overall = None
    if parent_bests:
        candidates = [s for s in [best_summary, *parent_bests] if s is not None]
        overall = _best_summary(candidates, objective.maximize)
    now = progress(trials, objective, config.completion, config.max_jobs)
    details: dict[str, Any] = {"NumberOfTrainingJobsObjectiveNotImproving": now.not_improving}
    if now.converged_at is not None:
        details["ConvergenceDetectedTime"] = now.converged_at
    return {
        "TrainingJobStatusCounters": status_counters(trials, children),
        "ObjectiveStatusCounters": objective_counters(trials),
        "BestTrainingJob": best_summary,
        "OverallBestTrainingJob": overall,
        "TuningJobCompletionDetails": details,
    }


def _best_summary(summaries: list[dict[str, Any]], maximize: bool) -> dict[str, Any] | None:
    scored = [
        s for s in summaries if (s.get("FinalHyperParameterTuningJobObjectiveMetric") or {}).get("Value") is not None
    ]
    if not scored:
        return None

    def value(summary: dict[str, Any]) -> float:
        return float(summary["FinalHyperParameterTuningJobObjectiveMetric"]["Value"])

    return max(scored, key=value) if maximize else min(scored, key=value)
